//! The split of a purchase's payment (docs/data.md, "Buy"): each fee share floored, the rest
//! to the publisher, so the shares add up to the price exactly; and its payment
//! ([`pay_split`]), shared by MsgBuyAccess and compute-to-data orders.

use deai_bank::{BankRead, BankWrite, COMMUNITY_POOL};
use deai_framework::dec::Dec;
use deai_framework::handler::{coins_of, emit_all};
use deai_framework::{sdk, Address, Coin, Ctx, TxError};
use deai_proto::data::v1 as pb;

use crate::error::DataError;
use crate::keeper::DataRead;
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

/// What happens to a share whose recipient is a module account (it could never spend it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// The payment fails (a purchase: the buyer's tx is refused, as MsgSend would be).
    Fail,
    /// The share goes to the community pool instead (a payment made in `end_block`, which
    /// must not fail on a recipient a later params change made unpayable).
    ToCommunityPool,
}

/// Pays `total` of `denom` from `from` (an account, or a module's address) for access to
/// dataset `d`, split by [`split`]: the provider's fee, the publish market's (the community
/// pool when `params.publish_market` is empty), the consume market's (when the buyer names
/// one), the take rate to the community pool and the rest to the publisher. The one
/// implementation of the data market's split, used by MsgBuyAccess and by compute-to-data
/// orders. Zero shares move nothing. Returns the split.
pub fn pay_split(
    ctx: &mut Ctx,
    from: &Address,
    d: &pb::Dataset,
    denom: &str,
    total: u128,
    consume_market: Option<(&Address, Dec)>,
    blocked: Blocked,
) -> Result<Split, TxError> {
    let params = ctx.data_params()?;
    let fee = consume_market.map_or(Dec::ZERO, |(_, f)| f);
    let s = split(&params, fee, total)?;
    let provider = d
        .provider
        .as_ref()
        .ok_or_else(|| sdk::internal("dataset without a provider"))?;
    let provider = Address::from_bech32(&provider.address)?;
    pay(ctx, from, &provider, denom, s.to_provider, blocked)?;
    match &params.publish_market {
        Some(m) => pay(ctx, from, m, denom, s.to_publish_market, blocked)?,
        None => to_community_pool(ctx, from, denom, s.to_publish_market)?,
    }
    if let Some((m, _)) = consume_market {
        pay(ctx, from, m, denom, s.to_consume_market, blocked)?;
    }
    to_community_pool(ctx, from, denom, s.to_community_pool)?;
    let publisher = Address::from_bech32(&d.publisher)?;
    pay(ctx, from, &publisher, denom, s.to_publisher, blocked)?;
    Ok(s)
}

/// Pays `amount` of `denom` from `from` to `to` (nothing when 0). A module account recipient
/// is refused, as MsgSend refuses it (coins sent there would be outside any module's books),
/// or, with [`Blocked::ToCommunityPool`], paid to the community pool.
fn pay(
    ctx: &mut Ctx,
    from: &Address,
    to: &Address,
    denom: &str,
    amount: u128,
    blocked: Blocked,
) -> Result<(), TxError> {
    if amount == 0 {
        return Ok(());
    }
    if ctx.is_blocked_address(to)? {
        return match blocked {
            Blocked::Fail => Err(DataError::BlockedRecipient(to.to_bech32()).into()),
            Blocked::ToCommunityPool => to_community_pool(ctx, from, denom, amount),
        };
    }
    let transfers = ctx.send_coins(from, to, &coins_of(&Coin::new(denom, amount)?)?)?;
    emit_all(ctx, transfers);
    Ok(())
}

fn to_community_pool(
    ctx: &mut Ctx,
    from: &Address,
    denom: &str,
    amount: u128,
) -> Result<(), TxError> {
    if amount == 0 {
        return Ok(());
    }
    let transfers =
        ctx.send_to_module(from, COMMUNITY_POOL, &coins_of(&Coin::new(denom, amount)?)?)?;
    emit_all(ctx, transfers);
    Ok(())
}
