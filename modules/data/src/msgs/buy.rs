//! MsgBuyAccess: pays count × price, split (see [`crate::split`]), and mints `count` tokens of
//! data/{id} to the buyer; a price-0 dataset is a dispenser, capped per address.

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::dec::Dec;
use deai_framework::{sdk, Address, Coin, Ctx, Message, TxError};
use deai_proto::data::v1 as pb;

use super::{coins_of, emit_all, load_dataset, required_coin, response, sender_event};
use crate::error::DataError;
use crate::keeper::{DataRead, DataWrite};
use crate::split::{pay_split, Blocked};
use crate::{events, MODULE_ACCOUNT, MODULE_NAME};

#[derive(Debug)]
pub struct BuyAccess {
    pub buyer: Address,
    pub dataset_id: u64,
    pub count: u64,
    pub max_price: Coin,
    pub consume_market: Option<Address>,
    pub consume_market_fee: Dec,
}

impl TryFrom<pb::MsgBuyAccess> for BuyAccess {
    type Error = TxError;
    fn try_from(m: pb::MsgBuyAccess) -> Result<Self, TxError> {
        let consume_market = (!m.consume_market.is_empty())
            .then(|| Address::from_bech32(&m.consume_market))
            .transpose()?;
        let consume_market_fee = if m.consume_market_fee.is_empty() {
            Dec::ZERO
        } else {
            Dec::parse(&m.consume_market_fee).map_err(DataError::BadFee)?
        };
        if consume_market.is_none() && consume_market_fee != Dec::ZERO {
            return Err(DataError::BadFee("a fee needs a consume_market".into()).into());
        }
        Ok(Self {
            buyer: Address::from_bech32(&m.buyer)?,
            dataset_id: m.dataset_id,
            count: m.count,
            max_price: required_coin(m.max_price, "max_price")?,
            consume_market,
            consume_market_fee,
        })
    }
}

impl Message for BuyAccess {
    fn signers(&self) -> Vec<Address> {
        vec![self.buyer.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.data_params()?;
        let d = load_dataset(ctx, self.dataset_id)?;
        if d.disabled {
            return Err(DataError::DatasetDisabled(d.id).into());
        }
        // Its data never leaves the provider: compute orders pay its access fee instead.
        if d.access == pb::Access::ComputeToData as i32 {
            return Err(DataError::ComputeToDataOnly(d.id).into());
        }
        if self.count == 0 || self.count > params.max_buy_count {
            return Err(DataError::BadCount {
                got: self.count,
                max: params.max_buy_count,
            }
            .into());
        }
        if self.consume_market_fee > params.max_consume_market_fee {
            return Err(DataError::BadFee(format!(
                "{} is above max_consume_market_fee {}",
                self.consume_market_fee, params.max_consume_market_fee
            ))
            .into());
        }
        let price = Coin::from_proto(
            d.price
                .as_ref()
                .ok_or_else(|| sdk::internal("dataset without a price"))?,
        )?;
        if self.max_price.denom != price.denom || price.amount > self.max_price.amount {
            return Err(DataError::PriceTooHigh {
                price: price.to_string(),
                max: self.max_price.to_string(),
            }
            .into());
        }
        if price.amount == 0 {
            self.dispense(ctx, params.dispenser_cap, d.id)?;
        }
        let total = price
            .amount
            .checked_mul(u128::from(self.count))
            .ok_or_else(|| sdk::overflow("payment overflows"))?;
        let denom = price.denom.as_str();
        let consume_market = self
            .consume_market
            .as_ref()
            .map(|m| (m, self.consume_market_fee));
        let s = pay_split(
            ctx,
            &self.buyer,
            &d,
            denom,
            total,
            consume_market,
            Blocked::Fail,
        )?;

        // Datatokens: minted into the module account (the minter), then paid to the buyer.
        let tokens = coins_of(&Coin::new(d.denom.clone(), u128::from(self.count))?)?;
        let minted = ctx.mint(MODULE_ACCOUNT, &tokens)?;
        emit_all(ctx, minted);
        let paid_out = ctx.send_from_module(MODULE_ACCOUNT, &self.buyer, &tokens)?;
        emit_all(ctx, paid_out);

        let paid = Coin::new(denom, total)?.to_proto();
        ctx.emit(events::access_bought(
            &d,
            &self.buyer,
            self.count,
            &paid,
            &s,
        ));
        ctx.emit(sender_event(&self.buyer));
        Ok(response(pb::MsgBuyAccessResponse { paid: Some(paid) }))
    }
}

impl BuyAccess {
    /// Counts free tokens against the buyer's cap for the dataset (ever).
    fn dispense(&self, ctx: &mut Ctx, cap: u64, dataset: u64) -> Result<(), TxError> {
        let had = ctx.dispensed(dataset, &self.buyer)?;
        let now = had
            .checked_add(self.count)
            .filter(|n| *n <= cap)
            .ok_or(DataError::DispenserCap { dataset, cap, had })?;
        ctx.set_dispensed(dataset, &self.buyer, now)
    }
}
