//! Unmodified cosmjs with deai.training.v1 registered from deai's .proto files
//! (tests/cosmjs/training.mjs): a task created with its pool escrowed, a validator registered
//! with stake, both read back over ABCI queries, and an under-staked trainer refused by the
//! training module.

use std::process::Command;

use deai_e2e::worker::digits_spec;
use deai_e2e::{repo_root, run_ok, Localnet};

#[test]
fn cosmjs_creates_a_training_task_and_registers_a_neuron() {
    let dir = repo_root().join("tests/cosmjs");
    if !dir.join("node_modules/protobufjs").exists() {
        // scripts/setup.sh runs this; do it here too so the test stands alone.
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
    }
    let net = Localnet::start(1, 29700);
    let out = run_ok(
        Command::new("node")
            .arg("training.mjs")
            .arg(net.info_path())
            .arg(digits_spec())
            .current_dir(&dir),
    );
    let seen: serde_json::Value =
        serde_json::from_str(out.trim().lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("cosmjs printed no JSON ({e}): {out}"));
    let accounts = &net.info["accounts"];
    assert_eq!(seen["taskCreator"], accounts[0]["address"], "{seen}");
    assert_eq!(seen["pool"], "1000000", "{seen}");
    assert_eq!(seen["tempo"], "100", "{seen}");
    assert_eq!(
        seen["neurons"],
        serde_json::json!([{"uid": 0, "owner": accounts[1]["address"], "role": "ROLE_VALIDATOR", "stake": "2000000"}]),
        "{seen}"
    );
    assert_ne!(seen["refusedCode"], 0, "{seen}");
    assert!(
        seen["refusedLog"].as_str().unwrap().contains("stake"),
        "{seen}"
    );
    // What cosmjs created is what the node reports through the Rust client too.
    let id: u64 = seen["taskId"].as_str().unwrap().parse().unwrap();
    let task = deai_e2e::training::task(&net, id);
    assert_eq!(task.creator, accounts[0]["address"].as_str().unwrap());
    assert_eq!(deai_e2e::compute::amount(&task.pool), 1_000_000);
    // And the REST route of the same query, from the proto's http annotation.
    let (status, v) = deai_e2e::curl_json(
        "GET",
        &format!("{}/deai/training/v1/tasks/{id}/neurons", net.rest_url(0)),
        None,
        &[],
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["neurons"][0]["owner"], accounts[1]["address"], "{v}");
    assert_eq!(v["neurons"][0]["role"], "ROLE_VALIDATOR", "{v}");
}
