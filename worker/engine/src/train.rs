//! The training job: the step loop shared with replay, checkpoints, and result.json.

use std::path::Path;

use deai_worker_jobs::result::RESULT_VERSION;
use deai_worker_jobs::schedule;
use deai_worker_jobs::spec::{JobKind, JobSpec, TrainingSpec};
use deai_worker_jobs::{
    ChainHasher, CheckpointRecord, DatasetRecord, Digest, Metrics, SpecError, TrainResult,
};
use tch::{Device, Kind, Reduction, Tensor};

use crate::data::{self, Part};
use crate::error::EngineError;
use crate::model::Model;
use crate::optim::Optimizer;
use crate::{runtime, state, Progress};

pub const RESULT_FILE: &str = "result.json";
pub const WEIGHTS_FILE: &str = "weights.safetensors";

/// Where `train --out DIR` keeps checkpoint `index`. A convention of the local layout
/// only: results name checkpoints by sha256, and verifiers look them up by hash.
pub fn checkpoint_file(index: usize) -> String {
    format!("checkpoints/{index:05}.safetensors")
}

/// Feeds batches and applies optimizer steps. Step `s` (0-based) uses batch
/// `s % steps_per_epoch` of epoch `s / steps_per_epoch`, whose order comes from the seed
/// alone, so any segment of the run can be re-executed on its own.
pub(crate) struct StepRunner<'a> {
    x: &'a Tensor,
    y: &'a Tensor,
    rows: usize,
    batch: usize,
    seed: u64,
    pub steps_per_epoch: u64,
    device: Device,
    order: Option<(u64, Vec<usize>)>,
}

impl<'a> StepRunner<'a> {
    pub fn new(train: &'a Part, t: &TrainingSpec, device: Device) -> StepRunner<'a> {
        let batch = t.batch_size as usize;
        let steps_per_epoch = train.rows.div_ceil(batch) as u64;
        StepRunner {
            x: &train.x,
            y: &train.y,
            rows: train.rows,
            batch,
            seed: t.seed,
            steps_per_epoch,
            device,
            order: None,
        }
    }

    fn batch(&mut self, step: u64) -> Result<(Tensor, Tensor), EngineError> {
        let epoch = step / self.steps_per_epoch;
        let b = (step % self.steps_per_epoch) as usize;
        if self.order.as_ref().map(|(e, _)| *e) != Some(epoch) {
            let order = deai_worker_jobs::rng::epoch_order(self.rows, self.seed, epoch);
            self.order = Some((epoch, order));
        }
        let order = self
            .order
            .as_ref()
            .map(|(_, o)| o.as_slice())
            .unwrap_or(&[]);
        let end = ((b + 1) * self.batch).min(self.rows);
        let idx: Vec<i64> = order[b * self.batch..end]
            .iter()
            .map(|&i| i as i64)
            .collect();
        let idx = Tensor::f_from_slice(&idx)?.f_to_device(self.device)?;
        Ok((
            self.x.f_index_select(0, &idx)?,
            self.y.f_index_select(0, &idx)?,
        ))
    }

    /// Runs step `step` (0-based) and returns its loss.
    pub fn run(
        &mut self,
        model: &Model,
        opt: &mut Optimizer,
        step: u64,
    ) -> Result<f64, EngineError> {
        let (xb, yb) = self.batch(step)?;
        Optimizer::zero_grad(model);
        let loss = model.forward(&xb)?.f_cross_entropy_loss::<Tensor>(
            &yb,
            None,
            Reduction::Mean,
            -100,
            0.0,
        )?;
        let value = loss.f_double_value(&[])?;
        if !value.is_finite() {
            return Err(EngineError::NonFiniteLoss {
                step: step + 1,
                value,
            });
        }
        loss.f_backward()?;
        opt.step(model, step + 1)?;
        Ok(value)
    }
}

/// (accuracy, mean loss) over a part, in chunks to bound memory.
pub fn evaluate_part(model: &Model, part: &Part) -> Result<(f64, f64), EngineError> {
    const CHUNK: i64 = 4096;
    tch::no_grad(|| {
        let mut correct = 0i64;
        let mut loss_sum = 0f64;
        let n = part.rows as i64;
        let mut start = 0;
        while start < n {
            let len = CHUNK.min(n - start);
            let x = part.x.f_narrow(0, start, len)?;
            let y = part.y.f_narrow(0, start, len)?;
            let logits = model.forward(&x)?;
            loss_sum += logits
                .f_cross_entropy_loss::<Tensor>(&y, None, Reduction::Sum, -100, 0.0)?
                .f_double_value(&[])?;
            correct += logits
                .f_argmax(-1, false)?
                .f_eq_tensor(&y)?
                .f_sum(Kind::Int64)?
                .f_int64_value(&[])?;
            start += len;
        }
        Ok((correct as f64 / n as f64, loss_sum / n as f64))
    })
}

/// Runs a training job and writes `result.json`, the weights and the checkpoints into
/// `out`. `data_path` is where the spec's dataset was found locally.
pub fn train(
    spec: &JobSpec,
    data_path: &Path,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<TrainResult, EngineError> {
    runtime::init();
    spec.validate()?;
    if spec.kind != JobKind::Train {
        return Err(SpecError {
            path: "kind".into(),
            message: "expected \"train\"".into(),
        }
        .into());
    }
    let t = spec.training()?;
    let device = runtime::device(spec.device)?;
    let ds = data::load(data_path, &spec.dataset)?;
    ds.check_fits(&spec.model)?;
    // The whole schedule, bounded, before the model or any checkpoint exists.
    let plan = schedule::plan(spec, ds.rows as u64)?;
    let (train_part, test_part) = ds.split(&spec.split)?;
    let train_part = to_device(train_part, device)?;
    let test_part = to_device(test_part, device)?;

    std::fs::create_dir_all(out.join("checkpoints")).map_err(|e| EngineError::io(out, e))?;
    let spec_hash = spec.hash();
    let mut chain = ChainHasher::new(&spec_hash, &[ds.sha256]);

    let model = crate::model::start_model(spec, device)?;
    let mut opt = Optimizer::new(&t.optimizer, &model)?;
    let mut runner = StepRunner::new(&train_part, t, device);
    let total = plan.total_steps;
    let schedule = &plan.checkpoint_steps;
    if runner.steps_per_epoch != plan.steps_per_epoch {
        return Err(EngineError::Shape(format!(
            "{} steps per epoch, the plan has {}",
            runner.steps_per_epoch, plan.steps_per_epoch
        )));
    }
    tracing::info!(spec = %spec_hash, rows = ds.rows, steps = total, checkpoints = schedule.len(), "training");

    progress.begin("train", total);
    let mut checkpoints = Vec::new();
    let mut save = |step: u64, model: &Model, opt: &Optimizer, progress: &mut dyn Progress| {
        let index = checkpoints.len();
        let record = write_checkpoint(out, index, step, model, opt, &mut chain)?;
        progress.checkpoint(index, step, &record.hash);
        checkpoints.push(record);
        Ok::<(), EngineError>(())
    };
    save(0, &model, &opt, progress)?;
    let last_epoch_start = total - runner.steps_per_epoch;
    let (mut last_loss_sum, mut last_loss_n) = (0f64, 0u64);
    for step in 0..total {
        if progress.cancelled() {
            progress.end();
            return Err(EngineError::Cancelled);
        }
        let loss = runner.run(&model, &mut opt, step)?;
        if step >= last_epoch_start {
            last_loss_sum += loss;
            last_loss_n += 1;
        }
        progress.step(step + 1, loss);
        if schedule.binary_search(&(step + 1)).is_ok() {
            save(step + 1, &model, &opt, progress)?;
        }
    }
    progress.end();

    let (train_accuracy, _) = evaluate_part(&model, &train_part)?;
    let (test_accuracy, _) = evaluate_part(&model, &test_part)?;
    let weights = state::weights(&model)?;
    let weights_bytes = state::to_safetensors(&weights)?;
    state::write_atomic(&out.join(WEIGHTS_FILE), &weights_bytes)?;

    let result = TrainResult {
        version: RESULT_VERSION,
        spec_sha256: spec_hash,
        spec: spec.clone(),
        datasets: vec![DatasetRecord {
            role: "train".into(),
            sha256: ds.sha256,
            rows: ds.rows as u64,
            train_rows: train_part.rows as u64,
            test_rows: test_part.rows as u64,
        }],
        device: runtime::device_record(device),
        worker_version: runtime::WORKER_VERSION.into(),
        libtorch_version: runtime::LIBTORCH_VERSION.into(),
        steps: total,
        steps_per_epoch: runner.steps_per_epoch,
        checkpoints,
        final_weights_sha256: state::digest(&weights),
        weights_file_sha256: Digest::of(&weights_bytes),
        metrics: Metrics {
            final_loss: last_loss_sum / last_loss_n.max(1) as f64,
            train_accuracy,
            test_accuracy,
        },
    };
    let json = serde_json::to_vec_pretty(&result).map_err(|e| EngineError::Result {
        path: out.join(RESULT_FILE),
        message: e.to_string(),
    })?;
    state::write_atomic(&out.join(RESULT_FILE), &json)?;
    tracing::info!(test_accuracy, final_weights = %result.final_weights_sha256, "trained");
    Ok(result)
}

pub(crate) fn to_device(p: Part, device: Device) -> Result<Part, EngineError> {
    Ok(Part {
        x: p.x.f_to_device(device)?,
        y: p.y.f_to_device(device)?,
        rows: p.rows,
    })
}

/// Hashes the state, extends the chain and saves the state for replay.
fn write_checkpoint(
    out: &Path,
    index: usize,
    step: u64,
    model: &Model,
    opt: &Optimizer,
    chain: &mut ChainHasher,
) -> Result<CheckpointRecord, EngineError> {
    let st = state::training_state(model, opt)?;
    let state_sha256 = state::digest(&st);
    let hash = chain.push(step, &state_sha256);
    let bytes = state::to_safetensors(&st)?;
    state::write_atomic(&out.join(checkpoint_file(index)), &bytes)?;
    tracing::debug!(index, step, %hash, "checkpoint");
    Ok(CheckpointRecord {
        step,
        hash,
        state_sha256,
        file_sha256: Digest::of(&bytes),
    })
}
