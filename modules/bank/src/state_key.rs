//! Every key of the bank module, and nowhere else.

use deai_framework::keys::KeyBuilder;
use deai_framework::Address;

use crate::MODULE_NAME;

pub fn balance(addr: &Address, denom: &str) -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "bal")
        .addr(addr)
        .tail(denom.as_bytes())
        .build()
}

/// All balances of one account; the rest of each key is the denom.
pub fn balances_of(addr: &Address) -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "bal").addr(addr).build()
}

/// Every balance of every account (genesis export).
pub fn all_balances() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "bal").build()
}

pub fn supply(denom: &str) -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "supply")
        .tail(denom.as_bytes())
        .build()
}

pub fn supply_prefix() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "supply").build()
}

pub fn metadata(denom: &str) -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "meta")
        .tail(denom.as_bytes())
        .build()
}

pub fn metadata_prefix() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "meta").build()
}

pub fn send_enabled(denom: &str) -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "send_enabled")
        .tail(denom.as_bytes())
        .build()
}

pub fn send_enabled_prefix() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "send_enabled").build()
}

pub fn params() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "params").build()
}

/// The address allowed to change bank's params (see `deai_framework::authority`).
pub fn authority() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "authority").build()
}
