//! The chain as the trainer and validator daemons see it: the training module's queries and
//! the txs they send. [`NodeChain`] talks to a node through the shared [`KeyedNode`] (ABCI
//! queries on gRPC paths, txs through `deai_client::TxSender`); tests use an in-memory
//! chain behind the same trait.

use cosmos_sdk_proto::Any;
use deai_client::{to_any, TxSender};
use deai_proto::training::v1 as pb;
use deai_worker_daemon::abci::next_key;
pub use deai_worker_daemon::Committed;
use deai_worker_daemon::KeyedNode;

/// A round with its updates, as the Round query answers it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoundView {
    pub round: pb::Round,
    pub updates: Vec<pb::Update>,
}

/// What the daemons read from and send to the chain. Every method may fail (the node is
/// unreachable, an answer does not decode); callers log and retry at the next tick.
#[allow(async_fn_in_trait)]
pub trait Chain {
    /// The key's account (bech32).
    fn address(&self) -> String;
    async fn height(&self) -> anyhow::Result<u64>;
    async fn task(&self, id: u64) -> anyhow::Result<Option<pb::Task>>;
    async fn neuron(&self, task_id: u64, owner: &str) -> anyhow::Result<Option<pb::Neuron>>;
    async fn neurons(&self, task_id: u64) -> anyhow::Result<Vec<pb::Neuron>>;
    async fn round(&self, task_id: u64, round: u64) -> anyhow::Result<Option<RoundView>>;
    async fn weights(&self, task_id: u64, round: u64) -> anyhow::Result<Vec<pb::WeightSet>>;
    /// Audits of the task (only those of `referee` unless it is empty).
    async fn audits(&self, task_id: u64, referee: &str) -> anyhow::Result<Vec<pb::Audit>>;
    /// Signs, sends and waits for the commit. `Err` when CheckTx refused it or it was not
    /// committed in time; a committed tx that failed has a non-zero `code`.
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed>;

    /// The task `id`; `Err` when there is none.
    async fn task_of(&self, id: u64) -> anyhow::Result<pb::Task> {
        self.task(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("task {id} not found"))
    }

    /// Sends `msg` alone and waits for its commit; `Err` also when it committed with a
    /// non-zero code ([`refused`]).
    async fn send_msg<M: prost::Message + prost::Name>(
        &mut self,
        msg: &M,
    ) -> anyhow::Result<Committed> {
        let c = self.send(vec![to_any(msg)]).await?;
        refused::<M>(&c)?;
        Ok(c)
    }
}

/// Checks that `me` is a `role` neuron of task `task_id`, with a clear error otherwise (how
/// to register when it is none); the task and the neuron.
pub async fn registered<C: Chain>(
    chain: &C,
    task_id: u64,
    me: &str,
    role: pb::Role,
) -> anyhow::Result<(pb::Task, pb::Neuron)> {
    let task = chain.task_of(task_id).await?;
    let name = role
        .as_str_name()
        .trim_start_matches("ROLE_")
        .to_ascii_lowercase();
    let n = chain.neuron(task_id, me).await?.ok_or_else(|| {
        anyhow::anyhow!(
            "{me} is not a neuron of task {task_id}: register it first with `deaid tx training register {task_id} {name} <stake>`"
        )
    })?;
    anyhow::ensure!(
        n.role == role as i32,
        "{me} is a neuron of task {task_id} but not a {name} (role {})",
        n.role
    );
    Ok((task, n))
}

/// `Err("<Msg> refused (code c): log")` when the committed tx of an `M` failed.
pub fn refused<M: prost::Name>(c: &Committed) -> anyhow::Result<()> {
    anyhow::ensure!(
        c.ok(),
        "{} refused (code {}): {}",
        M::NAME,
        c.code,
        c.raw_log
    );
    Ok(())
}

/// A node with a key.
pub struct NodeChain {
    node: KeyedNode,
}

impl NodeChain {
    pub fn new(sender: TxSender) -> anyhow::Result<Self> {
        Ok(NodeChain {
            node: KeyedNode::new(sender, "/deai.training.v1.Query")?,
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

    async fn task(&self, id: u64) -> anyhow::Result<Option<pb::Task>> {
        let r: Option<pb::QueryTaskResponse> = self
            .node
            .abci
            .get("Task", &pb::QueryTaskRequest { id })
            .await?;
        Ok(r.and_then(|r| r.task))
    }

    async fn neuron(&self, task_id: u64, owner: &str) -> anyhow::Result<Option<pb::Neuron>> {
        let req = pb::QueryNeuronRequest {
            task_id,
            owner: owner.into(),
        };
        let r: Option<pb::QueryNeuronResponse> = self.node.abci.get("Neuron", &req).await?;
        Ok(r.and_then(|r| r.neuron))
    }

    async fn neurons(&self, task_id: u64) -> anyhow::Result<Vec<pb::Neuron>> {
        self.node
            .abci
            .list(
                "Neurons",
                |p| pb::QueryNeuronsRequest {
                    task_id,
                    pagination: Some(p),
                },
                |r: pb::QueryNeuronsResponse| (r.neurons, next_key(r.pagination)),
            )
            .await
    }

    async fn round(&self, task_id: u64, round: u64) -> anyhow::Result<Option<RoundView>> {
        let r: Option<pb::QueryRoundResponse> = self
            .node
            .abci
            .get("Round", &pb::QueryRoundRequest { task_id, round })
            .await?;
        Ok(r.and_then(|r| {
            r.round.map(|round| RoundView {
                round,
                updates: r.updates,
            })
        }))
    }

    async fn weights(&self, task_id: u64, round: u64) -> anyhow::Result<Vec<pb::WeightSet>> {
        let r: Option<pb::QueryWeightsResponse> = self
            .node
            .abci
            .get("Weights", &pb::QueryWeightsRequest { task_id, round })
            .await?;
        Ok(r.map(|r| r.weights).unwrap_or_default())
    }

    async fn audits(&self, task_id: u64, referee: &str) -> anyhow::Result<Vec<pb::Audit>> {
        self.node
            .abci
            .list(
                "Audits",
                |p| pb::QueryAuditsRequest {
                    task_id,
                    referee: referee.into(),
                    pagination: Some(p),
                },
                |r: pb::QueryAuditsResponse| (r.audits, next_key(r.pagination)),
            )
            .await
    }

    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        self.node.send(msgs).await
    }
}
