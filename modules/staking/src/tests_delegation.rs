//! Delegate, undelegate, redelegate, cancel and params: rejections by code, the exchange rate,
//! maturity, and validator removal.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;

use deai_framework::sdk;

use crate::keeper::{StakingRead, StakingWrite};
use crate::*;

use crate::tests::*;

#[test]
fn delegate_rejections_and_exchange_rate() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    assert_eq!(
        code(exec(&mut s, delegate_msg(2, 3, 5))),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    assert_eq!(
        code(exec(&mut s, delegate_msg(2, 1, 0))),
        sd(sdk::INVALID_REQUEST)
    );
    let mut m = delegate_msg(2, 1, 5);
    m.amount = Some(coin(5, "uatom"));
    assert_eq!(code(exec(&mut s, m)), sd(sdk::INVALID_REQUEST));
    let mut m = delegate_msg(2, 1, 5);
    m.delegator_address.clear();
    assert_eq!(code(exec(&mut s, m)), st(ERR_EMPTY_DELEGATOR_ADDR));
    assert_eq!(
        code(exec(&mut s, delegate_msg(2, 1, FUNDS + 1))),
        sd(sdk::INSUFFICIENT_FUNDS)
    );
    exec(&mut s, delegate_msg(2, 1, 5 * M)).unwrap();
    let d = s.delegation(&addr(2), &addr(1)).unwrap().unwrap();
    assert_eq!(d.shares, "5000000.000000000000000000");
    // A validator whose tokens are worth less than its shares (as after a slash): 2 shares per
    // token. Delegating 3 tokens gives 6 shares; undelegating them back pays 3, never more.
    let mut v = s.validator(&addr(1)).unwrap().unwrap();
    v.delegator_shares = "30000000.000000000000000000".into();
    s.put_validator(&v).unwrap();
    s.put_delegation(&addr(1), &addr(1), math::Dec::parse("25000000").unwrap())
        .unwrap();
    exec(&mut s, delegate_msg(3, 1, 3)).unwrap();
    assert_eq!(
        s.delegation(&addr(3), &addr(1)).unwrap().unwrap().shares,
        "6.000000000000000000"
    );
    let before = bal(&s, 3);
    exec(&mut s, undelegate_msg(3, 1, 2)).unwrap();
    let d = s.delegation(&addr(3), &addr(1)).unwrap().unwrap();
    assert_eq!(d.shares, "2.000000000000000000");
    assert_eq!(bal(&s, 3), before);
    // A token amount worth zero shares is refused.
    let mut v = s.validator(&addr(1)).unwrap().unwrap();
    v.delegator_shares = "1.000000000000000000".into();
    v.tokens = "15000000000000000000000".into();
    s.put_validator(&v).unwrap();
    assert_eq!(
        code(exec(&mut s, delegate_msg(4, 1, 1))),
        st(ERR_INSUFFICIENT_SHARES)
    );
}

#[test]
fn undelegate_rejections_and_maturity() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    assert_eq!(
        code(exec(&mut s, undelegate_msg(2, 1, 5))),
        st(ERR_NO_DELEGATION)
    );
    assert_eq!(
        code(exec(&mut s, undelegate_msg(1, 2, 5))),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    exec(&mut s, delegate_msg(2, 1, 4 * M)).unwrap();
    assert_eq!(
        code(exec(&mut s, undelegate_msg(2, 1, 4 * M + 1))),
        st(ERR_NOT_ENOUGH_DELEGATION_SHARES)
    );
    let before = bal(&s, 2);
    // Seven entries at seven heights, then the eighth is refused.
    for h in 0..7u64 {
        exec_in(
            &mut s,
            &blk(11 + h, T0 + h as i64),
            undelegate_msg(2, 1, 100),
        )
        .unwrap();
    }
    assert_eq!(
        code(exec_in(
            &mut s,
            &blk(30, T0 + 30),
            undelegate_msg(2, 1, 100)
        )),
        st(ERR_MAX_UNBONDING_DELEGATION_ENTRIES)
    );
    // The same height merges into its entry.
    exec_in(&mut s, &blk(17, T0 + 6), undelegate_msg(2, 1, 50)).unwrap();
    let u = s.ubd(&addr(2), &addr(1)).unwrap().unwrap();
    assert_eq!(u.entries.len(), 7);
    assert_eq!(u.entries[6].balance, "150");
    assert_eq!(pools(&s), (14 * M - 750, 750));
    // Nothing matures before the unbonding time.
    end_block(&mut s, 40, T0 + 21 * DAY - 1);
    assert_eq!(bal(&s, 2), before);
    end_block(&mut s, 41, T0 + 21 * DAY + 3);
    assert_eq!(bal(&s, 2), before + 400);
    assert_eq!(s.ubd(&addr(2), &addr(1)).unwrap().unwrap().entries.len(), 3);
    end_block(&mut s, 42, T0 + 22 * DAY);
    assert_eq!(bal(&s, 2), before + 750);
    assert!(s.ubd(&addr(2), &addr(1)).unwrap().is_none());
    assert_eq!(pools(&s), (14 * M - 750, 0));
}

#[test]
fn redelegate_rejections_and_transitive_rule() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    exec(&mut s, create_msg(2, 12, 10 * M)).unwrap();
    exec(&mut s, create_msg(3, 13, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 1, 1, 5))),
        st(ERR_SELF_REDELEGATION)
    );
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 1, 5, 5))),
        st(ERR_BAD_REDELEGATION_DST)
    );
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 5, 1, 5))),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 1, 2, 5))),
        st(ERR_NO_DELEGATION)
    );
    exec(&mut s, delegate_msg(4, 1, 1000)).unwrap();
    let (_, _) = exec_in(&mut s, &blk(11, T0 + 1), redelegate_msg(4, 1, 2, 300)).unwrap();
    assert_eq!(
        s.delegation(&addr(4), &addr(2)).unwrap().unwrap().shares,
        "300.000000000000000000"
    );
    // 1 → 2 is maturing, so 2 → 3 is transitive.
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 2, 3, 100))),
        st(ERR_TRANSITIVE_REDELEGATION)
    );
    for h in 1..7u64 {
        exec_in(
            &mut s,
            &blk(11 + h, T0 + 1 + h as i64),
            redelegate_msg(4, 1, 2, 10),
        )
        .unwrap();
    }
    assert_eq!(
        code(exec_in(
            &mut s,
            &blk(30, T0 + 30),
            redelegate_msg(4, 1, 2, 10)
        )),
        st(ERR_MAX_REDELEGATION_ENTRIES)
    );
    // Bonded to bonded: the pools do not change.
    assert_eq!(pools(&s), (30 * M + 1000, 0));
    end_block(&mut s, 40, T0 + 21 * DAY + 100);
    assert!(s.red(&addr(4), &addr(1), &addr(2)).unwrap().is_none());
    exec(&mut s, redelegate_msg(4, 2, 3, 100)).unwrap();
}

#[test]
fn cancel_unbonding_rejections_and_return_to_the_validator() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    exec(&mut s, delegate_msg(2, 1, 1000)).unwrap();
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 10, 10))),
        st(ERR_NO_UNBONDING_DELEGATION)
    );
    exec_in(&mut s, &blk(12, T0 + 1), undelegate_msg(2, 1, 400)).unwrap();
    assert_eq!(pools(&s), (10 * M + 600, 400));
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 10, 0))),
        sd(sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 10, 11))),
        sd(crate::error::SDK_NOT_FOUND)
    );
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 401, 12))),
        sd(sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 3, 10, 12))),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    exec(&mut s, cancel_msg(2, 1, 150, 12)).unwrap();
    assert_eq!(pools(&s), (10 * M + 750, 250));
    let u = s.ubd(&addr(2), &addr(1)).unwrap().unwrap();
    assert_eq!(
        (
            u.entries[0].balance.as_str(),
            u.entries[0].initial_balance.as_str()
        ),
        ("250", "250")
    );
    exec(&mut s, cancel_msg(2, 1, 250, 12)).unwrap();
    assert!(s.ubd(&addr(2), &addr(1)).unwrap().is_none());
    assert_eq!(pools(&s), (10 * M + 1000, 0));
    // A jailed validator takes no cancellation.
    exec_in(&mut s, &blk(13, T0 + 2), undelegate_msg(2, 1, 100)).unwrap();
    s.jail(&addr(1)).unwrap();
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 100, 13))),
        st(ERR_VALIDATOR_JAILED)
    );
    // Matured: already processed.
    s.unjail(&addr(1)).unwrap();
    assert_eq!(
        code(exec_in(
            &mut s,
            &blk(99, T0 + 30 * DAY),
            cancel_msg(2, 1, 100, 13)
        )),
        sd(sdk::INVALID_REQUEST)
    );
}

#[test]
fn update_params_needs_the_authority_and_valid_params() {
    let mut s = store();
    let mut p = Params::default().to_proto();
    p.max_validators = 2;
    let msg = |auth: u8, p: pb::Params| pb::MsgUpdateParams {
        authority: addr(auth).to_bech32(),
        params: Some(p),
    };
    assert_eq!(code(exec(&mut s, msg(1, p.clone()))), ("gov", 13));
    let mut bad = p.clone();
    bad.max_validators = 0;
    assert_eq!(code(exec(&mut s, msg(9, bad))), st(ERR_INVALID_PARAMS));
    let mut bad = p.clone();
    bad.min_commission_rate = "1.5".into();
    assert_eq!(code(exec(&mut s, msg(9, bad))), st(ERR_INVALID_PARAMS));
    let mut bad = p.clone();
    bad.min_commission_rate = "1500000000000000000".into(); // 1.5 in the wire's units
    assert_eq!(code(exec(&mut s, msg(9, bad))), st(ERR_INVALID_PARAMS));
    // The SDK's wire form: 0.01 as 10^16 units (what cosmjs and a gov proposal send).
    p.min_commission_rate = "10000000000000000".into();
    exec(&mut s, msg(9, p)).unwrap();
    let now = s.staking_params().unwrap();
    assert_eq!(now.max_validators, 2);
    assert_eq!(
        now.min_commission_rate,
        crate::math::Dec::parse("0.01").unwrap()
    );
    assert_eq!(now.to_proto().min_commission_rate, "10000000000000000");
}

#[test]
fn self_delegation_below_the_minimum_jails_the_validator() {
    let mut s = store();
    let mut m = create_msg(1, 11, 10 * M);
    m.min_self_delegation = (5 * M).to_string();
    exec(&mut s, m).unwrap();
    end_block(&mut s, 10, T0);
    exec(&mut s, undelegate_msg(1, 1, 5 * M)).unwrap();
    assert!(!s.validator(&addr(1)).unwrap().unwrap().jailed);
    exec_in(&mut s, &blk(11, T0 + 1), undelegate_msg(1, 1, 1)).unwrap();
    assert!(s.validator(&addr(1)).unwrap().unwrap().jailed);
    // Out of the set at the next end_block: its power falls toward 0 by under a third of
    // the last total (10) a block; never to an empty set.
    let ups = end_block(&mut s, 12, T0 + 2);
    assert_eq!(ups, vec![(vec![11; 32], 7)]);
    for h in 13..30 {
        end_block(&mut s, h, T0 + h as i64);
    }
    assert_eq!(s.last_total_power().unwrap(), 1);
    assert_eq!(
        s.validator(&addr(1)).unwrap().unwrap().status,
        pb::BondStatus::Unbonding as i32
    );
}

#[test]
fn a_validator_without_shares_is_removed_with_its_index_entries() {
    let g = serde_json::json!({"params": {
        "unbonding_time": "100s", "max_validators": 1, "max_entries": 7,
        "historical_entries": 3, "bond_denom": "udeai", "min_commission_rate": "0"}});
    let mut s = testing::try_init_all(&modules(), &genesis_with(g)).unwrap();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    exec(&mut s, create_msg(2, 12, 5 * M)).unwrap();
    exec(&mut s, create_msg(3, 13, 7 * M)).unwrap();
    end_block(&mut s, 10, T0);
    // 2 never bonded (max 1): its operator leaves entirely; it is removed at once.
    exec(&mut s, undelegate_msg(2, 2, 5 * M)).unwrap();
    assert!(s.validator(&addr(2)).unwrap().is_none());
    assert_indexes_consistent(&s);
    // 3 takes the seat, 1 starts unbonding; 1's operator leaves; it is removed when it has
    // unbonded and CometBFT no longer counts it.
    exec(&mut s, delegate_msg(5, 3, 10 * M)).unwrap();
    for h in 11..20 {
        end_block(&mut s, h, T0 + h as i64);
    }
    assert_eq!(s.last_power(&addr(1)).unwrap(), 0);
    exec_in(&mut s, &blk(20, T0 + 20), undelegate_msg(1, 1, 10 * M)).unwrap();
    assert!(s.validator(&addr(1)).unwrap().is_some());
    end_block(&mut s, 21, T0 + 500);
    assert!(s.validator(&addr(1)).unwrap().is_none());
    assert_indexes_consistent(&s);
    let r: pb::QueryValidatorsResponse = q(
        &s,
        "Validators",
        pb::QueryValidatorsRequest {
            status: "BOND_STATUS_UNBONDED".into(),
            pagination: None,
        },
    )
    .unwrap();
    assert!(r.validators.is_empty());
    // The consensus key is free again.
    exec_in(&mut s, &blk(22, T0 + 501), create_msg(4, 11, 2 * M)).unwrap();
    end_block(&mut s, 22, T0 + 502);
    assert_indexes_consistent(&s);
}
