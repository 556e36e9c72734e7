//! Dataset loading (CSV, gzip-compressed CSV, safetensors), hash verification and the
//! seeded train/test split.

use std::io::Read;
use std::path::{Path, PathBuf};

use deai_worker_jobs::rng::split_rows;
use deai_worker_jobs::spec::{
    DataFormat, DatasetRef, ModelSpec, SplitSpec, Subset, MAX_DATASET_BYTES,
};
use deai_worker_jobs::tensors::{self, safetensors};
use deai_worker_jobs::Digest;
use tch::{Kind, Tensor};

use crate::error::EngineError;

/// A dataset in host memory: `rows × cols` features and one class label per row.
pub struct Dataset {
    pub path: PathBuf,
    pub sha256: Digest,
    pub rows: usize,
    pub cols: usize,
    pub features: Vec<f32>,
    pub labels: Vec<i64>,
}

/// Rows selected from a dataset, as tensors.
pub struct Part {
    pub x: Tensor,
    pub y: Tensor,
    pub rows: usize,
}

/// The handwritten-digits CSV (1,797 8×8 images) that scikit-learn ships, in the venv
/// `worker/setup-libtorch.sh` makes under `$DEAI_CACHE` (default /var/cache/deai).
/// `DEAI_DIGITS_CSV` overrides it. The one place that knows this path: tests, the
/// benchmark and the examples use it.
pub fn digits_path() -> PathBuf {
    if let Some(p) = std::env::var_os("DEAI_DIGITS_CSV") {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("DEAI_CACHE").unwrap_or_else(|| "/var/cache/deai".into());
    PathBuf::from(cache)
        .join("venv/lib/python3.11/site-packages/sklearn/datasets/data/digits.csv.gz")
}

/// Reads at most `limit` bytes from `r`; more is an error, so nothing larger is ever
/// held in memory.
fn read_bounded(r: impl Read, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    r.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("{what}: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!("{what} exceeds the {limit}-byte limit on datasets"));
    }
    Ok(out)
}

/// Reads the file at `path`, checks it against `r.sha256`, and parses it. The bytes
/// that are hashed are the bytes that are parsed. The file and its decompressed form are
/// each bounded by `MAX_DATASET_BYTES` before they are read into memory.
pub fn load(path: &Path, r: &DatasetRef) -> Result<Dataset, EngineError> {
    load_bounded(path, r, MAX_DATASET_BYTES)
}

/// `load` with another bound on the file and on its decompressed form.
pub fn load_bounded(path: &Path, r: &DatasetRef, limit: u64) -> Result<Dataset, EngineError> {
    let bad = |message: String| EngineError::Dataset {
        path: path.into(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| EngineError::io(path, e))?;
    let bytes = read_bounded(file, limit, "the file").map_err(bad)?;
    let actual = Digest::of(&bytes);
    if actual != r.sha256 {
        return Err(EngineError::HashMismatch {
            path: path.into(),
            expected: r.sha256,
            actual,
        });
    }
    let (rows, cols, mut features, labels) = match r.format {
        DataFormat::Csv => {
            let text = decompress_if_gzip(&bytes, limit).map_err(bad)?;
            let text = std::str::from_utf8(&text).map_err(|_| bad("not UTF-8 text".into()))?;
            parse_csv(text, r.header, r.label_column).map_err(bad)?
        }
        DataFormat::Safetensors => {
            parse_safetensors(&bytes, &r.features_key, &r.labels_key).map_err(bad)?
        }
    };
    if rows == 0 {
        return Err(bad("no rows".into()));
    }
    if r.feature_scale != 1.0 {
        for v in features.iter_mut() {
            *v = (f64::from(*v) * r.feature_scale) as f32;
        }
    }
    if let Some(i) = features.iter().position(|v| !v.is_finite()) {
        return Err(bad(format!(
            "row {}: feature {} is not finite",
            i / cols + 1,
            i % cols
        )));
    }
    Ok(Dataset {
        path: path.into(),
        sha256: actual,
        rows,
        cols,
        features,
        labels,
    })
}

fn decompress_if_gzip(bytes: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        // Multi-member gzip, like gunzip; stopped at the limit, so a bomb costs nothing.
        let gz = flate2::read::MultiGzDecoder::new(bytes);
        read_bounded(gz, limit, "gzip: the decompressed data")
    } else {
        Ok(bytes.to_vec())
    }
}

type Parsed = (usize, usize, Vec<f32>, Vec<i64>);

fn parse_csv(text: &str, header: bool, label_column: i64) -> Result<Parsed, String> {
    let mut width = None;
    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut rows = 0usize;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if (header && n == 0) || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let w = *width.get_or_insert(fields.len());
        if fields.len() != w {
            return Err(format!(
                "line {line_no}: {} columns, earlier lines have {w}",
                fields.len()
            ));
        }
        if w < 2 {
            return Err(format!(
                "line {line_no}: need at least one feature and a label column"
            ));
        }
        let label_idx = resolve_column(label_column, w)
            .ok_or_else(|| format!("label_column {label_column} is outside the {w} columns"))?;
        for (c, field) in fields.iter().enumerate() {
            let v: f64 = field
                .parse()
                .map_err(|_| format!("line {line_no}, column {c}: {field:?} is not a number"))?;
            if c == label_idx {
                labels.push(to_label(v).ok_or_else(|| {
                    format!("line {line_no}: label {field:?} is not a non-negative integer")
                })?);
            } else {
                features.push(v as f32);
            }
        }
        rows += 1;
    }
    let cols = width.map_or(0, |w| w - 1);
    Ok((rows, cols, features, labels))
}

fn resolve_column(c: i64, width: usize) -> Option<usize> {
    let w = i64::try_from(width).ok()?;
    let i = if c < 0 { w + c } else { c };
    (0..w).contains(&i).then_some(i as usize)
}

fn to_label(v: f64) -> Option<i64> {
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e15).then_some(v as i64)
}

fn parse_safetensors(bytes: &[u8], fkey: &str, lkey: &str) -> Result<Parsed, String> {
    let st =
        safetensors::SafeTensors::deserialize(bytes).map_err(|e| format!("safetensors: {e:?}"))?;
    let f = st
        .tensor(fkey)
        .map_err(|_| format!("no tensor named {fkey:?}"))?;
    let l = st
        .tensor(lkey)
        .map_err(|_| format!("no tensor named {lkey:?}"))?;
    let [rows, cols] = *f.shape() else {
        return Err(format!("{fkey:?} must be 2-D, has shape {:?}", f.shape()));
    };
    if l.shape() != [rows] {
        return Err(format!(
            "{lkey:?} must have shape [{rows}], has {:?}",
            l.shape()
        ));
    }
    let features = tensors::floats(fkey, &f)?;
    let labels = tensors::ints(lkey, &l)?;
    if let Some(i) = labels.iter().position(|&v| v < 0) {
        return Err(format!("row {}: label {} is negative", i + 1, labels[i]));
    }
    Ok((rows, cols, features, labels))
}

impl Dataset {
    /// Fails, before any work, if the data does not fit the model.
    pub fn check_fits(&self, model: &ModelSpec) -> Result<(), EngineError> {
        if self.cols as u64 != model.inputs() {
            return Err(EngineError::Shape(format!(
                "dataset {} has {} features per row but the model takes {}",
                self.path.display(),
                self.cols,
                model.inputs()
            )));
        }
        let classes = model.classes() as i64;
        if let Some(i) = self.labels.iter().position(|&v| v >= classes) {
            return Err(EngineError::Shape(format!(
                "dataset {} row {}: label {} is outside 0..{classes} (model.classes)",
                self.path.display(),
                i + 1,
                self.labels[i]
            )));
        }
        Ok(())
    }

    /// The seeded (train, test) split; the training part is only the spec's shard of it,
    /// if it names one.
    pub fn split(&self, s: &SplitSpec) -> Result<(Part, Part), EngineError> {
        let (train, test) = split_rows(self.rows, s);
        if let (Some(shard), true, false) = (&s.shard, train.is_empty(), test.is_empty()) {
            return Err(EngineError::Dataset {
                path: self.path.clone(),
                message: format!(
                    "shard {} of {} of the training rows is empty",
                    shard.index, shard.count
                ),
            });
        }
        if train.is_empty() || test.is_empty() {
            return Err(EngineError::Dataset {
                path: self.path.clone(),
                message: format!(
                    "{} rows are too few for test_fraction {}",
                    self.rows, s.test_fraction
                ),
            });
        }
        Ok((self.select(&train)?, self.select(&test)?))
    }

    pub fn subset(&self, s: &SplitSpec, which: Subset) -> Result<Part, EngineError> {
        match which {
            Subset::All => self.select(&(0..self.rows).collect::<Vec<_>>()),
            Subset::Train => Ok(self.split(s)?.0),
            Subset::Test => Ok(self.split(s)?.1),
        }
    }

    fn select(&self, rows: &[usize]) -> Result<Part, EngineError> {
        let mut x = Vec::with_capacity(rows.len() * self.cols);
        let mut y = Vec::with_capacity(rows.len());
        for &r in rows {
            x.extend_from_slice(&self.features[r * self.cols..(r + 1) * self.cols]);
            y.push(self.labels[r]);
        }
        let n = rows.len() as i64;
        let x = Tensor::f_from_slice(&x)?.f_reshape([n, self.cols as i64])?;
        let y = Tensor::f_from_slice(&y)?.f_to_kind(Kind::Int64)?;
        Ok(Part {
            x,
            y,
            rows: rows.len(),
        })
    }
}

/// Writes a dataset as safetensors (`features`: F32 `[rows, cols]`, `labels`: I64
/// `[rows]`), the format `DataFormat::Safetensors` reads by default.
pub fn write_safetensors_dataset(
    path: &Path,
    cols: usize,
    features: &[f32],
    labels: &[i64],
) -> Result<(), EngineError> {
    use safetensors::tensor::Dtype;
    let rows = labels.len();
    if features.len() != rows * cols {
        return Err(EngineError::Shape(format!(
            "{} features do not fill {rows} rows of {cols}",
            features.len()
        )));
    }
    let f = RawView {
        dtype: Dtype::F32,
        shape: vec![rows, cols],
        data_le: features.iter().flat_map(|v| v.to_le_bytes()).collect(),
    };
    let l = RawView {
        dtype: Dtype::I64,
        shape: vec![rows],
        data_le: labels.iter().flat_map(|v| v.to_le_bytes()).collect(),
    };
    let bytes = safetensors::tensor::serialize([("features", &f), ("labels", &l)], &None)
        .map_err(|e| EngineError::Shape(format!("cannot serialise safetensors: {e:?}")))?;
    crate::state::write_atomic(path, &bytes)
}

struct RawView {
    dtype: safetensors::tensor::Dtype,
    shape: Vec<usize>,
    data_le: Vec<u8>,
}

impl safetensors::tensor::View for &RawView {
    fn dtype(&self) -> safetensors::tensor::Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.data_le)
    }
    fn data_len(&self) -> usize {
        self.data_le.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_parses_and_reports_bad_lines() {
        let (rows, cols, f, l) = parse_csv("a,b,y\n1,2,0\n3,4,1\n", true, -1).unwrap();
        assert_eq!((rows, cols), (2, 2));
        assert_eq!(f, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(l, vec![0, 1]);
        let (_, _, f, l) = parse_csv("0,1,2\n1,3,4\n", false, 0).unwrap();
        assert_eq!((f, l), (vec![1.0, 2.0, 3.0, 4.0], vec![0, 1]));
        assert_eq!(
            parse_csv("1,2,0\n1,x,0\n", false, -1).unwrap_err(),
            "line 2, column 1: \"x\" is not a number"
        );
        assert!(parse_csv("1,2,0\n1,2\n", false, -1)
            .unwrap_err()
            .starts_with("line 2: 2 columns"));
        assert!(parse_csv("1,2,0.5\n", false, -1)
            .unwrap_err()
            .contains("not a non-negative integer"));
        assert!(parse_csv("1,2,0\n", false, 5)
            .unwrap_err()
            .contains("outside"));
    }
}
