use cosmwasm_std::{OverflowError, StdError, Uint128};
use deai_contract_input::InputError;
use thiserror::Error;

/// Every way a model-marketplace message can fail. Messages never panic.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Overflow(#[from] OverflowError),

    #[error("unauthorized: only {0} may do this")]
    Unauthorized(&'static str),

    /// A failed input or funds check (shared by deai's contracts).
    #[error(transparent)]
    Input(#[from] InputError),

    #[error("deai query failed: {0}")]
    DeaiQuery(String),

    #[error("inference model {0} does not exist")]
    ModelNotFound(u64),

    #[error("inference model {0} is retired")]
    ModelInactive(u64),

    #[error("the sender does not own inference model {0}")]
    NotModelOwner(u64),

    #[error("model {model_id} evaluation score {score} bps is below the minimum {min} bps")]
    EvalScoreTooLow { model_id: u64, score: u32, min: u32 },

    #[error("training task {0} has no lineage")]
    LineageNotFound(u64),

    #[error("training task {task} did not produce model {model_id}")]
    LineageMismatch { task: u64, model_id: u64 },

    #[error("model {model_id} is already listed as listing {listing_id}")]
    ModelAlreadyListed { model_id: u64, listing_id: u64 },

    #[error("listing {0} not found")]
    ListingNotFound(u64),

    #[error("model {0} has no listing")]
    ModelNotListed(u64),

    #[error("listing {0} is not active")]
    ListingInactive(u64),

    #[error("listing {listing_id} does not offer {kind} licences")]
    KindNotOffered { listing_id: u64, kind: &'static str },

    #[error("payment {got} does not equal the price {price}")]
    WrongPrice { got: Uint128, price: Uint128 },

    #[error("token {0} not found")]
    TokenNotFound(String),

    #[error("licence {token_id} has {remaining} uses left, {requested} requested")]
    InsufficientUses {
        token_id: String,
        remaining: u64,
        requested: u64,
    },

    #[error("licence {0} was already rated")]
    AlreadyRated(String),
}

impl ContractError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ContractError::Input(InputError::invalid(field, reason))
    }
}
