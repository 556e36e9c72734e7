//! Queries at the SDK's paths and genesis round trips.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;

use deai_framework::Address;

use crate::keeper::{StakingRead, StakingWrite};
use crate::*;

use crate::tests::*;

#[test]
fn queries_answer_at_the_sdk_paths() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    exec(&mut s, create_msg(2, 12, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    exec(&mut s, create_msg(3, 13, 1)).unwrap();
    exec(&mut s, delegate_msg(4, 1, 77)).unwrap();
    exec_in(&mut s, &blk(11, T0 + 1), undelegate_msg(4, 1, 7)).unwrap();
    let r: pb::QueryValidatorsResponse = q(
        &s,
        "Validators",
        pb::QueryValidatorsRequest {
            status: "BOND_STATUS_BONDED".into(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.validators.len(), 2);
    let r: pb::QueryValidatorsResponse = q(
        &s,
        "Validators",
        pb::QueryValidatorsRequest {
            status: String::new(),
            pagination: Some(
                cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                    limit: 2,
                    count_total: true,
                    ..Default::default()
                },
            ),
        },
    )
    .unwrap();
    assert_eq!((r.validators.len(), r.pagination.unwrap().total), (2, 3));
    assert!(q::<_, pb::QueryValidatorsResponse>(
        &s,
        "Validators",
        pb::QueryValidatorsRequest {
            status: "nope".into(),
            pagination: None
        }
    )
    .is_err());
    let r: pb::QueryValidatorResponse = q(
        &s,
        "Validator",
        pb::QueryValidatorRequest {
            validator_addr: val(3),
        },
    )
    .unwrap();
    let v3 = r.validator.unwrap();
    assert_eq!(v3.tokens, "1");
    // LegacyDec fields in the SDK's wire form: 10^-18 units.
    assert_eq!(v3.delegator_shares, "1000000000000000000");
    assert_eq!(
        v3.commission.unwrap().commission_rates.unwrap().rate,
        "100000000000000000"
    );
    assert_eq!(
        code(q::<_, pb::QueryValidatorResponse>(
            &s,
            "Validator",
            pb::QueryValidatorRequest {
                validator_addr: val(6)
            }
        )),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    let r: pb::QueryValidatorDelegationsResponse = q(
        &s,
        "ValidatorDelegations",
        pb::QueryValidatorDelegationsRequest {
            validator_addr: val(1),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.delegation_responses.len(), 2);
    let r: pb::QueryDelegationResponse = q(
        &s,
        "Delegation",
        pb::QueryDelegationRequest {
            delegator_addr: addr(4).to_bech32(),
            validator_addr: val(1),
        },
    )
    .unwrap();
    let dr = r.delegation_response.unwrap();
    assert_eq!(dr.balance.unwrap(), coin(70, "udeai"));
    assert_eq!(dr.delegation.unwrap().shares, "70000000000000000000");
    let r: pb::QueryDelegatorDelegationsResponse = q(
        &s,
        "DelegatorDelegations",
        pb::QueryDelegatorDelegationsRequest {
            delegator_addr: addr(4).to_bech32(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.delegation_responses.len(), 1);
    let r: pb::QueryUnbondingDelegationResponse = q(
        &s,
        "UnbondingDelegation",
        pb::QueryUnbondingDelegationRequest {
            delegator_addr: addr(4).to_bech32(),
            validator_addr: val(1),
        },
    )
    .unwrap();
    assert_eq!(r.unbond.unwrap().entries[0].balance, "7");
    let r: pb::QueryDelegatorUnbondingDelegationsResponse = q(
        &s,
        "DelegatorUnbondingDelegations",
        pb::QueryDelegatorUnbondingDelegationsRequest {
            delegator_addr: addr(4).to_bech32(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.unbonding_responses.len(), 1);
    let r: pb::QueryDelegatorValidatorsResponse = q(
        &s,
        "DelegatorValidators",
        pb::QueryDelegatorValidatorsRequest {
            delegator_addr: addr(4).to_bech32(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.validators[0].operator_address, val(1));
    assert_eq!(
        code(q::<_, pb::QueryDelegatorValidatorResponse>(
            &s,
            "DelegatorValidator",
            pb::QueryDelegatorValidatorRequest {
                delegator_addr: addr(4).to_bech32(),
                validator_addr: val(2)
            }
        )),
        st(ERR_NO_DELEGATION)
    );
    assert_eq!(
        code(q::<_, pb::QueryRedelegationsResponse>(
            &s,
            "Redelegations",
            pb::QueryRedelegationsRequest {
                delegator_addr: addr(4).to_bech32(),
                src_validator_addr: val(1),
                dst_validator_addr: val(2),
                pagination: None
            }
        )),
        st(ERR_NO_REDELEGATION)
    );
    let r: pb::QueryPoolResponse = q(&s, "Pool", pb::QueryPoolRequest {}).unwrap();
    let p = r.pool.unwrap();
    assert_eq!(
        (p.bonded_tokens.as_str(), p.not_bonded_tokens.as_str()),
        ("20000070", "8")
    );
    let r: pb::QueryParamsResponse = q(&s, "Params", pb::QueryParamsRequest {}).unwrap();
    assert_eq!(r.params.unwrap().unbonding_time.unwrap().seconds, 1_814_400);
    let r: pb::QueryHistoricalInfoResponse = q(
        &s,
        "HistoricalInfo",
        pb::QueryHistoricalInfoRequest { height: 10 },
    )
    .unwrap();
    assert_eq!(r.hist.unwrap().valset.len(), 2);
    assert_eq!(
        code(q::<_, pb::QueryHistoricalInfoResponse>(
            &s,
            "HistoricalInfo",
            pb::QueryHistoricalInfoRequest { height: 9 }
        )),
        st(ERR_NO_HISTORICAL_INFO)
    );
}

#[test]
fn genesis_export_import_export_is_exact() {
    let mut s = store();
    for i in 1..=3u8 {
        exec(&mut s, create_msg(i, 10 + i, (10 + i as u128) * M)).unwrap();
    }
    end_block(&mut s, 10, T0);
    exec(&mut s, delegate_msg(5, 1, 1234)).unwrap();
    exec_in(&mut s, &blk(11, T0 + 1), undelegate_msg(5, 1, 34)).unwrap();
    exec_in(&mut s, &blk(11, T0 + 1), redelegate_msg(5, 1, 2, 200)).unwrap();
    s.jail(&addr(3)).unwrap();
    end_block(&mut s, 12, T0 + 2);
    let exported = testing::export_all(&modules(), &s);
    let st_json = &exported[MODULE_NAME];
    assert_eq!(st_json["params"]["unbonding_time"], "1814400s");
    assert_eq!(
        st_json["validators"][0]["consensus_pubkey"]["@type"],
        "/cosmos.crypto.ed25519.PubKey"
    );
    assert_eq!(st_json["validators"][2]["status"], "BOND_STATUS_UNBONDING");
    assert_eq!(st_json["exported"], true);
    let s2 = testing::try_init_all(&modules(), &exported).unwrap();
    assert_eq!(testing::export_all(&modules(), &s2), exported);
    // The set CometBFT starts with is the exported last powers.
    let mut want = s.last_powers(10).unwrap();
    want.sort();
    assert_eq!(
        genesis_validator_updates(&s2).unwrap(),
        want.iter()
            .map(|(op, p)| (
                crate::keeper::consensus_key(&s.validator(op).unwrap().unwrap()).unwrap(),
                *p
            ))
            .collect::<Vec<_>>()
    );
    assert_eq!(genesis_validator_updates(&s2).unwrap().len(), 3);
    // A pool that does not match is refused.
    let mut bad = exported.clone();
    bad[MODULE_NAME]["validators"][0]["tokens"] = serde_json::json!("1");
    assert!(testing::try_init_all(&modules(), &bad).is_err());
    let mut bad = exported.clone();
    bad[MODULE_NAME]["last_total_power"] = serde_json::json!("1");
    assert_eq!(
        code(testing::try_init_all(&modules(), &bad)),
        st(ERR_INVALID_GENESIS)
    );
}

#[test]
fn an_empty_genesis_exports_the_defaults() {
    let s = store();
    let e = testing::export_all(&modules(), &s);
    assert_eq!(e[MODULE_NAME]["params"]["max_validators"], 100);
    assert_eq!(e[MODULE_NAME]["params"]["bond_denom"], "udeai");
    assert_eq!(
        e[MODULE_NAME]["params"]["min_commission_rate"],
        "0.000000000000000000"
    );
    let _: Address = addr(1);
}
