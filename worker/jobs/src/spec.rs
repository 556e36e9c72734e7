//! Versioned JSON job specs. A spec is parsed, then validated as a whole, so that every
//! mistake is reported with the path of the field at fault before any work starts.

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// The only spec version this worker reads.
pub const SPEC_VERSION: u32 = 1;

/// What is wrong with a spec, and where (a JSON path such as `training.batch_size`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid spec: {path}: {message}")]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError {
            path: path.into(),
            message: message.into(),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Train,
    Evaluate,
    Infer,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    #[default]
    Cpu,
    Cuda,
}

/// Which rows of the split an evaluate or infer job reads.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Subset {
    #[default]
    Test,
    Train,
    All,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    pub version: u32,
    pub kind: JobKind,
    pub model: ModelSpec,
    pub dataset: DatasetRef,
    #[serde(default)]
    pub split: SplitSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingSpec>,
    /// The trained weights that evaluate and infer jobs run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<ArtifactRef>,
    #[serde(default)]
    pub subset: Subset,
    #[serde(default)]
    pub device: Device,
}

/// The model zoo. Parameter names are fixed per architecture (`fc0.weight`, ...), so
/// weights from one worker load in another.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum ModelSpec {
    Logistic {
        inputs: u32,
        classes: u32,
    },
    Mlp {
        inputs: u32,
        hidden: Vec<u32>,
        classes: u32,
    },
    /// Two 3×3 conv + 2×2 max-pool blocks, then a linear layer; for square images of
    /// side 8 or 28.
    Cnn {
        image_size: u32,
        #[serde(default = "one")]
        channels: u32,
        #[serde(default = "default_conv_channels")]
        conv_channels: [u32; 2],
        classes: u32,
    },
}

fn one() -> u32 {
    1
}

fn default_conv_channels() -> [u32; 2] {
    [8, 16]
}

impl ModelSpec {
    /// Number of input features per sample.
    pub fn inputs(&self) -> u64 {
        match self {
            ModelSpec::Logistic { inputs, .. } | ModelSpec::Mlp { inputs, .. } => {
                u64::from(*inputs)
            }
            ModelSpec::Cnn {
                image_size,
                channels,
                ..
            } => u64::from(*channels) * u64::from(*image_size) * u64::from(*image_size),
        }
    }

    pub fn classes(&self) -> u64 {
        match self {
            ModelSpec::Logistic { classes, .. }
            | ModelSpec::Mlp { classes, .. }
            | ModelSpec::Cnn { classes, .. } => u64::from(*classes),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    #[default]
    Csv,
    Safetensors,
}

/// A dataset, named by the sha256 of its file (for `.csv.gz`, of the compressed bytes).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetRef {
    pub sha256: Digest,
    /// Where this worker may find the file. A hint only: it is not part of the spec
    /// hash, and the file is checked against `sha256` before use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default)]
    pub format: DataFormat,
    /// CSV: whether the first line is a header to skip.
    #[serde(default)]
    pub header: bool,
    /// CSV: the label column; negative counts from the end (-1 is the last column).
    #[serde(default = "last_column")]
    pub label_column: i64,
    /// Safetensors: names of the feature (2-D, float) and label (1-D, integer) tensors.
    #[serde(default = "features_key")]
    pub features_key: String,
    #[serde(default = "labels_key")]
    pub labels_key: String,
    /// Every feature is multiplied by this (e.g. 1/16 for 4-bit pixel values).
    #[serde(default = "unit")]
    pub feature_scale: f64,
}

fn last_column() -> i64 {
    -1
}
fn features_key() -> String {
    "features".into()
}
fn labels_key() -> String {
    "labels".into()
}
fn unit() -> f64 {
    1.0
}

/// A file named by its sha256, with an optional local path hint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ArtifactRef {
    pub sha256: Digest,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    #[serde(default = "default_test_fraction")]
    pub test_fraction: f64,
    #[serde(default)]
    pub seed: u64,
    /// Keep only this shard of the training part (a training market's round gives each
    /// trainer one). Absent: the whole training part. The test part is never sharded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardSpec>,
}

/// Shard `index` of `count`: the rows of the training part at positions `i` (in the
/// split's order) with `i % count == index`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl ShardSpec {
    /// Whether position `i` of the training part belongs to this shard.
    pub fn keeps(&self, i: u64) -> bool {
        i % u64::from(self.count.max(1)) == u64::from(self.index)
    }

    /// How many of `n` positions this shard keeps: `ceil((n - index) / count)`, or 0.
    pub fn rows(&self, n: u64) -> u64 {
        let (index, count) = (u64::from(self.index), u64::from(self.count.max(1)));
        if index >= count {
            return 0;
        }
        n.saturating_sub(index).div_ceil(count)
    }
}

fn default_test_fraction() -> f64 {
    0.2
}

impl Default for SplitSpec {
    fn default() -> Self {
        SplitSpec {
            test_fraction: default_test_fraction(),
            seed: 0,
            shard: None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
    pub optimizer: OptimizerSpec,
    pub epochs: u32,
    pub batch_size: u32,
    /// Record a checkpoint every this many optimizer steps (and at step 0 and the end).
    pub checkpoint_every: u32,
    /// Seeds the weight initialisation and the batch order.
    pub seed: u64,
    /// Start from these weights (a safetensors file with the model's own parameter names
    /// and shapes, all F32) instead of the seeded initialisation; the seed then only orders
    /// the batches. The path is a local hint, not part of the spec hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_weights: Option<ArtifactRef>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum OptimizerSpec {
    Sgd {
        lr: f64,
        #[serde(default)]
        momentum: f64,
        #[serde(default)]
        weight_decay: f64,
    },
    Adam {
        lr: f64,
        #[serde(default = "beta1")]
        beta1: f64,
        #[serde(default = "beta2")]
        beta2: f64,
        #[serde(default = "eps")]
        eps: f64,
        #[serde(default)]
        weight_decay: f64,
    },
}

fn beta1() -> f64 {
    0.9
}
fn beta2() -> f64 {
    0.999
}
fn eps() -> f64 {
    1e-8
}

// Bounds that keep a job's cost and memory sane on a worker; generous for the model zoo.
const MAX_LAYERS: usize = 16;
const MAX_WIDTH: u32 = 65_536;
const MAX_CLASSES: u32 = 65_536;
const MAX_EPOCHS: u32 = 100_000;
const MAX_BATCH: u32 = 1 << 20;
/// Most parameters a model may have (256 MiB of f32; Adam's state and the gradients make
/// that 1 GiB). A stack of 16 layers 65,536 wide would otherwise ask for 275 GB.
pub const MAX_PARAMETERS: u64 = 1 << 26;
/// Largest dataset accepted, both as the file and after decompression (a gzip bomb is
/// cut off here, not in memory).
pub const MAX_DATASET_BYTES: u64 = 2 << 30;

impl JobSpec {
    /// Parses and validates a spec from JSON text.
    pub fn from_json(text: &str) -> Result<JobSpec, SpecError> {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| SpecError::new("$", format!("not valid JSON: {e}")))?;
        // Check the version first, so that a newer spec gets a version error rather
        // than a confusing field error.
        match value.get("version") {
            None => {
                return Err(SpecError::new(
                    "version",
                    "missing (this worker reads version 1)",
                ))
            }
            Some(v) if v.as_u64() != Some(u64::from(SPEC_VERSION)) => {
                return Err(SpecError::new(
                    "version",
                    format!("unsupported version {v} (this worker reads version {SPEC_VERSION})"),
                ))
            }
            Some(_) => {}
        }
        let spec: JobSpec = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { "$".to_string() } else { path };
            SpecError::new(path, e.into_inner().to_string())
        })?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks every constraint that serde's types do not express.
    pub fn validate(&self) -> Result<(), SpecError> {
        validate_model(&self.model)?;
        validate_dataset(&self.dataset)?;
        let f = self.split.test_fraction;
        if !(f.is_finite() && f > 0.0 && f < 1.0) {
            return Err(SpecError::new(
                "split.test_fraction",
                format!("must be in (0, 1), got {f}"),
            ));
        }
        if let Some(shard) = &self.split.shard {
            if shard.count == 0 {
                return Err(SpecError::new("split.shard.count", "must be at least 1"));
            }
            if shard.index >= shard.count {
                return Err(SpecError::new(
                    "split.shard.index",
                    format!("must be below count {}, got {}", shard.count, shard.index),
                ));
            }
        }
        match self.kind {
            JobKind::Train => {
                let Some(t) = &self.training else {
                    return Err(SpecError::new("training", "required for kind \"train\""));
                };
                validate_training(t)?;
                if self.weights.is_some() {
                    return Err(SpecError::new("weights", "not allowed for kind \"train\""));
                }
            }
            JobKind::Evaluate | JobKind::Infer => {
                if self.weights.is_none() {
                    return Err(SpecError::new(
                        "weights",
                        "required for kinds \"evaluate\" and \"infer\"",
                    ));
                }
                if self.training.is_some() {
                    return Err(SpecError::new(
                        "training",
                        "only allowed for kind \"train\"",
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn training(&self) -> Result<&TrainingSpec, SpecError> {
        self.training
            .as_ref()
            .ok_or_else(|| SpecError::new("training", "required for kind \"train\""))
    }

    /// sha256 of the spec's canonical JSON (fields in declaration order), without the
    /// local path hints, so every worker computes the same hash for the same job.
    pub fn hash(&self) -> Digest {
        let mut canonical = self.clone();
        canonical.dataset.path = None;
        if let Some(w) = canonical.weights.as_mut() {
            w.path = None;
        }
        if let Some(w) = canonical
            .training
            .as_mut()
            .and_then(|t| t.init_weights.as_mut())
        {
            w.path = None;
        }
        // Serialising plain structs of numbers and strings cannot fail.
        let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
        Digest::of(&bytes)
    }
}

fn validate_model(model: &ModelSpec) -> Result<(), SpecError> {
    let classes = model.classes() as u32;
    if !(2..=MAX_CLASSES).contains(&classes) {
        return Err(SpecError::new(
            "model.classes",
            format!("must be in 2..={MAX_CLASSES}, got {classes}"),
        ));
    }
    match model {
        ModelSpec::Logistic { inputs, .. } => check_width("model.inputs", *inputs)?,
        ModelSpec::Mlp { inputs, hidden, .. } => {
            check_width("model.inputs", *inputs)?;
            if hidden.len() > MAX_LAYERS {
                return Err(SpecError::new(
                    "model.hidden",
                    format!("at most {MAX_LAYERS} hidden layers, got {}", hidden.len()),
                ));
            }
            for (i, h) in hidden.iter().enumerate() {
                check_width(&format!("model.hidden[{i}]"), *h)?;
            }
        }
        ModelSpec::Cnn {
            image_size,
            channels,
            conv_channels,
            ..
        } => {
            if *image_size != 8 && *image_size != 28 {
                return Err(SpecError::new(
                    "model.image_size",
                    format!("must be 8 or 28, got {image_size}"),
                ));
            }
            if !(1..=4).contains(channels) {
                return Err(SpecError::new(
                    "model.channels",
                    format!("must be in 1..=4, got {channels}"),
                ));
            }
            for (i, c) in conv_channels.iter().enumerate() {
                if !(1..=256).contains(c) {
                    return Err(SpecError::new(
                        format!("model.conv_channels[{i}]"),
                        format!("must be in 1..=256, got {c}"),
                    ));
                }
            }
        }
    }
    match crate::init::parameter_count(model) {
        Some(n) if n <= MAX_PARAMETERS => Ok(()),
        n => Err(SpecError::new(
            "model",
            format!(
                "{} parameters, at most {MAX_PARAMETERS} are allowed",
                n.map_or("over 2^64".into(), |n| n.to_string())
            ),
        )),
    }
}

fn check_width(path: &str, w: u32) -> Result<(), SpecError> {
    if w == 0 || w > MAX_WIDTH {
        return Err(SpecError::new(
            path,
            format!("must be in 1..={MAX_WIDTH}, got {w}"),
        ));
    }
    Ok(())
}

fn validate_dataset(d: &DatasetRef) -> Result<(), SpecError> {
    if !(d.feature_scale.is_finite() && d.feature_scale != 0.0) {
        return Err(SpecError::new(
            "dataset.feature_scale",
            format!("must be finite and non-zero, got {}", d.feature_scale),
        ));
    }
    if d.format == DataFormat::Safetensors && d.header {
        return Err(SpecError::new(
            "dataset.header",
            "only meaningful for format \"csv\"",
        ));
    }
    Ok(())
}

fn validate_training(t: &TrainingSpec) -> Result<(), SpecError> {
    if !(1..=MAX_EPOCHS).contains(&t.epochs) {
        return Err(SpecError::new(
            "training.epochs",
            format!("must be in 1..={MAX_EPOCHS}, got {}", t.epochs),
        ));
    }
    if !(1..=MAX_BATCH).contains(&t.batch_size) {
        return Err(SpecError::new(
            "training.batch_size",
            format!("must be in 1..={MAX_BATCH}, got {}", t.batch_size),
        ));
    }
    if t.checkpoint_every == 0 {
        return Err(SpecError::new(
            "training.checkpoint_every",
            "must be at least 1",
        ));
    }
    let positive = |path: &str, v: f64| {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(SpecError::new(
                path,
                format!("must be finite and > 0, got {v}"),
            ))
        }
    };
    let unit_interval = |path: &str, v: f64| {
        if v.is_finite() && (0.0..1.0).contains(&v) {
            Ok(())
        } else {
            Err(SpecError::new(path, format!("must be in [0, 1), got {v}")))
        }
    };
    let non_negative = |path: &str, v: f64| {
        if v.is_finite() && v >= 0.0 {
            Ok(())
        } else {
            Err(SpecError::new(
                path,
                format!("must be finite and >= 0, got {v}"),
            ))
        }
    };
    match &t.optimizer {
        OptimizerSpec::Sgd {
            lr,
            momentum,
            weight_decay,
        } => {
            positive("training.optimizer.lr", *lr)?;
            unit_interval("training.optimizer.momentum", *momentum)?;
            non_negative("training.optimizer.weight_decay", *weight_decay)?;
        }
        OptimizerSpec::Adam {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } => {
            positive("training.optimizer.lr", *lr)?;
            unit_interval("training.optimizer.beta1", *beta1)?;
            unit_interval("training.optimizer.beta2", *beta2)?;
            positive("training.optimizer.eps", *eps)?;
            non_negative("training.optimizer.weight_decay", *weight_decay)?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
