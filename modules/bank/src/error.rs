//! bank's errors, in codespace "bank". Codes are stable: never renumber or reuse one.
//! Codes 2 to 5 are the SDK's x/bank numbers; 8 predates this list and stays (the SDK's
//! "multiple senders" is 9); 10 and up are deai's own.

use std::fmt;

use deai_framework::{Address, TxError};

use crate::MODULE_NAME;

pub const ERR_NO_INPUTS: u32 = 2;
pub const ERR_NO_OUTPUTS: u32 = 3;
pub const ERR_INPUT_OUTPUT_MISMATCH: u32 = 4;
pub const ERR_SEND_DISABLED: u32 = 5;
pub const ERR_MULTIPLE_SENDERS: u32 = 8;
/// A plain transfer to a module account (the SDK's "is not allowed to receive funds").
pub const ERR_BLOCKED_RECIPIENT: u32 = 10;
/// `mint` without the minter permission, or `burn` without the burner permission.
pub const ERR_MISSING_PERMISSION: u32 = 11;
/// A module function named a module that has no module account.
pub const ERR_UNKNOWN_MODULE_ACCOUNT: u32 = 12;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BankError {
    NoInputs,
    NoOutputs,
    InputOutputMismatch,
    SendDisabled { denom: String },
    MultipleSenders,
    BlockedRecipient { address: Address },
    MissingPermission { module: String, permission: String },
    UnknownModuleAccount { module: String },
}

impl BankError {
    pub fn code(&self) -> u32 {
        match self {
            BankError::NoInputs => ERR_NO_INPUTS,
            BankError::NoOutputs => ERR_NO_OUTPUTS,
            BankError::InputOutputMismatch => ERR_INPUT_OUTPUT_MISMATCH,
            BankError::SendDisabled { .. } => ERR_SEND_DISABLED,
            BankError::MultipleSenders => ERR_MULTIPLE_SENDERS,
            BankError::BlockedRecipient { .. } => ERR_BLOCKED_RECIPIENT,
            BankError::MissingPermission { .. } => ERR_MISSING_PERMISSION,
            BankError::UnknownModuleAccount { .. } => ERR_UNKNOWN_MODULE_ACCOUNT,
        }
    }
}

impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BankError::NoInputs => f.write_str("no inputs to send transaction"),
            BankError::NoOutputs => f.write_str("no outputs to send transaction"),
            BankError::InputOutputMismatch => f.write_str("sum inputs != sum outputs"),
            BankError::SendDisabled { denom } => {
                write!(f, "{denom} transfers are currently disabled")
            }
            BankError::MultipleSenders => f.write_str("multiple senders not allowed"),
            BankError::BlockedRecipient { address } => {
                write!(f, "{address} is not allowed to receive funds")
            }
            BankError::MissingPermission { module, permission } => write!(
                f,
                "module account {module} does not have the {permission} permission"
            ),
            BankError::UnknownModuleAccount { module } => write!(
                f,
                "module account {module} does not exist; its module creates it in init_genesis"
            ),
        }
    }
}

impl std::error::Error for BankError {}

impl From<BankError> for TxError {
    fn from(e: BankError) -> Self {
        TxError::new(MODULE_NAME, e.code(), e.to_string())
    }
}
