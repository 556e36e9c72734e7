//! The validator set: the top max_validators, the clamp on CometBFT's power changes, and
//! matured tokens reaching a module account.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;

use deai_bank::BankRead;

use crate::keeper::StakingRead;
use crate::*;

use crate::tests::*;

#[test]
fn the_set_is_the_top_max_validators_with_ties_by_operator_bytes() {
    let g = serde_json::json!({"params": {
        "unbonding_time": "100s", "max_validators": 2, "max_entries": 7,
        "historical_entries": 3, "bond_denom": "udeai", "min_commission_rate": "0.000000000000000000"}});
    let mut s = testing::try_init_all(&modules(), &genesis_with(g)).unwrap();
    exec(&mut s, create_msg(3, 13, 10 * M)).unwrap();
    exec(&mut s, create_msg(2, 12, 10 * M)).unwrap();
    exec(&mut s, create_msg(1, 11, 5 * M)).unwrap();
    let ups = end_block(&mut s, 10, T0);
    // 2 and 3 tie at 10; both beat 1.
    assert_eq!(ups, vec![(vec![12; 32], 10), (vec![13; 32], 10)]);
    exec(&mut s, delegate_msg(5, 1, 5 * M)).unwrap();
    // Now all three tie at 10: the two smallest operators (1, 2) win; 3 leaves. The change
    // (+10 for 1, -10 for 3) is over the budget of a last total of 20 (6, as 3·6 < 20), so it
    // is clamped, the leaving validator served first.
    let ups = end_block(&mut s, 11, T0 + 1);
    assert_eq!(ups, vec![(vec![13; 32], 4)]);
    assert_eq!(
        s.validator(&addr(3)).unwrap().unwrap().status,
        pb::BondStatus::Unbonding as i32
    );
    assert_eq!(
        s.validator(&addr(1)).unwrap().unwrap().status,
        pb::BondStatus::Bonded as i32
    );
    assert_eq!(pools(&s), (20 * M, 10 * M));
    // The clamp spreads the rest over the next blocks, each under a third of the last total.
    let mut last: std::collections::BTreeMap<Vec<u8>, i64> =
        [(vec![12; 32], 10), (vec![13; 32], 4)].into();
    for h in 12..20 {
        let total: i64 = last.values().sum();
        let ups = end_block(&mut s, h, T0 + h as i64);
        let moved: i64 = ups
            .iter()
            .map(|(k, p)| (p - last.get(k).copied().unwrap_or(0)).abs())
            .sum();
        assert!(3 * moved < total || moved <= 1, "moved {moved} of {total}");
        for (k, p) in ups {
            last.insert(k, p);
        }
    }
    assert_eq!(last[&vec![11; 32]], 10);
    assert_eq!(last[&vec![12; 32]], 10);
    assert_eq!(last[&vec![13; 32]], 0);
    // History keeps the last 3 heights.
    for h in 17..=19 {
        assert_eq!(
            s.historical_info(h)
                .unwrap()
                .unwrap()
                .header
                .unwrap()
                .height,
            h as i64
        );
    }
    assert!(s.historical_info(16).unwrap().is_none());
    assert_eq!(s.historical_info(19).unwrap().unwrap().valset.len(), 2);
    // The unbonding validator matures after 100 s.
    end_block(&mut s, 30, T0 + 200);
    assert_eq!(
        s.validator(&addr(3)).unwrap().unwrap().status,
        pb::BondStatus::Unbonded as i32
    );
    assert!(s.historical_info(19).unwrap().is_none());
}

#[test]
fn clamp_keeps_each_block_under_a_third() {
    let a = |b: u8| addr(b);
    // Nothing bonded yet: the first set goes through whole.
    assert_eq!(
        clamp_updates(0, &[(a(1), 0, 100), (a(2), 0, 50)]),
        vec![(a(1), 100), (a(2), 50)]
    );
    // Total 30: budget 9.
    assert_eq!(
        clamp_updates(30, &[(a(1), 10, 30), (a(2), 10, 10)]),
        vec![(a(1), 19)]
    );
    assert_eq!(
        clamp_updates(30, &[(a(1), 10, 14), (a(2), 10, 0)]),
        vec![(a(1), 14), (a(2), 5)]
    );
    // Total 31: budget 10 (3·10 < 31).
    assert_eq!(
        clamp_updates(31, &[(a(1), 31, 0), (a(2), 0, 50)]),
        vec![(a(1), 21)]
    );
    // Tiny totals move one unit.
    assert_eq!(clamp_updates(2, &[(a(1), 2, 10)]), vec![(a(1), 3)]);
    // Never to an empty set.
    assert_eq!(clamp_updates(1, &[(a(1), 1, 0)]), vec![]);
}

#[test]
fn a_joining_validator_converges_geometrically() {
    let mut s = store();
    for i in 1..=4u8 {
        exec(&mut s, create_msg(i, 10 + i, 10 * M)).unwrap();
    }
    assert_eq!(end_block(&mut s, 10, T0).len(), 4);
    exec(&mut s, create_msg(5, 15, 1000 * M)).unwrap();
    let mut blocks = 0;
    let mut total = 40i64;
    loop {
        let ups = end_block(&mut s, 11 + blocks, T0 + blocks as i64);
        if ups.is_empty() {
            break;
        }
        assert_eq!(ups.len(), 1);
        let new_total = s.last_total_power().unwrap();
        assert!(3 * (new_total - total) < total, "{total} -> {new_total}");
        total = new_total;
        blocks += 1;
        assert!(blocks < 40);
    }
    assert_eq!(s.last_power(&addr(5)).unwrap(), 1000);
    assert_eq!(total, 1040);
}

#[test]
fn matured_tokens_reach_a_module_account_delegator() {
    use deai_auth::AuthWrite;
    use deai_bank::BankWrite;
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    // The gov module's account delegating (as a future proposal could make it).
    let gov = deai_framework::authority::default_authority();
    s.ensure_module_account("gov").unwrap();
    s.add_coins(&gov, &deai_framework::Coins::parse("500udeai").unwrap())
        .unwrap();
    let del = |m: &mut pb::MsgDelegate| m.delegator_address = gov.to_bech32();
    let mut m = delegate_msg(0, 1, 500);
    del(&mut m);
    exec(&mut s, m).unwrap();
    let mut u = undelegate_msg(0, 1, 500);
    u.delegator_address = gov.to_bech32();
    exec(&mut s, u).unwrap();
    end_block(&mut s, 11, T0 + 22 * DAY);
    assert_eq!(s.balance(&gov, "udeai").unwrap(), 500);
}
