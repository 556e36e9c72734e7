//! Compute-to-data (docs/compute.md, "Compute-to-data"): an order that names a dataset with
//! access `compute_to_data` runs on that dataset at its provider, the only one who may bid.
//!
//! - At creation the dataset must exist, be `compute_to_data`, not be disabled, and its
//!   `content_sha256` must be the spec's `dataset.sha256`, so the job really runs on it. The
//!   order takes redundancy 1 and verification `none`: no referee could replay a segment
//!   without the data, so no audit is ever opened and the data is never sent to anyone.
//! - The requester escrows one access (the dataset's price, recorded as `access_fee`) on
//!   top of the deposit; it sits in the escrow's balance, which nothing spends before a
//!   lease exists.
//! - When the order is leased the fee leaves the escrow through the data market's split
//!   ([`deai_data::split::pay_split`], no consume market): the provider has committed to the
//!   job and the requester can no longer cancel it for free. Before that, closing or
//!   expiring the order refunds the escrow, the fee with it.

use deai_auth::module_address;
use deai_data::split::{pay_split, Blocked};
use deai_data::DataRead;
use deai_framework::{sdk, Address, Coin, Ctx, TxError};
use deai_proto::compute::v1 as pb;
use deai_proto::data::v1 as data_pb;

use crate::error::ComputeError;
use crate::keeper::{ComputeRead, ComputeWrite};
use crate::{events, MODULE_NAME};

/// The spec's `dataset.sha256` (64 lowercase hex digits, as the worker's spec parser
/// requires), read from its JSON (at most `max_spec_bytes`).
pub(crate) fn spec_dataset_sha256(spec: &[u8]) -> Result<[u8; 32], String> {
    let v: serde_json::Value =
        serde_json::from_slice(spec).map_err(|e| format!("the spec is not JSON: {e}"))?;
    let hex = v
        .get("dataset")
        .and_then(|d| d.get("sha256"))
        .and_then(|h| h.as_str())
        .ok_or("the spec has no dataset.sha256")?;
    let b = hex.as_bytes();
    if b.len() != 64 {
        return Err("dataset.sha256 is not 64 hex digits".into());
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        let hi = nibble(b[2 * i]).ok_or("dataset.sha256 is not lowercase hex")?;
        let lo = nibble(b[2 * i + 1]).ok_or("dataset.sha256 is not lowercase hex")?;
        *o = (hi << 4) | lo;
    }
    Ok(out)
}

/// The terms a compute-to-data order must have (stateless).
pub(crate) fn check_terms(redundancy: u32, v: &pb::Verification) -> Result<(), ComputeError> {
    if redundancy != 1 {
        return Err(ComputeError::ComputeToDataTerms(format!(
            "redundancy must be 1 (only the dataset's provider can bid), got {redundancy}"
        )));
    }
    if v.mode != pb::VerificationMode::None as i32 {
        return Err(ComputeError::ComputeToDataTerms(
            "verification must be none: no referee can replay a job without its data".into(),
        ));
    }
    Ok(())
}

fn dataset(ctx: &Ctx, id: u64) -> Result<data_pb::Dataset, TxError> {
    Ok(ctx
        .get_dataset(id)?
        .ok_or(ComputeError::DatasetNotFound(id))?)
}

fn provider_of(d: &data_pb::Dataset) -> Result<&str, TxError> {
    Ok(d.provider
        .as_ref()
        .ok_or_else(|| sdk::internal(format!("dataset {} without a provider", d.id)))?
        .address
        .as_str())
}

/// Checks dataset `id` for a new order with `spec` paid in `denom`; returns the access fee
/// (one access at the dataset's current price).
pub(crate) fn access_fee(
    ctx: &Ctx,
    id: u64,
    spec: &[u8],
    denom: &str,
    max: Option<&Coin>,
) -> Result<Coin, TxError> {
    let d = dataset(ctx, id)?;
    if d.access != data_pb::Access::ComputeToData as i32 {
        return Err(ComputeError::DatasetNotComputeToData(id).into());
    }
    if d.disabled {
        return Err(ComputeError::DatasetDisabled(id).into());
    }
    let named = spec_dataset_sha256(spec)
        .map_err(|why| ComputeError::DatasetHashMismatch { dataset: id, why })?;
    if named[..] != d.content_sha256[..] {
        return Err(ComputeError::DatasetHashMismatch {
            dataset: id,
            why: "they differ".into(),
        }
        .into());
    }
    let price = Coin::from_proto(
        d.price
            .as_ref()
            .ok_or_else(|| sdk::internal(format!("dataset {id} without a price")))?,
    )?;
    if price.denom != denom {
        return Err(ComputeError::DenomMismatch(format!(
            "dataset {id} is priced in {}, the order pays in {denom}",
            price.denom
        ))
        .into());
    }
    // The requester's ceiling (checked in its denom at decoding; required for C2D).
    let max = max.ok_or_else(|| sdk::internal("compute-to-data order without max_access_fee"))?;
    if price.amount > max.amount {
        return Err(ComputeError::AccessFeeTooHigh {
            dataset: id,
            price: price.to_string(),
            max: max.to_string(),
        }
        .into());
    }
    Ok(price)
}

/// Only the dataset's provider may bid on a compute-to-data order.
pub(crate) fn check_bidder(ctx: &Ctx, order: &pb::Order, bidder: &Address) -> Result<(), TxError> {
    if order.dataset_id == 0 {
        return Ok(());
    }
    let d = dataset(ctx, order.dataset_id)?;
    if provider_of(&d)? != bidder.to_bech32() {
        return Err(ComputeError::NotDatasetProvider {
            signer: bidder.to_bech32(),
            order: order.id,
            dataset: d.id,
        }
        .into());
    }
    Ok(())
}

/// Pays a compute-to-data order's access fee out of its escrow, once, as the order is
/// leased (the caller writes the order). A share whose recipient has become a module account
/// goes to the community pool: this runs in `end_block` too, which must not fail.
pub(crate) fn pay_access(ctx: &mut Ctx, order: &mut pb::Order) -> Result<(), TxError> {
    if order.dataset_id == 0 || order.access_paid_at != 0 {
        return Ok(());
    }
    let fee = Coin::from_proto(
        order
            .access_fee
            .as_ref()
            .ok_or_else(|| sdk::internal(format!("order {} without access_fee", order.id)))?,
    )?;
    let mut escrow = ctx
        .get_escrow(order.id)?
        .ok_or_else(|| sdk::internal(format!("order {} has no escrow account", order.id)))?;
    let mut balance = Coin::from_proto(
        escrow
            .balance
            .as_ref()
            .ok_or_else(|| sdk::internal("escrow account without balance"))?,
    )?;
    // Nothing spends the escrow before the first lease, so the fee is still in it.
    balance.amount = balance
        .amount
        .checked_sub(fee.amount)
        .ok_or_else(|| sdk::internal(format!("order {} escrow below its access fee", order.id)))?;
    escrow.balance = Some(balance.to_proto());
    ctx.put_escrow(&escrow)?;
    let d = ctx
        .get_dataset(order.dataset_id)?
        .ok_or_else(|| sdk::internal(format!("order {} names a missing dataset", order.id)))?;
    let split = pay_split(
        ctx,
        &module_address(MODULE_NAME),
        &d,
        &fee.denom,
        fee.amount,
        None,
        Blocked::ToCommunityPool,
    )?;
    order.access_paid_at = ctx.block.height;
    ctx.emit(events::access_fee_paid(order, &fee, &split));
    Ok(())
}
