//! Random message sequences never create or destroy coins of the bond denom, the module
//! account always holds exactly Σ deposits + Σ pool balances + Σ unsettled contribution
//! stakes + Σ validator bonds, datatokens exist only in users' hands, closed pools hold
//! nothing, and genesis round-trips (with pools closing and grants being pruned).

use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::MemStore;
use deai_proto::data::v1 as pb;
use proptest::prelude::*;

use crate::tests::*;
use crate::*;

#[derive(Clone, Debug)]
enum Op {
    Advance(u64),
    Publish(u8, u128, u8),
    Update(u8, u64, u128, bool),
    Buy(u8, u64, u64, bool),
    Send(u8, u8, u64),
    Redeem(u8, u64),
    Deliver(bool, u64),
    CreatePool(u8, u32),
    Bond(u8, u64, u128),
    Contribute(u8, u64, u8, u128),
    Score(u8, u64, u32),
    ClosePool(bool, u64),
}

fn op() -> impl Strategy<Value = Op> {
    let user = 1u8..=8;
    prop_oneof![
        3 => (1u64..8).prop_map(Op::Advance),
        2 => (user.clone(), prop_oneof![Just(0u128), 1u128..5_000, Just(3_000_000)], 0u8..4)
            .prop_map(|(u, p, a)| Op::Publish(u, p, a)),
        1 => (user.clone(), 1u64..5, 0u128..4_000, any::<bool>())
            .prop_map(|(u, d, p, x)| Op::Update(u, d, p, x)),
        4 => (user.clone(), 1u64..5, 0u64..5, any::<bool>())
            .prop_map(|(u, d, c, f)| Op::Buy(u, d, c, f)),
        2 => (user.clone(), user.clone(), 1u64..5).prop_map(|(a, b, d)| Op::Send(a, b, d)),
        3 => (user.clone(), 1u64..5).prop_map(|(u, d)| Op::Redeem(u, d)),
        2 => (any::<bool>(), 1u64..12).prop_map(|(r, g)| Op::Deliver(r, g)),
        1 => (user.clone(), 0u32..60_000).prop_map(|(u, t)| Op::CreatePool(u, t)),
        3 => (5u8..=7, 1u64..3, 1u128..2_000).prop_map(|(v, p, a)| Op::Bond(v, p, a)),
        3 => (user.clone(), 1u64..3, 0u8..30, 0u128..500)
            .prop_map(|(u, p, h, s)| Op::Contribute(u, p, h, s)),
        4 => (5u8..=7, 1u64..15, 0u32..66_000).prop_map(|(v, c, s)| Op::Score(v, c, s)),
        1 => (any::<bool>(), 1u64..3).prop_map(|(o, p)| Op::ClosePool(o, p)),
    ]
}

/// A user holding a token of dataset `d`, looking from `u` on (else `u`).
fn holder(s: &MemStore, u: u8, d: u64) -> u8 {
    (0..8u8)
        .map(|i| (u - 1 + i) % 8 + 1)
        .find(|x| balance(s, *x, &denom(d)) > 0)
        .unwrap_or(u)
}

/// The id `back` below the counter `seq`'s latest (the recent records are the live ones).
fn recent(s: &MemStore, seq: &str, back: u64) -> u64 {
    s.sequence(seq).unwrap().saturating_sub(1 + back)
}

fn apply(s: &mut MemStore, h: &mut u64, op: &Op) {
    let now = *h;
    let a = |u: u8| addr(u).to_bech32();
    let _ = match op {
        Op::Advance(k) => {
            for _ in 0..*k {
                testing::end_block(&DataModule, s, &testing::block(*h));
                *h += 1;
            }
            return;
        }
        Op::Publish(u, price, access) => exec_at(
            s,
            now,
            pb::MsgPublishDataset {
                publisher: a(*u),
                content_sha256: vec![*u; 32],
                size: 10,
                metadata: r#"{"name":"n"}"#.into(),
                price: Some(coin(*price)),
                provider: Some(pb::Provider {
                    address: a(2),
                    host_uri: "https://p.example".into(),
                }),
                access: i32::from(*access),
            },
        ),
        Op::Update(u, d, price, disabled) => exec_at(
            s,
            now,
            pb::MsgUpdateDataset {
                // Mostly the publisher, sometimes not.
                publisher: match s.get_dataset(*d).unwrap() {
                    Some(x) if *u != 1 => x.publisher,
                    _ => a(*u),
                },
                dataset_id: *d,
                price: Some(coin(*price)),
                disabled: *disabled,
                ..Default::default()
            },
        ),
        Op::Buy(u, d, count, fee) => exec_at(
            s,
            now,
            pb::MsgBuyAccess {
                buyer: a(*u),
                dataset_id: *d,
                count: *count,
                max_price: Some(coin(10_000_000)),
                consume_market: if *fee { a(7) } else { String::new() },
                consume_market_fee: if *fee { "0.037".into() } else { String::new() },
            },
        ),
        Op::Send(from, to, d) => {
            let send = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
                from_address: a(holder(s, *from, *d)),
                to_address: a(*to),
                amount: vec![testing::proto_coin(1, &denom(*d))],
            };
            testing::exec(
                &deai_bank::BankModule,
                s,
                &testing::block(now),
                10_000_000,
                send,
            )
            .map(|_| Vec::new())
        }
        Op::Redeem(u, d) => exec_at(
            s,
            now,
            pb::MsgRedeemAccess {
                grantee: a(holder(s, *u, *d)),
                dataset_id: *d,
            },
        ),
        Op::Deliver(real, g) => exec_at(
            s,
            now,
            pb::MsgDeliverKey {
                provider: a(if *real { 2 } else { 3 }),
                grant_id: recent(s, GRANT_SEQ, *g % 3),
                wrapped_key: vec![1; 100],
            },
        ),
        Op::CreatePool(u, threshold) => exec_at(
            s,
            now,
            pb::MsgCreatePool {
                owner: a(*u),
                schema: "{}".into(),
                reward_per_epoch: Some(coin(777)),
                epoch_length: 5,
                min_contributor_stake: Some(coin(50)),
                score_threshold_u16: *threshold,
                validators: vec![a(5), a(6), a(7)],
                funds: Some(coin(5_000)),
            },
        ),
        Op::Bond(v, p, amount) => exec_at(
            s,
            now,
            pb::MsgBondPoolValidator {
                validator: a(*v),
                pool_id: *p,
                stake: Some(coin(*amount)),
            },
        ),
        Op::Contribute(u, p, hash, stake) => exec_at(
            s,
            now,
            pb::MsgContribute {
                contributor: a(*u),
                pool_id: *p,
                content_sha256: vec![*hash; 32],
                uri: "ipfs://c".into(),
                stake: Some(coin(*stake)),
            },
        ),
        Op::ClosePool(owner, p) => exec_at(
            s,
            now,
            pb::MsgClosePool {
                // Mostly the owner, sometimes not.
                owner: match s.get_pool(*p).unwrap() {
                    Some(x) if *owner => x.owner,
                    _ => a(1),
                },
                pool_id: *p,
            },
        ),
        Op::Score(v, c, score) => exec_at(
            s,
            now,
            pb::MsgScoreContribution {
                validator: a(*v),
                contribution_id: recent(s, CONTRIBUTION_SEQ, *c % 4),
                score_u16: *score,
            },
        ),
    };
}

fn total(s: &MemStore) -> u128 {
    let users: u128 = (1..=9u8).map(|u| balance(s, u, "udeai")).sum();
    users
        + s.module_balance(MODULE_ACCOUNT, "udeai").unwrap()
        + s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_conserve_coins(ops in proptest::collection::vec(op(), 1..120)) {
        let mut s = store();
        let params = pb::MsgUpdateParams {
            authority: addr(AUTHORITY).to_bech32(),
            params: Some(pb::Params {
                delivery_window: 6,
                // Short grants, so that some are pruned (before or after their refund).
                grant_blocks: 9,
                dispenser_cap: 2,
                max_contributions_per_epoch: 4,
                ..Params::default().to_proto()
            }),
        };
        exec_at(&mut s, 1, params).unwrap();
        let supply = s.supply_of("udeai").unwrap();
        let all = total(&s);
        let mut h = 1;
        for op in &ops {
            apply(&mut s, &mut h, op);
            prop_assert_eq!(total(&s), all);
            prop_assert_eq!(s.supply_of("udeai").unwrap(), supply);
            for d in 1..5u64 {
                let held: u128 = (1..=9u8).map(|u| balance(&s, u, &denom(d))).sum();
                prop_assert_eq!(s.supply_of(&denom(d)).unwrap(), held);
            }
            assert_reconciles(&s);
            // A closed pool holds nothing and is not scheduled.
            for p in 1..3u64 {
                let Some(pool) = s.get_pool(p).unwrap() else { continue };
                if pool.status == pb::PoolStatus::Closed as i32 {
                    prop_assert_eq!(pool.balance, Some(coin(0)));
                    for v in s.pool_validators_of(p).unwrap() {
                        prop_assert_eq!(v.stake, Some(coin(0)));
                    }
                }
            }
        }
    }
}
