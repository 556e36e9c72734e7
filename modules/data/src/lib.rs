//! data: the data market (docs/data.md). Datasets are sold as datatokens, the bank denoms
//! `data/{id}`; a redeemed token is an access grant; encrypted datasets' keys reach grantees
//! by `MsgDeliverKey`; data pools pay contributors by proof-of-contribution.
//!
//! Escrow: publisher deposits, pool balances, contribution stakes and validator bonds sit in
//! the module account [`MODULE_ACCOUNT`] (minter and burner of datatokens), moved only
//! through bank's escrow functions, and its bond-denom balance equals their sum.

mod datasets;
pub mod emission;
mod error;
pub mod events;
mod genesis;
mod keeper;
mod msgs;
mod params;
mod query;
mod schedule;
pub mod settle;
pub mod split;
pub mod state_key;

pub use datasets::{denom, HASH_LEN, MAX_URI_LEN, METADATA_KEYS};
pub use error::*;
pub use genesis::{export_proto, import_proto, SEQUENCES};
pub use keeper::{DataRead, DataWrite};
pub use msgs::{
    BondPoolValidator, ClosePool, Contribute, CreatePool, ScoreContribution, CONTRIBUTION_SEQ,
    MAX_EPOCH_LENGTH, POOL_SEQ,
};
pub use msgs::{
    BuyAccess, DeliverKey, PublishDataset, RedeemAccess, UpdateDataset, UpdateParams, DATASET_SEQ,
    GRANT_SEQ, MAX_WRAPPED_KEY_BYTES,
};
pub use params::{
    Params, MAX_BUY_COUNT_CAP, MAX_CONTRIBUTIONS_PER_EPOCH_CAP, MAX_METADATA_BYTES_CAP,
    MAX_POOL_VALIDATORS_CAP, MAX_SCORE,
};
pub use schedule::{MAX_PRUNES_PER_BLOCK, MAX_REFUNDS_PER_BLOCK};

use deai_framework::{Module, Router, StateRead, StateWrite, TxError};
use deai_proto::data::v1 as pb;

pub const MODULE_NAME: &str = "data";
/// The module account: escrow, and minter/burner of datatokens.
pub const MODULE_ACCOUNT: &str = MODULE_NAME;

pub struct DataModule;

impl Module for DataModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgPublishDataset, PublishDataset>();
        router.add_msg::<pb::MsgUpdateDataset, UpdateDataset>();
        router.add_msg::<pb::MsgBuyAccess, BuyAccess>();
        router.add_msg::<pb::MsgRedeemAccess, RedeemAccess>();
        router.add_msg::<pb::MsgDeliverKey, DeliverKey>();
        router.add_msg::<pb::MsgCreatePool, CreatePool>();
        router.add_msg::<pb::MsgBondPoolValidator, BondPoolValidator>();
        router.add_msg::<pb::MsgContribute, Contribute>();
        router.add_msg::<pb::MsgScoreContribution, ScoreContribution>();
        router.add_msg::<pb::MsgClosePool, ClosePool>();
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        query::register(router);
    }

    /// Refunds the encrypted grants whose key was not delivered by the deadline, deletes
    /// expired grants and settles the pools' epochs (each a bounded number a block, from a
    /// height-ordered index).
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
mod tests_buy;
#[cfg(test)]
mod tests_close;
#[cfg(test)]
mod tests_datasets;
#[cfg(test)]
mod tests_emission;
#[cfg(test)]
mod tests_grants;
#[cfg(test)]
mod tests_pools;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_prune;
#[cfg(test)]
mod tests_queries;
