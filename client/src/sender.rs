//! Sending txs: estimate gas (Simulate), price the fee, sign, `broadcast_tx_sync`, and
//! optionally wait for the commit. One way to send, shared by the `deaid` CLI and the workers.
//!
//! A [`TxSender`] caches the signer's account number and sequence, so a daemon can send tx
//! after tx without reading its account each time. The cached sequence advances only when
//! CheckTx accepts a tx; a CheckTx (or Simulate) "account sequence mismatch" (codespace `sdk`,
//! code 32) re-reads the account, takes the sequence the node expected, and tries once more.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmos_sdk_proto::Any;

use deai_framework::{sdk, Address, Coins};

pub use crate::gas::GasPrice;
use crate::keys::AccountKey;
use crate::rpc::{NodeClient, QueryError, TxResponse};
use crate::txbuilder::{sign_tx, unsigned_tx, TxParams};

/// The gRPC path of `cosmos.tx.v1beta1.Service/Simulate`, answered over ABCI query.
pub const SIMULATE_PATH: &str = "/cosmos.tx.v1beta1.Service/Simulate";

/// How long [`TxSender::send_and_wait`] waits for a commit unless told otherwise.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The gas limit of a tx.
#[derive(Clone, Debug, PartialEq)]
pub enum GasSetting {
    Fixed(u64),
    /// Simulate and multiply the gas used by `adjustment` (at least 1).
    Auto {
        adjustment: f64,
    },
}

impl GasSetting {
    /// `auto` or a number, as the `--gas` flag takes it.
    pub fn parse(gas: &str, adjustment: f64) -> anyhow::Result<Self> {
        if gas == "auto" {
            return Ok(Self::Auto { adjustment });
        }
        gas.parse()
            .map(Self::Fixed)
            .map_err(|_| anyhow::anyhow!("--gas must be a number or `auto`, got {gas:?}"))
    }
}

/// How a [`TxSender`] signs and pays.
#[derive(Clone, Debug)]
pub struct SendOptions {
    /// Chain id; by default, the node's.
    pub chain_id: Option<String>,
    pub gas: GasSetting,
    /// Fees to pay; by default gas limit × `gas_price`.
    pub fees: Option<Coins>,
    pub gas_price: GasPrice,
    pub memo: String,
}

impl Default for SendOptions {
    fn default() -> Self {
        Self {
            chain_id: None,
            gas: GasSetting::Auto { adjustment: 1.5 },
            fees: None,
            gas_price: GasPrice::default_price(),
            memo: String::new(),
        }
    }
}

/// The gas limit and fee a tx will be signed with (see [`TxSender::prepare`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    pub gas_limit: u64,
    pub fee: Coins,
}

/// Signs and sends txs for one key; see the module docs.
pub struct TxSender {
    client: NodeClient,
    key: AccountKey,
    opts: SendOptions,
    chain_id: String,
    account_number: u64,
    sequence: u64,
    wait_timeout: Duration,
}

/// The error of a tx that CheckTx (or Simulate) refused.
fn rejected(what: &str, log: &str, codespace: &str, code: u32) -> anyhow::Error {
    anyhow::anyhow!("{what}: {log} (codespace {codespace}, code {code})")
}

fn is_wrong_sequence(codespace: &str, code: u32) -> bool {
    codespace == sdk::CODESPACE && code == sdk::WRONG_SEQUENCE
}

/// N in the SDK's "account sequence mismatch, expected N, got M" log.
fn expected_sequence(log: &str) -> Option<u64> {
    let rest = &log[log.find("expected ")? + "expected ".len()..];
    let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// Gas a simulated tx always gets on top of what it used: state can change between the
/// simulation (on the last committed block) and the block the tx lands in, e.g. a withdrawal
/// simulated with nothing to settle that settles and pays out when it runs, or the last
/// answer of a redundant request that settles it (and pays every server) when it runs.
pub const MIN_GAS_HEADROOM: u64 = 300_000;

/// The gas limit for `used` gas simulated: `used × adjustment`, and at least `used +`
/// [`MIN_GAS_HEADROOM`].
fn adjusted_gas(used: u64, adjustment: f64) -> u64 {
    ((used as f64 * adjustment).ceil() as u64).max(used.saturating_add(MIN_GAS_HEADROOM))
}

/// Why a simulation failed: the app refused the tx, or the node could not be asked.
enum SimError {
    Refused(QueryError),
    Other(anyhow::Error),
}

impl TxSender {
    /// Reads the chain id (unless `opts` sets it) and the signer's account from the node.
    pub async fn new(
        client: NodeClient,
        key: AccountKey,
        opts: SendOptions,
    ) -> anyhow::Result<Self> {
        if let GasSetting::Auto { adjustment } = opts.gas {
            anyhow::ensure!(
                adjustment.is_finite() && adjustment >= 1.0,
                "gas adjustment must be at least 1, got {adjustment}"
            );
        }
        let chain_id = match &opts.chain_id {
            Some(c) => c.clone(),
            None => client.chain_id().await?,
        };
        let mut sender = Self {
            client,
            key,
            opts,
            chain_id,
            account_number: 0,
            sequence: 0,
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
        };
        sender.refresh_account().await?;
        Ok(sender)
    }

    pub fn address(&self) -> Address {
        self.key.address()
    }

    pub fn client(&self) -> &NodeClient {
        &self.client
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The sequence the next tx will be signed with.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// How long [`TxSender::send_and_wait`] waits for a commit (default 30 s).
    pub fn set_wait_timeout(&mut self, timeout: Duration) {
        self.wait_timeout = timeout;
    }

    /// After a sequence mismatch: re-reads the account, and takes the sequence the node said
    /// it expected (its CheckTx state counts txs still in the mempool; the account query
    /// reads the last block).
    async fn resync(&mut self, mismatch_log: &str) -> anyhow::Result<()> {
        self.refresh_account().await?;
        if let Some(expected) = expected_sequence(mismatch_log) {
            self.sequence = expected;
        }
        Ok(())
    }

    /// Re-reads the account number and sequence from the node.
    pub async fn refresh_account(&mut self) -> anyhow::Result<()> {
        let addr = self.key.address();
        let account = self.client.account(&addr).await?.ok_or_else(|| {
            anyhow::anyhow!("account {addr} does not exist on chain; fund it first")
        })?;
        self.account_number = account.account_number;
        self.sequence = account.sequence;
        Ok(())
    }

    fn params(&self, prepared: &Prepared) -> TxParams {
        TxParams {
            chain_id: self.chain_id.clone(),
            account_number: self.account_number,
            sequence: self.sequence,
            fee: prepared.fee.clone(),
            gas_limit: prepared.gas_limit,
            memo: self.opts.memo.clone(),
            timeout_height: 0,
        }
    }

    async fn simulate(&self, msgs: &[Any]) -> Result<u64, SimError> {
        let unpriced = Prepared {
            gas_limit: 0,
            fee: Coins::empty(),
        };
        let req = SimulateRequest {
            tx_bytes: unsigned_tx(&self.key, msgs.to_vec(), &self.params(&unpriced)),
            ..Default::default()
        };
        let sim: SimulateResponse = self
            .client
            .query(SIMULATE_PATH, &req, 0)
            .await
            .map_err(SimError::Other)?
            .map_err(SimError::Refused)?;
        Ok(sim.gas_info.map_or(0, |g| g.gas_used))
    }

    /// The gas limit (simulated if [`GasSetting::Auto`]) and the fee `msgs` would be signed
    /// with, without signing or sending anything. Simulation errors carry codespace and code.
    pub async fn prepare(&mut self, msgs: &[Any]) -> anyhow::Result<Prepared> {
        let gas_limit = match self.opts.gas {
            GasSetting::Fixed(g) => g,
            GasSetting::Auto { adjustment } => {
                let used = match self.simulate(msgs).await {
                    Err(SimError::Refused(e)) if is_wrong_sequence(&e.codespace, e.code) => {
                        self.resync(&e.log).await?;
                        self.simulate(msgs).await
                    }
                    other => other,
                };
                match used {
                    Ok(used) => adjusted_gas(used, adjustment),
                    Err(SimError::Refused(e)) => {
                        return Err(rejected("simulation failed", &e.log, &e.codespace, e.code))
                    }
                    Err(SimError::Other(e)) => return Err(e.context("simulation failed")),
                }
            }
        };
        let fee = match &self.opts.fees {
            Some(f) => f.clone(),
            None => self.opts.gas_price.fee_coins(gas_limit)?,
        };
        Ok(Prepared { gas_limit, fee })
    }

    /// Signs `msgs` with `prepared`'s gas and fee and broadcasts them (sync); on a sequence
    /// mismatch, re-reads the account and tries once more. Returns CheckTx's response, whatever
    /// its code; the cached sequence advances only if CheckTx accepted the tx.
    pub async fn broadcast_prepared(
        &mut self,
        msgs: Vec<Any>,
        prepared: &Prepared,
    ) -> anyhow::Result<TxResponse> {
        let mut resp = self
            .client
            .broadcast_sync(sign_tx(&self.key, msgs.clone(), &self.params(prepared)))
            .await?;
        if is_wrong_sequence(&resp.codespace, resp.code) {
            self.resync(&resp.raw_log).await?;
            resp = self
                .client
                .broadcast_sync(sign_tx(&self.key, msgs, &self.params(prepared)))
                .await?;
        }
        if resp.code == 0 {
            self.sequence += 1;
        }
        Ok(resp)
    }

    /// [`TxSender::prepare`] then [`TxSender::broadcast_prepared`]: simulates (if Auto), signs
    /// and broadcasts with `broadcast_tx_sync`, retrying once on a sequence mismatch. Returns
    /// the CheckTx response (check its `code`).
    pub async fn broadcast(&mut self, msgs: Vec<Any>) -> anyhow::Result<TxResponse> {
        let prepared = self.prepare(&msgs).await?;
        self.broadcast_prepared(msgs, &prepared).await
    }

    /// Waits until the tx CheckTx accepted in `resp` is committed; errs if CheckTx rejected it
    /// (with its codespace and code) or on timeout. The committed response may still carry a
    /// non-zero code (the tx failed in its block).
    pub async fn wait_committed(&self, resp: TxResponse) -> anyhow::Result<TxResponse> {
        if resp.code != 0 {
            return Err(rejected(
                "tx rejected",
                &resp.raw_log,
                &resp.codespace,
                resp.code,
            ));
        }
        self.client.wait_tx(&resp.txhash, self.wait_timeout).await
    }

    /// [`TxSender::broadcast`], then waits (polling the tx by hash, up to the wait timeout)
    /// until the tx is committed, and returns the committed response (code, codespace,
    /// raw_log, events). Errs if CheckTx rejected it ("codespace X, code N") or on timeout.
    pub async fn send_and_wait(&mut self, msgs: Vec<Any>) -> anyhow::Result<TxResponse> {
        let resp = self.broadcast(msgs).await?;
        self.wait_committed(resp).await
    }
}

#[cfg(test)]
#[path = "sender_tests.rs"]
mod node_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_and_gas_settings() {
        let o = SendOptions::default();
        assert_eq!(o.gas, GasSetting::Auto { adjustment: 1.5 });
        assert_eq!(o.gas_price, GasPrice::parse("0.025udeai").unwrap());
        assert!(o.fees.is_none() && o.memo.is_empty() && o.chain_id.is_none());
        assert_eq!(
            GasSetting::parse("auto", 1.3).unwrap(),
            GasSetting::Auto { adjustment: 1.3 }
        );
        assert_eq!(
            GasSetting::parse("200000", 1.3).unwrap(),
            GasSetting::Fixed(200_000)
        );
        assert!(GasSetting::parse("lots", 1.3)
            .unwrap_err()
            .to_string()
            .contains("auto"));
        assert_eq!(adjusted_gas(100_000, 1.5), 400_000);
        assert_eq!(adjusted_gas(3, 1.5), 300_003);
        assert_eq!(adjusted_gas(1_000_000, 1.5), 1_500_000);
        assert!(is_wrong_sequence("sdk", 32) && !is_wrong_sequence("bank", 32));
        let log = "account sequence mismatch, expected 12, got 9: incorrect account sequence";
        assert_eq!(expected_sequence(log), Some(12));
        assert_eq!(expected_sequence("expected x"), None);
        assert_eq!(expected_sequence("out of gas"), None);
    }
}
