//! The data market from the worker (docs/data.md): `data publish`, `data provider start`
//! (the grant-checked artifact server and key delivery) and `data fetch`, over
//! deai-worker-data. Results are one JSON line on stdout.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use deai_client::{NodeClient, TxSender};
use deai_worker_artifacts::{router, serve_with, ServerLimits, Store};
use deai_worker_daemon::node::{cancel_on_signals, connect_sender};
use deai_worker_daemon::{parse_coin, KeyedNode, StateFile};
use deai_worker_data::chain::DATA_QUERY;
use deai_worker_data::provider::NodeProviderChain;
use deai_worker_data::Coin;
use deai_worker_data::{
    AccessKind, Catalog, FetchSpec, GrantPolicy, Metadata, NodeQueries, PolicyConfig, Provider,
    PublishSpec, PROVIDER_FILE,
};
use tokio_util::sync::CancellationToken;

use crate::inference_cmd::KeyArgs;
use crate::provider_cmd::NodeArgs;

#[derive(Subcommand)]
pub enum DataCommand {
    /// Store a dataset file (encrypted under a fresh key with --encrypt), record it in the
    /// provider's catalog and publish it on chain (provider = the key); prints
    /// {"dataset_id","denom","content_sha256","blob","host_uri"}.
    Publish(PublishArgs),
    /// The data provider daemon.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// Buy and redeem access when needed, get the key (encrypted datasets), download,
    /// decrypt and verify a dataset into --out; prints {"dataset_id","grant_id","bytes",
    /// "sha256","out"}.
    Fetch(FetchArgs),
    /// A data pool's validator (proof of contribution).
    #[command(subcommand)]
    PoolValidator(PoolValidatorCommand),
}

impl DataCommand {
    /// Only the pool validator trains (it scores contributions on the engine).
    pub fn uses_torch(&self) -> bool {
        matches!(self, DataCommand::PoolValidator(_))
    }
}

#[derive(Subcommand)]
pub enum PoolValidatorCommand {
    /// Bond to the pool if needed, then score each contribution of the current epoch by the
    /// validation-accuracy gain it brings to the pool's data (the schema's scorer) and send
    /// MsgScoreContribution. The key must be one of the pool's validators. Stops cleanly on
    /// SIGTERM / SIGINT.
    Start(deai_worker_datapool::PoolValidatorArgs),
}

#[derive(Subcommand)]
pub enum ProviderCommand {
    /// Serve the store to grantees only (signed, grant-checked downloads) and deliver the
    /// data keys of encrypted datasets' new grants. Stops cleanly on SIGTERM / SIGINT.
    Start(ProviderArgs),
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum AccessArg {
    Open,
    Encrypted,
    ComputeToData,
}

#[derive(Args)]
pub struct PublishArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// The dataset file.
    #[arg(long)]
    file: PathBuf,
    /// The provider's artifact store (what `data provider start --store` serves).
    #[arg(long)]
    store: PathBuf,
    /// The provider's state directory (its catalog; what `data provider start
    /// --state-dir` reads).
    #[arg(long)]
    state_dir: PathBuf,
    /// The provider's artifact server as buyers reach it: host_uri is
    /// <public-url>/blobs/<blob sha256>.
    #[arg(long)]
    public_url: String,
    /// Encrypt the file (same as --access encrypted).
    #[arg(long)]
    encrypt: bool,
    /// Access mode (default: encrypted with --encrypt, else open).
    #[arg(long, value_enum)]
    access: Option<AccessArg>,
    /// Price of one datatoken, e.g. 100udeai (0 for the free dispenser).
    #[arg(long)]
    price: String,
    #[arg(long)]
    name: String,
    #[arg(long)]
    description: Option<String>,
    #[arg(long)]
    license: Option<String>,
    #[arg(long)]
    schema: Option<String>,
    /// Wait for the node (and the key's account) to be reachable, instead of failing.
    #[arg(long)]
    wait: bool,
}

#[derive(Args)]
pub struct ProviderArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// The state directory `data publish` wrote the catalog into.
    #[arg(long)]
    state_dir: PathBuf,
    /// The artifact store `data publish` stored the datasets into.
    #[arg(long)]
    store: PathBuf,
    /// Where the artifact server listens, e.g. 127.0.0.1:7070 (port 0: any free port).
    #[arg(long)]
    listen: SocketAddr,
    /// The server's URL as buyers reach it (logged; the host_uris were fixed at publish).
    #[arg(long)]
    public_url: Option<String>,
    /// Seconds between looks for grants awaiting their key.
    #[arg(long, default_value_t = 2)]
    poll_secs: u64,
    /// How many blocks a download request's height may be from the chain's latest.
    #[arg(long, default_value_t = 5)]
    max_height_skew: u64,
}

#[derive(Args)]
pub struct FetchArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// The dataset's id.
    #[arg(long)]
    dataset: u64,
    /// Where the verified plaintext is written (renamed into place once checked).
    #[arg(long)]
    out: PathBuf,
    /// Highest price paid per datatoken when buying (default: the dataset's price).
    #[arg(long)]
    max_price: Option<String>,
    /// Longest wait for an encrypted dataset's key, in seconds.
    #[arg(long, default_value_t = 300)]
    key_timeout_secs: u64,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<ExitCode> {
    println!("{}", serde_json::to_string(v)?);
    Ok(ExitCode::SUCCESS)
}

/// A sender for the key: at once (an unreachable node is an error), or with `wait` retried
/// until it works or a signal stops it.
async fn sender(node: &NodeArgs, key: &KeyArgs, wait: bool) -> anyhow::Result<Option<TxSender>> {
    let (k, opts, url) = (key.key()?, key.send_options()?, node.url());
    if wait {
        let shutdown = CancellationToken::new();
        cancel_on_signals(shutdown.clone());
        return Ok(connect_sender(&url, &k, &opts, &shutdown).await);
    }
    Ok(Some(TxSender::new(NodeClient::new(&url)?, k, opts).await?))
}

/// A price: one coin such as 100udeai, or a zero one such as 0udeai (the dispenser), which
/// the shared coin parser refuses.
fn parse_price(s: &str) -> anyhow::Result<Coin> {
    let denom = s.trim_start_matches('0');
    let zero = denom.len() < s.len()
        && denom.starts_with(|c: char| c.is_ascii_alphabetic())
        && denom.len() <= 128
        && denom
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
    if zero {
        return Ok(Coin {
            denom: denom.to_string(),
            amount: 0,
        });
    }
    parse_coin(s)
}

pub fn run(cmd: &DataCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DataCommand::Publish(a) => publish(a),
        DataCommand::Provider(ProviderCommand::Start(a)) => provider(a),
        DataCommand::Fetch(a) => fetch(a),
        DataCommand::PoolValidator(PoolValidatorCommand::Start(a)) => {
            runtime()?.block_on(deai_worker_datapool::run_cli(a.clone()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn publish(a: &PublishArgs) -> anyhow::Result<ExitCode> {
    let access = match (a.encrypt, a.access) {
        (true, None | Some(AccessArg::Encrypted)) | (false, Some(AccessArg::Encrypted)) => {
            AccessKind::Encrypted
        }
        (true, Some(_)) => anyhow::bail!("--encrypt goes with --access encrypted only"),
        (false, None | Some(AccessArg::Open)) => AccessKind::Open,
        (false, Some(AccessArg::ComputeToData)) => AccessKind::ComputeToData,
    };
    anyhow::ensure!(
        a.file.is_file(),
        "--file {}: no such file",
        a.file.display()
    );
    let spec = PublishSpec {
        access,
        price: parse_price(&a.price).context("--price")?,
        metadata: Metadata {
            name: a.name.clone(),
            description: a.description.clone(),
            schema: a.schema.clone(),
            license: a.license.clone(),
        },
        public_url: a.public_url.clone(),
    };
    let key = a.key.key()?;
    let store = Store::open(&a.store, u64::MAX)
        .with_context(|| format!("opening artifact store {}", a.store.display()))?;
    let mut catalog = Catalog::open(&a.state_dir, &key.secret_bytes())?;
    let published = runtime()?.block_on(async {
        let Some(mut s) = sender(&a.node, &a.key, a.wait).await? else {
            anyhow::bail!("stopped before the node could be reached");
        };
        deai_worker_data::publish(&mut s, &mut catalog, &store, &a.file, &spec).await
    })?;
    print_json(&published)
}

fn provider(a: &ProviderArgs) -> anyhow::Result<ExitCode> {
    let key = a.key.key()?;
    let opts = a.key.send_options()?;
    let store = Arc::new(
        Store::open(&a.store, u64::MAX)
            .with_context(|| format!("opening artifact store {}", a.store.display()))?,
    );
    let catalog = Catalog::open(&a.state_dir, &key.secret_bytes())?;
    let file = StateFile::open(&a.state_dir, PROVIDER_FILE)?;
    runtime()?.block_on(async {
        let shutdown = CancellationToken::new();
        cancel_on_signals(shutdown.clone());
        let url = a.node.url();
        let Some(s) = connect_sender(&url, &key, &opts, &shutdown).await else {
            return Ok(());
        };
        let me = s.address().to_bech32();
        let cfg = PolicyConfig {
            max_height_skew: a.max_height_skew,
            ..PolicyConfig::new(s.chain_id(), me.clone())
        };
        let policy = Arc::new(GrantPolicy::new(NodeQueries::new(&url)?, cfg, catalog.blobs()));
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("binding the artifact server to {}", a.listen))?;
        let bound = listener.local_addr()?;
        let public_url = a.public_url.clone().unwrap_or_else(|| format!("http://{bound}"));
        tracing::info!(provider = %me, addr = %bound, %public_url, datasets = catalog.datasets().count(), store = %a.store.display(), "data provider serving");
        let server = tokio::spawn(serve_with(
            listener,
            router(store, policy.clone()),
            ServerLimits::default(),
        ));
        let chain = NodeProviderChain {
            node: KeyedNode::new(s, DATA_QUERY)?,
            queries: NodeQueries::new(&url)?,
        };
        let p = Provider::new(chain, catalog, policy, file)?;
        let poll = Duration::from_secs(a.poll_secs.max(1));
        deai_worker_data::run_provider(p, poll, shutdown).await;
        server.abort();
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn fetch(a: &FetchArgs) -> anyhow::Result<ExitCode> {
    let spec = FetchSpec {
        dataset_id: a.dataset,
        out: a.out.clone(),
        max_price: a
            .max_price
            .as_deref()
            .map(parse_price)
            .transpose()
            .context("--max-price")?,
        key_timeout: Duration::from_secs(a.key_timeout_secs),
    };
    let key = a.key.key()?;
    let fetched = runtime()?.block_on(async {
        let Some(s) = sender(&a.node, &a.key, false).await? else {
            anyhow::bail!("the node could not be reached");
        };
        let mut node = KeyedNode::new(s, DATA_QUERY)?;
        let q = NodeQueries::new(&a.node.url())?;
        deai_worker_data::fetch(&mut node, &q, &key.secret_bytes(), &spec).await
    })?;
    print_json(&fetched)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: DataCommand,
    }

    #[test]
    fn the_flags_are_as_documented() {
        Cli::command().debug_assert();
        let c = Cli::try_parse_from([
            "d",
            "publish",
            "--node",
            "tcp://127.0.0.1:1",
            "--key",
            "alice",
            "--keyring-backend",
            "test",
            "--home",
            "/h",
            "--file",
            "f",
            "--store",
            "s",
            "--state-dir",
            "st",
            "--public-url",
            "http://127.0.0.1:7",
            "--encrypt",
            "--price",
            "5udeai",
            "--name",
            "n",
            "--description",
            "d",
            "--license",
            "l",
            "--schema",
            "x",
            "--wait",
        ])
        .unwrap();
        assert!(matches!(c.cmd, DataCommand::Publish(ref p) if p.encrypt && p.wait));
        Cli::try_parse_from([
            "d",
            "publish",
            "--key",
            "a",
            "--file",
            "f",
            "--store",
            "s",
            "--state-dir",
            "st",
            "--public-url",
            "u",
            "--access",
            "compute-to-data",
            "--price",
            "0udeai",
            "--name",
            "n",
        ])
        .unwrap();
        let c = Cli::try_parse_from([
            "d",
            "provider",
            "start",
            "--node",
            "tcp://127.0.0.1:1",
            "--key",
            "p",
            "--state-dir",
            "st",
            "--store",
            "s",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "u",
            "--poll-secs",
            "1",
        ])
        .unwrap();
        assert!(
            matches!(c.cmd, DataCommand::Provider(ProviderCommand::Start(ref p)) if p.poll_secs == 1)
        );
        let c = Cli::try_parse_from([
            "d",
            "fetch",
            "--node",
            "tcp://127.0.0.1:1",
            "--key",
            "b",
            "--dataset",
            "3",
            "--out",
            "o",
            "--max-price",
            "9udeai",
        ])
        .unwrap();
        assert!(matches!(c.cmd, DataCommand::Fetch(ref f) if f.dataset == 3));
        assert_eq!(parse_price("0udeai").unwrap().amount, 0);
        assert_eq!(parse_price("00udeai").unwrap().denom, "udeai");
        assert_eq!(parse_price("12udeai").unwrap().amount, 12);
        assert!(
            parse_price("0").is_err()
                && parse_price("0 udeai").is_err()
                && parse_price("x").is_err()
        );
    }
}
