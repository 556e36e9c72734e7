//! Proof-of-stake on a real 4-validator localnet (plus one full node), driven by the CLI:
//! - a full node becomes a validator by `tx staking create-validator` and signs blocks, its
//!   power reaching CometBFT in steps that never move a third of the total at once;
//! - a delegation raises a validator's power in CometBFT's `/validators`;
//! - an unbonding pays out exactly when its period ends, not before;
//! - a stopped validator is jailed for downtime and slashed by the downtime fraction, the
//!   burn leaves the supply (supply = before + minted − burned, to the unit), and `tx slashing unjail` brings it back once restarted.

use std::time::Duration;

use deai_e2e::staking::{assert_power_changes_clamped, fast_pos_patch, wait_for};
use deai_e2e::*;

const UNBONDING_SECS: u64 = 12;
const WINDOW: u64 = 10;
const JAIL_SECS: u64 = 4;

#[test]
fn proof_of_stake_validators_join_unbond_and_get_jailed_for_downtime() {
    let patch = fast_pos_patch(UNBONDING_SECS, WINDOW, JAIL_SECS);
    let mut net = Localnet::start_with(
        4,
        31100,
        &["--full-nodes", "1", "--app-state-patch", &patch],
    );
    let start = net.height(0);
    let genesis_set = net.comet_powers(0, None);
    assert_eq!(genesis_set.len(), 4, "{genesis_set:?}");
    assert!(genesis_set.values().all(|p| *p == 10));

    // 1. node4 joins: demo1 operates it with a 20-power self-delegation.
    let file = net.dir().join("validator.json");
    let pubkey = net.show_validator(4);
    std::fs::write(
        &file,
        serde_json::json!({
            "pubkey": pubkey, "amount": "20000000udeai", "moniker": "joiner",
            "commission-rate": "0.05", "commission-max-rate": "0.2",
            "commission-max-change-rate": "0.01", "min-self-delegation": "1"
        })
        .to_string(),
    )
    .unwrap();
    let r = net.cli_tx(
        "staking",
        "demo1",
        &["create-validator", file.to_str().unwrap()],
    );
    assert_eq!(r["code"], 0, "{r}");
    let joiner = net.cons_address(4);
    let joined_at = wait_for(
        "node4 at power 20 in CometBFT",
        Duration::from_secs(60),
        || (net.comet_powers(0, None).get(&joiner) == Some(&20)).then(|| net.height(0)),
    );
    let op1 = net.valoper_of("demo1");
    let v = net.validator(&op1);
    assert_eq!(v["status"], "BOND_STATUS_BONDED", "{v}");
    assert_eq!(v["tokens"], "20000000");
    // It signs: its signature is in a later commit.
    wait_for(
        "node4's signature in a commit",
        Duration::from_secs(30),
        || {
            let h = net.height(0);
            let sigs = rt().block_on(async {
                use tendermint_rpc::Client;
                let c = deai_rpc::HttpClient::new(net.rpc(0).as_str()).unwrap();
                c.commit(tendermint::block::Height::try_from(h).unwrap())
                    .await
                    .unwrap()
            });
            sigs.signed_header
                .commit
                .signatures
                .iter()
                .any(|s| s.validator_address().map(|a| a.to_string()) == Some(joiner.clone()))
                .then_some(())
        },
    );
    // 40 → 60 cannot happen in one block (20 ≥ 40/3): the clamp spreads it.
    assert_power_changes_clamped(&net, start, joined_at);
    assert!(
        (start..joined_at).any(|h| {
            let p = net
                .comet_powers(0, Some(h))
                .get(&joiner)
                .copied()
                .unwrap_or(0);
            p > 0 && p < 20
        }),
        "the joiner's power was never between 0 and 20"
    );

    // 2. A delegation moves val0's power from 10 to 15.
    let op0 = net.valoper_of("val0");
    let val0 = net.cons_address(0);
    let demo2 = net.address_of("demo2");
    net.cli_tx("staking", "demo2", &["delegate", &op0, "5000000udeai"]);
    wait_for("val0 at power 15", Duration::from_secs(30), || {
        (net.comet_powers(0, None).get(&val0) == Some(&15)).then_some(())
    });
    let d = net.q(&["staking", "delegation", &demo2, &op0]);
    assert_eq!(
        d["delegation_response"]["balance"]["amount"], "5000000",
        "{d}"
    );

    // 3. Undelegating pays out only when the unbonding period ends.
    net.cli_tx("staking", "demo2", &["unbond", &op0, "5000000udeai"]);
    let after_unbond = net.udeai(&demo2);
    let ubd = net.q(&["staking", "unbonding-delegation", &demo2, &op0]);
    let entries = ubd["unbond"]["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "{ubd}");
    assert_eq!(entries[0]["balance"], "5000000");
    wait_for("val0 back at power 10", Duration::from_secs(30), || {
        (net.comet_powers(0, None).get(&val0) == Some(&10)).then_some(())
    });
    assert_eq!(
        net.udeai(&demo2),
        after_unbond,
        "paid before the unbonding time"
    );
    wait_for("the unbonding to complete", Duration::from_secs(60), || {
        (net.udeai(&demo2) == after_unbond + 5_000_000).then_some(())
    });
    let node = net.node_flag(0);
    let args = [
        "query",
        "staking",
        "unbonding-delegation",
        &demo2,
        &op0,
        "--node",
        &node,
    ];
    let out = net.deaid(&args, "", &[]);
    assert!(
        !out.status.success(),
        "the completed unbonding is still there"
    );

    // 4. node3 stops: jailed for downtime, slashed 1%, the burn leaves the supply.
    let op3 = net.valoper_of("val3");
    let val3 = net.cons_address(3);
    let h_before = net.height(0);
    let supply_before = net.udeai_supply_at(h_before);
    let pool_before = net.q(&["staking", "pool"])["pool"].clone();
    net.kill9(3, "cometbft");
    net.kill9(3, "deaid");
    let jailed = wait_for("val3 jailed", Duration::from_secs(90), || {
        let v = net.validator(&op3);
        (v["jailed"] == true).then_some(v)
    });
    assert_eq!(jailed["tokens"], "9900000", "{jailed}");
    assert_ne!(jailed["status"], "BOND_STATUS_BONDED");
    // CometBFT applies a validator update two blocks after the block that made it.
    wait_for(
        "val3 out of CometBFT's set",
        Duration::from_secs(30),
        || (!net.comet_powers(0, None).contains_key(&val3)).then_some(()),
    );
    // Supply: what mint made since, less the burn (the slash event says how much).
    let h_after = net.height(0);
    let slashes: Vec<_> = (h_before + 1..=h_after)
        .flat_map(|h| net.block_events(h, "slash"))
        .collect();
    assert_eq!(slashes.len(), 1, "{slashes:?}");
    assert_eq!(slashes[0]["reason"], "missing_signature");
    assert_eq!(slashes[0]["burned_coins"], "100000");
    assert_eq!(
        net.udeai_supply_at(h_after),
        supply_before + net.minted_between(h_before, h_after) - 100_000
    );
    let pool = net.q(&["staking", "pool"])["pool"].clone();
    let n = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap().parse::<u128>().unwrap();
    assert_eq!(
        n(&pool, "bonded_tokens") + n(&pool, "not_bonded_tokens") + 100_000,
        n(&pool_before, "bonded_tokens") + n(&pool_before, "not_bonded_tokens"),
        "{pool_before} -> {pool}"
    );
    let info = net.q(&["slashing", "signing-infos"]);
    assert!(info["info"].as_array().unwrap().len() >= 4, "{info}");

    // 5. Restarted and past its jail time, val3 unjails and is back with power 9.
    net.restart();
    std::thread::sleep(Duration::from_secs(JAIL_SECS + 1));
    let r = net.cli_tx("slashing", "val3", &["unjail"]);
    assert_eq!(r["code"], 0, "{r}");
    wait_for(
        "val3 back in CometBFT's set",
        Duration::from_secs(60),
        || (net.comet_powers(0, None).get(&val3) == Some(&9)).then_some(()),
    );
    assert_eq!(net.validator(&op3)["jailed"], false);
    let end = net.height(0);
    assert_power_changes_clamped(&net, joined_at, end);
}
