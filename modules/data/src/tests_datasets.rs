//! Publishing and updating datasets.

use deai_bank::BankRead;
use deai_proto::data::v1 as pb;

use crate::tests::*;
use crate::*;

pub(crate) const DEPOSIT: u128 = 1_000_000;
pub(crate) const PRICE: u128 = 1_000;
pub(crate) const PUBLISHER: u8 = 1;
pub(crate) const PROVIDER: u8 = 2;

/// A compute-to-data dataset is published by its provider (the only one allowed).
pub(crate) fn publish_msg(price: u128, access: pb::Access) -> pb::MsgPublishDataset {
    let provider = if access == pb::Access::ComputeToData {
        PUBLISHER
    } else {
        PROVIDER
    };
    pb::MsgPublishDataset {
        publisher: addr(PUBLISHER).to_bech32(),
        content_sha256: vec![7; 32],
        size: 1024,
        metadata: r#"{"name":"weather","license":"CC-BY-4.0"}"#.into(),
        price: Some(coin(price)),
        provider: Some(pb::Provider {
            address: addr(provider).to_bech32(),
            host_uri: "https://provider.example".into(),
        }),
        access: access as i32,
    }
}

/// Publishes a dataset at `price` with `access`; returns its id.
pub(crate) fn publish(s: &mut deai_framework::MemStore, price: u128, access: pb::Access) -> u64 {
    let r: pb::MsgPublishDatasetResponse = exec_resp(s, 1, publish_msg(price, access)).unwrap();
    assert_eq!(r.denom, denom(r.dataset_id));
    r.dataset_id
}

fn dataset(s: &deai_framework::MemStore, id: u64) -> pb::Dataset {
    s.get_dataset(id).unwrap().unwrap()
}

#[test]
fn only_its_provider_publishes_a_compute_to_data_dataset() {
    let mut s = store();
    // Naming another provider would let anyone sell the use of that provider's local data
    // (the content hash is public): refused, nothing moves.
    let mut m = publish_msg(PRICE, pb::Access::ComputeToData);
    m.provider.as_mut().unwrap().address = addr(PROVIDER).to_bech32();
    assert_eq!(code(exec_at(&mut s, 1, m)), data(ERR_C2D_NOT_OWN_PROVIDER));
    assert_eq!(balance(&s, PUBLISHER, "udeai"), FUNDS);
    assert_eq!(publish(&mut s, PRICE, pb::Access::ComputeToData), 1);
    assert_reconciles(&s);
}

#[test]
fn publish_escrows_the_deposit_and_registers_the_denom() {
    let mut s = store();
    let id = publish(&mut s, PRICE, pb::Access::Encrypted);
    assert_eq!(id, 1);
    assert_eq!(balance(&s, PUBLISHER, "udeai"), FUNDS - DEPOSIT);
    let d = dataset(&s, id);
    assert_eq!(d.denom, "data/1");
    assert_eq!(d.deposit, Some(coin(DEPOSIT)));
    assert_eq!(d.created_at, 1);
    let meta = s.denom_metadata("data/1").unwrap().unwrap();
    assert_eq!(meta.description, "weather");
    assert_eq!(meta.display, "data/1");
    assert_eq!(publish(&mut s, 0, pb::Access::Open), 2);
    assert_reconciles(&s);
}

#[test]
fn publish_rejections() {
    let mut s = store();
    let cases: Vec<(pb::MsgPublishDataset, (&str, u32))> = vec![
        (
            pb::MsgPublishDataset {
                content_sha256: vec![1; 31],
                ..publish_msg(PRICE, pb::Access::Open)
            },
            data(ERR_BAD_HASH_LENGTH),
        ),
        (
            pb::MsgPublishDataset {
                size: 0,
                ..publish_msg(PRICE, pb::Access::Open)
            },
            data(ERR_ZERO_AMOUNT),
        ),
        (
            publish_msg(PRICE, pb::Access::Unspecified),
            data(ERR_BAD_ACCESS),
        ),
        (
            pb::MsgPublishDataset {
                metadata: r#"{"description":"no name"}"#.into(),
                ..publish_msg(PRICE, pb::Access::Open)
            },
            data(ERR_BAD_METADATA),
        ),
        (
            pb::MsgPublishDataset {
                metadata: r#"{"name":"x","extra":"y"}"#.into(),
                ..publish_msg(PRICE, pb::Access::Open)
            },
            data(ERR_BAD_METADATA),
        ),
        (
            pb::MsgPublishDataset {
                metadata: format!(r#"{{"name":"{}"}}"#, "n".repeat(5000)),
                ..publish_msg(PRICE, pb::Access::Open)
            },
            data(ERR_BAD_METADATA),
        ),
        (
            pb::MsgPublishDataset {
                metadata: "[1]".into(),
                ..publish_msg(PRICE, pb::Access::Open)
            },
            data(ERR_BAD_METADATA),
        ),
        (
            pb::MsgPublishDataset {
                price: Some(testing::proto_coin(5, "uatom")),
                ..publish_msg(PRICE, pb::Access::Open)
            },
            data(ERR_DENOM_MISMATCH),
        ),
        (
            pb::MsgPublishDataset {
                provider: Some(pb::Provider {
                    address: addr(PROVIDER).to_bech32(),
                    host_uri: "has space".into(),
                }),
                ..publish_msg(PRICE, pb::Access::Open)
            },
            data(ERR_BAD_URI),
        ),
        (
            pb::MsgPublishDataset {
                provider: Some(pb::Provider {
                    address: deai_auth::module_address(MODULE_ACCOUNT).to_bech32(),
                    host_uri: "https://p.example".into(),
                }),
                ..publish_msg(PRICE, pb::Access::Open)
            },
            data(ERR_BLOCKED_RECIPIENT),
        ),
    ];
    for (msg, want) in cases {
        assert_eq!(code(exec_at(&mut s, 1, msg.clone())), want, "{msg:?}");
    }
    // A publisher who cannot pay the deposit: bank's insufficient funds, nothing written.
    let poor = pb::MsgPublishDataset {
        publisher: addr(20).to_bech32(),
        ..publish_msg(PRICE, pb::Access::Open)
    };
    assert_eq!(code(exec_at(&mut s, 1, poor)).0, "sdk");
    assert!(s.get_dataset(1).unwrap().is_none());
    assert_reconciles(&s);
}

#[test]
fn update_by_the_publisher_only() {
    let mut s = store();
    let id = publish(&mut s, PRICE, pb::Access::Open);
    let msg = |who: u8| pb::MsgUpdateDataset {
        publisher: addr(who).to_bech32(),
        dataset_id: id,
        metadata: r#"{"name":"weather v2"}"#.into(),
        price: Some(coin(2 * PRICE)),
        provider_host_uri: "https://mirror.example".into(),
        disabled: true,
    };
    assert_eq!(code(exec_at(&mut s, 2, msg(3))), data(ERR_UNAUTHORIZED));
    let missing = pb::MsgUpdateDataset {
        dataset_id: 99,
        ..msg(PUBLISHER)
    };
    assert_eq!(
        code(exec_at(&mut s, 2, missing)),
        data(ERR_DATASET_NOT_FOUND)
    );
    exec_at(&mut s, 2, msg(PUBLISHER)).unwrap();
    let d = dataset(&s, id);
    assert!(d.disabled);
    assert_eq!(d.price, Some(coin(2 * PRICE)));
    assert_eq!(d.provider.unwrap().host_uri, "https://mirror.example");
    let meta = s.denom_metadata("data/1").unwrap().unwrap();
    assert_eq!(meta.description, "weather v2");
    // Empty fields leave things as they are.
    let keep = pb::MsgUpdateDataset {
        publisher: addr(PUBLISHER).to_bech32(),
        dataset_id: id,
        ..Default::default()
    };
    exec_at(&mut s, 3, keep).unwrap();
    let d = dataset(&s, id);
    assert!(!d.disabled);
    assert_eq!(d.metadata, r#"{"name":"weather v2"}"#);
    assert_reconciles(&s);
}
