//! gov's v1 queries at the SDK's gRPC paths (`/cosmos.gov.v1.Query/...`), with the SDK's
//! argument checks (gRPC InvalidArgument as `sdk` 18, NotFound as `sdk` 22).

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmos::gov::v1 as pb;

use deai_framework::keys::prefix_end;
use deai_framework::pagination::{paginate, DEFAULT_LIMIT, MAX_LIMIT};
use deai_framework::query::parse_address;
use deai_framework::state::KvPair;
use deai_framework::{records, sdk, Router, StateRead, TxError};

use crate::keeper::{GovRead, DEPOSIT_PERIOD, VOTING_PERIOD};
use crate::tally::{empty_result, tally};
use crate::{state_key, MODULE_NAME};

const Q: &str = "/cosmos.gov.v1.Query/";

/// Most proposals a filtered Proposals query walks.
pub const MAX_FILTER_WALK: usize = 100_000;

pub(crate) fn nonzero_id(id: u64) -> Result<(), TxError> {
    if id == 0 {
        return Err(sdk::invalid_request("proposal id can not be 0"));
    }
    Ok(())
}

pub(crate) fn get_proposal(s: &dyn StateRead, id: u64) -> Result<pb::Proposal, TxError> {
    nonzero_id(id)?;
    s.proposal(id)?
        .ok_or_else(|| sdk::key_not_found(format!("proposal {id} doesn't exist")))
}

fn decode_all<M: prost::Message + Default>(page: &[KvPair]) -> Result<Vec<M>, TxError> {
    page.iter()
        .map(|(_, v)| records::decode(MODULE_NAME, v))
        .collect()
}

/// A page of the entries under `prefix` that `keep` accepts, with the SDK's pagination
/// semantics (key or offset, limit, reverse, count_total); keys relative to the prefix.
pub(crate) fn filtered_page(
    s: &dyn StateRead,
    prefix: &[u8],
    page: Option<PageRequest>,
    keep: impl Fn(&[u8], &[u8]) -> Result<bool, TxError>,
) -> Result<(Vec<KvPair>, PageResponse), TxError> {
    let page = page.unwrap_or_default();
    if !page.key.is_empty() && page.offset > 0 {
        return Err(sdk::invalid_request(
            "invalid request, either offset or key is expected, got both",
        ));
    }
    let limit = match page.limit {
        0 => DEFAULT_LIMIT,
        l => l.min(MAX_LIMIT),
    } as usize;
    let end = prefix_end(prefix);
    let full = |rel: &[u8]| [prefix, rel].concat();
    let (start, stop) = if page.key.is_empty() {
        (prefix.to_vec(), end)
    } else if page.reverse {
        let mut upper = full(&page.key);
        upper.push(0);
        (prefix.to_vec(), Some(upper))
    } else {
        (full(&page.key), end)
    };
    let all = s.scan(&start, stop.as_deref(), page.reverse, MAX_FILTER_WALK + 1)?;
    if all.len() > MAX_FILTER_WALK {
        return Err(sdk::invalid_request("too many proposals to filter"));
    }
    let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
    let mut matched = 0usize;
    let mut out = Vec::new();
    let mut next_key = Vec::new();
    for (k, v) in all {
        if !keep(&k, &v)? {
            continue;
        }
        matched = matched.saturating_add(1);
        if matched <= offset {
            continue;
        }
        if out.len() == limit {
            if next_key.is_empty() {
                next_key = k.get(prefix.len()..).unwrap_or_default().to_vec();
            }
            if !page.count_total {
                break;
            }
            continue;
        }
        out.push((k.get(prefix.len()..).unwrap_or_default().to_vec(), v));
    }
    let total = if page.count_total && page.key.is_empty() {
        matched as u64
    } else {
        0
    };
    Ok((out, PageResponse { next_key, total }))
}

fn constitution(
    s: &dyn StateRead,
    _: pb::QueryConstitutionRequest,
) -> Result<pb::QueryConstitutionResponse, TxError> {
    Ok(pb::QueryConstitutionResponse {
        constitution: s.constitution()?,
    })
}

fn proposal(
    s: &dyn StateRead,
    r: pb::QueryProposalRequest,
) -> Result<pb::QueryProposalResponse, TxError> {
    Ok(pb::QueryProposalResponse {
        proposal: Some(get_proposal(s, r.proposal_id)?),
    })
}

/// Proposals by status, voter and depositor (each optional), paginated.
pub(crate) fn proposals_page(
    s: &dyn StateRead,
    status: i32,
    voter: &str,
    depositor: &str,
    page: Option<PageRequest>,
) -> Result<(Vec<pb::Proposal>, PageResponse), TxError> {
    let voter = (!voter.is_empty())
        .then(|| parse_address(voter))
        .transpose()?;
    let depositor = (!depositor.is_empty())
        .then(|| parse_address(depositor))
        .transpose()?;
    let prefix = state_key::proposals();
    let (entries, pagination) = if status == 0 && voter.is_none() && depositor.is_none() {
        paginate(s, &prefix, page)?
    } else {
        filtered_page(s, &prefix, page, |_, v| {
            let p: pb::Proposal = records::decode(MODULE_NAME, v)?;
            if status != 0 && p.status != status {
                return Ok(false);
            }
            if let Some(a) = &voter {
                if s.vote(p.id, a)?.is_none() {
                    return Ok(false);
                }
            }
            if let Some(a) = &depositor {
                if s.deposit(p.id, a)?.is_none() {
                    return Ok(false);
                }
            }
            Ok(true)
        })?
    };
    Ok((decode_all(&entries)?, pagination))
}

fn proposals(
    s: &dyn StateRead,
    r: pb::QueryProposalsRequest,
) -> Result<pb::QueryProposalsResponse, TxError> {
    let (proposals, pagination) =
        proposals_page(s, r.proposal_status, &r.voter, &r.depositor, r.pagination)?;
    Ok(pb::QueryProposalsResponse {
        proposals,
        pagination: Some(pagination),
    })
}

pub(crate) fn get_vote(s: &dyn StateRead, id: u64, voter: &str) -> Result<pb::Vote, TxError> {
    nonzero_id(id)?;
    if voter.is_empty() {
        return Err(sdk::invalid_request("empty voter address"));
    }
    let a = parse_address(voter)?;
    s.vote(id, &a)?
        .ok_or_else(|| sdk::invalid_request(format!("voter: {voter} not found for proposal: {id}")))
}

fn vote(s: &dyn StateRead, r: pb::QueryVoteRequest) -> Result<pb::QueryVoteResponse, TxError> {
    Ok(pb::QueryVoteResponse {
        vote: Some(get_vote(s, r.proposal_id, &r.voter)?),
    })
}

pub(crate) fn votes_page(
    s: &dyn StateRead,
    id: u64,
    page: Option<PageRequest>,
) -> Result<(Vec<pb::Vote>, PageResponse), TxError> {
    nonzero_id(id)?;
    let (entries, pagination) = paginate(s, &state_key::votes_of(id), page)?;
    Ok((decode_all(&entries)?, pagination))
}

fn votes(s: &dyn StateRead, r: pb::QueryVotesRequest) -> Result<pb::QueryVotesResponse, TxError> {
    let (votes, pagination) = votes_page(s, r.proposal_id, r.pagination)?;
    Ok(pb::QueryVotesResponse {
        votes,
        pagination: Some(pagination),
    })
}

// The SDK still fills the deprecated per-type params on request.
#[allow(deprecated)]
fn params(
    s: &dyn StateRead,
    r: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    let p = s.gov_params()?.to_proto();
    let mut out = pb::QueryParamsResponse {
        params: Some(p.clone()),
        ..Default::default()
    };
    match r.params_type.as_str() {
        "deposit" => {
            out.deposit_params = Some(pb::DepositParams {
                min_deposit: p.min_deposit,
                max_deposit_period: p.max_deposit_period,
            })
        }
        "voting" => {
            out.voting_params = Some(pb::VotingParams {
                voting_period: p.voting_period,
            })
        }
        "tallying" => {
            out.tally_params = Some(pb::TallyParams {
                quorum: p.quorum,
                threshold: p.threshold,
                veto_threshold: p.veto_threshold,
            })
        }
        "" => {}
        other => {
            return Err(sdk::invalid_request(format!(
                "unknown params type: {other}"
            )));
        }
    }
    Ok(out)
}

pub(crate) fn get_deposit(
    s: &dyn StateRead,
    id: u64,
    depositor: &str,
) -> Result<pb::Deposit, TxError> {
    nonzero_id(id)?;
    if depositor.is_empty() {
        return Err(sdk::invalid_request("empty depositor address"));
    }
    let a = parse_address(depositor)?;
    s.deposit(id, &a)?.ok_or_else(|| {
        sdk::invalid_request(format!(
            "depositer: {depositor} not found for proposal: {id}"
        ))
    })
}

fn deposit(
    s: &dyn StateRead,
    r: pb::QueryDepositRequest,
) -> Result<pb::QueryDepositResponse, TxError> {
    Ok(pb::QueryDepositResponse {
        deposit: Some(get_deposit(s, r.proposal_id, &r.depositor)?),
    })
}

pub(crate) fn deposits_page(
    s: &dyn StateRead,
    id: u64,
    page: Option<PageRequest>,
) -> Result<(Vec<pb::Deposit>, PageResponse), TxError> {
    nonzero_id(id)?;
    let (entries, pagination) = paginate(s, &state_key::deposits_of(id), page)?;
    Ok((decode_all(&entries)?, pagination))
}

fn deposits(
    s: &dyn StateRead,
    r: pb::QueryDepositsRequest,
) -> Result<pb::QueryDepositsResponse, TxError> {
    let (deposits, pagination) = deposits_page(s, r.proposal_id, r.pagination)?;
    Ok(pb::QueryDepositsResponse {
        deposits,
        pagination: Some(pagination),
    })
}

/// The SDK's TallyResult query: zeros in the deposit period, the live tally in the voting
/// period, the final one after.
pub(crate) fn tally_of(s: &dyn StateRead, id: u64) -> Result<pb::TallyResult, TxError> {
    let p = get_proposal(s, id)?;
    Ok(match p.status {
        DEPOSIT_PERIOD => empty_result(),
        VOTING_PERIOD => tally(s, &p, &s.gov_params()?)?.result,
        _ => p.final_tally_result.unwrap_or_else(empty_result),
    })
}

fn tally_result(
    s: &dyn StateRead,
    r: pb::QueryTallyResultRequest,
) -> Result<pb::QueryTallyResultResponse, TxError> {
    Ok(pb::QueryTallyResultResponse {
        tally: Some(tally_of(s, r.proposal_id)?),
    })
}

pub fn register(router: &mut Router) {
    router.add_query(&format!("{Q}Constitution"), constitution);
    router.add_query(&format!("{Q}Proposal"), proposal);
    router.add_query(&format!("{Q}Proposals"), proposals);
    router.add_query(&format!("{Q}Vote"), vote);
    router.add_query(&format!("{Q}Votes"), votes);
    router.add_query(&format!("{Q}Params"), params);
    router.add_query(&format!("{Q}Deposit"), deposit);
    router.add_query(&format!("{Q}Deposits"), deposits);
    router.add_query(&format!("{Q}TallyResult"), tally_result);
    crate::query_legacy::register(router);
}
