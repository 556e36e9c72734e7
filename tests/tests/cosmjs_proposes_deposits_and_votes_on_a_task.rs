//! Unmodified cosmjs with deai.task.v1 registered from deai's .proto files
//! (tests/cosmjs/task.mjs): a task proposed with half its deposit waits in its deposit
//! period; another account's deposit starts the vote and the validators' code check; a
//! validator votes yes; the node reports all of it, to cosmjs and to the CLI and REST.

use std::process::Command;

use deai_e2e::worker::digits_spec;
use deai_e2e::{repo_root, run_ok, Localnet};

#[test]
fn cosmjs_proposes_deposits_and_votes_on_a_task() {
    let dir = repo_root().join("tests/cosmjs");
    if !dir.join("node_modules/protobufjs").exists() {
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
    }
    let net = Localnet::start(1, 32000);
    let out = run_ok(
        Command::new("node")
            .arg("task.mjs")
            .arg(net.info_path())
            .arg(digits_spec())
            .current_dir(&dir),
    );
    let seen: serde_json::Value =
        serde_json::from_str(out.trim().lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("cosmjs printed no JSON ({e}): {out}"));
    assert_eq!(seen["stateAfterPropose"], "TASK_STATE_DEPOSIT", "{seen}");
    assert_eq!(seen["state"], "TASK_STATE_VERIFYING", "{seen}");
    assert_eq!(seen["pool"], "3000000", "{seen}");
    assert_eq!(seen["deposit"], serde_json::json!(["10000000"]), "{seen}");
    assert_ne!(seen["attestJobId"], "0", "{seen}");
    let val0 = net.info["validator_accounts"][0]["address"].clone();
    assert_eq!(
        seen["votes"],
        serde_json::json!([{"voter": val0, "option": "VOTE_OPTION_YES"}]),
        "{seen}"
    );
    // No sidecar on this localnet: the job waits (then expires, and the vote fails).
    assert_eq!(seen["jobState"], "JOB_STATE_PENDING", "{seen}");
    // The task module escrows pool + deposit; the CLI reads the same task.
    let id = seen["taskId"].as_str().unwrap();
    let cli = net.deaid(
        &[
            "query",
            "task",
            "task",
            id,
            "--node",
            &net.node_flag(0),
            "-o",
            "json",
        ],
        "",
        &[],
    );
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let t: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(
        t["task"]["proposer"], net.info["accounts"][0]["address"],
        "{t}"
    );
    // And REST, from the proto's http annotation.
    let (status, v) = deai_e2e::curl_json(
        "GET",
        &format!("{}/deai/task/v1/tasks/{id}/votes", net.rest_url(0)),
        None,
        &[],
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["votes"][0]["voter"], val0, "{v}");
}
