//! compute's params: the proto `deai.compute.v1.Params`, validated into domain values.

use deai_bank::udeai;
use deai_framework::params::{coin, fraction, within, InvalidParam};
use deai_framework::Coin;
use deai_proto::compute::v1 as pb;

use crate::error::ComputeError;
use deai_framework::dec::Dec;

/// Hard caps that no param may exceed (they bound what one tx can make the chain do).
pub const MAX_SPEC_BYTES: u32 = 16 * 1024;
pub const MAX_REDUNDANCY: u32 = 5;
pub const MAX_CHECKPOINTS: u32 = 256;
pub const MAX_ORDER_BIDS: u32 = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Share of each lease payment paid to the community pool.
    pub take_rate: Dec,
    pub settle_interval: u64,
    pub order_max_bids: u32,
    pub bid_min_deposit: Coin,
    /// A provider's stake must be in this denom and at least this amount (and positive).
    pub provider_min_stake: Coin,
    pub slash_fraction: Dec,
    pub audit_window: u64,
    pub audit_deposit: Coin,
    pub verifier_fee: Coin,
    pub max_spec_bytes: u32,
    pub max_checkpoints: u32,
    pub max_redundancy: u32,
    pub min_bid_window: u64,
    pub max_bid_window: u64,
    pub max_order_blocks: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            take_rate: Dec::from_units(20_000_000_000_000_000), // 0.02
            settle_interval: 10,
            order_max_bids: 20,
            bid_min_deposit: udeai(1_000_000),
            provider_min_stake: udeai(10_000_000),
            slash_fraction: Dec::from_units(100_000_000_000_000_000), // 0.1
            audit_window: 50,
            audit_deposit: udeai(1_000_000),
            verifier_fee: udeai(100_000),
            max_spec_bytes: MAX_SPEC_BYTES,
            max_checkpoints: MAX_CHECKPOINTS,
            max_redundancy: MAX_REDUNDANCY,
            min_bid_window: 1,
            max_bid_window: 1_000,
            max_order_blocks: 1_000_000,
        }
    }
}

fn invalid(msg: impl Into<String>) -> ComputeError {
    ComputeError::InvalidParams(msg.into())
}

impl From<InvalidParam> for ComputeError {
    fn from(e: InvalidParam) -> Self {
        invalid(e.0)
    }
}

impl Params {
    pub fn from_proto(p: &pb::Params) -> Result<Self, ComputeError> {
        let params = Self {
            take_rate: fraction(&p.take_rate, "take_rate")?,
            settle_interval: within(p.settle_interval, 1, u64::MAX, "settle_interval")?,
            order_max_bids: within(p.order_max_bids, 1, MAX_ORDER_BIDS, "order_max_bids")?,
            bid_min_deposit: coin(&p.bid_min_deposit, "bid_min_deposit")?,
            provider_min_stake: coin(&p.provider_min_stake, "provider_min_stake")?,
            slash_fraction: fraction(&p.slash_fraction, "slash_fraction")?,
            audit_window: within(p.audit_window, 1, u64::MAX, "audit_window")?,
            audit_deposit: coin(&p.audit_deposit, "audit_deposit")?,
            verifier_fee: coin(&p.verifier_fee, "verifier_fee")?,
            max_spec_bytes: within(p.max_spec_bytes, 1, MAX_SPEC_BYTES, "max_spec_bytes")?,
            max_checkpoints: within(p.max_checkpoints, 1, MAX_CHECKPOINTS, "max_checkpoints")?,
            max_redundancy: within(p.max_redundancy, 1, MAX_REDUNDANCY, "max_redundancy")?,
            min_bid_window: within(p.min_bid_window, 1, u64::MAX, "min_bid_window")?,
            max_bid_window: p.max_bid_window,
            max_order_blocks: within(p.max_order_blocks, 1, u64::MAX, "max_order_blocks")?,
        };
        within(
            params.max_bid_window,
            params.min_bid_window,
            u64::MAX,
            "max_bid_window",
        )?;
        Ok(params)
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            take_rate: self.take_rate.to_string(),
            settle_interval: self.settle_interval,
            order_max_bids: self.order_max_bids,
            bid_min_deposit: Some(self.bid_min_deposit.to_proto()),
            provider_min_stake: Some(self.provider_min_stake.to_proto()),
            slash_fraction: self.slash_fraction.to_string(),
            audit_window: self.audit_window,
            audit_deposit: Some(self.audit_deposit.to_proto()),
            verifier_fee: Some(self.verifier_fee.to_proto()),
            max_spec_bytes: self.max_spec_bytes,
            max_checkpoints: self.max_checkpoints,
            max_redundancy: self.max_redundancy,
            min_bid_window: self.min_bid_window,
            max_bid_window: self.max_bid_window,
            max_order_blocks: self.max_order_blocks,
        }
    }
}
