//! training's messages: decoding and stateless validation (`TryFrom` the proto), then
//! execution. Shared helpers live here.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use prost::Name;

use deai_framework::{sdk, Address, Coin, Coins, Ctx, Event, Message, TxError};
use deai_proto::training::v1 as pb;

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

pub(crate) fn response<R: prost::Message + Name>(r: R) -> Any {
    Any {
        type_url: R::type_url(),
        value: r.encode_to_vec(),
    }
}

pub(crate) fn emit_all(ctx: &mut Ctx, events: Vec<Event>) {
    events.into_iter().for_each(|e| ctx.emit(e));
}

pub(crate) fn sender_event(sender: &Address) -> Event {
    Event::new("message").attr("sender", sender)
}

/// A required coin field.
pub(crate) fn required_coin(c: Option<ProtoCoin>, name: &'static str) -> Result<Coin, TxError> {
    let c = c.ok_or_else(|| sdk::invalid_coins(format!("{name} is required")))?;
    Coin::from_proto(&c)
}

/// A single coin as a coin set (for bank's escrow functions).
pub(crate) fn coins_of(c: &Coin) -> Result<Coins, TxError> {
    Coins::new(vec![c.clone()])
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
        let p = m
            .params
            .ok_or_else(|| sdk::invalid_request("params must be supplied (all of them)"))?;
        Ok(Self {
            authority: Address::from_bech32(&m.authority)?,
            params: Params::from_proto(&p)?,
        })
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
        deai_framework::authority::check(ctx, &state_key::authority(), &self.authority)?;
        ctx.set_training_params(&self.params)?;
        ctx.emit(events::params_updated(&self.params));
        ctx.emit(sender_event(&self.authority));
        Ok(response(pb::MsgUpdateParamsResponse {}))
    }
}
