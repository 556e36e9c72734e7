//! training: the training market (docs/training.md). A task trains one model in rounds of
//! `tempo` blocks: trainers commit-reveal updates, validators commit-reveal u16 weight rows,
//! one dense Yuma epoch (`deai_yuma::epoch`) per tempo pays the task's pool, a drawn
//! aggregator submits the FedAvg that becomes the next round's base, every round extends
//! the lineage hash chain, and proof-of-learning audits slash the liars.
//!
//! Escrow: reward pools, neuron stakes, unbonding stake and the bonds of pending audits sit
//! in the module account [`MODULE_ACCOUNT`] (moved only through bank's escrow functions), and
//! at every moment its balance equals Σ task pools + Σ neuron stakes + Σ unbonding entries +
//! Σ bonds of pending audits.
//!
//! Pure functions the worker daemons share: [`commits`], [`lineage`], [`phases`].

mod audits;
pub mod commits;
pub mod emission;
mod epoch;
mod error;
pub mod events;
mod genesis;
mod keeper;
pub mod lineage;
mod msgs;
mod neurons;
mod params;
pub mod phases;
mod query;
mod schedule;
mod spec;
pub mod state_key;

pub use audits::{AUDIT_SEQ, MAX_AUDIT_DEADLINES_PER_BLOCK, REFEREE_DOMAIN};
pub use epoch::{aggregate_inputs, aggregator_draw_id, AGGREGATOR_DOMAIN, MAX_IDLE_ROUNDS};
pub use error::*;
pub use genesis::{export_proto, import_proto};
pub use keeper::{
    TrainingRead, TrainingWrite, KIND_BASE_DEADLINE, KIND_EPOCH, MAX_UNBONDING_PER_NEURON,
    MAX_UNBONDING_QUERY,
};
pub use msgs::{
    create_task, shard_of, task_seed, AddStake, CommitUpdate, CommitWeights, CreateTask, OpenAudit,
    RegisterNeuron, RemoveStake, RevealUpdate, RevealWeights, SubmitAggregate, SubmitAudit,
    UpdateParams, SHARD_DOMAIN, TASK_SEED_DOMAIN, TASK_SEQ,
};
pub use neurons::UNBONDING_SEQ;
pub use params::{
    Params, MAX_CHECKPOINTS_CAP, MAX_NEURONS_CAP, MAX_SALT_BYTES_CAP, MAX_SPEC_BYTES_CAP,
    MIN_SALT_BYTES,
};
pub use schedule::MAX_UNBONDINGS_PER_BLOCK;
pub use spec::{
    validate as validate_task, validate_spec, validate_uri, yuma_params, HASH_LEN, MAX_URI_LEN,
};

use deai_framework::{Module, Router, StateRead, StateWrite, TxError};
use deai_proto::training::v1 as pb;

pub const MODULE_NAME: &str = "training";
/// The module account holding pools, stakes, unbonding stake and audit bonds.
pub const MODULE_ACCOUNT: &str = MODULE_NAME;

pub struct TrainingModule;

impl Module for TrainingModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgCreateTask, CreateTask>();
        router.add_msg::<pb::MsgRegisterNeuron, RegisterNeuron>();
        router.add_msg::<pb::MsgAddStake, AddStake>();
        router.add_msg::<pb::MsgRemoveStake, RemoveStake>();
        router.add_msg::<pb::MsgCommitUpdate, CommitUpdate>();
        router.add_msg::<pb::MsgRevealUpdate, RevealUpdate>();
        router.add_msg::<pb::MsgCommitWeights, CommitWeights>();
        router.add_msg::<pb::MsgRevealWeights, RevealWeights>();
        router.add_msg::<pb::MsgSubmitAggregate, SubmitAggregate>();
        router.add_msg::<pb::MsgOpenAudit, OpenAudit>();
        router.add_msg::<pb::MsgSubmitAudit, SubmitAudit>();
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        query::register(router);
    }

    /// Handles the due round boundaries (epochs, base deadlines), completed unbondings and
    /// audit deadlines: each from a height-ordered index, a bounded number a block.
    fn end_block(&self, ctx: &mut deai_framework::Ctx) -> Result<(), TxError> {
        schedule::end_block(ctx)
    }

    fn init_genesis(
        &self,
        state: &mut dyn StateWrite,
        genesis: &serde_json::Value,
    ) -> Result<(), TxError> {
        genesis::init(state, genesis)
    }

    fn export_genesis(&self, state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
        genesis::export(state)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_audits;
#[cfg(test)]
mod tests_bounds;
#[cfg(test)]
mod tests_emission;
#[cfg(test)]
mod tests_neurons;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_queries;
#[cfg(test)]
mod tests_rounds;
