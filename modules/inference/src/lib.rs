//! inference: the inference market. A model registry with Groth16 verifying keys (decoded
//! and checked at registration), staked servers per model (unbonding before their stake
//! returns), and paid requests: the fee is escrowed, a server is drawn by stake, and in zk
//! mode its output is accepted only with a Groth16 proof that the chain verifies natively
//! (deai-zk's verifier-only build), bound to the request. Requests not answered by their
//! deadline are refunded and the server slashed. See docs/inference.md.
//!
//! Escrow: server stakes, the fees and bonds of unsettled requests, topic pools and topic
//! worker and reputer stakes sit in the module account [`MODULE_ACCOUNT`] (moved only
//! through bank's escrow functions), and at every moment its balance of each denom equals
//! their sum.
//!
//! Topics (Allora-style): workers submit a fixed-point inference each epoch, reputers report
//! the ground truth after a lag; each epoch is settled on chain (stake-weighted median truth,
//! one-out scores with an EMA, rewards from the topic's pool, far reputers slashed). Topic
//! pools and worker and reputer stakes are held by the module account too.

mod assign;
pub mod attest;
pub mod emission;
mod error;
pub mod events;
mod expiry;
pub mod fx;
mod genesis;
mod keeper;
mod msgs;
mod params;
mod query;
mod settle;
pub mod state_key;
pub mod topic_math;
mod topics;
pub mod zk;

pub use attest::on_attested;
pub use deai_framework::dec::Dec;
pub use error::*;
pub use expiry::{MAX_EXPIRIES_PER_BLOCK, MAX_UNBONDINGS_PER_BLOCK};
pub use genesis::{export_proto, import_proto};
pub use keeper::{InferenceRead, InferenceWrite};
pub use msgs::{
    architecture_macs, validate_model, Adjudicate, Challenge, CreateTopic, RegisterModel,
    RegisterReputer, RegisterServer, RegisterTopicWorker, RequestInference, RespondChallenge,
    SubmitGroundTruth, SubmitInference, SubmitTopicInference, UnregisterServer, UpdateModel,
    UpdateParams,
};
pub use params::{
    Params, MAX_ADJUDICATION_BYTES, MAX_REDUNDANCY, MAX_SERVERS_PER_MODEL, MAX_TOPIC_REPUTERS,
    MAX_TOPIC_WORKERS, MAX_VERIFYING_KEY_BYTES,
};
pub use topics::{MAX_EPOCH_LENGTH, MAX_GROUND_TRUTH_LAG, MAX_TOPIC_SETTLEMENTS_PER_BLOCK};

use deai_framework::{Module, Router, StateRead, StateWrite, TxError};
use deai_proto::inference::v1 as pb;

pub const MODULE_NAME: &str = "inference";
/// The module account holding stakes, unsettled fees and bonds, and topic pools.
pub const MODULE_ACCOUNT: &str = MODULE_NAME;
/// The module account that receives the take of every paid fee and the rest of slashes;
/// created by the genesis of whichever market comes first (no permissions: it only receives).
pub use deai_bank::COMMUNITY_POOL;
/// The id counters.
pub const MODEL_SEQ: &str = "model";
pub const REQUEST_SEQ: &str = "request";
pub const TOPIC_SEQ: &str = "topic";

pub struct InferenceModule;

impl Module for InferenceModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgRegisterModel, RegisterModel>();
        router.add_msg::<pb::MsgUpdateModel, UpdateModel>();
        router.add_msg::<pb::MsgRegisterServer, RegisterServer>();
        router.add_msg::<pb::MsgUnregisterServer, UnregisterServer>();
        router.add_msg::<pb::MsgRequestInference, RequestInference>();
        router.add_msg::<pb::MsgSubmitInference, SubmitInference>();
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        router.add_msg::<pb::MsgChallenge, Challenge>();
        router.add_msg::<pb::MsgRespondChallenge, RespondChallenge>();
        router.add_msg::<pb::MsgAdjudicate, Adjudicate>();
        router.add_msg::<pb::MsgCreateTopic, CreateTopic>();
        router.add_msg::<pb::MsgRegisterTopicWorker, RegisterTopicWorker>();
        router.add_msg::<pb::MsgRegisterReputer, RegisterReputer>();
        router.add_msg::<pb::MsgSubmitTopicInference, SubmitTopicInference>();
        router.add_msg::<pb::MsgSubmitGroundTruth, SubmitGroundTruth>();
        query::register(router);
    }

    /// Expires the requests whose deadline has come and ends due unbondings (see
    /// `expiry`), then settles the topic epochs whose ground-truth window closed (see
    /// `topics`): reads only three height-ordered indexes, a bounded number a block.
    fn end_block(&self, ctx: &mut deai_framework::Ctx) -> Result<(), TxError> {
        expiry::end_block(ctx)?;
        topics::end_block(ctx)
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
mod tests_attest;
#[cfg(test)]
mod tests_emission;
#[cfg(test)]
mod tests_genesis;
#[cfg(test)]
mod tests_models;
#[cfg(test)]
mod tests_optimistic;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_redundant;
#[cfg(test)]
mod tests_requests;
#[cfg(test)]
mod tests_servers;
#[cfg(test)]
mod tests_topics;
#[cfg(test)]
mod tests_topics_boundaries;
