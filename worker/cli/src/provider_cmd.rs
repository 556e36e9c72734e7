//! `deai-worker provider start`: the compute provider daemon (deai-worker-provider) with
//! the engine as its job runner, its key from a deaid keyring, and its artifact store served
//! over HTTP. Stops cleanly on SIGTERM / SIGINT.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use deai_client::{Backend, GasPrice, Keyring, SendOptions};
use deai_worker_artifacts::{router, serve_with, OpenAccess, ServerLimits, Store};
use deai_worker_daemon::node::{cancel_on_signals, connect_sender};
use deai_worker_provider::orders::{parse_attributes, parse_coin, parse_resources};
use deai_worker_provider::{Config, Daemon, JobRunner, NodeChain, StateDir};
use tokio_util::sync::CancellationToken;

use crate::engine_runner::EngineRunner;
use crate::{default_cache, default_store, resolve};

#[derive(Subcommand)]
pub enum ProviderCommand {
    /// Run the provider daemon: register, bid, train won leases, submit results, answer
    /// audits (--verifier), withdraw earnings.
    Start(StartArgs),
}

/// The node and key flags shared with deaid.
#[derive(Args, Clone)]
pub struct NodeArgs {
    /// CometBFT RPC address of a node.
    #[arg(long, default_value = "tcp://127.0.0.1:26657")]
    pub node: String,
}

impl NodeArgs {
    /// The node's URL with `tcp://` read as `http://`, as deaid does.
    pub fn url(&self) -> String {
        deai_worker_daemon::node::node_url(&self.node)
    }
}

#[derive(Args)]
pub struct StartArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// Name of the provider's key in the keyring.
    #[arg(long)]
    key: String,
    #[arg(long, value_enum, default_value = "file")]
    keyring_backend: Backend,
    /// deaid's home, where the keyring lives (`file` passphrase: DEAI_KEYRING_PASSPHRASE).
    #[arg(long, env = "DEAI_HOME", default_value_os_t = default_home())]
    home: PathBuf,
    /// Price per block of every bid, e.g. 10udeai.
    #[arg(long)]
    price: String,
    /// Where the artifact server listens, e.g. 127.0.0.1:7070.
    #[arg(long)]
    artifact_addr: SocketAddr,
    /// The artifact server's URL as others reach it (default http://<artifact-addr>):
    /// the provider's host_uri and the base of its results' artifact_uri.
    #[arg(long)]
    host_uri: Option<String>,
    /// Attributes offered, k=v,k2=v2.
    #[arg(long, default_value = "")]
    attributes: String,
    /// Take audits as a verifier (registers the attribute verifier=true).
    #[arg(long)]
    verifier: bool,
    /// Stake escrowed at registration (default: the chain's provider_min_stake).
    #[arg(long)]
    stake: Option<String>,
    /// Capacity offered.
    #[arg(
        long,
        default_value = "cpu_millis=2000,memory_bytes=4294967296,storage_bytes=10737418240"
    )]
    capacity: String,
    /// Deposit of each bid (default: the chain's bid_min_deposit).
    #[arg(long)]
    bid_deposit: Option<String>,
    /// State directory (default <home>/provider).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// The artifact store it publishes into and serves (default <state-dir>/store).
    #[arg(long)]
    store: Option<PathBuf>,
    /// An artifact server to fetch datasets from when they are not local.
    #[arg(long, env = "DEAI_ARTIFACT_SERVER")]
    artifact_server: Option<String>,
    /// A local store searched for datasets (default: the worker's shared store).
    #[arg(long, env = "DEAI_STORE", default_value_os_t = default_store())]
    data_store: PathBuf,
    /// Directories (comma-separated) an order's dataset path hint may point into; hints
    /// elsewhere are ignored and the dataset is looked up by hash in --data-store or
    /// --artifact-server (default: the worker's cache, $DEAI_CACHE or /var/cache/deai).
    #[arg(long, value_delimiter = ',', default_values_os_t = vec![default_cache()])]
    dataset_roots: Vec<PathBuf>,
    /// Gas price of its txs.
    #[arg(long, default_value = "0.025udeai")]
    gas_prices: String,
    /// Seconds between full re-reads of the chain (open orders, leases, audits).
    #[arg(long, default_value_t = 15)]
    reconcile_secs: u64,
    /// Seconds between withdrawals of the earnings of active leases.
    #[arg(long, default_value_t = 60)]
    withdraw_secs: u64,
    /// Largest blob the store accepts, in bytes.
    #[arg(long, default_value_t = 1 << 30)]
    max_blob_bytes: u64,
}

pub fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".deai")
}

pub use deai_worker_daemon::node::passphrase;

pub fn run(cmd: &ProviderCommand, quiet: bool) -> anyhow::Result<ExitCode> {
    let ProviderCommand::Start(a) = cmd;
    let host_uri = a
        .host_uri
        .clone()
        .unwrap_or_else(|| format!("http://{}", a.artifact_addr));
    let cfg = Config {
        host_uri: host_uri.trim_end_matches('/').to_string(),
        price: parse_coin(&a.price).context("--price")?,
        attributes: parse_attributes(&a.attributes).context("--attributes")?,
        verifier: a.verifier,
        stake: a
            .stake
            .as_deref()
            .map(parse_coin)
            .transpose()
            .context("--stake")?,
        capacity: parse_resources(&a.capacity).context("--capacity")?,
        bid_deposit: a
            .bid_deposit
            .as_deref()
            .map(parse_coin)
            .transpose()
            .context("--bid-deposit")?,
        reconcile_every: Duration::from_secs(a.reconcile_secs.max(1)),
        withdraw_every: Duration::from_secs(a.withdraw_secs.max(1)),
    };
    let state_dir = a
        .state_dir
        .clone()
        .unwrap_or_else(|| a.home.join("provider"));
    let (dir, state) = StateDir::open(&state_dir)?;
    let store_dir = a.store.clone().unwrap_or_else(|| dir.store_dir());
    let store = Arc::new(
        Store::open(&store_dir, a.max_blob_bytes)
            .with_context(|| format!("opening artifact store {}", store_dir.display()))?,
    );
    let key = Keyring::open(&a.home, a.keyring_backend).get(&a.key, passphrase)?;
    let runner: Arc<dyn JobRunner> = Arc::new(EngineRunner::new(
        resolve::Sources {
            store_dir: a.data_store.clone(),
            server: a.artifact_server.clone(),
            max_blob_bytes: a.max_blob_bytes,
        },
        quiet,
        &a.dataset_roots,
    ));
    let gas_price = GasPrice::parse(&a.gas_prices).context("--gas-prices")?;
    let url = a.node.url();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.artifact_addr)
            .await
            .with_context(|| format!("binding the artifact server to {}", a.artifact_addr))?;
        if !a.artifact_addr.ip().is_loopback() {
            tracing::warn!(addr = %a.artifact_addr, "the artifact server listens beyond loopback, with open access");
        }
        tracing::info!(addr = %a.artifact_addr, store = %store_dir.display(), %host_uri, "serving artifacts");
        let server = tokio::spawn(serve_with(
            listener,
            router(store.clone(), Arc::new(OpenAccess)),
            ServerLimits::default(),
        ));

        let shutdown = CancellationToken::new();
        cancel_on_signals(shutdown.clone());
        let opts = SendOptions {
            gas_price,
            ..SendOptions::default()
        };
        let Some(sender) = connect_sender(&url, &key, &opts, &shutdown).await else {
            return Ok(());
        };
        let chain = NodeChain::new(sender)?;
        tracing::info!(provider = %deai_worker_provider::Chain::address(&chain), node = %url, state_dir = %dir.path().display(), "provider starting");
        let daemon = Daemon::new(chain, cfg, runner, dir, state, store);
        let r = daemon.run(&url, shutdown).await;
        server.abort();
        r
    })?;
    Ok(ExitCode::SUCCESS)
}
