//! The pool's on-chain `schema` as the default scorer reads it (docs/data.md, "Pool
//! validators"), and the map from an accuracy gain to a `score_u16`. Free of libtorch.
//!
//! ```json
//! {"scorer": "accuracy-gain/v1",
//!  "model": {"type": "logistic", "inputs": 64, "classes": 10},
//!  "data": {"format": "csv", "label_column": -1, "feature_scale": 0.0625},
//!  "base": {"sha256": "<hex>", "uri": "http://host/blobs/<hex>"},
//!  "validation": {"sha256": "<hex>", "uri": "http://host/blobs/<hex>"},
//!  "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 5, "batch_size": 32},
//!  "full_scale_gain_points": 5.0}
//! ```

use deai_worker_jobs::spec::{DataFormat, DatasetRef, ModelSpec, OptimizerSpec};
use deai_worker_jobs::Digest;
use serde::{Deserialize, Serialize};

/// The one scorer this worker implements.
pub const SCORER: &str = "accuracy-gain/v1";
/// The default gain, in percentage points of validation accuracy, that scores 65535.
pub const DEFAULT_FULL_SCALE_POINTS: f64 = 5.0;
/// Most epochs a pool may ask for per training run (two runs per contribution).
pub const MAX_EPOCHS: u32 = 1_000;

/// A pool's scoring terms.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Must be [`SCORER`].
    pub scorer: String,
    /// The model trained on the pool's data (the engine's model zoo).
    pub model: ModelSpec,
    /// How every file of the pool (base, validation, contributions) is read.
    #[serde(default)]
    pub data: DataSpec,
    /// The pool's seed data.
    pub base: FileRef,
    /// The held-out data the accuracy is measured on.
    pub validation: FileRef,
    pub training: TrainSpec,
    /// The gain, in percentage points of validation accuracy, that scores 65535.
    #[serde(default = "full_scale")]
    pub full_scale_gain_points: f64,
}

fn full_scale() -> f64 {
    DEFAULT_FULL_SCALE_POINTS
}

/// A file named by its sha256, with where to fetch it (`<artifact server>/blobs/<sha256>`)
/// and, for local use only (`score_file`), a path; the daemon never follows `path`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    pub sha256: Digest,
    #[serde(default)]
    pub uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// How every file of the pool is read: the engine's own dataset reference (`DatasetRef`:
/// format, header, label_column, features_key, labels_key, feature_scale, with its defaults
/// and checks) without its `sha256` and `path`, which each file supplies.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSpec(DatasetRef);

impl DataSpec {
    /// The engine's reference to the file of hash `sha256` read this way.
    pub fn dataset_ref(&self, sha256: Digest) -> DatasetRef {
        DatasetRef {
            sha256,
            path: None,
            ..self.0.clone()
        }
    }

    fn from_options(
        mut options: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, serde_json::Error> {
        use serde::de::Error;
        for key in ["sha256", "path"] {
            if options.contains_key(key) {
                return Err(serde_json::Error::custom(format!(
                    "data: `{key}` belongs to each file, not to the pool's reading options"
                )));
            }
        }
        options.insert("sha256".into(), Digest([0; 32]).to_hex().into());
        serde_json::from_value(options.into()).map(DataSpec)
    }
}

impl Default for DataSpec {
    fn default() -> Self {
        DataSpec(DatasetRef {
            sha256: Digest([0; 32]),
            path: None,
            format: DataFormat::Csv,
            header: false,
            label_column: -1,
            features_key: "features".into(),
            labels_key: "labels".into(),
            feature_scale: 1.0,
        })
    }
}

impl<'de> Deserialize<'de> for DataSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let options = serde_json::Map::deserialize(d)?;
        DataSpec::from_options(options).map_err(serde::de::Error::custom)
    }
}

impl Serialize for DataSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?;
        if let Some(m) = v.as_object_mut() {
            m.remove("sha256");
            m.remove("path");
        }
        v.serialize(s)
    }
}

/// Both training runs' terms (the seed is the scorer's: pool id and contribution id).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    pub optimizer: OptimizerSpec,
    pub epochs: u32,
    pub batch_size: u32,
}

impl Schema {
    /// Parses and checks a pool's schema; the error says what is wrong.
    pub fn parse(json: &str) -> anyhow::Result<Schema> {
        let s: Schema =
            serde_json::from_str(json).map_err(|e| anyhow::anyhow!("pool schema: {e}"))?;
        anyhow::ensure!(
            s.scorer == SCORER,
            "pool schema: scorer {:?} is not {SCORER:?}",
            s.scorer
        );
        anyhow::ensure!(
            (1..=MAX_EPOCHS).contains(&s.training.epochs),
            "pool schema: training.epochs must be in 1..={MAX_EPOCHS}"
        );
        let g = s.full_scale_gain_points;
        anyhow::ensure!(
            g.is_finite() && g > 0.0 && g <= 100.0,
            "pool schema: full_scale_gain_points must be in (0, 100], got {g}"
        );
        // The engine's own checks of the model, the reading options and the training terms.
        let mut spec = crate::score::train_spec(&s, Digest([0; 32]), 2, 0)?;
        spec.dataset = s.data.dataset_ref(Digest([0; 32]));
        spec.validate()
            .map_err(|e| anyhow::anyhow!("pool schema: {e}"))?;
        Ok(s)
    }
}

/// The score of a validation-accuracy gain (`after − before`, fractions of 1): 0 when the
/// gain is not positive, else `round(65535 × min(1, gain in points / full_scale_points))`.
pub fn gain_score(before: f64, after: f64, full_scale_points: f64) -> u16 {
    let points = (after - before) * 100.0;
    if !points.is_finite()
        || points <= 0.0
        || full_scale_points.is_nan()
        || full_scale_points <= 0.0
    {
        return 0;
    }
    let s = 65535.0 * (points / full_scale_points).min(1.0);
    s.round().clamp(0.0, 65535.0) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn schema_json(sha: &str) -> serde_json::Value {
        serde_json::json!({
            "scorer": SCORER,
            "model": {"type": "logistic", "inputs": 64, "classes": 10},
            "data": {"format": "csv", "feature_scale": 0.0625},
            "base": {"sha256": sha, "uri": format!("http://h/blobs/{sha}")},
            "validation": {"sha256": sha, "uri": format!("http://h/blobs/{sha}")},
            "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 3, "batch_size": 32}
        })
    }

    #[test]
    fn a_schema_parses_with_defaults_and_bad_ones_are_refused() {
        let sha = "ab".repeat(32);
        let s = Schema::parse(&schema_json(&sha).to_string()).unwrap();
        assert_eq!(s.full_scale_gain_points, DEFAULT_FULL_SCALE_POINTS);
        assert_eq!(s.data.dataset_ref(Digest([0; 32])).label_column, -1);
        assert_eq!(s.base.sha256.to_hex(), sha);

        let bad = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = schema_json(&sha);
            f(&mut v);
            Schema::parse(&v.to_string()).unwrap_err().to_string()
        };
        assert!(bad(&|v| v["scorer"] = "x".into()).contains("scorer"));
        assert!(bad(&|v| v["training"]["epochs"] = 0.into()).contains("epochs"));
        assert!(bad(&|v| v["training"]["epochs"] = 5000.into()).contains("epochs"));
        assert!(bad(&|v| v["full_scale_gain_points"] = 0.into()).contains("full_scale"));
        assert!(bad(&|v| v["training"]["batch_size"] = 0.into()).contains("batch_size"));
        assert!(bad(&|v| v["model"]["classes"] = 1.into()).contains("classes"));
        assert!(bad(&|v| v["data"]["feature_scale"] = 0.into()).contains("feature_scale"));
        assert!(bad(&|v| v["extra"] = 1.into()).contains("unknown field"));
        // The reading options are the engine's DatasetRef's, less what each file supplies.
        assert!(bad(&|v| v["data"]["colour"] = 1.into()).contains("unknown field"));
        assert!(bad(&|v| v["data"]["path"] = "/etc/passwd".into()).contains("each file"));
        assert!(bad(&|v| v["data"]["sha256"] = sha.clone().into()).contains("each file"));
        let round = serde_json::to_value(&s).unwrap();
        assert_eq!(round["data"].get("sha256"), None);
        assert_eq!(Schema::parse(&round.to_string()).unwrap(), s);
        assert!(bad(&|v| v["base"]["sha256"] = "00".into()).contains("pool schema"));
        assert!(Schema::parse("[]").is_err());
    }

    #[test]
    fn gains_map_to_scores_linearly_up_to_the_full_scale() {
        assert_eq!(gain_score(0.5, 0.5, 5.0), 0);
        assert_eq!(gain_score(0.5, 0.4, 5.0), 0);
        assert_eq!(gain_score(0.5, f64::NAN, 5.0), 0);
        assert_eq!(gain_score(0.50, 0.55, 5.0), 65535);
        assert_eq!(gain_score(0.10, 0.90, 5.0), 65535);
        assert_eq!(gain_score(0.500, 0.525, 5.0), 32768);
        assert_eq!(gain_score(0.5, 0.51, 10.0), 6554);
        assert!(gain_score(0.5, 0.501, 5.0) > 0);
    }
}
