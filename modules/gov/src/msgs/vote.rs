//! MsgVote and MsgVoteWeighted (v1, and v1beta1 through `legacy.rs`), with the SDK's checks.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::Any;

use deai_framework::handler::{response, sender_event};
use deai_framework::{sdk, Address, Ctx, Message, TxError};

use super::{check_metadata, parse_addr};
use crate::error::GovError;
use crate::keeper::{secs, GovRead, GovWrite, VOTING_PERIOD};
use crate::tally::Options;
use crate::{events, Dec, MODULE_NAME};

pub(crate) fn option_name(o: i32) -> &'static str {
    pb::VoteOption::try_from(o).map_or("VOTE_OPTION_UNSPECIFIED", |v| v.as_str_name())
}

/// The SDK's `ValidWeightedVoteOption`: yes, abstain, no or no with veto.
pub(crate) fn valid_option(o: i32) -> bool {
    (1..=4).contains(&o)
}

/// The proto text of weighted options, as the SDK's `WeightedVoteOptions.String()`.
fn options_string(options: &Options) -> String {
    options
        .iter()
        .map(|(o, w)| format!("option:{} weight:\"{w}\"", option_name(*o)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which message a vote came in (for its response type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteKind {
    Vote,
    Weighted,
    LegacyVote,
    LegacyWeighted,
}

/// A vote: the same for all four messages once checked.
#[derive(Clone, Debug)]
pub struct Vote {
    pub proposal_id: u64,
    pub voter: Address,
    pub options: Options,
    pub metadata: String,
    pub kind: VoteKind,
}

impl Vote {
    pub(crate) fn single(
        proposal_id: u64,
        voter: &str,
        option: i32,
        metadata: String,
        kind: VoteKind,
    ) -> Result<Self, TxError> {
        let voter = parse_addr(voter, "voter")?;
        if !valid_option(option) {
            return Err(GovError::InvalidVote(option_name(option).into()).into());
        }
        Ok(Self {
            proposal_id,
            voter,
            options: vec![(option, Dec::ONE)],
            metadata,
            kind,
        })
    }

    /// The SDK's msg server checks of MsgVoteWeighted; `parse` reads a weight.
    pub(crate) fn weighted(
        proposal_id: u64,
        voter: &str,
        options: Vec<(i32, String)>,
        metadata: String,
        kind: VoteKind,
        parse: impl Fn(&str) -> Result<Dec, String>,
    ) -> Result<Self, TxError> {
        let voter = parse_addr(voter, "voter")?;
        if options.is_empty() {
            return Err(sdk::invalid_request("empty vote options"));
        }
        let mut total: u128 = 0;
        let mut out: Options = Vec::new();
        for (o, w) in &options {
            let weight =
                parse(w).map_err(|e| GovError::InvalidVote(format!("invalid weight: {e}")))?;
            if !valid_option(*o) || weight == Dec::ZERO || weight > Dec::ONE {
                return Err(GovError::InvalidVote(format!(
                    "option:{} weight:\"{w}\"",
                    option_name(*o)
                ))
                .into());
            }
            if out.iter().any(|(u, _)| u == o) {
                return Err(GovError::InvalidVote("duplicated vote option".into()).into());
            }
            total = total.saturating_add(weight.units());
            out.push((*o, weight));
        }
        if total > Dec::ONE.units() {
            return Err(GovError::InvalidVote("total weight overflow 1.00".into()).into());
        }
        if total < Dec::ONE.units() {
            return Err(GovError::InvalidVote("total weight lower than 1.00".into()).into());
        }
        Ok(Self {
            proposal_id,
            voter,
            options: out,
            metadata,
            kind,
        })
    }
}

impl TryFrom<pb::MsgVote> for Vote {
    type Error = TxError;
    fn try_from(m: pb::MsgVote) -> Result<Self, TxError> {
        Vote::single(
            m.proposal_id,
            &m.voter,
            m.option,
            m.metadata,
            VoteKind::Vote,
        )
    }
}

/// v1 MsgVoteWeighted: weights as decimal strings ("0.5").
impl TryFrom<pb::MsgVoteWeighted> for Vote {
    type Error = TxError;
    fn try_from(m: pb::MsgVoteWeighted) -> Result<Self, TxError> {
        let options = m
            .options
            .into_iter()
            .map(|o| (o.option, o.weight))
            .collect();
        Vote::weighted(
            m.proposal_id,
            &m.voter,
            options,
            m.metadata,
            VoteKind::Weighted,
            Dec::parse,
        )
    }
}

impl Message for Vote {
    fn signers(&self) -> Vec<Address> {
        vec![self.voter.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    /// The SDK's `AddVote`.
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let id = self.proposal_id;
        let p = ctx.proposal(id)?;
        // A voting period that has ended (its tally may wait for a later end block) takes
        // no more votes.
        let open = p.as_ref().is_some_and(|p| {
            p.status == VOTING_PERIOD && ctx.block.time_unix <= secs(&p.voting_end_time)
        });
        if !open {
            return Err(GovError::InactiveProposal(id.to_string()).into());
        }
        check_metadata(&self.metadata)?;
        let vote = pb::Vote {
            proposal_id: id,
            voter: self.voter.to_bech32(),
            options: self
                .options
                .iter()
                .map(|(o, w)| pb::WeightedVoteOption {
                    option: *o,
                    weight: w.to_string(),
                })
                .collect(),
            metadata: self.metadata.clone(),
        };
        ctx.put_vote(&vote, &self.voter)?;
        ctx.emit(events::proposal_vote(
            &self.voter,
            &options_string(&self.options),
            id,
        ));
        ctx.emit(sender_event(&self.voter));
        use cosmos_sdk_proto::cosmos::gov::v1beta1 as b1;
        Ok(match self.kind {
            VoteKind::Vote => response(pb::MsgVoteResponse {}),
            VoteKind::Weighted => response(pb::MsgVoteWeightedResponse {}),
            VoteKind::LegacyVote => response(b1::MsgVoteResponse {}),
            VoteKind::LegacyWeighted => response(b1::MsgVoteWeightedResponse {}),
        })
    }
}
