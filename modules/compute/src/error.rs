//! compute's errors, in codespace "compute". Codes are stable: never renumber or reuse one.
//! Every code is something a tx can cause; none is code 1 (internal), which halts the node.

use deai_framework::TxError;

use crate::MODULE_NAME;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ComputeError {
    #[error("{signer} is not the owner of {what}")]
    NotOwner { signer: String, what: String },
    #[error("provider {0} already exists")]
    ProviderExists(String),
    #[error("provider {0} not found")]
    ProviderNotFound(String),
    #[error("provider {owner} holds {leases} active leases")]
    ProviderHasLeases { owner: String, leases: u32 },
    #[error("order {0} not found")]
    OrderNotFound(u64),
    #[error("order {0} is closed or completed")]
    OrderClosed(u64),
    #[error("spec must be 1..={max} bytes, got {got}")]
    SpecSize { got: usize, max: u32 },
    #[error("sha256 of the spec does not match spec_sha256")]
    SpecHashMismatch,
    #[error("redundancy must be 1..={max}, got {got}")]
    BadRedundancy { got: u32, max: u32 },
    #[error("denom mismatch: {0}")]
    DenomMismatch(String),
    #[error("stake {got} is below the minimum {min}")]
    StakeTooLow { got: String, min: String },
    #[error("invalid host_uri: {0}")]
    InvalidHostUri(String),
    #[error("invalid attributes: {0}")]
    InvalidAttributes(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("invalid verification: {0}")]
    InvalidVerification(String),
    #[error("bid_window must be {min}..={max}, got {got}")]
    BadBidWindow { got: u64, min: u64, max: u64 },
    #[error("max_blocks must be 1..={max}, got {got}")]
    BadMaxBlocks { got: u64, max: u64 },
    #[error("provider does not offer attribute {0}")]
    AttributeNotOffered(String),
    #[error("provider {0} already has the most auditor signatures allowed")]
    TooManySignatures(String),
    #[error("invalid auditors: {0}")]
    InvalidAuditors(String),
    #[error("capacity is below the resources in use")]
    CapacityBelowUse,
    #[error("{0} must be positive")]
    ZeroAmount(&'static str),
    #[error("invalid genesis: {0}")]
    InvalidGenesis(String),
    #[error("invalid spec_sha256: must be 32 bytes, got {0}")]
    BadHashLength(usize),
    #[error("bid price {price} is above the order's max_price_per_block {max}")]
    BidAboveMax { price: String, max: String },
    #[error("order {0} is not open for bids")]
    OrderNotOpen(u64),
    #[error("the bid window of order {order} ended at height {deadline}")]
    BidWindowClosed { order: u64, deadline: u64 },
    #[error("provider does not match required attribute {0}")]
    AttributeUnmatched(String),
    #[error("required auditors have not signed the order's attributes: {0}")]
    AuditorUnmatched(String),
    #[error("provider has no free capacity for the order's resources")]
    NoCapacity,
    #[error("order {order} already has {max} bids")]
    TooManyBids { order: u64, max: u32 },
    #[error("provider {provider} already has an open bid on order {order}")]
    DuplicateBid { order: u64, provider: String },
    #[error("{signer} is not the bidder of bid {bid}")]
    NotBidder { signer: String, bid: u64 },
    #[error("bid {0} not found")]
    BidNotFound(u64),
    #[error("bid {0} is not open")]
    BidNotOpen(u64),
    #[error("provider {0} is jailed")]
    ProviderJailed(String),
    #[error("bid deposit {got} is below the minimum {min}")]
    BidDepositTooLow { got: String, min: String },
    #[error("invalid lease bids: {0}")]
    BadLeaseBids(String),
    #[error("lease {0} not found")]
    LeaseNotFound(u64),
    #[error("{signer} is not the provider of lease {lease}")]
    NotLessee { signer: String, lease: u64 },
    #[error("lease {0} is not active")]
    LeaseNotActive(u64),
    #[error("lease {0} already has a result")]
    DuplicateResult(u64),
    #[error("invalid {field}: must be 32 bytes, got {got}")]
    BadResultHash { field: &'static str, got: usize },
    #[error("at most {max} checkpoint hashes, got {got}")]
    TooManyCheckpoints { got: usize, max: u32 },
    #[error("invalid artifact_uri: {0}")]
    InvalidArtifactUri(String),
    #[error("order {0} is not leased")]
    OrderNotLeased(u64),
    #[error("lease {lease} ran out at height {end}: no result accepted after it")]
    LeaseExpired { lease: u64, end: u64 },
    #[error("order {0} is disputed: its escrow is held until the audit")]
    OrderDisputed(u64),
    #[error("order {0} has no pending audit")]
    NoPendingAudit(u64),
    #[error("{signer} is not the referee assigned to audit {audit}")]
    NotAssignedVerifier { signer: String, audit: u64 },
    #[error("the pending audit is of segment {expected}, not {got}")]
    AuditSegmentMismatch { expected: u32, got: u32 },
    #[error("result_hash must be the last checkpoint hash (the head of the checkpoint chain)")]
    ResultHashNotChainHead,
    #[error("a result needs at least one checkpoint hash")]
    NoCheckpoints,
    #[error("provider {0} referees a pending audit")]
    RefereesPendingAudit(String),
    #[error("dataset {0} not found")]
    DatasetNotFound(u64),
    #[error("dataset {0} is not compute_to_data")]
    DatasetNotComputeToData(u64),
    #[error("dataset {0} is disabled")]
    DatasetDisabled(u64),
    #[error("the spec's dataset sha256 is not the content_sha256 of dataset {dataset}: {why}")]
    DatasetHashMismatch { dataset: u64, why: String },
    #[error("only the provider of dataset {dataset} may bid on compute-to-data order {order}, not {signer}")]
    NotDatasetProvider {
        signer: String,
        order: u64,
        dataset: u64,
    },
    #[error("compute-to-data order: {0}")]
    ComputeToDataTerms(String),
    #[error("dataset {dataset}'s access costs {price}, above max_access_fee {max}")]
    AccessFeeTooHigh {
        dataset: u64,
        price: String,
        max: String,
    },
}

pub const ERR_NOT_OWNER: u32 = 2;
pub const ERR_PROVIDER_EXISTS: u32 = 3;
pub const ERR_PROVIDER_NOT_FOUND: u32 = 4;
pub const ERR_PROVIDER_HAS_LEASES: u32 = 5;
pub const ERR_ORDER_NOT_FOUND: u32 = 6;
pub const ERR_ORDER_CLOSED: u32 = 7;
pub const ERR_SPEC_SIZE: u32 = 8;
pub const ERR_SPEC_HASH_MISMATCH: u32 = 9;
pub const ERR_BAD_REDUNDANCY: u32 = 10;
pub const ERR_DENOM_MISMATCH: u32 = 11;
pub const ERR_STAKE_TOO_LOW: u32 = 12;
pub const ERR_INVALID_HOST_URI: u32 = 13;
pub const ERR_INVALID_ATTRIBUTES: u32 = 14;
pub const ERR_INVALID_PARAMS: u32 = 15;
pub const ERR_INVALID_VERIFICATION: u32 = 16;
pub const ERR_BAD_BID_WINDOW: u32 = 17;
pub const ERR_BAD_MAX_BLOCKS: u32 = 18;
pub const ERR_ATTRIBUTE_NOT_OFFERED: u32 = 19;
pub const ERR_TOO_MANY_SIGNATURES: u32 = 20;
pub const ERR_INVALID_AUDITORS: u32 = 21;
pub const ERR_CAPACITY_BELOW_USE: u32 = 22;
pub const ERR_ZERO_AMOUNT: u32 = 23;
pub const ERR_INVALID_GENESIS: u32 = 24;
pub const ERR_BAD_HASH_LENGTH: u32 = 25;
pub const ERR_BID_ABOVE_MAX: u32 = 26;
pub const ERR_ORDER_NOT_OPEN: u32 = 27;
pub const ERR_BID_WINDOW_CLOSED: u32 = 28;
pub const ERR_ATTRIBUTE_UNMATCHED: u32 = 29;
pub const ERR_AUDITOR_UNMATCHED: u32 = 30;
pub const ERR_NO_CAPACITY: u32 = 31;
pub const ERR_TOO_MANY_BIDS: u32 = 32;
pub const ERR_DUPLICATE_BID: u32 = 33;
pub const ERR_NOT_BIDDER: u32 = 34;
pub const ERR_BID_NOT_FOUND: u32 = 35;
pub const ERR_BID_NOT_OPEN: u32 = 36;
pub const ERR_PROVIDER_JAILED: u32 = 37;
pub const ERR_BID_DEPOSIT_TOO_LOW: u32 = 38;
pub const ERR_BAD_LEASE_BIDS: u32 = 39;
pub const ERR_LEASE_NOT_FOUND: u32 = 40;
pub const ERR_NOT_LESSEE: u32 = 41;
pub const ERR_LEASE_NOT_ACTIVE: u32 = 42;
pub const ERR_DUPLICATE_RESULT: u32 = 43;
pub const ERR_BAD_RESULT_HASH: u32 = 44;
pub const ERR_TOO_MANY_CHECKPOINTS: u32 = 45;
pub const ERR_INVALID_ARTIFACT_URI: u32 = 46;
pub const ERR_ORDER_NOT_LEASED: u32 = 47;
pub const ERR_LEASE_EXPIRED: u32 = 48;
pub const ERR_ORDER_DISPUTED: u32 = 49;
pub const ERR_NO_PENDING_AUDIT: u32 = 50;
pub const ERR_NOT_ASSIGNED_VERIFIER: u32 = 51;
pub const ERR_AUDIT_SEGMENT_MISMATCH: u32 = 52;
pub const ERR_RESULT_HASH_NOT_CHAIN_HEAD: u32 = 53;
pub const ERR_NO_CHECKPOINTS: u32 = 54;
pub const ERR_REFEREES_PENDING_AUDIT: u32 = 55;
pub const ERR_DATASET_NOT_FOUND: u32 = 56;
pub const ERR_DATASET_NOT_COMPUTE_TO_DATA: u32 = 57;
pub const ERR_DATASET_DISABLED: u32 = 58;
pub const ERR_DATASET_HASH_MISMATCH: u32 = 59;
pub const ERR_NOT_DATASET_PROVIDER: u32 = 60;
pub const ERR_COMPUTE_TO_DATA_TERMS: u32 = 61;
pub const ERR_ACCESS_FEE_TOO_HIGH: u32 = 62;

impl ComputeError {
    pub fn code(&self) -> u32 {
        use ComputeError::*;
        match self {
            NotOwner { .. } => ERR_NOT_OWNER,
            ProviderExists(_) => ERR_PROVIDER_EXISTS,
            ProviderNotFound(_) => ERR_PROVIDER_NOT_FOUND,
            ProviderHasLeases { .. } => ERR_PROVIDER_HAS_LEASES,
            OrderNotFound(_) => ERR_ORDER_NOT_FOUND,
            OrderClosed(_) => ERR_ORDER_CLOSED,
            SpecSize { .. } => ERR_SPEC_SIZE,
            SpecHashMismatch => ERR_SPEC_HASH_MISMATCH,
            BadRedundancy { .. } => ERR_BAD_REDUNDANCY,
            DenomMismatch(_) => ERR_DENOM_MISMATCH,
            StakeTooLow { .. } => ERR_STAKE_TOO_LOW,
            InvalidHostUri(_) => ERR_INVALID_HOST_URI,
            InvalidAttributes(_) => ERR_INVALID_ATTRIBUTES,
            InvalidParams(_) => ERR_INVALID_PARAMS,
            InvalidVerification(_) => ERR_INVALID_VERIFICATION,
            BadBidWindow { .. } => ERR_BAD_BID_WINDOW,
            BadMaxBlocks { .. } => ERR_BAD_MAX_BLOCKS,
            AttributeNotOffered(_) => ERR_ATTRIBUTE_NOT_OFFERED,
            TooManySignatures(_) => ERR_TOO_MANY_SIGNATURES,
            InvalidAuditors(_) => ERR_INVALID_AUDITORS,
            CapacityBelowUse => ERR_CAPACITY_BELOW_USE,
            ZeroAmount(_) => ERR_ZERO_AMOUNT,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
            BadHashLength(_) => ERR_BAD_HASH_LENGTH,
            BidAboveMax { .. } => ERR_BID_ABOVE_MAX,
            OrderNotOpen(_) => ERR_ORDER_NOT_OPEN,
            BidWindowClosed { .. } => ERR_BID_WINDOW_CLOSED,
            AttributeUnmatched(_) => ERR_ATTRIBUTE_UNMATCHED,
            AuditorUnmatched(_) => ERR_AUDITOR_UNMATCHED,
            NoCapacity => ERR_NO_CAPACITY,
            TooManyBids { .. } => ERR_TOO_MANY_BIDS,
            DuplicateBid { .. } => ERR_DUPLICATE_BID,
            NotBidder { .. } => ERR_NOT_BIDDER,
            BidNotFound(_) => ERR_BID_NOT_FOUND,
            BidNotOpen(_) => ERR_BID_NOT_OPEN,
            ProviderJailed(_) => ERR_PROVIDER_JAILED,
            BidDepositTooLow { .. } => ERR_BID_DEPOSIT_TOO_LOW,
            BadLeaseBids(_) => ERR_BAD_LEASE_BIDS,
            LeaseNotFound(_) => ERR_LEASE_NOT_FOUND,
            NotLessee { .. } => ERR_NOT_LESSEE,
            LeaseNotActive(_) => ERR_LEASE_NOT_ACTIVE,
            DuplicateResult(_) => ERR_DUPLICATE_RESULT,
            BadResultHash { .. } => ERR_BAD_RESULT_HASH,
            TooManyCheckpoints { .. } => ERR_TOO_MANY_CHECKPOINTS,
            InvalidArtifactUri(_) => ERR_INVALID_ARTIFACT_URI,
            OrderNotLeased(_) => ERR_ORDER_NOT_LEASED,
            LeaseExpired { .. } => ERR_LEASE_EXPIRED,
            OrderDisputed(_) => ERR_ORDER_DISPUTED,
            NoPendingAudit(_) => ERR_NO_PENDING_AUDIT,
            NotAssignedVerifier { .. } => ERR_NOT_ASSIGNED_VERIFIER,
            AuditSegmentMismatch { .. } => ERR_AUDIT_SEGMENT_MISMATCH,
            ResultHashNotChainHead => ERR_RESULT_HASH_NOT_CHAIN_HEAD,
            NoCheckpoints => ERR_NO_CHECKPOINTS,
            RefereesPendingAudit(_) => ERR_REFEREES_PENDING_AUDIT,
            DatasetNotFound(_) => ERR_DATASET_NOT_FOUND,
            DatasetNotComputeToData(_) => ERR_DATASET_NOT_COMPUTE_TO_DATA,
            DatasetDisabled(_) => ERR_DATASET_DISABLED,
            DatasetHashMismatch { .. } => ERR_DATASET_HASH_MISMATCH,
            NotDatasetProvider { .. } => ERR_NOT_DATASET_PROVIDER,
            ComputeToDataTerms(_) => ERR_COMPUTE_TO_DATA_TERMS,
            AccessFeeTooHigh { .. } => ERR_ACCESS_FEE_TOO_HIGH,
        }
    }
}

impl From<ComputeError> for TxError {
    fn from(e: ComputeError) -> Self {
        TxError::new(MODULE_NAME, e.code(), e.to_string())
    }
}
