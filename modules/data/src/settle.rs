//! The settlement of a pool's epoch (docs/data.md, "Settlement"), run by `end_block` at the
//! epoch's last height: consensus scores as stake-weighted medians, pro-rata rewards, slashes
//! of low-scoring contributions and of far validators, stakes returned; a closing pool's last
//! settlement then refunds its balance (less its unspent emission, to the community pool) and
//! bonds and closes it.

use std::collections::BTreeSet;

use deai_bank::{BankRead, BankWrite, COMMUNITY_POOL};
use deai_framework::{sdk, Coin, Ctx, StateRead, StateWrite, TxError};
use deai_mint::reward_pools;
use deai_proto::data::v1 as pb;

use crate::emission::DataPools;
use crate::keeper::{stored_addr, DataRead, DataWrite};
use crate::msgs::{coins_of, emit_all, settle_height};
use crate::params::MAX_CONTRIBUTIONS_PER_EPOCH_CAP;
use crate::{events, state_key, MODULE_ACCOUNT};

/// Most pool epochs settled in one block (each settles at most
/// max_contributions_per_epoch contributions); the rest wait for the next blocks.
pub const MAX_SETTLEMENTS_PER_BLOCK: usize = 16;

/// The stake-weighted median of `(score, stake)` pairs: the lowest score at which the
/// cumulative stake, scores ascending, reaches half of the total. None without stake.
pub fn weighted_median(scores: &[(u32, u128)]) -> Option<u32> {
    let mut sorted = scores.to_vec();
    sorted.sort_unstable();
    let total = sorted
        .iter()
        .try_fold(0u128, |acc, (_, w)| acc.checked_add(*w))?;
    if total == 0 {
        return None;
    }
    let mut cum = 0u128;
    for (score, w) in sorted {
        cum = cum.checked_add(w)?;
        // cum ≥ total / 2, exactly, without doubling.
        if cum >= total - cum {
            return Some(score);
        }
    }
    None
}

/// floor(pot × part / whole), exact and without overflow for part ≤ whole.
pub fn pro_rata(pot: u128, part: u128, whole: u128) -> Option<u128> {
    if whole == 0 {
        return Some(0);
    }
    (pot / whole)
        .checked_mul(part)?
        .checked_add((pot % whole).checked_mul(part)? / whole)
}

fn amount(c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>) -> Result<u128, TxError> {
    Ok(c.as_ref()
        .map(Coin::from_proto)
        .transpose()?
        .map_or(0, |c| c.amount))
}

pub(crate) fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    let start = state_key::pool_queue();
    let end = state_key::pool_queue_through(ctx.block.height);
    for (k, _) in ctx.scan(&start, Some(&end), false, MAX_SETTLEMENTS_PER_BLOCK)? {
        ctx.delete(k.clone())?;
        let id = state_key::trailing_id(&k).ok_or_else(|| sdk::internal("corrupt pool key"))?;
        settle(ctx, id)?;
    }
    Ok(())
}

fn settle(ctx: &mut Ctx, pool_id: u64) -> Result<(), TxError> {
    let params = ctx.data_params()?;
    let mut pool = ctx
        .get_pool(pool_id)?
        .ok_or_else(|| sdk::internal(format!("pool queue names missing pool {pool_id}")))?;
    let denom = params.bond_denom().to_string();
    let coin = |n: u128| Coin::new(denom.clone(), n);
    let pay = |ctx: &mut Ctx, to: &str, n: u128| -> Result<(), TxError> {
        if n > 0 {
            let paid =
                ctx.send_from_module(MODULE_ACCOUNT, &stored_addr(to)?, &coins_of(&coin(n)?)?)?;
            emit_all(ctx, paid);
        }
        Ok(())
    };

    // The epoch's contributions (never more than the cap: Contribute counts them).
    let prefix = state_key::contributions_of_epoch(pool.id, pool.epoch);
    let end = deai_framework::keys::prefix_end(&prefix);
    let keys = ctx.scan(
        &prefix,
        end.as_deref(),
        false,
        MAX_CONTRIBUTIONS_PER_EPOCH_CAP as usize,
    )?;
    let mut settled = Vec::with_capacity(keys.len());
    let mut far = BTreeSet::new();
    for (k, _) in keys {
        let id = state_key::trailing_id(&k).ok_or_else(|| sdk::internal("corrupt epoch index"))?;
        let c = ctx
            .get_contribution(id)?
            .ok_or_else(|| sdk::internal(format!("epoch index names missing contribution {id}")))?;
        let scores = ctx.scores_of(id)?;
        let mut weighted = Vec::with_capacity(scores.len());
        for sc in &scores {
            let bond = ctx.get_pool_validator(pool.id, &stored_addr(&sc.validator)?)?;
            weighted.push((sc.score_u16, amount(&bond.and_then(|b| b.stake))?));
        }
        // Nobody with stake scored it: consensus 0.
        let consensus = weighted_median(&weighted).unwrap_or(0);
        for sc in &scores {
            if sc.score_u16.abs_diff(consensus) > params.max_score_deviation_u16 {
                far.insert(sc.validator.clone());
            }
        }
        settled.push((c, consensus));
    }

    let balance = amount(&pool.balance)?;
    let pot = amount(&pool.reward_per_epoch)?.min(balance);
    let passed = |s: u32| s >= pool.score_threshold_u16;
    let whole: u128 = settled
        .iter()
        .filter(|(_, s)| passed(*s))
        .map(|(_, s)| u128::from(*s))
        .sum();
    let (mut rewarded, mut slashed) = (0u128, 0u128);
    for (mut c, consensus) in settled {
        let stake = amount(&c.stake)?;
        let (reward, slash) = if passed(consensus) {
            let r = pro_rata(pot, u128::from(consensus), whole)
                .ok_or_else(|| sdk::overflow("reward overflows"))?;
            (r, 0)
        } else {
            let s = params
                .contribution_slash_fraction
                .mul_floor(stake)
                .ok_or_else(|| sdk::overflow("slash overflows"))?;
            (0, s)
        };
        let back = stake
            .checked_sub(slash)
            .and_then(|b| b.checked_add(reward))
            .ok_or_else(|| sdk::overflow("payout overflows"))?;
        pay(ctx, &c.contributor, back)?;
        rewarded = rewarded
            .checked_add(reward)
            .ok_or_else(|| sdk::overflow("rewards overflow"))?;
        slashed = slashed
            .checked_add(slash)
            .ok_or_else(|| sdk::overflow("slashes overflow"))?;
        c.settled = true;
        c.consensus_score_u16 = consensus;
        c.reward = Some(coin(reward)?.to_proto());
        c.slashed = Some(coin(slash)?.to_proto());
        ctx.put_contribution(&c)?;
    }

    // Each far validator once per epoch: a share of its bond goes to the pool.
    for v in far {
        let addr = stored_addr(&v)?;
        let Some(mut b) = ctx.get_pool_validator(pool.id, &addr)? else {
            continue;
        };
        let bond = amount(&b.stake)?;
        let s = params
            .validator_slash_fraction
            .mul_floor(bond)
            .ok_or_else(|| sdk::overflow("slash overflows"))?;
        b.stake = Some(coin(bond.saturating_sub(s))?.to_proto());
        ctx.put_pool_validator(&b)?;
        slashed = slashed
            .checked_add(s)
            .ok_or_else(|| sdk::overflow("slashes overflow"))?;
    }

    let left = balance
        .checked_sub(rewarded)
        .and_then(|b| b.checked_add(slashed))
        .ok_or_else(|| sdk::internal("pool balance out of range"))?;
    pool.balance = Some(coin(left)?.to_proto());
    ctx.emit(events::pool_epoch_settled(
        pool.id,
        pool.epoch,
        &coin(rewarded)?,
        &coin(slashed)?,
    ));
    ctx.set_epoch_count(pool.id, 0)?;
    if pool.status == pb::PoolStatus::Closing as i32 {
        return close(ctx, pool, &denom);
    }
    let next_start = ctx
        .block
        .height
        .checked_add(1)
        .ok_or_else(|| sdk::overflow("height overflows"))?;
    pool.epoch = pool.epoch.saturating_add(1);
    pool.epoch_start = next_start;
    ctx.put_pool(&pool)?;
    ctx.schedule_pool(settle_height(next_start, pool.epoch_length)?, pool.id)
}

/// After a closing pool's last settlement: its balance to the owner, less its unspent
/// emission (to the community pool: emission is never refunded), every bond back to its
/// validator (the bond records stay, at 0, for queries), and the pool closed and not
/// rescheduled. `epoch` stays the last settled epoch.
fn close(ctx: &mut Ctx, mut pool: pb::Pool, denom: &str) -> Result<(), TxError> {
    // Anything still pending for it (a closing pool takes none: to the community pool).
    reward_pools::settle::<DataPools>(ctx, pool.id)?;
    let balance = amount(&pool.balance)?;
    let unspent = reward_pools::unspent_in::<DataPools>(ctx, pool.id, balance)?;
    let refund = balance - unspent;
    pay_out(ctx, &pool.owner, denom, refund)?;
    if unspent > 0 {
        let moved = ctx.send_module_to_module(
            MODULE_ACCOUNT,
            COMMUNITY_POOL,
            &coins_of(&Coin::new(denom, unspent)?)?,
        )?;
        emit_all(ctx, moved);
    }
    reward_pools::clear::<DataPools>(ctx, pool.id)?;
    let mut returned = 0u128;
    for mut v in ctx.pool_validators_of(pool.id)? {
        let bond = amount(&v.stake)?;
        pay_out(ctx, &v.address, denom, bond)?;
        v.stake = Some(Coin::new(denom, 0)?.to_proto());
        ctx.put_pool_validator(&v)?;
        returned = returned
            .checked_add(bond)
            .ok_or_else(|| sdk::overflow("bonds overflow"))?;
    }
    pool.balance = Some(Coin::new(denom, 0)?.to_proto());
    pool.status = pb::PoolStatus::Closed as i32;
    pool.closed_at = ctx.block.height;
    ctx.put_pool(&pool)?;
    ctx.emit(events::pool_closed(
        &pool,
        &Coin::new(denom, refund)?,
        &Coin::new(denom, returned)?,
        &Coin::new(denom, unspent)?,
    ));
    Ok(())
}

/// Pays `n` out of escrow to `to`; to the community pool if `to` is a module account (which
/// bank refuses as a recipient), so that end_block never fails on it.
fn pay_out(ctx: &mut Ctx, to: &str, denom: &str, n: u128) -> Result<(), TxError> {
    if n == 0 {
        return Ok(());
    }
    let to = stored_addr(to)?;
    let coins = coins_of(&Coin::new(denom, n)?)?;
    let moved = if ctx.is_blocked_address(&to)? {
        ctx.send_module_to_module(MODULE_ACCOUNT, COMMUNITY_POOL, &coins)?
    } else {
        ctx.send_from_module(MODULE_ACCOUNT, &to, &coins)?
    };
    emit_all(ctx, moved);
    Ok(())
}
