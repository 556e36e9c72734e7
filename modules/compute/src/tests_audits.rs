//! Audits: a dispute refereed and the liar slashed and jailed, every MsgSubmitAudit
//! rejection, expiry with the deposit forfeited and the audit reassigned, abandonment, spot
//! checks that pass and that catch everyone, all reconciled to the unit.

use deai_bank::BankRead;
use deai_framework::{Event, MemStore, TxError};
use deai_proto::compute::v1 as pb;

use crate::tests::*;
use crate::tests_bids::*;
use crate::tests_leases::{leases_of, typed};
use crate::tests_orders::create_order_msg;
use crate::*;

pub(crate) const STAKE: u128 = 10_000_000;
pub(crate) fn run<P: prost::Message + prost::Name>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_at(s, height, p)
}

pub(crate) fn end_block(s: &mut MemStore, height: u64) -> Vec<Event> {
    end_block_at(s, height)
}

pub(crate) fn verifier(s: &mut MemStore, u: u8) {
    let mut m = create_provider_msg(u, STAKE);
    m.attributes.push(attr(VERIFIER_ATTRIBUTE, "true"));
    exec(s, m).unwrap();
}

pub(crate) fn bal(s: &MemStore, u: u8) -> u128 {
    s.balance(&addr(u), "udeai").unwrap()
}

pub(crate) fn pool(s: &MemStore) -> u128 {
    s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

pub(crate) fn stake(s: &MemStore, u: u8) -> u128 {
    let p = s.get_provider(&addr(u)).unwrap().unwrap();
    p.stake.unwrap().amount.parse().unwrap()
}

pub(crate) fn round_trips(s: &MemStore) {
    assert_reconciles(s);
    let app = export_all(s);
    assert_eq!(export_all(&init_all(&app)), app);
}

/// A result whose checkpoints are [0, c1, c2] with `c1 = c2 = head`.
pub(crate) fn result(u: u8, lease_id: u64, head: u8) -> pb::MsgSubmitResult {
    pb::MsgSubmitResult {
        provider: addr(u).to_bech32(),
        lease_id,
        result_hash: vec![head; 32],
        weights_sha256: vec![head; 32],
        checkpoint_hashes: vec![vec![1; 32], vec![head; 32], vec![head; 32]],
        artifact_uri: format!("http://127.0.0.1:90{u}/blobs/{lease_id}"),
    }
}

pub(crate) fn audit_msg(u: u8, order_id: u64, segment: u32, answer: &[u8]) -> pb::MsgSubmitAudit {
    pb::MsgSubmitAudit {
        verifier: addr(u).to_bech32(),
        order_id,
        segment,
        checkpoint_hash: answer.to_vec(),
    }
}

/// Providers 1 and 3 lease an order of user 5 (deposit 1000, prices 8 and 7) at height 15;
/// provider 2 (a verifier too) loses its bid at 9.
pub(crate) fn leased(s: &mut MemStore, mode: pb::VerificationMode, rate: &str) -> (u64, [u64; 2]) {
    for u in [1, 3] {
        matching_provider(s, u);
    }
    let mut m = create_provider_msg(2, STAKE);
    m.attributes.push(attr(VERIFIER_ATTRIBUTE, "true"));
    exec(s, m).unwrap();
    sign(s, 7, 2);
    let mut m = create_order_msg(5, 1_000);
    m.verification = Some(pb::Verification {
        mode: mode as i32,
        spot_check_rate: rate.into(),
    });
    let o = typed::<pb::EventOrderCreated>(&exec(s, m).unwrap())[0].order_id;
    exec(s, bid_msg(1, o, 8)).unwrap();
    exec(s, bid_msg(2, o, 9)).unwrap();
    exec(s, bid_msg(3, o, 7)).unwrap();
    end_block(s, 15);
    let l = leases_of(s, o);
    (o, [l[0].id, l[1].id])
}

pub(crate) fn audits(s: &MemStore, order_id: u64) -> Vec<pb::Audit> {
    let r: pb::QueryAuditsResponse = query(
        s,
        "/deai.compute.v1.Query/Audits",
        pb::QueryAuditsRequest {
            order_id,
            ..Default::default()
        },
    )
    .unwrap();
    r.audits
}

#[test]
fn a_liar_is_caught_slashed_and_jailed_and_every_unit_adds_up() {
    let mut s = store();
    let (o, [l1, l3]) = leased(&mut s, pb::VerificationMode::Redundant, "");
    let owner0 = bal(&s, 5);
    let (p1, p3, p2) = (bal(&s, 1), bal(&s, 3), bal(&s, 2));
    run(&mut s, 25, result(1, l1, 4)).unwrap();
    let events = run(&mut s, 30, result(3, l3, 6)).unwrap();
    // They part at checkpoint 1: segment 0 is audited, from the agreed checkpoint 0.
    let assigned = typed::<pb::EventAuditAssigned>(&events);
    assert_eq!(assigned.len(), 1);
    let a = &assigned[0];
    // Provider 2 is the only verifier outside the lease set.
    assert_eq!(
        (a.order_id, a.segment, a.verifier.as_str()),
        (o, 0, addr(2).to_bech32().as_str())
    );
    assert_eq!(a.deadline, 30 + Params::default().audit_window);
    let deposit = Params::default().audit_deposit.amount;
    assert_eq!(stake(&s, 2), STAKE - deposit);
    let stored = &audits(&s, o)[0];
    assert_eq!(stored.start_checkpoint_hash, vec![1; 32]);
    assert_eq!(stored.lease_ids, vec![l1, l3]);
    round_trips(&s);

    // Rejections, each by its code.
    let err = |s: &mut MemStore, m| code(run(s, 31, m));
    assert_eq!(
        err(&mut s, audit_msg(4, o, 0, &[4; 32])),
        compute(ERR_NOT_ASSIGNED_VERIFIER)
    );
    assert_eq!(
        err(&mut s, audit_msg(2, o, 1, &[4; 32])),
        compute(ERR_AUDIT_SEGMENT_MISMATCH)
    );
    assert_eq!(
        err(&mut s, audit_msg(2, o, 0, &[4; 31])),
        compute(ERR_BAD_RESULT_HASH)
    );
    assert_eq!(
        err(&mut s, audit_msg(2, 99, 0, &[4; 32])),
        compute(ERR_ORDER_NOT_FOUND)
    );

    // The referee's replay gives checkpoint 1 = [4; 32]: provider 3 lied.
    let events = run(&mut s, 32, audit_msg(2, o, 0, &[4; 32])).unwrap();
    let resolved = &typed::<pb::EventAuditResolved>(&events)[0];
    assert_eq!(
        (
            resolved.honest_lease_ids.clone(),
            resolved.faulty_lease_ids.clone()
        ),
        (vec![l1], vec![l3])
    );
    let fee = Params::default().verifier_fee.amount;
    let slash = STAKE / 10;
    let slashed = &typed::<pb::EventProviderSlashed>(&events)[0];
    assert_eq!(slashed.provider, addr(3).to_bech32());
    assert_eq!(slashed.to_victim, Some(coin(slash, "udeai")));
    assert_eq!(typed::<pb::EventProviderJailed>(&events).len(), 1);
    assert_eq!(typed::<pb::EventLeaseSlashed>(&events)[0].lease_id, l3);
    assert_eq!(
        typed::<pb::EventOrderCompleted>(&events)[0].result_hash,
        vec![4; 32]
    );

    // Lease 1 ran 15 blocks at 8 (take floor(2.4) = 2): 118 to provider 1; lease 3 ran 15
    // blocks at 7 (take 2): its 103 unwithdrawn went back to the escrow.
    assert_eq!(bal(&s, 1), p1 + 118 + BID_DEPOSIT);
    assert_eq!(bal(&s, 3), p3 + BID_DEPOSIT);
    assert_eq!(stake(&s, 3), STAKE - slash);
    assert!(s.get_provider(&addr(3)).unwrap().unwrap().jailed);
    // The referee: its deposit back in its stake, and the fee (the escrow holds 1000 - 225).
    assert_eq!(stake(&s, 2), STAKE);
    assert_eq!(bal(&s, 2), p2 + (775 + 103).min(fee));
    assert_eq!(pool(&s), 4);
    // The requester paid 120 (lease 1) + the take of lease 3 + the fee, and got the slash.
    let paid = 120 + 2 + (775 + 103).min(fee);
    assert_eq!(bal(&s, 5), owner0 + 1_000 - paid + slash);
    let l = leases_of(&s, o);
    assert_eq!(l[1].state, pb::LeaseState::Slashed as i32);
    assert_eq!(l[0].state, pb::LeaseState::Completed as i32);
    let audit = &audits(&s, o)[0];
    assert_eq!(audit.state, pb::AuditState::Resolved as i32);
    assert_eq!(audit.checkpoint_hash, vec![4; 32]);
    round_trips(&s);

    // A jailed provider can no longer bid, take audits or leave with its stake.
    let o2 = order(&mut s, 1_000);
    assert_eq!(
        code(exec(&mut s, bid_msg(3, o2, 5))),
        compute(ERR_PROVIDER_JAILED)
    );
    let del = pb::MsgDeleteProvider {
        owner: addr(3).to_bech32(),
    };
    assert_eq!(code(exec(&mut s, del)), compute(ERR_PROVIDER_JAILED));
    assert_eq!(
        code(run(&mut s, 40, audit_msg(2, o, 0, &[4; 32]))),
        compute(ERR_NO_PENDING_AUDIT)
    );
}

#[test]
fn a_silent_referee_forfeits_its_deposit_and_the_audit_moves_on_then_is_abandoned() {
    let mut s = store();
    verifier(&mut s, 4);
    let (o, [l1, l3]) = leased(&mut s, pb::VerificationMode::Redundant, "");
    let owner0 = bal(&s, 5);
    run(&mut s, 25, result(1, l1, 4)).unwrap();
    run(&mut s, 30, result(3, l3, 6)).unwrap();
    let first = audits(&s, o)[0].clone();
    let window = Params::default().audit_window;
    let deposit = Params::default().audit_deposit.amount;
    let other = if first.verifier == addr(2).to_bech32() {
        4
    } else {
        2
    };
    let first_u = if other == 4 { 2 } else { 4 };
    // Nothing happens before the deadline.
    assert!(end_block(&mut s, first.deadline - 1).is_empty());
    let events = end_block(&mut s, first.deadline);
    let expired = &typed::<pb::EventAuditExpired>(&events)[0];
    assert_eq!(expired.forfeited, Some(coin(deposit, "udeai")));
    assert_eq!(pool(&s), 4 + deposit);
    assert_eq!(stake(&s, first_u), STAKE - deposit);
    let again = &typed::<pb::EventAuditAssigned>(&events)[0];
    assert_eq!(again.verifier, addr(other).to_bech32());
    // The expired referee can no longer answer.
    assert_eq!(
        code(run(
            &mut s,
            first.deadline + 1,
            audit_msg(first_u, o, 0, &[4; 32])
        )),
        compute(ERR_NOT_ASSIGNED_VERIFIER)
    );
    round_trips(&s);
    // Nobody answers: the second referee forfeits too, then no candidate is left, and after
    // MAX_AUDITS_PER_ORDER audits the order closes and the escrow is refunded.
    let mut h = first.deadline;
    for _ in 1..MAX_AUDITS_PER_ORDER {
        h += window;
        end_block(&mut s, h);
    }
    let all = audits(&s, o);
    assert_eq!(all.len(), MAX_AUDITS_PER_ORDER as usize);
    assert!(all
        .iter()
        .all(|a| a.state == pb::AuditState::Expired as i32));
    assert!(all[2..].iter().all(|a| a.verifier.is_empty()));
    assert_eq!(
        s.get_order(o).unwrap().unwrap().state,
        pb::OrderState::Closed as i32
    );
    assert_eq!(pool(&s), 4 + 2 * deposit);
    // The owner paid for 15 blocks of both leases (120 + 105), and nothing else.
    assert_eq!(bal(&s, 5), owner0 + 1_000 - 225);
    for l in leases_of(&s, o) {
        assert_eq!(l.state, pb::LeaseState::Closed as i32);
    }
    round_trips(&s);
}

#[test]
fn spot_checks_pass_honest_results_and_catch_a_shared_lie() {
    for (answer, honest) in [([4u8; 32], true), ([9u8; 32], false)] {
        let mut s = store();
        let (o, [l1, l3]) = leased(&mut s, pb::VerificationMode::SpotCheck, "1");
        let owner0 = bal(&s, 5);
        run(&mut s, 25, result(1, l1, 4)).unwrap();
        let events = run(&mut s, 30, result(3, l3, 4)).unwrap();
        // Rate 1: always audited; one of the two segments of three checkpoints.
        let a = &typed::<pb::EventAuditAssigned>(&events)[0];
        assert!(a.segment < 2);
        assert_eq!(a.reason, pb::AuditReason::SpotCheck as i32);
        let seg = a.segment;
        let fee = Params::default().verifier_fee.amount;
        run(&mut s, 31, audit_msg(2, o, seg, &answer)).unwrap();
        let order = s.get_order(o).unwrap().unwrap();
        if honest {
            assert_eq!(order.state, pb::OrderState::Completed as i32);
            assert_eq!(bal(&s, 5), owner0 + 1_000 - 225 - fee.min(775));
        } else {
            assert_eq!(order.state, pb::OrderState::Closed as i32);
            for u in [1, 3] {
                assert!(s.get_provider(&addr(u)).unwrap().unwrap().jailed);
            }
            // Both leases' unwithdrawn (118 + 103) came back; the owner paid the takes (2 + 2)
            // and the fee, and received both slashes.
            let fee = fee.min(775 + 221);
            assert_eq!(bal(&s, 5), owner0 + 1_000 - 4 - fee + 2 * (STAKE / 10));
        }
        round_trips(&s);
    }
}

#[test]
fn an_audit_waits_for_a_referee_and_results_must_end_at_their_chain_head() {
    let mut s = store();
    for u in [1, 3] {
        matching_provider(&mut s, u);
    }
    let mut m = create_order_msg(5, 1_000);
    m.verification = Some(pb::Verification {
        mode: pb::VerificationMode::Redundant as i32,
        spot_check_rate: String::new(),
    });
    let o = typed::<pb::EventOrderCreated>(&exec(&mut s, m).unwrap())[0].order_id;
    exec(&mut s, bid_msg(1, o, 8)).unwrap();
    exec(&mut s, bid_msg(3, o, 7)).unwrap();
    end_block(&mut s, 15);
    let l = leases_of(&s, o);
    let mut bad = result(1, l[0].id, 4);
    bad.result_hash = vec![5; 32];
    assert_eq!(
        code(run(&mut s, 20, bad)),
        compute(ERR_RESULT_HASH_NOT_CHAIN_HEAD)
    );
    let mut bad = result(1, l[0].id, 4);
    bad.checkpoint_hashes.clear();
    assert_eq!(code(run(&mut s, 20, bad)), compute(ERR_NO_CHECKPOINTS));
    run(&mut s, 20, result(1, l[0].id, 4)).unwrap();
    run(&mut s, 21, result(3, l[1].id, 6)).unwrap();
    let a = audits(&s, o)[0].clone();
    assert!(a.verifier.is_empty());
    // A verifier joins; at the deadline the audit is drawn again and finds it.
    verifier(&mut s, 4);
    let events = end_block(&mut s, a.deadline);
    assert_eq!(
        typed::<pb::EventAuditAssigned>(&events)[0].verifier,
        addr(4).to_bech32()
    );
    round_trips(&s);
}
