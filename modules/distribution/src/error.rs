//! distribution's errors, in codespace "distribution", with the Cosmos SDK v0.50 numbers
//! (x/distribution/types/errors.go); deai's own codes start at 100. Never renumber or reuse
//! a code.

use deai_framework::TxError;

pub const CODESPACE: &str = crate::MODULE_NAME;

pub const ERR_EMPTY_DELEGATOR_ADDR: u32 = 2;
pub const ERR_EMPTY_WITHDRAW_ADDR: u32 = 3;
pub const ERR_EMPTY_VALIDATOR_ADDR: u32 = 4;
pub const ERR_EMPTY_DELEGATION_DIST_INFO: u32 = 5;
pub const ERR_NO_VALIDATOR_DIST_INFO: u32 = 6;
pub const ERR_NO_VALIDATOR_COMMISSION: u32 = 7;
pub const ERR_SET_WITHDRAW_ADDR_DISABLED: u32 = 8;
pub const ERR_BAD_DISTRIBUTION: u32 = 9;
pub const ERR_INVALID_PROPOSAL_AMOUNT: u32 = 10;
pub const ERR_EMPTY_PROPOSAL_RECIPIENT: u32 = 11;
pub const ERR_NO_VALIDATOR_EXISTS: u32 = 12;
pub const ERR_NO_DELEGATION_EXISTS: u32 = 13;
// deai's own.
pub const ERR_INVALID_PARAMS: u32 = 100;
pub const ERR_INVALID_GENESIS: u32 = 101;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DistributionError {
    #[error("delegator address is empty")]
    EmptyDelegatorAddr,
    #[error("withdraw address is empty")]
    EmptyWithdrawAddr,
    #[error("validator address is empty")]
    EmptyValidatorAddr,
    #[error("no delegation distribution info")]
    EmptyDelegationDistInfo,
    #[error("no validator distribution info")]
    NoValidatorDistInfo,
    #[error("no validator commission to withdraw")]
    NoValidatorCommission,
    #[error("set withdraw address disabled")]
    SetWithdrawAddrDisabled,
    #[error("community pool does not have sufficient coins to distribute")]
    BadDistribution,
    #[error("invalid community pool spend proposal amount")]
    InvalidProposalAmount,
    #[error("invalid community pool spend proposal recipient")]
    EmptyProposalRecipient,
    #[error("{0}: validator does not exist")]
    NoValidatorExists(String),
    #[error("delegation does not exist")]
    NoDelegationExists,
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
}

impl DistributionError {
    pub fn code(&self) -> u32 {
        use DistributionError::*;
        match self {
            EmptyDelegatorAddr => ERR_EMPTY_DELEGATOR_ADDR,
            EmptyWithdrawAddr => ERR_EMPTY_WITHDRAW_ADDR,
            EmptyValidatorAddr => ERR_EMPTY_VALIDATOR_ADDR,
            EmptyDelegationDistInfo => ERR_EMPTY_DELEGATION_DIST_INFO,
            NoValidatorDistInfo => ERR_NO_VALIDATOR_DIST_INFO,
            NoValidatorCommission => ERR_NO_VALIDATOR_COMMISSION,
            SetWithdrawAddrDisabled => ERR_SET_WITHDRAW_ADDR_DISABLED,
            BadDistribution => ERR_BAD_DISTRIBUTION,
            InvalidProposalAmount => ERR_INVALID_PROPOSAL_AMOUNT,
            EmptyProposalRecipient => ERR_EMPTY_PROPOSAL_RECIPIENT,
            NoValidatorExists(_) => ERR_NO_VALIDATOR_EXISTS,
            NoDelegationExists => ERR_NO_DELEGATION_EXISTS,
            InvalidParams(_) => ERR_INVALID_PARAMS,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
        }
    }
}

impl From<DistributionError> for TxError {
    fn from(e: DistributionError) -> Self {
        TxError::new(CODESPACE, e.code(), e.to_string())
    }
}

impl From<deai_framework::params::InvalidParam> for DistributionError {
    fn from(e: deai_framework::params::InvalidParam) -> Self {
        DistributionError::InvalidParams(e.0)
    }
}
