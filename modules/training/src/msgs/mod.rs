//! training's messages: decoding and stateless validation (`TryFrom` the proto), then
//! execution. Shared helpers live here.

use cosmos_sdk_proto::Any;

use deai_framework::authority;
use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::training::v1 as pb;

pub(crate) use deai_framework::handler::{
    coins_of, emit_all, required_coin, response, sender_event,
};

use crate::error::TrainingError;
use crate::keeper::{TrainingRead, TrainingWrite};
use crate::params::Params;
use crate::{events, state_key, MODULE_NAME};

mod aggregate;
mod audit;
mod neuron;
mod round;
mod task;

pub use aggregate::SubmitAggregate;
pub use audit::{OpenAudit, SubmitAudit};
pub use neuron::{shard_of, AddStake, RegisterNeuron, RemoveStake, SHARD_DOMAIN};
pub use round::{CommitUpdate, CommitWeights, RevealUpdate, RevealWeights};
pub use task::{create_task, task_seed, CreateTask, TASK_SEED_DOMAIN, TASK_SEQ};

/// A task (without its base spec bytes).
pub(crate) fn load_task(ctx: &Ctx, id: u64) -> Result<pb::Task, TxError> {
    ctx.get_task(id)?
        .ok_or_else(|| TrainingError::TaskNotFound(id).into())
}

/// MsgUpdateParams: replaces every training param; only the module's authority may sign it.
#[derive(Debug)]
pub struct UpdateParams {
    pub authority: Address,
    pub params: Params,
}

impl TryFrom<pb::MsgUpdateParams> for UpdateParams {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateParams) -> Result<Self, TxError> {
        let (authority, params) =
            authority::update_params_from(&m.authority, m.params, Params::from_proto)?;
        Ok(Self { authority, params })
    }
}

impl Message for UpdateParams {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        authority::update_params(
            ctx,
            &state_key::authority(),
            &self.authority,
            |ctx| {
                // Pools, stakes, unbonding and bonds are held in the bond denom: changing it
                // would strand them (and genesis import would refuse the state).
                let current = ctx.training_params()?.min_reward_pool.denom;
                if self.params.min_reward_pool.denom != current {
                    return Err(crate::TrainingError::InvalidParams(format!(
                        "the bond denom is {current} and cannot change"
                    ))
                    .into());
                }
                ctx.set_training_params(&self.params)
            },
            events::params_updated(&self.params),
            pb::MsgUpdateParamsResponse {},
        )
    }
}
