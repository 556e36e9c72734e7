//! The chain as the inference server and the requester see it: the inference module's
//! queries and the txs they send. [`NodeChain`] talks to a node through the shared
//! [`KeyedNode`] (ABCI queries on gRPC paths, txs through `deai_client::TxSender`); tests
//! use an in-memory chain behind the same trait.

use cosmos_sdk_proto::Any;
use deai_client::TxSender;
use deai_proto::inference::v1 as pb;
use deai_worker_daemon::abci::next_key;
pub use deai_worker_daemon::Committed;
use deai_worker_daemon::KeyedNode;

/// What the server and the requester read from and send to the chain. Every method may
/// fail (the node is unreachable, an answer does not decode); callers log and retry.
#[allow(async_fn_in_trait)]
pub trait Chain {
    /// The key's account (bech32).
    fn address(&self) -> String;
    /// The chain id, part of every request binding.
    fn chain_id(&self) -> String;
    async fn params(&self) -> anyhow::Result<pb::Params>;
    async fn height(&self) -> anyhow::Result<u64>;
    async fn model(&self, id: u64) -> anyhow::Result<Option<pb::Model>>;
    async fn server(&self, model_id: u64, server: &str) -> anyhow::Result<Option<pb::Server>>;
    async fn request(&self, id: u64) -> anyhow::Result<Option<pb::Request>>;
    /// The requests assigned to `server` that may still be pending (at least all those;
    /// finished ones may come too).
    async fn requests_of_server(&self, server: &str) -> anyhow::Result<Vec<pb::Request>>;
    async fn submissions(&self, request_id: u64) -> anyhow::Result<Vec<pb::Submission>>;
    /// The challenge (or redundant tie dispute) of a request, if any.
    async fn challenge(&self, request_id: u64) -> anyhow::Result<Option<pb::Challenge>>;
    /// Every server's requests that may still be in their challenge window (at least all
    /// those; others may come too), for the watchdog's reconcile.
    async fn recent_requests(&self) -> anyhow::Result<Vec<pb::Request>>;
    /// Signs, sends and waits for the commit. `Err` when CheckTx refused it or it was not
    /// committed in time; a committed tx that failed has a non-zero `code`.
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed>;
}

/// A node with a key.
pub struct NodeChain {
    node: KeyedNode,
}

impl NodeChain {
    pub fn new(sender: TxSender) -> anyhow::Result<Self> {
        Ok(NodeChain {
            node: KeyedNode::new(sender, "/deai.inference.v1.Query")?,
        })
    }
}

impl Chain for NodeChain {
    fn address(&self) -> String {
        self.node.address()
    }

    fn chain_id(&self) -> String {
        self.node.sender().chain_id().to_string()
    }

    async fn params(&self) -> anyhow::Result<pb::Params> {
        let r: pb::QueryParamsResponse = self
            .node
            .abci
            .one("Params", &pb::QueryParamsRequest {})
            .await?;
        r.params
            .ok_or_else(|| anyhow::anyhow!("the chain answered no inference params"))
    }

    async fn height(&self) -> anyhow::Result<u64> {
        self.node.height().await
    }

    async fn model(&self, id: u64) -> anyhow::Result<Option<pb::Model>> {
        let r: Option<pb::QueryModelResponse> = self
            .node
            .abci
            .get("Model", &pb::QueryModelRequest { id })
            .await?;
        Ok(r.and_then(|r| r.model))
    }

    async fn server(&self, model_id: u64, server: &str) -> anyhow::Result<Option<pb::Server>> {
        let req = pb::QueryServerRequest {
            model_id,
            server: server.into(),
        };
        let r: Option<pb::QueryServerResponse> = self.node.abci.get("Server", &req).await?;
        Ok(r.and_then(|r| r.server))
    }

    async fn request(&self, id: u64) -> anyhow::Result<Option<pb::Request>> {
        let r: Option<pb::QueryRequestResponse> = self
            .node
            .abci
            .get("Request", &pb::QueryRequestRequest { id })
            .await?;
        Ok(r.and_then(|r| r.request))
    }

    /// Newest first, and only as far back as a request can still be unsettled: a request
    /// created before `height - (max_deadline_blocks + challenge_window + response_window)`
    /// has come due, closed its window and ended its dispute, and ids (the index's order)
    /// grow with the height, so the pages after one that reaches it hold none.
    async fn requests_of_server(&self, server: &str) -> anyhow::Result<Vec<pb::Request>> {
        let p = self.params().await?;
        let oldest = self.height().await?.saturating_sub(
            p.max_deadline_blocks
                .saturating_add(p.challenge_window)
                .saturating_add(p.response_window)
                .saturating_add(1),
        );
        self.node
            .abci
            .list_until(
                "Requests",
                |mut p| {
                    p.reverse = true;
                    pb::QueryRequestsRequest {
                        requester: String::new(),
                        server: server.into(),
                        pagination: Some(p),
                    }
                },
                |r: pb::QueryRequestsResponse| (r.requests, next_key(r.pagination)),
                |page| page.iter().any(|r| r.created_height < oldest),
            )
            .await
    }

    async fn submissions(&self, request_id: u64) -> anyhow::Result<Vec<pb::Submission>> {
        self.node
            .abci
            .list(
                "Submissions",
                |p| pb::QuerySubmissionsRequest {
                    request_id,
                    pagination: Some(p),
                },
                |r: pb::QuerySubmissionsResponse| (r.submissions, next_key(r.pagination)),
            )
            .await
    }

    async fn challenge(&self, request_id: u64) -> anyhow::Result<Option<pb::Challenge>> {
        let r: Option<pb::QueryChallengeResponse> = self
            .node
            .abci
            .get("Challenge", &pb::QueryChallengeRequest { request_id })
            .await?;
        Ok(r.and_then(|r| r.challenge))
    }

    /// Every request, newest first, back to `height - (max_deadline_blocks +
    /// challenge_window)` (an older one has left its window), at most the shared page limit.
    async fn recent_requests(&self) -> anyhow::Result<Vec<pb::Request>> {
        let p = self.params().await?;
        let oldest = self.height().await?.saturating_sub(
            p.max_deadline_blocks
                .saturating_add(p.challenge_window)
                .saturating_add(1),
        );
        self.node
            .abci
            .list_until(
                "Requests",
                |mut p| {
                    p.reverse = true;
                    pb::QueryRequestsRequest {
                        requester: String::new(),
                        server: String::new(),
                        pagination: Some(p),
                    }
                },
                |r: pb::QueryRequestsResponse| (r.requests, next_key(r.pagination)),
                |page| page.iter().any(|r| r.created_height < oldest),
            )
            .await
    }

    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        self.node.send(msgs).await
    }
}
