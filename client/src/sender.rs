//! Sending txs: estimate gas (Simulate), price the fee, sign, `broadcast_tx_sync`, and
//! optionally wait for the commit. One way to send, shared by the `deaid` CLI and the workers.
//!
//! A [`TxSender`] caches the signer's account number and sequence, so a daemon can send tx
//! after tx without reading its account each time. The cached sequence advances only when
//! CheckTx accepts a tx; a CheckTx (or Simulate) "account sequence mismatch" (codespace `sdk`,
//! code 32) re-reads the account and tries once more.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmos_sdk_proto::Any;

use deai_framework::coins::validate_denom;
use deai_framework::{sdk, Address, Coins, TxError};

use crate::keys::AccountKey;
use crate::rpc::{NodeClient, QueryError, TxResponse};
use crate::txbuilder::{sign_tx, unsigned_tx, TxParams};

/// The gRPC path of `cosmos.tx.v1beta1.Service/Simulate`, answered over ABCI query.
pub const SIMULATE_PATH: &str = "/cosmos.tx.v1beta1.Service/Simulate";

/// How long [`TxSender::send_and_wait`] waits for a commit unless told otherwise.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Decimal places of a gas price.
const PRICE_DECIMALS: u32 = 18;

/// A price per unit of gas, a decimal coin such as `0.025udeai`, in fixed point with 18
/// decimals (the node's `minimum_gas_prices` and the client's `--gas-prices`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    /// The price times 10^18 (`0.025udeai` is 25 × 10^15).
    pub amount_atto: u128,
    pub denom: String,
}

impl GasPrice {
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| anyhow::anyhow!("gas price {s:?} has no denom"))?;
        let (num, denom) = s.split_at(split);
        validate_denom(denom).map_err(|e| anyhow::anyhow!("{}", e.log))?;
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        anyhow::ensure!(
            !int.is_empty() && frac.len() as u32 <= PRICE_DECIMALS && int.len() <= 20,
            "invalid gas price {s:?}"
        );
        let int: u128 = int.parse()?;
        let frac_val: u128 = if frac.is_empty() { 0 } else { frac.parse()? };
        let atto = int
            .checked_mul(10u128.pow(PRICE_DECIMALS))
            .and_then(|v| v.checked_add(frac_val * 10u128.pow(PRICE_DECIMALS - frac.len() as u32)))
            .ok_or_else(|| anyhow::anyhow!("gas price {s:?} is too large"))?;
        Ok(Self {
            amount_atto: atto,
            denom: denom.to_string(),
        })
    }

    pub fn is_zero(&self) -> bool {
        self.amount_atto == 0
    }

    /// The smallest fee that pays `gas` at this price (rounded up, as the SDK does).
    pub fn fee_for(&self, gas: u64) -> u128 {
        let scale = 10u128.pow(PRICE_DECIMALS);
        // u64 × (price < 2^128/2^64) cannot overflow for any sane price; saturate otherwise.
        let total = self.amount_atto.saturating_mul(u128::from(gas));
        total / scale + u128::from(total % scale != 0)
    }

    /// [`GasPrice::fee_for`] as coins (empty when the fee is zero).
    pub fn fee_coins(&self, gas: u64) -> anyhow::Result<Coins> {
        let fee = self.fee_for(gas);
        if fee == 0 {
            return Ok(Coins::empty());
        }
        Coins::parse(&format!("{fee}{}", self.denom)).map_err(|e| anyhow::anyhow!(e.log))
    }

    /// Checks a tx's fee against this price for `gas`.
    pub fn check(&self, fee: &Coins, gas: u64) -> Result<(), TxError> {
        let required = self.fee_for(gas);
        if required == 0 {
            return Ok(());
        }
        let paid = fee.amount_of(&self.denom);
        if paid < required {
            return Err(sdk::insufficient_fee(format!(
                "insufficient fees; got: {fee} required: {required}{}",
                self.denom
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scale = 10u128.pow(PRICE_DECIMALS);
        let frac = format!("{:018}", self.amount_atto % scale);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            write!(f, "{}{}", self.amount_atto / scale, self.denom)
        } else {
            write!(f, "{}.{}{}", self.amount_atto / scale, frac, self.denom)
        }
    }
}

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
            gas_price: GasPrice {
                amount_atto: 25 * 10u128.pow(PRICE_DECIMALS - 3),
                denom: "udeai".into(),
            },
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

/// The gas limit for `used` gas simulated, under `adjustment`.
fn adjusted_gas(used: u64, adjustment: f64) -> u64 {
    (used as f64 * adjustment).ceil() as u64
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
                        self.refresh_account().await?;
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
            self.refresh_account().await?;
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
mod tests {
    use super::*;

    #[test]
    fn parses_and_rounds_up() {
        let p = GasPrice::parse("0.025udeai").unwrap();
        assert_eq!(p.to_string(), "0.025udeai");
        assert_eq!(p.amount_atto, 25_000_000_000_000_000);
        assert_eq!(p.fee_for(200_000), 5000);
        assert_eq!(p.fee_for(1), 1);
        assert_eq!(p.fee_for(0), 0);
        assert_eq!(GasPrice::parse("2udeai").unwrap().fee_for(3), 6);
        assert_eq!(
            GasPrice::parse(" 1.5uatom ").unwrap().to_string(),
            "1.5uatom"
        );
        assert!(GasPrice::parse("0udeai").unwrap().is_zero());
        for bad in [
            "udeai",
            "1.2.3udeai",
            "-1udeai",
            "0.025",
            "1.0000000000000000001udeai",
            ".5udeai",
        ] {
            assert!(GasPrice::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fee_coins_and_check() {
        let p = GasPrice::parse("0.025udeai").unwrap();
        assert_eq!(p.fee_coins(200_000).unwrap().to_string(), "5000udeai");
        assert!(p.fee_coins(0).unwrap().is_empty());
        let paid = Coins::parse("5000udeai").unwrap();
        assert!(p.check(&paid, 200_000).is_ok());
        let e = p.check(&paid, 200_001).unwrap_err();
        assert_eq!((e.codespace, e.code), ("sdk", sdk::INSUFFICIENT_FEE));
        assert!(GasPrice::parse("0udeai")
            .unwrap()
            .check(&Coins::empty(), 1)
            .is_ok());
    }

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
        assert_eq!(adjusted_gas(100_000, 1.5), 150_000);
        assert_eq!(adjusted_gas(3, 1.5), 5);
        assert!(is_wrong_sequence("sdk", 32) && !is_wrong_sequence("bank", 32));
    }
}
