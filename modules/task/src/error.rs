//! task's errors, in codespace "task", codes from 100 as in the other SDK-compatible
//! modules (a wrong authority is x/gov's `ErrInvalidSigner`, see `deai_framework::authority`).
//! Errors of the checks task borrows keep their own codespace: a bad training spec answers
//! with the training module's code, a refused code-check request with attest's. Never
//! renumber or reuse a code.

use deai_framework::TxError;

pub const CODESPACE: &str = crate::MODULE_NAME;

pub const ERR_INVALID_PARAMS: u32 = 100;
pub const ERR_INVALID_GENESIS: u32 = 101;
pub const ERR_INVALID_PROPOSAL: u32 = 102;
pub const ERR_TASK_NOT_FOUND: u32 = 103;
pub const ERR_NOT_IN_DEPOSIT_PERIOD: u32 = 104;
pub const ERR_NOT_IN_VOTING_PERIOD: u32 = 105;
pub const ERR_INVALID_VOTE: u32 = 106;
pub const ERR_INVALID_DEPOSIT: u32 = 107;
pub const ERR_LIMIT_EXCEEDED: u32 = 108;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid task proposal: {0}")]
    InvalidProposal(String),
    #[error("task {0} not found")]
    TaskNotFound(u64),
    #[error("task {0} is not in its deposit period")]
    NotInDepositPeriod(u64),
    #[error("task {0} is not in its voting period")]
    NotInVotingPeriod(u64),
    #[error("invalid vote: {0}")]
    InvalidVote(String),
    #[error("invalid deposit: {0}")]
    InvalidDeposit(String),
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
}

impl TaskError {
    pub fn code(&self) -> u32 {
        match self {
            TaskError::InvalidParams(_) => ERR_INVALID_PARAMS,
            TaskError::InvalidGenesis(_) => ERR_INVALID_GENESIS,
            TaskError::InvalidProposal(_) => ERR_INVALID_PROPOSAL,
            TaskError::TaskNotFound(_) => ERR_TASK_NOT_FOUND,
            TaskError::NotInDepositPeriod(_) => ERR_NOT_IN_DEPOSIT_PERIOD,
            TaskError::NotInVotingPeriod(_) => ERR_NOT_IN_VOTING_PERIOD,
            TaskError::InvalidVote(_) => ERR_INVALID_VOTE,
            TaskError::InvalidDeposit(_) => ERR_INVALID_DEPOSIT,
            TaskError::LimitExceeded(_) => ERR_LIMIT_EXCEEDED,
        }
    }
}

impl From<TaskError> for TxError {
    fn from(e: TaskError) -> Self {
        TxError::new(CODESPACE, e.code(), e.to_string())
    }
}
