//! MsgSubmitAggregate: the aggregator drawn at a round's epoch submits its FedAvg within the
//! aggregate window (the first `aggregate_window` blocks after the epoch); it becomes the
//! next round's base and closes the round's lineage link.

use cosmos_sdk_proto::Any;

use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::training::v1 as pb;

use super::{load_task, response, sender_event};
use crate::epoch::finalize;
use crate::error::TrainingError;
use crate::keeper::{TrainingRead, TrainingWrite};
use crate::phases::aggregate_window;
use crate::spec::{hash32, validate_uri};
use crate::MODULE_NAME;

#[derive(Debug)]
pub struct SubmitAggregate {
    pub aggregator: Address,
    pub task_id: u64,
    pub round: u64,
    pub aggregate_hash: Vec<u8>,
    pub uri: String,
}

impl TryFrom<pb::MsgSubmitAggregate> for SubmitAggregate {
    type Error = TxError;
    fn try_from(m: pb::MsgSubmitAggregate) -> Result<Self, TxError> {
        hash32("aggregate_hash", &m.aggregate_hash)?;
        validate_uri(&m.uri)?;
        Ok(Self {
            aggregator: Address::from_bech32(&m.aggregator)?,
            task_id: m.task_id,
            round: m.round,
            aggregate_hash: m.aggregate_hash,
            uri: m.uri,
        })
    }
}

impl Message for SubmitAggregate {
    fn signers(&self) -> Vec<Address> {
        vec![self.aggregator.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut task = load_task(ctx, self.task_id)?;
        let mut round =
            ctx.get_round(task.id, self.round)?
                .ok_or(TrainingError::RoundNotFound {
                    task: task.id,
                    round: self.round,
                })?;
        let signer = self.aggregator.to_bech32();
        if !round.closed || round.aggregator.is_empty() || round.aggregator != signer {
            return Err(TrainingError::NotAggregator {
                signer,
                round: self.round,
            }
            .into());
        }
        if !round.lineage.is_empty() {
            return Err(TrainingError::AggregateExists(self.round).into());
        }
        // Still staked and in good standing: an aggregate must be answerable by stake.
        match ctx.neuron_of(task.id, &self.aggregator)? {
            None => {
                return Err(TrainingError::NotRegistered {
                    task: task.id,
                    owner: signer,
                }
                .into())
            }
            Some(n) if n.jailed => return Err(TrainingError::Jailed(n.owner).into()),
            Some(_) => {}
        }
        let spec = task.spec.clone().unwrap_or_default();
        let (opens, closes) = aggregate_window(&spec, round.closed_at);
        let now = ctx.block.height;
        if now < opens || now >= closes {
            return Err(TrainingError::AggregateWindowClosed {
                round: self.round,
                height: now,
                opens,
                closes,
            }
            .into());
        }
        finalize(
            ctx,
            &mut task,
            &mut round,
            Some((self.aggregate_hash.clone(), self.uri.clone())),
        )?;
        ctx.put_task(&task)?;
        ctx.emit(sender_event(&self.aggregator));
        Ok(response(pb::MsgSubmitAggregateResponse {
            lineage: round.lineage,
        }))
    }
}
