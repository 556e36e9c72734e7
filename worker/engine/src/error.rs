use std::path::PathBuf;

use deai_worker_jobs::{Digest, SpecError};

/// Every way a job can fail. Messages are one line and name the offending input.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: sha256 is {actual}, expected {expected}", path.display())]
    HashMismatch {
        path: PathBuf,
        expected: Digest,
        actual: Digest,
    },
    #[error("dataset {}: {message}", path.display())]
    Dataset { path: PathBuf, message: String },
    #[error("shape mismatch: {0}")]
    Shape(String),
    #[error("weights {}: {message}", path.display())]
    Weights { path: PathBuf, message: String },
    #[error("loss is {value} at step {step}: training diverged (lower the learning rate?)")]
    NonFiniteLoss { step: u64, value: f64 },
    #[error("spec asks for device \"cuda\" but no CUDA device is available")]
    CudaUnavailable,
    #[error("{0}")]
    NotDeterministic(String),
    #[error("replay refused: {0}")]
    Budget(String),
    #[error("invalid replay request: {0}")]
    Request(String),
    #[error("cancelled")]
    Cancelled,
    #[error("result {}: {message}", path.display())]
    Result { path: PathBuf, message: String },
    #[error("libtorch: {}", first_line(&.0.to_string()))]
    Torch(#[from] tch::TchError),
}

impl EngineError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> EngineError {
        EngineError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Torch errors carry multi-line C++ context; keep the first line for one-line reports.
pub(crate) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}
