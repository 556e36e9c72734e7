//! Buying access: the fee split, the dispenser, datatokens moved with bank send.

use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::dec::Dec;
use deai_proto::data::v1 as pb;

use crate::tests::*;
use crate::tests_datasets::*;
use crate::*;

pub(crate) const BUYER: u8 = 3;
const CONSUME: u8 = 4;

pub(crate) fn buy_msg(id: u64, count: u64, max_price: u128) -> pb::MsgBuyAccess {
    pb::MsgBuyAccess {
        buyer: addr(BUYER).to_bech32(),
        dataset_id: id,
        count,
        max_price: Some(coin(max_price)),
        consume_market: String::new(),
        consume_market_fee: String::new(),
    }
}

fn community(s: &deai_framework::MemStore) -> u128 {
    s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

#[test]
fn split_floors_each_share_and_gives_the_rest_to_the_publisher() {
    let p = Params::default(); // provider 1%, publish market 1%, take 1%
    let fee = Dec::parse("0.03").unwrap();
    for total in [
        0u128,
        1,
        99,
        100,
        101,
        12_345,
        999_999_999_999,
        u128::MAX / 2,
    ] {
        let s = split::split(&p, fee, total).unwrap();
        assert_eq!(s.total(), Some(total), "{total}");
        assert_eq!(s.to_provider, total / 100);
        assert!(s.to_consume_market <= total / 100 * 3 + 3);
    }
}

#[test]
fn buy_pays_every_share_and_mints_tokens() {
    let mut s = store();
    let id = publish(&mut s, 1_234, pb::Access::Open);
    let before = [PUBLISHER, PROVIDER, BUYER, CONSUME].map(|u| balance(&s, u, "udeai"));
    let pool0 = community(&s);
    let msg = pb::MsgBuyAccess {
        consume_market: addr(CONSUME).to_bech32(),
        consume_market_fee: "0.02".into(),
        ..buy_msg(id, 7, 1_234)
    };
    let r: pb::MsgBuyAccessResponse = exec_resp(&mut s, 2, msg).unwrap();
    let total = 7 * 1_234u128; // 8638
    assert_eq!(r.paid, Some(coin(total)));
    let (prov, market, consume, take) = (86, 86, 172, 86);
    let publisher = total - prov - market - consume - take;
    let after = [PUBLISHER, PROVIDER, BUYER, CONSUME].map(|u| balance(&s, u, "udeai"));
    assert_eq!(after[0], before[0] + publisher);
    assert_eq!(after[1], before[1] + prov);
    assert_eq!(after[2], before[2] - total);
    assert_eq!(after[3], before[3] + consume);
    // The publish market defaults to the community pool.
    assert_eq!(community(&s), pool0 + market + take);
    assert_eq!(balance(&s, BUYER, "data/1"), 7);
    assert_eq!(s.supply_of("data/1").unwrap(), 7);
    assert_reconciles(&s);
}

#[test]
fn buy_rejections() {
    let mut s = store();
    let id = publish(&mut s, PRICE, pb::Access::Open);
    let max = Params::default().max_buy_count;
    let cases = vec![
        (buy_msg(99, 1, PRICE), data(ERR_DATASET_NOT_FOUND)),
        (buy_msg(id, 0, PRICE), data(ERR_BAD_COUNT)),
        (buy_msg(id, max + 1, PRICE), data(ERR_BAD_COUNT)),
        (buy_msg(id, 1, PRICE - 1), data(ERR_PRICE_TOO_HIGH)),
        (
            pb::MsgBuyAccess {
                max_price: Some(testing::proto_coin(PRICE, "uatom")),
                ..buy_msg(id, 1, PRICE)
            },
            data(ERR_PRICE_TOO_HIGH),
        ),
        (
            pb::MsgBuyAccess {
                consume_market_fee: "0.01".into(),
                ..buy_msg(id, 1, PRICE)
            },
            data(ERR_BAD_FEE),
        ),
        (
            pb::MsgBuyAccess {
                consume_market: addr(CONSUME).to_bech32(),
                consume_market_fee: "0.5".into(),
                ..buy_msg(id, 1, PRICE)
            },
            data(ERR_BAD_FEE),
        ),
        (
            pb::MsgBuyAccess {
                consume_market: deai_auth::module_address(MODULE_ACCOUNT).to_bech32(),
                consume_market_fee: "0.05".into(),
                ..buy_msg(id, 1, PRICE)
            },
            data(ERR_BLOCKED_RECIPIENT),
        ),
    ];
    for (msg, want) in cases {
        assert_eq!(code(exec_at(&mut s, 2, msg.clone())), want, "{msg:?}");
    }
    let disable = pb::MsgUpdateDataset {
        publisher: addr(PUBLISHER).to_bech32(),
        dataset_id: id,
        disabled: true,
        ..Default::default()
    };
    exec_at(&mut s, 2, disable).unwrap();
    assert_eq!(
        code(exec_at(&mut s, 3, buy_msg(id, 1, PRICE))),
        data(ERR_DATASET_DISABLED)
    );
    assert_eq!(s.supply_of("data/1").unwrap(), 0);
    assert_reconciles(&s);
}

#[test]
fn a_compute_to_data_dataset_is_neither_sold_nor_redeemed() {
    let mut s = store();
    let id = publish(&mut s, PRICE, pb::Access::ComputeToData);
    let before = balance(&s, BUYER, "udeai");
    assert_eq!(
        code(exec_at(&mut s, 2, buy_msg(id, 1, PRICE))),
        data(ERR_COMPUTE_TO_DATA_ONLY)
    );
    let redeem = pb::MsgRedeemAccess {
        grantee: addr(BUYER).to_bech32(),
        dataset_id: id,
    };
    assert_eq!(
        code(exec_at(&mut s, 3, redeem)),
        data(ERR_COMPUTE_TO_DATA_ONLY)
    );
    assert_eq!(balance(&s, BUYER, "udeai"), before);
    assert_eq!(s.supply_of(&denom(id)).unwrap(), 0);
    assert_reconciles(&s);
}

#[test]
fn dispenser_caps_free_tokens_per_address_forever() {
    let mut s = store();
    let id = publish(&mut s, 0, pb::Access::Open);
    let cap = Params::default().dispenser_cap;
    assert_eq!(cap, 1);
    exec_at(&mut s, 2, buy_msg(id, 1, 0)).unwrap();
    assert_eq!(
        code(exec_at(&mut s, 3, buy_msg(id, 1, 0))),
        data(ERR_DISPENSER_CAP)
    );
    // Moving the token away does not reset the count.
    let send = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: addr(BUYER).to_bech32(),
        to_address: addr(5).to_bech32(),
        amount: vec![testing::proto_coin(1, "data/1")],
    };
    testing::exec(
        &deai_bank::BankModule,
        &mut s,
        &testing::block(3),
        10_000_000,
        send,
    )
    .unwrap();
    assert_eq!(
        code(exec_at(&mut s, 4, buy_msg(id, 1, 0))),
        data(ERR_DISPENSER_CAP)
    );
    // Another address has its own cap; the count survives genesis.
    let other = pb::MsgBuyAccess {
        buyer: addr(6).to_bech32(),
        ..buy_msg(id, 1, 0)
    };
    exec_at(&mut s, 4, other).unwrap();
    assert_eq!(balance(&s, 5, "data/1"), 1);
    assert_eq!(balance(&s, 6, "data/1"), 1);
    assert_eq!(s.dispensed(id, &addr(BUYER)).unwrap(), 1);
    assert_reconciles(&s);
    let app = testing::export_all(&modules(), &s);
    let s2 = testing::try_init_all(&modules(), &app).unwrap();
    assert_eq!(s2.dispensed(id, &addr(6)).unwrap(), 1);
}
