//! `deaid`: the node and its command-line interface, shaped like Cosmos SDK's `simd`.

mod attest_query;
mod compute_msgs;
mod compute_query;
mod compute_tx;
mod config;
mod data_msgs;
mod data_query;
mod data_tx;
mod debug_cmd;
mod distribution_query;
mod distribution_tx;
mod genesis_cmd;
mod gentx;
mod gov_query;
mod gov_tx;
mod inference_msgs;
mod inference_query;
mod inference_tx;
mod init;
mod keys_cmd;
mod mint_query;
mod output;
mod parse;
mod prompt;
mod query_cmd;
mod staking_query;
mod staking_tx;
mod start;
mod task_query;
mod task_tx;
mod training_msgs;
mod training_query;
mod training_tx;
mod tx_cmd;
mod wasm_query;
mod wasm_tx;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use config::AppConfig;
pub use output::OutputFormat;

use deai_client::keyring::Backend;

#[derive(Parser)]
#[command(
    name = "deaid",
    version,
    about = "deai: a Cosmos-compatible chain for decentralized AI"
)]
pub struct Cli {
    /// Node home directory (config, data and keyrings).
    #[arg(long, global = true, env = "DEAI_HOME", default_value_os_t = default_home())]
    pub home: PathBuf,
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value = "text")]
    pub output: OutputFormat,
    #[command(subcommand)]
    pub command: Command,
}

fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".deai")
}

/// Flags of commands that read keys.
#[derive(clap::Args, Clone, Debug)]
pub struct KeyringArgs {
    /// Keyring backend: `file` encrypts keys with a passphrase; `test` stores them in the clear.
    #[arg(long, value_enum, default_value = "file")]
    pub keyring_backend: Backend,
}

/// Flags of commands that talk to a node.
#[derive(clap::Args, Clone, Debug)]
pub struct NodeArgs {
    /// CometBFT RPC address of the node.
    #[arg(long, default_value = "tcp://127.0.0.1:26657")]
    pub node: String,
    /// Query at this height (0: latest).
    #[arg(long, default_value_t = 0)]
    pub height: u64,
    /// Query over the node's gRPC server (e.g. http://127.0.0.1:9090) instead of CometBFT RPC.
    #[arg(long)]
    pub grpc_addr: Option<String>,
}

impl NodeArgs {
    pub fn client(&self) -> anyhow::Result<deai_client::rpc::NodeClient> {
        let url = match self.node.strip_prefix("tcp://") {
            Some(rest) => format!("http://{rest}"),
            None => self.node.clone(),
        };
        deai_client::rpc::NodeClient::new(&url)
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a node home: validator and node keys, config.toml, app.toml and genesis.json.
    Init(init::InitArgs),
    /// Manage the keyring.
    #[command(subcommand)]
    Keys(keys_cmd::KeysCommand),
    /// Edit genesis.json before the chain starts.
    #[command(subcommand)]
    Genesis(genesis_cmd::GenesisCommand),
    /// Run the node's ABCI application (CometBFT connects to it).
    Start(start::StartArgs),
    /// Build, sign and broadcast transactions.
    #[command(subcommand)]
    Tx(Box<tx_cmd::TxCommand>),
    /// Query the chain.
    #[command(subcommand, alias = "q")]
    Query(query_cmd::QueryCommand),
    /// Print the app_state of the node's latest committed state (the node must be stopped).
    Export,
    /// Offline tools that need no node.
    #[command(subcommand)]
    Debug(debug_cmd::DebugCommand),
    /// CometBFT facts of this node's home (simd's `comet`).
    #[command(subcommand, alias = "tendermint")]
    Comet(CometCommand),
}

#[derive(Subcommand)]
pub enum CometCommand {
    /// This node's consensus public key, in the shape `tx staking create-validator` reads.
    ShowValidator,
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let out = cli.output;
    match cli.command {
        Command::Init(a) => init::run(&cli.home, a, out),
        Command::Keys(c) => keys_cmd::run(&cli.home, c, out),
        Command::Genesis(c) => genesis_cmd::run(&cli.home, c, out),
        Command::Start(a) => start::run(&cli.home, a),
        Command::Tx(c) => tx_cmd::run(&cli.home, *c, out),
        Command::Query(c) => query_cmd::run(c, out),
        Command::Export => start::export(&cli.home),
        Command::Debug(c) => debug_cmd::run(c),
        Command::Comet(CometCommand::ShowValidator) => gentx::show_validator(&cli.home, out),
    }
}
