//! The key delivery loop against an in-memory chain.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use cosmos_sdk_proto::Any;
use deai_proto::data::v1 as pb;
use deai_worker_daemon::{Committed, StateFile};
use deai_worker_jobs::Digest;
use k256::SecretKey;
use prost::Message;

use super::*;
use crate::catalog::{AccessKind, Catalog};
use crate::chain::GrantSource;
use crate::keywrap::unwrap_key;
use crate::policy::{GrantPolicy, PolicyConfig};

const ME: &str = "provider";

#[derive(Default)]
struct World {
    height: u64,
    datasets: HashMap<u64, pb::Dataset>,
    /// Newest last; served newest first.
    grants: Vec<pb::Grant>,
    pubkeys: HashMap<String, Vec<u8>>,
    /// Grants whose delivery the chain refuses.
    refuse: Vec<u64>,
    sent: Vec<pb::MsgDeliverKey>,
    pages_read: usize,
}

#[derive(Clone, Default)]
struct Mock(Arc<Mutex<World>>);

impl Mock {
    fn w(&self) -> std::sync::MutexGuard<'_, World> {
        self.0.lock().unwrap()
    }
}

impl ProviderChain for Mock {
    fn address(&self) -> String {
        ME.into()
    }
    async fn height(&self) -> anyhow::Result<u64> {
        Ok(self.w().height)
    }
    async fn dataset(&self, id: u64) -> anyhow::Result<Option<pb::Dataset>> {
        Ok(self.w().datasets.get(&id).cloned())
    }
    async fn grants_page(
        &self,
        dataset_id: u64,
        key: Vec<u8>,
        limit: u64,
    ) -> anyhow::Result<(Vec<pb::Grant>, Vec<u8>)> {
        let mut w = self.w();
        w.pages_read += 1;
        let mut all: Vec<pb::Grant> = w
            .grants
            .iter()
            .filter(|g| g.dataset_id == dataset_id)
            .cloned()
            .collect();
        all.reverse();
        let start = if key.is_empty() {
            0
        } else {
            u64::from_be_bytes(key.try_into().unwrap()) as usize
        };
        let end = (start + limit as usize).min(all.len());
        let next = if end < all.len() {
            (end as u64).to_be_bytes().to_vec()
        } else {
            Vec::new()
        };
        Ok((all[start..end].to_vec(), next))
    }
    async fn account_pubkey(&self, address: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.w().pubkeys.get(address).cloned())
    }
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        let m = pb::MsgDeliverKey::decode(msgs[0].value.as_slice())?;
        let mut w = self.w();
        if w.refuse.contains(&m.grant_id) {
            return Ok(Committed {
                code: 7,
                raw_log: "delivery closed".into(),
                ..Default::default()
            });
        }
        let h = w.height;
        let g = w.grants.iter_mut().find(|g| g.id == m.grant_id).unwrap();
        g.wrapped_key = m.wrapped_key.clone();
        g.delivered_at = h;
        w.sent.push(m);
        Ok(Committed::default())
    }
}

struct NoChain;

impl GrantSource for NoChain {
    async fn height(&self) -> anyhow::Result<u64> {
        anyhow::bail!("unused")
    }
    async fn grant(&self, _: u64) -> anyhow::Result<Option<pb::Grant>> {
        anyhow::bail!("unused")
    }
    async fn dataset(&self, _: u64) -> anyhow::Result<Option<pb::Dataset>> {
        anyhow::bail!("unused")
    }
}

const DATA_KEY: [u8; 32] = [5; 32];

fn secret(i: u8) -> SecretKey {
    SecretKey::from_slice(&[i; 32]).unwrap()
}

fn grant(id: u64, grantee: u8) -> pb::Grant {
    pb::Grant {
        id,
        dataset_id: 1,
        grantee: format!("g{grantee}"),
        created_at: 1,
        expires_at_height: 1000,
        delivery_deadline: 50,
        ..Default::default()
    }
}

/// Dataset 1 (encrypted, this provider's) in the catalog and on chain; grantees g1..g9
/// have public keys of secrets 1..9.
fn setup(dir: &std::path::Path) -> (Mock, Catalog, Arc<GrantPolicy<NoChain>>, StateFile) {
    let mut catalog = Catalog::open(dir, &[9u8; 32]).unwrap();
    let blob = Digest::of(b"ct");
    let e = catalog
        .new_entry(blob, [0; 32], 2, AccessKind::Encrypted, Some(&DATA_KEY))
        .unwrap();
    catalog.add_pending(e).unwrap();
    catalog.confirm(&blob, 1).unwrap();
    let mock = Mock::default();
    {
        let mut w = mock.w();
        w.height = 10;
        let ds = |id, p: &str| pb::Dataset {
            id,
            provider: Some(pb::Provider {
                address: p.into(),
                host_uri: String::new(),
            }),
            access: pb::Access::Encrypted as i32,
            ..Default::default()
        };
        w.datasets.insert(1, ds(1, ME));
        for i in 1..=9u8 {
            let pk = secret(i).public_key();
            use k256::elliptic_curve::sec1::ToEncodedPoint;
            w.pubkeys.insert(
                format!("g{i}"),
                pk.to_encoded_point(true).as_bytes().to_vec(),
            );
        }
    }
    let policy = Arc::new(GrantPolicy::new(
        NoChain,
        PolicyConfig::new("c", ME),
        HashMap::new(),
    ));
    let file = StateFile::open(dir, PROVIDER_FILE).unwrap();
    (mock, catalog, policy, file)
}

#[tokio::test]
async fn keys_go_to_waiting_grantees_once_and_only_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let (mock, catalog, policy, file) = setup(dir.path());
    {
        let mut w = mock.w();
        w.grants.push(grant(1, 1));
        w.grants.push(pb::Grant {
            refunded: true,
            ..grant(2, 2)
        });
        w.grants.push(pb::Grant {
            delivery_deadline: 10,
            ..grant(3, 3)
        });
        w.grants.push(grant(4, 0)); // no public key yet
        w.grants.push(pb::Grant {
            delivery_deadline: 0,
            ..grant(5, 5)
        }); // not encrypted
    }
    let mut p = Provider::new(mock.clone(), catalog, policy.clone(), file.clone()).unwrap();
    assert_eq!(p.tick().await.unwrap(), 1);
    {
        let w = mock.w();
        assert_eq!(w.sent.len(), 1);
        assert_eq!((w.sent[0].grant_id, w.sent[0].provider.as_str()), (1, ME));
        assert_eq!(
            unwrap_key(&secret(1), &w.sent[0].wrapped_key).unwrap(),
            DATA_KEY
        );
        assert!(unwrap_key(&secret(2), &w.sent[0].wrapped_key).is_err());
    }
    // The grantee's account gets its key: delivered at the next tick; nothing twice.
    let pk = mock.w().pubkeys["g1"].clone();
    mock.w().pubkeys.insert("g0".into(), pk);
    assert_eq!(p.tick().await.unwrap(), 1);
    assert_eq!(p.tick().await.unwrap(), 0);
    assert_eq!(
        mock.w().sent.iter().map(|m| m.grant_id).collect::<Vec<_>>(),
        vec![1, 4]
    );
    assert_eq!(
        p.state().delivered.keys().copied().collect::<Vec<_>>(),
        vec![1, 4]
    );

    // Restarted, it remembers what it delivered even if its node still shows no key.
    {
        let mut w = mock.w();
        for g in w.grants.iter_mut() {
            g.wrapped_key.clear();
            g.delivered_at = 0;
        }
    }
    let catalog = Catalog::open(dir.path(), &[9u8; 32]).unwrap();
    let mut again = Provider::new(mock.clone(), catalog, policy.clone(), file).unwrap();
    assert_eq!(again.tick().await.unwrap(), 0);
    // Past the deadline the record is dropped.
    mock.w().height = 60;
    again.tick().await.unwrap();
    assert!(again.state().delivered.is_empty());
    assert_eq!(mock.w().sent.len(), 2);
}

#[tokio::test]
async fn a_refused_delivery_is_retried_after_a_backoff_and_ticks_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let (mock, catalog, policy, file) = setup(dir.path());
    {
        let mut w = mock.w();
        w.grants.push(grant(1, 1));
        w.refuse.push(1);
        for id in 2..=(MAX_DELIVERIES_PER_TICK as u64 + 11) {
            w.grants.push(grant(id, 2));
        }
    }
    let mut p = Provider::new(mock.clone(), catalog, policy, file).unwrap();
    // The newest first, at most MAX_DELIVERIES_PER_TICK a tick; the refused one goes on.
    assert_eq!(p.tick().await.unwrap(), MAX_DELIVERIES_PER_TICK);
    assert_eq!(p.tick().await.unwrap(), 10);
    assert!(mock.w().sent.iter().all(|m| m.grant_id != 1));
    // Grant 1 was tried once (refused) and waits 2 blocks before the next try.
    mock.w().refuse.clear();
    assert_eq!(p.tick().await.unwrap(), 0, "backing off");
    mock.w().height = 12;
    assert_eq!(p.tick().await.unwrap(), 1);
    assert_eq!(mock.w().sent.last().unwrap().grant_id, 1);
}

#[tokio::test]
async fn datasets_of_others_and_closed_pages_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let (mock, catalog, policy, file) = setup(dir.path());
    {
        let mut w = mock.w();
        // 250 old grants, all past their deadline: the first page shows it, one page read.
        for id in 1..=250 {
            w.grants.push(pb::Grant {
                delivery_deadline: 5,
                ..grant(id, 1)
            });
        }
    }
    let mut p = Provider::new(mock.clone(), catalog, policy, file).unwrap();
    assert_eq!(p.tick().await.unwrap(), 0);
    assert_eq!(mock.w().pages_read, 1);
    mock.w().grants.push(grant(251, 1));
    mock.w()
        .datasets
        .get_mut(&1)
        .unwrap()
        .provider
        .as_mut()
        .unwrap()
        .address = "other".into();
    assert_eq!(p.tick().await.unwrap(), 0, "another provider's dataset");
    assert_eq!(mock.w().pages_read, 1);
}

#[test]
fn only_open_undelivered_unrefunded_grants_need_a_key() {
    let g = pb::Grant {
        id: 4,
        delivery_deadline: 20,
        ..Default::default()
    };
    let none = BTreeMap::new();
    assert!(needs_key(&g, 10, &none));
    assert!(!needs_key(&g, 20, &none), "the deadline is exclusive");
    let open = pb::Grant {
        delivery_deadline: 0,
        ..g.clone()
    };
    assert!(!needs_key(&open, 10, &none), "not encrypted");
    let refunded = pb::Grant {
        refunded: true,
        ..g.clone()
    };
    assert!(!needs_key(&refunded, 10, &none));
    let delivered = pb::Grant {
        delivered_at: 9,
        wrapped_key: vec![1],
        ..g.clone()
    };
    assert!(!needs_key(&delivered, 10, &none));
    let mut mine = BTreeMap::new();
    mine.insert(4, 20);
    assert!(!needs_key(&g, 10, &mine), "already sent by this provider");
}
