//! The watchdog: challenging wrong answers, never twice across restarts, and settling other
//! servers' redundant ties by re-execution.

use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode};
use prost::Name;

use super::fake_chain::*;
use super::fixtures::*;
use crate::notices::Notice;
use crate::server::ADJUDICATE_MARGIN;
use deai_worker_daemon::typed_events_in;

#[tokio::test]
async fn the_watchdog_challenges_a_wrong_answer_and_adjudicates() {
    let w = world();
    w.with_keyless();
    let mut s = w.server_with(true);
    s.reconcile().await;
    let input = vec![16, 1, 2, 15];
    let truth = w.local.model.infer(&input).unwrap();
    let mut wrong = truth.clone();
    wrong[0] -= 7;
    // An honest answer of another server, and two lies (a keyed and a keyless model).
    w.chain
        .put_request_mode(1, 1, input.clone(), VerificationMode::Optimistic, &[OTHER]);
    w.chain
        .put_request_mode(2, 1, input.clone(), VerificationMode::Optimistic, &[LIAR]);
    w.chain
        .put_request_mode(3, 2, input.clone(), VerificationMode::Optimistic, &[LIAR]);
    let mut notices = Vec::new();
    for (id, who, out) in [(1, OTHER, &truth), (2, LIAR, &wrong), (3, LIAR, &wrong)] {
        let c = w.chain.submit_as(who, id, out.clone());
        notices.extend(
            typed_events_in::<pb::EventInferenceSubmitted>(&c.events)
                .into_iter()
                .map(Notice::Submitted),
        );
    }
    assert_eq!(notices.len(), 3);
    for n in notices {
        s.handle(n).await;
    }
    s.drain().await;
    let ch = w.chain.committed::<pb::MsgChallenge>();
    assert_eq!(
        ch.iter().map(|c| c.request_id).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(ch[0].bond, fake_params().challenge_bond);
    assert_eq!(
        s.state().watched[&1].stage,
        crate::state::WatchStage::Agreed
    );
    // Keyless: adjudicated at once, the liar refuted.
    assert_eq!(w.chain.request_state(3), RequestState::Refuted as i32);
    assert_eq!(
        s.state().watched[&3].stage,
        crate::state::WatchStage::Adjudicated
    );
    // Keyed: the liar's response window runs first.
    assert_eq!(w.chain.request_state(2), RequestState::Disputed as i32);
    assert_eq!(
        s.state().watched[&2].stage,
        crate::state::WatchStage::Challenged
    );
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgAdjudicate>().len(), 1);
    // Near the end of the window, still unanswered: re-executed.
    w.chain.advance(RESPONSE_WINDOW - ADJUDICATE_MARGIN);
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgAdjudicate>().len(), 2);
    assert_eq!(w.chain.request_state(2), RequestState::Refuted as i32);
    let c = w.chain.challenge_of(2);
    assert_eq!(c.state, pb::ChallengeState::Upheld as i32);
    assert_eq!(c.resolution, pb::Resolution::Reexecution as i32);
    assert_eq!(c.recomputed_output, truth);
    assert_eq!(c.challenger, SERVER);
}

#[tokio::test]
async fn a_restarted_watchdog_never_challenges_twice() {
    let w = world();
    w.with_keyless();
    let mut s = w.server_with(true);
    s.reconcile().await;
    let input = vec![0, 0, 16, 16];
    let mut wrong = w.local.model.infer(&input).unwrap();
    wrong[1] += 2;
    for id in [1, 2] {
        w.chain
            .put_request_mode(id, 1, input.clone(), VerificationMode::Optimistic, &[LIAR]);
        w.chain.submit_as(LIAR, id, wrong.clone());
    }
    // Found by the reconcile (no events). Request 1's challenge never reaches the chain;
    // request 2's is committed but the answer is lost.
    s.reconcile().await;
    w.chain.with(|l| {
        l.fail_sends = 1;
    });
    s.check(1).await;
    assert_eq!(
        s.state().watched[&1].stage,
        crate::state::WatchStage::Challenging
    );
    w.chain.with(|l| l.lose_commits = 1);
    s.check(2).await;
    assert_eq!(
        s.state().watched[&2].stage,
        crate::state::WatchStage::Challenged,
        "the chain's challenge is ours"
    );
    drop(s);
    // Restarted: request 1 is challenged once (the chain had none), request 2 not again.
    let mut s = w.server_with(true);
    s.reconcile().await;
    s.drain().await;
    // (The first attempt of 1 never reached the chain.)
    assert_eq!(w.chain.sent_count(&pb::MsgChallenge::type_url()), 2);
    let ch = w.chain.committed::<pb::MsgChallenge>();
    assert_eq!(
        ch.iter().map(|c| c.request_id).collect::<Vec<_>>(),
        vec![2, 1]
    );
    for _ in 0..3 {
        drop(s);
        s = w.server_with(true);
        s.reconcile().await;
        s.drain().await;
    }
    assert_eq!(w.chain.sent_count(&pb::MsgChallenge::type_url()), 2);
    // Both settle by re-execution near the window's end, once each.
    w.chain.advance(RESPONSE_WINDOW - ADJUDICATE_MARGIN);
    s.drain().await;
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgAdjudicate>().len(), 2);
    assert_eq!(w.chain.request_state(1), RequestState::Refuted as i32);
    assert_eq!(w.chain.request_state(2), RequestState::Refuted as i32);
}

#[tokio::test]
async fn the_watchdog_settles_other_servers_redundant_tie_by_reexecution() {
    let w = world();
    let keyless = w.with_keyless();
    let mut s = w.server_with(true);
    s.reconcile().await;
    let input = vec![9, 9, 1, 0];
    let truth = keyless.model.infer(&input).unwrap();
    let mut wrong = truth.clone();
    wrong[0] += 1;
    w.chain.put_request_mode(
        1,
        2,
        input.clone(),
        VerificationMode::Redundant,
        &[OTHER, LIAR],
    );
    w.chain.submit_as(OTHER, 1, truth.clone());
    let c = w.chain.submit_as(LIAR, 1, wrong);
    let ties = typed_events_in::<pb::EventRedundantTie>(&c.events);
    assert_eq!(ties.len(), 1);
    s.handle(Notice::Tie(ties[0].clone())).await;
    s.drain().await;
    let adj = w.chain.committed::<pb::MsgAdjudicate>();
    assert_eq!(adj.len(), 1);
    assert_eq!(adj[0].sender, SERVER);
    assert_eq!(w.chain.request_state(1), RequestState::Completed as i32);
    assert_eq!(w.chain.with(|l| l.requests[&1].output.clone()), truth);
    assert_eq!(
        s.state().watched[&1].stage,
        crate::state::WatchStage::Adjudicated
    );
    assert!(w.chain.committed::<pb::MsgChallenge>().is_empty());
    // Seen again (a reconcile, a replayed event): nothing more.
    s.handle(Notice::Tie(ties[0].clone())).await;
    s.reconcile().await;
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgAdjudicate>().len(), 1);
}
