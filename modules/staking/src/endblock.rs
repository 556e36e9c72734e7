//! What staking does at the end of every block, as keeper functions the app calls (see
//! [`end_blocker`]):
//! 1. mature unbonding delegations are paid out of the not-bonded pool, mature redelegation
//!    entries are dropped, and validators whose unbonding time has passed become unbonded
//!    (each queue read at most [`MAX_MATURE_PER_BLOCK`] entries a block; the rest wait);
//! 2. the validator set: the top `max_validators` non-jailed validators by power (ties by
//!    ascending operator bytes, the SDK's order) are bonded, their tokens in the bonded pool;
//!    a bonded validator that falls out starts unbonding (its tokens move to the not-bonded
//!    pool and it matures after the unbonding time);
//! 3. the CometBFT validator updates: the diff between the new powers and the powers CometBFT
//!    last heard of, **clamped** (see [`clamp_updates`]) so that the total voting power moves
//!    by less than a third of the last total in one block;
//! 4. the block's HistoricalInfo (header and bonded set), pruned to `historical_entries`.

use std::collections::BTreeMap;

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use prost::Message;
use tendermint_proto::google::protobuf::Timestamp;

use deai_bank::BankWrite;
use deai_framework::keys::{prefix_end, through};
use deai_framework::{sdk, Address, Ctx, Event, StateRead, StateWrite, TxError};

use crate::address::val_to_bech32;
use crate::hooks::{remove_validator_with, NoHooks, StakingHooks};
use crate::keeper::{
    bond_coins, consensus_key, potential_power, shares, time_key, tokens, StakingRead,
    StakingWrite, BONDED, UNBONDED, UNBONDING,
};
use crate::math::Dec;
use crate::{state_key, BONDED_POOL, MODULE_NAME, NOT_BONDED_POOL};

/// Most entries of each maturity queue processed in one block.
pub const MAX_MATURE_PER_BLOCK: usize = 200;
/// Most HistoricalInfo entries pruned in one block (more only after historical_entries drops).
pub const MAX_HISTORICAL_PRUNE_PER_BLOCK: usize = 100;
/// Most validators end_block reads from the power index, the bonded-status index or the last
/// powers: twice the largest max_validators (a set in transition holds the old and the new).
pub const MAX_SET_SCAN: usize = 2 * crate::params::MAX_MAX_VALIDATORS as usize;

/// One CometBFT validator update: the ed25519 key and its new power (0 removes it).
pub type ValidatorUpdate = (Vec<u8>, i64);

fn now(ctx: &Ctx) -> i64 {
    ctx.block.time_unix
}

/// The queue keys (relative to `prefix`) of entries due at or before `now`, at most
/// [`MAX_MATURE_PER_BLOCK`].
fn due(ctx: &Ctx, table: &str, now: i64) -> Result<Vec<Vec<u8>>, TxError> {
    let prefix = KeyPrefix::of(table);
    let end = through(MODULE_NAME, table, time_key(now));
    Ok(ctx
        .scan(&prefix.0, Some(&end), false, MAX_MATURE_PER_BLOCK)?
        .into_iter()
        .map(|(k, _)| k)
        .collect())
}

struct KeyPrefix(Vec<u8>);
impl KeyPrefix {
    fn of(table: &str) -> Self {
        KeyPrefix(deai_framework::keys::KeyBuilder::new(MODULE_NAME, table).build())
    }
}

fn amount(s: &str) -> Result<u128, TxError> {
    deai_framework::coins::parse_amount(s).map_err(|_| sdk::internal("corrupt staking amount"))
}

/// Pays every unbonding entry due by now: the not-bonded pool → the delegator.
pub fn complete_unbondings(ctx: &mut Ctx) -> Result<(), TxError> {
    let t = now(ctx);
    let denom = ctx.staking_params()?.bond_denom;
    let plen = KeyPrefix::of("ubd_q").0.len();
    for key in due(ctx, "ubd_q", t)? {
        ctx.delete(key.clone())?;
        let rest = key
            .get(plen + 8..)
            .ok_or_else(|| sdk::internal("corrupt queue key"))?;
        let addrs = state_key::read_addrs(rest, 2)?;
        let (del, val) = (&addrs[0], &addrs[1]);
        let Some(mut u) = ctx.ubd(del, val)? else {
            continue; // cancelled since
        };
        let mut paid = 0u128;
        let mut kept = Vec::with_capacity(u.entries.len());
        for e in u.entries {
            if e.completion_time.as_ref().map_or(0, |x| x.seconds) <= t {
                paid = paid
                    .checked_add(amount(&e.balance)?)
                    .ok_or_else(|| sdk::internal("unbonding sum overflows"))?;
            } else {
                kept.push(e);
            }
        }
        u.entries = kept;
        ctx.put_ubd(del, val, &u)?;
        if paid > 0 {
            // As the SDK's UndelegateCoinsFromModuleToAccount: any account may receive its
            // matured tokens, a module account included (bank's `send_from_module` refuses
            // those, which would halt the chain here).
            let pool = deai_auth::module_address(NOT_BONDED_POOL);
            let events = ctx.send_coins(&pool, del, &bond_coins(&denom, paid)?)?;
            ctx.events.extend(events);
        }
        ctx.emit(
            Event::new(crate::events::COMPLETE_UNBONDING)
                .attr("amount", format!("{paid}{denom}"))
                .attr("validator", val_to_bech32(val))
                .attr("delegator", del),
        );
    }
    Ok(())
}

/// Drops every redelegation entry due by now.
pub fn complete_redelegations(ctx: &mut Ctx) -> Result<(), TxError> {
    let t = now(ctx);
    let plen = KeyPrefix::of("red_q").0.len();
    for key in due(ctx, "red_q", t)? {
        ctx.delete(key.clone())?;
        let rest = key
            .get(plen + 8..)
            .ok_or_else(|| sdk::internal("corrupt queue key"))?;
        let addrs = state_key::read_addrs(rest, 3)?;
        let (del, src, dst) = (&addrs[0], &addrs[1], &addrs[2]);
        let Some(mut r) = ctx.red(del, src, dst)? else {
            continue;
        };
        r.entries
            .retain(|e| e.completion_time.as_ref().map_or(0, |x| x.seconds) > t);
        ctx.put_red(del, src, dst, &r)?;
        ctx.emit(
            Event::new(crate::events::COMPLETE_REDELEGATION)
                .attr("source_validator", val_to_bech32(src))
                .attr("destination_validator", val_to_bech32(dst))
                .attr("delegator", del),
        );
    }
    Ok(())
}

/// Unbonding validators whose time has come become unbonded (and are removed when nobody
/// delegates to them and CometBFT no longer counts them).
pub fn complete_validator_unbondings(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
) -> Result<(), TxError> {
    let t = now(ctx);
    let plen = KeyPrefix::of("val_q").0.len();
    for key in due(ctx, "val_q", t)? {
        ctx.delete(key.clone())?;
        let rest = key
            .get(plen + 8..)
            .ok_or_else(|| sdk::internal("corrupt queue key"))?;
        let op = state_key::read_addrs(rest, 1)?.remove(0);
        let Some(mut v) = ctx.validator(&op)? else {
            continue;
        };
        if v.status != UNBONDING || v.unbonding_time.as_ref().map_or(0, |x| x.seconds) > t {
            continue; // re-bonded since, or queued again later
        }
        v.status = UNBONDED;
        if shares(&v)? == Dec::ZERO && ctx.last_power(&op)? == 0 {
            remove_validator_with(ctx, hooks, &v)?;
        } else {
            ctx.put_validator(&v)?;
        }
    }
    Ok(())
}

/// The target set: the top `max_validators` non-jailed validators with positive power.
fn target_set(ctx: &Ctx, max: usize) -> Result<BTreeMap<Address, (i64, pb::Validator)>, TxError> {
    let prefix = state_key::power_prefix();
    let end = prefix_end(&prefix);
    let mut out = BTreeMap::new();
    for (k, _) in ctx.scan(&prefix, end.as_deref(), false, max)? {
        let rest = k
            .get(prefix.len() + 8..)
            .ok_or_else(|| sdk::internal("corrupt power key"))?;
        let op = state_key::read_addrs(rest, 1)?.remove(0);
        let v = ctx
            .validator(&op)?
            .ok_or_else(|| sdk::internal("power index names a missing validator"))?;
        let p = potential_power(&v)?;
        if p <= 0 {
            break; // the index is in descending power
        }
        out.insert(op, (p, v));
    }
    Ok(out)
}

/// Bonds the target set and starts unbonding every bonded validator that left it.
pub fn apply_status_transitions(
    ctx: &mut Ctx,
) -> Result<BTreeMap<Address, (i64, pb::Validator)>, TxError> {
    let p = ctx.staking_params()?;
    let target = target_set(ctx, p.max_validators as usize)?;
    let mut events = Vec::new();
    for (op, (_, v)) in &target {
        if v.status != BONDED {
            let mut v = v.clone();
            ctx.move_pool(NOT_BONDED_POOL, BONDED_POOL, tokens(&v)?, &mut events)?;
            if v.status == UNBONDING {
                let t = v.unbonding_time.as_ref().map_or(0, |x| x.seconds);
                ctx.delete(state_key::val_queue(time_key(t), op))?;
            }
            v.status = BONDED;
            v.unbonding_height = 0;
            v.unbonding_time = Some(Timestamp::default());
            ctx.put_validator(&v)?;
        }
    }
    let prefix = state_key::status_prefix(BONDED);
    let end = prefix_end(&prefix);
    let bonded = ctx.scan(&prefix, end.as_deref(), false, MAX_SET_SCAN)?;
    let completion = now(ctx)
        .checked_add(p.unbonding_secs)
        .ok_or_else(|| sdk::overflow("completion time overflows"))?;
    for (k, _) in bonded {
        let op = state_key::read_addrs(&k[prefix.len()..], 1)?.remove(0);
        if target.contains_key(&op) {
            continue;
        }
        let mut v = ctx.must_validator(&op)?;
        ctx.move_pool(BONDED_POOL, NOT_BONDED_POOL, tokens(&v)?, &mut events)?;
        v.status = UNBONDING;
        v.unbonding_height = i64::try_from(ctx.block.height).unwrap_or(i64::MAX);
        v.unbonding_time = Some(Timestamp {
            seconds: completion,
            nanos: 0,
        });
        ctx.put_validator(&v)?;
        ctx.put(state_key::val_queue(time_key(completion), &op), Vec::new())?;
    }
    ctx.events.extend(events);
    // Re-read: the records changed above.
    let mut out = BTreeMap::new();
    for (op, (power, _)) in target {
        let v = ctx.must_validator(&op)?;
        out.insert(op, (power, v));
    }
    Ok(out)
}

/// Clamps a set of power changes so that the total moves by less than a third of `last_total`.
///
/// `changes` are (operator, last power, target power), in the order to serve them. The
/// budget is the largest `b` with `3·b < last_total` (at least 1, so that a set with a total
/// under 4 can still move, one unit a block), or unlimited when nothing is bonded yet (the
/// first set). Changes are taken in order, each moved toward its target by as much as the
/// budget left allows; what is left over is moved in the next blocks (end_block recomputes
/// the diff every block, so the powers converge). A step that would leave CometBFT with no
/// power at all is not taken. Returns (operator, new power) for the powers that change.
pub fn clamp_updates(last_total: i64, changes: &[(Address, i64, i64)]) -> Vec<(Address, i64)> {
    let mut budget: i128 = if last_total <= 0 {
        i128::MAX
    } else {
        (((last_total as i128) - 1) / 3).max(1)
    };
    let mut total = last_total.max(0) as i128;
    let mut out = Vec::new();
    for (op, last, target) in changes {
        if budget <= 0 {
            break;
        }
        let delta = (*target as i128) - (*last as i128);
        if delta == 0 {
            continue;
        }
        let step = delta.signum() * delta.abs().min(budget);
        if total + step <= 0 {
            continue;
        }
        budget -= step.abs();
        total += step;
        let new = (*last as i128 + step).clamp(0, i64::MAX as i128) as i64;
        out.push((op.clone(), new));
    }
    out
}

/// Computes the validator updates for CometBFT against the last powers, clamped (see
/// [`clamp_updates`]), and records the new powers and total.
pub fn validator_updates(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    target: &BTreeMap<Address, (i64, pb::Validator)>,
) -> Result<Vec<ValidatorUpdate>, TxError> {
    let last_list = ctx.last_powers(MAX_SET_SCAN + 1)?;
    if last_list.len() > MAX_SET_SCAN {
        // Never silently diff against part of CometBFT's set: halt loudly instead.
        return Err(sdk::internal(format!(
            "more than {MAX_SET_SCAN} validators hold CometBFT power"
        )));
    }
    let last: BTreeMap<Address, i64> = last_list.into_iter().collect();
    let mut ops: Vec<&Address> = last.keys().chain(target.keys()).collect();
    ops.sort();
    ops.dedup();
    let mut changes: Vec<(Address, i64, i64)> = ops
        .into_iter()
        .map(|op| {
            let l = last.get(op).copied().unwrap_or(0);
            let t = target.get(op).map_or(0, |(p, _)| *p);
            (op.clone(), l, t)
        })
        .collect();
    // Validators leaving the set first (so that a churning set does not pile up validators
    // with a lingering power), then the rest; each group in operator order (stable sort).
    changes.sort_by_key(|(_, _, t)| *t != 0);
    let last_total = ctx.last_total_power()?;
    let mut total = last_total as i128;
    let mut updates = Vec::new();
    for (op, power) in clamp_updates(last_total, &changes) {
        let v = match target.get(&op) {
            Some((_, v)) => v.clone(),
            None => ctx.must_validator(&op)?,
        };
        total += power as i128 - last.get(&op).copied().unwrap_or(0) as i128;
        ctx.set_last_power(&op, power)?;
        updates.push((consensus_key(&v)?, power));
        // A validator kept only because CometBFT still counted it goes once it does not.
        if power == 0 && v.status == UNBONDED && shares(&v)? == Dec::ZERO {
            remove_validator_with(ctx, hooks, &v)?;
        }
    }
    ctx.set_last_total_power(i64::try_from(total.max(0)).unwrap_or(i64::MAX))?;
    let stored = pb::ValidatorUpdates {
        updates: updates
            .iter()
            .map(|(k, p)| tendermint_proto::abci::ValidatorUpdate {
                pub_key: Some(tendermint_proto::crypto::PublicKey {
                    sum: Some(tendermint_proto::crypto::public_key::Sum::Ed25519(
                        k.clone(),
                    )),
                }),
                power: *p,
            })
            .collect(),
    };
    ctx.put(state_key::validator_updates(), stored.encode_to_vec())?;
    Ok(updates)
}

/// Stores this block's HistoricalInfo and prunes entries older than `historical_entries`.
pub fn track_historical_info(
    ctx: &mut Ctx,
    target: &BTreeMap<Address, (i64, pb::Validator)>,
) -> Result<(), TxError> {
    let p = ctx.staking_params()?;
    let h = ctx.block.height;
    let keep = u64::from(p.historical_entries);
    if h > keep {
        let prefix = state_key::historical_prefix();
        let end = state_key::historical(h - keep + 1);
        for (k, _) in ctx.scan(&prefix, Some(&end), false, MAX_HISTORICAL_PRUNE_PER_BLOCK)? {
            ctx.delete(k)?;
        }
    }
    if keep == 0 {
        return Ok(());
    }
    let mut valset: Vec<(i64, pb::Validator)> = target.values().cloned().collect();
    // The SDK's order: power descending, then operator ascending (BTreeMap gave the latter).
    valset.sort_by_key(|v| std::cmp::Reverse(v.0));
    let info = pb::HistoricalInfo {
        header: Some(tendermint_proto::types::Header {
            chain_id: ctx.block.chain_id.clone(),
            height: i64::try_from(h).unwrap_or(i64::MAX),
            time: Some(Timestamp {
                seconds: ctx.block.time_unix,
                nanos: 0,
            }),
            ..Default::default()
        }),
        valset: valset.into_iter().map(|(_, v)| v).collect(),
    };
    ctx.put(state_key::historical(h), info.encode_to_vec())
}

/// Everything staking does at the end of a block; returns the validator updates for
/// CometBFT's `FinalizeBlock.validator_updates` (also stored, see
/// [`StakingRead::stored_validator_updates`]).
pub fn end_blocker(ctx: &mut Ctx) -> Result<Vec<ValidatorUpdate>, TxError> {
    end_blocker_with(ctx, &NoHooks)
}

/// [`end_blocker`] telling `hooks` of the validators it removes.
pub fn end_blocker_with(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
) -> Result<Vec<ValidatorUpdate>, TxError> {
    complete_unbondings(ctx)?;
    complete_redelegations(ctx)?;
    complete_validator_unbondings(ctx, hooks)?;
    let target = apply_status_transitions(ctx)?;
    let updates = validator_updates(ctx, hooks, &target)?;
    track_historical_info(ctx, &target)?;
    Ok(updates)
}

/// The validator set CometBFT must start with (`InitChain`'s `validators`): the last powers
/// of an imported genesis, in operator order. For a fresh genesis (no last powers) the app runs
/// [`end_blocker`] at genesis instead, as the SDK's InitGenesis applies the set.
pub fn genesis_validator_updates(s: &dyn StateRead) -> Result<Vec<ValidatorUpdate>, TxError> {
    let mut out = Vec::new();
    for (op, power) in s.last_powers(MAX_SET_SCAN + 1)? {
        let v = s.must_validator(&op)?;
        out.push((consensus_key(&v)?, power));
    }
    if out.len() > MAX_SET_SCAN {
        return Err(sdk::internal("too many validators in the genesis set"));
    }
    Ok(out)
}

/// The bonded validators' operators (for queries and tests).
pub fn bonded_validators(s: &dyn StateRead) -> Result<Vec<pb::Validator>, TxError> {
    let prefix = state_key::status_prefix(BONDED);
    records::indexed_by_addr(s, &prefix)
}

mod records {
    use super::*;
    pub fn indexed_by_addr(
        s: &dyn StateRead,
        prefix: &[u8],
    ) -> Result<Vec<pb::Validator>, TxError> {
        let end = prefix_end(prefix);
        let mut out = Vec::new();
        for (k, _) in s.scan(prefix, end.as_deref(), false, MAX_SET_SCAN)? {
            let op = state_key::read_addrs(&k[prefix.len()..], 1)?.remove(0);
            let v = deai_framework::records::get::<pb::Validator, _>(
                MODULE_NAME,
                s,
                &state_key::validator(&op),
            )?
            .ok_or_else(|| sdk::internal("status index names a missing validator"))?;
            out.push(v);
        }
        Ok(out)
    }
}
