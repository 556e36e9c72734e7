//! Every key of the distribution module, and nowhere else. Addresses are length-prefixed,
//! integers fixed-width big-endian; per-validator records sit under the validator, so that
//! removing a validator clears a bounded prefix.

use deai_framework::keys::KeyBuilder;
use deai_framework::Address;

use crate::MODULE_NAME;

fn k(table: &str) -> KeyBuilder {
    KeyBuilder::new(MODULE_NAME, table)
}

pub fn params() -> Vec<u8> {
    k("params").build()
}

pub fn authority() -> Vec<u8> {
    k("authority").build()
}

/// The FeePool: only the community pool's decimal dust (the whole coins sit in the
/// `community_pool` module account).
pub fn fee_pool() -> Vec<u8> {
    k("fee_pool").build()
}

/// The consensus address of the last block's proposer (kept for genesis, unused since v0.50).
pub fn previous_proposer() -> Vec<u8> {
    k("proposer").build()
}

pub fn withdraw_addr(del: &Address) -> Vec<u8> {
    k("withdraw").addr(del).build()
}

pub fn withdraw_addrs() -> Vec<u8> {
    k("withdraw").build()
}

pub fn outstanding(val: &Address) -> Vec<u8> {
    k("outstanding").addr(val).build()
}

pub fn all_outstanding() -> Vec<u8> {
    k("outstanding").build()
}

pub fn commission(val: &Address) -> Vec<u8> {
    k("commission").addr(val).build()
}

pub fn all_commission() -> Vec<u8> {
    k("commission").build()
}

pub fn current(val: &Address) -> Vec<u8> {
    k("current").addr(val).build()
}

pub fn all_current() -> Vec<u8> {
    k("current").build()
}

pub fn historical(val: &Address, period: u64) -> Vec<u8> {
    k("historical").addr(val).u64(period).build()
}

pub fn historical_of(val: &Address) -> Vec<u8> {
    k("historical").addr(val).build()
}

pub fn all_historical() -> Vec<u8> {
    k("historical").build()
}

/// A delegator's starting info, under its validator.
pub fn starting(val: &Address, del: &Address) -> Vec<u8> {
    k("starting").addr(val).addr(del).build()
}

pub fn all_starting() -> Vec<u8> {
    k("starting").build()
}

/// A slash event: `slash/<val>/<height>/<period>` (height order, as the SDK iterates them).
pub fn slash_event(val: &Address, height: u64, period: u64) -> Vec<u8> {
    k("slash").addr(val).u64(height).u64(period).build()
}

pub fn slash_events_of(val: &Address) -> Vec<u8> {
    k("slash").addr(val).build()
}

/// The first slash-event key of `val` at or after `height`.
pub fn slash_events_from(val: &Address, height: u64) -> Vec<u8> {
    k("slash").addr(val).u64(height).build()
}

pub fn all_slash_events() -> Vec<u8> {
    k("slash").build()
}

/// Reads the length-prefixed addresses and trailing u64s of a key relative to its table
/// prefix (`n_addrs` addresses then `n_ints` integers); None if it does not parse.
pub fn parse(rel: &[u8], n_addrs: usize, n_ints: usize) -> Option<(Vec<Address>, Vec<u64>)> {
    let mut pos = 0usize;
    let mut addrs = Vec::with_capacity(n_addrs);
    for _ in 0..n_addrs {
        let len = *rel.get(pos)? as usize;
        addrs.push(Address::from_bytes(rel.get(pos + 1..pos + 1 + len)?).ok()?);
        pos += 1 + len;
    }
    let mut ints = Vec::with_capacity(n_ints);
    for _ in 0..n_ints {
        ints.push(u64::from_be_bytes(rel.get(pos..pos + 8)?.try_into().ok()?));
        pos += 8;
    }
    (pos == rel.len()).then_some((addrs, ints))
}
