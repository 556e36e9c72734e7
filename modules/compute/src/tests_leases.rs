//! Leases: chosen by the owner (MsgCreateLease, every rejection by its code) or by
//! `end_block` at the bid deadline (cheapest, ties by id, ineligible bids skipped); lost bids
//! refunded; provider use; queries; genesis with leases.

use deai_bank::BankRead;
use deai_framework::{Event, MemStore};
use deai_proto::compute::v1 as pb;

use crate::tests::*;
use crate::tests_bids::*;
use crate::tests_orders::create_order_msg;
use crate::*;

const STAKE: u128 = 10_000_000;

pub(crate) fn lease_msg(owner: u8, order_id: u64, bid_ids: Vec<u64>) -> pb::MsgCreateLease {
    pb::MsgCreateLease {
        owner: addr(owner).to_bech32(),
        order_id,
        bid_ids,
    }
}

pub(crate) fn leases_of(s: &MemStore, order_id: u64) -> Vec<pb::Lease> {
    let r: pb::QueryLeasesResponse = query(
        s,
        "/deai.compute.v1.Query/LeasesByOrder",
        pb::QueryLeasesByOrderRequest {
            order_id,
            pagination: None,
        },
    )
    .unwrap();
    r.leases
}

pub(crate) fn typed<T: prost_reflect::ReflectMessage + Default + prost::Name>(
    events: &[Event],
) -> Vec<T> {
    let kind = T::full_name();
    events
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| deai_framework::parse_typed_event(e).unwrap())
        .collect()
}

fn provider(s: &MemStore, u: u8) -> pb::Provider {
    s.get_provider(&addr(u)).unwrap().unwrap()
}

#[test]
fn the_owner_leases_chosen_bids_and_the_rest_are_refunded() {
    let mut s = store();
    for u in [1, 2, 3] {
        matching_provider(&mut s, u);
    }
    let o = order(&mut s, 1_000);
    let b1 = bid_id(&exec(&mut s, bid_msg(1, o, 8)).unwrap());
    let b2 = bid_id(&exec(&mut s, bid_msg(2, o, 5)).unwrap());
    let b3 = bid_id(&exec(&mut s, bid_msg(3, o, 7)).unwrap());
    let other = order(&mut s, 1_000);
    let b_other = bid_id(&exec(&mut s, bid_msg(1, other, 8)).unwrap());

    assert_eq!(
        code(exec(&mut s, lease_msg(4, o, vec![b1]))),
        compute(ERR_NOT_OWNER)
    );
    assert_eq!(
        code(exec(&mut s, lease_msg(5, o, vec![b1, b2, b3]))),
        compute(ERR_BAD_LEASE_BIDS)
    );
    assert_eq!(
        code(exec(&mut s, lease_msg(5, o, vec![]))),
        compute(ERR_BAD_LEASE_BIDS)
    );
    assert_eq!(
        code(exec(&mut s, lease_msg(5, o, vec![b1, b1]))),
        compute(ERR_BAD_LEASE_BIDS)
    );
    assert_eq!(
        code(exec(&mut s, lease_msg(5, o, vec![b1, b_other]))),
        compute(ERR_BAD_LEASE_BIDS)
    );
    assert_eq!(
        code(exec(&mut s, lease_msg(5, o, vec![99]))),
        compute(ERR_BID_NOT_FOUND)
    );
    assert_eq!(
        code(exec(&mut s, lease_msg(5, 99, vec![b1]))),
        compute(ERR_ORDER_NOT_FOUND)
    );
    assert_eq!(
        code(exec_at(&mut s, 16, lease_msg(5, o, vec![b1]))),
        compute(ERR_BID_WINDOW_CLOSED)
    );

    let events = exec_at(&mut s, 15, lease_msg(5, o, vec![b3, b1])).unwrap();
    let leased = typed::<pb::EventOrderLeased>(&events);
    assert_eq!(leased.len(), 1);
    assert!(!leased[0].automatic);
    assert_eq!(typed::<pb::EventLeaseCreated>(&events).len(), 2);
    let lost = typed::<pb::EventBidClosed>(&events);
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].bid_id, b2);
    assert_eq!(lost[0].state, pb::BidState::Lost as i32);
    // The lost bid is refunded; the won deposits stay escrowed with the leases.
    assert_eq!(s.balance(&addr(2), "udeai").unwrap(), FUNDS - STAKE);
    assert_eq!(
        s.balance(&addr(3), "udeai").unwrap(),
        FUNDS - STAKE - BID_DEPOSIT
    );
    assert_reconciles(&s);

    let leases = leases_of(&s, o);
    assert_eq!(leases.len(), 2);
    assert_eq!(leases[0].bid_id, b1);
    assert_eq!(leases[0].price, Some(coin(8, "udeai")));
    assert_eq!(leases[0].state, pb::LeaseState::Active as i32);
    assert_eq!(leases[0].created_at, 15);
    assert_eq!(leases[1].bid_id, b3);
    for u in [1, 3] {
        let p = provider(&s, u);
        assert_eq!(p.active_leases, 1);
        assert_eq!(p.in_use.unwrap().cpu_millis, 1000);
    }
    assert_eq!(provider(&s, 2).active_leases, 0);
    assert_eq!(
        s.get_order(o).unwrap().unwrap().state,
        pb::OrderState::Leased as i32
    );
    let bids = bids_of(&s, o);
    assert_eq!(bids[0].state, pb::BidState::Active as i32);
    assert_eq!(bids[1].state, pb::BidState::Lost as i32);

    let one: pb::QueryLeaseResponse = query(
        &s,
        "/deai.compute.v1.Query/Lease",
        pb::QueryLeaseRequest { id: leases[1].id },
    )
    .unwrap();
    assert_eq!(one.lease.unwrap(), leases[1]);
    let by_provider = |state: pb::LeaseState| -> Vec<pb::Lease> {
        let r: pb::QueryLeasesResponse = query(
            &s,
            "/deai.compute.v1.Query/LeasesByProvider",
            pb::QueryLeasesByProviderRequest {
                provider: addr(3).to_bech32(),
                state: state as i32,
                pagination: None,
            },
        )
        .unwrap();
        r.leases
    };
    assert_eq!(by_provider(pb::LeaseState::Unspecified).len(), 1);
    assert_eq!(by_provider(pb::LeaseState::Active).len(), 1);
    assert_eq!(by_provider(pb::LeaseState::Closed).len(), 0);

    assert_eq!(
        code(exec(&mut s, lease_msg(5, o, vec![b2]))),
        compute(ERR_ORDER_NOT_OPEN)
    );
    assert_eq!(
        code(exec(
            &mut s,
            pb::MsgDeleteProvider {
                owner: addr(1).to_bech32()
            }
        )),
        compute(ERR_PROVIDER_HAS_LEASES)
    );
    // end_block at the deadline leaves the leased order alone and leases the other one.
    let events = end_block_at(&mut s, 15);
    let leased = typed::<pb::EventOrderLeased>(&events);
    assert_eq!(leased.len(), 1);
    assert_eq!(leased[0].order_id, other);
    assert!(leased[0].automatic);
    assert_eq!(leases_of(&s, o).len(), 2);
    assert_reconciles(&s);
}

#[test]
fn a_lease_needs_an_eligible_provider() {
    let mut s = store();
    matching_provider(&mut s, 1);
    let o = order(&mut s, 1_000);
    let b1 = bid_id(&exec(&mut s, bid_msg(1, o, 8)).unwrap());
    let mut p = provider(&s, 1);
    p.jailed = true;
    s.put_provider(&addr(1), &p).unwrap();
    assert_eq!(
        code(exec(&mut s, lease_msg(5, o, vec![b1]))),
        compute(ERR_PROVIDER_JAILED)
    );
    p.jailed = false;
    p.in_use = Some(pb::Resources {
        cpu_millis: 7500,
        ..Default::default()
    });
    s.put_provider(&addr(1), &p).unwrap();
    assert_eq!(
        code(exec(&mut s, lease_msg(5, o, vec![b1]))),
        compute(ERR_NO_CAPACITY)
    );
    exec(
        &mut s,
        pb::MsgCloseBid {
            provider: addr(1).to_bech32(),
            bid_id: b1,
        },
    )
    .unwrap();
    assert_eq!(
        code(exec(&mut s, lease_msg(5, o, vec![b1]))),
        compute(ERR_BID_NOT_OPEN)
    );
}

#[test]
fn end_block_leases_the_cheapest_bids_at_the_deadline() {
    let mut s = store();
    for u in [1, 2, 3, 4] {
        matching_provider(&mut s, u);
    }
    let o = order(&mut s, 1_000);
    let b2 = bid_id(&exec(&mut s, bid_msg(2, o, 5)).unwrap());
    let b3 = bid_id(&exec(&mut s, bid_msg(3, o, 5)).unwrap());
    let b4 = bid_id(&exec(&mut s, bid_msg(4, o, 3)).unwrap());
    let b1 = bid_id(&exec(&mut s, bid_msg(1, o, 4)).unwrap());
    // The cheapest, provider 4, is jailed before the deadline: it is skipped and refunded.
    let mut p4 = provider(&s, 4);
    p4.jailed = true;
    s.put_provider(&addr(4), &p4).unwrap();
    // Before the deadline nothing happens.
    assert!(end_block_at(&mut s, 14).is_empty());
    let events = end_block_at(&mut s, 15);
    let leased = typed::<pb::EventOrderLeased>(&events);
    assert_eq!(leased.len(), 1);
    assert!(leased[0].automatic);
    // Price 4 (b1), then price 5 with the lower id (b2) over b3.
    let won: Vec<u64> = leases_of(&s, o).iter().map(|l| l.bid_id).collect();
    assert_eq!(won, vec![b2, b1]);
    let mut lost: Vec<u64> = typed::<pb::EventBidClosed>(&events)
        .iter()
        .map(|e| e.bid_id)
        .collect();
    lost.sort_unstable();
    assert_eq!(lost, vec![b3, b4]);
    for u in [3, 4] {
        assert_eq!(s.balance(&addr(u), "udeai").unwrap(), FUNDS - STAKE);
    }
    assert_reconciles(&s);
    // Done once: the order left the deadline index.
    assert!(end_block_at(&mut s, 16).is_empty());
}

#[test]
fn end_block_closes_an_order_without_bids_and_catches_up_late_deadlines() {
    let mut s = store();
    matching_provider(&mut s, 1);
    let empty = order(&mut s, 1_000);
    let late = order(&mut s, 1_000);
    exec(&mut s, bid_msg(1, late, 5)).unwrap();
    // A block after both deadlines: both are handled.
    let events = end_block_at(&mut s, 40);
    let closed = typed::<pb::EventOrderClosed>(&events);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].order_id, empty);
    assert_eq!(closed[0].refunded, Some(coin(1_000, "udeai")));
    assert_eq!(
        s.get_order(empty).unwrap().unwrap().state,
        pb::OrderState::Closed as i32
    );
    assert_eq!(leases_of(&s, late).len(), 1);
    assert_eq!(s.balance(&addr(5), "udeai").unwrap(), FUNDS - 1_000);
    assert_reconciles(&s);
}

#[test]
fn end_block_handles_a_bounded_number_of_orders_per_block() {
    let mut s = store();
    let n = MAX_LEASINGS_PER_BLOCK + 3;
    let mut m = create_order_msg(5, 10);
    m.bid_window = 1;
    for _ in 0..n {
        exec(&mut s, m.clone()).unwrap();
    }
    let first = typed::<pb::EventOrderClosed>(&end_block_at(&mut s, 11)).len();
    assert_eq!(first, MAX_LEASINGS_PER_BLOCK);
    let second = typed::<pb::EventOrderClosed>(&end_block_at(&mut s, 12)).len();
    assert_eq!(second, 3);
    assert_reconciles(&s);
}

#[test]
fn genesis_round_trips_leases_and_checks_provider_use() {
    let mut s = store();
    for u in [1, 2] {
        matching_provider(&mut s, u);
    }
    let o = order(&mut s, 1_000);
    exec(&mut s, bid_msg(1, o, 5)).unwrap();
    exec(&mut s, bid_msg(2, o, 6)).unwrap();
    end_block_at(&mut s, 15);
    let open = order(&mut s, 1_000);
    exec(&mut s, bid_msg(1, open, 5)).unwrap();
    let app = export_all(&s);
    assert_eq!(app["compute"]["leases"].as_array().unwrap().len(), 2);
    let mut again = init_all(&app);
    assert_eq!(export_all(&again), app);
    // The deadline index came back with the open order.
    let events = end_block_at(&mut again, 15);
    assert_eq!(typed::<pb::EventOrderLeased>(&events).len(), 1);

    let refused = |app: &serde_json::Value| {
        let mut fresh = MemStore::new();
        let ok: Vec<_> = modules()
            .iter()
            .map(|m| m.init_genesis(&mut fresh, &app[m.name()]).is_ok())
            .collect();
        assert_eq!(ok, vec![true, true, false]);
    };
    let mut bad = app.clone();
    bad["compute"]["providers"][0]["active_leases"] = 2.into();
    refused(&bad);
    let mut bad = app.clone();
    bad["compute"]["leases"][0]["bid_id"] = "3".into();
    refused(&bad);
    let mut bad = app;
    bad["compute"]["leases"][1]["id"] = "9".into();
    refused(&bad);
}
