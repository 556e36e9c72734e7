//! Zk-mode serving: registration, proved answers, restarts that resume without submitting
//! twice, refused input, and the requester checking the proof.

use std::time::Duration;

use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode};
use deai_zk::circuit::CircuitSpec;
use deai_zk::verifier::PreparedVerifier;
use deai_zk::{IoEncoding, Mode, OutputKind, Statement};
use prost::Name;
use tokio_util::sync::CancellationToken;

use super::fake_chain::*;
use super::fixtures::*;
use crate::models::{layout_of, quantized_encoding, quantized_sha256};
use crate::notices::Notice;
use crate::requester::{request, RequestOptions};
use crate::server::{request_context, Config, Server};
use crate::state::{self, Stage};

#[test]
fn the_quantized_encoding_is_fixed() {
    let m = deai_zk::QuantizedModel {
        layers: vec![deai_zk::QuantLayer {
            n_in: 2,
            n_out: 1,
            weight: vec![3, -4],
            bias: vec![5],
            shift: 0,
        }],
        input_min: 0,
        input_max: 16,
        weight_bits: 8,
        input_frac_bits: 4,
        output_frac_bits: 9,
    };
    let e = quantized_encoding(&m);
    assert_eq!(e.len(), 21 + 4 + 8 + 8 + 4 + 4 + 4 + 12 + 3 * 8);
    assert_eq!(&e[..21], b"deai.quantized_mlp.v1");
    assert_eq!(
        hex::encode(quantized_sha256(&m)),
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&e))
    );
    let mut other = m.clone();
    other.layers[0].weight[1] = -3;
    assert_ne!(quantized_sha256(&m), quantized_sha256(&other));
    // The chain decodes the same bytes back (deai-zk's one implementation).
    let back = deai_zk::QuantizedModel::from_canonical_bytes(&e, deai_zk::DecodeLimits::default())
        .unwrap();
    assert_eq!(back, m);
}

#[test]
fn a_model_is_served_only_when_it_matches_its_chain_record() {
    let w = world();
    let good = chain_model(&w.local);
    w.local.check(&good).unwrap();
    // The float weights may be named by their file sha256 too.
    let mut by_file = good.clone();
    by_file.weights_sha256 = w.local.weights_file.to_vec();
    w.local.check(&by_file).unwrap();
    type Edit = Box<dyn Fn(&mut pb::Model)>;
    let bad: Vec<(&str, Edit)> = vec![
        ("verifying_key.bin", Box::new(|m| m.verifying_key[40] ^= 1)),
        (
            "quantized",
            Box::new(|m| m.quantized_weights_sha256[0] ^= 1),
        ),
        ("weights_sha256", Box::new(|m| m.weights_sha256[0] ^= 1)),
        ("circuit.json", Box::new(|m| m.input_max += 1)),
        ("architecture", Box::new(|m| m.architecture = vec![4, 4, 2])),
        (
            "circuit.json",
            Box::new(|m| m.circuit.as_mut().unwrap().logit_bounds[0].hi += 1),
        ),
    ];
    for (what, f) in bad {
        let mut m = good.clone();
        f(&mut m);
        let e = w.local.check(&m).unwrap_err().to_string();
        assert!(e.contains(what), "{what}: {e}");
    }
}

#[tokio::test]
async fn the_server_registers_and_answers_with_a_proof_that_verifies_for_the_request_only() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    assert_eq!(s.served(), vec![1]);
    let reg = w.chain.committed::<pb::MsgRegisterServer>();
    assert_eq!(reg.len(), 1);
    assert_eq!(
        reg[0].stake,
        Some(coin(1000)),
        "the chain's server_min_stake"
    );
    // A second reconcile does not register again.
    s.reconcile().await;
    assert_eq!(w.chain.committed::<pb::MsgRegisterServer>().len(), 1);

    let input = vec![0, 16, 7, 3];
    let r = w.chain.put_request(5, 1, input.clone(), 40);
    s.handle(assigned(&r)).await;
    s.drain().await;
    assert_eq!(w.chain.request_state(5), RequestState::Completed as i32);
    let sub = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(sub.len(), 1);
    assert_eq!(sub[0].output, w.local.model.infer(&input).unwrap());
    assert_eq!(s.state().requests[&5].stage, Stage::Submitted);

    // deai-zk's verifier accepts the proof for exactly the request's statement...
    let model = chain_model(&w.local);
    let layout = layout_of(&model).unwrap();
    let pv = PreparedVerifier::from_bytes(&model.verifying_key).unwrap();
    let st = |id: u64, server: &str, input: &[i64]| Statement {
        commitment: None,
        request: deai_zk::request_binding(request_context(CHAIN_ID, id, server).as_bytes()),
        input: input.to_vec(),
        output: sub[0].output.clone(),
    };
    pv.verify_statement(&layout, &st(5, SERVER, &input), &sub[0].proof)
        .unwrap();
    // ... and not for another request, another server, another input or output.
    assert!(pv
        .verify_statement(&layout, &st(6, SERVER, &input), &sub[0].proof)
        .is_err());
    assert!(pv
        .verify_statement(&layout, &st(5, "deai1other", &input), &sub[0].proof)
        .is_err());
    assert!(pv
        .verify_statement(&layout, &st(5, SERVER, &[1, 16, 7, 3]), &sub[0].proof)
        .is_err());
    let mut wrong = st(5, SERVER, &input);
    wrong.output[0] += 1;
    assert!(pv.verify_statement(&layout, &wrong, &sub[0].proof).is_err());
}

#[tokio::test]
async fn a_restart_after_proving_submits_the_recorded_proof_once() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let r = w.chain.put_request(1, 1, vec![1, 2, 3, 4], 40);
    // The submission never reaches the chain (node down), three times: given up for now...
    w.chain.with(|l| l.fail_sends = 1);
    s.handle(assigned(&r)).await;
    s.drain().await;
    let rec = s.state().requests[&1].clone();
    assert_eq!(rec.stage, Stage::Proved);
    assert!(!rec.proof.is_empty());
    drop(s);
    // ... a restarted server submits the recorded proof (not a new one) at its first reconcile.
    let mut s = w.server();
    assert_eq!(s.state().requests[&1].stage, Stage::Proved);
    s.reconcile().await;
    s.drain().await;
    let sub = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(sub.len(), 1);
    assert_eq!(hex::encode(&sub[0].proof), rec.proof);
    assert_eq!(s.state().requests[&1].stage, Stage::Submitted);
    // Restarted again: nothing more is sent.
    drop(s);
    let mut s = w.server();
    s.reconcile().await;
    s.drain().await;
    let sent = w.chain.with(|l| l.sent.len());
    assert_eq!(w.chain.committed::<pb::MsgSubmitInference>().len(), 1);
    s.reconcile().await;
    s.drain().await;
    assert_eq!(w.chain.with(|l| l.sent.len()), sent);
}

#[tokio::test]
async fn a_commit_whose_answer_was_lost_is_found_on_chain_and_not_sent_again() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let r = w.chain.put_request(2, 1, vec![16, 16, 0, 0], 40);
    w.chain.with(|l| l.lose_commits = 1);
    s.handle(assigned(&r)).await;
    s.drain().await;
    // The tx was committed; the server learned it from the chain, not from the answer.
    assert_eq!(w.chain.request_state(2), RequestState::Completed as i32);
    assert_eq!(s.state().requests[&2].stage, Stage::Completed);
    s.reconcile().await;
    s.drain().await;
    assert_eq!(
        w.chain.with(|l| l
            .sent
            .iter()
            .filter(|(a, _)| a.type_url == pb::MsgSubmitInference::type_url())
            .count()),
        1
    );
}

#[tokio::test]
async fn bad_or_late_requests_are_logged_and_the_server_goes_on() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    // An input of the wrong size, an input out of range, a model not served, a request whose
    // deadline has come, one that expired, and a good one: all in one reconcile.
    w.chain.put_request(1, 1, vec![1, 2, 3], 40);
    w.chain.put_request(2, 1, vec![1, 2, 3, 99], 40);
    w.chain.put_request(3, 7, vec![1, 2, 3, 4], 40);
    w.chain.put_request(4, 1, vec![1, 2, 3, 4], 10);
    let mut expired = w.chain.put_request(5, 1, vec![1, 2, 3, 4], 8);
    expired.state = RequestState::Expired as i32;
    w.chain.with(|l| l.requests.insert(5, expired));
    w.chain.put_request(6, 1, vec![1, 2, 3, 4], 40);
    s.reconcile().await;
    s.drain().await;
    let st = &s.state().requests;
    assert_eq!(st[&1].stage, Stage::Failed);
    assert_eq!(st[&2].stage, Stage::Failed);
    assert_eq!(st[&3].stage, Stage::Failed);
    assert!(st[&3].error.as_deref().unwrap().contains("not served"));
    assert_eq!(st[&4].stage, Stage::Assigned, "too late: left to expire");
    assert!(
        !st.contains_key(&5),
        "expired before it was seen: nothing to do"
    );
    assert_eq!(st[&6].stage, Stage::Submitted);
    let sub = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(
        sub.iter().map(|m| m.request_id).collect::<Vec<_>>(),
        vec![6]
    );
    // A chain event says 4 expired: recorded, and never submitted.
    s.handle(Notice::Expired(pb::EventRequestExpired {
        request_id: 4,
        ..Default::default()
    }))
    .await;
    assert_eq!(s.state().requests[&4].stage, Stage::Expired);
}

#[tokio::test]
async fn a_model_that_is_not_the_registered_one_is_refused_and_nothing_else_is() {
    let w = world();
    write_model_dir(&w.models, 2); // other keys: its verifying key is not model 2's
    let mut other = chain_model(&w.local);
    other.id = 2;
    w.chain.with(|l| l.models.insert(2, other));
    std::fs::create_dir_all(w.models.join("notes")).unwrap();
    let mut s = w.server();
    s.reconcile().await;
    assert_eq!(s.served(), vec![1]);
    assert!(
        s.refused()[&2].contains("verifying_key.bin"),
        "{:?}",
        s.refused()
    );
    assert_eq!(w.chain.committed::<pb::MsgRegisterServer>().len(), 1);
}

#[tokio::test]
async fn the_requester_gets_the_output_and_checks_its_proof() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let mut requester = w.chain.as_(REQUESTER);
    let opts = RequestOptions {
        model_id: 1,
        input_json: "[0.0, 1.0, 0.5, 0.25]".into(),
        fee: None,
        deadline_blocks: None,
        mode: VerificationMode::Zk,
        k: 1,
        poll: Duration::from_millis(5),
        timeout: Duration::from_secs(60),
    };
    let cancel = CancellationToken::new();
    let serve = async {
        for _ in 0..2000 {
            s.reconcile().await;
            s.drain().await;
            if w.chain.with(|l| !l.submissions.is_empty()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let (answer, ()) = tokio::join!(request(&mut requester, &opts, &cancel), serve);
    let a = answer.unwrap();
    assert_eq!(a.state, "completed");
    assert!(a.verified);
    assert_eq!(a.input, vec![0, 16, 8, 4]);
    assert_eq!(a.output, w.local.model.infer(&[0, 16, 8, 4]).unwrap());
    assert_eq!(a.class, Some(deai_zk::argmax(&a.output) as i64));
    assert_eq!(a.fee, "100udeai");
    assert_eq!(a.server, SERVER);

    // A node that serves a tampered proof is caught by the requester's own check.
    w.chain.with(|l| l.tamper_stored_proof = true);
    let serve = async {
        for _ in 0..2000 {
            s.reconcile().await;
            s.drain().await;
            if w.chain.with(|l| l.submissions.len() > 1) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let (answer, ()) = tokio::join!(request(&mut requester, &opts, &cancel), serve);
    let e = answer.unwrap_err().to_string();
    assert!(e.contains("does not verify"), "{e}");
}

#[tokio::test]
async fn a_private_argmax_packed_model_is_checked_and_served_too() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    let spec = CircuitSpec {
        mode: Mode::Private,
        output: OutputKind::Argmax,
        encoding: IoEncoding::Packed,
    };
    let local = write_model_dir_with(&models, 3, spec);
    let chain = FakeChain::new();
    let record = chain_model(&local);
    assert_eq!(record.weight_commitment.len(), 32);
    local.check(&record).unwrap();
    let mut other = record.clone();
    other.weight_commitment[0] ^= 1;
    assert!(local.check(&other).is_err());
    chain.with(|l| l.models.insert(3, record));
    let (file, st) = state::open(&tmp.path().join("state")).unwrap();
    let mut s = Server::new(
        chain.clone(),
        Config {
            model_dir: models,
            stake: None,
            reconcile_every: Duration::from_secs(1),
            watchdog: false,
        },
        file,
        st,
    );
    s.reconcile().await;
    assert_eq!(s.served(), vec![3]);
    chain.put_request(1, 3, vec![16, 0, 3, 9], 40);
    s.reconcile().await;
    s.drain().await;
    let sub = chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(
        sub.len(),
        1,
        "verified by the fake chain as the module would"
    );
    let logits = local.model.infer(&[16, 0, 3, 9]).unwrap();
    assert_eq!(sub[0].output, vec![deai_zk::argmax(&logits) as i64]);
}
