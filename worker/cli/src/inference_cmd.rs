//! The inference market from the worker: `inference-server start` (the server daemon of
//! deai-worker-inference with its key from a deaid keyring; stops cleanly on SIGTERM /
//! SIGINT), `request` (a requester's zk request, waited for and checked), and
//! `model-info` (the hashes a model is registered with).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use deai_client::{AccountKey, Backend, GasPrice, Keyring, SendOptions};
use deai_worker_daemon::node::{cancel_on_signals, connect_sender, passphrase};
use deai_worker_daemon::parse_coin;
use deai_worker_inference::keydir::{quantize_for_keys, read_weights};
use deai_worker_inference::models::{architecture, quantized_encoding, quantized_sha256};
use deai_worker_inference::requester::{self, RequestOptions};
use deai_worker_inference::{state, Chain, Config, NodeChain, Server};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::provider_cmd::{default_home, NodeArgs};

#[derive(Subcommand)]
pub enum InferenceServerCommand {
    /// Run the inference server: serve the models of --model-dir, register as their
    /// server, answer the requests assigned to it (zk with proofs, optimistic, redundant),
    /// defend its challenged answers; with --watchdog, challenge wrong answers of others.
    Start(StartArgs),
}

/// The key flags shared with deaid (the inference and training daemons, the requester).
#[derive(Args, Clone)]
pub struct KeyArgs {
    /// Name of the key in the keyring.
    #[arg(long)]
    pub(crate) key: String,
    #[arg(long, value_enum, default_value = "file")]
    pub(crate) keyring_backend: Backend,
    /// deaid's home, where the keyring lives (`file` passphrase: DEAI_KEYRING_PASSPHRASE).
    #[arg(long, env = "DEAI_HOME", default_value_os_t = default_home())]
    pub(crate) home: PathBuf,
    /// Gas price of its txs.
    #[arg(long, default_value = "0.025udeai")]
    pub(crate) gas_prices: String,
}

impl KeyArgs {
    pub(crate) fn key(&self) -> anyhow::Result<AccountKey> {
        Keyring::open(&self.home, self.keyring_backend).get(&self.key, passphrase)
    }

    pub(crate) fn send_options(&self) -> anyhow::Result<SendOptions> {
        Ok(SendOptions {
            gas_price: GasPrice::parse(&self.gas_prices).context("--gas-prices")?,
            ..SendOptions::default()
        })
    }
}

#[derive(Args)]
pub struct StartArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// The models served: DIR/<model id>/model.safetensors and DIR/<model id>/keys/ (the
    /// key directory zk-setup wrote), each checked against the chain's record.
    #[arg(long)]
    model_dir: PathBuf,
    /// State directory (default <home>/inference-server).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Stake of each server registration (default: the chain's server_min_stake).
    #[arg(long)]
    stake: Option<String>,
    /// Seconds between full re-reads of its models, registrations and requests.
    #[arg(long, default_value_t = 10)]
    reconcile_secs: u64,
    /// Also check other servers' optimistic answers for the models held (recomputed with
    /// deai-zk's integer reference inference), challenge wrong ones with challenge_bond and
    /// adjudicate them with the canonical quantized weights.
    #[arg(long)]
    watchdog: bool,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// The server answers with a Groth16 proof the chain verifies.
    Zk,
    /// The server posts its output with a bond; settled after the challenge window.
    Optimistic,
    /// k servers answer; the strict majority wins.
    Redundant,
}

#[derive(Args)]
pub struct RequestArgs {
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    key: KeyArgs,
    /// The model's id on chain.
    #[arg(long)]
    model: u64,
    /// A JSON array of the model's float inputs (quantized with the model's registered
    /// input scale), or {"quantized": [ints]}.
    #[arg(long)]
    input: PathBuf,
    #[arg(long, value_enum, default_value_t = ModeArg::Zk)]
    mode: ModeArg,
    /// Servers of a redundant request (2..=the chain's max_redundancy).
    #[arg(long, default_value_t = 3)]
    k: u32,
    /// The fee escrowed (default: the model's price).
    #[arg(long)]
    fee: Option<String>,
    /// Blocks the server has to answer (default 20, within the chain's bounds).
    #[arg(long)]
    deadline_blocks: Option<u64>,
    /// Longest wait for the request's settlement (optimistic: after its challenge window
    /// and any dispute), in seconds.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
    /// How often the request is read while waiting, in milliseconds.
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
}

#[derive(Args)]
pub struct ModelInfoArgs {
    /// The float weights given to zk-setup.
    #[arg(long)]
    model: PathBuf,
    /// The key directory zk-setup wrote (the weights are quantized as it records). Without
    /// it (a model registered with zk_mode none) they are quantized with the flags below,
    /// zk-setup's defaults.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// Also write the canonical encoding of the quantized model here (an inference
    /// server holds a keyless model as <model-dir>/<id>/model.quantized).
    #[arg(long)]
    quantized_out: Option<PathBuf>,
    /// Without --keys: largest model input value; inputs are quantized onto the integers
    /// 0..=input_max·2^input_frac_bits.
    #[arg(long, default_value_t = 1.0)]
    input_max: f64,
    /// Without --keys: fractional bits of the quantized input.
    #[arg(long, default_value_t = 8)]
    input_frac_bits: u32,
    /// Without --keys: bits of each quantized weight.
    #[arg(long, default_value_t = 8)]
    weight_bits: u32,
    /// Without --keys: fractional bits kept in hidden activations.
    #[arg(long, default_value_t = 6)]
    act_frac_bits: u32,
}

#[derive(Serialize)]
pub struct ModelInfo {
    /// Layer sizes, input first (the chain's architecture).
    architecture: Vec<u32>,
    /// The canonical weight digest (what the server accepts as weights_sha256; the file's
    /// sha256 is accepted too).
    weights_sha256: String,
    weights_file_sha256: String,
    /// sha256 of the canonical encoding of the quantized model.
    quantized_weights_sha256: String,
    /// Empty without --keys.
    verifying_key_sha256: String,
    /// The quantized input range and scale (the registration's input_min, input_max,
    /// input_frac_bits).
    input_min: i64,
    input_max: i64,
    input_frac_bits: u32,
}

impl ModelInfo {
    pub fn text(&self) -> String {
        format!(
            "architecture {}\nweights_sha256 {}\nweights_file_sha256 {}\nquantized_weights_sha256 {}\nverifying_key_sha256 {}\ninput {}..={} ({} fractional bits)",
            self.architecture
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
            self.weights_sha256,
            self.weights_file_sha256,
            self.quantized_weights_sha256,
            if self.verifying_key_sha256.is_empty() {
                "- (no keys)"
            } else {
                &self.verifying_key_sha256
            },
            self.input_min,
            self.input_max,
            self.input_frac_bits
        )
    }
}

pub fn model_info(a: &ModelInfoArgs) -> anyhow::Result<ModelInfo> {
    use sha2::{Digest, Sha256};
    let w = read_weights(&a.model)?;
    let (model, vk_sha256) = match &a.keys {
        Some(keys) => {
            let model = quantize_for_keys(&w, &a.model, keys)?;
            let vk = deai_zk::prover::read_vk_bytes(keys)
                .with_context(|| format!("key directory {}", keys.display()))?;
            (model, hex::encode(Sha256::digest(&vk)))
        }
        None => {
            let cfg = deai_zk::quant::QuantConfig {
                weight_bits: a.weight_bits,
                act_frac_bits: a.act_frac_bits,
                ..deai_zk::quant::QuantConfig::unit_range(a.input_max, a.input_frac_bits)
            };
            let model = deai_zk::quant::quantize(&w.mlp, &cfg)
                .with_context(|| format!("quantizing {}", a.model.display()))?;
            (model, String::new())
        }
    };
    if let Some(out) = &a.quantized_out {
        deai_worker_daemon::state::write_durably(out, &quantized_encoding(&model))?;
    }
    Ok(ModelInfo {
        architecture: architecture(&model),
        weights_sha256: w.canonical.to_hex(),
        weights_file_sha256: w.file.to_hex(),
        quantized_weights_sha256: hex::encode(quantized_sha256(&model)),
        verifying_key_sha256: vk_sha256,
        input_min: model.input_min,
        input_max: model.input_max,
        input_frac_bits: model.input_frac_bits,
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

pub fn server(cmd: &InferenceServerCommand) -> anyhow::Result<ExitCode> {
    let InferenceServerCommand::Start(a) = cmd;
    let cfg = Config {
        model_dir: a.model_dir.clone(),
        stake: a
            .stake
            .as_deref()
            .map(parse_coin)
            .transpose()
            .context("--stake")?,
        reconcile_every: Duration::from_secs(a.reconcile_secs.max(1)),
        watchdog: a.watchdog,
    };
    anyhow::ensure!(
        a.model_dir.is_dir(),
        "--model-dir {} is not a directory",
        a.model_dir.display()
    );
    let state_dir = a
        .state_dir
        .clone()
        .unwrap_or_else(|| a.key.home.join("inference-server"));
    let (file, st) = state::open(&state_dir)?;
    let key = a.key.key()?;
    let opts = a.key.send_options()?;
    let url = a.node.url();
    runtime()?.block_on(async move {
        let shutdown = CancellationToken::new();
        cancel_on_signals(shutdown.clone());
        let Some(sender) = connect_sender(&url, &key, &opts, &shutdown).await else {
            return Ok(());
        };
        let chain = NodeChain::new(sender)?;
        tracing::info!(server = %chain.address(), chain_id = %chain.chain_id(), node = %url, model_dir = %a.model_dir.display(), state_dir = %state_dir.display(), "inference server starting");
        Server::new(chain, cfg, file, st).run(&url, shutdown).await
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn request(a: &RequestArgs) -> anyhow::Result<requester::Answer> {
    use deai_worker_inference::requester::VerificationMode;
    let mode = match a.mode {
        ModeArg::Zk => VerificationMode::Zk,
        ModeArg::Optimistic => VerificationMode::Optimistic,
        ModeArg::Redundant => VerificationMode::Redundant,
    };
    let input_json = deai_worker_inference::keydir::read_limited(
        &a.input,
        deai_zk::input::MAX_INPUT_JSON_BYTES as u64,
    )?;
    let opts = RequestOptions {
        model_id: a.model,
        input_json,
        fee: a
            .fee
            .as_deref()
            .map(parse_coin)
            .transpose()
            .context("--fee")?,
        deadline_blocks: a.deadline_blocks,
        mode,
        k: a.k,
        poll: Duration::from_millis(a.poll_ms.max(50)),
        timeout: Duration::from_secs(a.timeout_secs),
    };
    let key = a.key.key()?;
    let send = a.key.send_options()?;
    let url = a.node.url();
    runtime()?.block_on(async move {
        let cancel = CancellationToken::new();
        cancel_on_signals(cancel.clone());
        let sender =
            deai_client::TxSender::new(deai_client::NodeClient::new(&url)?, key, send).await?;
        let mut chain = NodeChain::new(sender)?;
        requester::request(&mut chain, &opts, &cancel).await
    })
}
