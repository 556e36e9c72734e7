//! Begin block: the SDK's `AllocateTokens`. The fee collector's whole balance (the previous
//! block's fees and whatever was minted into it) moves to the distribution account and is
//! shared by the validators of the previous commit, by power; the community tax and every
//! truncation remainder go to the community pool.
//!
//! As SDK v0.50: there is no proposer bonus (the params are deprecated), every validator in
//! `decided_last_commit` is paid by its power whether or not it signed, and nothing is
//! allocated at heights 0 and 1. Unlike the SDK, which fails the block, the share of a vote
//! whose consensus address staking does not know stays in the community pool.

use deai_auth::FEE_COLLECTOR;
use deai_bank::{BankRead, BankWrite};
use deai_framework::context::CommitVote;
use deai_framework::dec::{Dec, DEC_SCALE};
use deai_framework::{sdk, Address, Ctx, Event, TxError};
use deai_staking::math::mul_div_floor;
use deai_staking::StakingRead;

use crate::deccoins::DecCoins;
use crate::keeper::{DistributionRead, DistributionWrite};
use crate::rewards::{allocate_to_validator, fund_pool_from_distribution};
use crate::MODULE_ACCOUNT;

/// Most votes one allocation reads (a commit has one per validator; staking bounds the set
/// at 1000).
pub const MAX_VOTES: usize = 10_000;

/// The SDK's distribution BeginBlocker.
pub fn begin_blocker(ctx: &mut Ctx) -> Result<(), TxError> {
    let comet = ctx.block.comet.clone();
    if ctx.block.height > 1 {
        let mut events = Vec::new();
        allocate_tokens(ctx, &comet.last_commit, &mut events)?;
        events.into_iter().for_each(|e| ctx.emit(e));
    }
    ctx.set_previous_proposer(&comet.proposer)
}

/// Allocates the fee collector's balance over `votes` (see the module docs).
pub fn allocate_tokens(
    ctx: &mut Ctx,
    votes: &[CommitVote],
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    if votes.len() > MAX_VOTES {
        return Err(sdk::internal(format!(
            "{} votes in a commit, more than {MAX_VOTES}",
            votes.len()
        )));
    }
    let fees = ctx.balances(
        &Address::module(FEE_COLLECTOR),
        deai_framework::coins::MAX_COINS_PER_SET,
    )?;
    if fees.is_empty() {
        return Ok(());
    }
    events.extend(ctx.send_module_to_module(FEE_COLLECTOR, MODULE_ACCOUNT, &fees)?);
    let collected = DecCoins::from_coins(&fees)?;
    let total: i128 = votes.iter().map(|v| i128::from(v.power.max(0))).sum();
    if total == 0 {
        return fund_pool_from_distribution(ctx, &collected, events);
    }
    let total = u128::try_from(total).map_err(|_| sdk::internal("negative total power"))?;
    let tax = ctx.distribution_params()?.community_tax;
    let vote_multiplier = Dec::from_units(DEC_SCALE.saturating_sub(tax.units()));
    let fee_multiplier = collected.mul_dec_floor(vote_multiplier)?;
    let mut remaining = collected;
    for vote in votes {
        let Some(op) = ctx.validator_by_cons(&vote.address)? else {
            continue;
        };
        let Some(v) = ctx.validator(&op)? else {
            continue;
        };
        let power = u128::try_from(vote.power.max(0)).unwrap_or(0);
        let fraction = Dec::from_units(mul_div_floor(power, DEC_SCALE, total)?);
        let reward = fee_multiplier.mul_dec_floor(fraction)?;
        allocate_to_validator(ctx, &v, &reward, events)?;
        remaining.sub(&reward)?;
    }
    fund_pool_from_distribution(ctx, &remaining, events)
}
