//! An optimistic-inference dispute on a model without a verifying key, settled by the
//! validators' attestation, on a real 4-validator localnet with vote extensions and one
//! `deai-worker attest serve` sidecar per validator (`localnet/up.sh --with-attest`):
//! the digits model is registered with zk mode `none` (no keys: nobody can prove an output),
//! one server answers a request with a wrong output, demo2 challenges it; the chain asks
//! for a JOB_KIND_INFERENCE_REPLAY attestation, every sidecar fetches the quantized model by
//! its sha256 from its artifact store and re-runs it, the job settles on the true output's
//! hash, and the dispute ends against the server with resolution ATTESTATION: the server
//! slashed by the fault fraction, the requester and the challenger paid as the inference
//! market pays them (balances to the unit, fees from each tx's events).

use std::process::Command;
use std::time::Duration;

use deai_e2e::attest::*;
use deai_e2e::compute::{fees_paid, typed_events};
use deai_e2e::inference::*;
use deai_e2e::staking::{wait_for, QUIET_ECONOMICS};
use deai_e2e::worker::worker_bin;
use deai_e2e::*;
use deai_proto::inference::v1 as pb;

const BASE: u16 = 32500;
const STAKE: u128 = 40_000_000;
const FEE: u128 = 100_000;

fn amount_of(c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>) -> u128 {
    c.as_ref().unwrap().amount.parse().unwrap()
}

fn challenge(net: &Localnet, request_id: u64) -> pb::Challenge {
    query_service::<_, pb::QueryChallengeResponse>(
        net,
        "deai.inference.v1.Query",
        "Challenge",
        &pb::QueryChallengeRequest { request_id },
    )
    .challenge
    .expect("a challenge")
}

#[test]
fn attestation_settles_a_keyless_inference_dispute() {
    let net = start_with_attest(4, BASE, &["--app-state-patch", QUIET_ECONOMICS]);
    let dir = net.dir().to_path_buf();

    // The digits model, quantized without keys (zk-setup's defaults), registered with zk mode
    // none by demo6.
    let trained = dir.join("trained");
    run_ok(
        Command::new(worker_bin())
            .args(["--quiet", "train", "--spec"])
            .arg(digits_spec())
            .arg("--out")
            .arg(&trained),
    );
    let quantized = dir.join("digits.quantized");
    let info = worker_json(&[
        "model-info",
        "--model",
        trained.join("weights.safetensors").to_str().unwrap(),
        "--quantized-out",
        quantized.to_str().unwrap(),
    ]);
    let arch: Vec<String> = info["architecture"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    let qsha = info["quantized_weights_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let registered = net.cli_tx(
        "inference",
        "demo6",
        &[
            "register-model",
            "--name",
            "digits-keyless",
            "--architecture",
            &arch.join(","),
            "--weights-sha256",
            info["weights_sha256"].as_str().unwrap(),
            "--quantized-weights-sha256",
            &qsha,
            "--zk-mode",
            "none",
            "--input-min",
            "0",
            "--input-max",
            "1",
            "--input-frac-bits",
            "8",
            "--price",
            &format!("{FEE}udeai"),
        ],
    );
    let model = typed_events::<pb::EventModelRegistered>(&registered["events"])[0].model_id;
    net.cli_tx(
        "inference",
        "demo3",
        &[
            "register-server",
            &model.to_string(),
            "--stake",
            &format!("{STAKE}udeai"),
        ],
    );
    // Every sidecar finds the quantized model by its sha256 in its artifact store
    // (DIR/attest-node<i>/store, blobs/<2 hex>/<hex>), as a downloaded one would be kept.
    for i in 0..4 {
        let store =
            std::path::PathBuf::from(net.info["nodes"][i]["attest"]["dir"].as_str().unwrap())
                .join("store/blobs")
                .join(&qsha[..2]);
        std::fs::create_dir_all(&store).unwrap();
        std::fs::copy(&quantized, store.join(&qsha)).unwrap();
    }

    let p = params(&net);
    let bond = amount_of(&p.optimistic_server_bond);
    let challenge_bond = amount_of(&p.challenge_bond);
    let requester = net.demo_key(0).address();
    let challenger = net.demo_key(1).address();
    let digit = repo_root().join("worker/cli/examples/digit-0.json");
    let r = net.cli_tx(
        "inference",
        "demo1",
        &[
            "request",
            "--model",
            &model.to_string(),
            "--input",
            digit.to_str().unwrap(),
            "--fee",
            &format!("{FEE}udeai"),
            "--mode",
            "optimistic",
            "--deadline-blocks",
            "200",
        ],
    );
    let asked = typed_events::<pb::EventInferenceRequested>(&r["events"]).remove(0);
    let server = asked.servers[0].clone();
    assert_eq!(
        server,
        net.demo_key(2).address().to_bech32(),
        "demo3 serves"
    );
    let (r0, rf0) = (balance(&net, 0, &requester), fees_paid(&net, &requester));
    let (c0, cf0) = (balance(&net, 0, &challenger), fees_paid(&net, &challenger));
    let stake0 = server_stake(&net, model, &server);
    let slash = mul_dec(stake0, &p.fault_slash_fraction);

    // A wrong output (10 logits of 0), challenged by demo2.
    let lie = ["0"; 10].join(",");
    net.cli_tx(
        "inference",
        "demo3",
        &[
            "submit",
            &asked.request_id.to_string(),
            "--output-values",
            &lie,
        ],
    );
    assert_eq!(
        request(&net, asked.request_id).state,
        pb::RequestState::ChallengeWindow as i32
    );
    net.cli_tx(
        "inference",
        "demo2",
        &[
            "challenge",
            &asked.request_id.to_string(),
            "--bond",
            &format!("{challenge_bond}udeai"),
        ],
    );
    let ch = challenge(&net, asked.request_id);
    assert!(
        ch.attest_job_id > 0,
        "the challenge asked for an attestation: {ch:?}"
    );
    let job_id = ch.attest_job_id;

    // The validators re-run the model; the job settles and the dispute with it.
    let url = format!("{}/deai/attest/v1/jobs/{job_id}", net.rest_url(0));
    let job = wait_for(
        &format!("attest job {job_id} to settle"),
        Duration::from_secs(120),
        || {
            let (_, v) = curl_json("GET", &url, None, &[]);
            let state = v["job"]["state"].as_str().unwrap_or_default().to_string();
            assert_ne!(state, "JOB_STATE_EXPIRED", "{v}");
            (state == "JOB_STATE_SETTLED").then_some(v["job"].clone())
        },
    );
    assert_eq!(job["kind"], "JOB_KIND_INFERENCE_REPLAY", "{job}");
    assert_eq!(job["requester"], "inference", "{job}");
    assert!(
        num(&job["settled_power"]) * 3 > num(&job["total_power"]) * 2,
        "{job}"
    );
    let (_, recs) = curl_json("GET", &format!("{url}/attestations"), None, &[]);
    let recs = recs["attestations"].as_array().cloned().unwrap_or_default();
    eprintln!(
        "job {job_id}: requested at {}, settled at {}, {} records",
        job["requested_at"],
        job["settled_at"],
        recs.len()
    );
    assert!(recs.len() >= 3, "{recs:?}");
    assert!(
        recs.iter().all(|a| a["result_hash"] == job["result_hash"]),
        "{recs:?}"
    );

    let settled = request(&net, asked.request_id);
    assert_eq!(
        settled.state,
        pb::RequestState::Refuted as i32,
        "{settled:?}"
    );
    let ch = challenge(&net, asked.request_id);
    assert_eq!(ch.resolution, pb::Resolution::Attestation as i32, "{ch:?}");
    assert_eq!(ch.state, pb::ChallengeState::Upheld as i32, "{ch:?}");
    // The server lost its bond and the fault slash; the requester got its fee back and the
    // victim's share (up to the fee); the challenger its bond, the server's bond and the
    // reporter's share (up to its bond).
    assert_eq!(server_stake(&net, model, &server), stake0 - slash);
    let to_victim = slash.min(FEE);
    let to_reporter = (slash - to_victim).min(challenge_bond);
    let rf = fees_paid(&net, &requester) - rf0;
    let cf = fees_paid(&net, &challenger) - cf0;
    assert_eq!(balance(&net, 0, &requester), r0 + FEE + to_victim - rf);
    assert_eq!(balance(&net, 0, &challenger), c0 + bond + to_reporter - cf);
}
