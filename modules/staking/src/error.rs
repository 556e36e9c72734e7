//! staking's errors, in codespace "staking", with the Cosmos SDK's numbers
//! (x/staking/types/errors.go, v0.50) where the SDK has the error; deai's own codes start at
//! 100 so that they can never collide with a code the SDK adds later. Never renumber or reuse a
//! code. Where the SDK answers with an `sdk` codespace error (invalid request, invalid coins,
//! unauthorized) deai does too (see `deai_framework::sdk`).

use deai_framework::TxError;

pub const CODESPACE: &str = crate::MODULE_NAME;

pub const ERR_EMPTY_VALIDATOR_ADDR: u32 = 2;
pub const ERR_NO_VALIDATOR_FOUND: u32 = 3;
pub const ERR_VALIDATOR_OWNER_EXISTS: u32 = 4;
pub const ERR_VALIDATOR_PUBKEY_EXISTS: u32 = 5;
pub const ERR_VALIDATOR_PUBKEY_TYPE_NOT_SUPPORTED: u32 = 6;
pub const ERR_VALIDATOR_JAILED: u32 = 7;
pub const ERR_COMMISSION_NEGATIVE: u32 = 9;
pub const ERR_COMMISSION_HUGE: u32 = 10;
pub const ERR_COMMISSION_GT_MAX_RATE: u32 = 11;
pub const ERR_COMMISSION_UPDATE_TIME: u32 = 12;
pub const ERR_COMMISSION_CHANGE_RATE_NEGATIVE: u32 = 13;
pub const ERR_COMMISSION_CHANGE_RATE_GT_MAX_RATE: u32 = 14;
pub const ERR_COMMISSION_GT_MAX_CHANGE_RATE: u32 = 15;
pub const ERR_SELF_DELEGATION_BELOW_MINIMUM: u32 = 16;
pub const ERR_MIN_SELF_DELEGATION_DECREASED: u32 = 17;
pub const ERR_EMPTY_DELEGATOR_ADDR: u32 = 18;
pub const ERR_NO_DELEGATION: u32 = 19;
pub const ERR_INSUFFICIENT_SHARES: u32 = 22;
pub const ERR_NOT_ENOUGH_DELEGATION_SHARES: u32 = 24;
pub const ERR_NO_UNBONDING_DELEGATION: u32 = 26;
pub const ERR_MAX_UNBONDING_DELEGATION_ENTRIES: u32 = 27;
pub const ERR_NO_REDELEGATION: u32 = 28;
pub const ERR_SELF_REDELEGATION: u32 = 29;
pub const ERR_TINY_REDELEGATION_AMOUNT: u32 = 30;
pub const ERR_BAD_REDELEGATION_DST: u32 = 31;
pub const ERR_TRANSITIVE_REDELEGATION: u32 = 32;
pub const ERR_MAX_REDELEGATION_ENTRIES: u32 = 33;
pub const ERR_DELEGATOR_SHARE_EX_RATE_INVALID: u32 = 34;
pub const ERR_NO_HISTORICAL_INFO: u32 = 38;
pub const ERR_EMPTY_VALIDATOR_PUBKEY: u32 = 39;
pub const ERR_COMMISSION_LT_MIN_RATE: u32 = 40;
pub const ERR_UNBONDING_NOT_FOUND: u32 = 41;
/// The SDK's `sdkerrors.ErrNotFound` (codespace `sdk`): MsgCancelUnbondingDelegation's answer
/// to a creation height without an entry.
pub const SDK_NOT_FOUND: u32 = 38;
// deai's own.
pub const ERR_INVALID_PARAMS: u32 = 100;
pub const ERR_INVALID_GENESIS: u32 = 101;
pub const ERR_INVALID_DESCRIPTION: u32 = 102;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StakingError {
    #[error("empty validator address")]
    EmptyValidatorAddr,
    #[error("validator {0} does not exist")]
    NoValidatorFound(String),
    #[error("validator already exist for this operator address; must use new validator operator address")]
    ValidatorOwnerExists,
    #[error("validator already exist for this pubkey; must use new validator pubkey")]
    ValidatorPubKeyExists,
    #[error("validator pubkey type is not supported: {0}")]
    PubKeyTypeNotSupported(String),
    #[error("validator {0} for this address is currently jailed")]
    ValidatorJailed(String),
    #[error("commission must be positive")]
    CommissionNegative,
    #[error("commission cannot be more than 100%")]
    CommissionHuge,
    #[error("commission cannot be more than the max rate")]
    CommissionGtMaxRate,
    #[error("commission cannot be changed more than once in 24h")]
    CommissionUpdateTime,
    #[error("commission change rate must be positive")]
    CommissionChangeRateNegative,
    #[error("commission change rate cannot be more than the max rate")]
    CommissionChangeRateGtMaxRate,
    #[error("commission cannot be changed more than max change rate")]
    CommissionGtMaxChangeRate,
    #[error("validator's self delegation must be greater than their minimum self delegation")]
    SelfDelegationBelowMinimum,
    #[error("minimum self delegation cannot be decrease")]
    MinSelfDelegationDecreased,
    #[error("empty delegator address")]
    EmptyDelegatorAddr,
    #[error("no delegation for (address, validator) tuple")]
    NoDelegation,
    #[error("insufficient delegation shares: {0}")]
    InsufficientShares(String),
    #[error("not enough delegation shares")]
    NotEnoughDelegationShares,
    #[error("no unbonding delegation found")]
    NoUnbondingDelegation,
    #[error("too many unbonding delegation entries for (delegator, validator) tuple")]
    MaxUnbondingDelegationEntries,
    #[error("no redelegation found")]
    NoRedelegation,
    #[error("cannot redelegate to the same validator")]
    SelfRedelegation,
    #[error("too few tokens to redelegate (truncates to zero tokens)")]
    TinyRedelegationAmount,
    #[error("redelegation destination validator not found")]
    BadRedelegationDst,
    #[error("redelegation to this validator already in progress; first redelegation to this validator must complete before next redelegation")]
    TransitiveRedelegation,
    #[error("too many redelegation entries for (delegator, src-validator, dst-validator) tuple")]
    MaxRedelegationEntries,
    #[error("cannot delegate to validators with invalid (zero) ex-rate")]
    DelegatorShareExRateInvalid,
    #[error("no historical info found at height {0}")]
    NoHistoricalInfo(i64),
    #[error("empty validator public key")]
    EmptyValidatorPubKey,
    #[error("commission cannot be less than min rate {0}")]
    CommissionLtMinRate(String),
    #[error("unbonding delegation entry is not found at block height {0}")]
    UnbondingNotFound(i64),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid description: {0}")]
    InvalidDescription(String),
}

impl StakingError {
    pub fn code(&self) -> u32 {
        use StakingError::*;
        match self {
            EmptyValidatorAddr => ERR_EMPTY_VALIDATOR_ADDR,
            NoValidatorFound(_) => ERR_NO_VALIDATOR_FOUND,
            ValidatorOwnerExists => ERR_VALIDATOR_OWNER_EXISTS,
            ValidatorPubKeyExists => ERR_VALIDATOR_PUBKEY_EXISTS,
            PubKeyTypeNotSupported(_) => ERR_VALIDATOR_PUBKEY_TYPE_NOT_SUPPORTED,
            ValidatorJailed(_) => ERR_VALIDATOR_JAILED,
            CommissionNegative => ERR_COMMISSION_NEGATIVE,
            CommissionHuge => ERR_COMMISSION_HUGE,
            CommissionGtMaxRate => ERR_COMMISSION_GT_MAX_RATE,
            CommissionUpdateTime => ERR_COMMISSION_UPDATE_TIME,
            CommissionChangeRateNegative => ERR_COMMISSION_CHANGE_RATE_NEGATIVE,
            CommissionChangeRateGtMaxRate => ERR_COMMISSION_CHANGE_RATE_GT_MAX_RATE,
            CommissionGtMaxChangeRate => ERR_COMMISSION_GT_MAX_CHANGE_RATE,
            SelfDelegationBelowMinimum => ERR_SELF_DELEGATION_BELOW_MINIMUM,
            MinSelfDelegationDecreased => ERR_MIN_SELF_DELEGATION_DECREASED,
            EmptyDelegatorAddr => ERR_EMPTY_DELEGATOR_ADDR,
            NoDelegation => ERR_NO_DELEGATION,
            InsufficientShares(_) => ERR_INSUFFICIENT_SHARES,
            NotEnoughDelegationShares => ERR_NOT_ENOUGH_DELEGATION_SHARES,
            NoUnbondingDelegation => ERR_NO_UNBONDING_DELEGATION,
            MaxUnbondingDelegationEntries => ERR_MAX_UNBONDING_DELEGATION_ENTRIES,
            NoRedelegation => ERR_NO_REDELEGATION,
            SelfRedelegation => ERR_SELF_REDELEGATION,
            TinyRedelegationAmount => ERR_TINY_REDELEGATION_AMOUNT,
            BadRedelegationDst => ERR_BAD_REDELEGATION_DST,
            TransitiveRedelegation => ERR_TRANSITIVE_REDELEGATION,
            MaxRedelegationEntries => ERR_MAX_REDELEGATION_ENTRIES,
            DelegatorShareExRateInvalid => ERR_DELEGATOR_SHARE_EX_RATE_INVALID,
            NoHistoricalInfo(_) => ERR_NO_HISTORICAL_INFO,
            EmptyValidatorPubKey => ERR_EMPTY_VALIDATOR_PUBKEY,
            CommissionLtMinRate(_) => ERR_COMMISSION_LT_MIN_RATE,
            UnbondingNotFound(_) => ERR_UNBONDING_NOT_FOUND,
            InvalidParams(_) => ERR_INVALID_PARAMS,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
            InvalidDescription(_) => ERR_INVALID_DESCRIPTION,
        }
    }
}

impl From<StakingError> for TxError {
    fn from(e: StakingError) -> Self {
        TxError::new(CODESPACE, e.code(), e.to_string())
    }
}

impl From<deai_framework::params::InvalidParam> for StakingError {
    fn from(e: deai_framework::params::InvalidParam) -> Self {
        StakingError::InvalidParams(e.0)
    }
}
