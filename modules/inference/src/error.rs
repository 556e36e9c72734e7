//! inference's errors, in codespace "inference". Codes are stable: never renumber or reuse
//! one. Every code is something a tx can cause; none is code 1 (internal), which halts the
//! node.

use deai_framework::TxError;

use crate::MODULE_NAME;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InferenceError {
    #[error("{signer} is not the owner of model {model}")]
    NotOwner { signer: String, model: u64 },
    #[error("model {0} not found")]
    ModelNotFound(u64),
    #[error("invalid model: {0}")]
    InvalidModel(String),
    #[error("verifying key does not decode: {0}")]
    InvalidVerifyingKey(String),
    #[error("verifying key does not match the model: {0}")]
    KeyMismatch(String),
    #[error("verifying key of {got} bytes exceeds {max}")]
    VerifyingKeyTooLarge { got: usize, max: u32 },
    #[error("denom mismatch: {0}")]
    DenomMismatch(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("model {0} is disabled")]
    ModelDisabled(u64),
    #[error("{server} is already a server of model {model}")]
    ServerExists { model: u64, server: String },
    #[error("{server} is not a server of model {model}")]
    ServerNotFound { model: u64, server: String },
    #[error("stake {got} is below the minimum {min}")]
    StakeTooLow { got: String, min: String },
    #[error("model {model} already has {max} servers")]
    TooManyServers { model: u64, max: u32 },
    #[error("server {server} of model {model} is unbonding")]
    ServerUnbonding { model: u64, server: String },
    #[error("{0} must be positive")]
    ZeroAmount(&'static str),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("fee {fee} is below the model's price {price}")]
    FeeBelowPrice { fee: String, price: String },
    #[error("deadline_blocks must be {min}..={max}, got {got}")]
    BadDeadline { got: u64, min: u64, max: u64 },
    #[error("not yet supported: {0}")]
    NotSupported(String),
    #[error("invalid k: {0}")]
    BadRedundancy(String),
    #[error("model {0} has no active server with enough stake")]
    NoServer(u64),
    #[error("request {0} not found")]
    RequestNotFound(u64),
    #[error("request {0} is not pending")]
    RequestNotPending(u64),
    #[error("{server} is not assigned to request {request}")]
    NotAssigned { request: u64, server: String },
    #[error("the deadline of request {request} was height {deadline}")]
    DeadlinePassed { request: u64, deadline: u64 },
    #[error("invalid output: {0}")]
    InvalidOutput(String),
    #[error("malformed proof: {0}")]
    MalformedProof(String),
    #[error("proof rejected: {0}")]
    ProofRejected(String),
    #[error("model {0} has no verifying key (zk_mode none)")]
    ModelHasNoKey(u64),
    #[error("invalid verification mode: {0}")]
    InvalidMode(String),
    #[error("request {0} is not in its challenge window")]
    NotChallengeable(u64),
    #[error("the challenge window of request {request} closed at height {deadline}")]
    ChallengeWindowClosed { request: u64, deadline: u64 },
    #[error("bond must be exactly {want}, got {got}")]
    BadBond { want: String, got: String },
    #[error("request {0} has no open dispute")]
    NotDisputed(u64),
    #[error("the dispute of request {request} could be settled until height {deadline}")]
    DisputeClosed { request: u64, deadline: u64 },
    #[error("the weights do not hash to the model's quantized_weights_sha256: {0}")]
    WeightsMismatch(String),
    #[error("invalid quantized weights: {0}")]
    InvalidWeights(String),
    #[error("adjudication too large: {0}")]
    AdjudicationTooLarge(String),
    #[error("{server} already answered request {request}")]
    AlreadySubmitted { request: u64, server: String },
    #[error("topic {0} not found")]
    TopicNotFound(u64),
    #[error("invalid topic: {0}")]
    InvalidTopic(String),
    #[error("{who} is already a {role} of topic {topic}")]
    AlreadyRegistered {
        topic: u64,
        role: &'static str,
        who: String,
    },
    #[error("{who} is not a {role} of topic {topic}")]
    NotRegistered {
        topic: u64,
        role: &'static str,
        who: String,
    },
    #[error("topic {topic} already has {max} {role}s")]
    TooManyParticipants {
        topic: u64,
        role: &'static str,
        max: u32,
    },
    #[error("epoch {epoch} of topic {topic}: {why}")]
    WrongEpoch { topic: u64, epoch: u64, why: String },
    #[error("{who} already reported for epoch {epoch} of topic {topic}")]
    AlreadyReported { topic: u64, epoch: u64, who: String },
    #[error("value {0} is outside [-1000000000, 1000000000]")]
    ValueOutOfRange(i64),
}

pub const ERR_NOT_OWNER: u32 = 2;
pub const ERR_MODEL_NOT_FOUND: u32 = 3;
pub const ERR_INVALID_MODEL: u32 = 4;
pub const ERR_INVALID_VERIFYING_KEY: u32 = 5;
pub const ERR_KEY_MISMATCH: u32 = 6;
pub const ERR_VERIFYING_KEY_TOO_LARGE: u32 = 7;
pub const ERR_DENOM_MISMATCH: u32 = 8;
pub const ERR_INVALID_PARAMS: u32 = 9;
pub const ERR_INVALID_GENESIS: u32 = 10;
pub const ERR_MODEL_DISABLED: u32 = 11;
pub const ERR_SERVER_EXISTS: u32 = 12;
pub const ERR_SERVER_NOT_FOUND: u32 = 13;
pub const ERR_STAKE_TOO_LOW: u32 = 14;
pub const ERR_TOO_MANY_SERVERS: u32 = 15;
pub const ERR_SERVER_UNBONDING: u32 = 16;
pub const ERR_ZERO_AMOUNT: u32 = 17;
pub const ERR_INVALID_INPUT: u32 = 18;
pub const ERR_FEE_BELOW_PRICE: u32 = 19;
pub const ERR_BAD_DEADLINE: u32 = 20;
pub const ERR_NOT_SUPPORTED: u32 = 21;
pub const ERR_BAD_REDUNDANCY: u32 = 22;
pub const ERR_NO_SERVER: u32 = 23;
pub const ERR_REQUEST_NOT_FOUND: u32 = 24;
pub const ERR_REQUEST_NOT_PENDING: u32 = 25;
pub const ERR_NOT_ASSIGNED: u32 = 26;
pub const ERR_DEADLINE_PASSED: u32 = 27;
pub const ERR_INVALID_OUTPUT: u32 = 28;
pub const ERR_MALFORMED_PROOF: u32 = 29;
pub const ERR_PROOF_REJECTED: u32 = 30;
pub const ERR_MODEL_HAS_NO_KEY: u32 = 31;
pub const ERR_INVALID_MODE: u32 = 32;
pub const ERR_NOT_CHALLENGEABLE: u32 = 33;
pub const ERR_CHALLENGE_WINDOW_CLOSED: u32 = 34;
pub const ERR_BAD_BOND: u32 = 35;
pub const ERR_NOT_DISPUTED: u32 = 36;
pub const ERR_DISPUTE_CLOSED: u32 = 37;
pub const ERR_WEIGHTS_MISMATCH: u32 = 38;
pub const ERR_INVALID_WEIGHTS: u32 = 39;
pub const ERR_ADJUDICATION_TOO_LARGE: u32 = 40;
pub const ERR_ALREADY_SUBMITTED: u32 = 41;
pub const ERR_TOPIC_NOT_FOUND: u32 = 42;
pub const ERR_INVALID_TOPIC: u32 = 43;
pub const ERR_ALREADY_REGISTERED: u32 = 44;
pub const ERR_NOT_REGISTERED: u32 = 45;
pub const ERR_TOO_MANY_PARTICIPANTS: u32 = 46;
pub const ERR_WRONG_EPOCH: u32 = 47;
pub const ERR_ALREADY_REPORTED: u32 = 48;
pub const ERR_VALUE_OUT_OF_RANGE: u32 = 49;

impl InferenceError {
    pub fn code(&self) -> u32 {
        use InferenceError::*;
        match self {
            NotOwner { .. } => ERR_NOT_OWNER,
            ModelNotFound(_) => ERR_MODEL_NOT_FOUND,
            InvalidModel(_) => ERR_INVALID_MODEL,
            InvalidVerifyingKey(_) => ERR_INVALID_VERIFYING_KEY,
            KeyMismatch(_) => ERR_KEY_MISMATCH,
            VerifyingKeyTooLarge { .. } => ERR_VERIFYING_KEY_TOO_LARGE,
            DenomMismatch(_) => ERR_DENOM_MISMATCH,
            InvalidParams(_) => ERR_INVALID_PARAMS,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
            ModelDisabled(_) => ERR_MODEL_DISABLED,
            ServerExists { .. } => ERR_SERVER_EXISTS,
            ServerNotFound { .. } => ERR_SERVER_NOT_FOUND,
            StakeTooLow { .. } => ERR_STAKE_TOO_LOW,
            TooManyServers { .. } => ERR_TOO_MANY_SERVERS,
            ServerUnbonding { .. } => ERR_SERVER_UNBONDING,
            ZeroAmount(_) => ERR_ZERO_AMOUNT,
            InvalidInput(_) => ERR_INVALID_INPUT,
            FeeBelowPrice { .. } => ERR_FEE_BELOW_PRICE,
            BadDeadline { .. } => ERR_BAD_DEADLINE,
            NotSupported(_) => ERR_NOT_SUPPORTED,
            BadRedundancy(_) => ERR_BAD_REDUNDANCY,
            NoServer(_) => ERR_NO_SERVER,
            RequestNotFound(_) => ERR_REQUEST_NOT_FOUND,
            RequestNotPending(_) => ERR_REQUEST_NOT_PENDING,
            NotAssigned { .. } => ERR_NOT_ASSIGNED,
            DeadlinePassed { .. } => ERR_DEADLINE_PASSED,
            InvalidOutput(_) => ERR_INVALID_OUTPUT,
            MalformedProof(_) => ERR_MALFORMED_PROOF,
            ProofRejected(_) => ERR_PROOF_REJECTED,
            ModelHasNoKey(_) => ERR_MODEL_HAS_NO_KEY,
            InvalidMode(_) => ERR_INVALID_MODE,
            NotChallengeable(_) => ERR_NOT_CHALLENGEABLE,
            ChallengeWindowClosed { .. } => ERR_CHALLENGE_WINDOW_CLOSED,
            BadBond { .. } => ERR_BAD_BOND,
            NotDisputed(_) => ERR_NOT_DISPUTED,
            DisputeClosed { .. } => ERR_DISPUTE_CLOSED,
            WeightsMismatch(_) => ERR_WEIGHTS_MISMATCH,
            InvalidWeights(_) => ERR_INVALID_WEIGHTS,
            AdjudicationTooLarge(_) => ERR_ADJUDICATION_TOO_LARGE,
            AlreadySubmitted { .. } => ERR_ALREADY_SUBMITTED,
            TopicNotFound(_) => ERR_TOPIC_NOT_FOUND,
            InvalidTopic(_) => ERR_INVALID_TOPIC,
            AlreadyRegistered { .. } => ERR_ALREADY_REGISTERED,
            NotRegistered { .. } => ERR_NOT_REGISTERED,
            TooManyParticipants { .. } => ERR_TOO_MANY_PARTICIPANTS,
            WrongEpoch { .. } => ERR_WRONG_EPOCH,
            AlreadyReported { .. } => ERR_ALREADY_REPORTED,
            ValueOutOfRange(_) => ERR_VALUE_OUT_OF_RANGE,
        }
    }
}

impl From<InferenceError> for TxError {
    fn from(e: InferenceError) -> Self {
        TxError::new(MODULE_NAME, e.code(), e.to_string())
    }
}
