//! SGD and Adam written out explicitly over named slot tensors, so the whole optimizer
//! state can be saved in a checkpoint, hashed, and restored for replay.

use std::collections::BTreeMap;

use deai_worker_jobs::init::slot_names;
use deai_worker_jobs::spec::OptimizerSpec;
use tch::Tensor;

use crate::error::EngineError;
use crate::model::Model;

pub struct Optimizer {
    pub spec: OptimizerSpec,
    /// `<param>/<slot>` → tensor, sorted.
    pub slots: BTreeMap<String, Tensor>,
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
                        let bc1 = 1.0 - pow_u64(*beta1, t);
                        let bc2 = 1.0 - pow_u64(*beta2, t);
                        let denom = v.f_sqrt()?.f_div_scalar(bc2.sqrt())?.f_add_scalar(*eps)?;
                        let _ = p.f_sub_(&m.f_div(&denom)?.f_mul_scalar(lr / bc1)?)?;
                    }
                }
            }
            Ok(())
        })
    }
}

/// `base^exp` by binary exponentiation, least significant bit first: a fixed sequence of
/// IEEE-754 multiplications (each correctly rounded), so the result is the same on every
/// platform and build. (`f64::powi` is an LLVM intrinsic whose result is unspecified.)
pub fn pow_u64(base: f64, mut exp: u64) -> f64 {
    let mut result = 1.0f64;
    let mut square = base;
    while exp > 0 {
        if exp & 1 == 1 {
            result *= square;
        }
        exp >>= 1;
        if exp > 0 {
            square *= square;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::pow_u64;

    #[test]
    fn pow_is_binary_exponentiation() {
        assert_eq!(pow_u64(0.9, 0), 1.0);
        assert_eq!(pow_u64(0.9, 1), 0.9);
        // 0.9^5 = 0.9 * (0.9^2)^2, multiplied in exactly that order.
        let sq = 0.9f64 * 0.9;
        assert_eq!(pow_u64(0.9, 5).to_bits(), (0.9 * (sq * sq)).to_bits());
        assert_eq!(pow_u64(0.999, 1 << 40), 0.0);
    }
}
