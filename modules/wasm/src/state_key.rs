//! Every key of the wasm module, and nowhere else. wasmd's layout (x/wasm/types/keys.go),
//! under deai's `wasm/<table>/` prefixes:
//!
//! | table | key after the table | value |
//! |---|---|---|
//! | `params` | — | `cosmwasm.wasm.v1.Params` |
//! | `authority` | — | the address that may change the params |
//! | `seq` | `lastCodeId` / `lastContractId` | the next id, u64 BE (wasmd's sequences) |
//! | `code` | code id (u64) | `CodeInfo` |
//! | `code_bytes` | checksum (32 bytes) | the wasm (uncompressed); shared by equal codes |
//! | `pinned` | code id | empty: the code is pinned in the vm's memory cache |
//! | `contract` | lp(address) | `ContractInfo` |
//! | `history` | lp(address), position (u64) | `ContractCodeHistoryEntry` |
//! | `by_code` | code id, position (16 bytes), address | empty (created or last migrated) |
//! | `by_creator` | lp(creator), created (16 bytes), address | empty |
//! | `store` | lp(address), the contract's own key | the contract's value |
//!
//! `lp(a)` is the address's length (one byte) then its bytes; a position is wasmd's
//! `AbsoluteTxPosition.Bytes()`: block height then tx index, each u64 BE. A contract's own
//! storage lies under one prefix per contract, so raw queries, iteration and export of a
//! contract are bounded to it.

use cosmos_sdk_proto::cosmwasm::wasm::v1::AbsoluteTxPosition;
use deai_framework::keys::KeyBuilder;
use deai_framework::Address;

use crate::MODULE_NAME;

/// wasmd's code id sequence (`KeySequenceCodeID` without its 0x04 prefix).
pub const SEQ_CODE_ID: &str = "lastCodeId";
/// wasmd's instance id sequence (`KeySequenceInstanceID` without its 0x04 prefix).
pub const SEQ_INSTANCE_ID: &str = "lastContractId";
/// wasmd's `AbsoluteTxPositionLen`.
pub const POSITION_LEN: usize = 16;

fn k(table: &str) -> KeyBuilder {
    KeyBuilder::new(MODULE_NAME, table)
}

pub fn params() -> Vec<u8> {
    k("params").build()
}

/// The address allowed to change wasm's params (see `deai_framework::authority`).
pub fn authority() -> Vec<u8> {
    k("authority").build()
}

pub fn sequence(name: &str) -> Vec<u8> {
    k("seq").tail(name.as_bytes()).build()
}

pub fn code(id: u64) -> Vec<u8> {
    k("code").u64(id).build()
}

pub fn codes() -> Vec<u8> {
    k("code").build()
}

pub fn code_bytes(checksum: &[u8]) -> Vec<u8> {
    k("code_bytes").tail(checksum).build()
}

pub fn pinned(id: u64) -> Vec<u8> {
    k("pinned").u64(id).build()
}

pub fn pinned_codes() -> Vec<u8> {
    k("pinned").build()
}

pub fn contract(addr: &Address) -> Vec<u8> {
    k("contract").addr(addr).build()
}

pub fn contracts() -> Vec<u8> {
    k("contract").build()
}

/// The address of a key under [`contracts`] (relative to that prefix: lp(address)).
pub fn contract_of_rel_key(rel: &[u8]) -> Option<Address> {
    let (len, rest) = rel.split_first()?;
    if rest.len() != usize::from(*len) {
        return None;
    }
    Address::from_bytes(rest).ok()
}

pub fn history(addr: &Address, pos: u64) -> Vec<u8> {
    k("history").addr(addr).u64(pos).build()
}

pub fn history_of(addr: &Address) -> Vec<u8> {
    k("history").addr(addr).build()
}

/// wasmd's `AbsoluteTxPosition.Bytes()` (an absent position is all zeros).
pub fn position_bytes(p: Option<&AbsoluteTxPosition>) -> [u8; POSITION_LEN] {
    let mut out = [0u8; POSITION_LEN];
    if let Some(p) = p {
        out[..8].copy_from_slice(&p.block_height.to_be_bytes());
        out[8..].copy_from_slice(&p.tx_index.to_be_bytes());
    }
    out
}

pub fn by_code(code_id: u64, pos: &[u8; POSITION_LEN], addr: &Address) -> Vec<u8> {
    k("by_code")
        .u64(code_id)
        .tail(pos)
        .tail(addr.as_bytes())
        .build()
}

pub fn contracts_of_code(code_id: u64) -> Vec<u8> {
    k("by_code").u64(code_id).build()
}

pub fn by_creator(creator: &Address, created: &[u8; POSITION_LEN], addr: &Address) -> Vec<u8> {
    k("by_creator")
        .addr(creator)
        .tail(created)
        .tail(addr.as_bytes())
        .build()
}

pub fn contracts_of_creator(creator: &Address) -> Vec<u8> {
    k("by_creator").addr(creator).build()
}

/// The address at the end of a `by_code` or `by_creator` key, relative to its per-code or
/// per-creator prefix (position, then the address).
pub fn indexed_contract(rel: &[u8]) -> Option<Address> {
    let addr = rel.get(POSITION_LEN..)?;
    Address::from_bytes(addr).ok()
}

/// One key of a contract's own storage.
pub fn contract_state(addr: &Address, key: &[u8]) -> Vec<u8> {
    k("store").addr(addr).tail(key).build()
}

/// The prefix of a contract's own storage.
pub fn contract_store(addr: &Address) -> Vec<u8> {
    k("store").addr(addr).build()
}
pub use deai_framework::keys::trailing_id;
