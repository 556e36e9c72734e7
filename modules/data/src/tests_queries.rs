//! Queries: single records, paginated lists and their filters.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use deai_proto::data::v1 as pb;

use crate::tests::*;
use crate::tests_buy::*;
use crate::tests_datasets::*;

fn page(limit: u64) -> Option<PageRequest> {
    Some(PageRequest {
        limit,
        count_total: true,
        ..Default::default()
    })
}

#[test]
fn datasets_grants_pools_and_contributions() {
    let mut s = store();
    let d1 = publish(&mut s, PRICE, pb::Access::Open);
    let d2 = publish(&mut s, PRICE, pb::Access::Open);
    let other = pb::MsgPublishDataset {
        publisher: addr(7).to_bech32(),
        ..publish_msg(PRICE, pb::Access::Open)
    };
    exec_at(&mut s, 1, other).unwrap();

    let r: pb::QueryDatasetResponse = query(
        &s,
        "/deai.data.v1.Query/Dataset",
        pb::QueryDatasetRequest { id: d2 },
    )
    .unwrap();
    assert_eq!(r.dataset.unwrap().id, d2);
    assert!(query::<_, pb::QueryDatasetResponse>(
        &s,
        "/deai.data.v1.Query/Dataset",
        pb::QueryDatasetRequest { id: 9 }
    )
    .is_err());
    let all: pb::QueryDatasetsResponse = query(
        &s,
        "/deai.data.v1.Query/Datasets",
        pb::QueryDatasetsRequest {
            publisher: String::new(),
            pagination: page(2),
        },
    )
    .unwrap();
    assert_eq!(all.datasets.len(), 2);
    assert_eq!(all.pagination.unwrap().total, 3);
    let mine: pb::QueryDatasetsResponse = query(
        &s,
        "/deai.data.v1.Query/Datasets",
        pb::QueryDatasetsRequest {
            publisher: addr(PUBLISHER).to_bech32(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(
        mine.datasets.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![d1, d2]
    );

    exec_at(&mut s, 2, buy_msg(d1, 2, PRICE)).unwrap();
    exec_at(&mut s, 2, buy_msg(d2, 1, PRICE)).unwrap();
    for d in [d1, d1, d2] {
        exec_at(
            &mut s,
            3,
            pb::MsgRedeemAccess {
                grantee: addr(BUYER).to_bech32(),
                dataset_id: d,
            },
        )
        .unwrap();
    }
    let grants = |grantee: String, dataset_id| -> Vec<u64> {
        let r: pb::QueryGrantsResponse = query(
            &s,
            "/deai.data.v1.Query/Grants",
            pb::QueryGrantsRequest {
                grantee,
                dataset_id,
                pagination: None,
            },
        )
        .unwrap();
        r.grants.iter().map(|g| g.id).collect()
    };
    let buyer = addr(BUYER).to_bech32();
    assert_eq!(grants(buyer.clone(), 0), vec![1, 2, 3]);
    assert_eq!(grants(buyer.clone(), d1), vec![1, 2]);
    assert_eq!(grants(String::new(), d2), vec![3]);
    assert_eq!(grants(String::new(), 0), vec![1, 2, 3]);
    assert!(grants(addr(5).to_bech32(), 0).is_empty());
    let g: pb::QueryGrantResponse = query(
        &s,
        "/deai.data.v1.Query/Grant",
        pb::QueryGrantRequest { id: 3 },
    )
    .unwrap();
    assert_eq!(g.grant.unwrap().dataset_id, d2);

    let create = pb::MsgCreatePool {
        owner: addr(8).to_bech32(),
        schema: "{}".into(),
        reward_per_epoch: Some(coin(10)),
        epoch_length: 5,
        min_contributor_stake: Some(coin(1)),
        score_threshold_u16: 0,
        validators: vec![addr(5).to_bech32()],
        funds: Some(coin(100)),
    };
    exec_at(&mut s, 4, create).unwrap();
    let bond = pb::MsgBondPoolValidator {
        validator: addr(5).to_bech32(),
        pool_id: 1,
        stake: Some(coin(7)),
    };
    exec_at(&mut s, 4, bond).unwrap();
    for (who, h) in [(1u8, 1u8), (2, 2)] {
        let m = pb::MsgContribute {
            contributor: addr(who).to_bech32(),
            pool_id: 1,
            content_sha256: vec![h; 32],
            uri: "ipfs://x".into(),
            stake: Some(coin(1)),
        };
        exec_at(&mut s, 4, m).unwrap();
    }
    let score = pb::MsgScoreContribution {
        validator: addr(5).to_bech32(),
        contribution_id: 2,
        score_u16: 9,
    };
    exec_at(&mut s, 4, score).unwrap();
    let p: pb::QueryPoolResponse = query(
        &s,
        "/deai.data.v1.Query/Pool",
        pb::QueryPoolRequest { id: 1 },
    )
    .unwrap();
    assert_eq!(p.pool.unwrap().balance, Some(coin(100)));
    assert_eq!(p.validators.len(), 1);
    let c: pb::QueryContributionsResponse = query(
        &s,
        "/deai.data.v1.Query/Contributions",
        pb::QueryContributionsRequest {
            pool_id: 1,
            pagination: page(1),
        },
    )
    .unwrap();
    assert_eq!(c.contributions.len(), 1);
    assert!(c.scores.is_empty());
    let next = c.pagination.unwrap().next_key;
    let c: pb::QueryContributionsResponse = query(
        &s,
        "/deai.data.v1.Query/Contributions",
        pb::QueryContributionsRequest {
            pool_id: 1,
            pagination: Some(PageRequest {
                key: next,
                ..Default::default()
            }),
        },
    )
    .unwrap();
    assert_eq!(c.contributions[0].id, 2);
    assert_eq!(c.scores[0].score_u16, 9);
    assert_reconciles(&s);
}
