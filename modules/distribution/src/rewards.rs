//! F1 fee distribution, as the SDK's `x/distribution` keeper: a validator's rewards accrue
//! in its current period; a period ends (its rewards ÷ the validator's tokens, floored, added
//! to the cumulative ratio) whenever a delegation to it changes or it is slashed. A
//! delegation's rewards are its stake × (ratio at the end − ratio at its start), with its
//! stake cut at each slash in between: computed when touched, never per block.
//!
//! Every function takes the state and the block height explicitly, so the hooks (on a
//! `Ctx`), genesis (on a bare state) and queries (on a throw-away overlay) share them. Bank
//! events come back in `events`.
//!
//! Roundings, all towards the pools: ratios, rewards and stakes are floored; the decimal
//! remainder of every withdrawal goes to the community pool's dust; a computed reward above
//! the validator's outstanding rewards is cut to them (the SDK's `Intersect`); a starting stake
//! above the current stake is cut to it (the SDK tolerates 3·10^-18 and panics beyond; deai
//! never halts on it).

use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;

use deai_bank::{BankRead, BankWrite, COMMUNITY_POOL};
use deai_framework::dec::{Dec, DEC_SCALE};
use deai_framework::{records, sdk, Address, Coins, Event, StateRead, StateWrite, TxError};
use deai_staking::address::val_to_bech32;
use deai_staking::keeper::{delegation_shares, shares, tokens};
use deai_staking::math::mul_div_floor;
use deai_staking::StakingRead;

use crate::deccoins::DecCoins;
use crate::error::DistributionError;
use crate::keeper::{Current, DistributionRead, DistributionWrite, Historical, StartingInfo};
use crate::{events, state_key, MODULE_ACCOUNT, MODULE_NAME};

/// Most slash events of one validator a reward computation or a removal walks. A validator is
/// jailed at every slash, so this is far beyond what a chain sees; past it the computation
/// fails (an internal error) rather than ignore a slash.
pub const MAX_SLASH_EVENTS: usize = 10_000;
/// Most historical-rewards records a validator removal clears (each live one is referenced by
/// a delegation or a slash event; at removal only a few are left).
pub const MAX_HISTORICAL_PER_VALIDATOR: usize = 2 * MAX_SLASH_EVENTS + 16;

/// Adds `amount` to the community pool: to the dust, whose whole coins then move from the
/// distribution account to the `community_pool` account (the SDK keeps the pool inside its
/// own account; deai's markets already pay into that account).
pub fn fund_pool_from_distribution<S: StateWrite + ?Sized>(
    s: &mut S,
    amount: &DecCoins,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    if amount.is_zero() {
        return Ok(());
    }
    let mut dust = s.pool_dust()?;
    dust.add(amount)?;
    let (whole, rest) = dust.truncate()?;
    if !whole.is_empty() {
        events.extend(s.send_module_to_module(MODULE_ACCOUNT, COMMUNITY_POOL, &whole)?);
    }
    s.set_pool_dust(&rest)
}

/// The community pool: the `community_pool` account's balance plus the dust.
pub fn community_pool<S: StateRead + ?Sized>(s: &S) -> Result<DecCoins, TxError> {
    let bal = s.balances(
        &Address::module(COMMUNITY_POOL),
        deai_framework::coins::MAX_COINS_PER_SET,
    )?;
    let mut pool = DecCoins::from_coins(&bal)?;
    pool.add(&s.pool_dust()?)?;
    Ok(pool)
}

/// The SDK's `initializeValidator`: period 0 with ratio zero (one reference), current period
/// 1, no commission, no outstanding rewards.
pub fn initialize_validator<S: StateWrite + ?Sized>(
    s: &mut S,
    val: &Address,
) -> Result<(), TxError> {
    s.set_historical(
        val,
        0,
        &Historical {
            ratio: DecCoins::new(),
            reference_count: 1,
        },
    )?;
    s.set_current(
        val,
        &Current {
            rewards: DecCoins::new(),
            period: 1,
        },
    )?;
    s.set_accumulated_commission(val, &DecCoins::new())?;
    s.set_outstanding(val, &DecCoins::new())
}

fn increment_reference<S: StateWrite + ?Sized>(
    s: &mut S,
    val: &Address,
    period: u64,
) -> Result<(), TxError> {
    let mut h = s.must_historical(val, period)?;
    if h.reference_count > 2 {
        return Err(sdk::internal("reference count should never exceed 2"));
    }
    h.reference_count += 1;
    s.set_historical(val, period, &h)
}

fn decrement_reference<S: StateWrite + ?Sized>(
    s: &mut S,
    val: &Address,
    period: u64,
) -> Result<(), TxError> {
    let mut h = s.must_historical(val, period)?;
    if h.reference_count == 0 {
        return Err(sdk::internal("cannot set negative reference count"));
    }
    h.reference_count -= 1;
    if h.reference_count == 0 {
        s.delete(state_key::historical(val, period))
    } else {
        s.set_historical(val, period, &h)
    }
}

/// The SDK's `IncrementValidatorPeriod`: ends the current period and returns it. A validator
/// without tokens cannot have a ratio: its current rewards go to the community pool.
pub fn increment_period<S: StateWrite + ?Sized>(
    s: &mut S,
    val: &Address,
    events: &mut Vec<Event>,
) -> Result<u64, TxError> {
    let v = s
        .validator(val)?
        .ok_or_else(|| sdk::internal("period increment of a missing validator"))?;
    let cur = s.must_current(val)?;
    let t = tokens(&v)?;
    let ratio = if t == 0 {
        let mut outstanding = s.outstanding(val)?.unwrap_or_default();
        outstanding.sub(&cur.rewards)?;
        s.set_outstanding(val, &outstanding)?;
        fund_pool_from_distribution(s, &cur.rewards, events)?;
        DecCoins::new()
    } else {
        cur.rewards.quo_int_floor(t)?
    };
    let prev = cur
        .period
        .checked_sub(1)
        .ok_or_else(|| sdk::internal("current period 0"))?;
    let mut cumulative = s.must_historical(val, prev)?.ratio;
    decrement_reference(s, val, prev)?;
    cumulative.add(&ratio)?;
    s.set_historical(
        val,
        cur.period,
        &Historical {
            ratio: cumulative,
            reference_count: 1,
        },
    )?;
    let next = cur
        .period
        .checked_add(1)
        .ok_or_else(|| sdk::overflow("period overflow"))?;
    s.set_current(
        val,
        &Current {
            rewards: DecCoins::new(),
            period: next,
        },
    )?;
    Ok(cur.period)
}

/// The tokens `del_shares` of `v` are worth, floored at 18 decimals
/// (`TokensFromSharesTruncated`).
pub fn stake_of(v: &spb::Validator, del_shares: Dec) -> Result<Dec, TxError> {
    let total = shares(v)?;
    if total == Dec::ZERO {
        return Ok(Dec::ZERO);
    }
    let t = tokens(v)?
        .checked_mul(DEC_SCALE)
        .ok_or_else(|| sdk::overflow("stake overflows"))?;
    Ok(Dec::from_units(mul_div_floor(
        del_shares.units(),
        t,
        total.units(),
    )?))
}

/// The SDK's `initializeDelegation`: the delegation starts after the period just ended.
pub fn initialize_delegation<S: StateWrite + ?Sized>(
    s: &mut S,
    val: &Address,
    del: &Address,
    height: u64,
) -> Result<(), TxError> {
    let previous_period = s
        .must_current(val)?
        .period
        .checked_sub(1)
        .ok_or_else(|| sdk::internal("current period 0"))?;
    increment_reference(s, val, previous_period)?;
    let v = s.must_validator(val)?;
    let d = s
        .delegation(del, val)?
        .ok_or_else(|| sdk::internal("starting info of a missing delegation"))?;
    let stake = stake_of(&v, delegation_shares(&d)?)?;
    s.set_starting_info(
        val,
        del,
        &StartingInfo {
            previous_period,
            stake,
            height,
        },
    )
}

/// stake × (ratio(end) − ratio(start)), floored.
fn rewards_between<S: StateRead + ?Sized>(
    s: &S,
    val: &Address,
    start: u64,
    end: u64,
    stake: Dec,
) -> Result<DecCoins, TxError> {
    if start > end {
        return Err(sdk::internal(
            "startingPeriod cannot be greater than endingPeriod",
        ));
    }
    let mut diff = s.must_historical(val, end)?.ratio;
    diff.sub(&s.must_historical(val, start)?.ratio)
        .map_err(|_| sdk::internal("negative rewards should not be possible"))?;
    diff.mul_dec_floor(stake)
}

/// The slash events of `val` at heights `from..=to`, in (height, period) order.
fn slash_events<S: StateRead + ?Sized>(
    s: &S,
    val: &Address,
    from: u64,
    to: u64,
) -> Result<Vec<(u64, Dec)>, TxError> {
    let start = state_key::slash_events_from(val, from);
    let end = match to.checked_add(1) {
        Some(h) => state_key::slash_events_from(val, h),
        None => deai_framework::keys::prefix_end(&state_key::slash_events_of(val))
            .ok_or_else(|| sdk::internal("unbounded slash range"))?,
    };
    let rows = s.scan(&start, Some(&end), false, MAX_SLASH_EVENTS + 1)?;
    if rows.len() > MAX_SLASH_EVENTS {
        return Err(sdk::internal("too many slash events to compute rewards"));
    }
    rows.iter()
        .map(|(_, v)| {
            let e: cosmos_sdk_proto::cosmos::distribution::v1beta1::ValidatorSlashEvent =
                records::decode(MODULE_NAME, v)?;
            Ok((
                e.validator_period,
                crate::deccoins::dec_from_stored(&e.fraction, "slash fraction")?,
            ))
        })
        .collect()
}

/// The SDK's `CalculateDelegationRewards` of `del` (holding `del_shares` of `v`) up to
/// `ending_period`, at `height`.
pub fn calculate_rewards<S: StateRead + ?Sized>(
    s: &S,
    v: &spb::Validator,
    val: &Address,
    del: &Address,
    del_shares: Dec,
    ending_period: u64,
    height: u64,
) -> Result<DecCoins, TxError> {
    let info = s
        .starting_info(val, del)?
        .ok_or(DistributionError::EmptyDelegationDistInfo)?;
    let mut rewards = DecCoins::new();
    if info.height == height {
        return Ok(rewards); // started this block: nothing yet
    }
    let mut start = info.previous_period;
    let mut stake = info.stake;
    if height > info.height {
        for (period, fraction) in slash_events(s, val, info.height, height)? {
            if period > start {
                rewards.add(&rewards_between(s, val, start, period, stake)?)?;
                let keep = Dec::from_units(Dec::ONE.units().saturating_sub(fraction.units()));
                stake = Dec::from_units(mul_div_floor(stake.units(), keep.units(), DEC_SCALE)?);
                start = period;
            }
        }
    }
    let current = stake_of(v, del_shares)?;
    if stake > current {
        stake = current;
    }
    rewards.add(&rewards_between(s, val, start, ending_period, stake)?)?;
    Ok(rewards)
}

/// The SDK's `withdrawDelegationRewards`: ends the period, pays the whole coins of the
/// rewards to the withdraw address, the remainder to the community pool's dust, and removes
/// the starting info (the caller re-initializes it if the delegation stays).
pub fn withdraw_rewards<S: StateWrite + ?Sized>(
    s: &mut S,
    val: &Address,
    del: &Address,
    height: u64,
    events: &mut Vec<Event>,
) -> Result<Coins, TxError> {
    let info = s
        .starting_info(val, del)?
        .ok_or(DistributionError::EmptyDelegationDistInfo)?;
    let d = s
        .delegation(del, val)?
        .ok_or(DistributionError::EmptyDelegationDistInfo)?;
    let ending = increment_period(s, val, events)?;
    let v = s.must_validator(val)?;
    let raw = calculate_rewards(s, &v, val, del, delegation_shares(&d)?, ending, height)?;
    let mut outstanding = s.outstanding(val)?.unwrap_or_default();
    let rewards = raw.intersect(&outstanding);
    let (whole, remainder) = rewards.truncate()?;
    if !whole.is_empty() {
        let to = s.withdraw_addr(del)?;
        events.extend(s.send_from_module(MODULE_ACCOUNT, &to, &whole)?);
    }
    outstanding.sub(&rewards)?;
    s.set_outstanding(val, &outstanding)?;
    fund_pool_from_distribution(s, &remainder, events)?;
    decrement_reference(s, val, info.previous_period)?;
    s.delete(state_key::starting(val, del))?;
    let denom = s.staking_params()?.bond_denom;
    events.push(events::withdraw_rewards(&whole, &denom, val, del));
    Ok(whole)
}

/// The SDK's `WithdrawValidatorCommission`: the whole coins of the commission to the
/// operator's withdraw address; the decimal remainder stays for later.
pub fn withdraw_commission<S: StateWrite + ?Sized>(
    s: &mut S,
    val: &Address,
    events: &mut Vec<Event>,
) -> Result<Coins, TxError> {
    let commission = s.accumulated_commission(val)?;
    if commission.is_zero() {
        return Err(DistributionError::NoValidatorCommission.into());
    }
    let (whole, remainder) = commission.truncate()?;
    s.set_accumulated_commission(val, &remainder)?;
    let mut outstanding = s.outstanding(val)?.unwrap_or_default();
    outstanding.sub(&DecCoins::from_coins(&whole)?)?;
    s.set_outstanding(val, &outstanding)?;
    if !whole.is_empty() {
        let to = s.withdraw_addr(val)?;
        events.extend(s.send_from_module(MODULE_ACCOUNT, &to, &whole)?);
    }
    let denom = s.staking_params()?.bond_denom;
    events.push(events::withdraw_commission(&whole, &denom));
    Ok(whole)
}

/// The SDK's `updateValidatorSlashFraction`: ends the period and records the slash at this
/// height (its period referenced once more, so the reward computation can find its ratio).
pub fn record_slash<S: StateWrite + ?Sized>(
    s: &mut S,
    val: &Address,
    fraction: Dec,
    height: u64,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    if fraction > Dec::ONE {
        return Err(sdk::internal(format!(
            "fraction must be >=0 and <=1, current fraction: {fraction}"
        )));
    }
    let period = increment_period(s, val, events)?;
    increment_reference(s, val, period)?;
    s.set_slash_event(val, height, period, fraction)
}

/// Deletes up to `limit` keys under `prefix`; more is an internal error.
fn clear_prefix<S: StateWrite + ?Sized>(
    s: &mut S,
    prefix: &[u8],
    limit: usize,
) -> Result<(), TxError> {
    let end = deai_framework::keys::prefix_end(prefix);
    let rows = s.scan(prefix, end.as_deref(), false, limit + 1)?;
    if rows.len() > limit {
        return Err(sdk::internal("too many distribution records to clear"));
    }
    for (k, _) in rows {
        s.delete(k)?;
    }
    Ok(())
}

/// The SDK's `AfterValidatorRemoved`: the commission's whole coins to the operator, every
/// decimal left (the commission's remainder, the rounding dust of its delegators' rewards) to
/// the community pool, and every record of the validator deleted.
pub fn remove_validator<S: StateWrite + ?Sized>(
    s: &mut S,
    val: &Address,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let mut outstanding = s.outstanding(val)?.unwrap_or_default();
    let commission = s.accumulated_commission(val)?;
    if !commission.is_zero() {
        outstanding.sub(&commission)?;
        let (whole, remainder) = commission.truncate()?;
        fund_pool_from_distribution(s, &remainder, events)?;
        if !whole.is_empty() {
            let to = s.withdraw_addr(val)?;
            events.extend(s.send_from_module(MODULE_ACCOUNT, &to, &whole)?);
        }
    }
    fund_pool_from_distribution(s, &outstanding, events)?;
    s.delete(state_key::outstanding(val))?;
    s.delete(state_key::commission(val))?;
    s.delete(state_key::current(val))?;
    clear_prefix(s, &state_key::slash_events_of(val), MAX_SLASH_EVENTS)?;
    clear_prefix(
        s,
        &state_key::historical_of(val),
        MAX_HISTORICAL_PER_VALIDATOR,
    )
}

/// The SDK's `AllocateTokensToValidator`: the commission (floored at 18 decimals) to the
/// validator's accumulated commission, the rest to its current rewards, all of it to its
/// outstanding rewards.
pub fn allocate_to_validator<S: StateWrite + ?Sized>(
    s: &mut S,
    v: &spb::Validator,
    reward: &DecCoins,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let val = deai_staking::keeper::operator(v)?;
    let rate = v
        .commission
        .as_ref()
        .and_then(|c| c.commission_rates.as_ref())
        .map(|r| deai_staking::math::parse_dec(&r.rate))
        .transpose()
        .map_err(|_| sdk::internal("corrupt commission rate"))?
        .unwrap_or(Dec::ZERO);
    let commission = reward.mul_dec_floor(rate)?;
    let mut shared = reward.clone();
    shared.sub(&commission)?;
    let mut acc = s.accumulated_commission(&val)?;
    acc.add(&commission)?;
    s.set_accumulated_commission(&val, &acc)?;
    let mut cur = s.must_current(&val)?;
    cur.rewards.add(&shared)?;
    s.set_current(&val, &cur)?;
    let mut outstanding = s
        .outstanding(&val)?
        .ok_or_else(|| sdk::internal("validator without distribution records"))?;
    outstanding.add(reward)?;
    s.set_outstanding(&val, &outstanding)?;
    let op = val_to_bech32(&val);
    events.push(events::commission(&commission, &op));
    events.push(events::rewards(reward, &op));
    Ok(())
}
