//! The v1beta1 queries (`/cosmos.gov.v1beta1.Query/...`), which cosmjs's `setupGovExtension`
//! calls, answered from the v1 records as the SDK's legacy query server converts them
//! (`ConvertToLegacyProposal` and friends): a proposal's content is its
//! `MsgExecLegacyContent`'s content, else its first message (cosmos-sdk#14334), and
//! decimals travel as LegacyDec bytes (10^-18 units as digits).

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::cosmos::gov::v1beta1 as b1;
use prost::{Message, Name};

use deai_framework::dec::Dec;
use deai_framework::{sdk, Router, StateRead, TxError};

use crate::query::{
    deposits_page, get_deposit, get_proposal, get_vote, proposals_page, tally_of, votes_page,
};
use crate::GovRead;

const Q: &str = "/cosmos.gov.v1beta1.Query/";

fn legacy_dec(s: &str) -> Result<Vec<u8>, TxError> {
    let d = Dec::parse(s).map_err(|e| sdk::internal(format!("corrupt gov decimal: {e}")))?;
    Ok(d.units().to_string().into_bytes())
}

pub fn legacy_tally(t: Option<pb::TallyResult>) -> b1::TallyResult {
    let t = t.unwrap_or_else(crate::tally::empty_result);
    let or0 = |s: String| if s.is_empty() { "0".to_string() } else { s };
    b1::TallyResult {
        yes: or0(t.yes_count),
        abstain: or0(t.abstain_count),
        no: or0(t.no_count),
        no_with_veto: or0(t.no_with_veto_count),
    }
}

pub fn legacy_proposal(p: pb::Proposal) -> b1::Proposal {
    let content = p
        .messages
        .iter()
        .find(|m| m.type_url == pb::MsgExecLegacyContent::type_url())
        .and_then(|m| pb::MsgExecLegacyContent::decode(m.value.as_slice()).ok())
        .and_then(|m| m.content)
        .or_else(|| p.messages.first().cloned());
    b1::Proposal {
        proposal_id: p.id,
        content,
        status: p.status,
        final_tally_result: Some(legacy_tally(p.final_tally_result)),
        submit_time: p.submit_time,
        deposit_end_time: p.deposit_end_time,
        total_deposit: p.total_deposit,
        voting_start_time: p.voting_start_time,
        voting_end_time: p.voting_end_time,
    }
}

// `option` is deprecated; the SDK leaves it unset too.
#[allow(deprecated)]
fn legacy_vote(v: pb::Vote) -> Result<b1::Vote, TxError> {
    let options = v
        .options
        .into_iter()
        .map(|o| {
            Ok(b1::WeightedVoteOption {
                option: o.option,
                weight: String::from_utf8(legacy_dec(&o.weight)?)
                    .map_err(|_| sdk::internal("weight"))?,
            })
        })
        .collect::<Result<Vec<_>, TxError>>()?;
    Ok(b1::Vote {
        proposal_id: v.proposal_id,
        voter: v.voter,
        option: 0,
        options,
    })
}

fn legacy_deposit(d: pb::Deposit) -> b1::Deposit {
    b1::Deposit {
        proposal_id: d.proposal_id,
        depositor: d.depositor,
        amount: d.amount,
    }
}

fn proposal(
    s: &dyn StateRead,
    r: b1::QueryProposalRequest,
) -> Result<b1::QueryProposalResponse, TxError> {
    Ok(b1::QueryProposalResponse {
        proposal: Some(legacy_proposal(get_proposal(s, r.proposal_id)?)),
    })
}

fn proposals(
    s: &dyn StateRead,
    r: b1::QueryProposalsRequest,
) -> Result<b1::QueryProposalsResponse, TxError> {
    let (ps, pagination) =
        proposals_page(s, r.proposal_status, &r.voter, &r.depositor, r.pagination)?;
    Ok(b1::QueryProposalsResponse {
        proposals: ps.into_iter().map(legacy_proposal).collect(),
        pagination: Some(pagination),
    })
}

fn vote(s: &dyn StateRead, r: b1::QueryVoteRequest) -> Result<b1::QueryVoteResponse, TxError> {
    Ok(b1::QueryVoteResponse {
        vote: Some(legacy_vote(get_vote(s, r.proposal_id, &r.voter)?)?),
    })
}

fn votes(s: &dyn StateRead, r: b1::QueryVotesRequest) -> Result<b1::QueryVotesResponse, TxError> {
    let (vs, pagination) = votes_page(s, r.proposal_id, r.pagination)?;
    Ok(b1::QueryVotesResponse {
        votes: vs.into_iter().map(legacy_vote).collect::<Result<_, _>>()?,
        pagination: Some(pagination),
    })
}

/// The v1beta1 Params query answers one params type ("deposit", "voting" or "tallying"),
/// the others left at their defaults (the SDK's fields are non-nullable).
fn params(
    s: &dyn StateRead,
    r: b1::QueryParamsRequest,
) -> Result<b1::QueryParamsResponse, TxError> {
    let p = s.gov_params()?.to_proto();
    let mut out = b1::QueryParamsResponse {
        voting_params: Some(b1::VotingParams::default()),
        deposit_params: Some(b1::DepositParams::default()),
        tally_params: Some(b1::TallyParams::default()),
    };
    match r.params_type.as_str() {
        "deposit" => {
            out.deposit_params = Some(b1::DepositParams {
                min_deposit: p.min_deposit,
                max_deposit_period: p.max_deposit_period,
            })
        }
        "voting" => {
            out.voting_params = Some(b1::VotingParams {
                voting_period: p.voting_period,
            })
        }
        "tallying" => {
            out.tally_params = Some(b1::TallyParams {
                quorum: legacy_dec(&p.quorum)?,
                threshold: legacy_dec(&p.threshold)?,
                veto_threshold: legacy_dec(&p.veto_threshold)?,
            })
        }
        other => {
            return Err(sdk::invalid_request(format!(
                "{other} is not a valid parameter type"
            )))
        }
    }
    Ok(out)
}

fn deposit(
    s: &dyn StateRead,
    r: b1::QueryDepositRequest,
) -> Result<b1::QueryDepositResponse, TxError> {
    Ok(b1::QueryDepositResponse {
        deposit: Some(legacy_deposit(get_deposit(s, r.proposal_id, &r.depositor)?)),
    })
}

fn deposits(
    s: &dyn StateRead,
    r: b1::QueryDepositsRequest,
) -> Result<b1::QueryDepositsResponse, TxError> {
    let (ds, pagination) = deposits_page(s, r.proposal_id, r.pagination)?;
    Ok(b1::QueryDepositsResponse {
        deposits: ds.into_iter().map(legacy_deposit).collect(),
        pagination: Some(pagination),
    })
}

fn tally_result(
    s: &dyn StateRead,
    r: b1::QueryTallyResultRequest,
) -> Result<b1::QueryTallyResultResponse, TxError> {
    Ok(b1::QueryTallyResultResponse {
        tally: Some(legacy_tally(Some(tally_of(s, r.proposal_id)?))),
    })
}

pub fn register(router: &mut Router) {
    router.add_query(&format!("{Q}Proposal"), proposal);
    router.add_query(&format!("{Q}Proposals"), proposals);
    router.add_query(&format!("{Q}Vote"), vote);
    router.add_query(&format!("{Q}Votes"), votes);
    router.add_query(&format!("{Q}Params"), params);
    router.add_query(&format!("{Q}Deposit"), deposit);
    router.add_query(&format!("{Q}Deposits"), deposits);
    router.add_query(&format!("{Q}TallyResult"), tally_result);
}
