//! data's params: the proto `deai.data.v1.Params`, validated into domain values. The bond
//! denom of the market is the denom of `publisher_deposit`: prices, deposits, pool funds,
//! stakes and bonds are all in it.

use deai_bank::udeai;
use deai_framework::dec::Dec;
use deai_framework::params::{coin, fraction, within, InvalidParam};
use deai_framework::{Address, Coin};
use deai_proto::data::v1 as pb;

use crate::error::DataError;

/// Hard caps no param may exceed (they bound what one tx or one block can make the chain do).
pub const MAX_METADATA_BYTES_CAP: u32 = 64 * 1024;
pub const MAX_BUY_COUNT_CAP: u64 = 1_000_000;
pub const MAX_POOL_VALIDATORS_CAP: u32 = 64;
pub const MAX_CONTRIBUTIONS_PER_EPOCH_CAP: u32 = 4096;
/// Scores are u16.
pub const MAX_SCORE: u32 = u16::MAX as u32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub publisher_deposit: Coin,
    pub provider_fee: Dec,
    pub publish_market_fee: Dec,
    pub max_consume_market_fee: Dec,
    pub take_rate: Dec,
    /// The publish market's fee collector; `None`: the community pool.
    pub publish_market: Option<Address>,
    pub grant_blocks: u64,
    pub delivery_window: u64,
    pub max_metadata_bytes: u32,
    pub max_buy_count: u64,
    pub dispenser_cap: u64,
    pub contribution_slash_fraction: Dec,
    pub validator_slash_fraction: Dec,
    pub max_score_deviation_u16: u32,
    pub max_pool_validators: u32,
    pub max_contributions_per_epoch: u32,
}

/// `n` thousandths, as a Dec.
fn permille(n: u128) -> Dec {
    Dec::from_units(n * 1_000_000_000_000_000)
}

impl Default for Params {
    fn default() -> Self {
        Self {
            publisher_deposit: udeai(1_000_000),
            provider_fee: permille(10),
            publish_market_fee: permille(10),
            max_consume_market_fee: permille(50),
            take_rate: permille(10),
            publish_market: None,
            grant_blocks: 100_000,
            delivery_window: 100,
            max_metadata_bytes: 4 * 1024,
            max_buy_count: 1_000,
            dispenser_cap: 1,
            contribution_slash_fraction: permille(100),
            validator_slash_fraction: permille(50),
            max_score_deviation_u16: 16_384,
            max_pool_validators: 16,
            max_contributions_per_epoch: 256,
        }
    }
}

fn invalid(msg: impl Into<String>) -> DataError {
    DataError::InvalidParams(msg.into())
}

impl From<InvalidParam> for DataError {
    fn from(e: InvalidParam) -> Self {
        invalid(e.0)
    }
}

impl Params {
    pub fn from_proto(p: &pb::Params) -> Result<Self, DataError> {
        let publish_market = if p.publish_market.is_empty() {
            None
        } else {
            Some(
                Address::from_bech32(&p.publish_market)
                    .map_err(|e| invalid(format!("publish_market: {}", e.log)))?,
            )
        };
        let params = Self {
            publisher_deposit: coin(&p.publisher_deposit, "publisher_deposit")?,
            provider_fee: fraction(&p.provider_fee, "provider_fee")?,
            publish_market_fee: fraction(&p.publish_market_fee, "publish_market_fee")?,
            max_consume_market_fee: fraction(&p.max_consume_market_fee, "max_consume_market_fee")?,
            take_rate: fraction(&p.take_rate, "take_rate")?,
            publish_market,
            grant_blocks: within(p.grant_blocks, 1, u64::MAX / 4, "grant_blocks")?,
            delivery_window: within(p.delivery_window, 1, u64::MAX / 4, "delivery_window")?,
            max_metadata_bytes: within(
                p.max_metadata_bytes,
                2,
                MAX_METADATA_BYTES_CAP,
                "max_metadata_bytes",
            )?,
            max_buy_count: within(p.max_buy_count, 1, MAX_BUY_COUNT_CAP, "max_buy_count")?,
            dispenser_cap: within(p.dispenser_cap, 0, MAX_BUY_COUNT_CAP, "dispenser_cap")?,
            contribution_slash_fraction: fraction(
                &p.contribution_slash_fraction,
                "contribution_slash_fraction",
            )?,
            validator_slash_fraction: fraction(
                &p.validator_slash_fraction,
                "validator_slash_fraction",
            )?,
            max_score_deviation_u16: within(
                p.max_score_deviation_u16,
                0,
                MAX_SCORE,
                "max_score_deviation_u16",
            )?,
            max_pool_validators: within(
                p.max_pool_validators,
                1,
                MAX_POOL_VALIDATORS_CAP,
                "max_pool_validators",
            )?,
            max_contributions_per_epoch: within(
                p.max_contributions_per_epoch,
                1,
                MAX_CONTRIBUTIONS_PER_EPOCH_CAP,
                "max_contributions_per_epoch",
            )?,
        };
        // A key delivered after its grant expired would be useless, yet would stop the
        // refund: a grant must outlive its delivery window.
        if params.delivery_window >= params.grant_blocks {
            return Err(invalid("delivery_window must be below grant_blocks"));
        }
        // The publisher's rest must stay positive: the fixed shares and the largest
        // consume-market fee together take less than the whole price.
        let taken = [
            params.publish_market_fee,
            params.max_consume_market_fee,
            params.take_rate,
        ]
        .iter()
        .try_fold(params.provider_fee.units(), |acc, d| {
            acc.checked_add(d.units())
        });
        if taken.is_none_or(|t| t >= Dec::ONE.units()) {
            return Err(invalid(
                "provider_fee + publish_market_fee + max_consume_market_fee + take_rate must be below 1",
            ));
        }
        Ok(params)
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            publisher_deposit: Some(self.publisher_deposit.to_proto()),
            provider_fee: self.provider_fee.to_string(),
            publish_market_fee: self.publish_market_fee.to_string(),
            max_consume_market_fee: self.max_consume_market_fee.to_string(),
            take_rate: self.take_rate.to_string(),
            publish_market: self
                .publish_market
                .as_ref()
                .map(Address::to_bech32)
                .unwrap_or_default(),
            grant_blocks: self.grant_blocks,
            delivery_window: self.delivery_window,
            max_metadata_bytes: self.max_metadata_bytes,
            max_buy_count: self.max_buy_count,
            dispenser_cap: self.dispenser_cap,
            contribution_slash_fraction: self.contribution_slash_fraction.to_string(),
            validator_slash_fraction: self.validator_slash_fraction.to_string(),
            max_score_deviation_u16: self.max_score_deviation_u16,
            max_pool_validators: self.max_pool_validators,
            max_contributions_per_epoch: self.max_contributions_per_epoch,
        }
    }

    /// The market's one denom.
    pub fn bond_denom(&self) -> &str {
        &self.publisher_deposit.denom
    }
}
