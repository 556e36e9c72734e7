//! The model zoo as explicit parameter tensors and forward functions. Parameters are
//! initialised from the job's seed with the worker's own RNG, not torch's global one, so
//! initialisation is the same on every worker and cannot race with other threads.

use std::collections::BTreeMap;

use deai_worker_jobs::rng::SplitMix64;
use deai_worker_jobs::spec::ModelSpec;
use tch::{Device, Tensor};

use crate::error::EngineError;

pub struct Model {
    pub spec: ModelSpec,
    /// Sorted by name; every tensor is a leaf that requires grad.
    pub params: BTreeMap<String, Tensor>,
}

/// Parameter names and shapes, in a fixed order.
pub fn param_shapes(spec: &ModelSpec) -> Vec<(String, Vec<i64>)> {
    let linear = |out: &mut Vec<(String, Vec<i64>)>, name: &str, i: i64, o: i64| {
        out.push((format!("{name}.weight"), vec![o, i]));
        out.push((format!("{name}.bias"), vec![o]));
    };
    let mut out = Vec::new();
    match spec {
        ModelSpec::Logistic { inputs, classes } => {
            linear(&mut out, "fc0", i64::from(*inputs), i64::from(*classes))
        }
        ModelSpec::Mlp {
            inputs,
            hidden,
            classes,
        } => {
            let dims: Vec<i64> = std::iter::once(*inputs)
                .chain(hidden.iter().copied())
                .chain(std::iter::once(*classes))
                .map(i64::from)
                .collect();
            for (i, w) in dims.windows(2).enumerate() {
                linear(&mut out, &format!("fc{i}"), w[0], w[1]);
            }
        }
        ModelSpec::Cnn {
            image_size,
            channels,
            conv_channels,
            classes,
        } => {
            let [c1, c2] = conv_channels.map(i64::from);
            let ch = i64::from(*channels);
            out.push(("conv0.weight".into(), vec![c1, ch, 3, 3]));
            out.push(("conv0.bias".into(), vec![c1]));
            out.push(("conv1.weight".into(), vec![c2, c1, 3, 3]));
            out.push(("conv1.bias".into(), vec![c2]));
            // Two 2x2 pools: 8 -> 2, 28 -> 7.
            let side = i64::from(*image_size) / 4;
            linear(&mut out, "fc0", c2 * side * side, i64::from(*classes));
        }
    }
    out
}

fn fan_in(shape: &[i64], weight_of: Option<&[i64]>) -> i64 {
    // A bias uses its layer weight's fan-in, as PyTorch's default init does.
    let w = weight_of.unwrap_or(shape);
    w.iter().skip(1).product::<i64>().max(1)
}

impl Model {
    /// Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) for every tensor, one RNG stream each.
    pub fn init(spec: &ModelSpec, seed: u64, device: Device) -> Result<Model, EngineError> {
        let shapes = param_shapes(spec);
        let mut params = BTreeMap::new();
        for (i, (name, shape)) in shapes.iter().enumerate() {
            let weight_shape = name
                .strip_suffix(".bias")
                .and_then(|layer| shapes.iter().find(|(n, _)| *n == format!("{layer}.weight")))
                .map(|(_, s)| s.as_slice());
            let bound = 1.0 / (fan_in(shape, weight_shape) as f64).sqrt();
            let mut rng = SplitMix64::derive(seed, i as u64);
            let n: i64 = shape.iter().product();
            let data: Vec<f32> = (0..n)
                .map(|_| {
                    let u = (rng.next_u64() >> 40) as f64 / (1u64 << 24) as f64;
                    ((2.0 * u - 1.0) * bound) as f32
                })
                .collect();
            params.insert(
                name.clone(),
                Tensor::f_from_slice(&data)?.f_reshape(shape.as_slice())?,
            );
        }
        Model::from_params(spec, params, device)
    }

    /// Builds a model from named tensors, checking names and shapes against the spec.
    pub fn from_params(
        spec: &ModelSpec,
        mut given: BTreeMap<String, Tensor>,
        device: Device,
    ) -> Result<Model, EngineError> {
        let mut params = BTreeMap::new();
        for (name, shape) in param_shapes(spec) {
            let t = given
                .remove(&name)
                .ok_or_else(|| EngineError::Shape(format!("weights lack tensor {name:?}")))?;
            if t.size() != shape {
                return Err(EngineError::Shape(format!(
                    "tensor {name:?} has shape {:?}, the model expects {shape:?}",
                    t.size()
                )));
            }
            let t = t.f_to_device(device)?.detach().set_requires_grad(true);
            params.insert(name, t);
        }
        if let Some(extra) = given.keys().next() {
            return Err(EngineError::Shape(format!(
                "weights have tensor {extra:?}, which the model does not use"
            )));
        }
        Ok(Model {
            spec: spec.clone(),
            params,
        })
    }

    fn p(&self, name: &str) -> Result<&Tensor, EngineError> {
        self.params
            .get(name)
            .ok_or_else(|| EngineError::Shape(format!("model has no tensor {name:?}")))
    }

    /// Logits for a batch of flattened rows `[n, inputs]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor, EngineError> {
        match &self.spec {
            ModelSpec::Logistic { .. } => {
                Ok(x.f_linear(self.p("fc0.weight")?, Some(self.p("fc0.bias")?))?)
            }
            ModelSpec::Mlp { hidden, .. } => {
                let mut h = x.shallow_clone();
                for i in 0..=hidden.len() {
                    h = h.f_linear(
                        self.p(&format!("fc{i}.weight"))?,
                        Some(self.p(&format!("fc{i}.bias"))?),
                    )?;
                    if i < hidden.len() {
                        h = h.f_relu()?;
                    }
                }
                Ok(h)
            }
            ModelSpec::Cnn {
                image_size,
                channels,
                ..
            } => {
                let s = i64::from(*image_size);
                let mut h = x.f_reshape([-1, i64::from(*channels), s, s])?;
                for i in 0..2 {
                    let w = self.p(&format!("conv{i}.weight"))?;
                    let b = self.p(&format!("conv{i}.bias"))?;
                    h = h
                        .f_conv2d(w, Some(b), [1, 1], [1, 1], [1, 1], 1)?
                        .f_relu()?
                        .f_max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false)?;
                }
                let h = h.f_flatten(1, -1)?;
                Ok(h.f_linear(self.p("fc0.weight")?, Some(self.p("fc0.bias")?))?)
            }
        }
    }
}
