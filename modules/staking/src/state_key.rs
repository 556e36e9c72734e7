//! Every key of the staking module, and nowhere else. Addresses are length-prefixed, integers
//! fixed-width big-endian. Primary records: validators, delegations, unbonding delegations,
//! redelegations, historical info. Secondary indexes (status, power, by-validator, queues) are
//! written only by the keeper's `put_*`/`remove_*` functions.

use deai_framework::keys::KeyBuilder;
use deai_framework::{sdk, Address, TxError};

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

pub fn validator(op: &Address) -> Vec<u8> {
    k("val").addr(op).build()
}

pub fn validators() -> Vec<u8> {
    k("val").build()
}

/// Consensus address (first 20 bytes of sha256 of the ed25519 key) → operator bytes.
pub fn by_cons(cons: &[u8]) -> Vec<u8> {
    k("cons").tail(cons).build()
}

/// The status index: `status/<status>/<op>`.
pub fn status(status: i32, op: &Address) -> Vec<u8> {
    k("status").u64(status as u64).addr(op).build()
}

pub fn status_prefix(status: i32) -> Vec<u8> {
    k("status").u64(status as u64).build()
}

/// The power index of non-jailed validators: ascending keys are descending power, ties by
/// ascending operator bytes (the SDK's order: it stores inverted address bytes and iterates
/// in reverse).
pub fn power(power: u64, op: &Address) -> Vec<u8> {
    k("power").u64(u64::MAX - power).addr(op).build()
}

pub fn power_prefix() -> Vec<u8> {
    k("power").build()
}

/// The power CometBFT last heard for a validator (what `validator_updates` diffs against).
pub fn last_power(op: &Address) -> Vec<u8> {
    k("last").addr(op).build()
}

pub fn last_power_prefix() -> Vec<u8> {
    k("last").build()
}

pub fn last_total_power() -> Vec<u8> {
    k("last_total").build()
}

pub fn delegation(del: &Address, val: &Address) -> Vec<u8> {
    k("del").addr(del).addr(val).build()
}

pub fn delegations_of(del: &Address) -> Vec<u8> {
    k("del").addr(del).build()
}

pub fn all_delegations() -> Vec<u8> {
    k("del").build()
}

pub fn delegation_by_val(val: &Address, del: &Address) -> Vec<u8> {
    k("del_by_val").addr(val).addr(del).build()
}

pub fn delegations_to(val: &Address) -> Vec<u8> {
    k("del_by_val").addr(val).build()
}

pub fn ubd(del: &Address, val: &Address) -> Vec<u8> {
    k("ubd").addr(del).addr(val).build()
}

pub fn ubds_of(del: &Address) -> Vec<u8> {
    k("ubd").addr(del).build()
}

pub fn all_ubds() -> Vec<u8> {
    k("ubd").build()
}

pub fn ubd_by_val(val: &Address, del: &Address) -> Vec<u8> {
    k("ubd_by_val").addr(val).addr(del).build()
}

pub fn ubd_queue(time: u64, del: &Address, val: &Address) -> Vec<u8> {
    k("ubd_q").u64(time).addr(del).addr(val).build()
}

pub fn ubd_queue_prefix() -> Vec<u8> {
    k("ubd_q").build()
}

pub fn red(del: &Address, src: &Address, dst: &Address) -> Vec<u8> {
    k("red").addr(del).addr(src).addr(dst).build()
}

pub fn reds_of(del: &Address) -> Vec<u8> {
    k("red").addr(del).build()
}

pub fn reds_of_from(del: &Address, src: &Address) -> Vec<u8> {
    k("red").addr(del).addr(src).build()
}

pub fn all_reds() -> Vec<u8> {
    k("red").build()
}

/// Redelegations by destination: `red_by_dst/<dst>/<del>/<src>` (the transitive check).
pub fn red_by_dst(dst: &Address, del: &Address, src: &Address) -> Vec<u8> {
    k("red_by_dst").addr(dst).addr(del).addr(src).build()
}

pub fn red_by_dst_of(dst: &Address, del: &Address) -> Vec<u8> {
    k("red_by_dst").addr(dst).addr(del).build()
}

/// Redelegations by source: `red_by_src/<src>/<del>/<dst>` (slashing the source's
/// redelegations made after an infraction).
pub fn red_by_src(src: &Address, del: &Address, dst: &Address) -> Vec<u8> {
    k("red_by_src").addr(src).addr(del).addr(dst).build()
}

pub fn reds_from(src: &Address) -> Vec<u8> {
    k("red_by_src").addr(src).build()
}

/// Unbonding delegations by validator: `ubd_by_val/<val>/…`.
pub fn ubds_from(val: &Address) -> Vec<u8> {
    k("ubd_by_val").addr(val).build()
}

pub fn red_queue(time: u64, del: &Address, src: &Address, dst: &Address) -> Vec<u8> {
    k("red_q").u64(time).addr(del).addr(src).addr(dst).build()
}

pub fn red_queue_prefix() -> Vec<u8> {
    k("red_q").build()
}

pub fn val_queue(time: u64, op: &Address) -> Vec<u8> {
    k("val_q").u64(time).addr(op).build()
}

pub fn val_queue_prefix() -> Vec<u8> {
    k("val_q").build()
}

pub fn historical(height: u64) -> Vec<u8> {
    k("hist").u64(height).build()
}

pub fn historical_prefix() -> Vec<u8> {
    k("hist").build()
}

/// The validator updates of the last end_block, for the app to hand to CometBFT.
pub fn validator_updates() -> Vec<u8> {
    k("updates").build()
}

/// Reads length-prefixed addresses from `bytes` (the part of a key after a table prefix and
/// any fixed-width fields): exactly `n` of them, or an internal error.
pub fn read_addrs(bytes: &[u8], n: usize) -> Result<Vec<Address>, TxError> {
    let corrupt = || sdk::internal("corrupt staking index key");
    let mut out = Vec::with_capacity(n);
    let mut pos = 0usize;
    for _ in 0..n {
        let len = *bytes.get(pos).ok_or_else(corrupt)? as usize;
        let a = bytes.get(pos + 1..pos + 1 + len).ok_or_else(corrupt)?;
        out.push(Address::from_bytes(a).map_err(|_| corrupt())?);
        pos += 1 + len;
    }
    if pos != bytes.len() {
        return Err(corrupt());
    }
    Ok(out)
}
