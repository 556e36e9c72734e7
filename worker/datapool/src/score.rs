//! The default scorer, `accuracy-gain/v1`: the engine trains the schema's model twice from
//! the same seed, once on the pool's current data and once on the current data with the
//! contribution appended, and evaluates both on the validation file; the score is
//! [`gain_score`] of the two accuracies. Everything is the deterministic CPU engine
//! (`deai-worker train`'s code path), seeded by the pool id and the contribution id only,
//! so every validator with the same files computes the same score.
//!
//! A contribution that does not load (over the size bound, not the hash the chain names,
//! not parseable in the schema's format, the wrong number of features, a label outside
//! the model's classes) or that copies any row of the (public) validation file is
//! [`Outcome::Rejected`] and scores 0. A problem with the pool's
//! own files or the engine is an `Err`: no score is sent for it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use deai_worker_engine::data::{self, Dataset};
use deai_worker_engine::train::WEIGHTS_FILE;
use deai_worker_engine::Progress;
use deai_worker_jobs::rng::SplitMix64;
use deai_worker_jobs::spec::{
    DataFormat, DatasetRef, Device, JobKind, JobSpec, SplitSpec, Subset, TrainingSpec,
};
use deai_worker_jobs::Digest;
pub use deai_worker_provider::CancelFlag;

use crate::schema::{gain_score, Schema};

/// The largest base or validation file read, in bytes.
pub const MAX_POOL_FILE_BYTES: u64 = 1 << 30;

/// What scoring one contribution came to.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Loaded and trained on: the validation accuracies without and with it.
    Scored { before: f64, after: f64, score: u16 },
    /// Unusable data (why): 0.
    Rejected(String),
}

impl Outcome {
    pub fn score(&self) -> u16 {
        match self {
            Outcome::Scored { score, .. } => *score,
            Outcome::Rejected(_) => 0,
        }
    }
}

/// The seed of both training runs of contribution `contribution` of pool `pool`.
pub fn seed(pool: u64, contribution: u64) -> u64 {
    SplitMix64::derive(pool, contribution).next_u64()
}

/// The engine's training job on `rows` rows of the safetensors file of hash `sha256`,
/// seeded by `seed`. The engine holds back a test part of its own (at least one row): it
/// is one row here, the validation file is what counts.
pub fn train_spec(s: &Schema, sha256: Digest, rows: usize, seed: u64) -> anyhow::Result<JobSpec> {
    anyhow::ensure!(rows >= 2, "{rows} rows are too few to train on");
    Ok(JobSpec {
        version: deai_worker_jobs::spec::SPEC_VERSION,
        kind: JobKind::Train,
        model: s.model.clone(),
        dataset: DatasetRef {
            sha256,
            path: None,
            format: DataFormat::Safetensors,
            header: false,
            label_column: -1,
            features_key: "features".into(),
            labels_key: "labels".into(),
            // The file is written with its features already scaled (`accuracy`).
            feature_scale: 1.0,
        },
        split: SplitSpec {
            test_fraction: 1.0 / rows as f64,
            seed,
            shard: None,
        },
        training: Some(TrainingSpec {
            optimizer: s.training.optimizer.clone(),
            epochs: s.training.epochs,
            batch_size: s.training.batch_size,
            checkpoint_every: u32::MAX,
            seed,
            init_weights: None,
        }),
        weights: None,
        subset: Subset::Test,
        device: Device::Cpu,
    })
}

/// Reads a file of the pool (the schema's format), checked against `sha256`, at most
/// `limit` bytes (and as much decompressed), and that it fits the model.
pub fn load(s: &Schema, path: &Path, sha256: Digest, limit: u64) -> anyhow::Result<Dataset> {
    let ds = data::load_bounded(path, &s.data.dataset_ref(sha256), limit)?;
    ds.check_fits(&s.model)?;
    Ok(ds)
}

/// The pool's current data: the base file, then the accepted contributions, in order.
pub fn concat(parts: &[Dataset]) -> anyhow::Result<Dataset> {
    let first = parts
        .first()
        .ok_or_else(|| anyhow::anyhow!("no data to concatenate"))?;
    let cols = first.cols;
    let mut out = Dataset {
        path: first.path.clone(),
        sha256: first.sha256,
        rows: 0,
        cols,
        features: Vec::new(),
        labels: Vec::new(),
    };
    for p in parts {
        anyhow::ensure!(
            p.cols == cols,
            "{} has {} features, not {cols}",
            p.path.display(),
            p.cols
        );
        out.features.extend_from_slice(&p.features);
        out.labels.extend_from_slice(&p.labels);
        out.rows = out.rows.saturating_add(p.rows);
    }
    Ok(out)
}

/// Stops a training run at its next step once the flag is raised.
struct Cancellable<'a>(&'a CancelFlag);

impl Progress for Cancellable<'_> {
    fn cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// The validation file, checked once, with the digests of its rows.
pub struct Validation {
    pub path: PathBuf,
    pub dataset: DatasetRef,
    rows: HashSet<Digest>,
}

/// The digest of row `r` of `d`: its features' f32 bits and its label.
fn row_digest(d: &Dataset, r: usize) -> Digest {
    let mut bytes = Vec::with_capacity(d.cols * 4 + 8);
    for f in &d.features[r * d.cols..(r + 1) * d.cols] {
        bytes.extend_from_slice(&f.to_le_bytes());
    }
    bytes.extend_from_slice(&d.labels[r].to_le_bytes());
    Digest::of(&bytes)
}

impl Validation {
    /// The validation file of `s` at `path`, checked (hash, format, fit) before use.
    pub fn open(s: &Schema, path: &Path) -> anyhow::Result<Validation> {
        let d = load(s, path, s.validation.sha256, MAX_POOL_FILE_BYTES)?;
        Ok(Validation {
            path: path.into(),
            dataset: s.data.dataset_ref(s.validation.sha256),
            rows: (0..d.rows).map(|r| row_digest(&d, r)).collect(),
        })
    }

    /// How many rows of `d` are rows of the validation file (features and label equal).
    pub fn copied_rows(&self, d: &Dataset) -> usize {
        (0..d.rows)
            .filter(|&r| self.rows.contains(&row_digest(d, r)))
            .count()
    }
}

/// Trains the schema's model on `ds` from `seed` (in a temporary directory under `work`)
/// and returns its accuracy on the validation file.
pub fn accuracy(
    s: &Schema,
    ds: &Dataset,
    v: &Validation,
    seed: u64,
    work: &Path,
    cancel: &CancelFlag,
) -> anyhow::Result<f64> {
    std::fs::create_dir_all(work)?;
    let dir = tempfile::tempdir_in(work)?;
    let file = dir.path().join("data.safetensors");
    data::write_safetensors_dataset(&file, ds.cols, &ds.features, &ds.labels)?;
    let spec = train_spec(s, Digest::of_file(&file)?, ds.rows, seed)?;
    let out = dir.path().join("out");
    let result = deai_worker_engine::train(&spec, &file, &out, &mut Cancellable(cancel))?;
    Ok(deai_worker_engine::eval::accuracy_of(
        &spec,
        &out.join(WEIGHTS_FILE),
        &result.weights_file_sha256,
        &v.path,
        &v.dataset,
    )?)
}

/// Scores the contribution file at `path` (the chain names `sha256`, at most `max_bytes`)
/// against the pool's current data `current`.
#[allow(clippy::too_many_arguments)]
pub fn score_contribution(
    s: &Schema,
    current: &Dataset,
    v: &Validation,
    path: &Path,
    sha256: Digest,
    max_bytes: u64,
    seed: u64,
    work: &Path,
    cancel: &CancelFlag,
) -> anyhow::Result<Outcome> {
    let c = match load(s, path, sha256, max_bytes) {
        Ok(c) => c,
        Err(e) => return Ok(Outcome::Rejected(format!("{e:#}"))),
    };
    // The validation file is public (validators fetch it): its rows are not data.
    let copied = v.copied_rows(&c);
    if copied > 0 {
        return Ok(Outcome::Rejected(format!(
            "{copied} of its {} rows are rows of the validation file",
            c.rows
        )));
    }
    let before = accuracy(s, current, v, seed, work, cancel)?;
    let union = concat(&[clone(current), c])?;
    // The same training without the contribution worked: a failure now is its doing (a
    // run over the engine's step bound, a loss that overflows on huge features).
    let after = match accuracy(s, &union, v, seed, work, cancel) {
        Ok(a) => a,
        Err(e) if cancel.is_cancelled() => return Err(e),
        Err(e) => return Ok(Outcome::Rejected(format!("training with it failed: {e:#}"))),
    };
    Ok(Outcome::Scored {
        before,
        after,
        score: gain_score(before, after, s.full_scale_gain_points),
    })
}

fn clone(d: &Dataset) -> Dataset {
    Dataset {
        path: d.path.clone(),
        sha256: d.sha256,
        rows: d.rows,
        cols: d.cols,
        features: d.features.clone(),
        labels: d.labels.clone(),
    }
}

/// A local path of a schema file (`score_file` only).
fn local(f: &crate::schema::FileRef, what: &str) -> anyhow::Result<PathBuf> {
    f.path
        .as_deref()
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("schema {what}.path is needed to score a file locally"))
}

/// Scores the contribution file at `contribution` for a pool of schema `schema` (JSON)
/// whose current data is its base alone, as a validator of pool 0 scores contribution 0
/// (the seed): the base and validation files are read from their `path` in the schema.
/// An unusable contribution scores 0; an unusable schema or pool file is an error.
pub fn score_file(schema: &str, contribution: &Path) -> anyhow::Result<u16> {
    let s = Schema::parse(schema)?;
    let base = load(
        &s,
        &local(&s.base, "base")?,
        s.base.sha256,
        MAX_POOL_FILE_BYTES,
    )?;
    let v = Validation::open(&s, &local(&s.validation, "validation")?)?;
    let sha = Digest::of_file(contribution)?;
    let work = tempfile::tempdir()?;
    let outcome = score_contribution(
        &s,
        &base,
        &v,
        contribution,
        sha,
        MAX_POOL_FILE_BYTES,
        seed(0, 0),
        work.path(),
        &CancelFlag::default(),
    )?;
    Ok(outcome.score())
}
