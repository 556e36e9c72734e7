//! grpcurl, with no proto files, through server reflection: lists the Cosmos services,
//! describes the bank Query service and calls Balance.

use std::process::Command;

use deai_e2e::{run_ok, tool, Localnet};

#[test]
fn grpcurl_lists_services_and_calls_balance() {
    let grpcurl = tool("grpcurl");
    let net = Localnet::start(1, 28540);
    let addr = net.grpc_addr(0);
    let list = run_ok(Command::new(&grpcurl).args(["-plaintext", &addr, "list"]));
    for s in [
        "cosmos.auth.v1beta1.Query",
        "cosmos.bank.v1beta1.Query",
        "cosmos.tx.v1beta1.Service",
        "cosmos.base.tendermint.v1beta1.Service",
        "cosmos.base.node.v1beta1.Service",
    ] {
        assert!(
            list.lines().any(|l| l.trim() == s),
            "{s} not listed:\n{list}"
        );
    }
    let describe = run_ok(Command::new(&grpcurl).args([
        "-plaintext",
        &addr,
        "describe",
        "cosmos.bank.v1beta1.Query",
    ]));
    assert!(describe.contains("rpc Balance"), "{describe}");

    let a = net.info["accounts"][0]["address"].as_str().unwrap();
    let out = run_ok(Command::new(&grpcurl).args([
        "-plaintext",
        "-d",
        &format!(r#"{{"address":"{a}","denom":"udeai"}}"#),
        &addr,
        "cosmos.bank.v1beta1.Query/Balance",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["balance"]["denom"], "udeai");
    assert_eq!(v["balance"]["amount"], "1000000000000");

    // A bad address is InvalidArgument, as grpcurl reports it.
    let bad = Command::new(&grpcurl)
        .args([
            "-plaintext",
            "-d",
            r#"{"address":"nope","denom":"udeai"}"#,
            &addr,
            "cosmos.bank.v1beta1.Query/Balance",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("InvalidArgument"), "{err}");
}
