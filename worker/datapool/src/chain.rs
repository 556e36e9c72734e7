//! The chain as a pool validator sees it: the data module's Pool and Contributions queries
//! and the txs it sends. [`NodeChain`] talks to a node through the shared [`KeyedNode`]
//! (ABCI queries on gRPC paths, txs through `deai_client::TxSender`); tests use an in-memory
//! chain behind the same trait. Answers are a stranger's: callers bound what they use.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::Any;
use deai_client::{to_any, TxSender};
use deai_proto::data::v1 as pb;
use deai_worker_daemon::abci::next_key;
pub use deai_worker_daemon::Committed;
use deai_worker_daemon::KeyedNode;
pub use deai_worker_training::chain::refused;

/// A pool with its bonded validators, as the Pool query answers it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolView {
    pub pool: pb::Pool,
    pub validators: Vec<pb::PoolValidator>,
}

/// Contributions with the scores given so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contributions {
    pub contributions: Vec<pb::Contribution>,
    pub scores: Vec<pb::Score>,
}

/// What the daemon reads from and sends to the chain. Every method may fail (the node is
/// unreachable, an answer does not decode); the daemon logs and retries at the next tick.
#[allow(async_fn_in_trait)]
pub trait Chain {
    /// The key's account (bech32).
    fn address(&self) -> String;
    async fn height(&self) -> anyhow::Result<u64>;
    async fn pool(&self, id: u64) -> anyhow::Result<Option<PoolView>>;
    /// The pool's contributions of epoch `epoch` and later (newest first is fine), with
    /// their scores.
    async fn contributions_since(&self, pool: u64, epoch: u64) -> anyhow::Result<Contributions>;
    /// Every contribution of the pool (bounded by the pages read), oldest first.
    async fn all_contributions(&self, pool: u64) -> anyhow::Result<Vec<pb::Contribution>>;
    /// Signs, sends and waits for the commit. `Err` when CheckTx refused it or it was not
    /// committed in time; a committed tx that failed has a non-zero `code`.
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed>;

    /// Sends `msg` alone and waits for its commit; `Err` also when it committed with a
    /// non-zero code.
    async fn send_msg<M: prost::Message + prost::Name>(
        &mut self,
        msg: &M,
    ) -> anyhow::Result<Committed> {
        let c = self.send(vec![to_any(msg)]).await?;
        refused::<M>(&c)?;
        Ok(c)
    }
}

/// A node with a key.
pub struct NodeChain {
    node: KeyedNode,
}

impl NodeChain {
    pub fn new(sender: TxSender) -> anyhow::Result<Self> {
        Ok(NodeChain {
            node: KeyedNode::new(sender, "/deai.data.v1.Query")?,
        })
    }
}

impl Chain for NodeChain {
    fn address(&self) -> String {
        self.node.address()
    }

    async fn height(&self) -> anyhow::Result<u64> {
        self.node.height().await
    }

    async fn pool(&self, id: u64) -> anyhow::Result<Option<PoolView>> {
        let r: Option<pb::QueryPoolResponse> = self
            .node
            .abci
            .get("Pool", &pb::QueryPoolRequest { id })
            .await?;
        Ok(r.and_then(|r| {
            r.pool.map(|pool| PoolView {
                pool,
                validators: r.validators,
            })
        }))
    }

    async fn contributions_since(&self, pool: u64, epoch: u64) -> anyhow::Result<Contributions> {
        // Newest first (the index is ordered by epoch, then id), until a page reaches an
        // earlier epoch.
        let pages = self
            .node
            .abci
            .list_until(
                "Contributions",
                |p| pb::QueryContributionsRequest {
                    pool_id: pool,
                    pagination: Some(PageRequest { reverse: true, ..p }),
                },
                |r: pb::QueryContributionsResponse| {
                    (
                        vec![Contributions {
                            contributions: r.contributions,
                            scores: r.scores,
                        }],
                        next_key(r.pagination),
                    )
                },
                |got| {
                    got.iter()
                        .flat_map(|c| &c.contributions)
                        .any(|c| c.epoch < epoch)
                },
            )
            .await?;
        let mut out = Contributions::default();
        for mut p in pages {
            p.contributions.retain(|c| c.epoch >= epoch);
            out.contributions.append(&mut p.contributions);
            out.scores.append(&mut p.scores);
        }
        Ok(out)
    }

    async fn all_contributions(&self, pool: u64) -> anyhow::Result<Vec<pb::Contribution>> {
        self.node
            .abci
            .list(
                "Contributions",
                |p| pb::QueryContributionsRequest {
                    pool_id: pool,
                    pagination: Some(p),
                },
                |r: pb::QueryContributionsResponse| (r.contributions, next_key(r.pagination)),
            )
            .await
    }

    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        self.node.send(msgs).await
    }
}
