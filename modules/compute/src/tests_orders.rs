//! Orders, their escrow, and the order queries.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use sha2::{Digest, Sha256};

use deai_bank::BankRead;
use deai_framework::sdk;
use deai_proto::compute::v1 as pb;

use crate::tests::*;
use crate::*;

pub(crate) fn create_order_msg(owner: u8, deposit: u128) -> pb::MsgCreateOrder {
    let spec = br#"{"job":"digits","epochs":2}"#.to_vec();
    let spec_sha256 = Sha256::digest(&spec).to_vec();
    pb::MsgCreateOrder {
        owner: addr(owner).to_bech32(),
        spec,
        spec_sha256,
        required_attributes: vec![attr("region", "eu")],
        auditors: Some(pb::AuditorRequirement {
            auditors: vec![addr(8).to_bech32(), addr(7).to_bech32()],
            r#match: pb::AuditorMatch::AnyOf as i32,
        }),
        resources: Some(pb::Resources {
            cpu_millis: 1000,
            ..Default::default()
        }),
        max_price_per_block: Some(coin(10, "udeai")),
        deposit: Some(coin(deposit, "udeai")),
        redundancy: 2,
        verification: Some(pb::Verification {
            mode: pb::VerificationMode::Redundant as i32,
            spot_check_rate: String::new(),
        }),
        bid_window: 5,
        max_blocks: 100,
        dataset_id: 0,
        max_access_fee: None,
    }
}

fn order_id(events: &[deai_framework::Event]) -> u64 {
    let e = events
        .iter()
        .find(|e| e.kind == "deai.compute.v1.EventOrderCreated")
        .unwrap();
    deai_framework::parse_typed_event::<pb::EventOrderCreated>(e)
        .unwrap()
        .order_id
}

fn escrow(s: &deai_framework::MemStore, id: u64) -> pb::EscrowAccount {
    let r: pb::QueryEscrowAccountResponse = query(
        s,
        "/deai.compute.v1.Query/EscrowAccount",
        pb::QueryEscrowAccountRequest { order_id: id },
    )
    .unwrap();
    r.account.unwrap()
}

#[test]
fn order_lifecycle_escrows_deposits_and_refunds() {
    let mut s = store();
    let id = order_id(&exec(&mut s, create_order_msg(1, 1000)).unwrap());
    assert_eq!(id, 1);
    let o = s.get_order(1).unwrap().unwrap();
    assert_eq!(o.state, pb::OrderState::Open as i32);
    assert_eq!((o.created_at, o.bid_deadline), (10, 15));
    // Auditors are stored sorted.
    let auditors = o.auditors.unwrap().auditors;
    let mut sorted = auditors.clone();
    sorted.sort();
    assert_eq!((auditors.len(), &auditors), (2, &sorted));
    let e = escrow(&s, 1);
    assert_eq!(e.balance, Some(coin(1000, "udeai")));
    assert_eq!(e.transferred, Some(coin(0, "udeai")));
    assert_eq!(e.state, pb::EscrowState::Open as i32);
    assert_reconciles(&s);

    // Anyone may top up.
    let dep = |who: u8, id: u64, c| pb::MsgDepositOrder {
        depositor: addr(who).to_bech32(),
        order_id: id,
        amount: Some(c),
    };
    let events = exec(&mut s, dep(2, 1, coin(500, "udeai"))).unwrap();
    assert!(events
        .iter()
        .any(|e| e.kind == "deai.compute.v1.EventOrderDeposited"));
    assert_eq!(escrow(&s, 1).balance, Some(coin(1500, "udeai")));
    assert_reconciles(&s);
    assert_eq!(
        code(exec(&mut s, dep(2, 1, coin(5, "uatom")))),
        compute(ERR_DENOM_MISMATCH)
    );
    assert_eq!(
        code(exec(&mut s, dep(2, 1, coin(0, "udeai")))),
        compute(ERR_ZERO_AMOUNT)
    );
    assert_eq!(
        code(exec(&mut s, dep(2, 9, coin(5, "udeai")))),
        compute(ERR_ORDER_NOT_FOUND)
    );

    let close = |who: u8, id: u64| pb::MsgCloseOrder {
        owner: addr(who).to_bech32(),
        order_id: id,
    };
    assert_eq!(code(exec(&mut s, close(2, 1))), compute(ERR_NOT_OWNER));
    assert_eq!(
        code(exec(&mut s, close(1, 9))),
        compute(ERR_ORDER_NOT_FOUND)
    );
    let events = exec(&mut s, close(1, 1)).unwrap();
    let closed = events
        .iter()
        .find(|e| e.kind == "deai.compute.v1.EventOrderClosed")
        .unwrap();
    let closed: pb::EventOrderClosed = deai_framework::parse_typed_event(closed).unwrap();
    assert_eq!(closed.refunded, Some(coin(1500, "udeai")));
    // The owner gets all of the escrow back, including the other depositor's top-up.
    assert_eq!(s.balance(&addr(1), "udeai").unwrap(), FUNDS + 500);
    assert_eq!(s.balance(&addr(2), "udeai").unwrap(), FUNDS - 500);
    let e = escrow(&s, 1);
    assert_eq!(
        (e.balance, e.state),
        (Some(coin(0, "udeai")), pb::EscrowState::Closed as i32)
    );
    assert_reconciles(&s);
    assert_eq!(code(exec(&mut s, close(1, 1))), compute(ERR_ORDER_CLOSED));
    assert_eq!(
        code(exec(&mut s, dep(2, 1, coin(5, "udeai")))),
        compute(ERR_ORDER_CLOSED)
    );
    assert_eq!(
        id + 1,
        order_id(&exec(&mut s, create_order_msg(1, 1)).unwrap())
    );
}

#[test]
fn create_order_rejections() {
    let mut s = store();
    type Case = (fn(&mut pb::MsgCreateOrder), (&'static str, u32));
    let cases: Vec<Case> = vec![
        (|m| m.spec = Vec::new(), compute(ERR_SPEC_SIZE)),
        (
            |m| {
                m.spec = vec![b'x'; MAX_SPEC_BYTES as usize + 1];
                m.spec_sha256 = Sha256::digest(&m.spec).to_vec();
            },
            compute(ERR_SPEC_SIZE),
        ),
        (|m| m.spec_sha256[0] ^= 1, compute(ERR_SPEC_HASH_MISMATCH)),
        (
            |m| m.spec_sha256.pop().map_or((), |_| ()),
            compute(ERR_BAD_HASH_LENGTH),
        ),
        (|m| m.redundancy = 0, compute(ERR_BAD_REDUNDANCY)),
        (|m| m.redundancy = 6, compute(ERR_BAD_REDUNDANCY)),
        (
            |m| m.deposit = Some(coin(10, "uatom")),
            compute(ERR_DENOM_MISMATCH),
        ),
        (
            |m| m.deposit = Some(coin(0, "udeai")),
            compute(ERR_ZERO_AMOUNT),
        ),
        (
            |m| m.max_price_per_block = Some(coin(0, "udeai")),
            compute(ERR_ZERO_AMOUNT),
        ),
        (|m| m.deposit = None, ("sdk", sdk::INVALID_COINS)),
        (
            |m| m.deposit = Some(coin(FUNDS + 1, "udeai")),
            ("sdk", sdk::INSUFFICIENT_FUNDS),
        ),
        (|m| m.redundancy = 1, compute(ERR_INVALID_VERIFICATION)),
        (
            |m| {
                m.verification = Some(pb::Verification {
                    mode: pb::VerificationMode::SpotCheck as i32,
                    spot_check_rate: "0".into(),
                })
            },
            compute(ERR_INVALID_VERIFICATION),
        ),
        (
            |m| {
                m.verification = Some(pb::Verification {
                    mode: 9,
                    spot_check_rate: String::new(),
                })
            },
            compute(ERR_INVALID_VERIFICATION),
        ),
        (|m| m.bid_window = 0, compute(ERR_BAD_BID_WINDOW)),
        (|m| m.bid_window = 1001, compute(ERR_BAD_BID_WINDOW)),
        (|m| m.max_blocks = 0, compute(ERR_BAD_MAX_BLOCKS)),
        (|m| m.max_blocks = 1_000_001, compute(ERR_BAD_MAX_BLOCKS)),
        (
            |m| m.required_attributes.push(attr("region", "us")),
            compute(ERR_INVALID_ATTRIBUTES),
        ),
        (
            |m| {
                m.auditors
                    .as_mut()
                    .unwrap()
                    .auditors
                    .push(addr(7).to_bech32())
            },
            compute(ERR_INVALID_AUDITORS),
        ),
        (
            |m| m.auditors.as_mut().unwrap().r#match = 7,
            compute(ERR_INVALID_AUDITORS),
        ),
    ];
    for (i, (f, want)) in cases.into_iter().enumerate() {
        let mut m = create_order_msg(1, 1000);
        f(&mut m);
        assert_eq!(code(exec(&mut s, m)), want, "case {i}");
    }
    // A spot check with a valid rate is fine; nothing above wrote anything.
    let mut m = create_order_msg(1, 1000);
    m.redundancy = 1;
    m.verification = Some(pb::Verification {
        mode: pb::VerificationMode::SpotCheck as i32,
        spot_check_rate: "0.1".into(),
    });
    exec(&mut s, m).unwrap();
    assert_eq!(s.module_balance(MODULE_ACCOUNT, "udeai").unwrap(), 1000);
    assert_reconciles(&s);
}

#[test]
fn a_smaller_param_limit_holds() {
    let mut s = store();
    let mut p = Params::default().to_proto();
    p.max_spec_bytes = 8;
    p.max_redundancy = 1;
    exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p),
        },
    )
    .unwrap();
    assert_eq!(
        code(exec(&mut s, create_order_msg(1, 10))),
        compute(ERR_SPEC_SIZE)
    );
    let mut m = create_order_msg(1, 10);
    m.spec = b"tiny".to_vec();
    m.spec_sha256 = Sha256::digest(&m.spec).to_vec();
    assert_eq!(code(exec(&mut s, m)), compute(ERR_BAD_REDUNDANCY));
}

#[test]
fn orders_query_by_owner_and_state_with_pages() {
    let mut s = store();
    for owner in [1, 2, 1, 1, 2] {
        exec(&mut s, create_order_msg(owner, 100)).unwrap();
    }
    exec(
        &mut s,
        pb::MsgCloseOrder {
            owner: addr(1).to_bech32(),
            order_id: 3,
        },
    )
    .unwrap();
    let q = |owner: Option<u8>, state: pb::OrderState, page: Option<PageRequest>| {
        let r: pb::QueryOrdersResponse = query(
            &s,
            "/deai.compute.v1.Query/Orders",
            pb::QueryOrdersRequest {
                owner: owner.map(|o| addr(o).to_bech32()).unwrap_or_default(),
                state: state as i32,
                pagination: page,
            },
        )
        .unwrap();
        (
            r.orders.iter().map(|o| o.id).collect::<Vec<_>>(),
            r.pagination.unwrap(),
        )
    };
    use pb::OrderState::*;
    assert_eq!(q(None, Unspecified, None).0, vec![1, 2, 3, 4, 5]);
    assert_eq!(q(Some(1), Unspecified, None).0, vec![1, 3, 4]);
    assert_eq!(q(None, Open, None).0, vec![1, 2, 4, 5]);
    assert_eq!(q(None, Closed, None).0, vec![3]);
    assert_eq!(q(Some(1), Open, None).0, vec![1, 4]);
    assert_eq!(q(Some(2), Closed, None).0, Vec::<u64>::new());
    let page = |key: Vec<u8>| {
        Some(PageRequest {
            key,
            limit: 2,
            count_total: true,
            ..Default::default()
        })
    };
    let (ids, p) = q(None, Open, page(vec![]));
    assert_eq!((ids, p.total), (vec![1, 2], 4));
    assert_eq!(q(None, Open, page(p.next_key)).0, vec![4, 5]);

    let providers: pb::QueryProvidersResponse = query(
        &s,
        "/deai.compute.v1.Query/Providers",
        pb::QueryProvidersRequest { pagination: None },
    )
    .unwrap();
    assert!(providers.providers.is_empty());
    let missing = query::<_, pb::QueryOrderResponse>(
        &s,
        "/deai.compute.v1.Query/Order",
        pb::QueryOrderRequest { id: 77 },
    );
    assert_eq!(code(missing), ("sdk", sdk::KEY_NOT_FOUND));
    // The spec lives apart from the order record (which every bid rewrites); queries and
    // the export show it in the order.
    let one: pb::QueryOrderResponse = query(
        &s,
        "/deai.compute.v1.Query/Order",
        pb::QueryOrderRequest { id: 1 },
    )
    .unwrap();
    assert_eq!(one.order.unwrap().spec, create_order_msg(5, 1).spec);
    assert!(s.get_order(1).unwrap().unwrap().spec.is_empty());
    let listed: pb::QueryOrdersResponse = query(
        &s,
        "/deai.compute.v1.Query/Orders",
        pb::QueryOrdersRequest::default(),
    )
    .unwrap();
    assert!(listed
        .orders
        .iter()
        .all(|o| o.spec == create_order_msg(5, 1).spec));
    let bad = query::<_, pb::QueryOrdersResponse>(
        &s,
        "/deai.compute.v1.Query/Orders",
        pb::QueryOrdersRequest {
            state: 42,
            ..Default::default()
        },
    );
    assert_eq!(code(bad), ("sdk", sdk::INVALID_REQUEST));

    // Genesis round-trips with orders, escrow and indexes.
    let exported = export_all(&s);
    let breakages: Vec<fn(&mut serde_json::Value)> = vec![
        |g| g["orders"][0]["spec"] = "eA==".into(),
        |g| g["orders"][1]["redundancy"] = 0.into(),
        |g| g["orders"][0]["id"] = "9".into(),
        |g| g["escrow_accounts"][0]["state"] = "ESCROW_STATE_UNSPECIFIED".into(),
        |g| g["escrow_accounts"][0]["owner"] = addr(3).to_bech32().into(),
        |g| g["escrow_accounts"][1]["balance"]["amount"] = "1".into(),
        |g| {
            g["escrow_accounts"].as_array_mut().unwrap().pop();
        },
    ];
    for (i, f) in breakages.into_iter().enumerate() {
        let mut app = exported.clone();
        f(&mut app["compute"]);
        let mut fresh = deai_framework::MemStore::new();
        let ok: Vec<bool> = modules()
            .iter()
            .map(|m| m.init_genesis(&mut fresh, &app[m.name()]).is_ok())
            .collect();
        assert_eq!(ok, vec![true, true, false], "breakage {i}");
    }
    let again = init_all(&exported);
    assert_eq!(export_all(&again), exported);
    assert_eq!(again.get_order(4).unwrap(), s.get_order(4).unwrap());
    let r: pb::QueryOrdersResponse = query(
        &again,
        "/deai.compute.v1.Query/Orders",
        pb::QueryOrdersRequest {
            owner: addr(1).to_bech32(),
            state: Open as i32,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.orders.len(), 2);
}
