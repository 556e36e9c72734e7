//! The data provider daemon (`deai-worker data provider start`): serves its store through
//! the [`GrantPolicy`] and delivers data keys.
//!
//! Every tick (`poll`), for each encrypted dataset of its catalog that the chain says it
//! provides, it reads the dataset's grants newest first (at most [`MAX_GRANT_PAGES`] pages,
//! stopping at a page whose deliveries have all closed) and, for each grant without a key,
//! not refunded and before its delivery deadline, wraps the data key to the grantee's
//! account public key (skipped until the account has one: its first signed tx sets it) and
//! sends `MsgDeliverKey`. At most [`MAX_DELIVERIES_PER_TICK`] a tick. A failed delivery is
//! logged and retried with a backoff (2^n blocks, at most 64) until the deadline.
//!
//! Restart safety: the chain records a delivery (`delivered_at`), and the state file
//! (`provider-state.json`) records the grants this provider delivered until their deadline
//! passes, so a restart never sends a key twice for a committed delivery; a delivery whose
//! commit was not seen is retried and, if it had landed, refused by the chain (harmless).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use cosmos_sdk_proto::Any;
use deai_client::to_any;
use deai_proto::data::v1 as pb;
use deai_worker_daemon::state::Versioned;
use deai_worker_daemon::{one_line, Committed, KeyedNode, StateFile};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::catalog::{AccessKind, Catalog};
use crate::chain::{GrantSource, NodeQueries};
use crate::keywrap::wrap_key;
use crate::policy::GrantPolicy;

pub const PROVIDER_FILE: &str = "provider-state.json";
/// Keys sent at most per tick.
pub const MAX_DELIVERIES_PER_TICK: usize = 64;
/// Pages of grants read per dataset and tick.
pub const MAX_GRANT_PAGES: usize = 20;
/// Grants per page.
pub const GRANT_PAGE: u64 = 100;
/// The longest backoff after failed deliveries, in blocks.
const MAX_BACKOFF_BLOCKS: u64 = 64;

/// What a restarted provider must remember.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProviderState {
    pub version: u32,
    /// Grant id → its delivery deadline, for the grants delivered (pruned past it).
    #[serde(default)]
    pub delivered: BTreeMap<u64, u64>,
}

impl Versioned for ProviderState {
    const VERSION: u32 = 1;
    fn version(&self) -> u32 {
        self.version
    }
}

/// Whether `g` still needs its key at `height` (and this provider has not delivered it).
pub fn needs_key(g: &pb::Grant, height: u64, delivered: &BTreeMap<u64, u64>) -> bool {
    g.delivery_deadline > height
        && g.wrapped_key.is_empty()
        && g.delivered_at == 0
        && !g.refunded
        && !delivered.contains_key(&g.id)
}

/// The chain as the delivery loop reads and writes it; tests use an in-memory one.
#[allow(async_fn_in_trait)]
pub trait ProviderChain {
    /// The provider's account (bech32).
    fn address(&self) -> String;
    async fn height(&self) -> anyhow::Result<u64>;
    async fn dataset(&self, id: u64) -> anyhow::Result<Option<pb::Dataset>>;
    /// One page of a dataset's grants, newest first, and the next page's key (empty: last).
    async fn grants_page(
        &self,
        dataset_id: u64,
        key: Vec<u8>,
        limit: u64,
    ) -> anyhow::Result<(Vec<pb::Grant>, Vec<u8>)>;
    /// The account's compressed public key, `None` while it has none.
    async fn account_pubkey(&self, address: &str) -> anyhow::Result<Option<Vec<u8>>>;
    /// Signs, sends, waits for the commit (a committed failure has a non-zero code).
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed>;
}

/// A node with the provider's key.
pub struct NodeProviderChain {
    pub node: KeyedNode,
    pub queries: NodeQueries,
}

impl ProviderChain for NodeProviderChain {
    fn address(&self) -> String {
        self.node.address()
    }
    async fn height(&self) -> anyhow::Result<u64> {
        self.queries.height().await
    }
    async fn dataset(&self, id: u64) -> anyhow::Result<Option<pb::Dataset>> {
        self.queries.dataset(id).await
    }
    async fn grants_page(
        &self,
        dataset_id: u64,
        key: Vec<u8>,
        limit: u64,
    ) -> anyhow::Result<(Vec<pb::Grant>, Vec<u8>)> {
        self.queries
            .grants_of_dataset_page(dataset_id, key, limit)
            .await
    }
    async fn account_pubkey(&self, address: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.queries.account_pubkey(address).await
    }
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        self.node.send(msgs).await
    }
}

/// The key delivery loop's state.
pub struct Provider<C, S> {
    chain: C,
    catalog: Catalog,
    policy: Arc<GrantPolicy<S>>,
    file: StateFile,
    state: ProviderState,
    /// Grant id → (failures, height before which it is not retried, deadline).
    backoff: HashMap<u64, (u32, u64, u64)>,
    /// Datasets already warned about (not provided by this key, unreadable key).
    warned: HashSet<u64>,
}

impl<C: ProviderChain, S: GrantSource> Provider<C, S> {
    /// `policy` is the one serving the store: its blobs follow the catalog.
    pub fn new(
        chain: C,
        catalog: Catalog,
        policy: Arc<GrantPolicy<S>>,
        file: StateFile,
    ) -> anyhow::Result<Self> {
        let state = file
            .load::<ProviderState>("data provider state")?
            .unwrap_or(ProviderState {
                version: ProviderState::VERSION,
                ..ProviderState::default()
            });
        policy.set_blobs(catalog.blobs());
        Ok(Provider {
            chain,
            catalog,
            policy,
            file,
            state,
            backoff: HashMap::new(),
            warned: HashSet::new(),
        })
    }

    pub fn state(&self) -> &ProviderState {
        &self.state
    }

    fn warn_once(&mut self, dataset: u64, msg: &str) {
        if self.warned.insert(dataset) {
            tracing::warn!(dataset, "{msg}");
        }
    }

    /// One pass: catalog reloaded, keys delivered. Returns how many were delivered.
    pub async fn tick(&mut self) -> anyhow::Result<usize> {
        if let Err(e) = self.catalog.reload() {
            tracing::warn!(error = %one_line(&e), "re-reading the catalog; keeping the last one");
        }
        self.policy.set_blobs(self.catalog.blobs());
        let height = self.chain.height().await?;
        let before = self.state.delivered.len();
        self.state
            .delivered
            .retain(|_, deadline| *deadline > height);
        self.backoff
            .retain(|_, (_, _, deadline)| *deadline > height);
        if self.state.delivered.len() != before {
            self.file.save_or_log(&self.state, "data provider state");
        }
        let me = self.chain.address();
        let encrypted: Vec<u64> = self
            .catalog
            .datasets()
            .filter(|(_, e)| e.access == AccessKind::Encrypted)
            .map(|(id, _)| id)
            .collect();
        let mut sent = 0usize;
        for id in encrypted {
            if sent >= MAX_DELIVERIES_PER_TICK {
                break;
            }
            match self.chain.dataset(id).await? {
                Some(d) if d.provider.as_ref().map(|p| p.address.as_str()) == Some(me.as_str()) => {
                }
                Some(_) => {
                    self.warn_once(
                        id,
                        "the catalog's dataset is provided by another account: skipped",
                    );
                    continue;
                }
                None => {
                    self.warn_once(id, "the catalog's dataset is not on chain: skipped");
                    continue;
                }
            }
            let key = match self.catalog.data_key(id) {
                Ok(k) => k,
                Err(e) => {
                    self.warn_once(id, &format!("no usable data key: {}", one_line(&e)));
                    continue;
                }
            };
            sent += self
                .deliver_dataset(id, &key, height, MAX_DELIVERIES_PER_TICK - sent)
                .await?;
        }
        Ok(sent)
    }

    /// Delivers the pending keys of one dataset, at most `budget`.
    async fn deliver_dataset(
        &mut self,
        dataset_id: u64,
        key: &[u8; 32],
        height: u64,
        budget: usize,
    ) -> anyhow::Result<usize> {
        let mut sent = 0usize;
        let mut page_key = Vec::new();
        for _ in 0..MAX_GRANT_PAGES {
            let (grants, next) = self
                .chain
                .grants_page(dataset_id, page_key, GRANT_PAGE)
                .await?;
            // Newest first: once a whole page is past its deadlines, older grants are too.
            let all_closed = grants.iter().all(|g| g.delivery_deadline <= height);
            for g in grants {
                if g.dataset_id != dataset_id || !needs_key(&g, height, &self.state.delivered) {
                    continue;
                }
                if self
                    .backoff
                    .get(&g.id)
                    .is_some_and(|(_, until, _)| height < *until)
                {
                    continue;
                }
                if sent >= budget {
                    return Ok(sent);
                }
                if self.deliver(&g, key, height).await {
                    sent += 1;
                }
            }
            if next.is_empty() || all_closed {
                break;
            }
            page_key = next;
        }
        Ok(sent)
    }

    /// Wraps and sends one key; false when it was not delivered (logged).
    async fn deliver(&mut self, g: &pb::Grant, key: &[u8; 32], height: u64) -> bool {
        let pubkey = match self.chain.account_pubkey(&g.grantee).await {
            Ok(Some(pk)) => pk,
            Ok(None) => {
                tracing::debug!(grant = g.id, grantee = %g.grantee, "the grantee's account has no public key yet; retrying later");
                return false;
            }
            Err(e) => {
                tracing::warn!(grant = g.id, error = %one_line(&e), "reading the grantee's account");
                return false;
            }
        };
        let wrapped = match wrap_key(&pubkey, key) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(grant = g.id, grantee = %g.grantee, "cannot wrap to the grantee's key: {e}");
                self.back_off(g, height);
                return false;
            }
        };
        let msg = pb::MsgDeliverKey {
            provider: self.chain.address(),
            grant_id: g.id,
            wrapped_key: wrapped,
        };
        match self.chain.send(vec![to_any(&msg)]).await {
            Ok(c) if c.ok() => {
                tracing::info!(grant = g.id, dataset = g.dataset_id, grantee = %g.grantee, height = %c.height, "key delivered");
                self.state.delivered.insert(g.id, g.delivery_deadline);
                self.backoff.remove(&g.id);
                self.file.save_or_log(&self.state, "data provider state");
                true
            }
            Ok(c) => {
                tracing::warn!(grant = g.id, code = c.code, log = %c.raw_log, "MsgDeliverKey refused");
                self.back_off(g, height);
                false
            }
            Err(e) => {
                tracing::warn!(grant = g.id, error = %one_line(&e), "sending MsgDeliverKey");
                self.back_off(g, height);
                false
            }
        }
    }

    fn back_off(&mut self, g: &pb::Grant, height: u64) {
        let e = self
            .backoff
            .entry(g.id)
            .or_insert((0, 0, g.delivery_deadline));
        e.0 = e.0.saturating_add(1);
        let wait = 1u64
            .checked_shl(e.0)
            .unwrap_or(u64::MAX)
            .min(MAX_BACKOFF_BLOCKS);
        e.1 = height.saturating_add(wait);
    }

    pub fn save(&self) {
        self.file.save_or_log(&self.state, "data provider state");
    }
}

/// Ticks every `poll` until `shutdown`; a failed tick is logged and retried.
pub async fn run_provider<C: ProviderChain, S: GrantSource>(
    mut p: Provider<C, S>,
    poll: Duration,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval(poll);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!("data provider running");
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = every.tick() => {}
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            r = p.tick() => match r {
                Ok(0) => {}
                Ok(n) => tracing::info!(delivered = n, "tick"),
                Err(e) => tracing::warn!(error = %one_line(&e), "tick failed; retrying"),
            },
        }
    }
    p.save();
    tracing::info!("data provider stopped");
}

#[cfg(test)]
#[path = "provider_tests.rs"]
mod tests;
