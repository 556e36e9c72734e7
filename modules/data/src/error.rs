//! data's errors, in codespace "data". Codes are stable: never renumber or reuse one; new
//! errors take the next free code. None is code 1 (internal), which halts the node.

use deai_framework::TxError;

use crate::MODULE_NAME;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("dataset {0} not found")]
    DatasetNotFound(u64),
    #[error("dataset {0} is compute-to-data: it is used only through compute orders its provider leases, never sold as tokens or downloaded")]
    ComputeToDataOnly(u64),
    #[error("only the {0} may do this")]
    Unauthorized(&'static str),
    #[error("invalid {field}: must be 32 bytes, got {got}")]
    BadHashLength { field: &'static str, got: usize },
    #[error("invalid metadata: {0}")]
    BadMetadata(String),
    #[error("invalid uri: {0}")]
    BadUri(String),
    #[error("denom mismatch: {0}")]
    DenomMismatch(String),
    #[error("access must be open, encrypted or compute_to_data")]
    BadAccess,
    #[error("{0} must be positive")]
    ZeroAmount(&'static str),
    #[error("dataset {0} is disabled")]
    DatasetDisabled(u64),
    #[error("price {price} is above max_price {max}")]
    PriceTooHigh { price: String, max: String },
    #[error("count must be 1..={max}, got {got}")]
    BadCount { got: u64, max: u64 },
    #[error("invalid consume-market fee: {0}")]
    BadFee(String),
    #[error("the dispenser gives at most {cap} tokens of dataset {dataset} per address; {had} already given")]
    DispenserCap { dataset: u64, cap: u64, had: u64 },
    #[error("{0} is a module account and cannot receive payments")]
    BlockedRecipient(String),
    #[error("grant {0} not found")]
    GrantNotFound(u64),
    #[error("dataset {0} is not encrypted: it has no key to deliver")]
    NotEncrypted(u64),
    #[error("the key of grant {grant} was due before height {deadline}; it is {height}")]
    DeliveryClosed {
        grant: u64,
        deadline: u64,
        height: u64,
    },
    #[error("grant {0} already has its key or was refunded")]
    AlreadyDelivered(u64),
    #[error("wrapped_key must be 1..={max} bytes, got {got}")]
    BadWrappedKey { got: usize, max: usize },
    #[error("pool {0} not found")]
    PoolNotFound(u64),
    #[error("invalid pool: {0}")]
    BadPool(String),
    #[error("{validator} is not a validator of pool {pool}")]
    NotPoolValidator { pool: u64, validator: String },
    #[error("{validator} has no bond in pool {pool}")]
    NotBonded { pool: u64, validator: String },
    #[error("contribution {0} not found")]
    ContributionNotFound(u64),
    #[error("content already contributed (contribution {0})")]
    DuplicateContent(u64),
    #[error("stake {got} is below the pool's minimum {min}")]
    StakeTooLow { got: String, min: String },
    #[error("pool {pool} already has {max} contributions this epoch")]
    EpochFull { pool: u64, max: u32 },
    #[error("{0} already scored this contribution")]
    AlreadyScored(String),
    #[error("contribution {contribution} belongs to epoch {epoch}, which is over")]
    EpochOver { contribution: u64, epoch: u64 },
    #[error("score must be at most 65535, got {0}")]
    BadScore(u32),
    #[error("pool {0} is closing or closed: it takes no more contributions or bonds")]
    PoolClosed(u64),
    #[error(
        "a compute-to-data dataset's provider must publish it (it runs jobs on its own data only)"
    )]
    ComputeToDataNotOwnProvider,
}

pub const ERR_INVALID_PARAMS: u32 = 2;
pub const ERR_INVALID_GENESIS: u32 = 3;
pub const ERR_DATASET_NOT_FOUND: u32 = 4;
pub const ERR_UNAUTHORIZED: u32 = 5;
pub const ERR_BAD_HASH_LENGTH: u32 = 6;
pub const ERR_BAD_METADATA: u32 = 7;
pub const ERR_BAD_URI: u32 = 8;
pub const ERR_DENOM_MISMATCH: u32 = 9;
pub const ERR_BAD_ACCESS: u32 = 10;
pub const ERR_ZERO_AMOUNT: u32 = 11;
pub const ERR_DATASET_DISABLED: u32 = 12;
pub const ERR_PRICE_TOO_HIGH: u32 = 13;
pub const ERR_BAD_COUNT: u32 = 14;
pub const ERR_BAD_FEE: u32 = 15;
pub const ERR_DISPENSER_CAP: u32 = 16;
pub const ERR_BLOCKED_RECIPIENT: u32 = 17;
pub const ERR_GRANT_NOT_FOUND: u32 = 18;
pub const ERR_NOT_ENCRYPTED: u32 = 19;
pub const ERR_DELIVERY_CLOSED: u32 = 20;
pub const ERR_ALREADY_DELIVERED: u32 = 21;
pub const ERR_BAD_WRAPPED_KEY: u32 = 22;
pub const ERR_POOL_NOT_FOUND: u32 = 23;
pub const ERR_BAD_POOL: u32 = 24;
pub const ERR_NOT_POOL_VALIDATOR: u32 = 25;
pub const ERR_NOT_BONDED: u32 = 26;
pub const ERR_CONTRIBUTION_NOT_FOUND: u32 = 27;
pub const ERR_DUPLICATE_CONTENT: u32 = 28;
pub const ERR_STAKE_TOO_LOW: u32 = 29;
pub const ERR_EPOCH_FULL: u32 = 30;
pub const ERR_ALREADY_SCORED: u32 = 31;
pub const ERR_EPOCH_OVER: u32 = 32;
pub const ERR_BAD_SCORE: u32 = 33;
pub const ERR_COMPUTE_TO_DATA_ONLY: u32 = 34;
pub const ERR_POOL_CLOSED: u32 = 35;
pub const ERR_C2D_NOT_OWN_PROVIDER: u32 = 36;

impl DataError {
    pub fn code(&self) -> u32 {
        use DataError::*;
        match self {
            InvalidParams(_) => ERR_INVALID_PARAMS,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
            DatasetNotFound(_) => ERR_DATASET_NOT_FOUND,
            Unauthorized(_) => ERR_UNAUTHORIZED,
            BadHashLength { .. } => ERR_BAD_HASH_LENGTH,
            BadMetadata(_) => ERR_BAD_METADATA,
            BadUri(_) => ERR_BAD_URI,
            DenomMismatch(_) => ERR_DENOM_MISMATCH,
            BadAccess => ERR_BAD_ACCESS,
            ZeroAmount(_) => ERR_ZERO_AMOUNT,
            DatasetDisabled(_) => ERR_DATASET_DISABLED,
            PriceTooHigh { .. } => ERR_PRICE_TOO_HIGH,
            BadCount { .. } => ERR_BAD_COUNT,
            BadFee(_) => ERR_BAD_FEE,
            DispenserCap { .. } => ERR_DISPENSER_CAP,
            BlockedRecipient(_) => ERR_BLOCKED_RECIPIENT,
            GrantNotFound(_) => ERR_GRANT_NOT_FOUND,
            NotEncrypted(_) => ERR_NOT_ENCRYPTED,
            DeliveryClosed { .. } => ERR_DELIVERY_CLOSED,
            AlreadyDelivered(_) => ERR_ALREADY_DELIVERED,
            BadWrappedKey { .. } => ERR_BAD_WRAPPED_KEY,
            PoolNotFound(_) => ERR_POOL_NOT_FOUND,
            BadPool(_) => ERR_BAD_POOL,
            NotPoolValidator { .. } => ERR_NOT_POOL_VALIDATOR,
            NotBonded { .. } => ERR_NOT_BONDED,
            ContributionNotFound(_) => ERR_CONTRIBUTION_NOT_FOUND,
            DuplicateContent(_) => ERR_DUPLICATE_CONTENT,
            StakeTooLow { .. } => ERR_STAKE_TOO_LOW,
            EpochFull { .. } => ERR_EPOCH_FULL,
            AlreadyScored(_) => ERR_ALREADY_SCORED,
            EpochOver { .. } => ERR_EPOCH_OVER,
            BadScore(_) => ERR_BAD_SCORE,
            ComputeToDataOnly(_) => ERR_COMPUTE_TO_DATA_ONLY,
            PoolClosed(_) => ERR_POOL_CLOSED,
            ComputeToDataNotOwnProvider => ERR_C2D_NOT_OWN_PROVIDER,
        }
    }
}

impl From<DataError> for TxError {
    fn from(e: DataError) -> Self {
        TxError::new(MODULE_NAME, e.code(), e.to_string())
    }
}
