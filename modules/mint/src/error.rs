//! mint's errors, in codespace "mint". The SDK's x/mint (v0.50) registers no error codes of
//! its own: its params checks return plain errors and a wrong authority is x/gov's
//! `ErrInvalidSigner` (`deai_framework::authority`). deai's own codes start at 100, as in the
//! other SDK-compatible modules. Never renumber or reuse a code.

use deai_framework::TxError;

pub const CODESPACE: &str = crate::MODULE_NAME;

pub const ERR_INVALID_PARAMS: u32 = 100;
pub const ERR_INVALID_GENESIS: u32 = 101;
pub const ERR_INVALID_SPLIT: u32 = 102;
pub const ERR_UNKNOWN_MARKET: u32 = 103;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid emission split: {0}")]
    InvalidSplit(String),
    #[error("unknown market {0:?}")]
    UnknownMarket(String),
}

impl MintError {
    pub fn code(&self) -> u32 {
        match self {
            MintError::InvalidParams(_) => ERR_INVALID_PARAMS,
            MintError::InvalidGenesis(_) => ERR_INVALID_GENESIS,
            MintError::InvalidSplit(_) => ERR_INVALID_SPLIT,
            MintError::UnknownMarket(_) => ERR_UNKNOWN_MARKET,
        }
    }
}

impl From<MintError> for TxError {
    fn from(e: MintError) -> Self {
        TxError::new(CODESPACE, e.code(), e.to_string())
    }
}
