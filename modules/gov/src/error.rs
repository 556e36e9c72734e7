//! gov's errors, in codespace "gov", with the Cosmos SDK v0.50 numbers
//! (`x/gov/types/errors.go`); deai's own codes start at 100. Never renumber or reuse a code.

use deai_framework::TxError;

pub const CODESPACE: &str = crate::MODULE_NAME;

pub const ERR_UNKNOWN_PROPOSAL: u32 = 2;
pub const ERR_INACTIVE_PROPOSAL: u32 = 3;
pub const ERR_ALREADY_ACTIVE_PROPOSAL: u32 = 4;
pub const ERR_INVALID_PROPOSAL_CONTENT: u32 = 5;
pub const ERR_INVALID_PROPOSAL_TYPE: u32 = 6;
pub const ERR_INVALID_VOTE: u32 = 7;
pub const ERR_INVALID_GENESIS: u32 = 8;
pub const ERR_UNROUTABLE_PROPOSAL_MSG: u32 = 10;
pub const ERR_NO_PROPOSAL_MSGS: u32 = 11;
pub const ERR_INVALID_PROPOSAL_MSG: u32 = 12;
pub const ERR_INVALID_SIGNER: u32 = 13;
pub const ERR_METADATA_TOO_LONG: u32 = 15;
pub const ERR_MIN_DEPOSIT_TOO_SMALL: u32 = 16;
pub const ERR_INVALID_PROPOSER: u32 = 18;
pub const ERR_VOTING_PERIOD_ENDED: u32 = 20;
pub const ERR_INVALID_PROPOSAL: u32 = 21;
pub const ERR_SUMMARY_TOO_LONG: u32 = 22;
pub const ERR_INVALID_DEPOSIT_DENOM: u32 = 23;
// deai's own.
pub const ERR_INVALID_PARAMS: u32 = 100;
/// A bound of deai's that the SDK does not have (messages per proposal, voters or
/// depositors per proposal); see the crate docs.
pub const ERR_LIMIT_EXCEEDED: u32 = 101;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GovError {
    #[error("unknown proposal: {0}")]
    UnknownProposal(String),
    #[error("inactive proposal: {0}")]
    InactiveProposal(String),
    #[error("proposal already active: {0}")]
    AlreadyActiveProposal(String),
    #[error("invalid proposal content: {0}")]
    InvalidProposalContent(String),
    #[error("invalid proposal type: {0}")]
    InvalidProposalType(String),
    #[error("invalid vote option: {0}")]
    InvalidVote(String),
    #[error("invalid genesis state: {0}")]
    InvalidGenesis(String),
    #[error("proposal message not recognized by router: {0}")]
    UnroutableProposalMsg(String),
    #[error("no messages proposed: {0}")]
    NoProposalMsgs(String),
    #[error("invalid proposal message: {0}")]
    InvalidProposalMsg(String),
    #[error("expected gov account as only signer for proposal message: {0}")]
    InvalidSigner(String),
    #[error("metadata too long: {0}")]
    MetadataTooLong(String),
    #[error("minimum deposit is too small: {0}")]
    MinDepositTooSmall(String),
    #[error("invalid proposer: {0}")]
    InvalidProposer(String),
    #[error("voting period already ended: {0}")]
    VotingPeriodEnded(String),
    #[error("invalid proposal: {0}")]
    InvalidProposal(String),
    #[error("summary too long: {0}")]
    SummaryTooLong(String),
    #[error("invalid deposit denom: {0}")]
    InvalidDepositDenom(String),
    #[error("invalid params: {0}")]
    InvalidParams(String),
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
}

impl GovError {
    pub fn code(&self) -> u32 {
        use GovError::*;
        match self {
            UnknownProposal(_) => ERR_UNKNOWN_PROPOSAL,
            InactiveProposal(_) => ERR_INACTIVE_PROPOSAL,
            AlreadyActiveProposal(_) => ERR_ALREADY_ACTIVE_PROPOSAL,
            InvalidProposalContent(_) => ERR_INVALID_PROPOSAL_CONTENT,
            InvalidProposalType(_) => ERR_INVALID_PROPOSAL_TYPE,
            InvalidVote(_) => ERR_INVALID_VOTE,
            InvalidGenesis(_) => ERR_INVALID_GENESIS,
            UnroutableProposalMsg(_) => ERR_UNROUTABLE_PROPOSAL_MSG,
            NoProposalMsgs(_) => ERR_NO_PROPOSAL_MSGS,
            InvalidProposalMsg(_) => ERR_INVALID_PROPOSAL_MSG,
            InvalidSigner(_) => ERR_INVALID_SIGNER,
            MetadataTooLong(_) => ERR_METADATA_TOO_LONG,
            MinDepositTooSmall(_) => ERR_MIN_DEPOSIT_TOO_SMALL,
            InvalidProposer(_) => ERR_INVALID_PROPOSER,
            VotingPeriodEnded(_) => ERR_VOTING_PERIOD_ENDED,
            InvalidProposal(_) => ERR_INVALID_PROPOSAL,
            SummaryTooLong(_) => ERR_SUMMARY_TOO_LONG,
            InvalidDepositDenom(_) => ERR_INVALID_DEPOSIT_DENOM,
            InvalidParams(_) => ERR_INVALID_PARAMS,
            LimitExceeded(_) => ERR_LIMIT_EXCEEDED,
        }
    }
}

impl From<GovError> for TxError {
    fn from(e: GovError) -> Self {
        TxError::new(CODESPACE, e.code(), e.to_string())
    }
}

impl From<deai_framework::params::InvalidParam> for GovError {
    fn from(e: deai_framework::params::InvalidParam) -> Self {
        GovError::InvalidParams(e.0)
    }
}
