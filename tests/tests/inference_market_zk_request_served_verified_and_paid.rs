//! The inference market's zk path end to end on a real chain with real deai-worker
//! processes: the digits model trained locally is set up for Groth16 (`deai-worker
//! zk-setup`), registered from the CLI with its verifying key, served by an
//! `inference-server` daemon, and a zk request from `deai-worker request` is proved,
//! verified on chain and paid, with every balance reconciled to the unit. Then, with the
//! daemon stopped, a proof made by hand for a second request is submitted from the CLI:
//! with a tampered output it is rejected on chain (and nothing changes), as is a proof
//! bound to another request; the honest one is accepted.

use std::time::Duration;

use deai_e2e::compute::{fees_paid, typed_events};
use deai_e2e::inference::{mul_dec, query, worker_json, DigitsModel};
use deai_e2e::worker::*;
use deai_e2e::*;
use deai_proto::inference::v1 as pb;

#[test]
fn inference_market_zk_request_served_verified_and_paid() {
    let net = Localnet::start(1, 28900);
    let dir = net.dir.path().to_path_buf();
    let node = net.rpc(0);

    // The model: digits trained by deai-worker, set up for Groth16 and registered from the
    // CLI by its owner (demo3) with the hashes model-info gives; demo2 serves it.
    let model = DigitsModel::register(&net, &dir, "demo3", "100000udeai");
    let model_id = model.id;
    let models = model.model_dir(&dir);
    let keyring = net.keys_home();
    let mut server = Daemon::inference_server(&dir, &node, &keyring, "demo2", &models);
    server.wait_log("inference server running", Duration::from_secs(120));

    let (requester, server_addr, owner) = (
        net.demo_key(0).address(),
        net.demo_key(1).address(),
        net.demo_key(2).address(),
    );
    let pool = deai_auth::module_address("community_pool");
    let before = |a: &deai_framework::Address| (balance(&net, 0, a), fees_paid(&net, a));
    let (r0, s0, o0, p0) = (
        before(&requester),
        before(&server_addr),
        before(&owner),
        balance(&net, 0, &pool),
    );

    // demo1 asks, the server proves, the chain verifies and pays.
    let digit = repo_root().join("worker/cli/examples/digit-0.json");
    let asked = worker_json(&[
        "request",
        "--node",
        &node,
        "--key",
        "demo1",
        "--keyring-backend",
        "test",
        "--home",
        keyring.to_str().unwrap(),
        "--model",
        &model_id.to_string(),
        "--input",
        digit.to_str().unwrap(),
        "--mode",
        "zk",
    ]);
    let request_id = asked["request_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{asked}\n{}", tail(&server.log_text())));
    let got: pb::QueryRequestResponse =
        query(&net, "Request", &pb::QueryRequestRequest { id: request_id });
    let request = got.request.unwrap();
    assert_eq!(request.state, pb::RequestState::Completed as i32, "{asked}");
    assert_eq!(request.servers, vec![server_addr.to_bech32()]);
    // The verified output is the model's on digit 0: class 0.
    let out = &request.output;
    let best = (0..out.len())
        .max_by_key(|&i| (out[i], std::cmp::Reverse(i)))
        .unwrap();
    assert_eq!(best, 0, "{out:?}");
    assert_eq!(asked["output"], serde_json::json!(out));
    assert_eq!(
        (asked["class"].as_i64(), asked["verified"].as_bool()),
        (Some(0), Some(true))
    );

    // Every unit: fee = server + take + royalty.
    let p: pb::QueryParamsResponse = query(&net, "Params", &pb::QueryParamsRequest {});
    let p = p.params.unwrap();
    let fee = 100_000u128;
    let take = mul_dec(fee, &p.take_rate);
    let royalty = mul_dec(fee, &p.royalty_rate);
    let to_server = fee - take - royalty;
    assert!(take > 0 && royalty > 0);
    let after = |a: &deai_framework::Address, (b0, f0): (u128, u128)| {
        (
            balance(&net, 0, a) as i128 - b0 as i128,
            fees_paid(&net, a) - f0,
        )
    };
    let (dr, fr) = after(&requester, r0);
    let (ds, fs) = after(&server_addr, s0);
    let (dow, fo) = after(&owner, o0);
    assert_eq!(
        dr,
        -(fee as i128) - fr as i128,
        "the requester paid the fee"
    );
    // The daemon registered (and staked) before it logged "running".
    assert_eq!(
        ds,
        to_server as i128 - fs as i128,
        "the server got fee - take - royalty"
    );
    assert_eq!(
        dow,
        royalty as i128 - fo as i128,
        "the owner got the royalty"
    );
    assert_eq!(balance(&net, 0, &pool) - p0, take);

    // With the daemon stopped, a second request is answered by hand from the CLI.
    assert!(server.stop().success(), "{}", tail(&server.log_text()));
    let requested = net.cli_tx(
        "inference",
        "demo1",
        &[
            "request",
            "--model",
            &model_id.to_string(),
            "--input",
            digit.to_str().unwrap(),
            "--fee",
            "100000udeai",
            "--mode",
            "zk",
            "--deadline-blocks",
            "200",
        ],
    );
    let second = typed_events::<pb::EventInferenceRequested>(&requested["events"])[0].request_id;
    let prove = |request: &str, out: &std::path::Path| {
        model.prove(&digit, request, out);
    };
    let context = format!(
        "{}/inference/{second}/{}",
        net.chain_id(),
        server_addr.to_bech32()
    );
    let honest = dir.join("honest.json");
    prove(&context, &honest);
    // A tampered output: the proof no longer verifies; the request stays pending.
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&honest).unwrap()).unwrap();
    let first = file["output"][0].as_i64().unwrap();
    file["output"][0] = (first - 1).into();
    let tampered = dir.join("tampered.json");
    std::fs::write(&tampered, file.to_string()).unwrap();
    let (out, _) = net.cli_tx_raw(
        "inference",
        "demo2",
        &[
            "submit",
            &second.to_string(),
            "--proof",
            tampered.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("codespace inference, code 30"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A proof bound to another request is rejected the same way.
    let other = dir.join("other.json");
    prove(
        &format!(
            "{}/inference/{}/{}",
            net.chain_id(),
            second + 1,
            server_addr.to_bech32()
        ),
        &other,
    );
    let (out, _) = net.cli_tx_raw(
        "inference",
        "demo2",
        &[
            "submit",
            &second.to_string(),
            "--proof",
            other.to_str().unwrap(),
        ],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("code 30"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pending: pb::QueryRequestResponse =
        query(&net, "Request", &pb::QueryRequestRequest { id: second });
    assert_eq!(
        pending.request.unwrap().state,
        pb::RequestState::Pending as i32
    );
    // The honest proof is accepted.
    let done = net.cli_tx(
        "inference",
        "demo2",
        &[
            "submit",
            &second.to_string(),
            "--proof",
            honest.to_str().unwrap(),
        ],
    );
    let completed = typed_events::<pb::EventRequestCompleted>(&done["events"]);
    assert_eq!(completed[0].request_id, second);
    assert_eq!(
        completed[0].to_server.as_ref().unwrap().amount,
        to_server.to_string()
    );
}
