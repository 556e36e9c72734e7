//! training's errors, in codespace "training". Codes are stable: never renumber or reuse one;
//! new errors take the next free code. None is code 1 (internal), which halts the node.

use deai_framework::TxError;

use crate::MODULE_NAME;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrainingError {
    #[error("task {0} not found")]
    TaskNotFound(u64),
    #[error("task {0} is finished")]
    TaskFinished(u64),
    #[error("invalid task spec: {0}")]
    InvalidSpec(String),
    #[error("base_spec must be 1..={max} bytes, got {got}")]
    SpecSize { got: usize, max: u32 },
    #[error("sha256 of base_spec does not match base_spec_sha256")]
    SpecHashMismatch,
    #[error("invalid {field}: must be 32 bytes, got {got}")]
    BadHashLength { field: &'static str, got: usize },
    #[error("denom mismatch: {0}")]
    DenomMismatch(String),
    #[error("reward pool {got} is below the minimum {min}")]
    PoolTooLow { got: String, min: String },
    #[error("{0} must be positive")]
    ZeroAmount(&'static str),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("{owner} is not registered in task {task}")]
    NotRegistered { task: u64, owner: String },
    #[error("{owner} is already registered in task {task}")]
    AlreadyRegistered { task: u64, owner: String },
    #[error("stake {got} is below the role's minimum {min}")]
    StakeTooLow { got: String, min: String },
    #[error("task {0} is full and every neuron is immune")]
    TaskFull(u64),
    #[error("only a {expected} may do this")]
    WrongRole { expected: &'static str },
    #[error("neuron {0} is jailed")]
    Jailed(String),
    #[error("task {task} is in round {current}, not {got}")]
    WrongRound { task: u64, current: u64, got: u64 },
    #[error("{action} is accepted at heights {opens}..{closes} of round {round} of task {task}; height {height} is in phase {phase}")]
    WrongPhase {
        action: &'static str,
        task: u64,
        round: u64,
        phase: &'static str,
        height: u64,
        opens: u64,
        closes: u64,
    },
    #[error("round {round} of task {task} awaits its base (the previous aggregate, or the end of the aggregate window at height {ready_by})")]
    BaseNotReady {
        task: u64,
        round: u64,
        ready_by: u64,
    },
    #[error("no commit to reveal")]
    NoCommit,
    #[error("already revealed")]
    AlreadyRevealed,
    #[error("the revealed values do not hash to the commit")]
    CommitMismatch,
    #[error("salt must be {min}..={max} bytes, got {got}")]
    BadSalt { got: usize, min: u32, max: u32 },
    #[error("checkpoint_hashes must be {min}..={max} hashes of 32 bytes, got {got}")]
    BadCheckpoints { got: usize, min: u32, max: u32 },
    #[error("invalid uri: {0}")]
    BadUri(String),
    #[error("invalid weights: {0}")]
    BadWeights(String),
    #[error("stake {have} is smaller than {want}")]
    InsufficientStake { have: String, want: String },
    #[error("at most {0} unbonding entries per neuron")]
    TooManyUnbonding(u32),
    #[error("{0} is accused by an open audit")]
    AccusedInOpenAudit(String),
    #[error("{signer} is not the aggregator of round {round}")]
    NotAggregator { signer: String, round: u64 },
    #[error(
        "the aggregate of round {round} is accepted at heights {opens}..{closes}, not at {height}"
    )]
    AggregateWindowClosed {
        round: u64,
        height: u64,
        opens: u64,
        closes: u64,
    },
    #[error("round {0} already has its aggregate")]
    AggregateExists(u64),
    #[error("audit {0} not found")]
    AuditNotFound(u64),
    #[error("{signer} is not the referee of audit {audit}")]
    NotReferee { signer: String, audit: u64 },
    #[error("audit {0} is not pending")]
    AuditNotPending(u64),
    #[error("invalid audit: {0}")]
    BadAudit(String),
    #[error("no referee can be drawn for this audit")]
    NoReferee,
    #[error("round {round} of task {task} not found")]
    RoundNotFound { task: u64, round: u64 },
    #[error("{0} is already accused by a pending audit of this round")]
    AuditExists(String),
}

pub const ERR_TASK_NOT_FOUND: u32 = 2;
pub const ERR_TASK_FINISHED: u32 = 3;
pub const ERR_INVALID_SPEC: u32 = 4;
pub const ERR_SPEC_SIZE: u32 = 5;
pub const ERR_SPEC_HASH_MISMATCH: u32 = 6;
pub const ERR_BAD_HASH_LENGTH: u32 = 7;
pub const ERR_DENOM_MISMATCH: u32 = 8;
pub const ERR_POOL_TOO_LOW: u32 = 9;
pub const ERR_ZERO_AMOUNT: u32 = 10;
pub const ERR_INVALID_PARAMS: u32 = 11;
pub const ERR_INVALID_GENESIS: u32 = 12;
pub const ERR_NOT_REGISTERED: u32 = 13;
pub const ERR_ALREADY_REGISTERED: u32 = 14;
pub const ERR_STAKE_TOO_LOW: u32 = 15;
pub const ERR_TASK_FULL: u32 = 16;
pub const ERR_WRONG_ROLE: u32 = 17;
pub const ERR_JAILED: u32 = 18;
pub const ERR_WRONG_ROUND: u32 = 19;
pub const ERR_WRONG_PHASE: u32 = 20;
pub const ERR_BASE_NOT_READY: u32 = 21;
pub const ERR_NO_COMMIT: u32 = 22;
pub const ERR_ALREADY_REVEALED: u32 = 23;
pub const ERR_COMMIT_MISMATCH: u32 = 24;
pub const ERR_BAD_SALT: u32 = 25;
pub const ERR_BAD_CHECKPOINTS: u32 = 26;
pub const ERR_BAD_URI: u32 = 27;
pub const ERR_BAD_WEIGHTS: u32 = 28;
pub const ERR_INSUFFICIENT_STAKE: u32 = 29;
pub const ERR_TOO_MANY_UNBONDING: u32 = 30;
pub const ERR_ACCUSED_IN_OPEN_AUDIT: u32 = 31;
pub const ERR_NOT_AGGREGATOR: u32 = 32;
pub const ERR_AGGREGATE_WINDOW_CLOSED: u32 = 33;
pub const ERR_AGGREGATE_EXISTS: u32 = 34;
pub const ERR_AUDIT_NOT_FOUND: u32 = 35;
pub const ERR_NOT_REFEREE: u32 = 36;
pub const ERR_AUDIT_NOT_PENDING: u32 = 37;
pub const ERR_BAD_AUDIT: u32 = 38;
pub const ERR_NO_REFEREE: u32 = 39;
pub const ERR_ROUND_NOT_FOUND: u32 = 40;
pub const ERR_AUDIT_EXISTS: u32 = 41;

impl TrainingError {
    pub fn code(&self) -> u32 {
        use TrainingError::*;
        match self {
            TaskNotFound(_) => ERR_TASK_NOT_FOUND,
            TaskFinished(_) => ERR_TASK_FINISHED,
            InvalidSpec(_) => ERR_INVALID_SPEC,
            SpecSize { .. } => ERR_SPEC_SIZE,
            SpecHashMismatch => ERR_SPEC_HASH_MISMATCH,
            BadHashLength { .. } => ERR_BAD_HASH_LENGTH,
            DenomMismatch(_) => ERR_DENOM_MISMATCH,
            PoolTooLow { .. } => ERR_POOL_TOO_LOW,
            ZeroAmount(_) => ERR_ZERO_AMOUNT,
            InvalidParams(_) => ERR_INVALID_PARAMS,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
            NotRegistered { .. } => ERR_NOT_REGISTERED,
            AlreadyRegistered { .. } => ERR_ALREADY_REGISTERED,
            StakeTooLow { .. } => ERR_STAKE_TOO_LOW,
            TaskFull(_) => ERR_TASK_FULL,
            WrongRole { .. } => ERR_WRONG_ROLE,
            Jailed(_) => ERR_JAILED,
            WrongRound { .. } => ERR_WRONG_ROUND,
            WrongPhase { .. } => ERR_WRONG_PHASE,
            BaseNotReady { .. } => ERR_BASE_NOT_READY,
            NoCommit => ERR_NO_COMMIT,
            AlreadyRevealed => ERR_ALREADY_REVEALED,
            CommitMismatch => ERR_COMMIT_MISMATCH,
            BadSalt { .. } => ERR_BAD_SALT,
            BadCheckpoints { .. } => ERR_BAD_CHECKPOINTS,
            BadUri(_) => ERR_BAD_URI,
            BadWeights(_) => ERR_BAD_WEIGHTS,
            InsufficientStake { .. } => ERR_INSUFFICIENT_STAKE,
            TooManyUnbonding(_) => ERR_TOO_MANY_UNBONDING,
            AccusedInOpenAudit(_) => ERR_ACCUSED_IN_OPEN_AUDIT,
            NotAggregator { .. } => ERR_NOT_AGGREGATOR,
            AggregateWindowClosed { .. } => ERR_AGGREGATE_WINDOW_CLOSED,
            AggregateExists(_) => ERR_AGGREGATE_EXISTS,
            AuditNotFound(_) => ERR_AUDIT_NOT_FOUND,
            NotReferee { .. } => ERR_NOT_REFEREE,
            AuditNotPending(_) => ERR_AUDIT_NOT_PENDING,
            BadAudit(_) => ERR_BAD_AUDIT,
            NoReferee => ERR_NO_REFEREE,
            RoundNotFound { .. } => ERR_ROUND_NOT_FOUND,
            AuditExists(_) => ERR_AUDIT_EXISTS,
        }
    }
}

impl From<TrainingError> for TxError {
    fn from(e: TrainingError) -> Self {
        TxError::new(MODULE_NAME, e.code(), e.to_string())
    }
}
