//! Random sequences of provider, order, bid and lease messages (and end blocks) never create or lose a token: every
//! balance sums to the supply, and the module account holds exactly Σ stakes + Σ escrows + Σ
//! held bid deposits.

use proptest::prelude::*;

use deai_bank::BankRead;
use deai_framework::MemStore;
use deai_proto::compute::v1 as pb;

use crate::tests::*;
use crate::tests_bids::bid_msg;
use crate::tests_leases::lease_msg;
use crate::tests_orders::create_order_msg;
use crate::MODULE_ACCOUNT;

#[derive(Clone, Debug)]
enum Op {
    CreateProvider(u8, u128),
    UpdateProvider(u8),
    DeleteProvider(u8),
    CreateOrder(u8, u128),
    Deposit(u8, u64, u128, bool),
    Close(u8, u64),
    Sign(u8),
    Bid(u8, u64, u128),
    CloseBid(u8, u64),
    Lease(u8, u64, Vec<u64>),
    EndBlock(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let user = proptest::sample::select(USERS.to_vec());
    let amount = prop_oneof![
        1u128..1000,
        Just(10_000_000u128),
        Just(FUNDS),
        Just(FUNDS + 1)
    ];
    let order = 0u64..8;
    prop_oneof![
        (user.clone(), amount.clone()).prop_map(|(u, a)| Op::CreateProvider(u, a)),
        user.clone().prop_map(Op::UpdateProvider),
        user.clone().prop_map(Op::DeleteProvider),
        (user.clone(), amount.clone()).prop_map(|(u, a)| Op::CreateOrder(u, a)),
        (user.clone(), order.clone(), amount, any::<bool>())
            .prop_map(|(u, o, a, atom)| Op::Deposit(u, o, a, atom)),
        (user.clone(), order.clone()).prop_map(|(u, o)| Op::Close(u, o)),
        user.clone().prop_map(Op::Sign),
        (user.clone(), order.clone(), 1u128..12).prop_map(|(u, o, p)| Op::Bid(u, o, p)),
        (user.clone(), 0u64..12).prop_map(|(u, b)| Op::CloseBid(u, b)),
        (user, order, proptest::collection::vec(0u64..12, 0..3))
            .prop_map(|(u, o, b)| Op::Lease(u, o, b)),
        (10u64..20).prop_map(Op::EndBlock),
    ]
}

fn apply(s: &mut MemStore, op: &Op) {
    let _ = match op.clone() {
        Op::CreateProvider(u, a) => exec(s, create_provider_msg(u, a)),
        Op::UpdateProvider(u) => exec(
            s,
            pb::MsgUpdateProvider {
                owner: addr(u).to_bech32(),
                host_uri: "https://u.example".into(),
                attributes: vec![attr("gpu", "h100")],
                capacity: None,
            },
        ),
        Op::DeleteProvider(u) => exec(
            s,
            pb::MsgDeleteProvider {
                owner: addr(u).to_bech32(),
            },
        ),
        Op::CreateOrder(u, a) => exec(s, create_order_msg(u, a)),
        Op::Deposit(u, o, a, atom) => exec(
            s,
            pb::MsgDepositOrder {
                depositor: addr(u).to_bech32(),
                order_id: o,
                amount: Some(coin(a, if atom { "uatom" } else { "udeai" })),
            },
        ),
        Op::Close(u, o) => exec(
            s,
            pb::MsgCloseOrder {
                owner: addr(u).to_bech32(),
                order_id: o,
            },
        ),
        Op::Sign(u) => exec(
            s,
            pb::MsgSignProviderAttributes {
                auditor: addr(7).to_bech32(),
                provider: addr(u).to_bech32(),
                attributes: vec![attr("region", "eu")],
            },
        ),
        Op::Bid(u, o, p) => exec(s, bid_msg(u, o, p)),
        Op::Lease(u, o, b) => exec(s, lease_msg(u, o, b)),
        Op::EndBlock(h) => {
            end_block_at(s, h);
            Ok(Vec::new())
        }
        Op::CloseBid(u, b) => exec(
            s,
            pb::MsgCloseBid {
                provider: addr(u).to_bech32(),
                bid_id: b,
            },
        ),
    };
}

fn check(s: &MemStore) {
    for denom in ["udeai", "uatom"] {
        let mut total = s.module_balance(MODULE_ACCOUNT, denom).unwrap();
        for u in USERS {
            total += s.balance(&addr(u), denom).unwrap();
        }
        assert_eq!(total, s.supply_of(denom).unwrap(), "{denom}");
    }
    assert_reconciles(s);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn escrow_never_creates_or_loses_tokens(ops in proptest::collection::vec(op(), 1..30)) {
        let mut s = store();
        for op in &ops {
            apply(&mut s, op);
            check(&s);
        }
        let exported = export_all(&s);
        prop_assert_eq!(export_all(&init_all(&exported)), exported);
    }
}
