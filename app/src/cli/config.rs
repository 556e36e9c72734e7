//! `config/app.toml`: this node's settings for deaid (CometBFT's are in config.toml).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Where deaid listens for CometBFT's ABCI connections (host:port).
    pub abci_address: String,
    /// Txs paying less than this per unit of gas are refused by this node's mempool.
    pub minimum_gas_prices: String,
    /// Versions of state kept for queries at past heights and proofs; 0 keeps all.
    pub pruning_keep_recent: u64,
    /// State directory; relative paths are under the home directory.
    pub data_dir: String,
    /// The store under the state directory: "fjall" (an LSM tree, whose commits do not slow
    /// down as the state grows; `deaid init`'s default) or "sled" (the default when the key
    /// is missing). A directory keeps the store it was created with: there is no migration.
    #[serde(default = "default_db_backend")]
    pub db_backend: String,
    /// MiB of memory for the cache of Merkle tree nodes in front of the state database. It
    /// keeps commit time flat while the live tree fits (about 1.2 GiB at 1M accounts); 0
    /// turns it off. Never part of consensus: a cached node is the stored row.
    #[serde(default = "default_node_cache_mb")]
    pub node_cache_mb: u64,
    /// Event attributes CometBFT indexes for tx_search: "type.key", "prefix*", "*", and
    /// "!pattern" to exclude (see `node::event_index`). The default indexes everything but
    /// the coin-movement bookkeeping (`coin_spent.*`, `coin_received.*`, `transfer.amount`,
    /// `tx.fee`); empty indexes every attribute, as the Cosmos SDK's `index-events` does.
    #[serde(default = "crate::node::event_index::default_index_events")]
    pub index_events: Vec<String>,
    /// The gRPC server (cosmos.*.Query services, tx service, reflection).
    #[serde(default)]
    pub grpc: ServerConfig,
    /// The LCD REST server.
    #[serde(default = "ServerConfig::default_api")]
    pub api: ServerConfig,
    /// The consensus-attestation sidecar this validator asks at each ExtendVote.
    #[serde(default)]
    pub attest: AttestConfig,
    /// Limits on the work queries and simulations may do.
    #[serde(default)]
    pub query: QueryConfig,
}

/// `[query]` in app.toml.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryConfig {
    /// Most gas one gRPC, REST or ABCI query may use (reads, rows walked); past it the
    /// query fails out of gas (code 11).
    #[serde(default = "default_query_gas_limit")]
    pub gas_limit: u64,
    /// Most gas a simulation may use when the chain sets no block gas limit (with one, the
    /// block limit caps it).
    #[serde(default = "default_simulate_gas_cap")]
    pub simulate_gas_cap: u64,
    /// gRPC and REST queries and simulations run at once, each on its own thread; more wait.
    #[serde(default = "default_query_workers")]
    pub workers: usize,
}

/// An app.toml without `db_backend` was written before fjall existed, so its store is sled
/// (`deaid init` writes the key, fjall by default).
fn default_db_backend() -> String {
    "sled".into()
}

fn default_node_cache_mb() -> u64 {
    (crate::store::NODE_CACHE_BYTES >> 20) as u64
}

fn default_query_gas_limit() -> u64 {
    crate::node::DEFAULT_QUERY_GAS_LIMIT
}

fn default_simulate_gas_cap() -> u64 {
    crate::node::DEFAULT_SIMULATE_GAS_CAP
}

fn default_query_workers() -> usize {
    deai_api::DEFAULT_QUERY_WORKERS
}

impl Default for QueryConfig {
    fn default() -> Self {
        Self {
            gas_limit: default_query_gas_limit(),
            simulate_gas_cap: default_simulate_gas_cap(),
            workers: default_query_workers(),
        }
    }
}

impl QueryConfig {
    /// Refuses settings that would stop every query.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.gas_limit == 0 || self.simulate_gas_cap == 0 {
            anyhow::bail!("app.toml [query] gas_limit and simulate_gas_cap must be positive");
        }
        if self.workers == 0 || self.workers > 1024 {
            anyhow::bail!(
                "app.toml [query] workers must be 1..=1024, got {}",
                self.workers
            );
        }
        Ok(())
    }
}

/// `[attest]` in app.toml.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestConfig {
    /// `deai-worker attest serve`'s address (host:port, loopback); empty: no sidecar, and
    /// this validator's vote extensions are always empty.
    #[serde(default)]
    pub sidecar: String,
    /// Longest ExtendVote waits for the sidecar, in milliseconds (at most 2000); a slower or
    /// absent sidecar means an empty extension, never a late vote.
    #[serde(default = "default_attest_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_attest_timeout_ms() -> u64 {
    300
}

impl Default for AttestConfig {
    fn default() -> Self {
        Self {
            sidecar: String::new(),
            timeout_ms: default_attest_timeout_ms(),
        }
    }
}

impl AttestConfig {
    /// The sidecar's address and timeout, checked.
    pub fn sidecar(&self) -> anyhow::Result<Option<(std::net::SocketAddr, std::time::Duration)>> {
        if self.sidecar.is_empty() {
            return Ok(None);
        }
        let addr = self.sidecar.parse().map_err(|_| {
            anyhow::anyhow!(
                "app.toml [attest] sidecar {:?} is not host:port with an IP host",
                self.sidecar
            )
        })?;
        if self.timeout_ms == 0 || self.timeout_ms > 2000 {
            anyhow::bail!(
                "app.toml [attest] timeout_ms must be 1..=2000, got {}",
                self.timeout_ms
            );
        }
        Ok(Some((
            addr,
            std::time::Duration::from_millis(self.timeout_ms),
        )))
    }
}

/// `[grpc]` and `[api]` in app.toml.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default = "yes")]
    pub enable: bool,
    /// Listen address (host:port), on loopback unless you mean to expose the node.
    pub address: String,
}

fn yes() -> bool {
    true
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            enable: true,
            address: "127.0.0.1:9090".into(),
        }
    }
}

impl ServerConfig {
    pub fn default_api() -> Self {
        Self {
            enable: true,
            address: "127.0.0.1:1317".into(),
        }
    }

    /// The listen address when enabled.
    pub fn listen(&self, what: &str) -> anyhow::Result<Option<std::net::SocketAddr>> {
        if !self.enable {
            return Ok(None);
        }
        self.address.parse().map(Some).map_err(|_| {
            anyhow::anyhow!(
                "app.toml [{what}] address {:?} is not host:port with an IP host",
                self.address
            )
        })
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            abci_address: "127.0.0.1:26658".into(),
            minimum_gas_prices: "0.025udeai".into(),
            pruning_keep_recent: 0,
            data_dir: "data/application.db".into(),
            db_backend: default_db_backend(),
            node_cache_mb: default_node_cache_mb(),
            index_events: crate::node::event_index::default_index_events(),
            grpc: ServerConfig::default(),
            api: ServerConfig::default_api(),
            attest: AttestConfig::default(),
            query: QueryConfig::default(),
        }
    }
}

impl AppConfig {
    pub fn path(home: &Path) -> PathBuf {
        home.join("config").join("app.toml")
    }

    pub fn load(home: &Path) -> anyhow::Result<Self> {
        let path = Self::path(home);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read {}: {e} (run `deaid init` first)",
                path.display()
            )
        })?;
        let cfg: Self = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("invalid {}: {}", path.display(), e.message()))?;
        if !crate::store::BACKENDS.contains(&cfg.db_backend.as_str()) {
            anyhow::bail!(
                "invalid {}: db_backend {:?} is not one of {:?}",
                path.display(),
                cfg.db_backend,
                crate::store::BACKENDS
            );
        }
        for p in &cfg.index_events {
            crate::node::event_index::check_pattern(p)
                .map_err(|e| anyhow::anyhow!("invalid {}: {e}", path.display()))?;
        }
        Ok(cfg)
    }

    pub fn save(&self, home: &Path) -> anyhow::Result<()> {
        let text = format!("# deaid node settings\n{}", toml::to_string(self)?);
        std::fs::write(Self::path(home), text)?;
        Ok(())
    }

    /// `node_cache_mb` in bytes; refused where it does not fit this machine's address space.
    pub fn node_cache_bytes(&self) -> anyhow::Result<usize> {
        usize::try_from(self.node_cache_mb)
            .ok()
            .and_then(|mb| mb.checked_mul(1 << 20))
            .ok_or_else(|| {
                anyhow::anyhow!("app.toml node_cache_mb {} is too large", self.node_cache_mb)
            })
    }

    pub fn data_path(&self, home: &Path) -> PathBuf {
        let p = PathBuf::from(&self.data_dir);
        if p.is_absolute() {
            p
        } else {
            home.join(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::event_index::default_index_events;

    #[test]
    fn app_toml_gets_the_default_index_events_and_an_empty_list_means_all() {
        let cfg = AppConfig::default();
        assert_eq!(cfg.index_events, default_index_events());
        let text = toml::to_string(&cfg).unwrap();
        let back: AppConfig = toml::from_str(&text).unwrap();
        assert_eq!(back.index_events, default_index_events());
        // An app.toml without the key gets the default; `index_events = []` keeps the
        // SDK's meaning (every attribute; start.rs passes None).
        let without: String = text
            .lines()
            .filter(|l| !l.starts_with("index_events"))
            .map(|l| format!("{l}\n"))
            .collect();
        let cfg: AppConfig = toml::from_str(&without).unwrap();
        assert_eq!(cfg.index_events, default_index_events());
        let empty = format!("index_events = []\n{without}");
        let cfg: AppConfig = toml::from_str(&empty).unwrap();
        assert!(cfg.index_events.is_empty());
    }

    #[test]
    fn node_cache_mb_defaults_to_the_store_default_and_an_overflow_is_refused() {
        let cfg = AppConfig::default();
        assert_eq!(
            cfg.node_cache_bytes().unwrap(),
            crate::store::NODE_CACHE_BYTES
        );
        let text = toml::to_string(&cfg).unwrap();
        let without: String = text
            .lines()
            .filter(|l| !l.starts_with("node_cache_mb"))
            .map(|l| format!("{l}\n"))
            .collect();
        let old: AppConfig = toml::from_str(&without).unwrap();
        assert_eq!(old.node_cache_mb, cfg.node_cache_mb);
        let huge = AppConfig {
            node_cache_mb: u64::MAX,
            ..AppConfig::default()
        };
        let e = huge.node_cache_bytes().unwrap_err().to_string();
        assert!(e.contains("node_cache_mb"), "{e}");
    }

    #[test]
    fn a_malformed_index_events_pattern_is_refused_at_load() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("config")).unwrap();
        let mut cfg = AppConfig::default();
        cfg.save(home.path()).unwrap();
        assert!(AppConfig::load(home.path()).is_ok());
        cfg.index_events = vec!["message".into()];
        cfg.save(home.path()).unwrap();
        let e = AppConfig::load(home.path()).unwrap_err().to_string();
        assert!(e.contains("index_events entry"), "{e}");
        let mut cfg = AppConfig::default();
        cfg.db_backend = "rocksdb".into();
        cfg.save(home.path()).unwrap();
        let e = AppConfig::load(home.path()).unwrap_err().to_string();
        assert!(e.contains("db_backend"), "{e}");
    }
}
