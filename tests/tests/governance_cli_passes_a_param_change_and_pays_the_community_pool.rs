//! Governance on a real 4-validator localnet with the default economics (inflation and
//! community tax), driven by the `deaid` CLI alone (`tx gov …`, `query gov|staking|
//! distribution|mint …`), with a short voting period:
//! - a proposal with staking's and distribution's MsgUpdateParams (decimals written as
//!   decimals) gets its deposit in two parts (submit, then `tx gov deposit` by another
//!   account), the four validators vote yes (one by `weighted-vote`), it PASSES, the params
//!   change, and both depositors get their deposits back (balances to the unit: only fees
//!   leave);
//! - a MsgCommunityPoolSpend to a demo account passes and the recipient's balance rises by
//!   exactly the amount (the proposer's deposit back);
//! - a proposal vetoed by the validators is REJECTED and its deposit burned: the proposer's
//!   balance does not get it back, and supply = before + minted - the deposit;
//! - `tx distribution withdraw-rewards --commission` pays a validator operator exactly what
//!   the tx's withdraw events say, and `withdraw-all-rewards` after `set-withdraw-addr` pays
//!   the withdraw address instead.
//!
//! Fees are read from each committed tx's own `tx` event.

use std::time::Duration;

use deai_e2e::staking::wait_for;
use deai_e2e::*;
use serde_json::{json, Value};

const VOTING_SECS: u64 = 10;
const MIN_DEPOSIT: u128 = 1_000_000;
const SPEND: u128 = 12_345;

fn gov_patch() -> String {
    // The whole params (the genesis deai init writes may hold none to merge into): the
    // SDK's defaults but for the periods and deposits.
    json!({"gov": {"params": {
        "min_deposit": [{"denom": "udeai", "amount": MIN_DEPOSIT.to_string()}],
        "max_deposit_period": "172800s",
        "voting_period": format!("{VOTING_SECS}s"),
        "quorum": "0.334000000000000000",
        "threshold": "0.500000000000000000",
        "veto_threshold": "0.334000000000000000",
        "min_initial_deposit_ratio": "0.000000000000000000",
        "proposal_cancel_ratio": "0.500000000000000000",
        "proposal_cancel_dest": "",
        "expedited_voting_period": "5s",
        "expedited_threshold": "0.667000000000000000",
        "expedited_min_deposit": [{"denom": "udeai", "amount": (5 * MIN_DEPOSIT).to_string()}],
        "burn_vote_quorum": false,
        "burn_proposal_deposit_prevote": false,
        "burn_vote_veto": true,
        "min_deposit_ratio": "0.010000000000000000"
    }}})
    .to_string()
}

/// The fee (udeai) a committed tx paid, from its `tx` event.
fn fee_of(resp: &Value) -> u128 {
    let fees: Vec<u128> = resp["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "tx")
        .flat_map(|e| e["attributes"].as_array().cloned().unwrap_or_default())
        .filter(|a| a["key"] == "fee")
        .map(|a| {
            let v = a["value"].as_str().expect("a string");
            v.strip_suffix("udeai")
                .unwrap_or_else(|| panic!("fee {v} not in udeai"))
                .parse()
                .expect("an integer fee")
        })
        .collect();
    assert_eq!(fees.len(), 1, "one fee event in {resp}");
    fees[0]
}

/// Writes a proposal file (simd v0.50's shape) and submits it with `key`: (id, fee).
fn submit(net: &Localnet, key: &str, name: &str, messages: Value, deposit: u128) -> (u64, u128) {
    let file = net.dir().join(format!("{name}.json"));
    let p = json!({
        "messages": messages, "metadata": "", "deposit": format!("{deposit}udeai"),
        "title": name, "summary": format!("the {name} proposal"), "expedited": false
    });
    std::fs::write(&file, p.to_string()).unwrap();
    let r = net.cli_tx("gov", key, &["submit-proposal", file.to_str().unwrap()]);
    assert_eq!(r["code"], 0, "{r}");
    let id = r["proposal_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no proposal_id printed: {r}"))
        .parse()
        .unwrap();
    (id, fee_of(&r))
}

fn status(net: &Localnet, id: u64) -> String {
    let p = net.q(&["gov", "proposal", &id.to_string()]);
    p["proposal"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits until proposal `id` leaves its voting period; its final status.
fn wait_final(net: &Localnet, id: u64) -> String {
    wait_for(
        &format!("proposal {id} to be tallied"),
        Duration::from_secs(VOTING_SECS + 40),
        || {
            let s = status(net, id);
            (s != "PROPOSAL_STATUS_VOTING_PERIOD" && s != "PROPOSAL_STATUS_DEPOSIT_PERIOD")
                .then_some(s)
        },
    )
}

/// The whole udeai of the community pool (its DecCoins floored).
fn community_pool(net: &Localnet) -> u128 {
    let v = net.q(&["distribution", "community-pool"]);
    v["pool"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["denom"] == "udeai")
        .map_or(0, |c| {
            let a = c["amount"].as_str().unwrap();
            a.split('.').next().unwrap().parse().unwrap()
        })
}

/// The udeai of the `amount`s of the events of type `kind` in a committed tx.
fn event_udeai(resp: &Value, kind: &str) -> u128 {
    resp["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == kind)
        .flat_map(|e| e["attributes"].as_array().cloned().unwrap_or_default())
        .filter(|a| a["key"] == "amount")
        .map(|a| {
            let v = a["value"].as_str().expect("a string");
            v.strip_suffix("udeai")
                .unwrap_or_else(|| panic!("amount {v} not in udeai"))
                .parse::<u128>()
                .expect("an integer amount")
        })
        .sum()
}

fn vote_all(net: &Localnet, id: u64, option: &str) {
    let id = id.to_string();
    for v in ["val0", "val1", "val2"] {
        let r = net.cli_tx("gov", v, &["vote", &id, option]);
        assert_eq!(r["code"], 0, "{r}");
    }
    let weighted = format!("{option}=1");
    let r = net.cli_tx("gov", "val3", &["weighted-vote", &id, &weighted]);
    assert_eq!(r["code"], 0, "{r}");
}

#[test]
fn governance_cli_passes_a_param_change_and_pays_the_community_pool() {
    let patch = gov_patch();
    let net = Localnet::start_with(4, 31500, &["--app-state-patch", &patch]);
    let gov = deai_framework::authority::default_authority().to_bech32();
    let (demo1, demo2, demo3) = (
        net.address_of("demo1"),
        net.address_of("demo2"),
        net.address_of("demo3"),
    );
    let gp = net.q(&["gov", "params"]);
    assert_eq!(
        gp["params"]["voting_period"],
        format!("{VOTING_SECS}s"),
        "{gp}"
    );
    // deai's mint queries answer (the pool below fills from the emission split).
    let split = net.q(&["mint", "emission-split"]);
    assert_eq!(split["split"]["community_pool_bps"], 500, "{split}");
    net.q(&["mint", "inflation"]);
    net.q(&["mint", "params"]);

    // 1. Param changes in one proposal: staking's max_entries 7 → 9 and distribution's
    // community tax 0.02 → 0.03 (a decimal, written as a decimal).
    let mut params = net.q(&["staking", "params"])["params"].clone();
    assert_eq!(params["max_entries"], 7, "{params}");
    params["max_entries"] = json!(9);
    let mut dparams = net.q(&["distribution", "params"])["params"].clone();
    assert_eq!(
        dparams["community_tax"], "0.020000000000000000",
        "{dparams}"
    );
    dparams["community_tax"] = json!("0.03");
    let msg = json!([{"@type": "/cosmos.staking.v1beta1.MsgUpdateParams",
                      "authority": gov, "params": params},
                     {"@type": "/cosmos.distribution.v1beta1.MsgUpdateParams",
                      "authority": gov, "params": dparams}]);
    let (b1, b2) = (net.udeai(&demo1), net.udeai(&demo2));
    let first = MIN_DEPOSIT / 4;
    let (id, fee1) = submit(&net, "demo1", "params", msg, first);
    assert_eq!(status(&net, id), "PROPOSAL_STATUS_DEPOSIT_PERIOD");
    assert_eq!(net.udeai(&demo1), b1 - first - fee1);
    let r = net.cli_tx(
        "gov",
        "demo2",
        &[
            "deposit",
            &id.to_string(),
            &format!("{}udeai", MIN_DEPOSIT - first),
        ],
    );
    let fee2 = fee_of(&r);
    assert_eq!(status(&net, id), "PROPOSAL_STATUS_VOTING_PERIOD");
    let deps = net.q(&["gov", "deposits", &id.to_string()]);
    assert_eq!(deps["deposits"].as_array().unwrap().len(), 2, "{deps}");
    vote_all(&net, id, "yes");
    let votes = net.q(&["gov", "votes", &id.to_string()]);
    assert_eq!(votes["votes"].as_array().unwrap().len(), 4, "{votes}");
    let val3 = net.address_of("val3");
    let v3 = net.q(&["gov", "vote", &id.to_string(), &val3]);
    assert_eq!(
        v3["vote"]["options"][0]["option"], "VOTE_OPTION_YES",
        "{v3}"
    );
    assert_eq!(wait_final(&net, id), "PROPOSAL_STATUS_PASSED");
    let after = net.q(&["staking", "params"])["params"].clone();
    assert_eq!(after["max_entries"], 9, "{after}");
    let dafter = net.q(&["distribution", "params"])["params"].clone();
    assert_eq!(dafter["community_tax"], "0.030000000000000000", "{dafter}");
    // Both deposits came back: only the fees left.
    assert_eq!(net.udeai(&demo1), b1 - fee1);
    assert_eq!(net.udeai(&demo2), b2 - fee2);
    let tally = net.q(&["gov", "tally", &id.to_string()]);
    assert_eq!(tally["tally"]["no_count"], "0", "{tally}");
    let passed = net.q(&["gov", "proposals", "--status", "passed"]);
    assert_eq!(passed["proposals"].as_array().unwrap().len(), 1, "{passed}");

    // 2. The community pool pays SPEND to demo3.
    wait_for(
        "the community pool to fill",
        Duration::from_secs(30),
        || (community_pool(&net) >= 10 * SPEND).then_some(()),
    );
    let b3 = net.udeai(&demo3);
    let msg = json!([{"@type": "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend",
                      "authority": gov, "recipient": demo3,
                      "amount": [{"denom": "udeai", "amount": SPEND.to_string()}]}]);
    let b1 = net.udeai(&demo1);
    let (id, fee1) = submit(&net, "demo1", "spend", msg, MIN_DEPOSIT);
    assert_eq!(status(&net, id), "PROPOSAL_STATUS_VOTING_PERIOD");
    vote_all(&net, id, "yes");
    assert_eq!(wait_final(&net, id), "PROPOSAL_STATUS_PASSED");
    assert_eq!(net.udeai(&demo3), b3 + SPEND, "exactly the amount");
    assert_eq!(net.udeai(&demo1), b1 - fee1, "the deposit came back");

    // 3. A vetoed proposal burns its deposit.
    let b2 = net.udeai(&demo2);
    let h0 = net.height(0);
    let supply_before = net.udeai_supply_at(h0);
    let msg = json!([{"@type": "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend",
                      "authority": gov, "recipient": demo2,
                      "amount": [{"denom": "udeai", "amount": "1000000000"}]}]);
    let (id, fee2) = submit(&net, "demo2", "greedy", msg, MIN_DEPOSIT);
    vote_all(&net, id, "no_with_veto");
    assert_eq!(wait_final(&net, id), "PROPOSAL_STATUS_REJECTED");
    assert_eq!(
        net.udeai(&demo2),
        b2 - MIN_DEPOSIT - fee2,
        "the vetoed deposit is not refunded"
    );
    let gov_balance = net.udeai(&gov);
    assert_eq!(gov_balance, 0, "nothing left in escrow");
    let tally = net.q(&["gov", "tally", &id.to_string()]);
    assert_ne!(tally["tally"]["no_with_veto_count"], "0", "{tally}");
    // The burn: the supply grew only by what mint minted meanwhile, less the deposit.
    let h1 = net.height(0);
    let minted = net.minted_between(h0, h1);
    assert_eq!(
        net.udeai_supply_at(h1) + MIN_DEPOSIT,
        supply_before + minted,
        "supply = before + minted - the burned deposit"
    );

    // 4. A validator operator withdraws its rewards and commission in one tx.
    let (val0, op0) = (net.address_of("val0"), net.valoper_of("val0"));
    let c = net.q(&["distribution", "commission", &op0]);
    assert!(
        !c["commission"]["commission"].as_array().unwrap().is_empty(),
        "{c}"
    );
    net.q(&["distribution", "validator-outstanding-rewards", &op0]);
    net.q(&["distribution", "validator-distribution-info", &op0]);
    net.q(&["distribution", "slashes", &op0, "--start-height", "1"]);
    net.q(&["distribution", "rewards", &val0, &op0]);
    let before = net.udeai(&val0);
    let r = net.cli_tx(
        "distribution",
        "val0",
        &["withdraw-rewards", &op0, "--commission"],
    );
    let (rewards, commission) = (
        event_udeai(&r, "withdraw_rewards"),
        event_udeai(&r, "withdraw_commission"),
    );
    assert!(rewards > 0 && commission > 0, "{r}");
    assert_eq!(net.udeai(&val0), before - fee_of(&r) + rewards + commission);

    // 5. Rewards go to the withdraw address once set.
    let (val1, demo4) = (net.address_of("val1"), net.address_of("demo4"));
    let r = net.cli_tx("distribution", "val1", &["set-withdraw-addr", &demo4]);
    assert_eq!(r["code"], 0, "{r}");
    let w = net.q(&["distribution", "withdraw-addr", &val1]);
    assert_eq!(w["withdraw_address"], demo4, "{w}");
    let v = net.q(&["distribution", "delegator-validators", &val1]);
    assert_eq!(v["validators"], json!([net.valoper_of("val1")]), "{v}");
    let total = net.q(&["distribution", "rewards", &val1]);
    assert_eq!(total["rewards"].as_array().unwrap().len(), 1, "{total}");
    let (b1, b4) = (net.udeai(&val1), net.udeai(&demo4));
    let r = net.cli_tx("distribution", "val1", &["withdraw-all-rewards"]);
    let paid = event_udeai(&r, "withdraw_rewards");
    assert!(paid > 0, "{r}");
    assert_eq!(net.udeai(&demo4), b4 + paid, "paid to the withdraw address");
    assert_eq!(
        net.udeai(&val1),
        b1 - fee_of(&r),
        "the operator paid only the fee"
    );
}
