//! The model zoo as explicit parameter tensors and forward functions. Parameters are
//! initialised from the job's seed with the worker's own RNG, not torch's global one, so
//! initialisation is the same on every worker and cannot race with other threads.

use std::collections::BTreeMap;

use deai_worker_jobs::init;
use deai_worker_jobs::spec::{JobSpec, ModelSpec};
use tch::{Device, Tensor};

use crate::error::EngineError;

pub struct Model {
    pub spec: ModelSpec,
    /// Sorted by name; every tensor is a leaf that requires grad.
    pub params: BTreeMap<String, Tensor>,
}

/// Parameter names and shapes, in a fixed order (see `deai_worker_jobs::init`).
pub fn param_shapes(spec: &ModelSpec) -> Vec<(String, Vec<i64>)> {
    init::param_shapes(spec)
        .into_iter()
        .map(|(n, s)| (n, s.into_iter().map(|d| d as i64).collect()))
        .collect()
}

/// The parameters a training job starts from, on the host: the `training.init_weights`
/// file (read from its path hint, at most `init::max_weights_bytes`, checked against its
/// sha256 and against the model's tensor names and shapes) or else the seeded ones.
pub fn start_params(spec: &JobSpec) -> Result<Vec<init::InitTensor>, EngineError> {
    let t = spec.training()?;
    let Some(w) = &t.init_weights else {
        return Ok(init::init_params(&spec.model, t.seed));
    };
    let path = w
        .path
        .as_deref()
        .ok_or_else(|| deai_worker_jobs::SpecError {
            path: "training.init_weights.path".into(),
            message: format!("no local file given for weights {}", w.sha256),
        })?;
    let path = std::path::Path::new(path);
    let bytes = crate::state::read_verified(path, &w.sha256, init::max_weights_bytes(&spec.model))?;
    init::weights_from_safetensors(&bytes, &spec.model).map_err(|message| EngineError::Weights {
        path: path.into(),
        message: format!("as training.init_weights: {message}"),
    })
}

/// The model a training job starts from (see [`start_params`]).
pub fn start_model(spec: &JobSpec, device: Device) -> Result<Model, EngineError> {
    Model::from_init(&spec.model, start_params(spec)?, device)
}

impl Model {
    /// The spec's seeded initial weights, computed on the host by
    /// `deai_worker_jobs::init::init_params` (so a verifier without libtorch gets the
    /// same bits).
    pub fn init(spec: &ModelSpec, seed: u64, device: Device) -> Result<Model, EngineError> {
        Model::from_init(spec, init::init_params(spec, seed), device)
    }

    /// A model holding host parameters (seeded, or a job's `training.init_weights`).
    pub fn from_init(
        spec: &ModelSpec,
        tensors: Vec<init::InitTensor>,
        device: Device,
    ) -> Result<Model, EngineError> {
        let mut params = BTreeMap::new();
        for t in tensors {
            let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
            params.insert(
                t.name,
                Tensor::f_from_slice(&t.values)?.f_reshape(shape.as_slice())?,
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
