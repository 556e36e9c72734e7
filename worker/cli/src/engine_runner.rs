//! The provider daemon's jobs on the deterministic engine: the same code paths as
//! `deai-worker train --publish` (training) and `deai-worker replay` (an audit's segment).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use deai_worker_engine::{
    self as engine, runtime, segment_answer, Budget, EngineError, Progress, SegmentAnswer,
    SegmentStart,
};
use deai_worker_jobs::schedule::plan;
use deai_worker_jobs::{Digest, JobSpec, TrainResult};
use deai_worker_provider::{Answer, AuditStart, CancelFlag, JobRunner};

use crate::{progress, resolve};

pub struct EngineRunner {
    pub sources: resolve::Sources,
    pub quiet: bool,
    /// Directories a spec's dataset path hint may point into (canonicalized). Specs come
    /// from strangers' orders: a hint anywhere else is ignored, so an order cannot make the
    /// provider read (hash) an arbitrary local file.
    hint_roots: Vec<PathBuf>,
    /// Row counts of datasets already loaded, by sha256.
    rows: Mutex<HashMap<Digest, u64>>,
}

impl EngineRunner {
    pub fn new(sources: resolve::Sources, quiet: bool, hint_roots: &[PathBuf]) -> Self {
        EngineRunner {
            sources,
            quiet,
            hint_roots: hint_roots
                .iter()
                .filter_map(|r| std::fs::canonicalize(r).ok())
                .collect(),
            rows: Mutex::new(HashMap::new()),
        }
    }

    /// The spec's dataset, found locally or fetched from `--artifact-server`, and checked by
    /// a streaming sha256 before it is read into memory (a stranger's spec may name any
    /// local path as its hint).
    fn dataset_path(&self, spec: &JobSpec) -> anyhow::Result<PathBuf> {
        let d = &spec.dataset;
        let hint = d.path.as_deref().filter(|h| self.hint_allowed(h));
        let path = self.sources.resolve("dataset", &d.sha256, None, hint)?;
        let actual =
            Digest::of_file(&path).with_context(|| format!("reading {}", path.display()))?;
        anyhow::ensure!(
            actual == d.sha256,
            "dataset {}: sha256 is {actual}, the spec names {}",
            path.display(),
            d.sha256
        );
        Ok(path)
    }

    /// Whether `hint` names a file inside one of the allowed roots (after resolving `..` and
    /// symlinks).
    fn hint_allowed(&self, hint: &str) -> bool {
        let Ok(p) = std::fs::canonicalize(hint) else {
            return false;
        };
        let ok = self.hint_roots.iter().any(|r| p.starts_with(r));
        if !ok {
            tracing::info!(hint, "dataset path hint outside --dataset-roots ignored");
        }
        ok
    }

    fn load(&self, spec: &JobSpec) -> anyhow::Result<engine::data::Dataset> {
        let path = self.dataset_path(spec)?;
        let ds = engine::data::load(&path, &spec.dataset)?;
        ds.check_fits(&spec.model)?;
        if let Ok(mut rows) = self.rows.lock() {
            rows.insert(ds.sha256, ds.rows as u64);
        }
        Ok(ds)
    }
}

/// A progress display that also stops the job when the daemon shuts down.
struct Cancellable<'a> {
    inner: Box<dyn Progress>,
    cancel: &'a CancelFlag,
}

impl Progress for Cancellable<'_> {
    fn begin(&mut self, what: &str, total: u64) {
        self.inner.begin(what, total)
    }
    fn step(&mut self, done: u64, loss: f64) {
        self.inner.step(done, loss)
    }
    fn checkpoint(&mut self, index: usize, step: u64, hash: &Digest) {
        self.inner.checkpoint(index, step, hash)
    }
    fn end(&mut self) {
        self.inner.end()
    }
    fn cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

impl JobRunner for EngineRunner {
    /// A compute-to-data job's data is local when the spec's path hint names a file inside
    /// --dataset-roots whose sha256 is the spec's (the hash is checked, so a hint cannot pass
    /// off another file). The provider publishes that path in the dataset's description.
    fn has_local_dataset(&self, spec: &JobSpec) -> bool {
        let d = &spec.dataset;
        let Some(hint) = d.path.as_deref().filter(|h| self.hint_allowed(h)) else {
            return false;
        };
        match Digest::of_file(Path::new(hint)) {
            Ok(actual) if actual == d.sha256 => true,
            Ok(actual) => {
                tracing::info!(hint, %actual, expected = %d.sha256, "local dataset has another sha256");
                false
            }
            Err(e) => {
                tracing::info!(hint, "local dataset unreadable: {e}");
                false
            }
        }
    }

    fn checkpoints(&self, spec: &JobSpec) -> Result<usize, String> {
        let cached = self
            .rows
            .lock()
            .ok()
            .and_then(|r| r.get(&spec.dataset.sha256).copied());
        let rows = match cached {
            Some(r) => r,
            None => self.load(spec).map_err(|e| format!("{e:#}"))?.rows as u64,
        };
        plan(spec, rows)
            .map(|p| p.checkpoint_steps.len())
            .map_err(|e| e.to_string())
    }

    fn max_checkpoint_bytes(&self, spec: &JobSpec) -> u64 {
        engine::checkpoint::max_checkpoint_bytes(spec)
    }

    fn train(
        &self,
        spec: &JobSpec,
        out: &Path,
        cancel: &CancelFlag,
    ) -> anyhow::Result<TrainResult> {
        let data = self.dataset_path(spec)?;
        let mut p = Cancellable {
            inner: progress::for_terminal(self.quiet),
            cancel,
        };
        Ok(engine::train(spec, &data, out, &mut p)?)
    }

    fn audit_answer(
        &self,
        spec: &JobSpec,
        segment: usize,
        start: Option<AuditStart<'_>>,
        cancel: &CancelFlag,
    ) -> anyhow::Result<Result<Answer, String>> {
        let ds = self.load(spec)?;
        let rt = runtime::deterministic_cpu()?;
        let budget = Budget {
            cancel: Some(cancel.shared()),
            ..Budget::default()
        };
        let had_start = start.is_some();
        let start = start.map(|s| SegmentStart {
            claimed: s.claimed,
            file: s.file,
        });
        let mut p = progress::for_terminal(self.quiet);
        match segment_answer(rt, spec, segment, start, &ds, &budget, p.as_mut()) {
            Ok(Ok(SegmentAnswer::NoSuchCheckpoint { .. })) => Ok(Ok(None)),
            Ok(Ok(SegmentAnswer::Checkpoint { hash, .. })) => Ok(Ok(Some(hash))),
            Ok(Err(verdict)) => Ok(Err(verdict.describe())),
            Err(EngineError::Request(m)) if !had_start => Ok(Err(m)),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_hints_only_inside_the_dataset_roots() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let inside_file = root.path().join("data.csv");
        let outside_file = outside.path().join("secret");
        std::fs::write(&inside_file, b"1,2\n").unwrap();
        std::fs::write(&outside_file, b"x").unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&outside_file, &link).unwrap();
        let runner = EngineRunner::new(
            resolve::Sources {
                store_dir: root.path().join("store"),
                server: None,
                max_blob_bytes: 1 << 20,
            },
            true,
            &[root.path().to_path_buf()],
        );
        assert!(runner.hint_allowed(inside_file.to_str().unwrap()));
        assert!(!runner.hint_allowed(outside_file.to_str().unwrap()));
        // Neither a symlink out of the root nor `..` escapes it.
        assert!(!runner.hint_allowed(link.to_str().unwrap()));
        let dotdot = root
            .path()
            .join("..")
            .join(outside.path().file_name().unwrap())
            .join("secret");
        assert!(!runner.hint_allowed(dotdot.to_str().unwrap()));
        assert!(!runner.hint_allowed("/nonexistent/file"));
    }

    #[test]
    fn a_local_dataset_is_one_inside_the_roots_with_the_spec_hash() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let data = b"1,2,0\n3,4,1\n";
        let inside = root.path().join("c2d.csv");
        let elsewhere = outside.path().join("c2d.csv");
        std::fs::write(&inside, data).unwrap();
        std::fs::write(&elsewhere, data).unwrap();
        let runner = EngineRunner::new(
            resolve::Sources {
                store_dir: root.path().join("store"),
                server: None,
                max_blob_bytes: 1 << 20,
            },
            true,
            &[root.path().to_path_buf()],
        );
        let spec_with = |path: &Path, sha: &str| {
            let mut v: serde_json::Value =
                serde_json::from_str(include_str!("../examples/digits-mlp.json")).unwrap();
            v["dataset"]["path"] = path.to_str().unwrap().into();
            v["dataset"]["sha256"] = sha.into();
            JobSpec::from_json(&v.to_string()).unwrap()
        };
        let sha = Digest::of_file(&inside).unwrap().to_hex();
        assert!(runner.has_local_dataset(&spec_with(&inside, &sha)));
        // Outside the roots, another hash, or no file: not local.
        assert!(!runner.has_local_dataset(&spec_with(&elsewhere, &sha)));
        assert!(!runner.has_local_dataset(&spec_with(&inside, &"ab".repeat(32))));
        assert!(!runner.has_local_dataset(&spec_with(&root.path().join("none"), &sha)));
    }
}
