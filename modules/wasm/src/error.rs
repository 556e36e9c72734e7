//! wasm's errors, in codespace "wasm", with wasmd's own numbers (x/wasm/types/errors.go), so
//! that clients that know wasmd (cosmjs) show the right thing. Codes are stable: never
//! renumber or reuse one. wasmd's codes that need the vm (create/instantiate/execute
//! failures, query failures, …) are reserved with wasmd's meaning; see docs/errors.md.
//!
//! As in wasmd, some failures use the SDK's codes instead: unauthorized (4) for an upload,
//! admin or access-config change the policy refuses, invalid request (18) for code bytes
//! that are empty or too large and for an unknown contract in an admin change.

use deai_framework::TxError;

use crate::MODULE_NAME;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WasmError {
    /// Storing code failed (not wasm, bad gzip, …). Logs as wasmd's `ErrCreateFailed`.
    #[error("{0}: create wasm contract failed")]
    CreateFailed(String),
    #[error("{0}: invalid genesis")]
    InvalidGenesis(String),
    #[error("{0}: not found")]
    NotFound(String),
    #[error("{0}: empty")]
    Empty(String),
    #[error("{0}: exceeds limit")]
    Limit(String),
    #[error("{0}: invalid")]
    Invalid(String),
    #[error("{0}: duplicate")]
    Duplicate(String),
    /// No contract at an address (wasmd's `ErrNoSuchContractFn`).
    #[error("address {0}: no such contract")]
    NoSuchContract(String),
    /// No code with an id (wasmd's `ErrNoSuchCodeFn`).
    #[error("code id {0}: no such code")]
    NoSuchCode(u64),
}

pub const ERR_CREATE_FAILED: u32 = 2;
/// Reserved (wasmd): contract account already exists.
pub const ERR_ACCOUNT_EXISTS: u32 = 3;
/// Reserved (wasmd): instantiate failed.
pub const ERR_INSTANTIATE_FAILED: u32 = 4;
/// Reserved (wasmd): execute failed.
pub const ERR_EXECUTE_FAILED: u32 = 5;
/// Reserved (wasmd): insufficient gas.
pub const ERR_GAS_LIMIT: u32 = 6;
pub const ERR_INVALID_GENESIS: u32 = 7;
pub const ERR_NOT_FOUND: u32 = 8;
/// Reserved (wasmd): smart query failed.
pub const ERR_QUERY_FAILED: u32 = 9;
/// Reserved (wasmd): invalid CosmosMsg from a contract.
pub const ERR_INVALID_MSG: u32 = 10;
/// Reserved (wasmd): migrate failed.
pub const ERR_MIGRATION_FAILED: u32 = 11;
pub const ERR_EMPTY: u32 = 12;
pub const ERR_LIMIT: u32 = 13;
pub const ERR_INVALID: u32 = 14;
pub const ERR_DUPLICATE: u32 = 15;
/// wasmd's `ErrInvalidEvent`: a contract's event or attribute breaks the rules (empty or
/// reserved `_` key, type too short).
pub const ERR_INVALID_EVENT: u32 = 21;
pub const ERR_NO_SUCH_CONTRACT: u32 = 22;
/// Reserved (wasmd): max query stack size exceeded.
pub const ERR_EXCEED_MAX_QUERY_STACK_SIZE: u32 = 27;
pub const ERR_NO_SUCH_CODE: u32 = 28;
/// Reserved (wasmd): wasmvm error.
pub const ERR_VM_ERROR: u32 = 29;
/// Reserved (wasmd): max call depth exceeded.
pub const ERR_EXCEED_MAX_CALL_DEPTH: u32 = 30;

impl WasmError {
    pub fn code(&self) -> u32 {
        use WasmError::*;
        match self {
            CreateFailed(_) => ERR_CREATE_FAILED,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
            NotFound(_) => ERR_NOT_FOUND,
            Empty(_) => ERR_EMPTY,
            Limit(_) => ERR_LIMIT,
            Invalid(_) => ERR_INVALID,
            Duplicate(_) => ERR_DUPLICATE,
            NoSuchContract(_) => ERR_NO_SUCH_CONTRACT,
            NoSuchCode(_) => ERR_NO_SUCH_CODE,
        }
    }
}

impl From<WasmError> for TxError {
    fn from(e: WasmError) -> Self {
        TxError::new(MODULE_NAME, e.code(), e.to_string())
    }
}
