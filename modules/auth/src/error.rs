//! auth's own errors, in codespace "auth". Codes are stable: never renumber or reuse one.
//! Errors the Cosmos SDK reports in its `sdk` codespace (bad signature, wrong sequence,
//! unknown address, …) keep those codes (`deai_framework::sdk`); these are the rest.

use std::fmt;

use deai_framework::{Address, TxError};

use crate::MODULE_NAME;

pub const ERR_INVALID_MODULE_NAME: u32 = 2;
pub const ERR_INVALID_PERMISSION: u32 = 3;
pub const ERR_DUPLICATE_PERMISSION: u32 = 4;
pub const ERR_MODULE_ADDRESS_MISMATCH: u32 = 5;
pub const ERR_ACCOUNT_EXISTS: u32 = 6;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthError {
    InvalidModuleName { name: String },
    InvalidPermission { permission: String },
    DuplicatePermission { permission: String },
    ModuleAddressMismatch { name: String, address: Address },
    AccountExists { address: Address },
}

impl AuthError {
    pub fn code(&self) -> u32 {
        match self {
            AuthError::InvalidModuleName { .. } => ERR_INVALID_MODULE_NAME,
            AuthError::InvalidPermission { .. } => ERR_INVALID_PERMISSION,
            AuthError::DuplicatePermission { .. } => ERR_DUPLICATE_PERMISSION,
            AuthError::ModuleAddressMismatch { .. } => ERR_MODULE_ADDRESS_MISMATCH,
            AuthError::AccountExists { .. } => ERR_ACCOUNT_EXISTS,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::InvalidModuleName { name } => {
                write!(f, "invalid module account name {name:?}")
            }
            AuthError::InvalidPermission { permission } => {
                write!(f, "invalid module account permission {permission:?}")
            }
            AuthError::DuplicatePermission { permission } => {
                write!(f, "duplicate module account permission {permission:?}")
            }
            AuthError::ModuleAddressMismatch { name, address } => write!(
                f,
                "module account {name}: address {address} is not the module's address {}",
                crate::module_address(name)
            ),
            AuthError::AccountExists { address } => write!(f, "account {address} already exists"),
        }
    }
}

impl From<AuthError> for TxError {
    fn from(e: AuthError) -> TxError {
        TxError::new(MODULE_NAME, e.code(), e.to_string())
    }
}
