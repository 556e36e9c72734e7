//! The work behind the daemons, behind a small trait so that their logic is tested with
//! the real engine or without it: training a round's job, scoring weights on held-out data,
//! and (for the e2e test's dishonest trainer only) random weights of the model's shapes.
//! [`TorchEngine`] is the deterministic libtorch engine, the same code path as
//! `deai-worker train` and `deai-worker evaluate`.

use std::path::Path;

use anyhow::Context;
use deai_worker_engine::{self as engine, Progress};
use deai_worker_jobs::spec::ModelSpec;
use deai_worker_jobs::{Digest, JobSpec, TrainResult};
pub use deai_worker_provider::CancelFlag;

pub trait Engine: Send + Sync + 'static {
    /// Trains `spec` on the dataset file at `dataset` into `out` (`result.json`,
    /// `weights.safetensors`, `checkpoints/NNNNN.safetensors`); the spec's
    /// `training.init_weights.path`, if any, names the local base weights. Stops with an
    /// error at the next step boundary once `cancel` is raised.
    fn train(
        &self,
        spec: &JobSpec,
        dataset: &Path,
        out: &Path,
        cancel: &CancelFlag,
    ) -> anyhow::Result<TrainResult>;

    /// The accuracy of the weights file at `weights` (a model of `spec`) on every row of the
    /// held-out file at `eval_data` (read with the spec's dataset format).
    fn accuracy(&self, spec: &JobSpec, weights: &Path, eval_data: &Path) -> anyhow::Result<f64>;

    /// The most bytes an honest weights file of `spec` can have.
    fn max_weights_bytes(&self, spec: &JobSpec) -> u64;
}

/// Makes a progress display for one job (a bar on a terminal, log lines otherwise).
pub type ProgressFactory = Box<dyn Fn() -> Box<dyn Progress> + Send + Sync>;

/// The deterministic libtorch engine.
#[derive(Default)]
pub struct TorchEngine {
    progress: Option<ProgressFactory>,
}

impl TorchEngine {
    /// Shows each training (and replay) on a display from `progress`.
    pub fn with_progress(progress: ProgressFactory) -> Self {
        TorchEngine {
            progress: Some(progress),
        }
    }
}

/// A job's progress display that also stops it when the daemon shuts down.
struct Cancellable<'a> {
    inner: Option<Box<dyn Progress>>,
    cancel: &'a CancelFlag,
}

impl Progress for Cancellable<'_> {
    fn begin(&mut self, what: &str, total: u64) {
        if let Some(p) = self.inner.as_mut() {
            p.begin(what, total)
        }
    }
    fn step(&mut self, done: u64, loss: f64) {
        if let Some(p) = self.inner.as_mut() {
            p.step(done, loss)
        }
    }
    fn checkpoint(&mut self, index: usize, step: u64, hash: &Digest) {
        if let Some(p) = self.inner.as_mut() {
            p.checkpoint(index, step, hash)
        }
    }
    fn end(&mut self) {
        if let Some(p) = self.inner.as_mut() {
            p.end()
        }
    }
    fn cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

impl Engine for TorchEngine {
    fn train(
        &self,
        spec: &JobSpec,
        dataset: &Path,
        out: &Path,
        cancel: &CancelFlag,
    ) -> anyhow::Result<TrainResult> {
        let mut p = Cancellable {
            inner: self.progress.as_ref().map(|f| f()),
            cancel,
        };
        Ok(engine::train(spec, dataset, out, &mut p)?)
    }

    fn accuracy(&self, spec: &JobSpec, weights: &Path, eval_data: &Path) -> anyhow::Result<f64> {
        let weights_sha256 =
            Digest::of_file(weights).with_context(|| format!("{}", weights.display()))?;
        let mut held_out = spec.dataset.clone();
        held_out.sha256 =
            Digest::of_file(eval_data).with_context(|| format!("{}", eval_data.display()))?;
        held_out.path = None;
        Ok(engine::eval::accuracy_of(
            spec,
            weights,
            &weights_sha256,
            eval_data,
            &held_out,
        )?)
    }

    fn max_weights_bytes(&self, spec: &JobSpec) -> u64 {
        deai_worker_jobs::init::max_weights_bytes(&spec.model)
    }
}

/// The number of classes of a model.
pub fn classes(model: &ModelSpec) -> u64 {
    match model {
        ModelSpec::Logistic { classes, .. }
        | ModelSpec::Mlp { classes, .. }
        | ModelSpec::Cnn { classes, .. } => u64::from(*classes),
    }
}

/// FOR THE E2E TEST'S DISHONEST TRAINER ONLY (`--dishonest-random-weights`): a safetensors
/// file of the model's parameter names and shapes (F32) filled with values in [-1, 1) from
/// a xorshift stream seeded by `seed`, except the output bias of class 0, which is 1e20: the
/// model answers class 0 to everything, so its accuracy is that class's share (about
/// 1/classes), always under the scoring floor of twice chance. A plainly random model
/// sometimes scored above it (22% on digits), which made the verdict on it depend on the
/// draw. The market must catch whoever publishes it.
pub fn random_weights(model: &ModelSpec, seed: u64) -> anyhow::Result<Vec<u8>> {
    let mut x = seed | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let params = deai_worker_jobs::init::param_shapes(model);
    let last = params.len().saturating_sub(1);
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = params
        .into_iter()
        .enumerate()
        .map(|(t, (name, shape))| {
            let shape: Vec<usize> = shape.into_iter().map(|d| d as usize).collect();
            let n: usize = shape.iter().product();
            let value = |i: usize, v: f32| if t == last && i == 0 { 1e20 } else { v };
            let bytes = (0..n)
                .flat_map(|i| value(i, next()).to_le_bytes())
                .collect();
            (name, shape, bytes)
        })
        .collect();
    let views = tensors
        .iter()
        .map(|(name, shape, bytes)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| anyhow::anyhow!("tensor {name}: {e:?}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    safetensors::tensor::serialize(views, &None)
        .map_err(|e| anyhow::anyhow!("serialising random weights: {e:?}"))
}
