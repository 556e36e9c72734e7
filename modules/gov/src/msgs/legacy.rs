//! The v1beta1 messages the SDK still accepts (cosmjs's `MsgVote`, `MsgVoteWeighted`,
//! `MsgDeposit`, `MsgSubmitProposal` with a `TextProposal`), converted to the v1 ones, and
//! v1's `MsgExecLegacyContent`, which a v1beta1 proposal carries: executing it runs the
//! content's handler (for a text proposal, nothing).

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::cosmos::gov::v1beta1 as b1;
use cosmos_sdk_proto::Any;
use prost::{Message as _, Name};

use deai_framework::handler::response;
use deai_framework::{Address, Ctx, Message, TxError};

use super::vote::{Vote, VoteKind};
use super::{gov_account, parse_addr, SubmitProposal};
use crate::error::GovError;
use crate::{Dec, MODULE_NAME};

/// The SDK's `MaxTitleLength` and `MaxDescriptionLength` of v1beta1 content.
pub const MAX_TITLE_LEN: usize = 140;
pub const MAX_DESCRIPTION_LEN: usize = 10_000;

impl TryFrom<b1::MsgVote> for Vote {
    type Error = TxError;
    fn try_from(m: b1::MsgVote) -> Result<Self, TxError> {
        Vote::single(
            m.proposal_id,
            &m.voter,
            m.option,
            String::new(),
            VoteKind::LegacyVote,
        )
    }
}

/// A v1beta1 weight: a LegacyDec on the wire, its 10^-18 units as decimal digits.
fn legacy_weight(s: &str) -> Result<Dec, String> {
    if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid decimal {s:?}"));
    }
    s.parse::<u128>()
        .map(Dec::from_units)
        .map_err(|_| format!("invalid decimal {s:?}"))
}

impl TryFrom<b1::MsgVoteWeighted> for Vote {
    type Error = TxError;
    fn try_from(m: b1::MsgVoteWeighted) -> Result<Self, TxError> {
        let options = m
            .options
            .into_iter()
            .map(|o| (o.option, o.weight))
            .collect();
        Vote::weighted(
            m.proposal_id,
            &m.voter,
            options,
            String::new(),
            VoteKind::LegacyWeighted,
            legacy_weight,
        )
    }
}

/// The text proposal in a content `Any`, checked as the SDK's `ValidateAbstract`.
fn text_proposal(content: &Option<Any>) -> Result<b1::TextProposal, TxError> {
    let any = content
        .as_ref()
        .ok_or_else(|| GovError::InvalidProposalContent("missing content".into()))?;
    if any.type_url != b1::TextProposal::type_url() {
        return Err(GovError::InvalidProposalType(any.type_url.clone()).into());
    }
    let t = b1::TextProposal::decode(any.value.as_slice())
        .map_err(|e| GovError::InvalidProposalContent(format!("cannot decode: {e}")))?;
    let blank = |s: &str| s.trim().is_empty();
    if blank(&t.title) {
        return Err(
            GovError::InvalidProposalContent("proposal title cannot be blank".into()).into(),
        );
    }
    if t.title.len() > MAX_TITLE_LEN {
        return Err(GovError::InvalidProposalContent(format!(
            "proposal title is longer than max length of {MAX_TITLE_LEN}"
        ))
        .into());
    }
    if blank(&t.description) {
        return Err(GovError::InvalidProposalContent(
            "proposal description cannot be blank".into(),
        )
        .into());
    }
    if t.description.len() > MAX_DESCRIPTION_LEN {
        return Err(GovError::InvalidProposalContent(format!(
            "proposal description is longer than max length of {MAX_DESCRIPTION_LEN}"
        ))
        .into());
    }
    Ok(t)
}

/// v1beta1 MsgSubmitProposal: a v1 proposal of one `MsgExecLegacyContent` (authority gov)
/// titled and summarised by the content, as the SDK's legacy msg server builds it.
#[derive(Clone, Debug)]
pub struct LegacySubmitProposal(pub SubmitProposal);

impl TryFrom<b1::MsgSubmitProposal> for LegacySubmitProposal {
    type Error = TxError;
    fn try_from(m: b1::MsgSubmitProposal) -> Result<Self, TxError> {
        let t = text_proposal(&m.content)?;
        let exec = pb::MsgExecLegacyContent {
            content: m.content,
            authority: gov_account().to_bech32(),
        };
        let v1 = pb::MsgSubmitProposal {
            messages: vec![Any {
                type_url: pb::MsgExecLegacyContent::type_url(),
                value: exec.encode_to_vec(),
            }],
            initial_deposit: m.initial_deposit,
            proposer: m.proposer,
            metadata: String::new(),
            title: t.title,
            summary: t.description,
            expedited: false,
        };
        Ok(Self(SubmitProposal::try_from(v1)?))
    }
}

impl Message for LegacySubmitProposal {
    fn signers(&self) -> Vec<Address> {
        self.0.signers()
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let r = self.0.execute(ctx)?;
        let id = pb::MsgSubmitProposalResponse::decode(r.value.as_slice())
            .map_err(|e| deai_framework::sdk::internal(format!("submit response: {e}")))?
            .proposal_id;
        Ok(response(b1::MsgSubmitProposalResponse { proposal_id: id }))
    }
}

/// `MsgExecLegacyContent`: only gov may sign it; a text proposal does nothing when it runs.
#[derive(Clone, Debug)]
pub struct ExecLegacyContent {
    pub authority: Address,
}

impl TryFrom<pb::MsgExecLegacyContent> for ExecLegacyContent {
    type Error = TxError;
    fn try_from(m: pb::MsgExecLegacyContent) -> Result<Self, TxError> {
        text_proposal(&m.content)?;
        Ok(Self {
            authority: parse_addr(&m.authority, "authority")?,
        })
    }
}

impl Message for ExecLegacyContent {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, _ctx: &mut Ctx) -> Result<Any, TxError> {
        if self.authority != gov_account() {
            return Err(GovError::InvalidSigner(format!(
                "expected {}, got {}",
                gov_account(),
                self.authority
            ))
            .into());
        }
        Ok(response(pb::MsgExecLegacyContentResponse {}))
    }
}
