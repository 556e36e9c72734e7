//! Bids: create (every rejection by its code, the order_max_bids boundary), close, refunds,
//! the Bids query and genesis with bids.

use deai_bank::BankRead;
use deai_framework::MemStore;
use deai_proto::compute::v1 as pb;

use crate::tests::*;
use crate::tests_orders::create_order_msg;
use crate::*;

pub(crate) const BID_DEPOSIT: u128 = 1_000_000;
const STAKE: u128 = 10_000_000;

/// A provider offering region=eu and gpu=a100, signed by auditor 7.
pub(crate) fn matching_provider(s: &mut MemStore, u: u8) {
    exec(s, create_provider_msg(u, STAKE)).unwrap();
    sign(s, 7, u);
}

pub(crate) fn sign(s: &mut MemStore, auditor: u8, provider: u8) {
    exec(
        s,
        pb::MsgSignProviderAttributes {
            auditor: addr(auditor).to_bech32(),
            provider: addr(provider).to_bech32(),
            attributes: vec![attr("region", "eu")],
        },
    )
    .unwrap();
}

pub(crate) fn bid_msg(provider: u8, order_id: u64, price: u128) -> pb::MsgCreateBid {
    pb::MsgCreateBid {
        provider: addr(provider).to_bech32(),
        order_id,
        price: Some(coin(price, "udeai")),
        deposit: Some(coin(BID_DEPOSIT, "udeai")),
    }
}

pub(crate) fn bid_id(events: &[deai_framework::Event]) -> u64 {
    let e = events
        .iter()
        .find(|e| e.kind == "deai.compute.v1.EventBidCreated")
        .unwrap();
    deai_framework::parse_typed_event::<pb::EventBidCreated>(e)
        .unwrap()
        .bid_id
}

/// Creates an order of user 5 at height 10 (bid deadline 15) and returns its id.
pub(crate) fn order(s: &mut MemStore, deposit: u128) -> u64 {
    let events = exec(s, create_order_msg(5, deposit)).unwrap();
    let e = events
        .iter()
        .find(|e| e.kind == "deai.compute.v1.EventOrderCreated")
        .unwrap();
    deai_framework::parse_typed_event::<pb::EventOrderCreated>(e)
        .unwrap()
        .order_id
}

pub(crate) fn bids_of(s: &MemStore, order_id: u64) -> Vec<pb::Bid> {
    let r: pb::QueryBidsResponse = query(
        s,
        "/deai.compute.v1.Query/Bids",
        pb::QueryBidsRequest {
            order_id,
            pagination: None,
        },
    )
    .unwrap();
    r.bids
}

pub(crate) fn set_max_bids(s: &mut MemStore, n: u32) {
    let mut p = Params::default().to_proto();
    p.order_max_bids = n;
    exec(
        s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p),
        },
    )
    .unwrap();
}

#[test]
fn bid_lifecycle_escrows_and_refunds_the_deposit() {
    let mut s = store();
    matching_provider(&mut s, 1);
    let o = order(&mut s, 1_000);
    let events = exec(&mut s, bid_msg(1, o, 8)).unwrap();
    assert!(events.iter().any(|e| e.kind == "transfer"));
    let id = bid_id(&events);
    assert_eq!(
        s.balance(&addr(1), "udeai").unwrap(),
        FUNDS - STAKE - BID_DEPOSIT
    );
    assert_reconciles(&s);
    let bids = bids_of(&s, o);
    assert_eq!(bids.len(), 1);
    assert_eq!(bids[0].state, pb::BidState::Open as i32);
    assert_eq!(bids[0].price, Some(coin(8, "udeai")));

    let mut close = pb::MsgCloseBid {
        provider: addr(2).to_bech32(),
        bid_id: id,
    };
    assert_eq!(code(exec(&mut s, close.clone())), compute(ERR_NOT_BIDDER));
    close.provider = addr(1).to_bech32();
    let events = exec(&mut s, close.clone()).unwrap();
    let closed = events
        .iter()
        .find(|e| e.kind == "deai.compute.v1.EventBidClosed")
        .unwrap();
    let closed: pb::EventBidClosed = deai_framework::parse_typed_event(closed).unwrap();
    assert_eq!(closed.refunded, Some(coin(BID_DEPOSIT, "udeai")));
    assert_eq!(closed.state, pb::BidState::Closed as i32);
    assert_eq!(s.balance(&addr(1), "udeai").unwrap(), FUNDS - STAKE);
    assert_reconciles(&s);
    assert_eq!(code(exec(&mut s, close.clone())), compute(ERR_BID_NOT_OPEN));
    close.bid_id = 99;
    assert_eq!(code(exec(&mut s, close)), compute(ERR_BID_NOT_FOUND));
    // Once closed, the provider may bid again; both bids stay listed.
    exec(&mut s, bid_msg(1, o, 9)).unwrap();
    assert_eq!(bids_of(&s, o).len(), 2);
    assert_reconciles(&s);
}

#[test]
fn create_bid_rejections() {
    let mut s = store();
    matching_provider(&mut s, 1);
    let o = order(&mut s, 1_000);
    assert_eq!(
        code(exec(&mut s, bid_msg(1, o, 11))),
        compute(ERR_BID_ABOVE_MAX)
    );
    assert_eq!(
        code(exec(&mut s, bid_msg(1, o, 0))),
        compute(ERR_ZERO_AMOUNT)
    );
    let mut m = bid_msg(1, o, 5);
    m.price = Some(coin(5, "uatom"));
    assert_eq!(code(exec(&mut s, m)), compute(ERR_DENOM_MISMATCH));
    let mut m = bid_msg(1, o, 5);
    m.deposit = Some(coin(BID_DEPOSIT - 1, "udeai"));
    assert_eq!(code(exec(&mut s, m)), compute(ERR_BID_DEPOSIT_TOO_LOW));
    let mut m = bid_msg(1, o, 5);
    m.deposit = Some(coin(BID_DEPOSIT, "uatom"));
    assert_eq!(code(exec(&mut s, m)), compute(ERR_DENOM_MISMATCH));
    assert_eq!(
        code(exec(&mut s, bid_msg(2, o, 5))),
        compute(ERR_PROVIDER_NOT_FOUND)
    );
    assert_eq!(
        code(exec(&mut s, bid_msg(1, 77, 5))),
        compute(ERR_ORDER_NOT_FOUND)
    );
    // Provider 2 offers region=us: the attribute does not match.
    let mut p2 = create_provider_msg(2, STAKE);
    p2.attributes = vec![attr("region", "us")];
    exec(&mut s, p2).unwrap();
    assert_eq!(
        code(exec(&mut s, bid_msg(2, o, 5))),
        compute(ERR_ATTRIBUTE_UNMATCHED)
    );
    // Provider 3 offers it, but no required auditor signed it.
    exec(&mut s, create_provider_msg(3, STAKE)).unwrap();
    assert_eq!(
        code(exec(&mut s, bid_msg(3, o, 5))),
        compute(ERR_AUDITOR_UNMATCHED)
    );
    // A signature by someone the order does not name does not count.
    sign(&mut s, 6, 3);
    assert_eq!(
        code(exec(&mut s, bid_msg(3, o, 5))),
        compute(ERR_AUDITOR_UNMATCHED)
    );
    // All-of: one signature of two is not enough; both are.
    let mut all_of = create_order_msg(5, 1_000);
    all_of.auditors = Some(pb::AuditorRequirement {
        auditors: vec![addr(7).to_bech32(), addr(8).to_bech32()],
        r#match: pb::AuditorMatch::AllOf as i32,
    });
    let ev = exec(&mut s, all_of).unwrap();
    let all_of_id = deai_framework::parse_typed_event::<pb::EventOrderCreated>(
        ev.iter()
            .find(|e| e.kind == "deai.compute.v1.EventOrderCreated")
            .unwrap(),
    )
    .unwrap()
    .order_id;
    assert_eq!(
        code(exec(&mut s, bid_msg(1, all_of_id, 5))),
        compute(ERR_AUDITOR_UNMATCHED)
    );
    sign(&mut s, 8, 1);
    exec(&mut s, bid_msg(1, all_of_id, 5)).unwrap();
    // No capacity: the order needs more CPU than the provider has.
    let mut big = create_order_msg(5, 1_000);
    big.resources = Some(pb::Resources {
        cpu_millis: 8001,
        ..Default::default()
    });
    let ev = exec(&mut s, big).unwrap();
    let big_id = deai_framework::parse_typed_event::<pb::EventOrderCreated>(
        ev.iter()
            .find(|e| e.kind == "deai.compute.v1.EventOrderCreated")
            .unwrap(),
    )
    .unwrap()
    .order_id;
    assert_eq!(
        code(exec(&mut s, bid_msg(1, big_id, 5))),
        compute(ERR_NO_CAPACITY)
    );
    // Capacity already in use counts.
    let mut p = s.get_provider(&addr(1)).unwrap().unwrap();
    p.in_use = Some(pb::Resources {
        cpu_millis: 7500,
        ..Default::default()
    });
    s.put_provider(&addr(1), &p).unwrap();
    assert_eq!(
        code(exec(&mut s, bid_msg(1, o, 5))),
        compute(ERR_NO_CAPACITY)
    );
    p.in_use = None;
    s.put_provider(&addr(1), &p).unwrap();
    // The bid window: open through the deadline (10 + 5), closed after it.
    assert_eq!(
        code(exec_at(&mut s, 16, bid_msg(1, o, 5))),
        compute(ERR_BID_WINDOW_CLOSED)
    );
    exec_at(&mut s, 15, bid_msg(1, o, 5)).unwrap();
    assert_eq!(
        code(exec(&mut s, bid_msg(1, o, 6))),
        compute(ERR_DUPLICATE_BID)
    );
    // A jailed provider cannot bid.
    p.jailed = true;
    s.put_provider(&addr(1), &p).unwrap();
    assert_eq!(
        code(exec(&mut s, bid_msg(1, big_id, 5))),
        compute(ERR_PROVIDER_JAILED)
    );
    // A closed order takes no bids.
    exec(
        &mut s,
        pb::MsgCloseOrder {
            owner: addr(5).to_bech32(),
            order_id: o,
        },
    )
    .unwrap();
    sign(&mut s, 7, 3);
    assert_eq!(
        code(exec(&mut s, bid_msg(3, o, 5))),
        compute(ERR_ORDER_NOT_OPEN)
    );
    assert_reconciles(&s);
}

#[test]
fn order_max_bids_holds_exactly() {
    let mut s = store();
    set_max_bids(&mut s, 2);
    for u in [1, 2, 3] {
        matching_provider(&mut s, u);
    }
    let o = order(&mut s, 1_000);
    let first = bid_id(&exec(&mut s, bid_msg(1, o, 5)).unwrap());
    exec(&mut s, bid_msg(2, o, 5)).unwrap();
    // The third bid is refused: `>=`, so the limit is never exceeded by one.
    assert_eq!(
        code(exec(&mut s, bid_msg(3, o, 5))),
        compute(ERR_TOO_MANY_BIDS)
    );
    // Closed bids still count toward the limit.
    exec(
        &mut s,
        pb::MsgCloseBid {
            provider: addr(1).to_bech32(),
            bid_id: first,
        },
    )
    .unwrap();
    assert_eq!(
        code(exec(&mut s, bid_msg(3, o, 5))),
        compute(ERR_TOO_MANY_BIDS)
    );
    assert_eq!(bids_of(&s, o).len(), 2);
    assert_eq!(s.get_order(o).unwrap().unwrap().bid_count, 2);
    assert_reconciles(&s);
}

#[test]
fn closing_an_order_refunds_its_open_bids() {
    let mut s = store();
    matching_provider(&mut s, 1);
    matching_provider(&mut s, 2);
    let o = order(&mut s, 1_000);
    exec(&mut s, bid_msg(1, o, 5)).unwrap();
    exec(&mut s, bid_msg(2, o, 6)).unwrap();
    exec(
        &mut s,
        pb::MsgCloseOrder {
            owner: addr(5).to_bech32(),
            order_id: o,
        },
    )
    .unwrap();
    for u in [1, 2] {
        assert_eq!(s.balance(&addr(u), "udeai").unwrap(), FUNDS - STAKE);
    }
    assert_eq!(s.balance(&addr(5), "udeai").unwrap(), FUNDS);
    assert!(bids_of(&s, o)
        .iter()
        .all(|b| b.state == pb::BidState::Closed as i32));
    assert_reconciles(&s);
}

#[test]
fn genesis_round_trips_bids_and_checks_their_deposits() {
    let mut s = store();
    matching_provider(&mut s, 1);
    matching_provider(&mut s, 2);
    let o = order(&mut s, 1_000);
    exec(&mut s, bid_msg(1, o, 5)).unwrap();
    let b2 = bid_id(&exec(&mut s, bid_msg(2, o, 6)).unwrap());
    exec(
        &mut s,
        pb::MsgCloseBid {
            provider: addr(2).to_bech32(),
            bid_id: b2,
        },
    )
    .unwrap();
    let app = export_all(&s);
    assert_eq!(app["compute"]["bids"].as_array().unwrap().len(), 2);
    let again = init_all(&app);
    assert_eq!(export_all(&again), app);
    assert_eq!(bids_of(&again, o).len(), 2);
    // The indexes came back: a duplicate open bid is still refused.
    let mut again = again;
    assert_eq!(
        code(exec(&mut again, bid_msg(1, o, 5))),
        compute(ERR_DUPLICATE_BID)
    );
    // An open bid whose deposit the module account does not hold is refused.
    let mut bad = app.clone();
    bad["compute"]["bids"][0]["deposit"]["amount"] = (BID_DEPOSIT + 1).to_string().into();
    let mut fresh = MemStore::new();
    let ok: Vec<_> = modules()
        .iter()
        .map(|m| m.init_genesis(&mut fresh, &bad[m.name()]).is_ok())
        .collect();
    assert_eq!(ok, vec![true, true, false]);
    // A bid_count that does not match the bids is refused.
    let mut bad = app;
    bad["compute"]["orders"][0]["bid_count"] = 1.into();
    let mut fresh = MemStore::new();
    let ok: Vec<_> = modules()
        .iter()
        .map(|m| m.init_genesis(&mut fresh, &bad[m.name()]).is_ok())
        .collect();
    assert_eq!(ok, vec![true, true, false]);
}

#[test]
fn an_update_drops_signatures_of_attributes_no_longer_offered() {
    let mut s = store();
    matching_provider(&mut s, 1);
    exec(
        &mut s,
        pb::MsgUpdateProvider {
            owner: addr(1).to_bech32(),
            host_uri: "https://p.example".into(),
            attributes: vec![attr("region", "us")],
            capacity: None,
        },
    )
    .unwrap();
    assert!(s.signed_attributes_of(&addr(1)).unwrap().is_empty());
    let app = export_all(&s);
    assert_eq!(export_all(&init_all(&app)), app);
}
