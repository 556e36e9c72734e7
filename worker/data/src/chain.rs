//! The chain as the data market's worker reads it: the data module's queries, accounts'
//! public keys and datatoken balances, over the node's CometBFT RPC (the shared [`Abci`]
//! helper). [`GrantSource`] is the part the download policy needs, behind a trait so that
//! tests use an in-memory chain.

use std::future::Future;

use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use deai_client::NodeClient;
use deai_framework::Address;
use deai_proto::data::v1 as pb;
use deai_worker_daemon::abci::next_key;
use deai_worker_daemon::Abci;

/// The data module's query service.
pub const DATA_QUERY: &str = "/deai.data.v1.Query";

/// What [`crate::GrantPolicy`] reads: the latest height, a grant, a dataset. `Err` means
/// the chain could not be asked (the policy answers 503), `Ok(None)` that it has no such
/// record.
pub trait GrantSource: Send + Sync + 'static {
    fn height(&self) -> impl Future<Output = anyhow::Result<u64>> + Send;
    fn grant(&self, id: u64) -> impl Future<Output = anyhow::Result<Option<pb::Grant>>> + Send;
    fn dataset(&self, id: u64) -> impl Future<Output = anyhow::Result<Option<pb::Dataset>>> + Send;
}

/// A node's data, auth and bank queries (no key).
pub struct NodeQueries {
    data: Abci,
}

impl NodeQueries {
    pub fn new(node_url: &str) -> anyhow::Result<Self> {
        Ok(NodeQueries {
            data: Abci::new(node_url, DATA_QUERY)?,
        })
    }

    pub fn client(&self) -> &NodeClient {
        self.data.client()
    }

    pub async fn chain_id(&self) -> anyhow::Result<String> {
        self.client().chain_id().await
    }

    pub async fn params(&self) -> anyhow::Result<pb::Params> {
        let r: pb::QueryParamsResponse =
            self.data.one("Params", &pb::QueryParamsRequest {}).await?;
        r.params
            .ok_or_else(|| anyhow::anyhow!("Params: empty answer"))
    }

    /// One page of a dataset's grants, newest first; the next page's key (empty: last).
    pub async fn grants_of_dataset_page(
        &self,
        dataset_id: u64,
        key: Vec<u8>,
        limit: u64,
    ) -> anyhow::Result<(Vec<pb::Grant>, Vec<u8>)> {
        let req = pb::QueryGrantsRequest {
            grantee: String::new(),
            dataset_id,
            pagination: Some(
                cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                    key,
                    offset: 0,
                    limit,
                    count_total: false,
                    reverse: true,
                },
            ),
        };
        let r: pb::QueryGrantsResponse = self.data.one("Grants", &req).await?;
        Ok((r.grants, next_key(r.pagination)))
    }

    /// A grantee's grants of one dataset (bounded by [`deai_worker_daemon::abci::MAX_PAGES`]).
    pub async fn grants_of(
        &self,
        grantee: &str,
        dataset_id: u64,
    ) -> anyhow::Result<Vec<pb::Grant>> {
        self.data
            .list(
                "Grants",
                |p| pb::QueryGrantsRequest {
                    grantee: grantee.to_string(),
                    dataset_id,
                    pagination: Some(p),
                },
                |r: pb::QueryGrantsResponse| (r.grants, next_key(r.pagination)),
            )
            .await
    }

    /// The account's compressed secp256k1 public key; `None` until its first signed tx (or
    /// when the chain has never seen it).
    pub async fn account_pubkey(&self, address: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let addr = Address::from_bech32(address)
            .map_err(|e| anyhow::anyhow!("address {address:?}: {}", e.log))?;
        Ok(self.client().account(&addr).await?.and_then(|a| a.pub_key))
    }

    /// `address`'s balance of `denom`.
    pub async fn balance(&self, address: &str, denom: &str) -> anyhow::Result<u128> {
        let req = QueryBalanceRequest {
            address: address.to_string(),
            denom: denom.to_string(),
        };
        let r: QueryBalanceResponse = self
            .client()
            .query("/cosmos.bank.v1beta1.Query/Balance", &req, 0)
            .await?
            .map_err(|e| anyhow::anyhow!("Balance: {e}"))?;
        match r.balance {
            None => Ok(0),
            Some(c) => c
                .amount
                .parse()
                .map_err(|_| anyhow::anyhow!("Balance: bad amount {:?}", c.amount)),
        }
    }
}

impl GrantSource for NodeQueries {
    async fn height(&self) -> anyhow::Result<u64> {
        self.client().latest_height().await
    }

    async fn grant(&self, id: u64) -> anyhow::Result<Option<pb::Grant>> {
        let r: Option<pb::QueryGrantResponse> = self
            .data
            .get("Grant", &pb::QueryGrantRequest { id })
            .await?;
        Ok(r.and_then(|r| r.grant))
    }

    async fn dataset(&self, id: u64) -> anyhow::Result<Option<pb::Dataset>> {
        let r: Option<pb::QueryDatasetResponse> = self
            .data
            .get("Dataset", &pb::QueryDatasetRequest { id })
            .await?;
        Ok(r.and_then(|r| r.dataset))
    }
}
