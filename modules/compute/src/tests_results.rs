//! Results: every rejection code, `none` / redundant-agree / redundant-disagree with every
//! balance reconciled to the unit, leases that run out without a result, the Results query
//! and the genesis round trip.

use deai_bank::BankRead;
use deai_framework::{MemStore, TxError};
use deai_proto::compute::v1 as pb;

use crate::tests::*;
use crate::tests_bids::*;
use crate::tests_leases::{leases_of, typed};
use crate::tests_orders::create_order_msg;
use crate::*;

/// Providers 1 and 3 lease an order of user 5 (`deposit`, `mode`) at height 15 at prices 8
/// and 7; provider 2's bid at 9 loses. Returns (order, [lease of 1, lease of 3]).
fn leased(s: &mut MemStore, mode: pb::VerificationMode, deposit: u128) -> (u64, [u64; 2]) {
    for u in [1, 2, 3] {
        matching_provider(s, u);
    }
    let mut m = create_order_msg(5, deposit);
    m.verification = Some(pb::Verification {
        mode: mode as i32,
        // A rate that practically never draws an audit (see tests_audits for audits).
        spot_check_rate: if mode == pb::VerificationMode::SpotCheck {
            "0.000000000000000001".into()
        } else {
            String::new()
        },
    });
    let o = typed::<pb::EventOrderCreated>(&exec(s, m).unwrap())[0].order_id;
    exec(s, bid_msg(1, o, 8)).unwrap();
    exec(s, bid_msg(2, o, 9)).unwrap();
    exec(s, bid_msg(3, o, 7)).unwrap();
    end_block_at(s, 15);
    let l = leases_of(s, o);
    assert_eq!(l.len(), 2);
    (o, [l[0].id, l[1].id])
}

pub(crate) fn result_msg(u: u8, lease_id: u64, hash: u8) -> pb::MsgSubmitResult {
    pb::MsgSubmitResult {
        provider: addr(u).to_bech32(),
        lease_id,
        result_hash: vec![hash; 32],
        weights_sha256: vec![hash ^ 0x55; 32],
        checkpoint_hashes: vec![vec![1; 32], vec![hash; 32], vec![hash; 32]],
        artifact_uri: format!("https://p{u}.example/artifacts/{lease_id}"),
    }
}

fn submit(
    s: &mut MemStore,
    h: u64,
    m: pb::MsgSubmitResult,
) -> Result<Vec<deai_framework::Event>, TxError> {
    exec_at(s, h, m)
}

fn bal(s: &MemStore, u: u8) -> u128 {
    s.balance(&addr(u), "udeai").unwrap()
}

fn pool(s: &MemStore) -> u128 {
    s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

fn order_of(s: &MemStore, o: u64) -> pb::Order {
    s.get_order(o).unwrap().unwrap()
}

fn results(s: &MemStore, o: u64) -> Vec<pb::Result> {
    let r: pb::QueryResultsResponse = query(
        s,
        "/deai.compute.v1.Query/Results",
        pb::QueryResultsRequest {
            order_id: o,
            pagination: None,
        },
    )
    .unwrap();
    r.results
}

fn round_trips(s: &MemStore) {
    assert_reconciles(s);
    let app = export_all(s);
    assert_eq!(export_all(&init_all(&app)), app);
}

#[test]
fn every_rejection_has_its_code() {
    let mut s = store();
    let (o, [l1, l3]) = leased(&mut s, pb::VerificationMode::Redundant, 5_000);
    let err = |s: &mut MemStore, m| code(submit(s, 20, m));
    assert_eq!(err(&mut s, result_msg(2, l1, 1)), compute(ERR_NOT_LESSEE));
    assert_eq!(
        err(&mut s, result_msg(1, 99, 1)),
        compute(ERR_LEASE_NOT_FOUND)
    );
    for (field, len) in [(0, 31), (1, 33), (2, 0)] {
        let mut m = result_msg(1, l1, 1);
        match field {
            0 => m.result_hash = vec![1; len],
            1 => m.weights_sha256 = vec![1; len],
            _ => m.checkpoint_hashes[1] = vec![1; len],
        }
        assert_eq!(err(&mut s, m), compute(ERR_BAD_RESULT_HASH));
    }
    let mut m = result_msg(1, l1, 1);
    m.checkpoint_hashes = vec![vec![1; 32]; MAX_CHECKPOINTS as usize + 1];
    assert_eq!(err(&mut s, m), compute(ERR_TOO_MANY_CHECKPOINTS));
    for uri in [
        "ftp://x.example/a",
        "https://",
        "https://a b",
        &format!("https://{}", "a".repeat(300)),
    ] {
        let mut m = result_msg(1, l1, 1);
        m.artifact_uri = uri.to_string();
        assert_eq!(err(&mut s, m), compute(ERR_INVALID_ARTIFACT_URI));
    }
    // params.max_checkpoints lowered to 2: three checkpoints are too many.
    let mut p = Params::default().to_proto();
    p.max_checkpoints = 2;
    exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p),
        },
    )
    .unwrap();
    assert_eq!(
        err(&mut s, result_msg(1, l1, 1)),
        compute(ERR_TOO_MANY_CHECKPOINTS)
    );
    let mut m = result_msg(1, l1, 1);
    m.checkpoint_hashes.truncate(2);
    submit(&mut s, 20, m.clone()).unwrap();
    assert_eq!(err(&mut s, m), compute(ERR_DUPLICATE_RESULT));
    // The lease runs out at 15 + 100: no result is taken then.
    let mut m = result_msg(3, l3, 1);
    m.checkpoint_hashes.truncate(2);
    assert_eq!(
        code(submit(&mut s, 115, m.clone())),
        compute(ERR_LEASE_EXPIRED)
    );
    // Agreeing results complete the order; its leases are no longer active.
    submit(&mut s, 114, m.clone()).unwrap();
    assert_eq!(order_of(&s, o).state, pb::OrderState::Completed as i32);
    assert_eq!(code(submit(&mut s, 114, m)), compute(ERR_LEASE_NOT_ACTIVE));
    round_trips(&s);
}

#[test]
fn none_completes_on_the_first_result_to_the_unit() {
    let mut s = store();
    let owner0 = bal(&s, 5);
    let (o, [l1, l3]) = leased(&mut s, pb::VerificationMode::None, 1_000);
    let (p1, p3) = (bal(&s, 1), bal(&s, 3));
    let events = submit(&mut s, 25, result_msg(3, l3, 7)).unwrap();
    assert_eq!(typed::<pb::EventResultSubmitted>(&events)[0].lease_id, l3);
    assert_eq!(typed::<pb::EventLeaseCompleted>(&events).len(), 2);
    let done = typed::<pb::EventOrderCompleted>(&events);
    assert_eq!(done[0].result_hash, vec![7; 32]);
    // Ten blocks each: 80 and 70, take 1 each; both bid deposits come back.
    assert_eq!(bal(&s, 1), p1 + 79 + BID_DEPOSIT);
    assert_eq!(bal(&s, 3), p3 + 69 + BID_DEPOSIT);
    assert_eq!(pool(&s), 2);
    assert_eq!(bal(&s, 5), owner0 - 150);
    let order = order_of(&s, o);
    assert_eq!(order.state, pb::OrderState::Completed as i32);
    assert_eq!(order.result_hash, vec![7; 32]);
    let e = s.get_escrow(o).unwrap().unwrap();
    assert_eq!(e.balance, Some(coin(0, "udeai")));
    assert_eq!(e.transferred, Some(coin(150, "udeai")));
    assert_eq!(e.state, pb::EscrowState::Closed as i32);
    for l in leases_of(&s, o) {
        assert_eq!(l.state, pb::LeaseState::Completed as i32);
        assert_eq!(l.closed_at, 25);
    }
    for u in [1, 3] {
        let p = s.get_provider(&addr(u)).unwrap().unwrap();
        assert_eq!(p.active_leases, 0);
        assert_eq!(p.in_use.unwrap_or_default(), pb::Resources::default());
    }
    assert_eq!(
        code(submit(&mut s, 26, result_msg(1, l1, 7))),
        compute(ERR_LEASE_NOT_ACTIVE)
    );
    assert_eq!(results(&s, o).len(), 1);
    round_trips(&s);
}

#[test]
fn agreeing_redundant_results_complete_to_the_unit() {
    for mode in [
        pb::VerificationMode::Redundant,
        pb::VerificationMode::SpotCheck,
    ] {
        let mut s = store();
        let owner0 = bal(&s, 5);
        let (o, [l1, l3]) = leased(&mut s, mode, 1_000);
        let (p1, p3) = (bal(&s, 1), bal(&s, 3));
        submit(&mut s, 25, result_msg(1, l1, 4)).unwrap();
        assert_eq!(order_of(&s, o).state, pb::OrderState::Leased as i32);
        round_trips(&s);
        let events = submit(&mut s, 30, result_msg(3, l3, 4)).unwrap();
        assert_eq!(typed::<pb::EventOrderCompleted>(&events).len(), 1);
        // 15 blocks, settled at 25 and 30: 120 (takes 1 then 1: floor(2.4) in all) and 105
        // (1 then 1: floor(2.1)).
        assert_eq!(bal(&s, 1), p1 + 118 + BID_DEPOSIT);
        assert_eq!(bal(&s, 3), p3 + 103 + BID_DEPOSIT);
        assert_eq!(pool(&s), 4);
        assert_eq!(bal(&s, 5), owner0 - 225);
        assert_eq!(order_of(&s, o).result_hash, vec![4; 32]);
        let r = results(&s, o);
        assert_eq!(
            r.iter().map(|r| r.lease_id).collect::<Vec<_>>(),
            vec![l1, l3]
        );
        assert_eq!(r[1].submitted_at, 30);
        round_trips(&s);
    }
}

#[test]
fn disagreeing_results_dispute_and_hold_the_escrow() {
    let mut s = store();
    let owner0 = bal(&s, 5);
    let (o, [l1, l3]) = leased(&mut s, pb::VerificationMode::Redundant, 1_000);
    let (p1, p3) = (bal(&s, 1), bal(&s, 3));
    submit(&mut s, 25, result_msg(1, l1, 4)).unwrap();
    let events = submit(&mut s, 30, result_msg(3, l3, 6)).unwrap();
    // Checkpoint 0 agrees, checkpoint 1 differs: segment 0 (0 -> 1) is audited.
    let d = typed::<pb::EventOrderDisputed>(&events);
    assert_eq!((d[0].order_id, d[0].segment), (o, 0));
    assert_eq!(order_of(&s, o).state, pb::OrderState::Disputed as i32);
    let held = s.get_escrow(o).unwrap().unwrap();
    assert_eq!(held.balance, Some(coin(775, "udeai")));
    // Nothing accrues any more; the owner cannot close it; earnings so far can be withdrawn.
    let close = pb::MsgCloseOrder {
        owner: addr(5).to_bech32(),
        order_id: o,
    };
    assert_eq!(
        code(exec_at(&mut s, 60, close)),
        compute(ERR_ORDER_DISPUTED)
    );
    exec_at(
        &mut s,
        60,
        pb::MsgWithdrawLease {
            provider: addr(1).to_bech32(),
            lease_id: l1,
        },
    )
    .unwrap();
    assert_eq!(bal(&s, 1), p1 + 118);
    assert_eq!(bal(&s, 3), p3);
    assert_eq!(pool(&s), 4);
    assert_eq!(bal(&s, 5), owner0 - 1_000);
    assert_eq!(s.get_escrow(o).unwrap().unwrap().balance, held.balance);
    for l in leases_of(&s, o) {
        assert_eq!(l.state, pb::LeaseState::Active as i32);
        assert_eq!(l.settled_at, 30);
    }
    assert_eq!(
        code(submit(&mut s, 61, result_msg(3, l3, 4))),
        compute(ERR_DUPLICATE_RESULT)
    );
    round_trips(&s);
}

#[test]
fn leases_without_a_result_end_when_touched_after_max_blocks() {
    // Neither lease has a result: both end closed, settled through block 115; the rest is
    // refunded.
    let mut s = store();
    let owner0 = bal(&s, 5);
    let (o, [l1, _]) = leased(&mut s, pb::VerificationMode::Redundant, 5_000);
    let (p1, p3) = (bal(&s, 1), bal(&s, 3));
    let w = pb::MsgWithdrawLease {
        provider: addr(1).to_bech32(),
        lease_id: l1,
    };
    exec_at(&mut s, 130, w).unwrap();
    // 100 blocks each: 800 (take 16) and 700 (take 14).
    assert_eq!(bal(&s, 1), p1 + 784 + BID_DEPOSIT);
    assert_eq!(bal(&s, 3), p3 + 686 + BID_DEPOSIT);
    assert_eq!(pool(&s), 30);
    assert_eq!(bal(&s, 5), owner0 - 1_500);
    assert_eq!(order_of(&s, o).state, pb::OrderState::Closed as i32);
    for l in leases_of(&s, o) {
        assert_eq!(l.state, pb::LeaseState::Closed as i32);
        assert_eq!(l.settled_at, 115);
    }
    round_trips(&s);

    // One lease has a result, the other runs out: the order completes on the one left.
    let mut s = store();
    let owner0 = bal(&s, 5);
    let (o, [l1, l3]) = leased(&mut s, pb::VerificationMode::Redundant, 5_000);
    let (p1, p3) = (bal(&s, 1), bal(&s, 3));
    submit(&mut s, 25, result_msg(1, l1, 4)).unwrap();
    let w = pb::MsgWithdrawLease {
        provider: addr(3).to_bech32(),
        lease_id: l3,
    };
    // Provider 3 touches its run-out lease: it ends closed (paid out), and the order
    // completes on the one result left; the owner can no longer close it.
    exec_at(&mut s, 120, w.clone()).unwrap();
    assert_eq!(code(exec_at(&mut s, 121, w)), compute(ERR_LEASE_NOT_ACTIVE));
    let close = pb::MsgCloseOrder {
        owner: addr(5).to_bech32(),
        order_id: o,
    };
    assert_eq!(code(exec_at(&mut s, 121, close)), compute(ERR_ORDER_CLOSED));
    let order = order_of(&s, o);
    assert_eq!(order.state, pb::OrderState::Completed as i32);
    assert_eq!(order.result_hash, vec![4; 32]);
    let l = leases_of(&s, o);
    assert_eq!(l[0].state, pb::LeaseState::Completed as i32);
    assert_eq!(l[1].state, pb::LeaseState::Closed as i32);
    // Lease 1: 800 (take 1 at 25, 15 at 120: floor(16) in all); lease 3: 700 (1 + 13).
    assert_eq!(bal(&s, 1), p1 + 784 + BID_DEPOSIT);
    assert_eq!(bal(&s, 3), p3 + 686 + BID_DEPOSIT);
    assert_eq!(pool(&s), 30);
    assert_eq!(bal(&s, 5), owner0 - 1_500);
    round_trips(&s);
}

#[test]
fn genesis_checks_results() {
    let mut s = store();
    let (_, [l1, _]) = leased(&mut s, pb::VerificationMode::Redundant, 1_000);
    submit(&mut s, 20, result_msg(1, l1, 4)).unwrap();
    let app = export_all(&s);
    assert_eq!(app["compute"]["results"].as_array().unwrap().len(), 1);
    assert_eq!(export_all(&init_all(&app)), app);
    for (field, value) in [
        ("lease_id", serde_json::json!("99")),
        ("provider", serde_json::json!(addr(3).to_bech32())),
        ("artifact_uri", serde_json::json!("ftp://x")),
        ("result_hash", serde_json::json!("AAAA")),
    ] {
        let mut bad = app.clone();
        bad["compute"]["results"][0][field] = value;
        let mut fresh = MemStore::new();
        let ok: Vec<_> = modules()
            .iter()
            .map(|m| m.init_genesis(&mut fresh, &bad[m.name()]).is_ok())
            .collect();
        assert_eq!(ok, vec![true, true, false], "{field}");
    }
}
