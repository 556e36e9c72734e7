//! slashing's errors, in codespace "slashing", with the Cosmos SDK's numbers
//! (x/slashing/types/errors.go, v0.50); deai's own codes start at 100. Never renumber or reuse
//! a code.

use deai_framework::TxError;

pub const CODESPACE: &str = crate::MODULE_NAME;

pub const ERR_NO_VALIDATOR_FOR_ADDRESS: u32 = 2;
pub const ERR_BAD_VALIDATOR_ADDR: u32 = 3;
pub const ERR_VALIDATOR_JAILED: u32 = 4;
pub const ERR_VALIDATOR_NOT_JAILED: u32 = 5;
pub const ERR_MISSING_SELF_DELEGATION: u32 = 6;
pub const ERR_SELF_DELEGATION_TOO_LOW_TO_UNJAIL: u32 = 7;
pub const ERR_NO_SIGNING_INFO_FOUND: u32 = 8;
pub const ERR_VALIDATOR_TOMBSTONED: u32 = 9;
// deai's own.
pub const ERR_INVALID_PARAMS: u32 = 100;
pub const ERR_INVALID_GENESIS: u32 = 101;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlashingError {
    #[error("address is not associated with any known validator")]
    NoValidatorForAddress,
    #[error("validator does not exist for that address")]
    BadValidatorAddr,
    #[error("validator still jailed; cannot be unjailed")]
    ValidatorJailed,
    #[error("validator not jailed; cannot be unjailed")]
    ValidatorNotJailed,
    #[error("validator has no self-delegation; cannot be unjailed")]
    MissingSelfDelegation,
    #[error("validator's self delegation less than minimum; cannot be unjailed")]
    SelfDelegationTooLowToUnjail,
    #[error("no validator signing info found")]
    NoSigningInfoFound,
    #[error("validator already tombstoned")]
    ValidatorTombstoned,
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
}

impl SlashingError {
    pub fn code(&self) -> u32 {
        use SlashingError::*;
        match self {
            NoValidatorForAddress => ERR_NO_VALIDATOR_FOR_ADDRESS,
            BadValidatorAddr => ERR_BAD_VALIDATOR_ADDR,
            ValidatorJailed => ERR_VALIDATOR_JAILED,
            ValidatorNotJailed => ERR_VALIDATOR_NOT_JAILED,
            MissingSelfDelegation => ERR_MISSING_SELF_DELEGATION,
            SelfDelegationTooLowToUnjail => ERR_SELF_DELEGATION_TOO_LOW_TO_UNJAIL,
            NoSigningInfoFound => ERR_NO_SIGNING_INFO_FOUND,
            ValidatorTombstoned => ERR_VALIDATOR_TOMBSTONED,
            InvalidParams(_) => ERR_INVALID_PARAMS,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
        }
    }
}

impl From<SlashingError> for TxError {
    fn from(e: SlashingError) -> Self {
        TxError::new(CODESPACE, e.code(), e.to_string())
    }
}

impl From<deai_framework::params::InvalidParam> for SlashingError {
    fn from(e: deai_framework::params::InvalidParam) -> Self {
        SlashingError::InvalidParams(e.0)
    }
}
