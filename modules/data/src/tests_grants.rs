//! Redeeming datatokens into grants, key delivery and refunds of missed deliveries.

use deai_bank::BankRead;
use deai_framework::MemStore;
use deai_proto::data::v1 as pb;

use crate::tests::*;
use crate::tests_buy::*;
use crate::tests_datasets::*;
use crate::*;

fn redeem_msg(who: u8, id: u64) -> pb::MsgRedeemAccess {
    pb::MsgRedeemAccess {
        grantee: addr(who).to_bech32(),
        dataset_id: id,
    }
}

fn deliver_msg(who: u8, grant: u64, key: Vec<u8>) -> pb::MsgDeliverKey {
    pb::MsgDeliverKey {
        provider: addr(who).to_bech32(),
        grant_id: grant,
        wrapped_key: key,
    }
}

/// Publishes an encrypted dataset and buys `count` tokens at height 2.
fn bought(count: u64) -> (MemStore, u64) {
    let mut s = store();
    let id = publish(&mut s, PRICE, pb::Access::Encrypted);
    exec_at(&mut s, 2, buy_msg(id, count, PRICE)).unwrap();
    (s, id)
}

#[test]
fn a_token_sent_with_bank_is_redeemed_by_the_recipient() {
    let (mut s, id) = bought(2);
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
    let r: pb::MsgRedeemAccessResponse = exec_resp(&mut s, 10, redeem_msg(5, id)).unwrap();
    let p = Params::default();
    assert_eq!(r.expires_at_height, 10 + p.grant_blocks);
    assert_eq!(balance(&s, 5, "data/1"), 0);
    assert_eq!(s.supply_of("data/1").unwrap(), 1);
    let g = s.get_grant(r.grant_id).unwrap().unwrap();
    assert_eq!(g.grantee, addr(5).to_bech32());
    assert_eq!(g.delivery_deadline, 10 + p.delivery_window);
    assert_eq!(g.price, Some(coin(PRICE)));
    // No token left: bank's insufficient funds.
    assert_eq!(code(exec_at(&mut s, 11, redeem_msg(5, id))).0, "sdk");
    assert_eq!(
        code(exec_at(&mut s, 11, redeem_msg(5, 42))),
        data(ERR_DATASET_NOT_FOUND)
    );
    assert_reconciles(&s);
}

#[test]
fn deliver_key_checks_provider_deadline_and_once() {
    let (mut s, id) = bought(3);
    let grant = |s: &mut MemStore, h| {
        exec_resp::<_, pb::MsgRedeemAccessResponse>(s, h, redeem_msg(BUYER, id))
            .unwrap()
            .grant_id
    };
    let g1 = grant(&mut s, 5);
    let key = vec![9u8; 120];
    assert_eq!(
        code(exec_at(&mut s, 6, deliver_msg(PUBLISHER, g1, key.clone()))),
        data(ERR_UNAUTHORIZED)
    );
    assert_eq!(
        code(exec_at(&mut s, 6, deliver_msg(PROVIDER, g1, vec![0; 257]))),
        data(ERR_BAD_WRAPPED_KEY)
    );
    assert_eq!(
        code(exec_at(&mut s, 6, deliver_msg(PROVIDER, g1, vec![]))),
        data(ERR_BAD_WRAPPED_KEY)
    );
    assert_eq!(
        code(exec_at(&mut s, 6, deliver_msg(PROVIDER, 77, key.clone()))),
        data(ERR_GRANT_NOT_FOUND)
    );
    exec_at(&mut s, 6, deliver_msg(PROVIDER, g1, key.clone())).unwrap();
    let g = s.get_grant(g1).unwrap().unwrap();
    assert_eq!((g.wrapped_key.clone(), g.delivered_at), (key.clone(), 6));
    assert_eq!(
        code(exec_at(&mut s, 7, deliver_msg(PROVIDER, g1, key.clone()))),
        data(ERR_ALREADY_DELIVERED)
    );
    let g2 = grant(&mut s, 8);
    let deadline = 8 + Params::default().delivery_window;
    assert_eq!(
        code(exec_at(
            &mut s,
            deadline,
            deliver_msg(PROVIDER, g2, key.clone())
        )),
        data(ERR_DELIVERY_CLOSED)
    );
    exec_at(&mut s, deadline - 1, deliver_msg(PROVIDER, g2, key.clone())).unwrap();
    // A delivered grant is never refunded.
    let before = balance(&s, BUYER, "udeai");
    testing::end_block(&DataModule, &mut s, &testing::block(deadline + 5));
    assert_eq!(balance(&s, BUYER, "udeai"), before);
    assert_reconciles(&s);

    // An open dataset has no key.
    let open = publish(&mut s, PRICE, pb::Access::Open);
    exec_at(&mut s, 9, buy_msg(open, 1, PRICE)).unwrap();
    let r: pb::MsgRedeemAccessResponse = exec_resp(&mut s, 9, redeem_msg(BUYER, open)).unwrap();
    assert_eq!(
        code(exec_at(&mut s, 9, deliver_msg(PROVIDER, r.grant_id, key))),
        data(ERR_NOT_ENCRYPTED)
    );
}

#[test]
fn an_undelivered_key_is_refunded_from_the_deposit() {
    let (mut s, id) = bought(2);
    let r: pb::MsgRedeemAccessResponse = exec_resp(&mut s, 5, redeem_msg(BUYER, id)).unwrap();
    // The price rises after redemption: the refund is still what the token cost then.
    let raise = pb::MsgUpdateDataset {
        publisher: addr(PUBLISHER).to_bech32(),
        dataset_id: id,
        price: Some(coin(PRICE * 10)),
        ..Default::default()
    };
    exec_at(&mut s, 6, raise).unwrap();
    let deadline = 5 + Params::default().delivery_window;
    let before = balance(&s, BUYER, "udeai");
    testing::end_block(&DataModule, &mut s, &testing::block(deadline - 1));
    assert_eq!(balance(&s, BUYER, "udeai"), before);
    let events = testing::end_block(&DataModule, &mut s, &testing::block(deadline));
    assert!(events
        .iter()
        .any(|e| e.kind == "deai.data.v1.EventDeliveryRefunded"));
    assert_eq!(balance(&s, BUYER, "udeai"), before + PRICE);
    let g = s.get_grant(r.grant_id).unwrap().unwrap();
    assert!(g.refunded);
    let d = s.get_dataset(id).unwrap().unwrap();
    assert_eq!(d.deposit, Some(coin(DEPOSIT - PRICE)));
    // Refunded once only.
    testing::end_block(&DataModule, &mut s, &testing::block(deadline + 1));
    assert_eq!(balance(&s, BUYER, "udeai"), before + PRICE);
    assert_eq!(
        code(exec_at(
            &mut s,
            deadline + 1,
            deliver_msg(PROVIDER, r.grant_id, vec![1])
        )),
        data(ERR_ALREADY_DELIVERED)
    );
    assert_reconciles(&s);
}

#[test]
fn refunds_stop_at_the_deposit() {
    let mut s = store();
    // A price above the deposit: the refund is what the deposit holds.
    let big = DEPOSIT * 2;
    let id = publish(&mut s, big, pb::Access::Encrypted);
    exec_at(&mut s, 2, buy_msg(id, 2, big)).unwrap();
    exec_at(&mut s, 3, redeem_msg(BUYER, id)).unwrap();
    exec_at(&mut s, 3, redeem_msg(BUYER, id)).unwrap();
    let before = balance(&s, BUYER, "udeai");
    let deadline = 3 + Params::default().delivery_window;
    testing::end_block(&DataModule, &mut s, &testing::block(deadline));
    assert_eq!(balance(&s, BUYER, "udeai"), before + DEPOSIT);
    assert_eq!(s.get_dataset(id).unwrap().unwrap().deposit, Some(coin(0)));
    assert!(s.get_grant(2).unwrap().unwrap().refunded);
    assert_reconciles(&s);
}
