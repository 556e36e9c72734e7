//! Slashing a validator, as the SDK's `x/staking` `Keeper.Slash`: the validator's tokens and
//! the unbonding delegations and redelegations that began at or after the infraction height
//! (and have not matured) pay `fraction` of what they held, and the tokens are burned from the
//! pools that hold them. The slashing module calls [`slash`]; nothing here decides when.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;

use deai_bank::BankWrite;
use deai_framework::{sdk, Address, Ctx, TxError};

use crate::hooks::StakingHooks;
use crate::keeper::{
    bond_coins, delegation_shares, pool_of, tokens, StakingRead, StakingWrite, UNBONDED,
};
use crate::math::{Dec, DEC_SCALE};
use crate::{state_key, NOT_BONDED_POOL, POWER_REDUCTION};

/// Most unbonding delegations, and most redelegations, of one validator a slash visits
/// (each record holds at most `max_entries` entries). Records past it are not slashed.
pub const MAX_SLASHED_RECORDS: usize = 100_000;

/// What a slash burned, in bond-denom base units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slashed {
    /// From the validator's own tokens.
    pub validator: u128,
    /// From unbonding delegation entries (the not-bonded pool).
    pub unbonding: u128,
    /// From redelegations' destination delegations.
    pub redelegation: u128,
}

impl Slashed {
    pub fn total(&self) -> u128 {
        self.validator + self.unbonding + self.redelegation
    }
}

fn now(ctx: &Ctx) -> i64 {
    ctx.block.time_unix
}

fn mature(completion: &Option<tendermint_proto::google::protobuf::Timestamp>, now: i64) -> bool {
    completion.as_ref().map_or(0, |t| t.seconds) <= now
}

fn parse_amount(s: &str, what: &str) -> Result<u128, TxError> {
    deai_framework::coins::parse_amount(s).map_err(|_| sdk::internal(format!("corrupt {what}")))
}

fn burn(ctx: &mut Ctx, pool: &str, amount: u128) -> Result<(), TxError> {
    if amount == 0 {
        return Ok(());
    }
    let denom = ctx.staking_params()?.bond_denom;
    let events = ctx.burn(pool, &bond_coins(&denom, amount)?)?;
    for e in events {
        ctx.emit(e);
    }
    Ok(())
}

/// Slashes the validator with consensus address `cons` for an infraction at
/// `infraction_height`, when it had `power`: `fraction` of power × 10^6 tokens, floored,
/// taken first from the unbonding delegations and redelegations that began at or after the
/// infraction height (each pays `fraction` of its initial balance, capped at what is left),
/// the rest from the validator's tokens (capped at them). A consensus address with no
/// validator is ignored (it may have been removed), as in the SDK. Slashing an unbonded
/// validator, or an infraction in the future, is an internal error.
pub fn slash(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    cons: &[u8],
    infraction_height: i64,
    power: i64,
    fraction: Dec,
) -> Result<Slashed, TxError> {
    if fraction > Dec::ONE {
        return Err(sdk::internal("slash fraction above one"));
    }
    let height = i64::try_from(ctx.block.height).unwrap_or(i64::MAX);
    if infraction_height > height {
        return Err(sdk::internal(format!(
            "impossible attempt to slash future infraction at height {infraction_height} but we are at height {height}"
        )));
    }
    let amount = u128::try_from(power.max(0))
        .ok()
        .and_then(|p| p.checked_mul(POWER_REDUCTION))
        .and_then(|t| fraction.mul_floor(t))
        .ok_or_else(|| sdk::overflow("slash amount overflow"))?;
    let Some(op) = ctx.validator_by_cons(cons)? else {
        return Ok(Slashed::default());
    };
    let Some(mut v) = ctx.validator(&op)? else {
        return Ok(Slashed::default());
    };
    if v.status == UNBONDED {
        return Err(sdk::internal(format!(
            "should not be slashing unbonded validator: {}",
            v.operator_address
        )));
    }
    let mut out = Slashed::default();
    let mut remaining = amount;
    if infraction_height < height {
        let (owed, burned) = slash_unbondings(ctx, &op, infraction_height, fraction)?;
        out.unbonding = burned;
        remaining = remaining.saturating_sub(owed);
        let (owed, burned) = slash_redelegations(ctx, hooks, &op, infraction_height, fraction)?;
        out.redelegation = burned;
        remaining = remaining.saturating_sub(owed);
        // Unbonding a redelegation's destination may have changed this validator only if it
        // is its own destination, which a redelegation cannot be; reload all the same.
        v = match ctx.validator(&op)? {
            Some(v) => v,
            None => return Ok(out),
        };
    }
    let t = tokens(&v)?;
    let cut = remaining.min(t);
    if t > 0 {
        // The SDK's effective fraction for distribution: burned / tokens, rounded up, ≤ 1.
        let effective =
            Dec::from_units(crate::math::mul_div_ceil(cut, DEC_SCALE, t)?).min(Dec::ONE);
        hooks.before_validator_slashed(ctx, &op, effective)?;
        v = ctx.must_validator(&op)?;
    }
    if cut > 0 {
        v.tokens = (t - cut).to_string();
        ctx.put_validator(&v)?;
        burn(ctx, pool_of(v.status), cut)?;
    }
    out.validator = cut;
    Ok(out)
}

/// The SDK's `SlashUnbondingDelegation` over every unbonding delegation from `val`: returns
/// (the amount the entries owed, the amount burned).
fn slash_unbondings(
    ctx: &mut Ctx,
    val: &Address,
    infraction_height: i64,
    fraction: Dec,
) -> Result<(u128, u128), TxError> {
    let prefix = state_key::ubds_from(val);
    let end = deai_framework::keys::prefix_end(&prefix);
    let keys = deai_framework::StateRead::scan(
        &*ctx,
        &prefix,
        end.as_deref(),
        false,
        MAX_SLASHED_RECORDS,
    )?;
    let now = now(ctx);
    let (mut owed, mut burned) = (0u128, 0u128);
    for (k, _) in keys {
        let del = state_key::read_addrs(&k[prefix.len()..], 1)?.remove(0);
        let Some(mut u) = ctx.ubd(&del, val)? else {
            return Err(sdk::internal("unbonding delegation index without record"));
        };
        let mut changed = false;
        for e in u.entries.iter_mut() {
            if e.creation_height < infraction_height || mature(&e.completion_time, now) {
                continue;
            }
            let initial = parse_amount(&e.initial_balance, "unbonding initial balance")?;
            let balance = parse_amount(&e.balance, "unbonding balance")?;
            let due = fraction
                .mul_floor(initial)
                .ok_or_else(|| sdk::overflow("slash amount overflow"))?;
            owed = owed.saturating_add(due);
            let cut = due.min(balance);
            if cut == 0 {
                continue;
            }
            e.balance = (balance - cut).to_string();
            burned = burned.saturating_add(cut);
            changed = true;
        }
        if changed {
            ctx.put_ubd(&del, val, &u)?;
        }
    }
    burn(ctx, NOT_BONDED_POOL, burned)?;
    Ok((owed, burned))
}

/// The SDK's `SlashRedelegation` over every redelegation from `src`: each entry's share of
/// the delegation it bought at the destination is unbonded and burned. Returns (the amount
/// the entries owed, the amount burned).
fn slash_redelegations(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    src: &Address,
    infraction_height: i64,
    fraction: Dec,
) -> Result<(u128, u128), TxError> {
    let prefix = state_key::reds_from(src);
    let end = deai_framework::keys::prefix_end(&prefix);
    let keys = deai_framework::StateRead::scan(
        &*ctx,
        &prefix,
        end.as_deref(),
        false,
        MAX_SLASHED_RECORDS,
    )?;
    let now = now(ctx);
    let (mut owed, mut burned) = (0u128, 0u128);
    for (k, _) in keys {
        let mut a = state_key::read_addrs(&k[prefix.len()..], 2)?;
        let (del, dst) = (a.remove(0), a.remove(0));
        let Some(r) = ctx.red(&del, src, &dst)? else {
            return Err(sdk::internal("redelegation index without record"));
        };
        for e in &r.entries {
            let (o, b) = slash_redelegation_entry(
                ctx,
                hooks,
                &del,
                &dst,
                e,
                infraction_height,
                fraction,
                now,
            )?;
            owed = owed.saturating_add(o);
            burned = burned.saturating_add(b);
        }
    }
    Ok((owed, burned))
}

#[allow(clippy::too_many_arguments)]
fn slash_redelegation_entry(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    del: &Address,
    dst: &Address,
    e: &pb::RedelegationEntry,
    infraction_height: i64,
    fraction: Dec,
    now: i64,
) -> Result<(u128, u128), TxError> {
    if e.creation_height < infraction_height || mature(&e.completion_time, now) {
        return Ok((0, 0));
    }
    let initial = parse_amount(&e.initial_balance, "redelegation initial balance")?;
    let owed = fraction
        .mul_floor(initial)
        .ok_or_else(|| sdk::overflow("slash amount overflow"))?;
    let shares_dst = crate::math::parse_dec(&e.shares_dst)
        .map_err(|_| sdk::internal("corrupt redelegation shares"))?;
    let mut unbond = Dec::from_units(crate::math::mul_div_floor(
        shares_dst.units(),
        fraction.units(),
        Dec::ONE.units(),
    )?);
    if unbond == Dec::ZERO {
        return Ok((owed, 0));
    }
    let Some(d) = ctx.delegation(del, dst)? else {
        return Ok((owed, 0));
    };
    let have = delegation_shares(&d)?;
    if unbond > have {
        unbond = have;
    }
    let Some(mut v) = ctx.validator(dst)? else {
        return Err(sdk::internal("redelegation to a missing validator"));
    };
    let pool = pool_of(v.status);
    let amount = crate::hooks::unbond_with(ctx, hooks, del, &mut v, unbond)?;
    burn(ctx, pool, amount)?;
    Ok((owed, amount))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::*;
    use deai_bank::BankRead;
    use deai_framework::{GasMeter, MemStore};

    const M: u128 = 1_000_000;

    fn run_slash(
        s: &mut MemStore,
        h: u64,
        t: i64,
        cons: &[u8],
        inf: i64,
        power: i64,
        f: &str,
    ) -> Slashed {
        let gas = GasMeter::infinite();
        let snap = s.clone();
        let b = blk(h, t);
        let mut ctx = Ctx::new(&snap, &gas, &b);
        let out = slash(
            &mut ctx,
            &crate::hooks::NoHooks,
            cons,
            inf,
            power,
            Dec::parse(f).unwrap(),
        )
        .unwrap();
        let (w, _) = ctx.finish();
        s.apply(w);
        out
    }

    fn cons(key: u8) -> Vec<u8> {
        crate::keeper::consensus_address(&[key; 32])
    }

    #[test]
    fn slashes_the_validator_and_only_entries_after_the_infraction() {
        let mut s = store();
        exec(&mut s, create_msg(1, 11, 100 * M)).unwrap();
        exec(&mut s, create_msg(2, 12, 100 * M)).unwrap();
        end_block(&mut s, 10, T0);
        // Undelegations from 1 at heights 12 and 20; a redelegation 1 → 2 at 20.
        exec_in(&mut s, &blk(12, T0 + 1), undelegate_msg(1, 1, 10 * M)).unwrap();
        exec_in(&mut s, &blk(20, T0 + 2), undelegate_msg(1, 1, 20 * M)).unwrap();
        exec_in(&mut s, &blk(20, T0 + 2), redelegate_msg(1, 1, 2, 30 * M)).unwrap();
        let supply = s.supply_of("udeai").unwrap();
        let v2_before = tokens(&s.validator(&addr(2)).unwrap().unwrap()).unwrap();
        // Power 100 at height 15, 10%: 10 M owed; the height-20 entries pay 2 M and 3 M.
        let out = run_slash(&mut s, 30, T0 + 3, &cons(11), 15, 100, "0.1");
        assert_eq!(out.unbonding, 2 * M);
        assert_eq!(out.redelegation, 3 * M);
        assert_eq!(out.validator, 5 * M);
        assert_eq!(s.supply_of("udeai").unwrap(), supply - 10 * M);
        let v1 = s.validator(&addr(1)).unwrap().unwrap();
        assert_eq!(tokens(&v1).unwrap(), 40 * M - 5 * M);
        let v2 = s.validator(&addr(2)).unwrap().unwrap();
        assert_eq!(tokens(&v2).unwrap(), v2_before - 3 * M);
        let u = s.ubd(&addr(1), &addr(1)).unwrap().unwrap();
        let balances: Vec<_> = u
            .entries
            .iter()
            .map(|e| (e.creation_height, e.balance.clone()))
            .collect();
        assert_eq!(
            balances,
            vec![(12, (10 * M).to_string()), (20, (18 * M).to_string())]
        );
        // An infraction at the current height touches only the validator.
        let out = run_slash(&mut s, 30, T0 + 3, &cons(11), 30, 35, "0.1");
        assert_eq!(
            out,
            Slashed {
                validator: 3_500_000,
                unbonding: 0,
                redelegation: 0
            }
        );
        // Matured entries are not slashed; an unknown key is ignored.
        let out = run_slash(&mut s, 40, T0 + 100 * DAY, &cons(11), 15, 10, "0.5");
        assert_eq!((out.unbonding, out.redelegation), (0, 0));
        assert_eq!(
            run_slash(&mut s, 40, T0, &cons(99), 15, 10, "0.5"),
            Slashed::default()
        );
        crate::tests::assert_indexes_consistent(&s);
    }

    #[test]
    fn future_infractions_and_unbonded_validators_are_internal_errors() {
        let mut s = store();
        exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
        let gas = GasMeter::infinite();
        let b = blk(10, T0);
        let mut ctx = Ctx::new(&s, &gas, &b);
        let e = slash(
            &mut ctx,
            &crate::hooks::NoHooks,
            &cons(11),
            5,
            10,
            Dec::parse("0.1").unwrap(),
        )
        .unwrap_err();
        assert!(e.log.contains("unbonded"), "{}", e.log);
        let e = slash(
            &mut ctx,
            &crate::hooks::NoHooks,
            &cons(11),
            11,
            10,
            Dec::parse("0.1").unwrap(),
        )
        .unwrap_err();
        assert!(e.log.contains("future"), "{}", e.log);
    }

    #[test]
    fn a_redelegation_pays_at_most_the_delegation_left_at_its_destination() {
        let mut s = store();
        exec(&mut s, create_msg(1, 11, 100 * M)).unwrap();
        exec(&mut s, create_msg(2, 12, 100 * M)).unwrap();
        exec(&mut s, delegate_msg(3, 1, 50 * M)).unwrap();
        end_block(&mut s, 10, T0);
        exec_in(&mut s, &blk(20, T0 + 1), redelegate_msg(3, 1, 2, 40 * M)).unwrap();
        exec_in(&mut s, &blk(21, T0 + 2), undelegate_msg(3, 2, 35 * M)).unwrap();
        let supply = s.supply_of("udeai").unwrap();
        // 50% of power 150: 75 M owed; the redelegation owes 20 M but only 5 M of shares
        // are left at 2; the validator pays 75 − 20 = 55 M (the SDK's accounting).
        let out = run_slash(&mut s, 30, T0 + 3, &cons(11), 15, 150, "0.5");
        assert_eq!(out.redelegation, 5 * M);
        assert_eq!(out.unbonding, 0);
        assert_eq!(out.validator, 55 * M);
        assert_eq!(s.supply_of("udeai").unwrap(), supply - 60 * M);
        assert!(s.delegation(&addr(3), &addr(2)).unwrap().is_none());
        crate::tests::assert_indexes_consistent(&s);
    }
}
