//! The inference market's optimistic and redundant modes on a real chain, every server
//! driven from the CLI: an optimistic answer with a wrong output is challenged and settled
//! once because the server cannot prove it within the response window, once by the chain
//! re-executing the model from its canonical quantized weights (a wrong weights file is
//! refused first); a redundant(3) request with one liar pays the majority and slashes the
//! liar. Stakes, bonds, refunds and slash shares are checked to the unit.

use std::time::Duration;

use deai_e2e::compute::{fees_paid, typed_events};
use deai_e2e::inference::*;
use deai_e2e::*;
use deai_proto::inference::v1 as pb;

/// Big enough that a server slashed twice still has the minimum stake to be drawn.
const STAKE: u128 = 40_000_000;
const FEE: u128 = 100_000;

fn submit_output(net: &Localnet, server: &str, request: u64, output: &[i64]) -> serde_json::Value {
    let values: Vec<String> = output.iter().map(i64::to_string).collect();
    net.cli_tx(
        "inference",
        server,
        &[
            "submit",
            &request.to_string(),
            "--output-values",
            &values.join(","),
        ],
    )
}

fn ask(
    net: &Localnet,
    model: u64,
    digit: &std::path::Path,
    mode: &str,
    k: u32,
) -> pb::EventInferenceRequested {
    let mut args = vec![
        "request".to_string(),
        "--model".into(),
        model.to_string(),
        "--input".into(),
        digit.to_str().unwrap().into(),
        "--fee".into(),
        format!("{FEE}udeai"),
        "--mode".into(),
        mode.into(),
        "--deadline-blocks".into(),
        "200".into(),
    ];
    if k > 1 {
        args.extend(["--k".into(), k.to_string()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = net.cli_tx("inference", "demo1", &refs);
    typed_events::<pb::EventInferenceRequested>(&r["events"]).remove(0)
}

/// The demo key (in the test keyring) whose address is `addr`.
fn key_of(net: &Localnet, addr: &str) -> String {
    (0..7)
        .find(|i| net.demo_key(*i).address().to_bech32() == addr)
        .map(|i| format!("demo{}", i + 1))
        .expect("a demo key")
}

#[test]
fn inference_market_optimistic_and_redundant_liars_are_caught() {
    let net = Localnet::start(1, 29100);
    let dir = net.dir.path().to_path_buf();
    let model = DigitsModel::register(&net, &dir, "demo6", &format!("{FEE}udeai"));
    for s in ["demo3", "demo4", "demo5"] {
        net.cli_tx(
            "inference",
            s,
            &[
                "register-server",
                &model.id.to_string(),
                "--stake",
                &format!("{STAKE}udeai"),
            ],
        );
    }
    let digit = repo_root().join("worker/cli/examples/digit-0.json");
    // The true output, as the prover computes it.
    let truth: Vec<i64> = model.prove(&digit, "truth", &dir.join("truth.json"))["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let mut lie = truth.clone();
    lie[0] -= 1;
    let p = params(&net);
    let bond = amount_of(&p.optimistic_server_bond);
    let challenge_bond = amount_of(&p.challenge_bond);
    let requester = net.demo_key(0).address();
    let challenger = net.demo_key(1).address();

    for (round, by_reexecution) in [(0, false), (1, true)] {
        let asked = ask(&net, model.id, &digit, "optimistic", 1);
        let liar = asked.servers[0].clone();
        let liar_key = key_of(&net, &liar);
        let (r0, rf0) = (balance(&net, 0, &requester), fees_paid(&net, &requester));
        let (c0, cf0) = (balance(&net, 0, &challenger), fees_paid(&net, &challenger));
        let stake0 = server_stake(&net, model.id, &liar);
        let slash = mul_dec(stake0, &p.fault_slash_fraction);
        submit_output(&net, &liar_key, asked.request_id, &lie);
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
        let disputed = request(&net, asked.request_id);
        assert_eq!(
            disputed.state,
            pb::RequestState::Disputed as i32,
            "round {round}"
        );
        if by_reexecution {
            // A weights file that is not the registered one is refused, and nothing changes.
            let wrong = dir.join("wrong.qweights");
            let mut bytes = std::fs::read(&model.quantized).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            std::fs::write(&wrong, bytes).unwrap();
            let (out, _) = net.cli_tx_raw(
                "inference",
                "demo2",
                &[
                    "adjudicate",
                    &asked.request_id.to_string(),
                    "--quantized-weights",
                    wrong.to_str().unwrap(),
                ],
            );
            assert!(!out.status.success());
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("codespace inference, code 38"),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                request(&net, asked.request_id).state,
                pb::RequestState::Disputed as i32
            );
            net.cli_tx(
                "inference",
                "demo2",
                &[
                    "adjudicate",
                    &asked.request_id.to_string(),
                    "--quantized-weights",
                    model.quantized.to_str().unwrap(),
                ],
            );
        } else {
            // The liar cannot prove its output; the dispute ends against it at the deadline.
            net.wait_height(0, disputed.dispute_deadline + 2, Duration::from_secs(180));
        }
        let settled = request(&net, asked.request_id);
        assert_eq!(
            settled.state,
            pb::RequestState::Refuted as i32,
            "round {round}"
        );
        // The liar lost its bond and the fault slash; the requester got its fee back and the
        // victim's share (up to the fee); the challenger its bond, the liar's bond and the
        // reporter's share (up to its bond).
        assert_eq!(
            server_stake(&net, model.id, &liar),
            stake0 - slash,
            "round {round}"
        );
        let to_victim = slash.min(FEE);
        let to_reporter = (slash - to_victim).min(challenge_bond);
        let rf = fees_paid(&net, &requester) - rf0;
        let cf = fees_paid(&net, &challenger) - cf0;
        assert_eq!(
            balance(&net, 0, &requester),
            r0 + FEE + to_victim - rf,
            "round {round}"
        );
        assert_eq!(
            balance(&net, 0, &challenger),
            c0 + bond + to_reporter - cf,
            "round {round}"
        );
    }

    // Redundant(3): the two honest servers agree, the liar is the minority.
    let asked = ask(&net, model.id, &digit, "redundant", 3);
    assert_eq!(asked.servers.len(), 3);
    let liar = asked.servers[2].clone();
    let stakes: Vec<u128> = asked
        .servers
        .iter()
        .map(|s| server_stake(&net, model.id, s))
        .collect();
    for s in &asked.servers {
        let out = if *s == liar { &lie } else { &truth };
        submit_output(&net, &key_of(&net, s), asked.request_id, out);
    }
    let done = request(&net, asked.request_id);
    assert_eq!(done.state, pb::RequestState::Completed as i32);
    assert_eq!(done.output, truth);
    let minority = mul_dec(stakes[2], &p.fault_slash_fraction);
    assert_eq!(server_stake(&net, model.id, &liar), stakes[2] - minority);
    for (i, s) in asked.servers.iter().enumerate().take(2) {
        assert_eq!(
            server_stake(&net, model.id, s),
            stakes[i],
            "honest {s} keeps its stake"
        );
    }
}

fn amount_of(c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>) -> u128 {
    c.as_ref().unwrap().amount.parse().unwrap()
}
