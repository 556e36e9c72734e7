//! The split of a purchase's payment (docs/data.md, "Buy"): each fee share floored, the rest
//! to the publisher, so the shares add up to the price exactly.

use deai_framework::dec::Dec;
use deai_framework::{sdk, TxError};

use crate::params::Params;

/// Where a payment `total` goes, in base units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub to_provider: u128,
    pub to_publish_market: u128,
    pub to_consume_market: u128,
    pub to_community_pool: u128,
    pub to_publisher: u128,
}

impl Split {
    pub fn total(&self) -> Option<u128> {
        [
            self.to_provider,
            self.to_publish_market,
            self.to_consume_market,
            self.to_community_pool,
        ]
        .iter()
        .try_fold(self.to_publisher, |acc, x| acc.checked_add(*x))
    }
}

/// Splits `total` with the params' fees and the buyer's `consume_market_fee` (at most
/// `max_consume_market_fee`, which the params keep, with the other fees, below 1 in sum: the
/// publisher's rest cannot underflow, but it is checked anyway).
pub fn split(params: &Params, consume_market_fee: Dec, total: u128) -> Result<Split, TxError> {
    let share = |d: Dec| {
        d.mul_floor(total)
            .ok_or_else(|| sdk::overflow("fee share overflows"))
    };
    let mut s = Split {
        to_provider: share(params.provider_fee)?,
        to_publish_market: share(params.publish_market_fee)?,
        to_consume_market: share(consume_market_fee)?,
        to_community_pool: share(params.take_rate)?,
        to_publisher: 0,
    };
    let fees = s
        .total()
        .ok_or_else(|| sdk::overflow("fee shares overflow"))?;
    s.to_publisher = total
        .checked_sub(fees)
        .ok_or_else(|| sdk::internal("fee shares exceed the payment"))?;
    Ok(s)
}
