//! Unmodified cosmjs with deai.data.v1 registered from deai's .proto files
//! (tests/cosmjs/data.mjs): an open dataset published, two datatokens bought, one sent with a
//! plain MsgSend of `data/{id}` and redeemed by its receiver; the dataset, the grant and the
//! balances read back over ABCI and REST; and a purchase above max_price refused with data
//! code 13. Everything the script saw is checked against the node through the Rust client.

use std::process::Command;

use deai_e2e::{repo_root, run_ok, Localnet};
use serde_json::{json, Value};

fn n(v: &Value) -> u128 {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

#[test]
fn cosmjs_publishes_buys_and_redeems_a_dataset() {
    let dir = repo_root().join("tests/cosmjs");
    if !dir.join("node_modules/protobufjs").exists() {
        // scripts/setup.sh runs this; do it here too so the test stands alone.
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
    }
    let net = Localnet::start(1, 30500);
    let out = run_ok(
        Command::new("node")
            .arg("data.mjs")
            .arg(net.info_path())
            .current_dir(&dir),
    );
    let seen: Value = serde_json::from_str(out.trim().lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("cosmjs printed no JSON ({e}): {out}"));
    let acct = |i: usize| {
        net.info["accounts"][i]["address"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (publisher, buyer, holder, provider) = (acct(0), acct(1), acct(2), acct(3));

    // The first dataset of a fresh chain, with its own bank denom.
    let id: u64 = seen["datasetId"].as_str().unwrap().parse().unwrap();
    let denom = format!("data/{id}");
    assert_eq!(seen["denom"], denom.as_str(), "{seen}");

    // The dataset as published, the same over ABCI and REST.
    let expected = json!({
        "id": id.to_string(),
        "publisher": publisher,
        "contentSha256": seen["contentSha256"],
        "metadata": r#"{"name":"tiny-xy","description":"two rows","schema":"x:int,y:int","license":"CC0-1.0"}"#,
        "price": "12345",
        "provider": provider,
        "access": "ACCESS_OPEN",
        "denom": denom,
    });
    assert_eq!(seen["abci"]["dataset"], expected, "{seen}");
    assert_eq!(seen["rest"]["dataset"], expected, "{seen}");
    assert_eq!(seen["contentSha256"].as_str().unwrap().len(), 64, "{seen}");

    // The purchase: 2 × 12345, split with each 1% share floored and the rest to the
    // publisher, adding up to the price exactly.
    let b = &seen["bought"];
    assert_eq!(b["datasetId"], id.to_string(), "{seen}");
    assert_eq!(b["buyer"], buyer.as_str(), "{seen}");
    assert_eq!(b["count"], "2", "{seen}");
    assert_eq!(b["paid"], "24690", "{seen}");
    assert_eq!(seen["paidResponse"], "24690", "{seen}");
    for share in [
        "toProvider",
        "toPublishMarket",
        "toConsumeMarket",
        "toCommunityPool",
    ] {
        assert_eq!(b[share], "246", "{share}: {seen}");
    }
    assert_eq!(b["toPublisher"], "23706", "{seen}");
    let sum: u128 = [
        "toPublisher",
        "toProvider",
        "toPublishMarket",
        "toConsumeMarket",
        "toCommunityPool",
    ]
    .iter()
    .map(|k| n(&b[*k]))
    .sum();
    assert_eq!(sum, n(&b["paid"]), "{seen}");
    // And the balances moved by exactly those shares; the buyer paid the price and its fee.
    assert_eq!(seen["deltas"]["publisher"], b["toPublisher"], "{seen}");
    assert_eq!(seen["deltas"]["provider"], b["toProvider"], "{seen}");
    assert_eq!(
        seen["deltas"]["consumeMarket"], b["toConsumeMarket"],
        "{seen}"
    );
    assert_eq!(
        n(&seen["buyerSpent"]),
        24690 + n(&seen["buyerFee"]),
        "{seen}"
    );

    // Datatokens: 2 bought → 1 after the send → the receiver's 1 redeemed to 0; one burned.
    assert_eq!(
        seen["datatokens"],
        json!({
            "buyerAfterBuy": "2",
            "buyerAfterSend": "1",
            "holderAfterSend": "1",
            "holderAfterRedeem": "0",
            "supply": "1",
            "buyerAfterRefused": "1",
        }),
        "{seen}"
    );
    assert_eq!(
        seen["rest"]["datatokens"],
        json!({"buyer": "1", "holder": "0"}),
        "{seen}"
    );
    let buyer_balances = seen["rest"]["buyerBalances"].as_array().unwrap();
    assert!(
        buyer_balances.contains(&json!({"denom": denom, "amount": "1"})),
        "{seen}"
    );

    // The grant: the receiver's, for this dataset, by grantee over ABCI and REST alike.
    let grant_id: u64 = seen["grantId"].as_str().unwrap().parse().unwrap();
    let redeem_height = seen["redeemHeight"].as_u64().unwrap();
    let params = deai_e2e::data::params(&net);
    let expected_grants = json!([{
        "id": grant_id.to_string(),
        "datasetId": id.to_string(),
        "grantee": holder,
        "createdAt": redeem_height.to_string(),
        "expiresAtHeight": (redeem_height + params.grant_blocks).to_string(),
    }]);
    assert_eq!(seen["abci"]["grants"], expected_grants, "{seen}");
    assert_eq!(seen["rest"]["grants"], expected_grants, "{seen}");
    assert_eq!(seen["rest"]["grant"], holder.as_str(), "{seen}");
    // The buyer redeemed nothing, so it has no grant.
    assert_eq!(seen["abci"]["buyerGrants"], 0, "{seen}");

    // Above max_price: refused by the data module with its code, seen by CometBFT and REST.
    let r = &seen["refused"];
    assert_eq!(r["code"], 13, "{seen}");
    assert_eq!(r["codespace"], "data", "{seen}");
    assert_eq!(r["restCode"], 13, "{seen}");
    assert_eq!(r["restCodespace"], "data", "{seen}");
    assert!(r["log"].as_str().unwrap().contains("12344"), "{seen}");

    // What cosmjs did is what the node reports through the Rust client too.
    let d = deai_e2e::data::dataset(&net, id);
    assert_eq!(d.publisher, publisher);
    assert_eq!(
        hex::encode(&d.content_sha256),
        seen["contentSha256"].as_str().unwrap()
    );
    let g = deai_e2e::data::grant(&net, grant_id);
    assert_eq!((g.grantee.as_str(), g.dataset_id), (holder.as_str(), id));
    assert_eq!(deai_e2e::data::balance_of(&net, &buyer, &denom), 1);
    assert_eq!(deai_e2e::data::balance_of(&net, &holder, &denom), 0);
}
