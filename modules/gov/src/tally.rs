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

/// Only reads state (the SDK's tally deletes the votes as it goes; deai's end block
/// deletes them after, so the TallyResult query can run the same function).
pub fn tally(s: &dyn StateRead, p: &pb::Proposal, params: &Params) -> Result<Outcome, TxError> {
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
    let prefix = state_key::votes_of(p.id);
    let end = prefix_end(&prefix);
    let max = usize::try_from(MAX_VOTERS).unwrap_or(usize::MAX);
    for (_, bytes) in s.scan(&prefix, end.as_deref(), false, max)? {
        let vote: pb::Vote = records::decode(MODULE_NAME, &bytes)?;
        let voter = records::stored_addr(&vote.voter)?;
        let options = stored_options(&vote)?;
        if let Some(v) = vals.get_mut(&voter) {
            v.vote = Some(options.clone());
        }
        for (op, v) in vals.iter_mut() {
            let Some(d) = s.delegation(&voter, op)? else {
                continue;
            };
            let sh = delegation_shares(&d)?.units();
            v.deductions = v.deductions.checked_add(sh).ok_or_else(overflow)?;
            sums.add(power(sh, v.tokens, v.shares)?, &options)?;
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
    let out = |passes, burn_deposits| Outcome {
        passes,
        burn_deposits,
        result: result.clone(),
    };
    let bond_denom = s.staking_params()?.bond_denom;
    let bonded = s.module_balance(BONDED_POOL, &bond_denom)?;
    if bonded == 0 {
        return Ok(out(false, false));
    }
    let total = sums.total;
    // total / bonded < quorum
    if mul_wide(total, 1) < mul_wide(params.quorum.units(), bonded) {
        return Ok(out(false, params.burn_vote_quorum));
    }
    let non_abstain = total.saturating_sub(abstain);
    if non_abstain == 0 {
        return Ok(out(false, false));
    }
    // veto / total > veto threshold
    if mul_wide(veto, DEC_SCALE) > mul_wide(params.veto_threshold.units(), total) {
        return Ok(out(false, params.burn_vote_veto));
    }
    let threshold = if p.expedited {
        params.expedited_threshold
    } else {
        params.threshold
    };
    // yes / (total − abstain) > threshold
    if mul_wide(yes, DEC_SCALE) > mul_wide(threshold.units(), non_abstain) {
        return Ok(out(true, false));
    }
    Ok(out(false, false))
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
