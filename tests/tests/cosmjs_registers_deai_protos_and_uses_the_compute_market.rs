//! Unmodified cosmjs with deai's message types registered from deai's .proto files
//! (protobufjs, tests/cosmjs/compute.mjs): a provider and an order created by signed txs, the
//! order read back with an ABCI query, and a bid above the max price refused with compute
//! code 26.

use std::process::Command;

use deai_e2e::{repo_root, run_ok, Localnet};

#[test]
fn cosmjs_registers_deai_protos_and_uses_the_compute_market() {
    let dir = repo_root().join("tests/cosmjs");
    if !dir.join("node_modules/protobufjs").exists() {
        // scripts/setup.sh runs this; do it here too so the test stands alone.
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
    }
    let net = Localnet::start(1, 28600);
    let out = run_ok(
        Command::new("node")
            .arg("compute.mjs")
            .arg(net.info_path())
            .current_dir(&dir),
    );
    let seen: serde_json::Value =
        serde_json::from_str(out.trim().lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("cosmjs printed no JSON ({e}): {out}"));
    assert_eq!(seen["orderState"], "ORDER_STATE_OPEN", "{seen}");
    assert_eq!(seen["orderOwner"], net.info["accounts"][0]["address"]);
    assert_eq!(seen["redundancy"], 2);
    assert_eq!(seen["badBidCode"], 26, "{seen}");
    assert!(
        seen["badBidLog"].as_str().unwrap().contains("max"),
        "{seen}"
    );
    // deai.inference.v1 messages too: a request for a missing model is refused by the module.
    assert_eq!(seen["inferenceCode"], 3, "{seen}");
    assert!(
        seen["inferenceLog"].as_str().unwrap().contains("999"),
        "{seen}"
    );
    assert_eq!(seen["inferenceTakeRate"], "0.020000000000000000", "{seen}");
    // The order cosmjs created is what the node itself reports.
    let id: u64 = seen["orderId"].as_str().unwrap().parse().unwrap();
    let o = deai_e2e::compute::order(&net, id);
    assert_eq!(
        o.owner,
        net.info["accounts"][0]["address"].as_str().unwrap()
    );
}
