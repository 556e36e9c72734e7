//! Properties: the exchange-rate math never creates tokens, and random sequences of staking
//! messages, slashes (raw burns from a pool, and `crate::slash` at random infraction heights)
//! and blocks never create or lose a unit: total supply == user balances + bonded pool +
//! not-bonded pool, and the pools hold exactly what the records say.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use proptest::prelude::*;

use deai_bank::{BankRead, BankWrite};
use deai_framework::{records, Coins, MemStore};

use crate::keeper::{
    bond_coins, delegation_shares, pool_of, shares, tokens, StakingRead, StakingWrite, BONDED,
};
use crate::math::{self, Dec};
use crate::tests::*;
use crate::{state_key, BONDED_POOL, MODULE_NAME, NOT_BONDED_POOL};

proptest! {
    #[test]
    fn delegating_then_unbonding_never_creates_tokens(
        t in 1u128..1_000_000_000, s_units in 1u128..1_000_000_000_000_000_000_000_000_000u128,
        a in 1u128..1_000_000_000, x in 1u128..1_000_000_000,
    ) {
        let s = Dec::from_units(s_units);
        // Delegate a: the new shares are worth at most a.
        if let Ok(issued) = math::shares_for_delegation(t, s, a) {
            let (t2, s2) = (t + a, Dec::from_units(s_units + issued.units()));
            let back = math::tokens_for_shares(t2, s2, issued).unwrap();
            prop_assert!(back <= a, "delegated {a}, got back {back}");
        }
        // Undelegate x (≤ t): the paid tokens never exceed the removed shares' worth, so the
        // remaining shares are worth at least as much per share as before.
        let x = x.min(t);
        let remove = math::shares_for_unbond(t, s, x).unwrap().min(s);
        let paid = math::tokens_for_shares(t, s, remove).unwrap();
        prop_assert!(paid <= t);
        // (t - paid) / (s - remove) >= t / s  ⇔  (t - paid)·s >= t·(s - remove)
        let lhs = math::mul_div_floor(t - paid, s.units(), 1).unwrap();
        let rhs = math::mul_div_floor(t, s.units() - remove.units(), 1).unwrap();
        prop_assert!(lhs >= rhs);
    }
}

#[derive(Clone, Debug)]
enum Op {
    Create(u8, u128),
    Delegate(u8, u8, u128),
    Undelegate(u8, u8, u128),
    UndelegateAll(u8, u8),
    Redelegate(u8, u8, u8, u128),
    Cancel(u8, u8, u128),
    Slash(u8, u32),
    /// `crate::slash` of validator o for an infraction `back` heights ago, at `permille`‰.
    RealSlash(u8, u64, u32),
    EndBlock(i64),
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        1u128..10,
        1u128..10_000,
        100_000u128..5_000_000,
        1_000_000u128..50_000_000
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let v = 1u8..=3;
    let d = 1u8..=4;
    prop_oneof![
        (v.clone(), 1_000_000u128..30_000_000).prop_map(|(o, a)| Op::Create(o, a)),
        (d.clone(), v.clone(), amount()).prop_map(|(d, o, a)| Op::Delegate(d, o, a)),
        (d.clone(), v.clone(), amount()).prop_map(|(d, o, a)| Op::Undelegate(d, o, a)),
        (d.clone(), v.clone()).prop_map(|(d, o)| Op::UndelegateAll(d, o)),
        (d.clone(), v.clone(), v.clone(), amount())
            .prop_map(|(d, s, t, a)| Op::Redelegate(d, s, t, a)),
        (d.clone(), v.clone(), amount()).prop_map(|(d, o, a)| Op::Cancel(d, o, a)),
        (v.clone(), 1u32..300).prop_map(|(o, permille)| Op::Slash(o, permille)),
        (v, 0u64..4, 1u32..1001).prop_map(|(o, b, p)| Op::RealSlash(o, b, p)),
        (0i64..2_000).prop_map(Op::EndBlock),
    ]
}

/// Burns `permille`‰ of a validator's tokens from its pool (the slashing module's job later).
fn slash(s: &mut MemStore, op: u8, permille: u32) {
    let Some(mut v) = s.validator(&addr(op)).unwrap() else {
        return;
    };
    let t = tokens(&v).unwrap();
    let cut = t * u128::from(permille) / 1000;
    if cut == 0 {
        return;
    }
    let coins: Coins = bond_coins("udeai", cut).unwrap();
    s.burn(pool_of(v.status), &coins).unwrap();
    v.tokens = (t - cut).to_string();
    s.put_validator(&v).unwrap();
}

fn all<M: prost::Message + Default>(s: &MemStore, prefix: &[u8]) -> Vec<M> {
    records::all_under(MODULE_NAME, s, prefix, usize::MAX).unwrap()
}

fn check(s: &MemStore, initial: u128, burned: u128) -> Result<(), TestCaseError> {
    let users: u128 = USERS.iter().map(|u| bal(s, *u)).sum();
    let (bonded, not_bonded) = pools(s);
    prop_assert_eq!(s.supply_of("udeai").unwrap(), users + bonded + not_bonded);
    prop_assert_eq!(users + bonded + not_bonded + burned, initial);
    let vals: Vec<pb::Validator> = all(s, &state_key::validators());
    let mut want_bonded = 0;
    let mut want_not = 0;
    for v in &vals {
        let t = tokens(v).unwrap();
        if v.status == BONDED {
            want_bonded += t
        } else {
            want_not += t
        }
        let op = crate::keeper::operator(v).unwrap();
        let sum: u128 = all::<pb::Delegation>(s, &state_key::all_delegations())
            .iter()
            .filter(|d| d.validator_address == v.operator_address)
            .map(|d| delegation_shares(d).unwrap().units())
            .sum();
        prop_assert_eq!(shares(v).unwrap().units(), sum, "shares of {:?}", op);
    }
    for u in all::<pb::UnbondingDelegation>(s, &state_key::all_ubds()) {
        for e in u.entries {
            want_not += e.balance.parse::<u128>().unwrap();
        }
    }
    prop_assert_eq!(bonded, want_bonded);
    prop_assert_eq!(not_bonded, want_not);
    // Bonded validators are within max_validators.
    let n_bonded = vals.iter().filter(|v| v.status == BONDED).count();
    prop_assert!(n_bonded <= 3);
    assert_indexes_consistent(s);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]
    #[test]
    fn random_staking_never_creates_or_loses_a_unit(ops in proptest::collection::vec(op(), 1..80)) {
        let g = serde_json::json!({"params": {
            "unbonding_time": "1000s", "max_validators": 3, "max_entries": 7,
            "historical_entries": 5, "bond_denom": "udeai", "min_commission_rate": "0.000000000000000000"}});
        let mut s = deai_framework::testing::try_init_all(&modules(), &genesis_with(g)).unwrap();
        let initial = s.supply_of("udeai").unwrap();
        let mut burned = 0u128;
        let (mut h, mut t) = (2u64, T0);
        for op in ops {
            let b = blk(h, t);
            let _ = match op {
                Op::Create(o, a) => exec_in(&mut s, &b, create_msg(o, 10 + o, a)).map(|_| ()),
                Op::Delegate(d, o, a) => exec_in(&mut s, &b, delegate_msg(d, o, a)).map(|_| ()),
                Op::Undelegate(d, o, a) => exec_in(&mut s, &b, undelegate_msg(d, o, a)).map(|_| ()),
                Op::UndelegateAll(d, o) => {
                    // The delegation's whole worth (what a wallet's "max" sends).
                    let worth = match (s.delegation(&addr(d), &addr(o)).unwrap(), s.validator(&addr(o)).unwrap()) {
                        (Some(del), Some(v)) => math::tokens_for_shares(
                            tokens(&v).unwrap(), shares(&v).unwrap(), delegation_shares(&del).unwrap(),
                        ).unwrap(),
                        _ => 1,
                    };
                    exec_in(&mut s, &b, undelegate_msg(d, o, worth.max(1))).map(|_| ())
                }
                Op::Redelegate(d, x, y, a) => exec_in(&mut s, &b, redelegate_msg(d, x, y, a)).map(|_| ()),
                Op::Cancel(d, o, a) => {
                    // Cancel part of the pair's last entry (a in 1..=balance), or probe.
                    let (height, a) = s.ubd(&addr(d), &addr(o)).unwrap()
                        .and_then(|u| u.entries.last().map(|e| {
                            let bal: u128 = e.balance.parse().unwrap();
                            (e.creation_height, (a - 1) % bal.max(1) + 1)
                        }))
                        .unwrap_or((1, a));
                    exec_in(&mut s, &b, cancel_msg(d, o, a, height)).map(|_| ())
                }
                Op::Slash(o, p) => {
                    let before = s.supply_of("udeai").unwrap();
                    slash(&mut s, o, p);
                    burned += before - s.supply_of("udeai").unwrap();
                    Ok(())
                }
                Op::RealSlash(o, back, p) => {
                    let before = s.supply_of("udeai").unwrap();
                    let v = s.validator(&addr(o)).unwrap();
                    let power = v.as_ref().map_or(0, |v| crate::keeper::power_of(tokens(v).unwrap()));
                    let gas = deai_framework::GasMeter::infinite();
                    let snap = s.clone();
                    let mut ctx = deai_framework::Ctx::new(&snap, &gas, &b);
                    let fraction = Dec::from_units(u128::from(p) * 1_000_000_000_000_000);
                    let r = crate::slash(&mut ctx, &crate::NoHooks, &crate::keeper::consensus_address(&[10 + o; 32]),
                        h.saturating_sub(back) as i64, power, fraction);
                    match (&v, r) {
                        (Some(v), Err(e)) => prop_assert!(v.status == crate::keeper::UNBONDED, "{}", e.log),
                        (None, r) => prop_assert_eq!(r.unwrap(), crate::Slashed::default()),
                        (Some(_), Ok(out)) => {
                            let (w, _) = ctx.finish();
                            s.apply(w);
                            prop_assert_eq!(before - s.supply_of("udeai").unwrap(), out.total());
                            // Never more than the fraction of what the validator had at stake.
                            prop_assert!(out.validator <= fraction.mul_floor(u128::try_from(power).unwrap() * 1_000_000).unwrap());
                            burned += out.total();
                        }
                    }
                    Ok(())
                }
                Op::EndBlock(dt) => {
                    let total = s.last_total_power().unwrap();
                    let before: std::collections::BTreeMap<Vec<u8>, i64> = s
                        .last_powers(usize::MAX).unwrap().into_iter()
                        .map(|(op, p)| (crate::keeper::consensus_key(&s.validator(&op).unwrap().unwrap()).unwrap(), p))
                        .collect();
                    let ups = end_block(&mut s, h, t);
                    // The clamp: each block moves less than a third of the last total
                    // (or one unit when that total is under 4; anything for the first set).
                    let moved: i64 = ups.iter().map(|(k, p)| (p - before.get(k).copied().unwrap_or(0)).abs()).sum();
                    prop_assert!(total == 0 || 3 * moved < total || (total < 4 && moved <= 1),
                        "moved {} of {}", moved, total);
                    prop_assert_eq!(s.last_total_power().unwrap(), total + ups.iter().map(|(k, p)| p - before.get(k).copied().unwrap_or(0)).sum::<i64>());
                    h += 1;
                    t += dt;
                    Ok(())
                }
            };
            check(&s, initial, burned)?;
        }
        // Let everything mature: every unit not burned is back with a user or still bonded.
        for i in 0..5 {
            end_block(&mut s, h + i, t + 10_000 * (i as i64 + 1));
        }
        check(&s, initial, burned)?;
        let (_, not_bonded) = pools(&s);
        let unbonding_vals: u128 = all::<pb::Validator>(&s, &state_key::validators())
            .iter().filter(|v| v.status != BONDED).map(|v| tokens(v).unwrap()).sum();
        prop_assert_eq!(not_bonded, unbonding_vals);
        let _ = (BONDED_POOL, NOT_BONDED_POOL);
    }
}
