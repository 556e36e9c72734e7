//! The daemon against an in-memory chain and a fake job runner: bids, jobs, results and
//! audits, and restarts that resume without submitting anything twice.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use deai_framework::events::typed_event;
use deai_proto::compute::v1 as pb;
use deai_worker_artifacts::Store;
use deai_worker_jobs::{Digest, JobSpec, TrainResult};
use prost::{Message, Name};

use crate::chain::{Chain, Committed};
use crate::daemon::{Config, Daemon};
use crate::notices::Notice;
use crate::orders::parse_coin;
use crate::publish::tests::{fake_run, spec};
use crate::runner::{Answer, AuditStart, CancelFlag, JobRunner};
use crate::state::{AuditStage, LeaseStage, StateDir};

pub(crate) const ME: &str = "deai1provider";

pub(crate) fn coin(amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: "udeai".into(),
        amount: amount.to_string(),
    }
}

#[derive(Default)]
pub(crate) struct Ledger {
    providers: BTreeMap<String, pb::Provider>,
    orders: BTreeMap<u64, pb::Order>,
    leases: BTreeMap<u64, pb::Lease>,
    results: Vec<pb::Result>,
    audits: Vec<pb::Audit>,
    pub(crate) datasets: BTreeMap<u64, deai_proto::data::v1::Dataset>,
    sent: Vec<Any>,
    next_bid: u64,
}

/// An in-memory chain; clones share one ledger, so a "restarted" daemon sees the same chain.
#[derive(Clone, Default)]
pub(crate) struct FakeChain(Arc<Mutex<Ledger>>);

impl FakeChain {
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Ledger) -> T) -> T {
        f(&mut self.0.lock().unwrap())
    }
    pub(crate) fn sent_of<M: Name + Message + Default>(&self) -> Vec<M> {
        self.with(|l| {
            l.sent
                .iter()
                .filter(|a| a.type_url == M::type_url())
                .map(|a| M::decode(a.value.as_slice()).unwrap())
                .collect()
        })
    }
}

impl Chain for FakeChain {
    fn address(&self) -> String {
        ME.into()
    }
    async fn params(&self) -> anyhow::Result<pb::Params> {
        Ok(pb::Params {
            bid_min_deposit: Some(coin(100)),
            provider_min_stake: Some(coin(1000)),
            max_checkpoints: 256,
            ..Default::default()
        })
    }
    async fn provider(&self, owner: &str) -> anyhow::Result<Option<pb::Provider>> {
        Ok(self.with(|l| l.providers.get(owner).cloned()))
    }
    async fn order(&self, id: u64) -> anyhow::Result<Option<pb::Order>> {
        Ok(self.with(|l| l.orders.get(&id).cloned()))
    }
    async fn open_orders(&self) -> anyhow::Result<Vec<pb::Order>> {
        Ok(self.with(|l| {
            l.orders
                .values()
                .filter(|o| o.state == pb::OrderState::Open as i32)
                .cloned()
                .collect()
        }))
    }
    async fn lease(&self, id: u64) -> anyhow::Result<Option<pb::Lease>> {
        Ok(self.with(|l| l.leases.get(&id).cloned()))
    }
    async fn leases_of(&self, provider: &str) -> anyhow::Result<Vec<pb::Lease>> {
        Ok(self.with(|l| {
            l.leases
                .values()
                .filter(|x| x.provider == provider)
                .cloned()
                .collect()
        }))
    }
    async fn results(&self, order_id: u64) -> anyhow::Result<Vec<pb::Result>> {
        Ok(self.with(|l| {
            l.results
                .iter()
                .filter(|r| r.order_id == order_id)
                .cloned()
                .collect()
        }))
    }
    async fn audits_of(&self, verifier: &str) -> anyhow::Result<Vec<pb::Audit>> {
        Ok(self.with(|l| {
            l.audits
                .iter()
                .filter(|a| a.verifier == verifier)
                .cloned()
                .collect()
        }))
    }
    async fn dataset(&self, id: u64) -> anyhow::Result<Option<deai_proto::data::v1::Dataset>> {
        Ok(self.with(|l| l.datasets.get(&id).cloned()))
    }
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        self.with(|l| {
            let mut events = Vec::new();
            for m in &msgs {
                l.sent.push(m.clone());
                if m.type_url == pb::MsgCreateProvider::type_url() {
                    let p = pb::MsgCreateProvider::decode(m.value.as_slice())?;
                    l.providers.insert(
                        p.owner.clone(),
                        pb::Provider {
                            owner: p.owner,
                            attributes: p.attributes,
                            ..Default::default()
                        },
                    );
                } else if m.type_url == pb::MsgCreateBid::type_url() {
                    let b = pb::MsgCreateBid::decode(m.value.as_slice())?;
                    l.next_bid += 1;
                    let e = typed_event(&pb::EventBidCreated {
                        bid_id: l.next_bid,
                        order_id: b.order_id,
                        provider: b.provider,
                        price: b.price,
                    });
                    events.push(serde_json::json!({"type": e.kind, "attributes": e.attributes.iter()
                        .map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect::<Vec<_>>()}));
                } else if m.type_url == pb::MsgSubmitResult::type_url() {
                    let r = pb::MsgSubmitResult::decode(m.value.as_slice())?;
                    let order_id = l.leases[&r.lease_id].order_id;
                    l.results.push(pb::Result {
                        lease_id: r.lease_id,
                        order_id,
                        provider: r.provider,
                        result_hash: r.result_hash,
                        weights_sha256: r.weights_sha256,
                        checkpoint_hashes: r.checkpoint_hashes,
                        artifact_uri: r.artifact_uri,
                        submitted_at: 1,
                    });
                } else if m.type_url == pb::MsgSubmitAudit::type_url() {
                    let a = pb::MsgSubmitAudit::decode(m.value.as_slice())?;
                    for x in l.audits.iter_mut().filter(|x| x.order_id == a.order_id) {
                        x.state = pb::AuditState::Resolved as i32;
                        x.checkpoint_hash = a.checkpoint_hash.clone();
                    }
                }
            }
            Ok(Committed {
                txhash: "AB".into(),
                events: serde_json::Value::Array(events),
                ..Default::default()
            })
        })
    }
}

/// Trains by writing a fake run; answers audits with fixed hashes.
#[derive(Default)]
pub(crate) struct FakeRunner {
    pub(crate) trained: AtomicUsize,
    /// Training fails this many more times (a passing failure).
    failures: AtomicUsize,
    /// Whether the spec's dataset is under the dataset roots (compute-to-data).
    pub(crate) local: std::sync::atomic::AtomicBool,
}

pub(crate) fn answer_of(segment: usize) -> Digest {
    Digest::of(format!("answer {segment}").as_bytes())
}

impl JobRunner for FakeRunner {
    fn checkpoints(&self, _: &JobSpec) -> Result<usize, String> {
        Ok(3)
    }
    fn has_local_dataset(&self, _: &JobSpec) -> bool {
        self.local.load(Ordering::SeqCst)
    }
    fn max_checkpoint_bytes(&self, _: &JobSpec) -> u64 {
        1 << 20
    }
    fn train(&self, spec: &JobSpec, out: &Path, _: &CancelFlag) -> anyhow::Result<TrainResult> {
        self.trained.fetch_add(1, Ordering::SeqCst);
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            anyhow::bail!("the dataset's server is unreachable");
        }
        Ok(fake_run(spec, out, 3))
    }
    fn audit_answer(
        &self,
        _: &JobSpec,
        segment: usize,
        start: Option<AuditStart<'_>>,
        _: &CancelFlag,
    ) -> anyhow::Result<Result<Answer, String>> {
        Ok(match (segment, start) {
            (0, _) => Ok(Some(answer_of(0))),
            (s, _) if s >= 2 => Ok(None),
            (_, None) => Err("a start is needed".into()),
            (s, Some(st)) => match st.file {
                Some(f) if Digest::of(f) == st.claimed.checkpoints[s].file_sha256 => {
                    Ok(Some(answer_of(s)))
                }
                _ => Err("withheld".into()),
            },
        })
    }
}

fn config(verifier: bool) -> Config {
    Config {
        host_uri: "http://127.0.0.1:7070".into(),
        price: parse_coin("10udeai").unwrap(),
        attributes: vec![],
        verifier,
        stake: None,
        capacity: pb::Resources::default(),
        bid_deposit: None,
        reconcile_every: Duration::from_secs(30),
        withdraw_every: Duration::from_secs(60),
    }
}

pub(crate) fn daemon(
    chain: &FakeChain,
    runner: &Arc<FakeRunner>,
    dir: &Path,
    verifier: bool,
) -> Daemon<FakeChain> {
    let (sd, state) = StateDir::open(dir).unwrap();
    let store = Arc::new(Store::open(sd.store_dir(), 1 << 20).unwrap());
    let runner: Arc<dyn JobRunner> = runner.clone();
    Daemon::new(chain.clone(), config(verifier), runner, sd, state, store)
}

pub(crate) fn open_order(id: u64, spec_text: &str) -> pb::Order {
    pb::Order {
        id,
        spec: spec_text.as_bytes().to_vec(),
        spec_sha256: Digest::of(spec_text.as_bytes()).0.to_vec(),
        max_price_per_block: Some(coin(20)),
        state: pb::OrderState::Open as i32,
        redundancy: 1,
        ..Default::default()
    }
}

pub(crate) fn lease(id: u64, order_id: u64) -> pb::Lease {
    pb::Lease {
        id,
        order_id,
        bid_id: 1,
        provider: ME.into(),
        state: pb::LeaseState::Active as i32,
        ..Default::default()
    }
}

pub(crate) fn spec_text() -> String {
    serde_json::to_string(&spec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_won_lease_is_trained_published_and_submitted_once_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let chain = FakeChain::default();
    let runner = Arc::new(FakeRunner::default());
    chain.with(|l| {
        l.orders.insert(1, open_order(1, &spec_text()));
        // An order the provider cannot run does not stop it.
        l.orders.insert(2, open_order(2, "{\"version\": 1}"));
    });
    let mut d = daemon(&chain, &runner, dir.path(), false);
    d.ensure_registered().await.unwrap();
    d.reconcile().await;
    let bids: Vec<pb::MsgCreateBid> = chain.sent_of();
    assert_eq!(bids.len(), 1);
    assert_eq!(
        (bids[0].order_id, bids[0].deposit.clone()),
        (1, Some(coin(100)))
    );
    assert_eq!(d.state().bids[&1].bid_id, 1);

    chain.with(|l| {
        l.orders.get_mut(&1).unwrap().state = pb::OrderState::Leased as i32;
        l.leases.insert(10, lease(10, 1));
    });
    d.handle(Notice::LeaseCreated(pb::EventLeaseCreated {
        lease_id: 10,
        order_id: 1,
        bid_id: 1,
        provider: ME.into(),
        price: None,
    }))
    .await;
    d.drain().await;
    let submitted: Vec<pb::MsgSubmitResult> = chain.sent_of();
    assert_eq!(submitted.len(), 1);
    let m = &submitted[0];
    let result: TrainResult = serde_json::from_slice(
        &std::fs::read(dir.path().join("jobs/lease-10/result.json")).unwrap(),
    )
    .unwrap();
    let hashes: Vec<Vec<u8>> = result
        .checkpoints
        .iter()
        .map(|c| c.hash.0.to_vec())
        .collect();
    assert_eq!(m.checkpoint_hashes, hashes);
    assert_eq!(&m.result_hash, hashes.last().unwrap());
    assert_eq!(m.weights_sha256, result.final_weights_sha256.0.to_vec());
    let json = Digest::of_file(&dir.path().join("jobs/lease-10/result.json")).unwrap();
    assert_eq!(
        m.artifact_uri,
        format!("http://127.0.0.1:7070/blobs/{json}")
    );
    assert_eq!(d.state().leases[&10].stage, LeaseStage::Submitted);

    // A restart: nothing is bid, trained or submitted again.
    drop(d);
    let mut d = daemon(&chain, &runner, dir.path(), false);
    d.ensure_registered().await.unwrap();
    d.reconcile().await;
    d.drain().await;
    assert_eq!(chain.sent_of::<pb::MsgSubmitResult>().len(), 1);
    assert_eq!(chain.sent_of::<pb::MsgCreateBid>().len(), 1);
    assert_eq!(chain.sent_of::<pb::MsgCreateProvider>().len(), 1);
    assert_eq!(runner.trained.load(Ordering::SeqCst), 1);

    // Withdrawals go to active leases.
    d.withdraw_active().await;
    let w: Vec<pb::MsgWithdrawLease> = chain.sent_of();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].lease_id, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_sending_or_mid_job_neither_double_submits_nor_skips_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let chain = FakeChain::default();
    let runner = Arc::new(FakeRunner::default());
    chain.with(|l| {
        let mut o = open_order(1, &spec_text());
        o.state = pb::OrderState::Leased as i32;
        l.orders.insert(1, o);
        l.leases.insert(10, lease(10, 1));
        l.leases.insert(11, lease(11, 1));
    });
    let mut d = daemon(&chain, &runner, dir.path(), false);
    d.reconcile().await;
    d.drain().await;
    assert_eq!(chain.sent_of::<pb::MsgSubmitResult>().len(), 2);

    // The process died after the result of lease 10 was committed but before the state
    // said so, and in the middle of lease 11's job (its directory holds a partial run).
    let (sd, mut s) = StateDir::open(dir.path()).unwrap();
    s.leases.get_mut(&10).unwrap().stage = LeaseStage::Trained;
    s.leases.get_mut(&11).unwrap().stage = LeaseStage::Won;
    s.leases.get_mut(&11).unwrap().result = None;
    sd.save(&s).unwrap();
    chain.with(|l| l.results.retain(|r| r.lease_id != 11));
    std::fs::write(dir.path().join("jobs/lease-11/result.json"), b"partial").unwrap();

    let mut d = daemon(&chain, &runner, dir.path(), false);
    d.reconcile().await;
    d.drain().await;
    let sent: Vec<pb::MsgSubmitResult> = chain.sent_of();
    assert_eq!(sent.len(), 3, "only lease 11's result is sent again");
    assert_eq!(sent[2].lease_id, 11);
    assert_eq!(
        sent[2].result_hash, sent[1].result_hash,
        "the re-run is deterministic"
    );
    assert_eq!(runner.trained.load(Ordering::SeqCst), 3);
    assert_eq!(d.state().leases[&10].stage, LeaseStage::Submitted);
    assert_eq!(d.state().leases[&11].stage, LeaseStage::Submitted);

    // A lease that ended on chain is not worked on.
    chain.with(|l| l.leases.get_mut(&11).unwrap().state = pb::LeaseState::Completed as i32);
    d.handle(Notice::LeaseCompleted(pb::EventLeaseCompleted {
        lease_id: 11,
        order_id: 1,
        provider: ME.into(),
    }))
    .await;
    assert_eq!(d.state().leases[&11].stage, LeaseStage::Ended);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assigned_audit_is_answered_once() {
    let dir = tempfile::tempdir().unwrap();
    let chain = FakeChain::default();
    let runner = Arc::new(FakeRunner::default());
    chain.with(|l| {
        let mut o = open_order(1, &spec_text());
        o.state = pb::OrderState::Disputed as i32;
        l.orders.insert(1, o);
        l.audits.push(pb::Audit {
            id: 5,
            order_id: 1,
            segment: 0,
            verifier: ME.into(),
            state: pb::AuditState::Pending as i32,
            ..Default::default()
        });
    });
    let assigned = Notice::AuditAssigned(pb::EventAuditAssigned {
        audit_id: 5,
        order_id: 1,
        segment: 0,
        verifier: ME.into(),
        reason: pb::AuditReason::Dispute as i32,
        deadline: 100,
    });
    // Without --verifier the provider ignores audits.
    let mut d = daemon(&chain, &runner, dir.path(), false);
    d.handle(assigned.clone()).await;
    d.drain().await;
    assert!(chain.sent_of::<pb::MsgSubmitAudit>().is_empty());

    let mut d = daemon(&chain, &runner, dir.path(), true);
    d.handle(assigned.clone()).await;
    d.drain().await;
    let sent: Vec<pb::MsgSubmitAudit> = chain.sent_of();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (
            sent[0].order_id,
            sent[0].segment,
            sent[0].checkpoint_hash.clone()
        ),
        (1, 0, answer_of(0).0.to_vec())
    );
    assert_eq!(d.state().audits[&5].stage, AuditStage::Submitted);

    // A restart and the same event again (a replayed subscription): no second answer.
    let mut d = daemon(&chain, &runner, dir.path(), true);
    d.handle(assigned).await;
    d.reconcile().await;
    d.drain().await;
    assert_eq!(chain.sent_of::<pb::MsgSubmitAudit>().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jailed_provider_places_no_bids() {
    let dir = tempfile::tempdir().unwrap();
    let chain = FakeChain::default();
    let runner = Arc::new(FakeRunner::default());
    let mut d = daemon(&chain, &runner, dir.path(), false);
    d.ensure_registered().await.unwrap();
    chain.with(|l| {
        l.providers.get_mut(ME).unwrap().jailed = true;
        l.orders.insert(1, open_order(1, &spec_text()));
    });
    d.reconcile().await;
    d.handle(Notice::OrderCreated(pb::EventOrderCreated {
        order_id: 1,
        ..Default::default()
    }))
    .await;
    assert!(chain.sent_of::<pb::MsgCreateBid>().is_empty());
    chain.with(|l| l.providers.get_mut(ME).unwrap().jailed = false);
    d.reconcile().await;
    assert_eq!(chain.sent_of::<pb::MsgCreateBid>().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_is_retried_then_given_up() {
    let dir = tempfile::tempdir().unwrap();
    let chain = FakeChain::default();
    let runner = Arc::new(FakeRunner::default());
    chain.with(|l| {
        let mut o = open_order(1, &spec_text());
        o.state = pb::OrderState::Leased as i32;
        l.orders.insert(1, o);
        l.leases.insert(10, lease(10, 1));
    });
    // Two passing failures, then a success.
    runner.failures.store(2, Ordering::SeqCst);
    let mut d = daemon(&chain, &runner, dir.path(), false);
    for _ in 0..3 {
        d.reconcile().await;
        d.drain().await;
    }
    assert_eq!(runner.trained.load(Ordering::SeqCst), 3);
    assert_eq!(chain.sent_of::<pb::MsgSubmitResult>().len(), 1);

    // A job that keeps failing is given up after three runs.
    chain.with(|l| l.leases.insert(11, lease(11, 1)));
    runner.failures.store(100, Ordering::SeqCst);
    for _ in 0..5 {
        d.reconcile().await;
        d.drain().await;
    }
    assert_eq!(runner.trained.load(Ordering::SeqCst), 6);
    assert_eq!(d.state().leases[&11].stage, LeaseStage::Failed);
    assert!(d.state().leases[&11]
        .error
        .as_deref()
        .unwrap()
        .contains("unreachable"));
}

#[path = "c2d_tests.rs"]
mod c2d;
