//! Expired grants are deleted in end_block, a bounded number a block, with their indexes;
//! never before a missed key's refund is paid.

use deai_framework::{Event, MemStore, StateRead};
use deai_proto::data::v1 as pb;

use crate::tests::*;
use crate::tests_buy::*;
use crate::tests_datasets::*;
use crate::*;

fn set_params(s: &mut MemStore, grant_blocks: u64, delivery_window: u64) {
    let m = pb::MsgUpdateParams {
        authority: addr(AUTHORITY).to_bech32(),
        params: Some(pb::Params {
            grant_blocks,
            delivery_window,
            ..Params::default().to_proto()
        }),
    };
    exec_at(s, 1, m).unwrap();
}

fn redeem(s: &mut MemStore, height: u64, dataset: u64) -> u64 {
    let m = pb::MsgRedeemAccess {
        grantee: addr(BUYER).to_bech32(),
        dataset_id: dataset,
    };
    exec_resp::<_, pb::MsgRedeemAccessResponse>(s, height, m)
        .unwrap()
        .grant_id
}

/// The grant ids an end_block's EventGrantsPruned names (none without the event).
fn pruned(events: &[Event]) -> Vec<u64> {
    let e = events
        .iter()
        .filter(|e| e.kind == "deai.data.v1.EventGrantsPruned")
        .collect::<Vec<_>>();
    assert!(e.len() <= 1);
    let Some(e) = e.first() else { return vec![] };
    let attr = |k: &str| {
        let v = &e.attributes.iter().find(|(key, _)| key == k).unwrap().1;
        serde_json::from_str::<serde_json::Value>(v).unwrap()
    };
    let ids: Vec<u64> = attr("grant_ids")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(attr("count"), serde_json::json!(ids.len().to_string()));
    ids
}

fn keys_under(s: &MemStore, prefix: Vec<u8>) -> usize {
    let end = deai_framework::keys::prefix_end(&prefix);
    s.scan(&prefix, end.as_deref(), false, 100_000)
        .unwrap()
        .len()
}

/// The ids the Grants query lists for the buyer, and for `dataset`.
fn listed(s: &MemStore, dataset: u64) -> (Vec<u64>, Vec<u64>) {
    let q = |grantee: String, dataset_id: u64| {
        let r: pb::QueryGrantsResponse = query(
            s,
            "/deai.data.v1.Query/Grants",
            pb::QueryGrantsRequest {
                grantee,
                dataset_id,
                pagination: Some(
                    cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                        limit: 1_000,
                        ..Default::default()
                    },
                ),
            },
        )
        .unwrap();
        r.grants.iter().map(|g| g.id).collect::<Vec<_>>()
    };
    (q(addr(BUYER).to_bech32(), 0), q(String::new(), dataset))
}

/// Every grant and index entry agree: `ids` are exactly the grants left.
fn assert_only(s: &MemStore, dataset: u64, ids: &[u64]) {
    let n = ids.len();
    let (by_grantee, by_dataset) = listed(s, dataset);
    assert_eq!((by_grantee.as_slice(), by_dataset.as_slice()), (ids, ids));
    assert_eq!(keys_under(s, state_key::grants()), n);
    assert_eq!(keys_under(s, state_key::grants_of_dataset(dataset)), n);
    assert_eq!(keys_under(s, state_key::grant_expiry_queue()), n);
}

#[test]
fn expired_grants_are_pruned_a_bounded_number_a_block_with_their_indexes() {
    let mut s = store();
    set_params(&mut s, 5, 4);
    let id = publish(&mut s, PRICE, pb::Access::Open);
    let n = MAX_PRUNES_PER_BLOCK as u64 + 44;
    exec_at(&mut s, 2, buy_msg(id, n + 2, PRICE)).unwrap();
    for _ in 0..n {
        redeem(&mut s, 2, id); // expire at 7
    }
    let late = redeem(&mut s, 4, id); // expires at 9
    assert_eq!(late, n + 1);
    let all: Vec<u64> = (1..=n + 1).collect();
    assert!(pruned(&testing::end_block(&DataModule, &mut s, &testing::block(6))).is_empty());
    assert_only(&s, id, &all);

    // The oldest 256 go first; the rest of those due wait for the next block.
    let events = testing::end_block(&DataModule, &mut s, &testing::block(7));
    assert_eq!(pruned(&events), all[..MAX_PRUNES_PER_BLOCK].to_vec());
    assert_only(&s, id, &all[MAX_PRUNES_PER_BLOCK..]);
    assert!(s.get_grant(1).unwrap().is_none());
    assert!(query::<_, pb::QueryGrantResponse>(
        &s,
        "/deai.data.v1.Query/Grant",
        pb::QueryGrantRequest { id: 1 }
    )
    .is_err());
    assert_reconciles(&s);

    // Genesis carries the pending deletions: the index is rebuilt on import.
    let app = testing::export_all(&modules(), &s);
    let mut s2 = testing::try_init_all(&modules(), &app).unwrap();
    for st in [&mut s, &mut s2] {
        let events = testing::end_block(&DataModule, st, &testing::block(8));
        assert_eq!(
            pruned(&events),
            all[MAX_PRUNES_PER_BLOCK..n as usize].to_vec()
        );
        assert_only(st, id, &[late]);
        let events = testing::end_block(&DataModule, st, &testing::block(9));
        assert_eq!(pruned(&events), vec![late]);
        assert_only(st, id, &[]);
        assert_eq!(
            keys_under(st, state_key::grants_of_grantee(&addr(BUYER))),
            0
        );
    }
    assert_eq!(
        testing::export_all(&modules(), &s2),
        testing::export_all(&modules(), &s)
    );
    // Ids are never reused.
    assert_eq!(redeem(&mut s, 10, id), n + 2);
    assert_reconciles(&s);
}

#[test]
fn a_grant_is_pruned_only_once_its_missed_key_is_refunded() {
    let mut s = store();
    // 256 grants whose key is due at 7 (expiring at 1002) fill a block's refunds ...
    set_params(&mut s, 1_000, 5);
    let id = publish(&mut s, PRICE, pb::Access::Encrypted);
    let n = MAX_REFUNDS_PER_BLOCK as u64;
    exec_at(&mut s, 2, buy_msg(id, n + 2, PRICE)).unwrap();
    for _ in 0..n {
        redeem(&mut s, 2, id);
    }
    // ... so a grant whose key is due at 9 and which expires at 10 is not refunded in
    // end_block 9 (and must not be deleted before its refund).
    set_params(&mut s, 8, 7);
    let x = redeem(&mut s, 2, id);
    let g = s.get_grant(x).unwrap().unwrap();
    assert_eq!((g.expires_at_height, g.delivery_deadline), (10, 9));
    let before = balance(&s, BUYER, "udeai");
    let events = testing::end_block(&DataModule, &mut s, &testing::block(9));
    assert!(pruned(&events).is_empty());
    assert_eq!(balance(&s, BUYER, "udeai"), before + u128::from(n) * PRICE);
    assert!(!s.get_grant(x).unwrap().unwrap().refunded);
    // The next block refunds it, then deletes it.
    let events = testing::end_block(&DataModule, &mut s, &testing::block(10));
    assert!(events
        .iter()
        .any(|e| e.kind == "deai.data.v1.EventDeliveryRefunded"));
    assert_eq!(pruned(&events), vec![x]);
    assert_eq!(
        balance(&s, BUYER, "udeai"),
        before + u128::from(n + 1) * PRICE
    );
    assert!(s.get_grant(x).unwrap().is_none());
    assert_eq!(keys_under(&s, state_key::delivery_queue()), 0);
    assert_reconciles(&s);

    // A grant whose key came is deleted at its expiry (always after its deadline: params
    // keep delivery_window below grant_blocks).
    set_params(&mut s, 6, 3);
    let y = redeem(&mut s, 20, id);
    let m = pb::MsgDeliverKey {
        provider: addr(PROVIDER).to_bech32(),
        grant_id: y,
        wrapped_key: vec![1; 64],
    };
    exec_at(&mut s, 21, m).unwrap();
    assert!(pruned(&testing::end_block(
        &DataModule,
        &mut s,
        &testing::block(25)
    ))
    .is_empty());
    assert_eq!(
        pruned(&testing::end_block(
            &DataModule,
            &mut s,
            &testing::block(26)
        )),
        vec![y]
    );
    assert_reconciles(&s);
}
