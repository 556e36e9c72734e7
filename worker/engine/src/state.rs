//! Training state as host tensors: the canonical digests, and safetensors files for
//! weights and checkpoints.

use std::collections::BTreeMap;
use std::path::Path;

use deai_worker_jobs::init::{OPT_PREFIX, PARAM_PREFIX};
use deai_worker_jobs::tensors::safetensors::tensor::{Dtype, View};
use deai_worker_jobs::tensors::{self, safetensors};
use deai_worker_jobs::{canonical_digest, CanonicalTensor, Digest};
use tch::{Kind, Tensor};

use crate::error::EngineError;
use crate::model::Model;
use crate::optim::Optimizer;

/// An f32 tensor in host memory; data is row-major little-endian bytes. The fields are
/// private so that the data always fills the shape exactly: `to_tensor` hands the bytes
/// to libtorch, which trusts the length.
#[derive(Clone)]
pub struct HostTensor {
    shape: Vec<usize>,
    data_le: Vec<u8>,
}

impl HostTensor {
    /// Checks that `data_le` holds exactly the f32 elements `shape` calls for.
    pub fn new(shape: Vec<usize>, data_le: Vec<u8>) -> Result<HostTensor, EngineError> {
        let bytes = tensors::element_count(&shape).and_then(|n| n.checked_mul(4));
        if bytes != Some(data_le.len()) || shape.iter().any(|&d| i64::try_from(d).is_err()) {
            return Err(EngineError::Shape(format!(
                "{} bytes do not hold an f32 tensor of shape {shape:?}",
                data_le.len()
            )));
        }
        Ok(HostTensor { shape, data_le })
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn data_le(&self) -> &[u8] {
        &self.data_le
    }

    pub fn from_tensor(t: &Tensor) -> Result<HostTensor, EngineError> {
        let t = t
            .f_detach()?
            .f_to_device(tch::Device::Cpu)?
            .f_to_kind(Kind::Float)?
            .f_contiguous()?;
        let shape: Vec<usize> = t.size().iter().map(|&d| d as usize).collect();
        let values = Vec::<f32>::try_from(&t.f_flatten(0, -1)?)?;
        let data_le = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        HostTensor::new(shape, data_le)
    }

    pub fn to_tensor(&self) -> Result<Tensor, EngineError> {
        let shape: Vec<i64> = self.shape.iter().map(|&d| d as i64).collect();
        Ok(Tensor::f_from_data_size(
            &self.data_le,
            &shape,
            Kind::Float,
        )?)
    }
}

impl View for &HostTensor {
    fn dtype(&self) -> Dtype {
        Dtype::F32
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

pub type HostMap = BTreeMap<String, HostTensor>;
pub type TensorMap = BTreeMap<String, Tensor>;

/// sha256 of tensors sorted by name (see `deai_worker_jobs::digest::canonical_digest`).
pub fn digest(map: &HostMap) -> Digest {
    let shapes: Vec<Vec<u64>> = map
        .values()
        .map(|t| t.shape.iter().map(|&d| d as u64).collect())
        .collect();
    let mut items: Vec<CanonicalTensor<'_>> = map
        .iter()
        .zip(&shapes)
        .map(|((name, t), shape)| CanonicalTensor {
            name,
            dtype: "f32",
            shape,
            data_le: &t.data_le,
        })
        .collect();
    canonical_digest(&mut items)
}

pub fn weights(model: &Model) -> Result<HostMap, EngineError> {
    model
        .params
        .iter()
        .map(|(n, t)| Ok((n.clone(), HostTensor::from_tensor(t)?)))
        .collect()
}

/// The full training state: parameters under `param/`, optimizer slots under `opt/`.
pub fn training_state(model: &Model, opt: &Optimizer) -> Result<HostMap, EngineError> {
    let mut map = HostMap::new();
    for (n, t) in &model.params {
        map.insert(format!("{PARAM_PREFIX}{n}"), HostTensor::from_tensor(t)?);
    }
    for (n, t) in &opt.slots {
        map.insert(format!("{OPT_PREFIX}{n}"), HostTensor::from_tensor(t)?);
    }
    Ok(map)
}

/// Splits a training state back into (parameters, optimizer slots) as tensors.
pub fn split_state(map: &HostMap) -> Result<(TensorMap, TensorMap), EngineError> {
    let mut params = BTreeMap::new();
    let mut slots = BTreeMap::new();
    for (name, t) in map {
        if let Some(n) = name.strip_prefix(PARAM_PREFIX) {
            params.insert(n.to_string(), t.to_tensor()?);
        } else if let Some(n) = name.strip_prefix(OPT_PREFIX) {
            slots.insert(n.to_string(), t.to_tensor()?);
        } else {
            return Err(EngineError::Shape(format!(
                "checkpoint has unexpected tensor {name:?}"
            )));
        }
    }
    Ok((params, slots))
}

pub fn to_safetensors(map: &HostMap) -> Result<Vec<u8>, EngineError> {
    safetensors::tensor::serialize(map.iter(), &None)
        .map_err(|e| EngineError::Shape(format!("cannot serialise safetensors: {e:?}")))
}

/// Parses safetensors bytes; every tensor must be F32.
pub fn from_safetensors(bytes: &[u8], path: &Path) -> Result<HostMap, EngineError> {
    let bad = |message: String| EngineError::Weights {
        path: path.into(),
        message,
    };
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("not safetensors: {e:?}")))?;
    let mut map = HostMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(bad(format!(
                "tensor {name:?} has dtype {:?}, expected F32",
                view.dtype()
            )));
        }
        let t = HostTensor::new(view.shape().to_vec(), view.data().to_vec())
            .map_err(|e| bad(format!("tensor {name:?}: {e}")))?;
        map.insert(name, t);
    }
    Ok(map)
}

/// Writes a file atomically (temp file in the same directory, then rename), so a crash
/// never leaves a half-written result or checkpoint.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), EngineError> {
    let io = |e| EngineError::io(path, e);
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads a file of at most `limit` bytes and checks it against an expected sha256.
pub fn read_verified(path: &Path, expected: &Digest, limit: u64) -> Result<Vec<u8>, EngineError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| EngineError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| EngineError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(EngineError::Weights {
            path: path.into(),
            message: format!("larger than the {limit} bytes this model's weights can take"),
        });
    }
    let actual = Digest::of(&bytes);
    if actual != *expected {
        return Err(EngineError::HashMismatch {
            path: path.into(),
            expected: *expected,
            actual,
        });
    }
    Ok(bytes)
}
