//! data's errors, in codespace "data". Codes are stable: never renumber or reuse one; new
//! errors take the next free code. None is code 1 (internal), which halts the node.

use deai_framework::TxError;

use crate::MODULE_NAME;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("dataset {0} not found")]
    DatasetNotFound(u64),
    #[error("only the {0} may do this")]
    Unauthorized(&'static str),
    #[error("invalid {field}: must be 32 bytes, got {got}")]
    BadHashLength { field: &'static str, got: usize },
    #[error("invalid metadata: {0}")]
    BadMetadata(String),
    #[error("invalid uri: {0}")]
    BadUri(String),
    #[error("denom mismatch: {0}")]
    DenomMismatch(String),
    #[error("access must be open, encrypted or compute_to_data")]
    BadAccess,
    #[error("{0} must be positive")]
    ZeroAmount(&'static str),
}

pub const ERR_INVALID_PARAMS: u32 = 2;
pub const ERR_INVALID_GENESIS: u32 = 3;
pub const ERR_DATASET_NOT_FOUND: u32 = 4;
pub const ERR_UNAUTHORIZED: u32 = 5;
pub const ERR_BAD_HASH_LENGTH: u32 = 6;
pub const ERR_BAD_METADATA: u32 = 7;
pub const ERR_BAD_URI: u32 = 8;
pub const ERR_DENOM_MISMATCH: u32 = 9;
pub const ERR_BAD_ACCESS: u32 = 10;
pub const ERR_ZERO_AMOUNT: u32 = 11;

impl DataError {
    pub fn code(&self) -> u32 {
        use DataError::*;
        match self {
            InvalidParams(_) => ERR_INVALID_PARAMS,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
            DatasetNotFound(_) => ERR_DATASET_NOT_FOUND,
            Unauthorized(_) => ERR_UNAUTHORIZED,
            BadHashLength { .. } => ERR_BAD_HASH_LENGTH,
            BadMetadata(_) => ERR_BAD_METADATA,
            BadUri(_) => ERR_BAD_URI,
            DenomMismatch(_) => ERR_DENOM_MISMATCH,
            BadAccess => ERR_BAD_ACCESS,
            ZeroAmount(_) => ERR_ZERO_AMOUNT,
        }
    }
}

impl From<DataError> for TxError {
    fn from(e: DataError) -> Self {
        TxError::new(MODULE_NAME, e.code(), e.to_string())
    }
}
