//! SGD and Adam written out explicitly over named slot tensors, so the whole optimizer
//! state can be saved in a checkpoint, hashed, and restored for replay.

use std::collections::BTreeMap;

use deai_worker_jobs::spec::OptimizerSpec;
use tch::Tensor;

use crate::error::EngineError;
use crate::model::Model;

pub struct Optimizer {
    pub spec: OptimizerSpec,
    /// `<param>/<slot>` → tensor, sorted.
    pub slots: BTreeMap<String, Tensor>,
}

fn slot_names(spec: &OptimizerSpec) -> &'static [&'static str] {
    match spec {
        OptimizerSpec::Sgd { momentum, .. } if *momentum == 0.0 => &[],
        OptimizerSpec::Sgd { .. } => &["momentum"],
        OptimizerSpec::Adam { .. } => &["exp_avg", "exp_avg_sq"],
    }
}

impl Optimizer {
    pub fn new(spec: &OptimizerSpec, model: &Model) -> Result<Optimizer, EngineError> {
        let mut slots = BTreeMap::new();
        for (name, p) in &model.params {
            for slot in slot_names(spec) {
                slots.insert(format!("{name}/{slot}"), p.f_zeros_like()?.detach());
            }
        }
        Ok(Optimizer {
            spec: spec.clone(),
            slots,
        })
    }

    /// Restores slots saved by a checkpoint; every expected slot must be present.
    pub fn from_slots(
        spec: &OptimizerSpec,
        model: &Model,
        mut given: BTreeMap<String, Tensor>,
    ) -> Result<Optimizer, EngineError> {
        let mut opt = Optimizer::new(spec, model)?;
        for (name, slot) in opt.slots.iter_mut() {
            let t = given.remove(name).ok_or_else(|| {
                EngineError::Shape(format!("checkpoint lacks optimizer slot {name:?}"))
            })?;
            if t.size() != slot.size() {
                return Err(EngineError::Shape(format!(
                    "optimizer slot {name:?} has the wrong shape"
                )));
            }
            *slot = t.f_to_device(slot.device())?;
        }
        if let Some(extra) = given.keys().next() {
            return Err(EngineError::Shape(format!(
                "checkpoint has unknown optimizer slot {extra:?}"
            )));
        }
        Ok(opt)
    }

    pub fn zero_grad(model: &Model) {
        for p in model.params.values() {
            // A shallow clone shares the tensor, and so its gradient.
            p.shallow_clone().zero_grad();
        }
    }

    fn slot(&self, param: &str, slot: &str) -> Result<Tensor, EngineError> {
        self.slots
            .get(&format!("{param}/{slot}"))
            .map(Tensor::shallow_clone)
            .ok_or_else(|| EngineError::Shape(format!("missing optimizer slot {param}/{slot}")))
    }

    /// Applies one update; `t` is the 1-based step number (Adam's bias correction).
    pub fn step(&mut self, model: &Model, t: u64) -> Result<(), EngineError> {
        tch::no_grad(|| -> Result<(), EngineError> {
            for (name, p) in &model.params {
                let mut p = p.shallow_clone();
                let mut g = p.grad();
                if !g.defined() {
                    continue;
                }
                match &self.spec {
                    OptimizerSpec::Sgd {
                        lr,
                        momentum,
                        weight_decay,
                    } => {
                        if *weight_decay != 0.0 {
                            g = g.f_add(&p.f_mul_scalar(*weight_decay)?)?;
                        }
                        if *momentum != 0.0 {
                            let mut buf = self.slot(name, "momentum")?;
                            let _ = buf.f_mul_scalar_(*momentum)?;
                            let _ = buf.f_add_(&g)?;
                            g = buf;
                        }
                        let _ = p.f_sub_(&g.f_mul_scalar(*lr)?)?;
                    }
                    OptimizerSpec::Adam {
                        lr,
                        beta1,
                        beta2,
                        eps,
                        weight_decay,
                    } => {
                        if *weight_decay != 0.0 {
                            g = g.f_add(&p.f_mul_scalar(*weight_decay)?)?;
                        }
                        let mut m = self.slot(name, "exp_avg")?;
                        let mut v = self.slot(name, "exp_avg_sq")?;
                        let _ = m.f_mul_scalar_(*beta1)?;
                        let _ = m.f_add_(&g.f_mul_scalar(1.0 - beta1)?)?;
                        let _ = v.f_mul_scalar_(*beta2)?;
                        let _ = v.f_add_(&g.f_mul(&g)?.f_mul_scalar(1.0 - beta2)?)?;
                        let ti = i32::try_from(t).unwrap_or(i32::MAX);
                        let bc1 = 1.0 - beta1.powi(ti);
                        let bc2 = 1.0 - beta2.powi(ti);
                        let denom = v.f_sqrt()?.f_div_scalar(bc2.sqrt())?.f_add_scalar(*eps)?;
                        let _ = p.f_sub_(&m.f_div(&denom)?.f_mul_scalar(lr / bc1)?)?;
                    }
                }
            }
            Ok(())
        })
    }
}
