//! One order's life, run message by message from genesis; before each step the state is kept
//! as a case: that message, its height and the state it runs on.
//!
//! Providers P1..P3 and verifiers V1, V2 (20,000,000udeai stake each) are signed by the
//! auditor; the requester's order A (redundancy 2, verification `redundant`, ~2 KiB spec)
//! gets bids from P1, P2, P3, is leased to P1 and P2 at height 12, P1 withdraws at 62, and
//! at 100-101 the two results disagree, which opens an audit refereed by a verifier.

use cosmos_sdk_proto::Any;
use prost::Name;

use deai_compute::{ComputeRead, AUDIT_SEQ, LEASE_SEQ, MAX_SPEC_BYTES};
use deai_framework::MemStore;
use deai_proto::compute::v1 as pb;

use crate::builders::*;
use crate::world::{any, apply, genesis, Actors};

/// A message ready to time: it succeeds on `state` at `height`.
pub struct MsgCase {
    pub name: String,
    /// What the state makes the message do.
    pub case: &'static str,
    pub state: MemStore,
    pub height: u64,
    pub msg: Any,
}

/// The cases, and the state at the end (height 101, order A disputed, its audit pending
/// with its deadline at `AUDIT_DEADLINE`).
pub struct Scenario {
    pub cases: Vec<MsgCase>,
    pub disputed: MemStore,
}

/// The height at which the scenario's audit expires unanswered.
pub const AUDIT_DEADLINE: u64 = 101 + 50;

fn case<P: prost::Message + Name>(
    cases: &mut Vec<MsgCase>,
    s: &MemStore,
    height: u64,
    case: &'static str,
    p: &P,
) {
    let name = P::NAME.trim_start_matches("Msg").to_string();
    cases.push(MsgCase {
        name,
        case,
        state: s.clone(),
        height,
        msg: any(p),
    });
}

/// The id the next record of counter `seq` gets.
fn next(s: &MemStore, seq: &str) -> u64 {
    s.sequence(seq).expect("sequence").max(1)
}

pub fn build() -> Scenario {
    let mut c = Vec::new();
    let (p1, p2, p3) = (
        Actors::provider(1),
        Actors::provider(2),
        Actors::provider(3),
    );
    let requester = Actors::requester().to_bech32();
    let mut s = genesis();

    case(
        &mut c,
        &s,
        2,
        "new provider, stake escrowed",
        &create_provider(&p1, false),
    );
    for p in [&p1, &p2, &p3] {
        apply(&mut s, 2, &create_provider(p, false));
    }
    for v in 1..=2 {
        apply(&mut s, 2, &create_provider(&Actors::verifier(v), true));
    }
    case(
        &mut c,
        &s,
        3,
        "3 attributes, capacity",
        &update_provider(&p1),
    );
    case(&mut c, &s, 3, "2 attributes signed", &sign_attributes(&p1));
    for p in [&p1, &p2, &p3] {
        apply(&mut s, 3, &sign_attributes(p));
    }
    let delete = pb::MsgDeleteProvider {
        owner: p3.to_bech32(),
    };
    case(
        &mut c,
        &s,
        3,
        "no leases, 1 signature, stake refunded",
        &delete,
    );

    let order = create_order(2, 20);
    let a = next(&s, "order");
    case(
        &mut c,
        &s,
        10,
        "2 KiB spec, 1 auditor, redundancy 2",
        &order,
    );
    apply(&mut s, 10, &order);
    case(&mut c, &s, 11, "open order", &deposit_order(a));

    let bids: Vec<u64> = (0..3).map(|i| next(&s, "bid") + i).collect();
    case(
        &mut c,
        &s,
        11,
        "auditor-signed provider",
        &create_bid(&p1, a, 900),
    );
    for (p, price) in [(&p1, 900), (&p2, 950), (&p3, 990)] {
        apply(&mut s, 11, &create_bid(p, a, price));
    }
    let close_bid = pb::MsgCloseBid {
        provider: p3.to_bech32(),
        bid_id: bids[2],
    };
    case(&mut c, &s, 12, "open bid, deposit refunded", &close_bid);

    let lease = pb::MsgCreateLease {
        owner: requester.clone(),
        order_id: a,
        bid_ids: bids[..2].to_vec(),
    };
    let leases = [next(&s, LEASE_SEQ), next(&s, LEASE_SEQ) + 1];
    case(&mut c, &s, 12, "2 winners, 1 bid lost", &lease);
    apply(&mut s, 12, &lease);

    let withdraw = pb::MsgWithdrawLease {
        provider: p1.to_bech32(),
        lease_id: leases[0],
    };
    case(
        &mut c,
        &s,
        62,
        "settles 2 leases × 50 blocks, pays out",
        &withdraw,
    );
    apply(&mut s, 62, &withdraw);
    case(
        &mut c,
        &s,
        90,
        "leased order, settles 2 leases",
        &deposit_order(a),
    );
    let close = pb::MsgCloseOrder {
        owner: requester,
        order_id: a,
    };
    case(
        &mut c,
        &s,
        90,
        "leased: settles and ends 2 leases, refunds",
        &close,
    );

    let honest = submit_result(&p1, leases[0], checkpoints(None));
    case(&mut c, &s, 100, "1st of 2, 20 checkpoints", &honest);
    apply(&mut s, 100, &honest);
    let agreeing = submit_result(&p2, leases[1], checkpoints(None));
    case(
        &mut c,
        &s,
        101,
        "2nd of 2, agrees: order completes",
        &agreeing,
    );
    let faulty = submit_result(&p2, leases[1], checkpoints(Some(12)));
    case(
        &mut c,
        &s,
        101,
        "2nd of 2, disagrees: audit opened",
        &faulty,
    );
    apply(&mut s, 101, &faulty);

    let audit = s
        .get_audit(next(&s, AUDIT_SEQ) - 1)
        .expect("read audit")
        .expect("the disagreement opened an audit");
    assert!(!audit.verifier.is_empty(), "a verifier was drawn");
    assert_eq!(audit.deadline, AUDIT_DEADLINE);
    let answer = checkpoints(None)[audit.segment as usize + 1].clone();
    let verdict = pb::MsgSubmitAudit {
        verifier: audit.verifier.clone(),
        order_id: a,
        segment: audit.segment,
        checkpoint_hash: answer,
    };
    case(
        &mut c,
        &s,
        120,
        "P2 slashed+jailed, order completes",
        &verdict,
    );

    // The largest spec the params allow: bids (and every other update of the order) rewrite it.
    let mut big = s.clone();
    let spec = padded_spec(MAX_SPEC_BYTES as usize);
    assert_eq!(spec.len(), MAX_SPEC_BYTES as usize);
    let b = next(&big, "order");
    case(
        &mut c,
        &big,
        102,
        "16 KiB spec (the max)",
        &create_order_with_spec(2, 20, spec.clone()),
    );
    apply(&mut big, 102, &create_order_with_spec(2, 20, spec));
    case(
        &mut c,
        &big,
        103,
        "order with a 16 KiB spec",
        &create_bid(&p3, b, 900),
    );
    Scenario {
        cases: c,
        disputed: s,
    }
}
