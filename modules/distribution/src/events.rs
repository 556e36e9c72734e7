//! distribution's events, with the SDK's types and attribute keys
//! (x/distribution/types/events.go).

use deai_framework::{Address, Coins, Event};
use deai_staking::address::val_to_bech32;

use crate::deccoins::DecCoins;

pub const SET_WITHDRAW_ADDRESS: &str = "set_withdraw_address";
pub const REWARDS: &str = "rewards";
pub const COMMISSION: &str = "commission";
pub const WITHDRAW_REWARDS: &str = "withdraw_rewards";
pub const WITHDRAW_COMMISSION: &str = "withdraw_commission";

/// `commission`: what a validator's commission gained at an allocation.
pub fn commission(amount: &DecCoins, validator: &str) -> Event {
    Event::new(COMMISSION)
        .attr("amount", amount)
        .attr("validator", validator)
}

/// `rewards`: what a validator (commission included) gained at an allocation.
pub fn rewards(amount: &DecCoins, validator: &str) -> Event {
    Event::new(REWARDS)
        .attr("amount", amount)
        .attr("validator", validator)
}

/// The SDK writes `0<bond denom>` when nothing was paid.
fn amount_str(c: &Coins, denom: &str) -> String {
    if c.is_empty() {
        format!("0{denom}")
    } else {
        c.to_string()
    }
}

pub fn withdraw_rewards(amount: &Coins, denom: &str, val: &Address, del: &Address) -> Event {
    Event::new(WITHDRAW_REWARDS)
        .attr("amount", amount_str(amount, denom))
        .attr("validator", val_to_bech32(val))
        .attr("delegator", del)
}

pub fn withdraw_commission(amount: &Coins, denom: &str) -> Event {
    Event::new(WITHDRAW_COMMISSION).attr("amount", amount_str(amount, denom))
}

pub fn set_withdraw_address(to: &Address) -> Event {
    Event::new(SET_WITHDRAW_ADDRESS).attr("withdraw_address", to)
}
