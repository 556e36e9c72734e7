//! attest's errors, in codespace "attest". Never renumber or reuse a code.

use deai_framework::TxError;

pub const CODESPACE: &str = crate::MODULE_NAME;

pub const ERR_INVALID_PARAMS: u32 = 100;
pub const ERR_INVALID_GENESIS: u32 = 101;
pub const ERR_SPEC_TOO_LARGE: u32 = 102;
pub const ERR_TOO_MANY_JOBS: u32 = 103;
pub const ERR_UNKNOWN_JOB: u32 = 104;
pub const ERR_INVALID_JOB: u32 = 105;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttestError {
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("attestation spec of {size} bytes exceeds {max}")]
    SpecTooLarge { size: usize, max: u32 },
    #[error("{0} attestation jobs are pending already (max_pending_jobs); try again later")]
    TooManyJobs(u32),
    #[error("unknown attestation job {0}")]
    UnknownJob(u64),
    #[error("invalid attestation job: {0}")]
    InvalidJob(String),
}

impl AttestError {
    pub fn code(&self) -> u32 {
        match self {
            AttestError::InvalidParams(_) => ERR_INVALID_PARAMS,
            AttestError::InvalidGenesis(_) => ERR_INVALID_GENESIS,
            AttestError::SpecTooLarge { .. } => ERR_SPEC_TOO_LARGE,
            AttestError::TooManyJobs(_) => ERR_TOO_MANY_JOBS,
            AttestError::UnknownJob(_) => ERR_UNKNOWN_JOB,
            AttestError::InvalidJob(_) => ERR_INVALID_JOB,
        }
    }
}

impl From<AttestError> for TxError {
    fn from(e: AttestError) -> Self {
        TxError::new(CODESPACE, e.code(), e.to_string())
    }
}
