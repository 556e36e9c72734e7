//! Unmodified cosmjs (tests/cosmjs, versions pinned in its package-lock.json) against a
//! localnet: StargateClient queries, DirectSecp256k1HdWallet, simulate, sendTokens, getTx,
//! searchTx, moved balances, and a wrong sequence refused with a clear error.

use std::process::Command;

use deai_e2e::{repo_root, run_ok, Localnet};

#[test]
fn cosmjs_connects_signs_sends_and_finds_a_tx() {
    let dir = repo_root().join("tests/cosmjs");
    if !dir.join("node_modules/@cosmjs/stargate").exists() {
        // scripts/setup.sh runs this; do it here too so the test stands alone.
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
    }
    let net = Localnet::start(1, 28500);
    let out = run_ok(
        Command::new("node")
            .arg("e2e.mjs")
            .arg(net.info_path())
            .current_dir(&dir),
    );
    let seen: serde_json::Value =
        serde_json::from_str(out.trim().lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("cosmjs printed no JSON ({e}): {out}"));
    assert_eq!(seen["chainId"], net.chain_id());
    assert!(seen["gasEstimate"].as_u64().unwrap() > 0);
    assert_eq!(seen["txHash"].as_str().unwrap().len(), 64);
    assert_eq!(seen["wrongSequenceCode"], 32, "{seen}");
    assert!(
        seen["wrongSequenceError"]
            .as_str()
            .unwrap()
            .contains("account sequence mismatch"),
        "{seen}"
    );
    // The tx cosmjs sent is on chain, as the node itself reports it.
    let r = deai_e2e::rt()
        .block_on(net.client(0).tx(seen["txHash"].as_str().unwrap()))
        .unwrap()
        .expect("tx committed");
    assert_eq!(r.code, 0);
}
