//! Unit tests: queries at the SDK paths, the genesis round trip and the bootstrap from
//! staking's genesis, a validator's removal, and slash events by page.

use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;

use deai_framework::dec::{Dec, DEC_SCALE};
use deai_framework::Address;
use deai_staking::StakingRead;

use crate::tests::*;
use crate::*;

#[test]
fn queries_answer_at_the_sdk_paths() {
    let mut s = store();
    staking(&mut s, 1, create_msg(1, 10 * M)).unwrap();
    staking(&mut s, 1, create_msg(2, 10 * M)).unwrap();
    staking(&mut s, 2, delegate_msg(3, 1, 10 * M)).unwrap();
    staking(&mut s, 2, delegate_msg(3, 2, 30 * M)).unwrap();
    fees(&mut s, 2000);
    begin(&mut s, 3, &[(1, 20), (2, 40)]);
    // v1: 980·20/60 floored at 18 decimals; v2 twice as much.
    let out: pb::QueryValidatorOutstandingRewardsResponse = query(
        &s,
        3,
        &q("ValidatorOutstandingRewards"),
        pb::QueryValidatorOutstandingRewardsRequest {
            validator_address: val(2),
        },
    )
    .unwrap();
    let v2 = dec_units(&out.rewards.unwrap().rewards, "udeai");
    assert_eq!(
        v2,
        s.outstanding(&addr(2)).unwrap().unwrap().units_of("udeai")
    );
    let total: pb::QueryDelegationTotalRewardsResponse = query(
        &s,
        3,
        &q("DelegationTotalRewards"),
        pb::QueryDelegationTotalRewardsRequest {
            delegator_address: addr(3).to_bech32(),
        },
    )
    .unwrap();
    assert_eq!(total.rewards.len(), 2);
    let sum: u128 = total
        .rewards
        .iter()
        .map(|r| dec_units(&r.reward, "udeai"))
        .sum();
    assert_eq!(dec_units(&total.total, "udeai"), sum);
    assert!(sum > 0);
    let vals: pb::QueryDelegatorValidatorsResponse = query(
        &s,
        3,
        &q("DelegatorValidators"),
        pb::QueryDelegatorValidatorsRequest {
            delegator_address: addr(3).to_bech32(),
        },
    )
    .unwrap();
    assert_eq!(vals.validators, vec![val(1), val(2)]); // in operator-byte order
    let info: pb::QueryValidatorDistributionInfoResponse = query(
        &s,
        3,
        &q("ValidatorDistributionInfo"),
        pb::QueryValidatorDistributionInfoRequest {
            validator_address: val(1),
        },
    )
    .unwrap();
    assert_eq!(info.operator_address, addr(1).to_bech32());
    assert_eq!(
        dec_units(&info.commission, "udeai"),
        s.accumulated_commission(&addr(1))
            .unwrap()
            .units_of("udeai")
    );
    // A query writes nothing, and its rewards are what a withdrawal pays (floored).
    let r1 = dec_units(&total.rewards[0].reward, "udeai");
    let before = bal(&s, 3);
    dist(&mut s, 3, withdraw_msg(3, 1)).unwrap();
    assert_eq!(bal(&s, 3), before + r1 / DEC_SCALE);
    let unknown = query::<_, pb::QueryValidatorCommissionResponse>(
        &s,
        3,
        &q("ValidatorCommission"),
        pb::QueryValidatorCommissionRequest {
            validator_address: val(5),
        },
    );
    assert_eq!(code(unknown), (CODESPACE, ERR_NO_VALIDATOR_EXISTS));
    let no_del = query::<_, pb::QueryDelegationRewardsResponse>(
        &s,
        3,
        &q("DelegationRewards"),
        pb::QueryDelegationRewardsRequest {
            delegator_address: addr(4).to_bech32(),
            validator_address: val(1),
        },
    );
    assert_eq!(code(no_del), (CODESPACE, ERR_NO_DELEGATION_EXISTS));
}

#[test]
fn genesis_round_trips_with_live_accumulators() {
    let mut s = store();
    staking(&mut s, 1, create_msg(1, 10 * M)).unwrap();
    staking(&mut s, 1, create_msg(2, 10 * M)).unwrap();
    staking(&mut s, 1, delegate_msg(3, 1, 10 * M)).unwrap();
    end_block(&mut s, 1);
    fees(&mut s, 1003);
    begin(&mut s, 2, &[(1, 20), (2, 10)]);
    let h = hooks();
    let f = Dec::parse("0.1").unwrap();
    in_block(&mut s, &blk(3), |ctx| {
        deai_staking::slash(ctx, h.as_ref(), &cons(1), 3, 20, f)
    })
    .unwrap();
    dist(
        &mut s,
        3,
        pb::MsgSetWithdrawAddress {
            delegator_address: addr(3).to_bech32(),
            withdraw_address: addr(7).to_bech32(),
        },
    )
    .unwrap();
    fees(&mut s, 999);
    begin(&mut s, 4, &[(1, 18), (2, 10)]);
    dist(&mut s, 5, withdraw_msg(3, 1)).unwrap();
    let ms = modules();
    let exported = testing::export_all(&ms, &s);
    let d = &exported[MODULE_NAME];
    assert!(!d["validator_slash_events"].as_array().unwrap().is_empty());
    assert!(!d["delegator_starting_infos"].as_array().unwrap().is_empty());
    assert_eq!(d["params"]["community_tax"], "0.020000000000000000");
    assert_eq!(
        d["previous_proposer"],
        deai_staking::address::cons_to_bech32(&Address::from_bytes(&cons(1)).unwrap())
    );
    let s2 = testing::try_init_all(&ms, &exported).unwrap();
    assert_eq!(testing::export_all(&ms, &s2), exported);
    // A wrong account balance is refused.
    let mut bad = exported.clone();
    bad[MODULE_NAME]["outstanding_rewards"][0]["outstanding_rewards"][0]["amount"] =
        "1.000000000000000000".into();
    assert_eq!(
        code(testing::try_init_all(&ms, &bad)),
        (CODESPACE, ERR_INVALID_GENESIS)
    );
}

#[test]
fn a_genesis_without_records_starts_every_staking_validator_and_delegation() {
    let mut s = store();
    staking(&mut s, 1, create_msg(1, 10 * M)).unwrap();
    staking(&mut s, 1, delegate_msg(3, 1, 10 * M)).unwrap();
    end_block(&mut s, 1);
    let ms = modules();
    let mut exported = testing::export_all(&ms, &s);
    exported[MODULE_NAME] = serde_json::json!({});
    let mut s2 = testing::try_init_all(&ms, &exported).unwrap();
    assert!(s2.outstanding(&addr(1)).unwrap().is_some());
    assert!(s2.starting_info(&addr(1), &addr(3)).unwrap().is_some());
    fees(&mut s2, 1000);
    begin(&mut s2, 2, &[(1, 20)]);
    let before = bal(&s2, 3);
    dist(&mut s2, 3, withdraw_msg(3, 1)).unwrap();
    assert_eq!(bal(&s2, 3), before + 441);
}

#[test]
fn a_removed_validator_pays_its_commission_and_leaves_its_dust_to_the_pool() {
    let mut s = store();
    staking(&mut s, 1, create_msg(1, 10 * M)).unwrap();
    // Rewards straight to the validator: 100.1 commission, 900.9 for its one delegation.
    dist(
        &mut s,
        2,
        pb::MsgDepositValidatorRewardsPool {
            depositor: addr(4).to_bech32(),
            validator_address: val(1),
            amount: vec![coin(1001, "udeai")],
        },
    )
    .unwrap();
    assert_eq!(
        s.accumulated_commission(&addr(1))
            .unwrap()
            .units_of("udeai"),
        units(100, DEC_SCALE / 10)
    );
    let before = bal(&s, 1);
    // All of it undelegated from the unbonded validator: rewards withdrawn (900, 0.9 to the
    // dust), then the validator is removed (commission 100 to the operator, 0.1 to the dust).
    staking(
        &mut s,
        3,
        cosmos_sdk_proto::cosmos::staking::v1beta1::MsgUndelegate {
            delegator_address: addr(1).to_bech32(),
            validator_address: val(1),
            amount: Some(coin(10 * M, "udeai")),
        },
    )
    .unwrap();
    assert!(deai_staking::StakingRead::validator(&s, &addr(1))
        .unwrap()
        .is_none());
    assert_eq!(bal(&s, 1), before + 900 + 100);
    assert!(s.outstanding(&addr(1)).unwrap().is_none());
    assert!(s.current_rewards(&addr(1)).unwrap().is_none());
    assert!(s.historical(&addr(1), 0).unwrap().is_none());
    assert_eq!(module_bal(&s, MODULE_ACCOUNT), 0);
    assert_eq!(module_bal(&s, deai_bank::COMMUNITY_POOL), 1);
    assert!(s.pool_dust().unwrap().is_zero());
    // Depositing to a validator that is gone: the SDK's code 12.
    let gone = dist(
        &mut s,
        4,
        pb::MsgDepositValidatorRewardsPool {
            depositor: addr(4).to_bech32(),
            validator_address: val(1),
            amount: vec![coin(5, "udeai")],
        },
    );
    assert_eq!(code(gone), (CODESPACE, ERR_NO_VALIDATOR_EXISTS));
}

#[test]
fn validator_slashes_page_by_key_within_the_heights() {
    let mut s = store();
    staking(&mut s, 1, create_msg(1, 100 * M)).unwrap();
    end_block(&mut s, 1);
    let h = hooks();
    let f = Dec::parse("0.01").unwrap();
    for height in 2..7u64 {
        in_block(&mut s, &blk(height), |ctx| {
            let power = (deai_staking::keeper::tokens(&ctx.must_validator(&addr(1))?)? / M) as i64;
            deai_staking::slash(ctx, h.as_ref(), &cons(1), height as i64, power, f)
        })
        .unwrap();
    }
    let page = |start: u64, end: u64, key: Vec<u8>, total: bool| {
        query::<_, pb::QueryValidatorSlashesResponse>(
            &s,
            7,
            &q("ValidatorSlashes"),
            pb::QueryValidatorSlashesRequest {
                validator_address: val(1),
                starting_height: start,
                ending_height: end,
                pagination: Some(
                    cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                        key,
                        limit: 2,
                        count_total: total,
                        ..Default::default()
                    },
                ),
            },
        )
        .unwrap()
    };
    let p1 = page(3, 6, vec![], true);
    let periods: Vec<u64> = p1.slashes.iter().map(|e| e.validator_period).collect();
    let p1p = p1.pagination.unwrap();
    assert_eq!(p1p.total, 4);
    let p2 = page(3, 6, p1p.next_key, false);
    let more: Vec<u64> = p2.slashes.iter().map(|e| e.validator_period).collect();
    assert_eq!(periods.len() + more.len(), 4);
    assert!(p2.pagination.unwrap().next_key.is_empty());
    assert!(periods.iter().chain(&more).all(|p| *p > 0));
    assert!(periods[0] < periods[1] && periods[1] < more[0]);
}
