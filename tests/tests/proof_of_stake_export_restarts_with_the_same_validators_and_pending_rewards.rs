//! A proof-of-stake chain's genesis export: after delegations, an unbonding, a redelegation
//! and rewards on a
//! 2-validator localnet with the default economics, `deaid export` imports into a fresh app
//! (InitChain, as a chain restarted from the export) and exports again byte for byte; the
//! restarted app gives CometBFT the same validator set and owes every delegator the same
//! pending rewards as the original chain at the exported height.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::distribution::v1beta1 as dpb;

use deai_e2e::staking::wait_for;
use deai_e2e::*;

/// The last height CometBFT committed on `node` before it stopped, from its log.
fn last_committed(net: &Localnet, node: usize) -> u64 {
    let log = std::fs::read_to_string(net.home(node).join("cometbft.log")).unwrap();
    log.lines()
        .filter(|l| l.contains("committed state"))
        .filter_map(|l| l.split("height=").nth(1))
        .filter_map(|h| h.split_whitespace().next()?.parse().ok())
        .last()
        .expect("a committed height in the log")
}

fn rewards_query(delegator: &str, validator: &str) -> dpb::QueryDelegationRewardsRequest {
    dpb::QueryDelegationRewardsRequest {
        delegator_address: delegator.into(),
        validator_address: validator.into(),
    }
}

#[test]
fn proof_of_stake_export_restarts_with_the_same_validators_and_pending_rewards() {
    let mut net = Localnet::start_with(2, 31900, &[]);
    let (op0, op1) = (net.valoper_of("val0"), net.valoper_of("val1"));
    net.cli_tx("staking", "demo1", &["delegate", &op0, "3000000udeai"]);
    net.cli_tx("staking", "demo2", &["delegate", &op1, "4000000udeai"]);
    net.cli_tx("staking", "demo2", &["unbond", &op1, "1000000udeai"]);
    net.cli_tx("staking", "demo3", &["delegate", &op0, "2000000udeai"]);
    net.cli_tx(
        "staking",
        "demo3",
        &["redelegate", &op0, &op1, "1000000udeai"],
    );
    let h = net.height(0);
    net.wait_height(0, h + 3, Duration::from_secs(30));
    let comet_set = net.comet_powers(0, None);
    net.stop();
    let exported = net.export(0);
    let height = last_committed(&net, 0);

    // Exact round trip, and the set CometBFT would start with.
    let (app, init) = reimport_app(&exported, &net.chain_id());
    assert_eq!(app.export_app_state().unwrap(), exported);
    assert_eq!(
        exported["staking"]["unbonding_delegations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let restarted: std::collections::BTreeMap<String, i64> = init
        .validators
        .iter()
        .map(|u| {
            let Some(tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(k)) =
                u.pub_key.as_ref().and_then(|k| k.sum.clone())
            else {
                panic!("not an ed25519 key: {u:?}");
            };
            use sha2::Digest;
            (hex::encode_upper(&sha2::Sha256::digest(&k)[..20]), u.power)
        })
        .collect();
    assert_eq!(restarted, comet_set);

    // The same pending rewards as the original chain at the exported height: each
    // delegation's, and each validator's outstanding rewards and commission. (A validator's
    // gentx self-delegation started at height 0, where the restarted app also stands before
    // its first block, so its rewards read empty there, as in the SDK; the F1 records behind
    // them are in the exact round trip above.)
    net.restart();
    for (who, op) in [("demo1", &op0), ("demo2", &op1), ("demo3", &op1)] {
        let r: dpb::QueryDelegationRewardsResponse = same_answer(
            &net,
            &app,
            "DelegationRewards",
            rewards_query(&net.address_of(who), op),
            height,
        );
        assert!(!r.rewards.is_empty(), "{who} has no rewards to compare");
    }
    for op in [&op0, &op1] {
        let validator_address = op.to_string();
        let r: dpb::QueryValidatorOutstandingRewardsResponse = same_answer(
            &net,
            &app,
            "ValidatorOutstandingRewards",
            dpb::QueryValidatorOutstandingRewardsRequest {
                validator_address: validator_address.clone(),
            },
            height,
        );
        assert!(!r.rewards.unwrap_or_default().rewards.is_empty(), "{op}");
        let _: dpb::QueryValidatorCommissionResponse = same_answer(
            &net,
            &app,
            "ValidatorCommission",
            dpb::QueryValidatorCommissionRequest { validator_address },
            height,
        );
    }
}

/// Asks distribution's `method` of the original chain at `height` and of the restarted app,
/// and fails the test unless the answers are equal; returns the answer.
fn same_answer<Req, Res>(
    net: &Localnet,
    app: &deaid::node::App,
    method: &str,
    req: Req,
    height: u64,
) -> Res
where
    Req: prost::Message + Clone + std::fmt::Debug + 'static,
    Res: prost::Message + Default + PartialEq + std::fmt::Debug + 'static,
{
    let path = format!("/cosmos.distribution.v1beta1.Query/{method}");
    let then: Res = wait_for(
        "the exported height's answer",
        Duration::from_secs(30),
        || {
            rt().block_on(net.client(0).query(&path, &req, height))
                .ok()
                .and_then(|r| r.ok())
        },
    );
    let now = Res::decode(
        app.query_grpc(&path, &req.encode_to_vec(), 0)
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    assert_eq!(now, then, "{method} {req:?}");
    now
}
