//! The training market from the worker: `trainer start` and `validator start`, the daemons
//! of deai-worker-training with their key from a deaid keyring, their artifact store served
//! over HTTP (updates and aggregates are fetched from it by hash), and the deterministic
//! engine. They stop cleanly on SIGTERM / SIGINT.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use deai_worker_artifacts::{router, serve_with, OpenAccess, ServerLimits, Store};
use deai_worker_daemon::node::{cancel_on_signals, connect_sender};
use deai_worker_training::state::{
    self, TrainerState, ValidatorState, TRAINER_FILE, VALIDATOR_FILE,
};
use deai_worker_training::{
    check_trainer, check_validator, run, Chain, Files, NodeChain, TorchEngine, Trainer,
    TrainerConfig, Validator, ValidatorConfig,
};
use tokio_util::sync::CancellationToken;

use crate::default_cache;
use crate::inference_cmd::KeyArgs;
use crate::provider_cmd::NodeArgs;

#[derive(Subcommand)]
pub enum TrainerCommand {
    /// Run the trainer: each round, train the round's job on its shard from the base, serve
    /// the weights, commit and reveal the update. The key must already be a trainer neuron
    /// of the task (`deaid tx training register`).
    Start(TrainerArgs),
}

#[derive(Subcommand)]
pub enum ValidatorCommand {
    /// Run the validator: score the revealed updates on --eval-data, commit and reveal its
    /// weights, audit bad updates, aggregate when drawn, referee its audits by replay. The
    /// key must already be a validator neuron of the task.
    Start(ValidatorArgs),
}

/// The flags both daemons take.
#[derive(Args)]
pub struct DaemonArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// The task's id.
    #[arg(long)]
    task: u64,
    /// State directory (default <home>/trainer-<task>-<key> or <home>/validator-<task>-<key>;
    /// daemons sharing a home get one each).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Where its artifact server listens (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    artifacts_addr: SocketAddr,
    /// The artifact server's URL as others reach it (default http://<bound address>): the
    /// base of the URIs it reveals and submits.
    #[arg(long)]
    public_url: Option<String>,
    /// The artifact store it publishes into and serves (default <state-dir>/store).
    #[arg(long)]
    store: Option<PathBuf>,
    /// Directories (comma-separated) the base spec's dataset path hint may point into;
    /// otherwise the dataset is fetched by hash from the task's dataset_uri (default: the
    /// worker's cache, $DEAI_CACHE or /var/cache/deai).
    #[arg(long, value_delimiter = ',', default_values_os_t = vec![default_cache()])]
    dataset_roots: Vec<PathBuf>,
    /// Largest blob the store accepts and the daemon downloads, in bytes.
    #[arg(long, default_value_t = 1 << 30)]
    max_blob_bytes: u64,
    /// Seconds between looks at the chain when no event arrives.
    #[arg(long, default_value_t = 2)]
    poll_secs: u64,
}

#[derive(Args)]
pub struct TrainerArgs {
    #[command(flatten)]
    common: DaemonArgs,
    /// FOR END-TO-END TESTS ONLY: do not train; publish random weights of the model's
    /// shapes and reveal fabricated checkpoint hashes, so that a test can show the market
    /// scores it 0, audits it and slashes it.
    #[arg(long)]
    dishonest_random_weights: bool,
}

#[derive(Args)]
pub struct ValidatorArgs {
    #[command(flatten)]
    common: DaemonArgs,
    /// The held-out data file the updates are scored on (the base spec's dataset format).
    #[arg(long)]
    eval_data: PathBuf,
    /// Probability (0..=1) of auditing an update that scored above 0 (one whose fetched and
    /// verified weights scored 0 is always audited; one that could not be fetched,
    /// evaluated or scored in time is not).
    #[arg(long, default_value_t = 0.0)]
    audit_rate: f64,
}

/// What both daemons start with: the store served, the chain connected.
struct Started {
    chain: NodeChain,
    files: Arc<Files>,
    state_dir: PathBuf,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    url: String,
}

async fn start(a: &DaemonArgs, role: &str) -> anyhow::Result<Option<Started>> {
    let state_dir = a
        .state_dir
        .clone()
        .unwrap_or_else(|| a.key.home.join(format!("{role}-{}-{}", a.task, a.key.key)));
    let store_dir = a.store.clone().unwrap_or_else(|| state_dir.join("store"));
    let store = Arc::new(
        Store::open(&store_dir, a.max_blob_bytes)
            .with_context(|| format!("opening artifact store {}", store_dir.display()))?,
    );
    let key = a.key.key()?;
    let opts = a.key.send_options()?;
    let listener = tokio::net::TcpListener::bind(a.artifacts_addr)
        .await
        .with_context(|| format!("binding the artifact server to {}", a.artifacts_addr))?;
    let bound = listener.local_addr()?;
    if !bound.ip().is_loopback() {
        tracing::warn!(addr = %bound, "the artifact server listens beyond loopback, with open access");
    }
    let public_url = a
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}"));
    tracing::info!(addr = %bound, store = %store_dir.display(), %public_url, "serving artifacts");
    let server = tokio::spawn(serve_with(
        listener,
        router(store.clone(), Arc::new(OpenAccess)),
        ServerLimits::default(),
    ));
    let files = Arc::new(Files::new(store, &public_url, &a.dataset_roots));
    let shutdown = CancellationToken::new();
    cancel_on_signals(shutdown.clone());
    let url = a.node.url();
    let Some(sender) = connect_sender(&url, &key, &opts, &shutdown).await else {
        server.abort();
        return Ok(None);
    };
    Ok(Some(Started {
        chain: NodeChain::new(sender)?,
        files,
        state_dir,
        shutdown,
        server,
        url,
    }))
}

/// The deterministic engine, showing each training or replay (a bar on a terminal).
fn engine(quiet: bool) -> Arc<TorchEngine> {
    Arc::new(TorchEngine::with_progress(Box::new(move || {
        crate::progress::for_terminal(quiet)
    })))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

pub fn trainer(cmd: &TrainerCommand, quiet: bool) -> anyhow::Result<ExitCode> {
    let TrainerCommand::Start(a) = cmd;
    runtime()?.block_on(async {
        let Some(s) = start(&a.common, "trainer").await? else {
            return Ok(());
        };
        let me = s.chain.address();
        let n = check_trainer(&s.chain, a.common.task, &me).await?;
        let (file, st): (_, TrainerState) = state::open(&s.state_dir, TRAINER_FILE, "trainer state")?;
        tracing::info!(trainer = %me, task = a.common.task, uid = n.uid, shard = n.shard, node = %s.url, state_dir = %s.state_dir.display(), dishonest = a.dishonest_random_weights, "trainer starting");
        let cfg = TrainerConfig {
            task_id: a.common.task,
            dishonest_random_weights: a.dishonest_random_weights,
        };
        let t = Trainer::new(s.chain, cfg, engine(quiet), s.files, file, st)?;
        let r = run::run(t, &s.url, Duration::from_secs(a.common.poll_secs.max(1)), s.shutdown).await;
        s.server.abort();
        r
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn validator(cmd: &ValidatorCommand, quiet: bool) -> anyhow::Result<ExitCode> {
    let ValidatorCommand::Start(a) = cmd;
    anyhow::ensure!(
        (0.0..=1.0).contains(&a.audit_rate),
        "--audit-rate must be in 0..=1"
    );
    anyhow::ensure!(
        a.eval_data.is_file(),
        "--eval-data {}: no such file",
        a.eval_data.display()
    );
    runtime()?.block_on(async {
        let Some(s) = start(&a.common, "validator").await? else {
            return Ok(());
        };
        let me = s.chain.address();
        let n = check_validator(&s.chain, a.common.task, &me).await?;
        let (file, st): (_, ValidatorState) =
            state::open(&s.state_dir, VALIDATOR_FILE, "validator state")?;
        tracing::info!(validator = %me, task = a.common.task, uid = n.uid, node = %s.url, state_dir = %s.state_dir.display(), "validator starting");
        let cfg = ValidatorConfig {
            task_id: a.common.task,
            eval_data: a.eval_data.clone(),
            audit_rate: a.audit_rate,
        };
        let v = Validator::new(s.chain, cfg, engine(quiet), s.files, file, st)?;
        let r = run::run(v, &s.url, Duration::from_secs(a.common.poll_secs.max(1)), s.shutdown).await;
        s.server.abort();
        r
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Parser)]
    struct Trainer {
        #[command(flatten)]
        a: TrainerArgs,
    }

    #[derive(Parser)]
    struct Validator {
        #[command(flatten)]
        a: ValidatorArgs,
    }

    fn longs<C: CommandFactory>() -> Vec<String> {
        C::command()
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect()
    }

    const DAEMON_FLAGS: [&str; 13] = [
        "node",
        "key",
        "keyring-backend",
        "home",
        "gas-prices",
        "task",
        "state-dir",
        "artifacts-addr",
        "public-url",
        "store",
        "dataset-roots",
        "max-blob-bytes",
        "poll-secs",
    ];

    #[test]
    fn the_daemons_take_the_shared_key_flags_under_the_same_names_and_defaults() {
        let mut trainer: Vec<&str> = DAEMON_FLAGS.to_vec();
        trainer.push("dishonest-random-weights");
        assert_eq!(longs::<Trainer>(), trainer);
        let mut validator: Vec<&str> = DAEMON_FLAGS.to_vec();
        validator.extend(["eval-data", "audit-rate"]);
        assert_eq!(longs::<Validator>(), validator);

        let t = Trainer::try_parse_from(["t", "--key", "alice", "--task", "3", "--home", "/h"])
            .unwrap();
        let k: &KeyArgs = &t.a.common.key;
        assert_eq!(
            (k.key.as_str(), k.home.as_path()),
            ("alice", Path::new("/h"))
        );
        assert_eq!(k.gas_prices, "0.025udeai");
        assert!(matches!(k.keyring_backend, deai_client::Backend::File));
        assert_eq!(t.a.common.node.node, "tcp://127.0.0.1:26657");
        assert_eq!(t.a.common.poll_secs, 2);
        assert!(
            Trainer::try_parse_from(["t", "--task", "3"]).is_err(),
            "--key is required"
        );
    }
}
