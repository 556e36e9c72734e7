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
}

pub const ERR_INVALID_PARAMS: u32 = 2;
pub const ERR_INVALID_GENESIS: u32 = 3;

impl DataError {
    pub fn code(&self) -> u32 {
        use DataError::*;
        match self {
            InvalidParams(_) => ERR_INVALID_PARAMS,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
        }
    }
}

impl From<DataError> for TxError {
    fn from(e: DataError) -> Self {
        TxError::new(MODULE_NAME, e.code(), e.to_string())
    }
}
