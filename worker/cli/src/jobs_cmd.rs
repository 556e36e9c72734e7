//! The job commands: train, evaluate, infer, and hash.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use deai_worker_artifacts::Store;
use deai_worker_engine as engine;
use deai_worker_jobs::{Digest, JobSpec};
use serde::Serialize;

use crate::{print, progress, read_spec, Output, SourceArgs};

pub fn train(
    out: Output,
    quiet: bool,
    spec: &Path,
    dir: &Path,
    data: Option<&Path>,
    publish: bool,
    sources: &SourceArgs,
) -> anyhow::Result<ExitCode> {
    let spec = read_spec(spec)?;
    let d = &spec.dataset;
    let data = sources
        .sources()
        .resolve("dataset", &d.sha256, data, d.path.as_deref())?;
    let mut progress = progress::for_terminal(quiet);
    let r = engine::train(&spec, &data, dir, progress.as_mut())?;
    if publish {
        let store = Store::open(&sources.store, sources.max_blob_bytes)
            .with_context(|| format!("opening artifact store {}", sources.store.display()))?;
        let files = (0..r.checkpoints.len())
            .map(engine::train::checkpoint_file)
            .chain([engine::train::WEIGHTS_FILE.to_string()]);
        for f in files {
            let path = dir.join(f);
            store
                .put_file(&path)
                .with_context(|| format!("publishing {}", path.display()))?;
        }
        tracing::info!(store = %sources.store.display(), "published the weights and checkpoints");
    }
    print(out, &r, || {
        format!(
            "trained: test_accuracy {:.4}, {} steps, {} checkpoints\nfinal_weights_sha256 {}\nresult {}",
            r.metrics.test_accuracy,
            r.steps,
            r.checkpoints.len(),
            r.final_weights_sha256,
            dir.join(engine::train::RESULT_FILE).display()
        )
    })
}

pub fn evaluate(
    out: Output,
    spec: &Path,
    data: &Option<PathBuf>,
    weights: &Option<PathBuf>,
    sources: &SourceArgs,
) -> anyhow::Result<ExitCode> {
    let spec = read_spec(spec)?;
    let (data, weights) = inputs(&spec, data, weights, sources)?;
    let r = engine::evaluate(&spec, &data, &weights)?;
    print(out, &r, || {
        format!(
            "accuracy {:.4} loss {:.4} on {} {} samples",
            r.accuracy,
            r.loss,
            r.samples,
            format!("{:?}", r.subset).to_lowercase()
        )
    })
}

pub fn infer(
    out: Output,
    spec: &Path,
    data: &Option<PathBuf>,
    weights: &Option<PathBuf>,
    file: Option<&Path>,
    sources: &SourceArgs,
) -> anyhow::Result<ExitCode> {
    let spec = read_spec(spec)?;
    let (data, weights) = inputs(&spec, data, weights, sources)?;
    let r = engine::infer(&spec, &data, &weights)?;
    if let Some(path) = file {
        let json = serde_json::to_vec_pretty(&r)?;
        engine::state::write_atomic(path, &json)?;
    }
    print(out, &r, || {
        let head: Vec<String> = r.predictions.iter().take(20).map(i64::to_string).collect();
        format!(
            "{} predictions (first: {}{}), logits_sha256 {}",
            r.samples,
            head.join(" "),
            if r.predictions.len() > 20 { " ..." } else { "" },
            r.logits_sha256
        )
    })
}

#[derive(Serialize)]
struct HashLine {
    sha256: Digest,
    file: String,
}

pub fn hash(out: Output, files: &[PathBuf], weights: bool) -> anyhow::Result<ExitCode> {
    let mut lines = Vec::new();
    for f in files {
        let d = if weights {
            let bytes = std::fs::read(f).with_context(|| format!("{}", f.display()))?;
            engine::state::digest(&engine::state::from_safetensors(&bytes, f)?)
        } else {
            Digest::of_file(f).with_context(|| format!("{}", f.display()))?
        };
        lines.push(HashLine {
            sha256: d,
            file: f.display().to_string(),
        });
    }
    print(out, &lines, || {
        lines
            .iter()
            .map(|h| format!("{}  {}", h.sha256, h.file))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn inputs(
    spec: &JobSpec,
    data: &Option<PathBuf>,
    weights: &Option<PathBuf>,
    sources: &SourceArgs,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let s = sources.sources();
    let d = &spec.dataset;
    let data = s.resolve("dataset", &d.sha256, data.as_deref(), d.path.as_deref())?;
    let Some(w) = &spec.weights else {
        bail!("spec has no weights (needed for evaluate and infer)")
    };
    let weights = s.resolve("weights", &w.sha256, weights.as_deref(), w.path.as_deref())?;
    Ok((data, weights))
}
