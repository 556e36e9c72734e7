//! `deaid tx`: the flags every tx takes, `tx bank send`, and signing and broadcasting
//! (through [`deai_client::sender::TxSender`]). `tx compute …` is in `compute_tx.rs`,
//! `tx inference …` in `inference_tx.rs`, `tx training …` in `training_tx.rs`, `tx data …` in `data_tx.rs`,
//! `tx wasm …` in `wasm_tx.rs`, `tx staking|slashing …` in `staking_tx.rs`,
//! `tx distribution …` in `distribution_tx.rs`, `tx gov …` in `gov_tx.rs`.

use std::path::Path;

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::Any;

use deai_framework::{Address, Coins};

use super::compute_tx::ComputeTx;
use super::data_tx::DataTx;
use super::inference_tx::InferenceTx;
use super::output::{print, OutputFormat};
use super::training_tx::TrainingTx;
use super::wasm_tx::WasmTx;
use super::{prompt, KeyringArgs, NodeArgs};
use deai_client::keyring::{KeyInfo, Keyring};
use deai_client::keys::AccountKey;
use deai_client::sender::{GasPrice, GasSetting, SendOptions, TxSender};
use deai_client::txbuilder::to_any;
use deai_client::TxResponse;

#[derive(clap::Args, Clone, Debug)]
pub struct TxArgs {
    /// Chain id; by default, the node's.
    #[arg(long)]
    pub chain_id: Option<String>,
    /// Fees to pay, e.g. 5000udeai; by default gas × --gas-prices.
    #[arg(long)]
    pub fees: Option<String>,
    /// Gas limit, or `auto` to simulate and multiply by --gas-adjustment.
    #[arg(long, default_value = "200000")]
    pub gas: String,
    #[arg(long, default_value_t = 1.5)]
    pub gas_adjustment: f64,
    /// Price per unit of gas used when --fees is not given.
    #[arg(long, default_value = "0.025udeai")]
    pub gas_prices: String,
    #[arg(long, default_value = "")]
    pub memo: String,
    /// Sign and broadcast without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Wait until the tx is committed (up to 30 s) and print the committed result, with its
    /// events; fails if the tx failed in its block.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub node: NodeArgs,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Subcommand)]
pub enum TxCommand {
    #[command(subcommand)]
    Bank(BankTx),
    /// The compute market: providers, orders, bids, leases, results and audits.
    #[command(subcommand)]
    Compute(ComputeTx),
    /// The inference market: models, servers, requests and answers, challenges, topics.
    #[command(subcommand)]
    Inference(InferenceTx),
    /// The training market: tasks, neurons and stake, update and weight commit-reveal,
    /// aggregates, audits.
    #[command(subcommand)]
    Training(TrainingTx),
    /// Task proposals: propose a training task, deposit, vote (launched once passed and
    /// its code attested by the validators).
    #[command(subcommand)]
    Task(super::task_tx::TaskTx),
    /// The data market: datasets and datatokens, access grants and keys, data pools.
    #[command(subcommand)]
    Data(DataTx),
    /// CosmWasm contracts, as `wasmd tx wasm …`: store, instantiate(2), execute, migrate, admin.
    #[command(subcommand)]
    Wasm(WasmTx),
    /// Proof-of-stake: validators, delegations, redelegations and unbondings.
    #[command(subcommand)]
    Staking(super::staking_tx::StakingTx),
    /// Release a jailed validator.
    #[command(subcommand)]
    Slashing(super::staking_tx::SlashingTx),
    /// Rewards and commission withdrawals, the withdraw address, the community pool.
    #[command(subcommand)]
    Distribution(super::distribution_tx::DistributionTx),
    /// Governance: proposals, deposits, votes.
    #[command(subcommand)]
    Gov(super::gov_tx::GovTx),
}

#[derive(Subcommand)]
pub enum BankTx {
    /// Send coins from a key in the keyring to an address.
    Send {
        /// Key name (or its address) that signs and pays.
        from: String,
        to: String,
        /// Coins, e.g. 1000udeai.
        amount: String,
        #[command(flatten)]
        tx: TxArgs,
    },
}

/// The keyring entry of `from`, a key name or the address of one (no passphrase needed).
fn find_key(keyring: &Keyring, from: &str) -> anyhow::Result<KeyInfo> {
    if from.starts_with("deai1") {
        keyring
            .list()?
            .into_iter()
            .find(|k| k.address == from)
            .ok_or_else(|| anyhow::anyhow!("no key for address {from} in the keyring"))
    } else {
        keyring.show(from)
    }
}

/// Builds the messages of the key `from` (given its address, before its passphrase is asked
/// for, so that bad arguments fail first), then signs and broadcasts them.
pub fn sign_and_send(
    home: &Path,
    from: &str,
    tx: &TxArgs,
    out: OutputFormat,
    build: impl FnOnce(&str) -> anyhow::Result<Vec<Any>>,
) -> anyhow::Result<()> {
    sign_and_send_annotated(home, from, tx, out, build, |_| Vec::new())
}

/// Fields a command adds to the printed TxResponse, read from it (e.g. `tx wasm store`'s
/// `code_id`, from the committed tx's events).
pub type Annotate = fn(&TxResponse) -> Vec<(&'static str, serde_json::Value)>;

/// [`sign_and_send`], printing the fields `annotate` reads from the response too.
pub fn sign_and_send_annotated(
    home: &Path,
    from: &str,
    tx: &TxArgs,
    out: OutputFormat,
    build: impl FnOnce(&str) -> anyhow::Result<Vec<Any>>,
    annotate: Annotate,
) -> anyhow::Result<()> {
    let keyring = Keyring::open(home, tx.keyring.keyring_backend);
    let info = find_key(&keyring, from)?;
    let msgs = build(&info.address)?;
    let key = keyring.get(&info.name, prompt::passphrase)?;
    broadcast(&key, msgs, tx, out, annotate)
}

pub fn run(home: &Path, cmd: TxCommand, out: OutputFormat) -> anyhow::Result<()> {
    let (from, to, amount, tx) = match cmd {
        TxCommand::Compute(c) => return super::compute_tx::run(home, c, out),
        TxCommand::Inference(c) => return super::inference_tx::run(home, c, out),
        TxCommand::Training(c) => return super::training_tx::run(home, c, out),
        TxCommand::Task(c) => return super::task_tx::run(home, c, out),
        TxCommand::Data(c) => return super::data_tx::run(home, c, out),
        TxCommand::Wasm(c) => return super::wasm_tx::run(home, c, out),
        TxCommand::Staking(c) => return super::staking_tx::run(home, c, out),
        TxCommand::Slashing(c) => return super::staking_tx::run_slashing(home, c, out),
        TxCommand::Distribution(c) => return super::distribution_tx::run(home, c, out),
        TxCommand::Gov(c) => return super::gov_tx::run(home, c, out),
        TxCommand::Bank(BankTx::Send {
            from,
            to,
            amount,
            tx,
        }) => (from, to, amount, tx),
    };
    let to = Address::from_bech32(&to).map_err(|e| anyhow::anyhow!(e.log))?;
    let amount = Coins::parse(&amount).map_err(|e| anyhow::anyhow!(e.log))?;
    anyhow::ensure!(!amount.is_empty(), "amount must be positive");
    sign_and_send(home, &from, &tx, out, |signer| {
        Ok(vec![to_any(&MsgSend {
            from_address: signer.to_string(),
            to_address: to.to_bech32(),
            amount: amount.to_proto(),
        })])
    })
}

impl TxArgs {
    /// The [`SendOptions`] these flags describe.
    pub fn send_options(&self) -> anyhow::Result<SendOptions> {
        Ok(SendOptions {
            chain_id: self.chain_id.clone(),
            gas: GasSetting::parse(&self.gas, self.gas_adjustment)?,
            fees: self
                .fees
                .as_deref()
                .map(Coins::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!(e.log))?,
            gas_price: GasPrice::parse(&self.gas_prices)?,
            memo: self.memo.clone(),
        })
    }
}

/// Signs `msgs` with `key` and broadcasts them (after a confirmation unless `--yes`); prints
/// the Cosmos TxResponse (CheckTx's, or the committed one with `--wait`) with the fields
/// `annotate` adds, and fails on a non-zero code with its codespace and code.
pub fn broadcast(
    key: &AccountKey,
    msgs: Vec<Any>,
    a: &TxArgs,
    out: OutputFormat,
    annotate: Annotate,
) -> anyhow::Result<()> {
    let opts = a.send_options()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut sender = TxSender::new(a.node.client()?, key.clone(), opts).await?;
        let prepared = sender.prepare(&msgs).await?;
        if !a.yes {
            eprintln!(
                "from: {}\nmessages: {}\ngas: {}\nfees: {}",
                key.address(),
                msgs.iter()
                    .map(|m| m.type_url.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                prepared.gas_limit,
                prepared.fee
            );
            anyhow::ensure!(
                prompt::confirm("confirm transaction before signing and broadcasting")?,
                "canceled"
            );
        }
        let mut resp = sender.broadcast_prepared(msgs, &prepared).await?;
        if a.wait && resp.code == 0 {
            resp = sender.wait_committed(resp).await?;
        }
        let mut printed = serde_json::to_value(&resp)?;
        if let Some(m) = printed.as_object_mut() {
            m.extend(annotate(&resp).into_iter().map(|(k, v)| (k.to_string(), v)));
        }
        print(&printed, out);
        if resp.code != 0 {
            anyhow::bail!(
                "tx {}: {} (codespace {}, code {})",
                if resp.height == "0" {
                    "rejected"
                } else {
                    "failed"
                },
                resp.raw_log,
                resp.codespace,
                resp.code
            );
        }
        Ok(())
    })
}
