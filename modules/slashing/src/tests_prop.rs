//! Property test: after random sequences of delegations, undelegations, redelegations, missed
//! blocks (downtime slashes), double signs, unjails and end blocks, total supply equals the
//! users' balances plus the two staking pools, the pools equal what the records say they
//! hold, and the supply only ever falls by what slashing burned.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
use proptest::prelude::*;

use deai_bank::BankRead;
use deai_framework::{records, MemStore};
use deai_staking::keeper::{tokens, BONDED, UNBONDED};
use deai_staking::{StakingRead, BONDED_POOL, NOT_BONDED_POOL};

use crate::tests::*;
use crate::*;

#[derive(Clone, Debug)]
enum Op {
    Delegate(u8, u8, u128),
    Undelegate(u8, u8, u128),
    Redelegate(u8, u8, u8, u128),
    /// One block of votes: bit i set = validator i + 1 missed.
    Votes(u8),
    Equivocate(u8, u64),
    Unjail(u8),
    EndBlock(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let del = 4u8..=6;
    let val = 1u8..=3;
    let amt = 1u128..40_000_000;
    prop_oneof![
        1 => (del.clone(), val.clone(), amt.clone()).prop_map(|(d, v, a)| Op::Delegate(d, v, a)),
        1 => (del.clone(), val.clone(), amt.clone()).prop_map(|(d, v, a)| Op::Undelegate(d, v, a)),
        1 => (del, val.clone(), val.clone(), amt).prop_map(|(d, s, t, a)| Op::Redelegate(d, s, t, a)),
        4 => (0u8..8).prop_map(Op::Votes),
        1 => val.clone().prop_flat_map(|v| (Just(v), 1u64..8)).prop_map(|(v, b)| Op::Equivocate(v, b)),
        1 => val.prop_map(Op::Unjail),
        1 => (0i64..200).prop_map(Op::EndBlock),
    ]
}

fn check(s: &MemStore, initial: u128) -> Result<(), TestCaseError> {
    let users: u128 = USERS
        .iter()
        .map(|u| s.balance(&addr(*u), "udeai").unwrap())
        .sum();
    let (bonded, not_bonded) = (pool(s, BONDED_POOL), pool(s, NOT_BONDED_POOL));
    let supply = s.supply_of("udeai").unwrap();
    prop_assert_eq!(supply, users + bonded + not_bonded);
    prop_assert!(supply <= initial);
    let vals: Vec<spb::Validator> = records::all_under(
        "staking",
        s,
        &deai_staking::state_key::validators(),
        usize::MAX,
    )
    .unwrap();
    let (mut want_bonded, mut want_not) = (0u128, 0u128);
    for v in &vals {
        let t = tokens(v).unwrap();
        if v.status == BONDED {
            want_bonded += t;
        } else {
            want_not += t;
        }
    }
    let ubds: Vec<spb::UnbondingDelegation> = records::all_under(
        "staking",
        s,
        &deai_staking::state_key::all_ubds(),
        usize::MAX,
    )
    .unwrap();
    for u in ubds {
        for e in u.entries {
            want_not += e.balance.parse::<u128>().unwrap();
        }
    }
    prop_assert_eq!(bonded, want_bonded);
    prop_assert_eq!(not_bonded, want_not);
    Ok(())
}

fn store_short_unbonding() -> MemStore {
    let mut g = genesis_with(small_params());
    g["staking"]["params"] = serde_json::json!({
        "unbonding_time": "100s", "max_validators": 2, "max_entries": 7,
        "historical_entries": 3, "bond_denom": "udeai", "min_commission_rate": "0"});
    testing::try_init_all(&modules(), &g).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn supply_is_balances_plus_pools_under_slashing(ops in prop::collection::vec(op(), 1..120)) {
        let mut s = store_short_unbonding();
        let initial = s.supply_of("udeai").unwrap();
        let mut h = 10u64;
        let mut t = T0;
        for o in 1..=3u8 {
            exec_at(&mut s, &blk(h, t), &deai_staking::StakingModule::default(), create_msg(o, 30 * M, 1)).unwrap();
        }
        testing::end_block(&deai_staking::StakingModule::default(), &mut s, &blk(h, t));
        check(&s, initial)?;
        for op in ops {
            h += 1;
            t += 5;
            let b = blk(h, t);
            let sm = &deai_staking::StakingModule::default();
            match op {
                Op::Delegate(d, v, a) => { let _ = exec_at(&mut s, &b, sm, delegate_msg(d, v, a)); }
                Op::Undelegate(d, v, a) => { let _ = exec_at(&mut s, &b, sm, undelegate_msg(d, v, a)); }
                Op::Redelegate(d, x, y, a) => { let _ = exec_at(&mut s, &b, sm, redelegate_msg(d, x, y, a)); }
                Op::Votes(mask) => {
                    let set = s.last_powers(100).unwrap();
                    let list: Vec<Vote> = set
                        .iter()
                        .map(|(op, power)| {
                            let i = (1..=3u8).position(|o| addr(o) == *op).unwrap_or(0);
                            Vote {
                                cons: cons(i as u8 + 1),
                                power: *power,
                                signed: mask & (1 << i) == 0,
                            }
                        })
                        .collect();
                    in_block(&mut s, h, t, |ctx| begin_blocker(ctx, &deai_staking::NoHooks, &list)).unwrap();
                }
                Op::Equivocate(v, back) => {
                    let supply = s.supply_of("udeai").unwrap();
                    let tomb = s
                        .signing_info(&keeper::cons_addr(&cons(v)).unwrap())
                        .unwrap()
                        .is_some_and(|i| i.tombstoned);
                    let unbonded = s.validator(&addr(v)).unwrap().is_none_or(|x| x.status == UNBONDED);
                    let power = s.last_power(&addr(v)).unwrap().max(1);
                    let inf = h.saturating_sub(back).max(1) as i64;
                    let done = in_block(&mut s, h, t, |ctx| handle_equivocation(ctx, &deai_staking::NoHooks, &cons(v), inf, t, power))
                        .unwrap()
                        .0;
                    prop_assert_eq!(done, !tomb && !unbonded);
                    if tomb {
                        prop_assert_eq!(s.supply_of("udeai").unwrap(), supply);
                    }
                }
                Op::Unjail(v) => { let _ = unjail(&mut s, v, t); }
                Op::EndBlock(dt) => {
                    t += dt;
                    testing::end_block(&deai_staking::StakingModule::default(), &mut s, &blk(h, t));
                }
            }
            check(&s, initial)?;
        }
        // Everything matures: each unit not burned is with a user or still bonded.
        h += 1;
        t += 10_000;
        testing::end_block(&deai_staking::StakingModule::default(), &mut s, &blk(h, t));
        check(&s, initial)?;
    }
}
