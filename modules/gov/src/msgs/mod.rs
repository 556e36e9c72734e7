//! gov's messages: MsgSubmitProposal here; deposits, votes, cancellation and params in
//! their own files; the v1beta1 forms in `legacy.rs`. Each has its stateless checks in
//! `TryFrom` (the SDK's msg server checks that need no state) and the rest in `execute`.

mod deposit;
mod legacy;
mod vote;

pub use deposit::{CancelProposal, Deposit, UpdateParams};
pub use legacy::{ExecLegacyContent, LegacySubmitProposal};
pub(crate) use vote::option_name;
pub use vote::{Vote, VoteKind};

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::Any;
use prost::Message as _;

use deai_framework::handler::{response, sender_event};
use deai_framework::{authority, sdk, Address, Coins, Ctx, GasConfig, Message, TxError};

use crate::error::GovError;
use crate::keeper::{add_deposit, ts, validate_deposit_denom, GovRead, GovWrite, DEPOSIT_PERIOD};
use crate::params::{coin, mul_round};
use crate::{events, Dec, MODULE_NAME};

/// The SDK keeper's `MaxMetadataLen` (its default config): the longest metadata and title.
pub const MAX_METADATA_LEN: usize = 255;
/// The SDK's summary bound: 40 × `MaxMetadataLen`.
pub const MAX_SUMMARY_LEN: usize = 40 * MAX_METADATA_LEN;
/// Most messages in one proposal (deai's bound; the SDK has none).
pub const MAX_PROPOSAL_MSGS: usize = 32;

pub(crate) fn parse_addr(s: &str, what: &str) -> Result<Address, TxError> {
    Address::from_bech32(s)
        .map_err(|e| sdk::invalid_address(format!("invalid {what} address: {}", e.log)))
}

pub(crate) fn check_metadata(metadata: &str) -> Result<(), TxError> {
    if metadata.len() > MAX_METADATA_LEN {
        return Err(GovError::MetadataTooLong(format!(
            "got metadata with length {}",
            metadata.len()
        ))
        .into());
    }
    Ok(())
}

/// The gov module account: the signer of every proposal message.
pub fn gov_account() -> Address {
    authority::default_authority()
}

#[derive(Clone, Debug)]
pub struct SubmitProposal {
    pub messages: Vec<Any>,
    pub initial_deposit: Coins,
    pub proposer: Address,
    pub metadata: String,
    pub title: String,
    pub summary: String,
    pub expedited: bool,
}

/// The title and summary of metadata in the SDK's recommended JSON shape, if it is JSON
/// that Go's `json.Unmarshal` would read into `ProposalMetadata`.
fn metadata_title_summary(metadata: &str) -> Option<(String, String)> {
    let field = |o: &serde_json::Map<String, serde_json::Value>, k: &str| -> Option<String> {
        match o.get(k) {
            None | Some(serde_json::Value::Null) => Some(String::new()),
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(_) => None,
        }
    };
    match serde_json::from_str::<serde_json::Value>(metadata).ok()? {
        serde_json::Value::Null => Some((String::new(), String::new())),
        serde_json::Value::Object(o) => Some((field(&o, "title")?, field(&o, "summary")?)),
        _ => None,
    }
}

impl TryFrom<pb::MsgSubmitProposal> for SubmitProposal {
    type Error = TxError;
    fn try_from(m: pb::MsgSubmitProposal) -> Result<Self, TxError> {
        if m.title.is_empty() {
            return Err(
                GovError::InvalidProposalContent("proposal title cannot be empty".into()).into(),
            );
        }
        if m.summary.is_empty() {
            return Err(GovError::InvalidProposalContent(
                "proposal summary cannot be empty".into(),
            )
            .into());
        }
        let proposer = parse_addr(&m.proposer, "proposer")?;
        if m.messages.is_empty() && m.metadata.is_empty() {
            return Err(GovError::NoProposalMsgs(
                "either metadata or Msgs length must be non-nil".into(),
            )
            .into());
        }
        if m.messages.len() > MAX_PROPOSAL_MSGS {
            return Err(GovError::LimitExceeded(format!(
                "a proposal holds at most {MAX_PROPOSAL_MSGS} messages"
            ))
            .into());
        }
        if !m.metadata.is_empty() {
            if let Some((title, summary)) = metadata_title_summary(&m.metadata) {
                if title != m.title {
                    return Err(GovError::InvalidProposalContent(format!(
                        "metadata title '{title}' must equal proposal title '{}'",
                        m.title
                    ))
                    .into());
                }
                if summary != m.summary {
                    return Err(GovError::InvalidProposalContent(format!(
                        "metadata summary '{summary}' must equal proposal summary '{}'",
                        m.summary
                    ))
                    .into());
                }
            }
        }
        let initial_deposit = Coins::from_proto(&m.initial_deposit)?;
        Ok(Self {
            messages: m.messages,
            initial_deposit,
            proposer,
            metadata: m.metadata,
            title: m.title,
            summary: m.summary,
            expedited: m.expedited,
        })
    }
}

/// The SDK's `validateInitialDeposit`: at least min deposit × min_initial_deposit_ratio
/// (rounded half to even) of every min deposit denom.
fn validate_initial_deposit(ctx: &Ctx, m: &SubmitProposal) -> Result<(), TxError> {
    let params = ctx.gov_params()?;
    let ratio = params.min_initial_deposit_ratio;
    if ratio != Dec::ZERO {
        let mut need = Vec::new();
        for c in params.min_deposit_for(m.expedited).iter() {
            let a = mul_round(c.amount, ratio).ok_or_else(|| sdk::overflow("deposit overflows"))?;
            need.push(coin(&c.denom, a));
        }
        let min_ok = if need.is_empty() {
            true
        } else {
            !m.initial_deposit.is_empty()
                && need
                    .iter()
                    .all(|c| m.initial_deposit.amount_of(&c.denom) >= c.amount)
        };
        if !min_ok {
            let need: Vec<String> = need.iter().map(|c| c.to_string()).collect();
            return Err(GovError::MinDepositTooSmall(format!(
                "was ({}), need ({})",
                m.initial_deposit,
                need.join(",")
            ))
            .into());
        }
    }
    validate_deposit_denom(&params, &m.initial_deposit)
}

/// Checks one proposal message as the SDK's `Keeper.SubmitProposal` does: it decodes
/// through the app's router (its stateless checks included) and its only signer is gov.
fn check_proposal_msg(router: &deai_framework::Router, any: &Any) -> Result<(), TxError> {
    let msg = router.decode(any).map_err(|e| -> TxError {
        if e.codespace == sdk::CODESPACE && e.code == sdk::UNKNOWN_REQUEST {
            GovError::UnroutableProposalMsg(any.type_url.clone()).into()
        } else {
            GovError::InvalidProposalMsg(e.log).into()
        }
    })?;
    match msg.signers().as_slice() {
        [one] if *one == gov_account() => Ok(()),
        [one] => Err(GovError::InvalidSigner(one.to_bech32()).into()),
        many => Err(GovError::InvalidSigner(format!("{} signers", many.len())).into()),
    }
}

impl Message for SubmitProposal {
    fn signers(&self) -> Vec<Address> {
        vec![self.proposer.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        validate_initial_deposit(ctx, self)?;
        check_metadata(&self.metadata)?;
        if self.summary.len() > MAX_SUMMARY_LEN {
            return Err(GovError::SummaryTooLong(format!(
                "got summary with length {}",
                self.summary.len()
            ))
            .into());
        }
        check_metadata(&self.title)?;
        let mut urls = String::new();
        if !self.messages.is_empty() {
            // The app puts its router in every tx's context; without it (a caller that did
            // not) the messages cannot be checked, so the proposal is refused.
            let router = ctx.router().ok_or_else(|| {
                GovError::UnroutableProposalMsg(
                    "no message router in this context; proposal messages cannot be checked".into(),
                )
            })?;
            for any in &self.messages {
                urls.push(',');
                urls.push_str(&any.type_url);
                check_proposal_msg(router, any)?;
            }
        }
        let id = ctx.next_proposal_id()?;
        let next = id
            .checked_add(1)
            .ok_or_else(|| sdk::overflow("proposal ids exhausted"))?;
        ctx.set_next_proposal_id(next)?;
        let now = ctx.block.time_unix;
        let params = ctx.gov_params()?;
        let p = pb::Proposal {
            id,
            messages: self.messages.clone(),
            status: DEPOSIT_PERIOD,
            final_tally_result: Some(crate::tally::empty_result()),
            submit_time: Some(ts(now)),
            deposit_end_time: Some(ts(now.saturating_add(params.max_deposit_period_secs))),
            total_deposit: Vec::new(),
            voting_start_time: None,
            voting_end_time: None,
            metadata: self.metadata.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            proposer: self.proposer.to_bech32(),
            expedited: self.expedited,
            failed_reason: String::new(),
        };
        ctx.put_proposal(&p)?;
        // The SDK charges 3 × the write cost of the proposal's bytes (cosmos-sdk#9683).
        let per_byte = GasConfig::default().write_cost_per_byte;
        let len = u64::try_from(p.encoded_len()).unwrap_or(u64::MAX);
        ctx.gas().consume(
            per_byte.saturating_mul(3).saturating_mul(len),
            "submit proposal",
        )?;
        ctx.emit(events::submit_proposal(id, &urls, &self.proposer));
        if add_deposit(ctx, id, &self.proposer, &self.initial_deposit)? {
            ctx.emit(events::voting_period_start("submit_proposal", id));
        }
        ctx.emit(sender_event(&self.proposer));
        Ok(response(pb::MsgSubmitProposalResponse { proposal_id: id }))
    }
}
