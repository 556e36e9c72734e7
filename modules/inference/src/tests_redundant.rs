//! Redundant(k) requests end to end: the strict majority (more than k/2 equal outputs) is
//! paid and the minority slashed; silent servers are slashed at the deadline; a tie becomes
//! a dispute settled by one server's proof or by re-execution, or times out; balances
//! reconcile to the unit and the state round-trips through genesis.

use deai_framework::MemStore;
use deai_proto::inference::v1 as pb;

use crate::tests::*;
use crate::tests_optimistic::{
    adjudicate_msg, challenge_of, event, request, respond_msg, short_windows, stake_of, BOND, FEE,
    INPUT, ROYALTY, TAKE,
};
use crate::*;

const TO_SERVERS: u128 = FEE - TAKE - ROYALTY;

fn red_request(k: u32) -> pb::MsgRequestInference {
    pb::MsgRequestInference {
        mode: pb::VerificationMode::Redundant as i32,
        k,
        ..request_msg(3, 1, &INPUT, FEE)
    }
}

/// fx_a's model (id 1) of owner 1, served by `servers`; a redundant(k) request of 3 at 10.
fn setup(servers: &[u8], k: u32) -> (MemStore, u64) {
    let mut s = store();
    short_windows(&mut s);
    let id = register_model(&mut s, 1, fx_a(), 1000);
    assert_eq!(id, 1);
    for w in servers {
        register_server(&mut s, *w, id, STAKE);
    }
    let r: pb::MsgRequestInferenceResponse = exec_response(&mut s, 10, red_request(k)).unwrap();
    assert_eq!(r.servers.len(), k as usize);
    (s, r.request_id)
}

fn honest() -> Vec<i64> {
    fx_a().model.infer(&INPUT).unwrap()
}

fn lie() -> Vec<i64> {
    let mut o = honest();
    o[1] += 1;
    o
}

fn answer(s: &mut MemStore, h: u64, who: u8, rid: u64, out: Vec<i64>) -> pb::RequestState {
    let r: pb::MsgSubmitInferenceResponse =
        exec_response(s, h, submit_msg(who, rid, out, Vec::new())).unwrap();
    pb::RequestState::try_from(r.state).unwrap()
}

#[test]
fn the_majority_is_paid_and_the_minority_slashed() {
    let (mut s, rid) = setup(&[2, 4, 5], 3);
    let (p0, o0, b2, b4, b5) = (
        pool(&s),
        balance(&s, 1, "udeai"),
        balance(&s, 2, "udeai"),
        balance(&s, 4, "udeai"),
        balance(&s, 5, "udeai"),
    );
    assert_eq!(
        answer(&mut s, 11, 2, rid, honest()),
        pb::RequestState::Pending
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            11,
            submit_msg(2, rid, honest(), Vec::new())
        )),
        inference(ERR_ALREADY_SUBMITTED)
    );
    assert_eq!(answer(&mut s, 11, 5, rid, lie()), pb::RequestState::Pending);
    assert_reconciles(&s);
    let (_, events, _) = exec_full(&mut s, 12, submit_msg(4, rid, honest(), Vec::new())).unwrap();
    let done: pb::EventRequestCompleted = event(&events);
    assert_eq!(done.paid_servers.len(), 2);
    let slashed: pb::EventServerSlashed = event(&events);
    assert_eq!(
        (slashed.reason.as_str(), slashed.server.clone()),
        ("minority", addr(5).to_bech32())
    );
    let r = request(&s, rid);
    assert_eq!(
        (r.state, r.output.clone()),
        (pb::RequestState::Completed as i32, honest())
    );
    // The two shares add up to the servers' part; the first drawn gets the odd unit.
    let (g2, g4) = (balance(&s, 2, "udeai") - b2, balance(&s, 4, "udeai") - b4);
    assert_eq!(g2 + g4, TO_SERVERS);
    assert!(g2.min(g4) == TO_SERVERS / 2 && g2.max(g4) == TO_SERVERS - TO_SERVERS / 2);
    assert_eq!(balance(&s, 5, "udeai"), b5);
    assert_eq!(stake_of(&s, 1, 5), STAKE / 2);
    assert_eq!(pool(&s), p0 + TAKE + STAKE / 2);
    assert_eq!(balance(&s, 1, "udeai"), o0 + ROYALTY);
    assert_reconciles(&s);
    for w in [2, 4, 5] {
        assert_eq!(
            s.get_server(1, &addr(w)).unwrap().unwrap().pending_requests,
            0
        );
    }
}

#[test]
fn silent_servers_are_slashed_at_the_deadline_and_the_majority_of_k_paid() {
    let (mut s, rid) = setup(&[2, 4, 5], 3);
    let (p0, r0) = (pool(&s), balance(&s, 3, "udeai"));
    answer(&mut s, 11, 2, rid, honest());
    answer(&mut s, 11, 4, rid, honest());
    let subs = query::<_, pb::QuerySubmissionsResponse>(
        &s,
        "/deai.inference.v1.Query/Submissions",
        pb::QuerySubmissionsRequest {
            request_id: rid,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(subs.submissions.len(), 2);
    assert!(end_block_at(&mut s, 29).is_empty());
    let events = end_block_at(&mut s, 30);
    let slashed: pb::EventServerSlashed = event(&events);
    assert_eq!(slashed.reason, "missed_deadline");
    let miss = STAKE / 100;
    assert_eq!(balance(&s, 3, "udeai"), r0 + miss);
    assert_eq!(pool(&s), p0 + TAKE);
    assert_eq!(request(&s, rid).state, pb::RequestState::Completed as i32);
    let srv = s.get_server(1, &addr(5)).unwrap().unwrap();
    assert_eq!((srv.missed, srv.pending_requests), (1, 0));
    assert_reconciles(&s);
}

#[test]
fn a_tie_is_settled_by_re_execution() {
    let (mut s, rid) = setup(&[2, 4], 2);
    let (p0, b2, b4, b6) = (
        pool(&s),
        balance(&s, 2, "udeai"),
        balance(&s, 4, "udeai"),
        balance(&s, 6, "udeai"),
    );
    answer(&mut s, 11, 2, rid, honest());
    let (_, events, _) = exec_full(&mut s, 12, submit_msg(4, rid, lie(), Vec::new())).unwrap();
    let tie: pb::EventRedundantTie = event(&events);
    assert_eq!((tie.submitted_servers.len(), tie.dispute_deadline), (2, 17));
    let r = request(&s, rid);
    assert_eq!(
        (r.state, r.dispute_deadline),
        (pb::RequestState::Disputed as i32, 17)
    );
    let ch = challenge_of(&s, rid);
    assert_eq!(
        (ch.challenger.as_str(), ch.bond.clone(), ch.state),
        ("", None, pb::ChallengeState::Open as i32)
    );
    assert_reconciles(&s);
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
    // The wrong weights change nothing.
    let before = dump(&s);
    assert_eq!(
        code(exec_at(
            &mut s,
            13,
            adjudicate_msg(6, rid, fx_b().model.canonical_bytes())
        )),
        inference(ERR_WEIGHTS_MISMATCH)
    );
    assert!(dump(&s) == before);
    exec_at(
        &mut s,
        13,
        adjudicate_msg(6, rid, fx_a().model.canonical_bytes()),
    )
    .unwrap();
    let r = request(&s, rid);
    assert_eq!(
        (r.state, r.output.clone()),
        (pb::RequestState::Completed as i32, honest())
    );
    assert_eq!(
        challenge_of(&s, rid).resolution,
        pb::Resolution::Reexecution as i32
    );
    let slash = STAKE / 2;
    assert_eq!(balance(&s, 2, "udeai"), b2 + TO_SERVERS);
    assert_eq!(balance(&s, 4, "udeai"), b4);
    assert_eq!(balance(&s, 6, "udeai"), b6 + BOND);
    assert_eq!(pool(&s), p0 + TAKE + slash - BOND);
    assert_reconciles(&s);
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
}

#[test]
fn a_tie_is_settled_by_the_proof_of_the_honest_server_or_times_out() {
    let (mut s, rid) = setup(&[2, 4], 2);
    // The liar, slashed below the default minimum, is still drawn for the second request.
    crate::tests_optimistic::set_params(&mut s, |p| p.server_min_stake.amount = 1);
    let p0 = pool(&s);
    answer(&mut s, 11, 2, rid, honest());
    answer(&mut s, 11, 4, rid, lie());
    // The liar cannot prove its output, nor replay the honest server's proof.
    let (_, proof2) = prove(fx_a(), &INPUT, rid, 2);
    let before = dump(&s);
    assert_eq!(
        code(exec_at(&mut s, 12, respond_msg(4, rid, proof2.clone()))),
        inference(ERR_PROOF_REJECTED)
    );
    assert!(dump(&s) == before);
    exec_at(&mut s, 12, respond_msg(2, rid, proof2)).unwrap();
    assert_eq!(request(&s, rid).state, pb::RequestState::Completed as i32);
    assert_eq!(
        challenge_of(&s, rid).resolution,
        pb::Resolution::Proof as i32
    );
    // The prover is the reporter of the liar's slash.
    assert_eq!(pool(&s), p0 + TAKE + STAKE / 2 - BOND);
    assert_reconciles(&s);

    // A second tie nobody settles: the fee back at the dispute deadline, nobody slashed.
    let r: pb::MsgRequestInferenceResponse = exec_response(&mut s, 20, red_request(2)).unwrap();
    let r0 = balance(&s, 3, "udeai");
    answer(&mut s, 21, 2, r.request_id, honest());
    answer(&mut s, 21, 4, r.request_id, lie());
    let (st2, st4) = (stake_of(&s, 1, 2), stake_of(&s, 1, 4));
    let events = end_block_at(&mut s, 26);
    assert!(has_event(&events, "deai.inference.v1.EventRequestExpired"));
    assert_eq!(
        request(&s, r.request_id).state,
        pb::RequestState::Expired as i32
    );
    assert_eq!(balance(&s, 3, "udeai"), r0 + FEE);
    assert_eq!((stake_of(&s, 1, 2), stake_of(&s, 1, 4)), (st2, st4));
    assert_reconciles(&s);
}

#[test]
fn bad_redundant_requests_are_refused() {
    let (mut s, _) = setup(&[2, 4], 2);
    for k in [0, 1, 6] {
        assert_eq!(
            code(exec_at(&mut s, 10, red_request(k))),
            inference(ERR_BAD_REDUNDANCY)
        );
    }
    assert_eq!(
        code(exec_at(&mut s, 10, red_request(3))),
        inference(ERR_NO_SERVER)
    );
}
