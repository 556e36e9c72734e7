//! Settlement: lazy accrual of price × blocks, the take to the community pool, withdraw,
//! close, overdraft to insufficient_funds, the settle interval on a touch, and every balance
//! reconciled to the unit.

use deai_bank::BankRead;
use deai_framework::MemStore;
use deai_proto::compute::v1 as pb;

use crate::tests::*;
use crate::tests_bids::*;
use crate::tests_leases::{leases_of, typed};
use crate::*;

const STAKE: u128 = 10_000_000;

/// Providers 1 and 3 lease order (of user 5, `deposit`) at height 15 at prices 8 and 7;
/// provider 2's bid at 9 loses. Returns (order, [lease of 1, lease of 3]).
fn leased(s: &mut MemStore, deposit: u128) -> (u64, [u64; 2]) {
    for u in [1, 2, 3] {
        matching_provider(s, u);
    }
    let o = order(s, deposit);
    exec(s, bid_msg(1, o, 8)).unwrap();
    exec(s, bid_msg(2, o, 9)).unwrap();
    exec(s, bid_msg(3, o, 7)).unwrap();
    end_block_at(s, 15);
    let l = leases_of(s, o);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0].provider, addr(1).to_bech32());
    assert_eq!(l[1].provider, addr(3).to_bech32());
    (o, [l[0].id, l[1].id])
}

fn withdraw(
    s: &mut MemStore,
    h: u64,
    u: u8,
    lease_id: u64,
) -> Result<pb::MsgWithdrawLeaseResponse, deai_framework::TxError> {
    let (response, events) = exec_full(
        s,
        h,
        pb::MsgWithdrawLease {
            provider: addr(u).to_bech32(),
            lease_id,
        },
    )?;
    let r = <pb::MsgWithdrawLeaseResponse as prost::Message>::decode(response.value.as_slice())
        .unwrap();
    // The response is what the events say this lease's provider received.
    let got: u128 = typed::<pb::EventLeaseWithdrawn>(&events)
        .iter()
        .filter(|w| w.lease_id == lease_id)
        .map(|w| w.amount.as_ref().unwrap().amount.parse::<u128>().unwrap())
        .sum();
    assert_eq!(r.amount, Some(coin(got, "udeai")));
    Ok(r)
}

fn close(s: &mut MemStore, h: u64, o: u64) {
    exec_at(
        s,
        h,
        pb::MsgCloseOrder {
            owner: addr(5).to_bech32(),
            order_id: o,
        },
    )
    .unwrap();
}

fn bal(s: &MemStore, u: u8) -> u128 {
    s.balance(&addr(u), "udeai").unwrap()
}

fn pool(s: &MemStore) -> u128 {
    s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

fn escrow_of(s: &MemStore, o: u64) -> pb::EscrowAccount {
    s.get_escrow(o).unwrap().unwrap()
}

#[test]
fn withdraw_and_close_reconcile_to_the_unit() {
    let mut s = store();
    let (o, [l1, l3]) = leased(&mut s, 1_000);
    let p1_before = bal(&s, 1);
    let p3_before = bal(&s, 3);
    assert_eq!(code(withdraw(&mut s, 25, 2, l1)), compute(ERR_NOT_LESSEE));
    assert_eq!(
        code(withdraw(&mut s, 25, 1, 99)),
        compute(ERR_LEASE_NOT_FOUND)
    );
    // Ten blocks: 80 and 70 owed; take floor(2%) = 1 each.
    let got = withdraw(&mut s, 25, 1, l1).unwrap();
    assert_eq!(got.amount, Some(coin(79, "udeai")));
    assert_eq!(bal(&s, 1), p1_before + 79);
    // Both leases of the order settled together; provider 3's share waits for it.
    assert_eq!(bal(&s, 3), p3_before);
    assert_eq!(pool(&s), 2);
    let e = escrow_of(&s, o);
    assert_eq!(e.balance, Some(coin(850, "udeai")));
    assert_eq!(e.transferred, Some(coin(150, "udeai")));
    assert_eq!(e.settled_at, 25);
    let l = leases_of(&s, o);
    assert_eq!(l[0].settled_at, 25);
    assert_eq!(l[0].withdrawn, Some(coin(79, "udeai")));
    assert_eq!(l[0].unwithdrawn, Some(coin(0, "udeai")));
    assert_eq!(l[1].withdrawn, Some(coin(0, "udeai")));
    assert_eq!(l[1].unwithdrawn, Some(coin(69, "udeai")));
    assert_reconciles(&s);
    // Genesis holds unwithdrawn earnings exactly: the module account must back them.
    let app = export_all(&s);
    assert_eq!(export_all(&init_all(&app)), app);
    let mut bad = app.clone();
    bad["compute"]["leases"][1]["unwithdrawn"]["amount"] = "70".into();
    let mut fresh = MemStore::new();
    let ok: Vec<_> = modules()
        .iter()
        .map(|m| m.init_genesis(&mut fresh, &bad[m.name()]).is_ok())
        .collect();
    assert_eq!(ok, vec![true, true, false]);
    // Provider 3 collects at the same height: nothing more accrued.
    assert_eq!(
        withdraw(&mut s, 25, 3, l3).unwrap().amount,
        Some(coin(69, "udeai"))
    );
    assert_eq!(bal(&s, 3), p3_before + 69);
    assert_eq!(
        withdraw(&mut s, 25, 3, l3).unwrap().amount,
        Some(coin(0, "udeai"))
    );
    assert_reconciles(&s);

    // Close at 35: ten more blocks settle, the leases close, the rest is refunded.
    close(&mut s, 35, o);
    let spend = FUNDS - bal(&s, 5);
    let paid1 = bal(&s, 1) - p1_before;
    let paid3 = bal(&s, 3) - p3_before;
    // Takes are floored over each lease's whole pay: floor(3.2) = 3 and floor(2.8) = 2.
    assert_eq!((paid1, paid3), (157 + BID_DEPOSIT, 138 + BID_DEPOSIT));
    assert_eq!(pool(&s), 5);
    assert_eq!(spend, 300);
    // Requester spend = Σ provider payments + Σ take; the bid deposits came back.
    assert_eq!(
        spend,
        (paid1 - BID_DEPOSIT) + (paid3 - BID_DEPOSIT) + pool(&s)
    );
    assert_eq!(bal(&s, 2), FUNDS - STAKE);
    for l in leases_of(&s, o) {
        assert_eq!(l.state, pb::LeaseState::Closed as i32);
        assert_eq!(l.closed_at, 35);
        assert_eq!(l.unwithdrawn, Some(coin(0, "udeai")));
    }
    let l = leases_of(&s, o);
    assert_eq!(l[0].withdrawn, Some(coin(157, "udeai")));
    assert_eq!(l[1].withdrawn, Some(coin(138, "udeai")));
    for u in [1, 3] {
        let p = s.get_provider(&addr(u)).unwrap().unwrap();
        assert_eq!(p.active_leases, 0);
        assert_eq!(p.in_use.unwrap_or_default(), pb::Resources::default());
    }
    assert_eq!(
        s.get_order(o).unwrap().unwrap().state,
        pb::OrderState::Closed as i32
    );
    assert_eq!(escrow_of(&s, o).state, pb::EscrowState::Closed as i32);
    assert_eq!(
        code(withdraw(&mut s, 36, 1, l1)),
        compute(ERR_LEASE_NOT_ACTIVE)
    );
    // The providers may leave now; everything is back where it belongs.
    for u in [1, 2, 3] {
        exec(
            &mut s,
            pb::MsgDeleteProvider {
                owner: addr(u).to_bech32(),
            },
        )
        .unwrap();
    }
    assert_eq!(bal(&s, 1) + bal(&s, 3) + bal(&s, 5) + pool(&s), 3 * FUNDS);
    assert_eq!(s.module_balance(MODULE_ACCOUNT, "udeai").unwrap(), 0);
    assert_reconciles(&s);
    let app = export_all(&s);
    assert_eq!(export_all(&init_all(&app)), app);
}

#[test]
fn an_overdrawn_order_ends_its_leases_with_insufficient_funds() {
    let mut s = store();
    let (o, [l1, l3]) = leased(&mut s, 200);
    let p1_before = bal(&s, 1);
    let p3_before = bal(&s, 3);
    // Fifteen blocks: 120 + 105 owed, 200 held: lease 1 gets 120, lease 3 the last 80.
    let (response, events) = exec_full(
        &mut s,
        30,
        pb::MsgWithdrawLease {
            provider: addr(3).to_bech32(),
            lease_id: l3,
        },
    )
    .unwrap();
    // What lease 3 earned was paid out when it ended.
    let r = <pb::MsgWithdrawLeaseResponse as prost::Message>::decode(response.value.as_slice())
        .unwrap();
    assert_eq!(r.amount, Some(coin(79, "udeai")));
    assert_eq!(typed::<pb::EventLeaseInsufficientFunds>(&events).len(), 2);
    let closed = typed::<pb::EventOrderClosed>(&events);
    assert_eq!(closed[0].refunded, Some(coin(0, "udeai")));
    // Takes: floor(2.4) = 2 and floor(1.6) = 1.
    assert_eq!(bal(&s, 1), p1_before + 118 + BID_DEPOSIT);
    assert_eq!(bal(&s, 3), p3_before + 79 + BID_DEPOSIT);
    assert_eq!(pool(&s), 3);
    assert_eq!(bal(&s, 5), FUNDS - 200);
    for l in leases_of(&s, o) {
        assert_eq!(l.state, pb::LeaseState::InsufficientFunds as i32);
    }
    let e = escrow_of(&s, o);
    assert_eq!(e.state, pb::EscrowState::Overdrawn as i32);
    assert_eq!(e.balance, Some(coin(0, "udeai")));
    assert_eq!(e.transferred, Some(coin(200, "udeai")));
    assert_eq!(
        s.get_order(o).unwrap().unwrap().state,
        pb::OrderState::Closed as i32
    );
    assert_eq!(
        code(withdraw(&mut s, 31, 1, l1)),
        compute(ERR_LEASE_NOT_ACTIVE)
    );
    assert_eq!(s.get_provider(&addr(1)).unwrap().unwrap().active_leases, 0);
    assert_reconciles(&s);
    let app = export_all(&s);
    assert_eq!(export_all(&init_all(&app)), app);
}

#[test]
fn a_deposit_settles_at_most_every_settle_interval() {
    let mut s = store();
    let (o, _) = leased(&mut s, 1_000);
    let top_up = |s: &mut MemStore, h: u64| {
        exec_at(
            s,
            h,
            pb::MsgDepositOrder {
                depositor: addr(4).to_bech32(),
                order_id: o,
                amount: Some(coin(10, "udeai")),
            },
        )
        .unwrap()
    };
    // The escrow was settled when the order was created (height 10): interval 10.
    let events = top_up(&mut s, 19);
    assert!(typed::<pb::EventLeaseSettled>(&events).is_empty());
    let events = top_up(&mut s, 20);
    assert_eq!(typed::<pb::EventLeaseSettled>(&events).len(), 2);
    assert_eq!(leases_of(&s, o)[0].settled_at, 20);
    let events = top_up(&mut s, 29);
    assert!(typed::<pb::EventLeaseSettled>(&events).is_empty());
    assert_eq!(
        escrow_of(&s, o).balance,
        Some(coin(1_000 + 30 - 75, "udeai"))
    );
    assert_reconciles(&s);
}

#[test]
fn a_lease_accrues_for_at_most_max_blocks() {
    let mut s = store();
    for u in [1, 3] {
        matching_provider(&mut s, u);
    }
    let mut m = crate::tests_orders::create_order_msg(5, 100_000);
    m.max_blocks = 4;
    m.redundancy = 1;
    m.verification = None;
    let ev = exec(&mut s, m).unwrap();
    let o = typed::<pb::EventOrderCreated>(&ev)[0].order_id;
    exec(&mut s, bid_msg(1, o, 10)).unwrap();
    end_block_at(&mut s, 15);
    let l = leases_of(&s, o)[0].id;
    let before = bal(&s, 1);
    // 100 blocks later only 4 blocks were owed: 40, take floor(0.8) = 0.
    assert_eq!(
        withdraw(&mut s, 115, 1, l).unwrap().amount,
        Some(coin(40, "udeai"))
    );
    // Touched after max_blocks without a result, the lease ended (closed, its bid deposit
    // refunded) and, with no lease left, the order closed and refunded the rest.
    assert_eq!(bal(&s, 1), before + 40 + BID_DEPOSIT);
    let lease = &leases_of(&s, o)[0];
    assert_eq!(lease.settled_at, 19);
    assert_eq!(lease.state, pb::LeaseState::Closed as i32);
    assert_eq!(
        s.get_order(o).unwrap().unwrap().state,
        pb::OrderState::Closed as i32
    );
    assert_eq!(bal(&s, 5), FUNDS - 40);
    assert_reconciles(&s);
}

#[test]
fn genesis_creates_the_community_pool() {
    use deai_auth::AuthRead;
    let s = store();
    assert!(s.module_account(COMMUNITY_POOL).unwrap().is_some());
}

#[test]
fn withdrawing_every_block_still_pays_the_whole_take() {
    // Lease 1 pays 8 a block: withdrawn every block, each settlement alone would floor its
    // take (0.16) to 0; the takes sum to floor(total × 2 %) instead.
    let mut s = store();
    let (_, [l1, _]) = leased(&mut s, 10_000);
    let p1 = bal(&s, 1);
    for h in 16..=65 {
        withdraw(&mut s, h, 1, l1).unwrap();
    }
    // 50 blocks: 400 paid, take floor(8) = 8; lease 3, settled with it, 350 and 7.
    assert_eq!(bal(&s, 1), p1 + 392);
    assert_eq!(pool(&s), 15);
    assert_reconciles(&s);
}
