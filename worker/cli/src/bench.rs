//! `deai-worker bench`: training throughput (samples/s) for the digits MLP and a
//! 784-128-10 MLP on synthetic data, the cost of replay relative to training, and, with
//! `--python`, the same models and loop in PyTorch-Python on the same machine and run.
//! A benchmark prints figures; it asserts nothing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use deai_worker_engine as engine;
use deai_worker_jobs::rng::SplitMix64;
use deai_worker_jobs::{Digest, JobSpec};
use serde::Serialize;

const BASELINE_PY: &str = include_str!("../bench/torch_baseline.py");

#[derive(Args)]
pub struct BenchArgs {
    /// scikit-learn's digits.csv.gz (default: the one in the setup venv).
    #[arg(long, env = "DEAI_DIGITS_CSV")]
    digits: Option<PathBuf>,
    /// Epochs of the digits MLP.
    #[arg(long, default_value_t = 20)]
    digits_epochs: u32,
    /// Rows of the synthetic 784-feature dataset.
    #[arg(long, default_value_t = 8192)]
    synthetic_rows: usize,
    /// Epochs over the synthetic dataset.
    #[arg(long, default_value_t = 3)]
    synthetic_epochs: u32,
    /// A Python with the full `torch==2.13.0` installed, to run the PyTorch baseline.
    #[arg(long)]
    python: Option<PathBuf>,
    /// Where to keep the runs' outputs (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
}

/// Measures the training loop only (from the engine's `begin` to its `end`).
#[derive(Default)]
struct Timer {
    start: Option<Instant>,
    elapsed: Duration,
}

impl engine::Progress for Timer {
    fn begin(&mut self, _: &str, _: u64) {
        self.start = Some(Instant::now());
    }
    fn end(&mut self) {
        if let Some(s) = self.start.take() {
            self.elapsed = s.elapsed();
        }
    }
}

#[derive(Serialize)]
struct Row {
    model: String,
    samples: u64,
    seconds: f64,
    samples_per_s: f64,
    torch_python_samples_per_s: Option<f64>,
    ratio: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    libtorch: String,
    threads: u32,
    throughput: Vec<Row>,
    replay: ReplayCost,
}

#[derive(Serialize)]
struct ReplayCost {
    full_training_s: f64,
    total_steps: u64,
    checkpoints: usize,
    segment_steps: u64,
    segment_s: f64,
    segment_fraction_of_training: f64,
    full_replay_s: f64,
    full_replay_fraction_of_training: f64,
}

fn spec(
    model: serde_json::Value,
    data: &Path,
    format: &str,
    scale: f64,
    epochs: u32,
    batch: u32,
    every: u32,
) -> anyhow::Result<JobSpec> {
    let sha = Digest::of_file(data).with_context(|| format!("{}", data.display()))?;
    let v = serde_json::json!({
        "version": 1, "kind": "train", "model": model,
        "dataset": {"sha256": sha.to_hex(), "format": format, "feature_scale": scale},
        "split": {"test_fraction": 0.2, "seed": 1},
        "training": {"optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
                     "epochs": epochs, "batch_size": batch, "checkpoint_every": every, "seed": 7}
    });
    Ok(JobSpec::from_json(&v.to_string())?)
}

/// Rows of uniform features with labels from a random linear teacher, so the task is
/// learnable and the loop does real work.
fn synthetic(path: &Path, rows: usize, cols: usize, classes: usize) -> anyhow::Result<()> {
    let mut rng = SplitMix64::new(42);
    let mut unit = move || (rng.next_u64() >> 40) as f32 / (1u32 << 24) as f32;
    let teacher: Vec<f32> = (0..cols * classes).map(|_| unit() - 0.5).collect();
    let mut features = Vec::with_capacity(rows * cols);
    let mut labels = Vec::with_capacity(rows);
    for _ in 0..rows {
        let x: Vec<f32> = (0..cols).map(|_| unit()).collect();
        let scores = (0..classes).map(|c| {
            x.iter()
                .zip(&teacher[c * cols..(c + 1) * cols])
                .map(|(a, b)| a * b)
                .sum::<f32>()
        });
        let label = scores
            .enumerate()
            .fold(
                (0usize, f32::MIN),
                |best, (i, s)| if s > best.1 { (i, s) } else { best },
            )
            .0;
        features.extend(x);
        labels.push(label as i64);
    }
    engine::data::write_safetensors_dataset(path, cols, &features, &labels)?;
    Ok(())
}

fn timed_train(
    spec: &JobSpec,
    data: &Path,
    out: &Path,
) -> anyhow::Result<(deai_worker_jobs::TrainResult, Duration)> {
    let mut t = Timer::default();
    let r = engine::train(spec, data, out, &mut t)?;
    Ok((r, t.elapsed))
}

pub fn run(args: &BenchArgs, json: bool) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("deai-bench-{}", std::process::id()));
    let work = args.work_dir.clone().unwrap_or(tmp.clone());
    std::fs::create_dir_all(&work).with_context(|| format!("{}", work.display()))?;
    let digits = args
        .digits
        .clone()
        .unwrap_or_else(engine::data::digits_path);

    // Digits: 64-64-10, batch 32, ten checkpoints over the run for the replay figures.
    let probe = spec(
        serde_json::json!({"type": "mlp", "inputs": 64, "hidden": [64], "classes": 10}),
        &digits,
        "csv",
        0.0625,
        args.digits_epochs,
        32,
        1_000_000,
    )?;
    let steps = 45 * u64::from(args.digits_epochs);
    let every = u32::try_from((steps / 10).max(1)).unwrap_or(u32::MAX);
    let mut digits_spec = probe.clone();
    if let Some(t) = digits_spec.training.as_mut() {
        t.checkpoint_every = every;
    }
    let (dr, dt) = timed_train(&digits_spec, &digits, &work.join("digits"))?;
    let digits_samples = dr.datasets[0].train_rows * u64::from(args.digits_epochs);

    // Synthetic 784-128-10, batch 64.
    let syn_path = work.join("synthetic-784.safetensors");
    synthetic(&syn_path, args.synthetic_rows, 784, 10)?;
    let syn_spec = spec(
        serde_json::json!({"type": "mlp", "inputs": 784, "hidden": [128], "classes": 10}),
        &syn_path,
        "safetensors",
        1.0,
        args.synthetic_epochs,
        64,
        1_000_000,
    )?;
    let (sr, st) = timed_train(&syn_spec, &syn_path, &work.join("synthetic"))?;
    let syn_samples = sr.datasets[0].train_rows * u64::from(args.synthetic_epochs);

    // Replay: one segment (checkpoint 0 to 1), and the whole chain.
    let rt = engine::runtime::deterministic_cpu()?;
    let dataset = engine::data::load(&digits, &digits_spec.dataset)?;
    let last = dr.checkpoints.len() - 1;
    let replay = |to: usize| {
        let mut t = Timer::default();
        let v = engine::replay_range(
            rt,
            &digits_spec,
            &dr,
            0,
            to,
            None,
            &dataset,
            &engine::Budget::default(),
            &mut t,
        )?;
        anyhow::ensure!(v.is_honest(), "replay of the benchmark run failed: {v:?}");
        anyhow::Ok(t.elapsed.as_secs_f64())
    };
    let seg_s = replay(1)?;
    let full_s = replay(last)?;

    let baseline = match &args.python {
        Some(py) => Some(run_python(py, &work, &digits, &syn_path, args)?),
        None => None,
    };
    let row = |model: &str, samples: u64, secs: Duration, key: &str| {
        let sps = samples as f64 / secs.as_secs_f64();
        let py = baseline
            .as_ref()
            .and_then(|b| b.get(key))
            .and_then(serde_json::Value::as_f64);
        Row {
            model: model.into(),
            samples,
            seconds: secs.as_secs_f64(),
            samples_per_s: sps,
            torch_python_samples_per_s: py,
            ratio: py.map(|p| sps / p),
        }
    };
    let report = Report {
        libtorch: engine::runtime::LIBTORCH_VERSION.into(),
        threads: engine::runtime::intra_op_threads(),
        throughput: vec![
            row(
                "digits MLP 64-64-10, batch 32",
                digits_samples,
                dt,
                "digits_mlp",
            ),
            row(
                "synthetic MLP 784-128-10, batch 64",
                syn_samples,
                st,
                "mlp_784",
            ),
        ],
        replay: ReplayCost {
            full_training_s: dt.as_secs_f64(),
            total_steps: dr.steps,
            checkpoints: dr.checkpoints.len(),
            segment_steps: dr.checkpoints[1].step,
            segment_s: seg_s,
            segment_fraction_of_training: seg_s / dt.as_secs_f64(),
            full_replay_s: full_s,
            full_replay_fraction_of_training: full_s / dt.as_secs_f64(),
        },
    };
    if args.work_dir.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

fn print_table(r: &Report) {
    println!(
        "libtorch {} , {} intra-op thread(s), deterministic CPU mode",
        r.libtorch, r.threads
    );
    println!(
        "{:<38} {:>10} {:>9} {:>12} {:>14} {:>7}",
        "model", "samples", "seconds", "samples/s", "pytorch-py/s", "ratio"
    );
    for row in &r.throughput {
        let py = row
            .torch_python_samples_per_s
            .map_or("-".into(), |v| format!("{v:.0}"));
        let ratio = row.ratio.map_or("-".into(), |v| format!("{v:.2}"));
        println!(
            "{:<38} {:>10} {:>9.3} {:>12.0} {:>14} {:>7}",
            row.model, row.samples, row.seconds, row.samples_per_s, py, ratio
        );
    }
    let p = &r.replay;
    println!(
        "replay: one segment ({} of {} steps) took {:.3}s = {:.3} of full training ({:.3}s); whole chain {:.3}s = {:.3}",
        p.segment_steps, p.total_steps, p.segment_s, p.segment_fraction_of_training, p.full_training_s, p.full_replay_s, p.full_replay_fraction_of_training
    );
}

fn run_python(
    py: &Path,
    work: &Path,
    digits: &Path,
    synthetic: &Path,
    a: &BenchArgs,
) -> anyhow::Result<serde_json::Value> {
    let script = work.join("torch_baseline.py");
    std::fs::write(&script, BASELINE_PY)?;
    let out = std::process::Command::new(py)
        .arg(&script)
        .args(["--digits", &digits.display().to_string()])
        .args(["--digits-epochs", &a.digits_epochs.to_string()])
        .args(["--synthetic", &synthetic.display().to_string()])
        .args(["--synthetic-epochs", &a.synthetic_epochs.to_string()])
        .env("OMP_NUM_THREADS", "1")
        .env("MKL_CBWR", "AVX2")
        .env("ATEN_CPU_CAPABILITY", "avx2")
        .env("OMP_WAIT_POLICY", "PASSIVE")
        .output()
        .with_context(|| format!("running {}", py.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        anyhow::bail!(
            "PyTorch baseline failed: {}",
            err.lines().last().unwrap_or("")
        );
    }
    serde_json::from_slice(&out.stdout).context("PyTorch baseline printed no JSON")
}
