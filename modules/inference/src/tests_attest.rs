//! Attestation as the last-resort arbiter of an optimistic dispute on a model without a
//! key: the challenge asks the validators to re-run the model; a settled hash equal to the
//! posted output's hash upholds it, another refutes it (the challenger is the reporter), an
//! expired job leaves the timeout rule; a dispute settled first by MsgAdjudicate ignores the
//! later outcome; a refused request changes nothing of the challenge. All reconciled to the
//! unit. The attest module's outcome is simulated by calling `on_attested` with the job read
//! from state, marked settled or expired.

use deai_attest::wire::{inference_output_hash, InferenceReplaySpec};
use deai_attest::{AttestRead, AttestWrite};
use deai_framework::{Ctx, Event, GasMeter, MemStore};
use deai_proto::attest::v1 as apb;
use deai_proto::inference::v1 as pb;

use crate::tests::*;
use crate::tests_optimistic::*;
use crate::*;

/// Runs `f` in a context at `height`, its writes applied, as a hook or genesis would.
fn in_ctx(s: &mut MemStore, height: u64, f: impl FnOnce(&mut Ctx)) -> Vec<Event> {
    let gas = GasMeter::infinite();
    let b = block(height);
    let snapshot = s.clone();
    let mut ctx = Ctx::new(&snapshot, &gas, &b);
    f(&mut ctx);
    let (writes, events) = ctx.finish();
    s.apply(writes);
    events
}

/// The attest module is live, with a window (3) that ends before the dispute's (5).
fn enable_attest(s: &mut MemStore, max_pending_jobs: u32) {
    let p = deai_attest::Params {
        attestation_window: 3,
        max_pending_jobs,
        ..deai_attest::Params::default()
    };
    in_ctx(s, 1, |ctx| ctx.put_attest_params(&p).unwrap());
}

/// The outcome of `job` told to inference at `height`, as the app's attest hooks do.
fn attested(s: &mut MemStore, height: u64, job: &apb::Job) -> Vec<Event> {
    in_ctx(s, height, |ctx| on_attested(ctx, job).unwrap())
}

fn settled(job: &apb::Job, output: &[i64]) -> apb::Job {
    apb::Job {
        state: apb::JobState::Settled as i32,
        result_hash: inference_output_hash(output).to_vec(),
        ..job.clone()
    }
}

fn model() -> deai_zk::QuantizedModel {
    qmodel(&[4, 3, 2], 7)
}

fn truth() -> Vec<i64> {
    model().infer(&INPUT).unwrap()
}

fn lie() -> Vec<i64> {
    let mut o = truth();
    o[0] += 1;
    o
}

/// A model of owner 1 without key, served by 2; an optimistic request of 3 at 10 answered
/// `output` at 11 and challenged by 4 at 12 (dispute deadline 17). Returns the store, the
/// model, the request, the balances before the answer and the challenge's events.
fn disputed(output: Vec<i64>, attest: Option<u32>) -> (MemStore, u64, u64, [u128; 7], Vec<Event>) {
    let mut s = store();
    short_windows(&mut s);
    if let Some(max) = attest {
        enable_attest(&mut s, max);
    }
    let id = exec_response::<_, pb::MsgRegisterModelResponse>(
        &mut s,
        5,
        register_none_msg(1, &model(), 1000),
    )
    .unwrap()
    .model_id;
    register_server(&mut s, 2, id, STAKE);
    let r: pb::MsgRequestInferenceResponse =
        exec_response(&mut s, 10, opt_request(3, id, &INPUT, FEE)).unwrap();
    let rid = r.request_id;
    let b0 = balances(&s);
    exec_at(&mut s, 11, submit_msg(2, rid, output, Vec::new())).unwrap();
    let events = exec_at(&mut s, 12, challenge_msg(4, rid, BOND)).unwrap();
    assert_eq!(request(&s, rid).dispute_deadline, 17);
    (s, id, rid, b0, events)
}

/// [`disputed`] with attestation live: the job the challenge requested.
fn attesting(output: Vec<i64>) -> (MemStore, u64, u64, [u128; 7], apb::Job) {
    let (s, id, rid, b0, events) = disputed(output, Some(32));
    let ev: pb::EventDisputeAttestation = event(&events);
    assert_eq!((ev.request_id, ev.error.as_str()), (rid, ""));
    assert!(ev.job_id > 0);
    assert_eq!(challenge_of(&s, rid).attest_job_id, ev.job_id);
    let job = s.attest_job(ev.job_id).unwrap().unwrap();
    assert_eq!(
        (job.requester.as_str(), job.subject_id, job.kind, job.state),
        (
            "inference",
            rid,
            apb::JobKind::InferenceReplay as i32,
            apb::JobState::Pending as i32
        )
    );
    // The window ends before the dispute's deadline.
    assert_eq!(job.deadline, 15);
    let spec: InferenceReplaySpec = serde_json::from_slice(&job.spec).unwrap();
    assert_eq!(
        spec,
        InferenceReplaySpec {
            model_id: id,
            architecture: vec![4, 3, 2],
            quantized_weights_sha256: hex::encode(weights_sha256(&model())),
            input: INPUT.to_vec(),
        }
    );
    assert_reconciles(&s);
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
    (s, id, rid, b0, job)
}

#[test]
fn an_honest_output_is_upheld_by_attestation() {
    let (mut s, _, rid, b0, job) = attesting(truth());
    // Another job, or another requester's, changes nothing.
    let before = dump(&s);
    let other = apb::Job {
        id: job.id + 1,
        ..settled(&job, &truth())
    };
    assert!(attested(&mut s, 13, &other).is_empty());
    let foreign = apb::Job {
        requester: "compute".into(),
        ..settled(&job, &truth())
    };
    assert!(attested(&mut s, 13, &foreign).is_empty());
    assert!(dump(&s) == before);

    let events = attested(&mut s, 14, &settled(&job, &truth()));
    let res: pb::EventChallengeResolved = event(&events);
    assert_eq!(
        (res.state, res.resolution, res.winner.clone()),
        (
            pb::ChallengeState::Rejected as i32,
            pb::Resolution::Attestation as i32,
            addr(2).to_bech32()
        )
    );
    assert_eq!(request(&s, rid).state, pb::RequestState::Completed as i32);
    let ch = challenge_of(&s, rid);
    assert_eq!(ch.resolution, pb::Resolution::Attestation as i32);
    // The server: the fee less take and royalty, its bond back and the challenger's.
    let b1 = balances(&s);
    assert_eq!(b1[2], b0[2] + FEE - TAKE - ROYALTY + BOND);
    assert_eq!(b1[4], b0[4] - BOND);
    // The fee was escrowed before b0.
    assert_eq!(b1[3], b0[3]);
    assert_eq!(b1[0], b0[0] + TAKE);
    assert_eq!(b1[1], b0[1] + ROYALTY);
    assert_eq!(b1[6], b0[6] - FEE);
    assert_reconciles(&s);
    // Settled: the same outcome again, or the dispute deadline, changes nothing.
    let before = dump(&s);
    assert!(attested(&mut s, 15, &settled(&job, &truth())).is_empty());
    end_block_at(&mut s, 17);
    assert!(dump(&s) == before);
}

#[test]
fn a_lie_is_refuted_by_attestation_and_the_challenger_reports_it() {
    let (mut s, model, rid, b0, job) = attesting(lie());
    let events = attested(&mut s, 13, &settled(&job, &truth()));
    let slashed: pb::EventServerSlashed = event(&events);
    assert_eq!(slashed.reason, "wrong_output");
    assert_eq!(
        (slashed.to_victim.clone(), slashed.to_reporter.clone()),
        (udeai(FEE), udeai(BOND))
    );
    let res: pb::EventChallengeResolved = event(&events);
    assert_eq!(
        (res.state, res.resolution, res.winner.clone()),
        (
            pb::ChallengeState::Upheld as i32,
            pb::Resolution::Attestation as i32,
            addr(4).to_bech32()
        )
    );
    assert_eq!(request(&s, rid).state, pb::RequestState::Refuted as i32);
    assert_eq!(s.get_server(model, &addr(2)).unwrap().unwrap().faults, 1);
    assert_liar_lost(&s, b0, model);
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
}

#[test]
fn an_expired_attestation_leaves_the_timeout_and_the_output_stands() {
    let (mut s, _, rid, b0, job) = attesting(lie());
    let expired = apb::Job {
        state: apb::JobState::Expired as i32,
        ..job.clone()
    };
    let before = dump(&s);
    assert!(attested(&mut s, 15, &expired).is_empty());
    assert!(dump(&s) == before);
    assert_eq!(request(&s, rid).state, pb::RequestState::Disputed as i32);
    // At the dispute deadline nobody re-executed: the (wrong) output stands.
    let events = end_block_at(&mut s, 17);
    let res: pb::EventChallengeResolved = event(&events);
    assert_eq!(
        (res.state, res.resolution),
        (
            pb::ChallengeState::Rejected as i32,
            pb::Resolution::Timeout as i32
        )
    );
    let b1 = balances(&s);
    assert_eq!(b1[2], b0[2] + FEE - TAKE - ROYALTY + BOND);
    assert_eq!(b1[4], b0[4] - BOND);
    assert_reconciles(&s);
    // A settlement after the deadline is ignored.
    let before = dump(&s);
    assert!(attested(&mut s, 18, &settled(&job, &truth())).is_empty());
    assert!(dump(&s) == before);
}

#[test]
fn a_dispute_settled_by_re_execution_first_ignores_the_later_attestation() {
    let (mut s, model, rid, b0, job) = attesting(lie());
    let events = exec_at(
        &mut s,
        13,
        adjudicate_msg(5, rid, self::model().canonical_bytes()),
    )
    .unwrap();
    let res: pb::EventChallengeResolved = event(&events);
    assert_eq!(res.resolution, pb::Resolution::Reexecution as i32);
    assert_eq!(request(&s, rid).state, pb::RequestState::Refuted as i32);
    assert_liar_lost(&s, b0, model);
    // The attestation settles later, whatever it says: nothing changes.
    let before = dump(&s);
    assert!(attested(&mut s, 14, &settled(&job, &lie())).is_empty());
    assert!(attested(&mut s, 14, &settled(&job, &truth())).is_empty());
    assert!(dump(&s) == before);
    assert_liar_lost(&s, b0, model);
}

#[test]
fn a_refused_or_unavailable_attestation_leaves_the_dispute_as_before() {
    // No attest module: nothing requested, no event.
    let (s, _, rid, _, events) = disputed(lie(), None);
    assert!(!has_event(
        &events,
        "deai.inference.v1.EventDisputeAttestation"
    ));
    assert_eq!(challenge_of(&s, rid).attest_job_id, 0);
    // Every slot taken: the challenge still succeeds, the event says why.
    let mut s = store();
    short_windows(&mut s);
    enable_attest(&mut s, 1);
    in_ctx(&mut s, 2, |ctx| {
        deai_attest::request(ctx, apb::JobKind::TaskCode, "task", 1, b"{}".to_vec()).unwrap();
    });
    let id = exec_response::<_, pb::MsgRegisterModelResponse>(
        &mut s,
        5,
        register_none_msg(1, &model(), 1000),
    )
    .unwrap()
    .model_id;
    register_server(&mut s, 2, id, STAKE);
    let r: pb::MsgRequestInferenceResponse =
        exec_response(&mut s, 10, opt_request(3, id, &INPUT, FEE)).unwrap();
    exec_at(&mut s, 11, submit_msg(2, r.request_id, lie(), Vec::new())).unwrap();
    let events = exec_at(&mut s, 12, challenge_msg(4, r.request_id, BOND)).unwrap();
    let ev: pb::EventDisputeAttestation = event(&events);
    assert_eq!(ev.job_id, 0);
    assert!(ev.error.contains("pending"), "{}", ev.error);
    assert_eq!(challenge_of(&s, r.request_id).attest_job_id, 0);
    let res: pb::EventChallengeResolved = event(&end_block_at(&mut s, 17));
    assert_eq!(res.resolution, pb::Resolution::Timeout as i32);
    assert_reconciles(&s);
}

#[test]
fn a_keyed_model_is_never_attested() {
    let mut s = store();
    short_windows(&mut s);
    enable_attest(&mut s, 32);
    let id = register_model(&mut s, 1, fx_a(), 1000);
    register_server(&mut s, 2, id, STAKE);
    let r: pb::MsgRequestInferenceResponse =
        exec_response(&mut s, 10, opt_request(3, id, &INPUT, FEE)).unwrap();
    let out = fx_a().model.infer(&INPUT).unwrap();
    exec_at(&mut s, 11, submit_msg(2, r.request_id, out, Vec::new())).unwrap();
    let events = exec_at(&mut s, 12, challenge_msg(4, r.request_id, BOND)).unwrap();
    assert!(!has_event(
        &events,
        "deai.inference.v1.EventDisputeAttestation"
    ));
    assert_eq!(challenge_of(&s, r.request_id).attest_job_id, 0);
}

/// A redundant(2) request of 3 at 10 on a model without key served by 2 and 4, answered
/// `a` by 2 and `b` by 4 at 11: a tie, disputed until 16, its attestation requested.
fn tie(a: Vec<i64>, b: Vec<i64>) -> (MemStore, u64, u64, apb::Job) {
    let mut s = store();
    short_windows(&mut s);
    enable_attest(&mut s, 32);
    let id = exec_response::<_, pb::MsgRegisterModelResponse>(
        &mut s,
        5,
        register_none_msg(1, &model(), 1000),
    )
    .unwrap()
    .model_id;
    register_server(&mut s, 2, id, STAKE);
    register_server(&mut s, 4, id, STAKE);
    let m = pb::MsgRequestInference {
        mode: pb::VerificationMode::Redundant as i32,
        k: 2,
        ..request_msg(3, id, &INPUT, FEE)
    };
    let r: pb::MsgRequestInferenceResponse = exec_response(&mut s, 10, m).unwrap();
    let rid = r.request_id;
    exec_at(&mut s, 11, submit_msg(2, rid, a, Vec::new())).unwrap();
    let events = exec_at(&mut s, 11, submit_msg(4, rid, b, Vec::new())).unwrap();
    assert!(has_event(&events, "deai.inference.v1.EventRedundantTie"));
    let ev: pb::EventDisputeAttestation = event(&events);
    assert_eq!(challenge_of(&s, rid).attest_job_id, ev.job_id);
    let job = s.attest_job(ev.job_id).unwrap().unwrap();
    assert_eq!(job.subject_id, rid);
    assert_reconciles(&s);
    (s, id, rid, job)
}

#[test]
fn a_redundant_tie_is_settled_by_attestation() {
    // The attested answer wins: 2 is paid, 4 slashed (no reporter: all to the pool).
    let (mut s, model, rid, job) = tie(truth(), lie());
    let (p0, b2, b3) = (pool(&s), balance(&s, 2, "udeai"), balance(&s, 3, "udeai"));
    let events = attested(&mut s, 12, &settled(&job, &truth()));
    let res: pb::EventChallengeResolved = event(&events);
    assert_eq!(
        (res.state, res.resolution),
        (
            pb::ChallengeState::Rejected as i32,
            pb::Resolution::Attestation as i32
        )
    );
    let slashed: pb::EventServerSlashed = event(&events);
    assert_eq!(slashed.server, addr(4).to_bech32());
    let slash = STAKE / 2;
    assert_eq!(stake_of(&s, model, 4), STAKE - slash);
    assert_eq!(request(&s, rid).state, pb::RequestState::Completed as i32);
    assert_eq!(request(&s, rid).output, truth());
    assert_eq!(balance(&s, 2, "udeai"), b2 + FEE - TAKE - ROYALTY);
    assert_eq!(balance(&s, 3, "udeai"), b3);
    assert_eq!(pool(&s), p0 + TAKE + slash);
    assert_reconciles(&s);

    // An attested hash nobody answered: both slashed, the requester refunded first.
    let (mut s, model, rid, job) = tie(lie(), {
        let mut o = truth();
        o[1] -= 1;
        o
    });
    let (p0, b3) = (pool(&s), balance(&s, 3, "udeai"));
    let events = attested(&mut s, 12, &settled(&job, &truth()));
    let refuted: pb::EventRequestRefuted = event(&events);
    assert_eq!(refuted.wrong_servers.len(), 2);
    assert_eq!(request(&s, rid).state, pb::RequestState::Refuted as i32);
    for u in [2, 4] {
        assert_eq!(stake_of(&s, model, u), STAKE - slash);
    }
    // The fee back, and the first slash's victim share (up to the fee) too.
    assert_eq!(balance(&s, 3, "udeai"), b3 + FEE + FEE + FEE);
    assert_eq!(pool(&s), p0 + 2 * slash - 2 * FEE);
    assert_reconciles(&s);
}
