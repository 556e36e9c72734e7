//! Attestation as the last-resort referee: after MAX_AUDITS_PER_ORDER unanswered audits the
//! validators are asked to re-run the segment; the attested hash judges the results as a
//! referee's answer would (without fee), an expired job abandons the dispute, a refused
//! request abandons it at once; stale outcomes change nothing. All reconciled to the unit.
//! The attest module's outcome is simulated by calling `on_attested` with the job read from
//! state, marked settled or expired.

use sha2::{Digest, Sha256};

use deai_attest::{AttestRead, AttestWrite};
use deai_framework::{testing, Ctx, Event, GasMeter, MemStore};
use deai_proto::attest::v1 as apb;
use deai_proto::compute::v1 as pb;

use crate::tests::*;
use crate::tests_audits::*;
use crate::tests_bids::BID_DEPOSIT;
use crate::tests_leases::{leases_of, typed};
use crate::*;

/// Runs `f` in a context at `height`, its writes applied, as a hook or genesis would.
fn in_ctx(s: &mut MemStore, height: u64, f: impl FnOnce(&mut Ctx)) -> Vec<Event> {
    let gas = GasMeter::infinite();
    let block = testing::block(height);
    let snapshot = s.clone();
    let mut ctx = Ctx::new(&snapshot, &gas, &block);
    f(&mut ctx);
    let (writes, events) = ctx.finish();
    s.apply(writes);
    events
}

/// The attest module is live (its genesis stored its params).
fn enable_attest(s: &mut MemStore, p: deai_attest::Params) {
    in_ctx(s, 1, |ctx| ctx.put_attest_params(&p).unwrap());
}

/// The outcome of `job` told to compute at `height`, as the app's attest hooks do.
fn attested(s: &mut MemStore, height: u64, job: &apb::Job) -> Vec<Event> {
    in_ctx(s, height, |ctx| on_attested(ctx, job).unwrap())
}

fn settled(job: &apb::Job, hash: [u8; 32]) -> apb::Job {
    apb::Job {
        state: apb::JobState::Settled as i32,
        result_hash: hash.to_vec(),
        ..job.clone()
    }
}

fn expired(job: &apb::Job) -> apb::Job {
    apb::Job {
        state: apb::JobState::Expired as i32,
        ..job.clone()
    }
}

fn order_state(s: &MemStore, o: u64) -> i32 {
    s.get_order(o).unwrap().unwrap().state
}

/// Balances of users 1, 2, 3 and 5 once the order is leased.
type Before = [u128; 4];

/// Providers 1 (head 4) and 3 (head 6) disagree; verifier 2, the only referee, never
/// answers; every audit expires. Returns the order, its leases, the end-block events of the
/// last expiry, its height and the balances once leased.
fn unanswered(s: &mut MemStore) -> (u64, [u64; 2], Vec<Event>, u64, Before) {
    let (o, [l1, l3]) = leased(s, pb::VerificationMode::Redundant, "");
    let before = [bal(s, 1), bal(s, 2), bal(s, 3), bal(s, 5)];
    run(s, 25, result(1, l1, 4)).unwrap();
    run(s, 30, result(3, l3, 6)).unwrap();
    let window = Params::default().audit_window;
    let mut h = audits(s, o)[0].deadline;
    let mut events = end_block(s, h);
    for _ in 1..MAX_AUDITS_PER_ORDER {
        h += window;
        events = end_block(s, h);
    }
    (o, [l1, l3], events, h, before)
}

/// [`unanswered`] with attestation live: the job requested at the last expiry.
fn attesting(s: &mut MemStore) -> (u64, [u64; 2], apb::Job, u64, Before) {
    enable_attest(s, deai_attest::Params::default());
    let (o, leases, events, h, before) = unanswered(s);
    let ev = &typed::<pb::EventAuditAttestation>(&events)[0];
    assert_eq!(ev.error, "");
    assert!(ev.job_id > 0);
    let all = audits(s, o);
    assert_eq!(all.len(), MAX_AUDITS_PER_ORDER as usize);
    assert!(all
        .iter()
        .all(|a| a.state == pb::AuditState::Expired as i32));
    let last = all.last().unwrap();
    assert_eq!((ev.audit_id, ev.order_id), (last.id, o));
    assert_eq!(last.attest_job_id, ev.job_id);
    // The order waits for the outcome, its escrow held.
    assert_eq!(order_state(s, o), pb::OrderState::Disputed as i32);
    let job = s.attest_job(ev.job_id).unwrap().unwrap();
    assert_eq!(
        (job.requester.as_str(), job.subject_id, job.kind, job.state),
        (
            "compute",
            last.id,
            apb::JobKind::ComputeReplay as i32,
            apb::JobState::Pending as i32
        )
    );
    let spec: deai_attest::wire::ComputeReplaySpec = serde_json::from_slice(&job.spec).unwrap();
    let order = s.get_order_with_spec(o).unwrap().unwrap();
    assert!(!order.spec.is_empty());
    assert_eq!(spec.order_id, o);
    assert_eq!(spec.job_spec.as_bytes(), order.spec.as_slice());
    assert_eq!(
        spec.job_spec_sha256,
        hex::encode(Sha256::digest(&order.spec))
    );
    assert_eq!(spec.job_spec_sha256, hex::encode(&order.spec_sha256));
    // They part at checkpoint 1: segment 0, from the spec's seeded start.
    assert_eq!(
        (spec.segment, spec.start_checkpoint_sha256.as_str()),
        (0, "")
    );
    round_trips(s);
    (o, leases, job, h, before)
}

#[test]
fn an_unanswered_audit_settled_by_attestation_slashes_the_liar_as_a_referee_would() {
    let mut s = store();
    let (o, [l1, l3], job, h, [p1, p2, p3, owner0]) = attesting(&mut s);
    let deposit = Params::default().audit_deposit.amount;
    // A stale or foreign outcome changes nothing: another job id, another requester.
    let other = apb::Job {
        id: job.id + 1,
        ..settled(&job, [4; 32])
    };
    assert!(attested(&mut s, h + 1, &other).is_empty());
    let foreign = apb::Job {
        requester: "inference".into(),
        ..settled(&job, [4; 32])
    };
    assert!(attested(&mut s, h + 1, &foreign).is_empty());
    assert_eq!(order_state(&s, o), pb::OrderState::Disputed as i32);

    // The validators' replay gives checkpoint 1 = [4; 32]: provider 3 lied.
    let events = attested(&mut s, h + 2, &settled(&job, [4; 32]));
    let resolved = &typed::<pb::EventAuditResolved>(&events)[0];
    assert_eq!(
        (
            resolved.honest_lease_ids.clone(),
            resolved.faulty_lease_ids.clone()
        ),
        (vec![l1], vec![l3])
    );
    // No referee fee.
    assert_eq!(resolved.verifier_fee, Some(coin(0, "udeai")));
    let slash = STAKE / 10;
    let slashed = &typed::<pb::EventProviderSlashed>(&events)[0];
    assert_eq!(slashed.provider, addr(3).to_bech32());
    assert_eq!(slashed.to_victim, Some(coin(slash, "udeai")));
    assert_eq!(typed::<pb::EventProviderJailed>(&events).len(), 1);
    assert_eq!(
        typed::<pb::EventOrderCompleted>(&events)[0].result_hash,
        vec![4; 32]
    );
    assert_eq!(order_state(&s, o), pb::OrderState::Completed as i32);
    // Lease 1 ran 15 blocks at 8 (take 2): 118 to provider 1; lease 3's 103 unwithdrawn went
    // back to the escrow; the bid deposits returned at completion.
    assert_eq!(bal(&s, 1), p1 + 118 + BID_DEPOSIT);
    assert_eq!(bal(&s, 3), p3 + BID_DEPOSIT);
    assert_eq!(stake(&s, 3), STAKE - slash);
    assert!(s.get_provider(&addr(3)).unwrap().unwrap().jailed);
    // The silent referee: its deposit forfeited to the pool, no fee.
    assert_eq!((bal(&s, 2), stake(&s, 2)), (p2, STAKE - deposit));
    assert_eq!(pool(&s), 4 + deposit);
    // The requester paid lease 1 (120) and lease 3's take (2), and got the slash.
    assert_eq!(bal(&s, 5), owner0 + 1_000 - 122 + slash);
    let l = leases_of(&s, o);
    assert_eq!(l[0].state, pb::LeaseState::Completed as i32);
    assert_eq!(l[1].state, pb::LeaseState::Slashed as i32);
    let audit = audits(&s, o).last().unwrap().clone();
    assert_eq!(audit.state, pb::AuditState::Resolved as i32);
    assert_eq!(audit.checkpoint_hash, vec![4; 32]);
    round_trips(&s);

    // The same outcome told again, or an expiry, changes nothing.
    let before = export_all(&s);
    assert!(attested(&mut s, h + 3, &settled(&job, [4; 32])).is_empty());
    assert!(attested(&mut s, h + 3, &expired(&job)).is_empty());
    assert_eq!(export_all(&s), before);
}

#[test]
fn an_attested_hash_that_nobody_claimed_slashes_both() {
    let mut s = store();
    let (o, _, job, h, [_, _, _, owner0]) = attesting(&mut s);
    let events = attested(&mut s, h + 1, &settled(&job, [9; 32]));
    assert_eq!(typed::<pb::EventProviderSlashed>(&events).len(), 2);
    assert_eq!(order_state(&s, o), pb::OrderState::Closed as i32);
    for u in [1, 3] {
        assert!(s.get_provider(&addr(u)).unwrap().unwrap().jailed);
        assert_eq!(stake(&s, u), STAKE - STAKE / 10);
    }
    // Both leases' unwithdrawn came back: the owner paid the takes (2 + 2) only.
    assert_eq!(bal(&s, 5), owner0 + 1_000 - 4 + 2 * (STAKE / 10));
    round_trips(&s);
}

#[test]
fn an_expired_attestation_abandons_the_dispute_and_refunds_the_escrow() {
    let mut s = store();
    let (o, _, job, h, [_, _, _, owner0]) = attesting(&mut s);
    let deposit = Params::default().audit_deposit.amount;
    let events = attested(&mut s, h + 100, &expired(&job));
    assert_eq!(typed::<pb::EventOrderClosed>(&events).len(), 1);
    assert_eq!(order_state(&s, o), pb::OrderState::Closed as i32);
    // As the abandonment without attestation: 15 blocks of both leases (120 + 105) paid.
    assert_eq!(bal(&s, 5), owner0 + 1_000 - 225);
    for l in leases_of(&s, o) {
        assert_eq!(l.state, pb::LeaseState::Closed as i32);
    }
    assert_eq!(pool(&s), 4 + deposit);
    // A late settlement is ignored.
    assert!(attested(&mut s, h + 101, &settled(&job, [4; 32])).is_empty());
    assert_eq!(order_state(&s, o), pb::OrderState::Closed as i32);
    round_trips(&s);
}

#[test]
fn a_refused_attestation_abandons_the_dispute_at_once() {
    let mut s = store();
    enable_attest(
        &mut s,
        deai_attest::Params {
            max_pending_jobs: 1,
            ..deai_attest::Params::default()
        },
    );
    // Another market holds the only slot.
    in_ctx(&mut s, 2, |ctx| {
        deai_attest::request(ctx, apb::JobKind::TaskCode, "task", 1, b"{}".to_vec()).unwrap();
    });
    let (o, _, events, _, [_, _, _, owner0]) = unanswered(&mut s);
    let ev = &typed::<pb::EventAuditAttestation>(&events)[0];
    assert_eq!(ev.job_id, 0);
    assert!(ev.error.contains("pending"), "{}", ev.error);
    assert_eq!(audits(&s, o).last().unwrap().attest_job_id, 0);
    assert_eq!(order_state(&s, o), pb::OrderState::Closed as i32);
    assert_eq!(bal(&s, 5), owner0 + 1_000 - 225);
    round_trips(&s);
}
