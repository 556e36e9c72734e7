//! Every key of the auth module, and nowhere else.

use deai_framework::keys::KeyBuilder;
use deai_framework::Address;

use crate::MODULE_NAME;

pub fn account(addr: &Address) -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "acct").addr(addr).build()
}

pub fn accounts_prefix() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "acct").build()
}

/// Secondary index: account number -> address, for AccountAddressByID.
pub fn account_by_number(number: u64) -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "num").u64(number).build()
}

/// Secondary index: module account name -> address, for ModuleAccounts.
pub fn module_account_by_name(name: &str) -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "mod")
        .tail(name.as_bytes())
        .build()
}

pub fn module_accounts_prefix() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "mod").build()
}

pub fn next_account_number() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "next_num").build()
}

pub fn params() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "params").build()
}

/// The address allowed to change auth's params (see `deai_framework::authority`).
pub fn authority() -> Vec<u8> {
    KeyBuilder::new(MODULE_NAME, "authority").build()
}
