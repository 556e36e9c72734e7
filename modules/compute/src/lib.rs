//! compute: the compute market: providers (staked, with auditor-signed attributes), orders
//! with their escrow accounts, bids, leases (chosen by the owner or, at the bid deadline, by
//! `end_block`) and lazy settlement, results (see `results`) and their audits, with slashing
//! and jailing (see `audits`).
//!
//! Escrow: provider stakes, order deposits, bid deposits and settled lease earnings not yet
//! withdrawn sit in the module account [`MODULE_ACCOUNT`] (moved only through bank's escrow
//! functions), and at every moment its balance of each denom equals Σ provider stakes +
//! Σ escrow account balances + Σ deposits of open and active bids + Σ lease `unwithdrawn`.
//!
//! Decimal fractions (take_rate, slash_fraction, spot_check_rate) are fixed-point [`Dec`]s:
//! integer counts of 10^-18, checked u128 math, products floored.
//!
//! Settlement is lazy (see `settle`): a lease is paid `price × blocks` from its order's escrow
//! when touched, the take (`take_rate` of it, floored over the lease's whole pay) to the
//! [`COMMUNITY_POOL`] module account and the
//! rest to the lease's `unwithdrawn`, which its provider collects.
//!
//! Compute-to-data (see `c2d`): an order naming a `compute_to_data` dataset of the data
//! market is bid on only by the dataset's provider, is never audited, and escrows one access
//! in its balance, paid through `deai_data::split::pay_split` when it is leased.

pub mod attest;
mod audits;
mod c2d;
mod error;
pub mod events;
mod genesis;
mod keeper;
mod leasing;
mod msgs;
mod params;
mod query;
mod results;
mod settle;
pub mod state_key;

pub use attest::on_attested;
pub use audits::{AUDIT_SEQ, MAX_AUDIT_DEADLINES_PER_BLOCK, MAX_VERIFIER_SCAN};
pub use deai_framework::dec::{Dec, DEC_PLACES, DEC_SCALE};
pub use error::*;
pub use genesis::{export_proto, import_proto};
pub use keeper::{
    ComputeRead, ComputeWrite, MAX_AUDITORS_PER_PROVIDER, MAX_AUDITS_PER_ORDER, VERIFIER_ATTRIBUTE,
};
pub use leasing::{LEASE_SEQ, MAX_LEASINGS_PER_BLOCK};
pub use msgs::{
    canonical_attributes, validate_host_uri, CloseBid, CloseOrder, CreateBid, CreateLease,
    CreateOrder, CreateProvider, DeleteProvider, DepositOrder, SignProviderAttributes, SubmitAudit,
    SubmitResult, UpdateParams, UpdateProvider, WithdrawLease, MAX_ATTRIBUTES,
    MAX_ATTRIBUTE_KEY_LEN, MAX_ATTRIBUTE_VALUE_LEN, MAX_HOST_URI_LEN, RESULT_HASH_LEN,
};
pub use params::{Params, MAX_CHECKPOINTS, MAX_ORDER_BIDS, MAX_REDUNDANCY, MAX_SPEC_BYTES};

use deai_framework::{Module, Router, StateRead, StateWrite, TxError};
use deai_proto::compute::v1 as pb;

pub const MODULE_NAME: &str = "compute";
/// The module account holding provider stakes, order escrow and bid deposits.
pub const MODULE_ACCOUNT: &str = MODULE_NAME;
/// The module account that receives the take rate of every lease payment; compute's
/// `init_genesis` creates it (no permissions: it only receives).
pub use deai_bank::COMMUNITY_POOL;

pub struct ComputeModule;

impl Module for ComputeModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgCreateProvider, CreateProvider>();
        router.add_msg::<pb::MsgUpdateProvider, UpdateProvider>();
        router.add_msg::<pb::MsgDeleteProvider, DeleteProvider>();
        router.add_msg::<pb::MsgSignProviderAttributes, SignProviderAttributes>();
        router.add_msg::<pb::MsgCreateOrder, CreateOrder>();
        router.add_msg::<pb::MsgDepositOrder, DepositOrder>();
        router.add_msg::<pb::MsgCloseOrder, CloseOrder>();
        router.add_msg::<pb::MsgCreateBid, CreateBid>();
        router.add_msg::<pb::MsgCloseBid, CloseBid>();
        router.add_msg::<pb::MsgCreateLease, CreateLease>();
        router.add_msg::<pb::MsgWithdrawLease, WithdrawLease>();
        router.add_msg::<pb::MsgSubmitResult, SubmitResult>();
        router.add_msg::<pb::MsgSubmitAudit, SubmitAudit>();
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        query::register(router);
    }

    /// Leases the orders whose bid deadline has come (see `leasing`) and expires the audits
    /// whose deadline has come (see `audits`): reads only the two deadline indexes, a bounded
    /// number of entries a block.
    fn end_block(&self, ctx: &mut deai_framework::Ctx) -> Result<(), TxError> {
        leasing::end_block(ctx)?;
        audits::end_block(ctx)
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
mod tests_audits;
#[cfg(test)]
mod tests_bids;
#[cfg(test)]
mod tests_c2d;
#[cfg(test)]
mod tests_leases;
#[cfg(test)]
mod tests_orders;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_results;
#[cfg(test)]
mod tests_settle;
