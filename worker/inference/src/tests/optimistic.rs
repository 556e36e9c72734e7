//! Optimistic and redundant answers: sent once without proof, defended when challenged,
//! redundant ties settled, and the requester waiting for settlement.

use std::time::Duration;

use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode};
use prost::Name;
use tokio_util::sync::CancellationToken;

use super::fake_chain::*;
use super::fixtures::*;
use crate::notices::Notice;
use crate::requester::{request, RequestOptions};
use crate::state::Stage;
use deai_worker_daemon::typed_events_in;

#[tokio::test]
async fn optimistic_and_redundant_requests_are_answered_without_proof_once() {
    let w = world();
    let keyless = w.with_keyless();
    let mut s = w.server();
    s.reconcile().await;
    assert_eq!(s.served(), vec![1, 2]);
    let input = vec![3, 16, 0, 9];
    w.chain
        .put_request_mode(1, 1, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    w.chain
        .put_request_mode(2, 2, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    w.chain.put_request_mode(
        3,
        1,
        input.clone(),
        VerificationMode::Redundant,
        &[OTHER, SERVER, LIAR],
    );
    s.reconcile().await;
    s.drain().await;
    let subs = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(subs.len(), 3);
    let truth = w.local.model.infer(&input).unwrap();
    assert_eq!(keyless.model.infer(&input).unwrap(), truth);
    for m in &subs {
        assert_eq!(m.output, truth);
        assert!(m.proof.is_empty(), "no proof outside zk mode");
    }
    assert_eq!(
        w.chain.request_state(1),
        RequestState::ChallengeWindow as i32
    );
    assert_eq!(
        w.chain.request_state(2),
        RequestState::ChallengeWindow as i32
    );
    assert_eq!(w.chain.request_state(3), RequestState::Pending as i32);
    for id in 1..=3 {
        assert_eq!(s.state().requests[&id].stage, Stage::Submitted);
    }
    assert_eq!(
        s.state().requests[&3].mode,
        crate::state::AnswerMode::Redundant
    );
    // Restarted with its state lost: the chain's record of its answers stops a second one.
    drop(s);
    std::fs::remove_dir_all(&w.state).unwrap();
    let mut s = w.server();
    s.reconcile().await;
    s.drain().await;
    assert_eq!(w.chain.sent_count(&pb::MsgSubmitInference::type_url()), 3);
    // The other servers answer (the liar wrongly): the majority completes the request.
    w.chain.submit_as(OTHER, 3, truth.clone());
    let mut wrong = truth.clone();
    wrong[0] += 1;
    w.chain.submit_as(LIAR, 3, wrong);
    assert_eq!(w.chain.request_state(3), RequestState::Completed as i32);
    // The windows close unchallenged: completed.
    w.chain.advance(CHALLENGE_WINDOW + 1);
    s.reconcile().await;
    s.drain().await;
    for id in 1..=3 {
        assert_eq!(s.state().requests[&id].stage, Stage::Completed, "{id}");
    }
}

#[tokio::test]
async fn a_challenged_answer_is_defended_with_a_proof_or_by_adjudication_without_key() {
    let w = world();
    w.with_keyless();
    let mut s = w.server();
    s.reconcile().await;
    let input = vec![1, 2, 3, 4];
    w.chain
        .put_request_mode(1, 1, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    w.chain
        .put_request_mode(2, 2, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    s.reconcile().await;
    s.drain().await;
    // A frivolous challenger challenges both honest answers.
    for id in [1, 2] {
        let c = w.chain.challenge_as(CHALLENGER, id);
        assert!(c.ok(), "{}", c.raw_log);
        for e in typed_events_in::<pb::EventChallengeOpened>(&c.events) {
            s.handle(Notice::ChallengeOpened(e)).await;
        }
    }
    s.drain().await;
    // Keyed model: a proof of the posted output; keyless: the canonical weights.
    let resp = w.chain.committed::<pb::MsgRespondChallenge>();
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].request_id, 1);
    let adj = w.chain.committed::<pb::MsgAdjudicate>();
    assert_eq!(adj.len(), 1);
    assert_eq!(adj[0].request_id, 2);
    assert_eq!(
        <sha2::Sha256 as sha2::Digest>::digest(&adj[0].quantized_weights)[..],
        w.chain
            .with(|l| l.models[&2].quantized_weights_sha256.clone())[..]
    );
    for (id, how) in [(1, pb::Resolution::Proof), (2, pb::Resolution::Reexecution)] {
        assert_eq!(w.chain.request_state(id), RequestState::Completed as i32);
        let ch = w.chain.challenge_of(id);
        assert_eq!(ch.state, pb::ChallengeState::Rejected as i32);
        assert_eq!(ch.resolution, how as i32);
    }
    let st = s.state();
    assert_eq!(st.defenses[&1].stage, crate::state::DefenseStage::Responded);
    assert_eq!(
        st.defenses[&2].stage,
        crate::state::DefenseStage::Adjudicated
    );
    // Nothing more is sent, even after a restart.
    let sent = w.chain.with(|l| l.sent.len());
    drop(s);
    let mut s = w.server();
    s.reconcile().await;
    s.drain().await;
    assert_eq!(w.chain.with(|l| l.sent.len()), sent);
}

#[tokio::test]
async fn a_redundant_tie_is_settled_by_the_honest_servers_proof() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let input = vec![5, 6, 7, 8];
    w.chain.put_request_mode(
        1,
        1,
        input.clone(),
        VerificationMode::Redundant,
        &[SERVER, LIAR],
    );
    s.reconcile().await;
    s.drain().await;
    let mut wrong = w.local.model.infer(&input).unwrap();
    wrong[1] -= 3;
    let c = w.chain.submit_as(LIAR, 1, wrong);
    assert_eq!(w.chain.request_state(1), RequestState::Disputed as i32);
    for e in typed_events_in::<pb::EventRedundantTie>(&c.events) {
        s.handle(Notice::Tie(e)).await;
    }
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgRespondChallenge>().len(), 1);
    assert_eq!(w.chain.request_state(1), RequestState::Completed as i32);
    assert_eq!(
        w.chain.with(|l| l.requests[&1].output.clone()),
        w.local.model.infer(&input).unwrap()
    );
}

#[tokio::test]
async fn the_requester_waits_for_optimistic_and_redundant_settlement() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let mut requester = w.chain.as_(REQUESTER);
    let cancel = CancellationToken::new();
    let opts = |mode, k| RequestOptions {
        model_id: 1,
        input_json: "[0.0, 1.0, 0.5, 0.25]".into(),
        fee: None,
        deadline_blocks: None,
        mode,
        k,
        poll: Duration::from_millis(2),
        timeout: Duration::from_secs(60),
    };
    let truth = w.local.model.infer(&[0, 16, 8, 4]).unwrap();
    // Optimistic: answered, then settled only once the window has closed.
    let o = opts(VerificationMode::Optimistic, 1);
    let serve = async {
        for _ in 0..2000 {
            s.reconcile().await;
            s.drain().await;
            w.chain.advance(1);
            if w.chain.with(|l| {
                l.requests
                    .values()
                    .all(|r| r.state == RequestState::Completed as i32)
            }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let (a, ()) = tokio::join!(request(&mut requester, &o, &cancel), serve);
    let a = a.unwrap();
    assert_eq!(
        (a.state.as_str(), a.mode.as_str(), a.settled_by.as_str()),
        ("completed", "optimistic", "unchallenged")
    );
    assert_eq!(a.output, truth);
    assert!(!a.verified);
    // Redundant(2) with another honest server: the majority.
    w.chain.with(|l| {
        l.servers.insert(
            (1, OTHER.to_string()),
            pb::Server {
                server: OTHER.into(),
                model_id: 1,
                ..Default::default()
            },
        )
    });
    let o = opts(VerificationMode::Redundant, 2);
    let serve = async {
        for _ in 0..2000 {
            s.reconcile().await;
            s.drain().await;
            let pending: Vec<u64> = w.chain.with(|l| {
                l.requests
                    .values()
                    .filter(|r| r.state == RequestState::Pending as i32)
                    .filter(|r| {
                        !l.submissions
                            .iter()
                            .any(|x| x.request_id == r.id && x.server == OTHER)
                    })
                    .map(|r| r.id)
                    .collect()
            });
            for id in pending {
                w.chain.submit_as(OTHER, id, truth.clone());
            }
            if w.chain.with(|l| {
                l.requests
                    .values()
                    .all(|r| r.state == RequestState::Completed as i32)
            }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let (a, ()) = tokio::join!(request(&mut requester, &o, &cancel), serve);
    let a = a.unwrap();
    assert_eq!(
        (a.state.as_str(), a.mode.as_str(), a.settled_by.as_str()),
        ("completed", "redundant", "majority")
    );
    assert_eq!(a.output, truth);
}

#[tokio::test]
async fn an_optimistic_answer_is_sent_once_across_lost_commits_and_restarts() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let input = vec![2, 4, 6, 8];
    w.chain
        .put_request_mode(1, 1, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    w.chain
        .put_request_mode(2, 1, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    // 1: the node is down; 2: committed, the answer lost.
    w.chain.with(|l| l.fail_sends = 1);
    s.serve_now(1).await;
    assert_eq!(s.state().requests[&1].stage, Stage::Computed);
    w.chain.with(|l| l.lose_commits = 1);
    s.serve_now(2).await;
    assert_eq!(s.state().requests[&2].stage, Stage::Submitted);
    drop(s);
    let mut s = w.server();
    s.reconcile().await;
    s.drain().await;
    let subs = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(
        subs.iter().map(|m| m.request_id).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(w.chain.sent_count(&pb::MsgSubmitInference::type_url()), 2);
    assert_eq!(s.state().requests[&1].stage, Stage::Submitted);
}
