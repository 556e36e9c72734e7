//! attest: consensus attestation of off-chain ML results through ABCI 2.0 vote extensions.
//!
//! A market calls [`request`] with a job (a proposed task's code check, an inference re-run,
//! a compute segment re-run). Every validator's node asks its local sidecar
//! (`deai-worker attest serve`) for the job's result hash at each ExtendVote and signs it in
//! its vote extension ([`extension`]); the next proposer injects those extensions as its
//! block's first tx; ProcessProposal checks their signatures and powers; FinalizeBlock hands
//! them to [`Settler::apply_commit`], which settles a job once one hash holds more than 2/3
//! of the power, slashes the validators that attested something else, and tells the
//! requesting module through its [`AttestHooks`]. See README.md and docs/attestation.md.
//!
//! # Wiring
//! `AttestModule::new(settler)` with a [`Settler`] whose hooks dispatch on `job.requester`;
//! the app keeps a clone of the settler for FinalizeBlock. Its end block (expiry) must run
//! before the requesters' end blocks, and its genesis after staking's.

pub mod error;
pub mod events;
pub mod extension;
pub mod genesis;
pub mod keeper;
mod msgs;
pub mod params;
mod query;
pub mod request;
pub mod settle;
pub mod state_key;
pub mod wire;

pub use error::*;
pub use keeper::{AttestRead, AttestWrite, MAX_ATTESTATIONS};
pub use msgs::UpdateParams;
pub use params::Params;
pub use request::request;
pub use settle::{AttestHooks, CommitVote, NoHooks, Settler};

use deai_framework::{Ctx, Module, Router, StateRead, StateWrite, TxError};
use deai_proto::attest::v1 as pb;

pub const MODULE_NAME: &str = "attest";

pub struct AttestModule {
    settler: Settler,
}

impl AttestModule {
    pub fn new(settler: Settler) -> Self {
        Self { settler }
    }
}

impl Module for AttestModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        query::register(router);
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

    /// Expires the jobs whose window ended.
    fn end_block(&self, ctx: &mut Ctx) -> Result<(), TxError> {
        self.settler.expire(ctx)
    }
}

#[cfg(test)]
mod tests;
