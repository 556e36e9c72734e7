//! gov genesis in the Cosmos SDK's JSON shape (`app_state.gov` as `simd export` writes it:
//! proto field names, 64-bit integers as strings, decimals with 18 places, durations as
//! `"172800s"`, times in RFC 3339, enums by name), so export → import → export is exact.
//!
//! Deviation: a proposal's messages are written as `{"@type": url, "value": base64}` (the
//! `Any`'s bytes) rather than the message's own JSON fields, which would need every
//! message type's descriptor here.

use base64::Engine as _;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::Any;
use serde::{Deserialize, Serialize};

use deai_auth::{AuthWrite, BURNER};
use deai_framework::dec::Dec;
use deai_framework::genesis::Held;
use deai_framework::{authority, records, sdk, Address, Coins, StateRead, StateWrite, TxError};
use deai_staking::genesis::{fmt_time, parse_time};

use crate::error::GovError;
use crate::keeper::{ts, GovRead, GovWrite, MAX_DEPOSITORS};
use crate::params::Params;
use crate::tally::MAX_VOTERS;
use crate::{state_key, MODULE_NAME};

/// Most proposals a genesis may hold or an export walks.
pub const MAX_GENESIS_PROPOSALS: usize = 100_000;
const MAX_GENESIS_RECORDS: usize = 1_000_000;

fn invalid(msg: impl Into<String>) -> TxError {
    GovError::InvalidGenesis(msg.into()).into()
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisJson {
    #[serde(default = "one")]
    pub starting_proposal_id: String,
    #[serde(default)]
    pub deposits: Vec<DepositJson>,
    #[serde(default)]
    pub votes: Vec<VoteJson>,
    #[serde(default)]
    pub proposals: Vec<ProposalJson>,
    /// Deprecated since v0.47; always null.
    #[serde(default)]
    pub deposit_params: Option<serde_json::Value>,
    #[serde(default)]
    pub voting_params: Option<serde_json::Value>,
    #[serde(default)]
    pub tally_params: Option<serde_json::Value>,
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub constitution: String,
    /// Who may change the params (deai's extension of the SDK shape); default: gov itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

fn one() -> String {
    "1".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoinJson {
    pub denom: String,
    pub amount: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositJson {
    pub proposal_id: String,
    pub depositor: String,
    pub amount: Vec<CoinJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionJson {
    pub option: String,
    pub weight: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteJson {
    pub proposal_id: String,
    pub voter: String,
    pub options: Vec<OptionJson>,
    #[serde(default)]
    pub metadata: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnyJson {
    #[serde(rename = "@type")]
    pub type_url: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyJson {
    pub yes_count: String,
    pub abstain_count: String,
    pub no_count: String,
    pub no_with_veto_count: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalJson {
    pub id: String,
    pub messages: Vec<AnyJson>,
    pub status: String,
    pub final_tally_result: Option<TallyJson>,
    pub submit_time: Option<String>,
    pub deposit_end_time: Option<String>,
    pub total_deposit: Vec<CoinJson>,
    pub voting_start_time: Option<String>,
    pub voting_end_time: Option<String>,
    pub metadata: String,
    pub title: String,
    pub summary: String,
    pub proposer: String,
    pub expedited: bool,
    pub failed_reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsJson {
    pub min_deposit: Vec<CoinJson>,
    pub max_deposit_period: String,
    pub voting_period: String,
    pub quorum: String,
    pub threshold: String,
    pub veto_threshold: String,
    pub min_initial_deposit_ratio: String,
    pub proposal_cancel_ratio: String,
    pub proposal_cancel_dest: String,
    pub expedited_voting_period: String,
    pub expedited_threshold: String,
    pub expedited_min_deposit: Vec<CoinJson>,
    pub burn_vote_quorum: bool,
    pub burn_proposal_deposit_prevote: bool,
    pub burn_vote_veto: bool,
    pub min_deposit_ratio: String,
}

fn coins_json(c: &[ProtoCoin]) -> Vec<CoinJson> {
    c.iter()
        .map(|c| CoinJson {
            denom: c.denom.clone(),
            amount: c.amount.clone(),
        })
        .collect()
}

fn coins_from(c: &[CoinJson], what: &str) -> Result<Coins, TxError> {
    let p: Vec<ProtoCoin> = c
        .iter()
        .map(|c| ProtoCoin {
            denom: c.denom.clone(),
            amount: c.amount.clone(),
        })
        .collect();
    Coins::from_proto(&p).map_err(|e| invalid(format!("{what}: {}", e.log)))
}

fn u64_of(s: &str, what: &str) -> Result<u64, TxError> {
    s.parse::<u64>()
        .map_err(|_| invalid(format!("{what}: invalid integer {s:?}")))
}

fn secs_of(s: &str, what: &str) -> Result<i64, TxError> {
    let n = s
        .strip_suffix('s')
        .ok_or_else(|| invalid(format!("{what}: invalid duration {s:?}")))?;
    n.parse::<i64>()
        .map_err(|_| invalid(format!("{what}: invalid duration {s:?}")))
}

fn dec_str(s: &str, what: &str) -> Result<String, TxError> {
    Dec::parse(s)
        .map(|d| d.to_string())
        .map_err(|e| invalid(format!("{what}: {e}")))
}

fn dur(secs: i64) -> Option<tendermint_proto::google::protobuf::Duration> {
    Some(tendermint_proto::google::protobuf::Duration {
        seconds: secs,
        nanos: 0,
    })
}

fn params_to_json(p: &pb::Params) -> ParamsJson {
    let d = |x: &Option<tendermint_proto::google::protobuf::Duration>| {
        format!("{}s", x.as_ref().map_or(0, |d| d.seconds))
    };
    ParamsJson {
        min_deposit: coins_json(&p.min_deposit),
        max_deposit_period: d(&p.max_deposit_period),
        voting_period: d(&p.voting_period),
        quorum: p.quorum.clone(),
        threshold: p.threshold.clone(),
        veto_threshold: p.veto_threshold.clone(),
        min_initial_deposit_ratio: p.min_initial_deposit_ratio.clone(),
        proposal_cancel_ratio: p.proposal_cancel_ratio.clone(),
        proposal_cancel_dest: p.proposal_cancel_dest.clone(),
        expedited_voting_period: d(&p.expedited_voting_period),
        expedited_threshold: p.expedited_threshold.clone(),
        expedited_min_deposit: coins_json(&p.expedited_min_deposit),
        burn_vote_quorum: p.burn_vote_quorum,
        burn_proposal_deposit_prevote: p.burn_proposal_deposit_prevote,
        burn_vote_veto: p.burn_vote_veto,
        min_deposit_ratio: p.min_deposit_ratio.clone(),
    }
}

fn params_from_json(j: &ParamsJson) -> Result<Params, TxError> {
    let p = pb::Params {
        min_deposit: coins_from(&j.min_deposit, "min_deposit")?.to_proto(),
        max_deposit_period: dur(secs_of(&j.max_deposit_period, "max_deposit_period")?),
        voting_period: dur(secs_of(&j.voting_period, "voting_period")?),
        quorum: dec_str(&j.quorum, "quorum")?,
        threshold: dec_str(&j.threshold, "threshold")?,
        veto_threshold: dec_str(&j.veto_threshold, "veto_threshold")?,
        min_initial_deposit_ratio: dec_str(
            &j.min_initial_deposit_ratio,
            "min_initial_deposit_ratio",
        )?,
        proposal_cancel_ratio: dec_str(&j.proposal_cancel_ratio, "proposal_cancel_ratio")?,
        proposal_cancel_dest: j.proposal_cancel_dest.clone(),
        expedited_voting_period: dur(secs_of(
            &j.expedited_voting_period,
            "expedited_voting_period",
        )?),
        expedited_threshold: dec_str(&j.expedited_threshold, "expedited_threshold")?,
        expedited_min_deposit: coins_from(&j.expedited_min_deposit, "expedited_min_deposit")?
            .to_proto(),
        burn_vote_quorum: j.burn_vote_quorum,
        burn_proposal_deposit_prevote: j.burn_proposal_deposit_prevote,
        burn_vote_veto: j.burn_vote_veto,
        min_deposit_ratio: dec_str(&j.min_deposit_ratio, "min_deposit_ratio")?,
    };
    Ok(Params::from_proto(&p)?)
}

fn time_json(t: &Option<tendermint_proto::google::protobuf::Timestamp>) -> Option<String> {
    t.as_ref().map(|t| fmt_time(t.seconds))
}

fn time_from(
    s: &Option<String>,
) -> Result<Option<tendermint_proto::google::protobuf::Timestamp>, TxError> {
    s.as_ref()
        .map(|s| parse_time(s).map(ts).map_err(|e| invalid(e.log)))
        .transpose()
}

fn status_name(s: i32) -> String {
    pb::ProposalStatus::try_from(s)
        .map_or("PROPOSAL_STATUS_UNSPECIFIED", |v| v.as_str_name())
        .to_string()
}

fn proposal_to_json(p: &pb::Proposal) -> ProposalJson {
    let b64 = base64::engine::general_purpose::STANDARD;
    ProposalJson {
        id: p.id.to_string(),
        messages: p
            .messages
            .iter()
            .map(|m| AnyJson {
                type_url: m.type_url.clone(),
                value: b64.encode(&m.value),
            })
            .collect(),
        status: status_name(p.status),
        final_tally_result: p.final_tally_result.as_ref().map(|t| TallyJson {
            yes_count: t.yes_count.clone(),
            abstain_count: t.abstain_count.clone(),
            no_count: t.no_count.clone(),
            no_with_veto_count: t.no_with_veto_count.clone(),
        }),
        submit_time: time_json(&p.submit_time),
        deposit_end_time: time_json(&p.deposit_end_time),
        total_deposit: coins_json(&p.total_deposit),
        voting_start_time: time_json(&p.voting_start_time),
        voting_end_time: time_json(&p.voting_end_time),
        metadata: p.metadata.clone(),
        title: p.title.clone(),
        summary: p.summary.clone(),
        proposer: p.proposer.clone(),
        expedited: p.expedited,
        failed_reason: p.failed_reason.clone(),
    }
}

fn proposal_from(j: &ProposalJson) -> Result<pb::Proposal, TxError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let status = pb::ProposalStatus::from_str_name(&j.status)
        .filter(|s| *s != pb::ProposalStatus::Unspecified)
        .ok_or_else(|| invalid(format!("proposal {}: invalid status {}", j.id, j.status)))?;
    let tally = |s: &str, what: &str| -> Result<String, TxError> {
        deai_framework::coins::parse_amount(s)
            .map(|v| v.to_string())
            .map_err(|_| invalid(format!("{what}: invalid count {s:?}")))
    };
    let messages = j
        .messages
        .iter()
        .map(|m| {
            Ok(Any {
                type_url: m.type_url.clone(),
                value: b64
                    .decode(&m.value)
                    .map_err(|e| invalid(format!("proposal {}: message: {e}", j.id)))?,
            })
        })
        .collect::<Result<Vec<_>, TxError>>()?;
    Ok(pb::Proposal {
        id: u64_of(&j.id, "proposal id")?,
        messages,
        status: status as i32,
        final_tally_result: j
            .final_tally_result
            .as_ref()
            .map(|t| -> Result<pb::TallyResult, TxError> {
                Ok(pb::TallyResult {
                    yes_count: tally(&t.yes_count, "yes_count")?,
                    abstain_count: tally(&t.abstain_count, "abstain_count")?,
                    no_count: tally(&t.no_count, "no_count")?,
                    no_with_veto_count: tally(&t.no_with_veto_count, "no_with_veto_count")?,
                })
            })
            .transpose()?,
        submit_time: time_from(&j.submit_time)?,
        deposit_end_time: time_from(&j.deposit_end_time)?,
        total_deposit: coins_from(&j.total_deposit, "total_deposit")?.to_proto(),
        voting_start_time: time_from(&j.voting_start_time)?,
        voting_end_time: time_from(&j.voting_end_time)?,
        metadata: j.metadata.clone(),
        title: j.title.clone(),
        summary: j.summary.clone(),
        proposer: j.proposer.clone(),
        expedited: j.expedited,
        failed_reason: j.failed_reason.clone(),
    })
}

fn addr(s: &str, what: &str) -> Result<Address, TxError> {
    Address::from_bech32(s).map_err(|e| invalid(format!("{what}: {}", e.log)))
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g: GenesisJson = if json.is_null() {
        GenesisJson {
            starting_proposal_id: one(),
            ..Default::default()
        }
    } else {
        serde_json::from_value(json.clone()).map_err(|e| invalid(e.to_string()))?
    };
    authority::init(state, &state_key::authority(), g.authority.as_deref())?;
    state.ensure_module_account_with(MODULE_NAME, &[BURNER])?;
    let params = match &g.params {
        Some(p) => params_from_json(p)?,
        None => Params::default(),
    };
    state.set_gov_params(&params)?;
    state.set_constitution(&g.constitution)?;
    let start = u64_of(&g.starting_proposal_id, "starting_proposal_id")?.max(1);
    state.set_next_proposal_id(start)?;
    if g.proposals.len() > MAX_GENESIS_PROPOSALS
        || g.deposits.len() > MAX_GENESIS_RECORDS
        || g.votes.len() > MAX_GENESIS_RECORDS
    {
        return Err(invalid("too many proposals, deposits or votes"));
    }
    for j in &g.proposals {
        let p = proposal_from(j)?;
        if p.id == 0 || p.id >= start {
            return Err(invalid(format!(
                "proposal id {} must be in 1..{start} (starting_proposal_id)",
                p.id
            )));
        }
        if state.proposal(p.id)?.is_some() {
            return Err(invalid(format!("duplicate proposal {}", p.id)));
        }
        state.put_proposal(&p)?;
    }
    let mut held = Held::default();
    for d in &g.deposits {
        let id = u64_of(&d.proposal_id, "deposit proposal_id")?;
        if state.proposal(id)?.is_none() {
            return Err(invalid(format!("deposit on unknown proposal {id}")));
        }
        let who = addr(&d.depositor, "depositor")?;
        if state.deposit(id, &who)?.is_some() {
            return Err(invalid(format!(
                "duplicate deposit of {} on {id}",
                d.depositor
            )));
        }
        let amount = coins_from(&d.amount, "deposit")?;
        amount.iter().try_for_each(|c| held.add(c))?;
        let rec = pb::Deposit {
            proposal_id: id,
            depositor: who.to_bech32(),
            amount: amount.to_proto(),
        };
        state.put_deposit(&rec, &who).map_err(|e| invalid(e.log))?;
    }
    for v in &g.votes {
        let id = u64_of(&v.proposal_id, "vote proposal_id")?;
        if state.proposal(id)?.is_none() {
            return Err(invalid(format!("vote on unknown proposal {id}")));
        }
        let who = addr(&v.voter, "voter")?;
        let mut options = Vec::new();
        for o in &v.options {
            let opt = pb::VoteOption::from_str_name(&o.option)
                .filter(|x| *x != pb::VoteOption::Unspecified)
                .ok_or_else(|| invalid(format!("invalid vote option {}", o.option)))?;
            options.push(pb::WeightedVoteOption {
                option: opt as i32,
                weight: dec_str(&o.weight, "vote weight")?,
            });
        }
        let rec = pb::Vote {
            proposal_id: id,
            voter: who.to_bech32(),
            options,
            metadata: v.metadata.clone(),
        };
        state.put_vote(&rec, &who).map_err(|e| invalid(e.log))?;
    }
    // As the SDK's InitGenesis: the gov account holds exactly the deposits.
    deai_bank::check_module_holds(
        state,
        MODULE_NAME,
        &deai_auth::module_address(MODULE_NAME),
        &held,
        "deposits",
        invalid,
    )
}

pub fn export_json(s: &dyn StateRead) -> Result<GenesisJson, TxError> {
    let proposals: Vec<pb::Proposal> = records::all_under(
        MODULE_NAME,
        s,
        &state_key::proposals(),
        MAX_GENESIS_PROPOSALS,
    )?;
    let deposits: Vec<pb::Deposit> = records::all_under(
        MODULE_NAME,
        s,
        &state_key::all_deposits(),
        MAX_GENESIS_PROPOSALS.saturating_mul(MAX_DEPOSITORS as usize),
    )?;
    let votes: Vec<pb::Vote> = records::all_under(
        MODULE_NAME,
        s,
        &state_key::all_votes(),
        MAX_GENESIS_PROPOSALS.saturating_mul(MAX_VOTERS as usize),
    )?;
    Ok(GenesisJson {
        starting_proposal_id: s.next_proposal_id()?.to_string(),
        deposits: deposits
            .iter()
            .map(|d| DepositJson {
                proposal_id: d.proposal_id.to_string(),
                depositor: d.depositor.clone(),
                amount: coins_json(&d.amount),
            })
            .collect(),
        votes: votes
            .iter()
            .map(|v| VoteJson {
                proposal_id: v.proposal_id.to_string(),
                voter: v.voter.clone(),
                options: v
                    .options
                    .iter()
                    .map(|o| OptionJson {
                        option: crate::msgs::option_name(o.option).to_string(),
                        weight: o.weight.clone(),
                    })
                    .collect(),
                metadata: v.metadata.clone(),
            })
            .collect(),
        proposals: proposals.iter().map(proposal_to_json).collect(),
        deposit_params: None,
        voting_params: None,
        tally_params: None,
        params: Some(params_to_json(&s.gov_params()?.to_proto())),
        constitution: s.constitution()?,
        authority: Some(authority::get(s, &state_key::authority())?.to_bech32()),
    })
}

pub fn export(s: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    serde_json::to_value(export_json(s)?)
        .map_err(|e| sdk::internal(format!("gov genesis export: {e}")))
}
