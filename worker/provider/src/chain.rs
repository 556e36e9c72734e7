//! The chain as the provider sees it: the compute queries it reads and the txs it sends.
//! [`NodeChain`] talks to a node (ABCI queries on gRPC paths, txs through
//! `deai_client::TxSender`); tests use an in-memory chain behind the same trait.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::Any;
use deai_client::TxSender;
use deai_proto::compute::v1 as pb;
use deai_proto::data::v1 as data_pb;
use deai_worker_daemon::abci::{next_key, Abci};

/// A committed tx, as the provider needs it (the shared daemon scaffolding's).
pub use deai_worker_daemon::Committed;

/// What the daemon reads from and sends to the chain. Every method may fail (the node is
/// unreachable, an answer does not decode); the daemon logs and retries later.
#[allow(async_fn_in_trait)]
pub trait Chain {
    /// The provider's own account (bech32).
    fn address(&self) -> String;
    async fn params(&self) -> anyhow::Result<pb::Params>;
    async fn provider(&self, owner: &str) -> anyhow::Result<Option<pb::Provider>>;
    async fn order(&self, id: u64) -> anyhow::Result<Option<pb::Order>>;
    async fn open_orders(&self) -> anyhow::Result<Vec<pb::Order>>;
    async fn lease(&self, id: u64) -> anyhow::Result<Option<pb::Lease>>;
    async fn leases_of(&self, provider: &str) -> anyhow::Result<Vec<pb::Lease>>;
    async fn results(&self, order_id: u64) -> anyhow::Result<Vec<pb::Result>>;
    async fn audits_of(&self, verifier: &str) -> anyhow::Result<Vec<pb::Audit>>;
    /// A dataset of the data market (a compute-to-data order names one).
    async fn dataset(&self, id: u64) -> anyhow::Result<Option<data_pb::Dataset>>;
    /// Signs, sends and waits for the commit. `Err` when CheckTx refused it or it was not
    /// committed in time; a committed tx that failed has a non-zero `code`.
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed>;
}

/// The compute queries of a node (and the data market's dataset query), reached over its
/// CometBFT RPC (no key needed).
pub struct NodeQueries {
    abci: Abci,
    data: Abci,
}

/// A node with the provider's key: [`NodeQueries`] plus txs through a `TxSender`.
pub struct NodeChain {
    queries: NodeQueries,
    sender: TxSender,
}

impl NodeChain {
    pub fn new(sender: TxSender) -> anyhow::Result<Self> {
        let queries = NodeQueries::new(sender.client().url())?;
        Ok(NodeChain { queries, sender })
    }
}

impl NodeQueries {
    pub fn new(node_url: &str) -> anyhow::Result<Self> {
        Ok(NodeQueries {
            abci: Abci::new(node_url, "/deai.compute.v1.Query")?,
            data: Abci::new(node_url, "/deai.data.v1.Query")?,
        })
    }

    async fn ask<Req: prost::Message, Res: prost::Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> anyhow::Result<Result<Res, deai_client::QueryError>> {
        self.abci.ask(method, req).await
    }

    async fn get<Req: prost::Message, Res: prost::Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> anyhow::Result<Option<Res>> {
        self.abci.get(method, req).await
    }

    async fn list<Req, Res, T>(
        &self,
        method: &str,
        req: impl FnMut(PageRequest) -> Req,
        items: impl Fn(Res) -> (Vec<T>, Vec<u8>),
    ) -> anyhow::Result<Vec<T>>
    where
        Req: prost::Message,
        Res: prost::Message + Default,
    {
        self.abci.list(method, req, items).await
    }
}

impl NodeQueries {
    pub async fn params(&self) -> anyhow::Result<pb::Params> {
        let r: pb::QueryParamsResponse = self
            .ask("Params", &pb::QueryParamsRequest {})
            .await?
            .map_err(|e| anyhow::anyhow!("Params: {e}"))?;
        r.params
            .ok_or_else(|| anyhow::anyhow!("the chain answered no compute params"))
    }

    pub async fn provider(&self, owner: &str) -> anyhow::Result<Option<pb::Provider>> {
        let req = pb::QueryProviderRequest {
            owner: owner.into(),
        };
        let r: Option<pb::QueryProviderResponse> = self.get("Provider", &req).await?;
        Ok(r.and_then(|r| r.provider))
    }

    pub async fn order(&self, id: u64) -> anyhow::Result<Option<pb::Order>> {
        let r: Option<pb::QueryOrderResponse> =
            self.get("Order", &pb::QueryOrderRequest { id }).await?;
        Ok(r.and_then(|r| r.order))
    }

    pub async fn open_orders(&self) -> anyhow::Result<Vec<pb::Order>> {
        self.list(
            "Orders",
            |p| pb::QueryOrdersRequest {
                owner: String::new(),
                state: pb::OrderState::Open as i32,
                pagination: Some(p),
            },
            |r: pb::QueryOrdersResponse| (r.orders, next_key(r.pagination)),
        )
        .await
    }

    pub async fn lease(&self, id: u64) -> anyhow::Result<Option<pb::Lease>> {
        let r: Option<pb::QueryLeaseResponse> =
            self.get("Lease", &pb::QueryLeaseRequest { id }).await?;
        Ok(r.and_then(|r| r.lease))
    }

    pub async fn leases_of(&self, provider: &str) -> anyhow::Result<Vec<pb::Lease>> {
        self.list(
            "LeasesByProvider",
            |p| pb::QueryLeasesByProviderRequest {
                provider: provider.into(),
                state: pb::LeaseState::Unspecified as i32,
                pagination: Some(p),
            },
            |r: pb::QueryLeasesResponse| (r.leases, next_key(r.pagination)),
        )
        .await
    }

    pub async fn results(&self, order_id: u64) -> anyhow::Result<Vec<pb::Result>> {
        self.list(
            "Results",
            |p| pb::QueryResultsRequest {
                order_id,
                pagination: Some(p),
            },
            |r: pb::QueryResultsResponse| (r.results, next_key(r.pagination)),
        )
        .await
    }

    pub async fn audits_of(&self, verifier: &str) -> anyhow::Result<Vec<pb::Audit>> {
        self.list(
            "Audits",
            |p| pb::QueryAuditsRequest {
                order_id: 0,
                verifier: verifier.into(),
                pagination: Some(p),
            },
            |r: pb::QueryAuditsResponse| (r.audits, next_key(r.pagination)),
        )
        .await
    }
}

impl NodeQueries {
    pub async fn dataset(&self, id: u64) -> anyhow::Result<Option<data_pb::Dataset>> {
        let req = data_pb::QueryDatasetRequest { id };
        let r: Option<data_pb::QueryDatasetResponse> = self.data.get("Dataset", &req).await?;
        Ok(r.and_then(|r| r.dataset))
    }
}

impl Chain for NodeChain {
    fn address(&self) -> String {
        self.sender.address().to_bech32()
    }
    async fn params(&self) -> anyhow::Result<pb::Params> {
        self.queries.params().await
    }
    async fn provider(&self, owner: &str) -> anyhow::Result<Option<pb::Provider>> {
        self.queries.provider(owner).await
    }
    async fn order(&self, id: u64) -> anyhow::Result<Option<pb::Order>> {
        self.queries.order(id).await
    }
    async fn open_orders(&self) -> anyhow::Result<Vec<pb::Order>> {
        self.queries.open_orders().await
    }
    async fn lease(&self, id: u64) -> anyhow::Result<Option<pb::Lease>> {
        self.queries.lease(id).await
    }
    async fn leases_of(&self, provider: &str) -> anyhow::Result<Vec<pb::Lease>> {
        self.queries.leases_of(provider).await
    }
    async fn results(&self, order_id: u64) -> anyhow::Result<Vec<pb::Result>> {
        self.queries.results(order_id).await
    }
    async fn audits_of(&self, verifier: &str) -> anyhow::Result<Vec<pb::Audit>> {
        self.queries.audits_of(verifier).await
    }
    async fn dataset(&self, id: u64) -> anyhow::Result<Option<data_pb::Dataset>> {
        self.queries.dataset(id).await
    }
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        Ok(self.sender.send_and_wait(msgs).await?.into())
    }
}
