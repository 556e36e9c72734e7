//! `deaid tx bank send`.

use std::path::Path;

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmos_sdk_proto::Any;

use deai_framework::{Address, Coins};

use super::output::{print, OutputFormat};
use super::{prompt, KeyringArgs, NodeArgs};
use crate::tx::fee::GasPrice;
use deai_client::keyring::Keyring;
use deai_client::keys::AccountKey;
use deai_client::txbuilder::{sign_tx, to_any, unsigned_tx, TxParams};

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
    #[command(flatten)]
    pub node: NodeArgs,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Subcommand)]
pub enum TxCommand {
    #[command(subcommand)]
    Bank(BankTx),
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

fn load_key(home: &Path, from: &str, kr: &KeyringArgs) -> anyhow::Result<AccountKey> {
    let keyring = Keyring::open(home, kr.keyring_backend);
    let name = if from.starts_with("deai1") {
        keyring
            .list()?
            .into_iter()
            .find(|k| k.address == from)
            .map(|k| k.name)
            .ok_or_else(|| anyhow::anyhow!("no key for address {from} in the keyring"))?
    } else {
        from.to_string()
    };
    keyring.get(&name, prompt::passphrase)
}

pub fn run(home: &Path, cmd: TxCommand, out: OutputFormat) -> anyhow::Result<()> {
    let TxCommand::Bank(BankTx::Send {
        from,
        to,
        amount,
        tx,
    }) = cmd;
    let to = Address::from_bech32(&to).map_err(|e| anyhow::anyhow!(e.log))?;
    let amount = Coins::parse(&amount).map_err(|e| anyhow::anyhow!(e.log))?;
    anyhow::ensure!(!amount.is_empty(), "amount must be positive");
    let key = load_key(home, &from, &tx.keyring)?;
    let msg = to_any(&MsgSend {
        from_address: key.address().to_bech32(),
        to_address: to.to_bech32(),
        amount: amount.to_proto(),
    });
    broadcast(&key, vec![msg], &tx, out)
}

/// Signs `msgs` with `key` and broadcasts them; prints the Cosmos TxResponse.
pub fn broadcast(
    key: &AccountKey,
    msgs: Vec<Any>,
    a: &TxArgs,
    out: OutputFormat,
) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = a.node.client()?;
        let chain_id = match &a.chain_id {
            Some(c) => c.clone(),
            None => client.chain_id().await?,
        };
        let account = client.account(&key.address()).await?.ok_or_else(|| {
            anyhow::anyhow!(
                "account {} does not exist on chain; fund it first",
                key.address()
            )
        })?;
        let mut params = TxParams {
            chain_id,
            account_number: account.account_number,
            sequence: account.sequence,
            fee: Coins::empty(),
            gas_limit: 0,
            memo: a.memo.clone(),
            timeout_height: 0,
        };
        params.gas_limit = if a.gas == "auto" {
            anyhow::ensure!(
                a.gas_adjustment.is_finite() && a.gas_adjustment >= 1.0,
                "--gas-adjustment must be at least 1"
            );
            let req = SimulateRequest {
                tx_bytes: unsigned_tx(key, msgs.clone(), &params),
                ..Default::default()
            };
            let sim: SimulateResponse = client
                .query(crate::node::SIMULATE_PATH, &req, 0)
                .await?
                .map_err(|e| anyhow::anyhow!("simulation failed: {e}"))?;
            let used = sim.gas_info.map_or(0, |g| g.gas_used);
            (used as f64 * a.gas_adjustment).ceil() as u64
        } else {
            a.gas
                .parse()
                .map_err(|_| anyhow::anyhow!("--gas must be a number or `auto`, got {:?}", a.gas))?
        };
        params.fee = match &a.fees {
            Some(f) => Coins::parse(f).map_err(|e| anyhow::anyhow!(e.log))?,
            None => {
                let price = GasPrice::parse(&a.gas_prices)?;
                let fee = price.fee_for(params.gas_limit);
                if fee == 0 {
                    Coins::empty()
                } else {
                    Coins::parse(&format!("{fee}{}", price.denom))
                        .map_err(|e| anyhow::anyhow!(e.log))?
                }
            }
        };
        if !a.yes {
            eprintln!(
                "from: {}\nmessages: {}\ngas: {}\nfees: {}",
                key.address(),
                msgs.iter()
                    .map(|m| m.type_url.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                params.gas_limit,
                params.fee
            );
            anyhow::ensure!(
                prompt::confirm("confirm transaction before signing and broadcasting")?,
                "canceled"
            );
        }
        let bytes = sign_tx(key, msgs, &params);
        let resp = client.broadcast_sync(bytes).await?;
        print(&serde_json::to_value(&resp)?, out);
        if resp.code != 0 {
            anyhow::bail!(
                "tx rejected: {} (codespace {}, code {})",
                resp.raw_log,
                resp.codespace,
                resp.code
            );
        }
        Ok(())
    })
}
