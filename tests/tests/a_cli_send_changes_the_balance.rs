//! A user imports a demo mnemonic into an encrypted keyring, sends tokens with the CLI,
//! and sees both balances change.

use std::time::Duration;

use deai_e2e::*;

#[test]
fn a_cli_send_changes_the_balance() {
    let net = Localnet::start(1, 28100);
    let home = net.dir.path().join("user");
    let home_s = home.to_str().unwrap();
    let pass = [("DEAI_KEYRING_PASSPHRASE", "a long passphrase")];

    let out = net.deaid(
        &[
            "keys",
            "add",
            "me",
            "--recover",
            "--home",
            home_s,
            "-o",
            "json",
        ],
        &net.demo_mnemonic(0),
        &pass,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let me = net.demo_key(0).address();
    assert_eq!(
        info["address"],
        me.to_bech32(),
        "same address as the mnemonic gives everywhere"
    );
    let key_file = std::fs::read_to_string(home.join("keyring-file/me.json")).unwrap();
    assert!(key_file.contains("ciphertext"), "the file keyring encrypts");

    let to = deai_framework::Address::from_bytes(&[42; 20]).unwrap();
    let before = balance(&net, 0, &me);
    let node = net.node_flag(0);
    let out = net.deaid(
        &[
            "tx",
            "bank",
            "send",
            "me",
            &to.to_bech32(),
            "12345udeai",
            "--home",
            home_s,
            "--node",
            &node,
            "--fees",
            "5000udeai",
            "--yes",
            "-o",
            "json",
        ],
        "",
        &pass,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resp: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(resp["code"], 0);
    let hash = resp["txhash"].as_str().unwrap().to_string();

    let committed = rt()
        .block_on(net.client(0).wait_tx(&hash, Duration::from_secs(30)))
        .unwrap();
    assert_eq!(committed.code, 0, "{}", committed.raw_log);
    let out = net.deaid(
        &["query", "tx", &hash, "--node", &node, "-o", "json"],
        "",
        &[],
    );
    let q: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(q["txhash"], hash);
    assert_ne!(q["height"], "0");

    let out = net.deaid(
        &[
            "query",
            "bank",
            "balances",
            &to.to_bech32(),
            "--node",
            &node,
            "-o",
            "json",
        ],
        "",
        &[],
    );
    let b: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        b["balances"],
        serde_json::json!([{"denom": "udeai", "amount": "12345"}])
    );
    // The same queries over the node's gRPC server give the same answers.
    let grpc = net.grpc_url(0);
    let out = net.deaid(
        &[
            "query",
            "bank",
            "balances",
            &to.to_bech32(),
            "--grpc-addr",
            &grpc,
            "-o",
            "json",
        ],
        "",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let g: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(g["balances"], b["balances"]);
    let out = net.deaid(
        &["query", "tx", &hash, "--grpc-addr", &grpc, "-o", "json"],
        "",
        &[],
    );
    let gt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&gt["txhash"], &gt["height"], &gt["code"]),
        (&q["txhash"], &q["height"], &q["code"])
    );
    let out = net.deaid(
        &[
            "query",
            "auth",
            "account",
            "deai1notanaddress",
            "--grpc-addr",
            &grpc,
        ],
        "",
        &[],
    );
    assert!(!out.status.success());
    assert_eq!(balance(&net, 0, &me), before - 12345 - 5000);

    // A wrong passphrase is one clear line and a non-zero exit.
    let out = net.deaid(
        &[
            "tx",
            "bank",
            "send",
            "me",
            &to.to_bech32(),
            "1udeai",
            "--home",
            home_s,
            "--node",
            &node,
            "--yes",
        ],
        "",
        &[("DEAI_KEYRING_PASSPHRASE", "not the passphrase")],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("incorrect passphrase") && err.trim().lines().count() == 1,
        "{err}"
    );
}
