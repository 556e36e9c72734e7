//! A client for a node's CometBFT RPC: ABCI queries (gRPC paths), broadcasting and tx lookup.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::auth::v1beta1::{QueryAccountRequest, QueryAccountResponse};
use deai_rpc::HttpClient;
use tendermint_rpc::error::ErrorDetail;
use tendermint_rpc::Client as _;

use deai_auth::Account;
use deai_framework::{sdk, Address};

pub struct NodeClient {
    http: HttpClient,
    url: String,
}

/// A query answered with an error code by the app.
#[derive(Debug, thiserror::Error)]
#[error("{log} (codespace {codespace}, code {code})")]
pub struct QueryError {
    pub code: u32,
    pub codespace: String,
    pub log: String,
}

/// What the CLI prints for a tx, in the Cosmos `TxResponse` JSON shape.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TxResponse {
    pub height: String,
    pub txhash: String,
    pub codespace: String,
    pub code: u32,
    pub raw_log: String,
    pub gas_wanted: String,
    pub gas_used: String,
    pub events: serde_json::Value,
}

impl TxResponse {
    /// A committed tx as the node's `tx` endpoint described it.
    pub fn committed(r: tendermint_rpc::endpoint::tx::Response) -> Self {
        let events: Vec<serde_json::Value> = r
            .tx_result
            .events
            .iter()
            .map(|e| {
                serde_json::json!({
                    "type": e.kind,
                    "attributes": e.attributes.iter().map(|a| serde_json::json!({
                        "key": a.key_str().unwrap_or_default(),
                        "value": a.value_str().unwrap_or_default(),
                        "index": a.index(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        TxResponse {
            height: r.height.to_string(),
            txhash: r.hash.to_string(),
            codespace: r.tx_result.codespace,
            code: r.tx_result.code.value(),
            raw_log: r.tx_result.log,
            gas_wanted: r.tx_result.gas_wanted.to_string(),
            gas_used: r.tx_result.gas_used.to_string(),
            events: serde_json::Value::Array(events),
        }
    }
}

/// An RPC error's message and causes on one line, without the location and backtrace that
/// its tracer appends ("HTTP error: error sending request …: Connection refused").
fn without_trace(e: &tendermint_rpc::Error) -> String {
    let full = e.to_string();
    let head = full.split("Location:").next().unwrap_or(&full);
    let line = head.split_whitespace().collect::<Vec<_>>().join(" ");
    line.replace(" Caused by:", ":")
}

impl NodeClient {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let http = HttpClient::new(url)
            .map_err(|e| anyhow::anyhow!("invalid node address {url:?}: {e}"))?;
        Ok(Self {
            http,
            url: url.into(),
        })
    }

    /// The node's CometBFT RPC address, as given to [`NodeClient::new`].
    pub fn url(&self) -> &str {
        &self.url
    }

    /// One line for a failed RPC call: the node's own JSON-RPC error (such as "tx already
    /// exists in cache"), or why it could not be reached; never the error's trace.
    fn unreachable(&self, e: tendermint_rpc::Error) -> anyhow::Error {
        match e.detail() {
            ErrorDetail::Response(r) => {
                let data = r
                    .source
                    .data()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default();
                anyhow::anyhow!(
                    "node at {} answered: {}{data}",
                    self.url,
                    r.source.message()
                )
            }
            _ => anyhow::anyhow!("cannot reach node at {}: {}", self.url, without_trace(&e)),
        }
    }

    /// Calls a gRPC query method over ABCI (`height` 0: latest).
    pub async fn query<Req: prost::Message, Res: prost::Message + Default>(
        &self,
        path: &str,
        req: &Req,
        height: u64,
    ) -> anyhow::Result<Result<Res, QueryError>> {
        let h = if height == 0 {
            None
        } else {
            Some(tendermint::block::Height::try_from(height)?)
        };
        let r = self
            .http
            .abci_query(Some(path.to_string()), req.encode_to_vec(), h, false)
            .await
            .map_err(|e| self.unreachable(e))?;
        if r.code.is_err() {
            return Ok(Err(QueryError {
                code: r.code.value(),
                codespace: r.codespace,
                log: r.log,
            }));
        }
        Ok(Ok(Res::decode(r.value.as_slice())?))
    }

    /// The account at `addr`, or None if the chain has never seen it.
    pub async fn account(&self, addr: &Address) -> anyhow::Result<Option<Account>> {
        let req = QueryAccountRequest {
            address: addr.to_bech32(),
        };
        match self
            .query::<_, QueryAccountResponse>("/cosmos.auth.v1beta1.Query/Account", &req, 0)
            .await?
        {
            Ok(res) => {
                let any = res
                    .account
                    .ok_or_else(|| anyhow::anyhow!("empty account response"))?;
                Ok(Some(
                    Account::from_any(&any).map_err(|e| anyhow::anyhow!(e.log))?,
                ))
            }
            Err(e) if e.code == sdk::KEY_NOT_FOUND => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn chain_id(&self) -> anyhow::Result<String> {
        let s = self.http.status().await.map_err(|e| self.unreachable(e))?;
        Ok(s.node_info.network.to_string())
    }

    pub async fn latest_height(&self) -> anyhow::Result<u64> {
        let s = self.http.status().await.map_err(|e| self.unreachable(e))?;
        Ok(s.sync_info.latest_block_height.value())
    }

    /// Broadcasts and returns CheckTx's verdict (Cosmos `sync` mode).
    pub async fn broadcast_sync(&self, tx: Vec<u8>) -> anyhow::Result<TxResponse> {
        let hash = crate::txbuilder::tx_hash(&tx);
        let r = self
            .http
            .broadcast_tx_sync(tx)
            .await
            .map_err(|e| self.unreachable(e))?;
        // The hash the caller will wait for: the node's word is checked, not taken.
        if r.hash.to_string() != hash {
            anyhow::bail!(
                "{} answered the broadcast with tx hash {}, but the tx's hash is {hash}",
                self.url,
                r.hash
            );
        }
        Ok(TxResponse {
            height: "0".into(),
            txhash: r.hash.to_string(),
            codespace: r.codespace,
            code: r.code.value(),
            raw_log: r.log,
            gas_wanted: "0".into(),
            gas_used: "0".into(),
            events: serde_json::json!([]),
        })
    }

    /// Looks up a committed tx by hash (hex).
    pub async fn tx(&self, hash: &str) -> anyhow::Result<Option<TxResponse>> {
        let h: tendermint::Hash = hash
            .parse()
            .map_err(|_| anyhow::anyhow!("invalid tx hash {hash:?}: expected 64 hex characters"))?;
        match self.http.tx(h, false).await {
            // A node that answers with another tx is lying or broken: never report its tx as
            // the one asked for.
            Ok(r) if r.hash != h => anyhow::bail!(
                "asked {} for tx {h}, it answered with tx {}",
                self.url,
                r.hash
            ),
            Ok(r) => Ok(Some(TxResponse::committed(r))),
            Err(e) if e.to_string().contains("not found") => Ok(None),
            Err(e) => Err(self.unreachable(e)),
        }
    }

    /// Polls until the tx is committed or `timeout` passes.
    pub async fn wait_tx(&self, hash: &str, timeout: Duration) -> anyhow::Result<TxResponse> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(r) = self.tx(hash).await? {
                return Ok(r);
            }
            if tokio::time::Instant::now() >= deadline {
                anyhow::bail!("tx {hash} was not committed within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
