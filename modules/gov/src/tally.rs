//! The tally of a proposal: the SDK v0.50 `Keeper.Tally`, stake-weighted through
//! deai-staking. Bonded validators vote with their delegators' shares less the shares of
//! those delegators who voted themselves (the SDK's deduction algorithm); a delegator's
//! vote counts its delegations to bonded validators.
//!
//! Bound: each vote reads the voter's delegation to every bonded validator (one
//! `StakingRead::delegation` each), so a tally costs at most votes × bonded validators
//! reads, with votes ≤ [`MAX_VOTERS`] and bonded validators ≤ staking's `max_validators`
//! (≤ 1000). Reading the delegations per bonded validator (rather than iterating the
//! voter's delegations, as the SDK does) makes the bound independent of how many
//! delegations to unbonded validators a voter holds.
//!
//! Arithmetic: voting powers are 18-decimal fixed point (the SDK's LegacyDec) in u128 units,
//! products through 256 bits, floored. The quorum, veto and threshold comparisons are exact
//! (cross-multiplied) where the SDK compares quotients rounded at the 18th decimal.

use std::collections::BTreeMap;

use cosmos_sdk_proto::cosmos::gov::v1 as pb;

use deai_bank::BankRead;
use deai_framework::dec::{Dec, DEC_SCALE};
use deai_framework::keys::prefix_end;
use deai_framework::{records, sdk, Address, StateRead, TxError};
use deai_staking::keeper::{delegation_shares, operator, shares, tokens};
use deai_staking::{StakingRead, BONDED_POOL};

use crate::params::Params;
use crate::{state_key, MODULE_NAME};

/// Most voters a proposal accepts (deai's bound on the tally's work; see the crate docs).
pub const MAX_VOTERS: u64 = 20_000;

pub use deai_framework::dec::{mul_div_rem, mul_wide};

/// floor(a × b / c), or None (see [`mul_div_rem`]).
pub fn mul_div(a: u128, b: u128, c: u128) -> Option<u128> {
    mul_div_rem(a, b, c).map(|(q, _)| q)
}

fn overflow() -> TxError {
    sdk::internal("tally arithmetic overflows")
}

/// The options of a vote: (option, weight).
pub type Options = Vec<(i32, Dec)>;

/// Reads a stored vote's options (stored ones were checked when cast).
pub fn stored_options(v: &pb::Vote) -> Result<Options, TxError> {
    v.options
        .iter()
        .map(|o| {
            Dec::parse(&o.weight)
                .map(|w| (o.option, w))
                .map_err(|_| sdk::internal("corrupt stored vote weight"))
        })
        .collect()
}

struct ValInfo {
    tokens: u128,
    shares: u128,
    deductions: u128,
    vote: Option<Options>,
}

/// Per-option sums in 10^-18 units: yes, abstain, no, no with veto.
#[derive(Default)]
struct Sums {
    by_option: [u128; 5],
    total: u128,
}

impl Sums {
    fn add(&mut self, power: u128, options: &Options) -> Result<(), TxError> {
        for (opt, w) in options {
            let i = usize::try_from(*opt)
                .ok()
                .filter(|i| (1..=4).contains(i))
                .ok_or_else(|| sdk::internal("corrupt stored vote option"))?;
            let sub = mul_div(power, w.units(), DEC_SCALE).ok_or_else(overflow)?;
            self.by_option[i] = self.by_option[i].checked_add(sub).ok_or_else(overflow)?;
        }
        self.total = self.total.checked_add(power).ok_or_else(overflow)?;
        Ok(())
    }
}

/// `shares × tokens / total_shares` as 10^-18 units.
fn power(sh: u128, tokens: u128, total_shares: u128) -> Result<u128, TxError> {
    let t = tokens.checked_mul(DEC_SCALE).ok_or_else(overflow)?;
    mul_div(sh, t, total_shares).ok_or_else(overflow)
}

pub struct Outcome {
    pub passes: bool,
    pub burn_deposits: bool,
    pub result: pb::TallyResult,
}

/// The quorum, threshold and veto threshold a tally compares against (gov's decimals).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub quorum: Dec,
    pub threshold: Dec,
    pub veto_threshold: Dec,
}

/// How a tally ended, in the SDK's order of checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing is bonded: nobody can vote (the SDK rejects without burning).
    NoBondedStake,
    /// The voting power that voted is below the quorum of the bonded tokens.
    NoQuorum,
    /// Every vote cast abstained.
    AllAbstain,
    /// no_with_veto is more than the veto threshold of the voting power.
    Vetoed,
    /// yes is more than the threshold of the non-abstaining power.
    Passed,
    /// yes did not reach the threshold.
    Rejected,
}

/// The verdict of a tally and its per-option counts (whole tokens, floored).
pub struct VoteTally {
    pub verdict: Verdict,
    pub result: pb::TallyResult,
}

/// The stake-weighted tally of `votes` (voter, options), each voter at most once, under
/// `t`: the SDK's algorithm (validators vote with their delegators' shares less those of
/// delegators who voted themselves). Costs `votes.len()` × bonded validators reads;
/// callers bound `votes` (gov by [`MAX_VOTERS`]).
pub fn tally_votes(
    s: &dyn StateRead,
    votes: &[(Address, Options)],
    t: &Thresholds,
) -> Result<VoteTally, TxError> {
    let mut vals: BTreeMap<Address, ValInfo> = BTreeMap::new();
    for v in deai_staking::endblock::bonded_validators(s)? {
        let sh = shares(&v)?.units();
        if sh == 0 {
            continue; // no delegator shares: no voting power (and nothing to divide by)
        }
        vals.insert(
            operator(&v)?,
            ValInfo {
                tokens: tokens(&v)?,
                shares: sh,
                deductions: 0,
                vote: None,
            },
        );
    }
    let mut sums = Sums::default();
    for (voter, options) in votes {
        if let Some(v) = vals.get_mut(voter) {
            v.vote = Some(options.clone());
        }
        for (op, v) in vals.iter_mut() {
            let Some(d) = s.delegation(voter, op)? else {
                continue;
            };
            let sh = delegation_shares(&d)?.units();
            v.deductions = v.deductions.checked_add(sh).ok_or_else(overflow)?;
            sums.add(power(sh, v.tokens, v.shares)?, options)?;
        }
    }
    for v in vals.values() {
        if let Some(options) = &v.vote {
            let after = v.shares.saturating_sub(v.deductions);
            sums.add(power(after, v.tokens, v.shares)?, options)?;
        }
    }
    let [_, yes, abstain, no, veto] = sums.by_option;
    let result = pb::TallyResult {
        yes_count: (yes / DEC_SCALE).to_string(),
        abstain_count: (abstain / DEC_SCALE).to_string(),
        no_count: (no / DEC_SCALE).to_string(),
        no_with_veto_count: (veto / DEC_SCALE).to_string(),
    };
    let out = |verdict| VoteTally {
        verdict,
        result: result.clone(),
    };
    let bond_denom = s.staking_params()?.bond_denom;
    let bonded = s.module_balance(BONDED_POOL, &bond_denom)?;
    if bonded == 0 {
        return Ok(out(Verdict::NoBondedStake));
    }
    let total = sums.total;
    // total / bonded < quorum
    if mul_wide(total, 1) < mul_wide(t.quorum.units(), bonded) {
        return Ok(out(Verdict::NoQuorum));
    }
    let non_abstain = total.saturating_sub(abstain);
    if non_abstain == 0 {
        return Ok(out(Verdict::AllAbstain));
    }
    // veto / total > veto threshold
    if mul_wide(veto, DEC_SCALE) > mul_wide(t.veto_threshold.units(), total) {
        return Ok(out(Verdict::Vetoed));
    }
    // yes / (total − abstain) > threshold
    if mul_wide(yes, DEC_SCALE) > mul_wide(t.threshold.units(), non_abstain) {
        return Ok(out(Verdict::Passed));
    }
    Ok(out(Verdict::Rejected))
}

/// A proposal's tally: its stored votes (at most [`MAX_VOTERS`], in key order) through
/// [`tally_votes`] with the params' thresholds (the expedited one for an expedited
/// proposal). Only reads state (the SDK's tally deletes the votes as it goes; deai's end
/// block deletes them after, so the TallyResult query can run the same function).
pub fn tally(s: &dyn StateRead, p: &pb::Proposal, params: &Params) -> Result<Outcome, TxError> {
    let prefix = state_key::votes_of(p.id);
    let end = prefix_end(&prefix);
    let max = usize::try_from(MAX_VOTERS).unwrap_or(usize::MAX);
    let mut votes = Vec::new();
    for (_, bytes) in s.scan(&prefix, end.as_deref(), false, max)? {
        let vote: pb::Vote = records::decode(MODULE_NAME, &bytes)?;
        votes.push((records::stored_addr(&vote.voter)?, stored_options(&vote)?));
    }
    let threshold = if p.expedited {
        params.expedited_threshold
    } else {
        params.threshold
    };
    let t = Thresholds {
        quorum: params.quorum,
        threshold,
        veto_threshold: params.veto_threshold,
    };
    let VoteTally { verdict, result } = tally_votes(s, &votes, &t)?;
    let (passes, burn_deposits) = match verdict {
        Verdict::Passed => (true, false),
        Verdict::NoQuorum => (false, params.burn_vote_quorum),
        Verdict::Vetoed => (false, params.burn_vote_veto),
        Verdict::NoBondedStake | Verdict::AllAbstain | Verdict::Rejected => (false, false),
    };
    Ok(Outcome {
        passes,
        burn_deposits,
        result,
    })
}

/// The empty tally (zeros), for proposals still in their deposit period.
pub fn empty_result() -> pb::TallyResult {
    pb::TallyResult {
        yes_count: "0".into(),
        abstain_count: "0".into(),
        no_count: "0".into(),
        no_with_veto_count: "0".into(),
    }
}
