use cosmwasm_std::{OverflowError, StdError, Uint128};
use deai_contract_input::InputError;
use thiserror::Error;

/// Every way an agent-marketplace message can fail. Messages never panic.
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

    #[error("bond {got} is below the minimum bond {min}")]
    BondTooLow { got: Uint128, min: Uint128 },

    #[error("agent {0} is already registered")]
    AgentExists(String),

    #[error("agent {0} is not registered")]
    AgentNotFound(String),

    #[error("agent {0} cannot take work: deregistered or bond below the minimum")]
    AgentInactive(String),

    #[error("payment {got} does not equal the agent's price {price}")]
    WrongPrice { got: Uint128, price: Uint128 },

    #[error("an agent cannot hire itself")]
    SelfHire,

    #[error("job {0} not found")]
    JobNotFound(u64),

    #[error("job {id} is {status}; this needs it {expected}")]
    WrongStatus {
        id: u64,
        status: String,
        expected: &'static str,
    },

    #[error("job {id}: the delivery deadline passed at height {deadline}")]
    DeadlinePassed { id: u64, deadline: u64 },

    #[error("job {id}: the dispute window closed at height {closed_at}")]
    DisputeWindowClosed { id: u64, closed_at: u64 },

    #[error("job {id}: the dispute window is open until height {open_until}")]
    DisputeWindowOpen { id: u64, open_until: u64 },

    #[error("job {id}: not expired before height {expires_after}")]
    NotExpired { id: u64, expires_after: u64 },

    #[error("job {0} was already rated")]
    AlreadyRated(u64),

    #[error("the agent has {0} open jobs; its bond stays until they settle")]
    OpenJobs(u32),
}

impl ContractError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ContractError::Input(InputError::invalid(field, reason))
    }
}
