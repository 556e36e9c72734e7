//! Random sequences of provider, order, bid, lease, result and audit messages (and end
//! blocks, which lease orders and expire audits) never create or lose a token: every balance
//! sums to the supply, and the module account holds exactly Σ stakes + Σ escrows + Σ held
//! bid deposits + Σ lease unwithdrawn + Σ deposits of pending audits. Compute-to-data
//! orders' access fees are held in their escrow until leased, then split to the unit:
//! the publisher holds exactly Σ its shares, the community pool Σ its shares + Σ takes.

use proptest::prelude::*;

use deai_bank::BankRead;
use deai_framework::MemStore;
use deai_proto::compute::v1 as pb;

use crate::tests::*;
use crate::tests_bids::{bid_id, bid_msg, matching_provider};
use crate::tests_c2d::{publish_datasets, PUBLISHER};
use crate::tests_leases::{lease_msg, typed};
use crate::tests_orders::create_order_msg;
use crate::tests_results::result_msg;
use crate::{ComputeRead, COMMUNITY_POOL, MODULE_ACCOUNT};

#[derive(Clone, Debug)]
enum Op {
    CreateProvider(u8, u128),
    /// Keeps region=eu (still matching) or drops it.
    UpdateProvider(u8, bool),
    DeleteProvider(u8),
    CreateOrder(u8, u128),
    Deposit(u8, u64, u128, bool),
    Close(u8, u64),
    Sign(u8),
    Bid(u8, u64, u128),
    CloseBid(u8, u64),
    Lease(u8, u64, Vec<u64>),
    Withdraw(u8, u64),
    /// An order of a requester with bids by providers 1..=prices.len(), leased by its owner
    /// (the first `pick` bids) or left to end_block.
    Round(u8, u128, Vec<u128>, usize),
    /// Blocks pass (each end block runs).
    Advance(u64),
    /// A result on a lease (1..8) with one of two hashes.
    Result(u8, u64, bool),
    /// Every lessee of an order (1..8) submits, all with one hash or each its own.
    ResultsOf(u64, bool),
    /// The first pending audit (of orders 1..8) is answered by its referee (or by user `u`
    /// when `by_referee` is false) with one of its results' checkpoints (`pick`), or none.
    Audit(u8, bool, Option<usize>),
    /// Like Round, on a spot_check order at rate 0.5.
    SpotRound(u8, u128, Vec<u128>),
    /// A compute-to-data order on dataset 1 (provider 1) or 2 (open: refused); a bid by
    /// provider `bidder` (only 1 may), leased by its owner or left to end_block.
    C2dRound(u8, u128, u64, u8, bool),
}

fn op() -> impl Strategy<Value = Op> {
    let user = proptest::sample::select(USERS.to_vec());
    let amount = prop_oneof![
        1u128..1000,
        Just(10_000_000u128),
        Just(FUNDS),
        Just(FUNDS + 1)
    ];
    let order = 0u64..4;
    let bidder = proptest::sample::select(vec![1u8, 2, 3]);
    let requester = proptest::sample::select(vec![4u8, 5]);
    let order_deposit = prop_oneof![3 => 1u128..2000, 1 => amount.clone()];
    let bid = 0u64..12;
    prop_oneof![
        1 => (user.clone(), amount.clone()).prop_map(|(u, a)| Op::CreateProvider(u, a)),
        1 => (user.clone(), any::<bool>()).prop_map(|(u, keep)| Op::UpdateProvider(u, keep)),
        1 => user.clone().prop_map(Op::DeleteProvider),
        3 => (requester.clone(), order_deposit).prop_map(|(u, a)| Op::CreateOrder(u, a)),
        2 => (user.clone(), order.clone(), amount, any::<bool>())
            .prop_map(|(u, o, a, atom)| Op::Deposit(u, o, a, atom)),
        2 => (user.clone(), order.clone()).prop_map(|(u, o)| Op::Close(u, o)),
        1 => user.clone().prop_map(Op::Sign),
        6 => (bidder.clone(), order.clone(), 1u128..12).prop_map(|(u, o, p)| Op::Bid(u, o, p)),
        1 => (user.clone(), bid.clone()).prop_map(|(u, b)| Op::CloseBid(u, b)),
        2 => (user.clone(), order, proptest::collection::vec(bid, 0..3))
            .prop_map(|(u, o, b)| Op::Lease(u, o, b)),
        3 => (bidder.clone(), 0u64..8).prop_map(|(u, l)| Op::Withdraw(u, l)),
        4 => (
            requester.clone(),
            1u128..400,
            proptest::collection::vec(1u128..11, 1..4),
            0usize..3
        )
            .prop_map(|(u, d, p, k)| Op::Round(u, d, p, k)),
        3 => (1u64..8).prop_map(Op::Advance),
        4 => (bidder.clone(), 1u64..8, any::<bool>()).prop_map(|(u, l, a)| Op::Result(u, l, a)),
        3 => (1u64..8, any::<bool>()).prop_map(|(o, a)| Op::ResultsOf(o, a)),
        4 => (user.clone(), prop_oneof![4 => Just(true), 1 => Just(false)], proptest::option::of(0usize..3))
            .prop_map(|(u, r, p)| Op::Audit(u, r, p)),
        2 => (requester.clone(), 1u128..400, proptest::collection::vec(1u128..11, 2..4))
            .prop_map(|(u, d, p)| Op::SpotRound(u, d, p)),
        3 => (requester.clone(), 1u128..400, 1u64..3, bidder.clone(), any::<bool>())
            .prop_map(|(u, d, ds, b, by_owner)| Op::C2dRound(u, d, ds, b, by_owner)),
    ]
}

fn apply(s: &mut MemStore, h: &mut u64, op: &Op) {
    let h0 = *h;
    let _ = match op.clone() {
        Op::CreateProvider(u, a) => exec_at(s, h0, create_provider_msg(u, a)),
        Op::UpdateProvider(u, keep) => exec_at(
            s,
            h0,
            pb::MsgUpdateProvider {
                owner: addr(u).to_bech32(),
                host_uri: "https://u.example".into(),
                attributes: if keep {
                    vec![attr("gpu", "h100"), attr("region", "eu")]
                } else {
                    vec![attr("gpu", "h100")]
                },
                capacity: None,
            },
        ),
        Op::DeleteProvider(u) => exec_at(
            s,
            h0,
            pb::MsgDeleteProvider {
                owner: addr(u).to_bech32(),
            },
        ),
        Op::CreateOrder(u, a) => exec_at(s, h0, create_order_msg(u, a)),
        Op::Deposit(u, o, a, atom) => exec_at(
            s,
            h0,
            pb::MsgDepositOrder {
                depositor: addr(u).to_bech32(),
                order_id: o,
                amount: Some(coin(a, if atom { "uatom" } else { "udeai" })),
            },
        ),
        Op::Close(u, o) => exec_at(
            s,
            h0,
            pb::MsgCloseOrder {
                owner: addr(u).to_bech32(),
                order_id: o,
            },
        ),
        Op::Sign(u) => exec_at(
            s,
            h0,
            pb::MsgSignProviderAttributes {
                auditor: addr(7).to_bech32(),
                provider: addr(u).to_bech32(),
                attributes: vec![attr("region", "eu")],
            },
        ),
        Op::Bid(u, o, p) => exec_at(s, h0, bid_msg(u, o, p)),
        Op::Lease(u, o, b) => exec_at(s, h0, lease_msg(u, o, b)),
        Op::Withdraw(u, l) => exec_at(
            s,
            h0,
            pb::MsgWithdrawLease {
                provider: addr(u).to_bech32(),
                lease_id: l,
            },
        ),
        Op::SpotRound(u, deposit, prices) => {
            let mut m = create_order_msg(u, deposit);
            m.verification = Some(pb::Verification {
                mode: pb::VerificationMode::SpotCheck as i32,
                spot_check_rate: "0.5".into(),
            });
            if let Ok(e) = exec_at(s, h0, m) {
                let o = typed::<pb::EventOrderCreated>(&e)[0].order_id;
                for (i, p) in prices.iter().enumerate() {
                    let _ = exec_at(s, h0, bid_msg(i as u8 + 1, o, *p));
                }
            }
            Ok(Vec::new())
        }
        Op::Audit(u, by_referee, pick) => {
            let pending = (1..=8u64).find_map(|o| {
                s.audits_of_order(o)
                    .unwrap()
                    .into_iter()
                    .find(|a| a.state == pb::AuditState::Pending as i32)
            });
            if let Some(a) = pending {
                let o = a.order_id;
                let results = s.results_of_order(o).unwrap();
                let answer = pick
                    .and_then(|i| results.get(i))
                    .and_then(|r| r.checkpoint_hashes.get(a.segment as usize + 1))
                    .cloned()
                    .unwrap_or_default();
                let verifier = if by_referee {
                    a.verifier.clone()
                } else {
                    addr(u).to_bech32()
                };
                let _ = exec_at(
                    s,
                    h0,
                    pb::MsgSubmitAudit {
                        verifier,
                        order_id: o,
                        segment: a.segment,
                        checkpoint_hash: answer,
                    },
                );
            }
            Ok(Vec::new())
        }
        Op::Round(u, deposit, prices, pick) => {
            let mut m = create_order_msg(u, deposit);
            m.redundancy = 2;
            let events = exec_at(s, h0, m);
            if let Ok(o) = events.map(|e| typed::<pb::EventOrderCreated>(&e)[0].order_id) {
                let mut bids = Vec::new();
                for (i, p) in prices.iter().enumerate() {
                    if let Ok(e) = exec_at(s, h0, bid_msg(i as u8 + 1, o, *p)) {
                        bids.push(bid_id(&e));
                    }
                }
                bids.truncate(pick);
                if !bids.is_empty() {
                    let _ = exec_at(s, h0, lease_msg(u, o, bids));
                }
            }
            Ok(Vec::new())
        }
        Op::C2dRound(u, deposit, dataset, bidder, by_owner) => {
            let m = crate::tests_c2d::c2d_order_msg(u, deposit, dataset);
            if let Ok(e) = exec_at(s, h0, m) {
                let o = typed::<pb::EventOrderCreated>(&e)[0].order_id;
                if let Ok(e) = exec_at(s, h0, bid_msg(bidder, o, 5)) {
                    if by_owner {
                        let _ = exec_at(s, h0, lease_msg(u, o, vec![bid_id(&e)]));
                    }
                }
            }
            Ok(Vec::new())
        }
        Op::Advance(n) => {
            for _ in 0..n {
                *h += 1;
                end_block_at(s, *h);
            }
            Ok(Vec::new())
        }
        Op::Result(u, l, a) => exec_at(s, h0, result_msg(u, l, if a { 4 } else { 6 })),
        Op::ResultsOf(o, agree) => {
            let leases = crate::tests_leases::leases_of(s, o);
            for (i, l) in leases.iter().enumerate() {
                let u = USERS
                    .into_iter()
                    .find(|u| addr(*u).to_bech32() == l.provider)
                    .unwrap();
                let hash = if agree { 4 } else { 6 + i as u8 };
                let _ = exec_at(s, h0, result_msg(u, l.id, hash));
            }
            Ok(Vec::new())
        }
        Op::CloseBid(u, b) => exec_at(
            s,
            h0,
            pb::MsgCloseBid {
                provider: addr(u).to_bech32(),
                bid_id: b,
            },
        ),
    };
}

fn check(s: &MemStore) {
    for denom in ["udeai", "uatom"] {
        let mut total = s.module_balance(MODULE_ACCOUNT, denom).unwrap()
            + s.module_balance(COMMUNITY_POOL, denom).unwrap();
        for u in USERS.into_iter().chain([PUBLISHER]) {
            total += s.balance(&addr(u), denom).unwrap();
        }
        assert_eq!(total, s.supply_of(denom).unwrap(), "{denom}");
    }
    assert_reconciles(s);
    // Every unit that left an escrow went to a lease (withdrawn or not) or, as take, to the
    // community pool, and nowhere else.
    let g = crate::import_proto(&export_all(s)["compute"]).unwrap();
    let amount = |c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>| -> u128 {
        c.as_ref().unwrap().amount.parse().unwrap()
    };
    let transferred: u128 = g
        .escrow_accounts
        .iter()
        .map(|e| amount(&e.transferred))
        .sum();
    let to_leases: u128 = g
        .leases
        .iter()
        .map(|l| amount(&l.withdrawn) + amount(&l.unwithdrawn))
        .sum();
    // The pool also holds the deposits of referees that did not answer.
    let forfeited: u128 = g
        .audits
        .iter()
        .filter(|a| a.state == pb::AuditState::Expired as i32 && !a.verifier.is_empty())
        .map(|a| amount(&a.deposit))
        .sum();
    // Access fees paid (compute-to-data orders once leased), split as data purchases: the
    // publisher has exactly its shares, the pool its shares besides the takes.
    let fees = deai_data::Params::default();
    let (mut to_publisher, mut fee_to_pool) = (0u128, 0u128);
    for o in g.orders.iter().filter(|o| o.dataset_id != 0) {
        // Paid exactly when leased: never while open; always once leased (a closed order
        // may have been leased or not).
        match pb::OrderState::try_from(o.state).unwrap() {
            pb::OrderState::Open => assert_eq!(o.access_paid_at, 0),
            pb::OrderState::Closed => {}
            _ => assert_ne!(o.access_paid_at, 0),
        }
        if o.access_paid_at != 0 {
            let split = deai_data::split::split(
                &fees,
                deai_framework::dec::Dec::ZERO,
                amount(&o.access_fee),
            )
            .unwrap();
            assert_eq!(split.total(), Some(amount(&o.access_fee)));
            to_publisher += split.to_publisher;
            fee_to_pool += split.to_community_pool + split.to_publish_market;
        }
    }
    assert_eq!(s.balance(&addr(PUBLISHER), "udeai").unwrap(), to_publisher);
    assert_eq!(
        transferred + forfeited + fee_to_pool,
        to_leases + s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
    );
    // A completed order has refunded its escrow; a disputed one holds it; every result is
    // of a lease of its order, and a completed order's hash is one of its results'.
    for o in &g.orders {
        let e = g
            .escrow_accounts
            .iter()
            .find(|e| e.order_id == o.id)
            .unwrap();
        let results: Vec<_> = g.results.iter().filter(|r| r.order_id == o.id).collect();
        if o.state == pb::OrderState::Completed as i32 {
            assert_eq!(amount(&e.balance), 0);
            assert!(results.iter().any(|r| r.result_hash == o.result_hash));
        }
        // A disputed order holds its escrow for exactly one pending audit, of its results.
        if o.state == pb::OrderState::Disputed as i32 {
            assert_eq!(e.state, pb::EscrowState::Open as i32);
            let pending: Vec<_> = g
                .audits
                .iter()
                .filter(|a| a.order_id == o.id && a.state == pb::AuditState::Pending as i32)
                .collect();
            assert_eq!(pending.len(), 1);
            let ids: Vec<u64> = results.iter().map(|r| r.lease_id).collect();
            assert_eq!(pending[0].lease_ids, ids);
        }
        // A slashed lease's provider is jailed.
        for l in g
            .leases
            .iter()
            .filter(|l| l.order_id == o.id && l.state == 5)
        {
            assert!(g
                .providers
                .iter()
                .any(|p| p.owner == l.provider && p.jailed));
        }
    }
    eprintln!(
        "PROPSTAT results={} completed={} disputed={} audits={} resolved={} slashed={} c2d_paid={}",
        g.results.len(),
        g.orders.iter().filter(|o| o.state == 3).count(),
        g.orders.iter().filter(|o| o.state == 4).count(),
        g.audits.len(),
        g.audits.iter().filter(|a| a.state == 2).count(),
        g.leases.iter().filter(|l| l.state == 5).count(),
        g.orders.iter().filter(|o| o.access_paid_at != 0).count(),
    );
    for r in &g.results {
        let l = g.leases.iter().find(|l| l.id == r.lease_id).unwrap();
        assert_eq!((l.order_id, &l.provider), (r.order_id, &r.provider));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn escrow_never_creates_or_loses_tokens(ops in proptest::collection::vec(op(), 1..60)) {
        let mut s = store();
        publish_datasets(&mut s);
        // Three registered, audited providers, so that bids, leases and settlement happen.
        for u in [1, 2, 3] {
            matching_provider(&mut s, u);
        }
        // Two referees (one also a requester), and a short audit window so that audits
        // expire within a run.
        for u in [4, 5] {
            let mut m = create_provider_msg(u, 10_000_000);
            m.attributes.push(attr(crate::VERIFIER_ATTRIBUTE, "true"));
            exec(&mut s, m).unwrap();
        }
        let mut p = crate::Params::default().to_proto();
        p.audit_window = 3;
        exec(&mut s, pb::MsgUpdateParams { authority: addr(9).to_bech32(), params: Some(p) }).unwrap();
        let mut h = 10;
        for op in &ops {
            apply(&mut s, &mut h, op);
            check(&s);
        }
        let exported = export_all(&s);
        prop_assert_eq!(export_all(&init_all(&exported)), exported);
    }
}
