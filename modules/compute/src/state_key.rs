//! Every key of the compute module, and nowhere else.
//!
//! Records are stored proto-encoded (`deai.compute.v1` types). Primary tables hold identity;
//! an order's owner and state also live in secondary indexes (empty values) that only
//! `ComputeWrite::put_order` writes.

use deai_framework::keys::KeyBuilder;
use deai_framework::Address;

use crate::MODULE_NAME;

fn k(table: &str) -> KeyBuilder {
    KeyBuilder::new(MODULE_NAME, table)
}

pub fn params() -> Vec<u8> {
    k("params").build()
}

/// The address allowed to change compute's params (see `deai_framework::authority`).
pub fn authority() -> Vec<u8> {
    k("authority").build()
}

/// An id counter (`order`, `bid`, `lease`, `audit`): the next id to hand out.
pub fn sequence(name: &str) -> Vec<u8> {
    k("seq").tail(name.as_bytes()).build()
}

pub fn provider(owner: &Address) -> Vec<u8> {
    k("provider").addr(owner).build()
}

pub fn providers() -> Vec<u8> {
    k("provider").build()
}

pub fn signed_attributes(provider: &Address, auditor: &Address) -> Vec<u8> {
    k("signed").addr(provider).addr(auditor).build()
}

/// Every auditor signature of one provider.
pub fn signed_attributes_of(provider: &Address) -> Vec<u8> {
    k("signed").addr(provider).build()
}

pub fn all_signed_attributes() -> Vec<u8> {
    k("signed").build()
}

pub fn order(id: u64) -> Vec<u8> {
    k("order").u64(id).build()
}

pub fn orders() -> Vec<u8> {
    k("order").build()
}

/// An order's spec, apart from the order record: the record is rewritten on every bid and
/// state change, the spec (up to 16 KiB) only once.
pub fn order_spec(id: u64) -> Vec<u8> {
    k("order_spec").u64(id).build()
}

pub fn order_by_owner(owner: &Address, id: u64) -> Vec<u8> {
    k("order_owner").addr(owner).u64(id).build()
}

pub fn orders_by_owner(owner: &Address) -> Vec<u8> {
    k("order_owner").addr(owner).build()
}

pub fn order_by_state(state: i32, id: u64) -> Vec<u8> {
    k("order_state").u64(state_u64(state)).u64(id).build()
}

pub fn orders_by_state(state: i32) -> Vec<u8> {
    k("order_state").u64(state_u64(state)).build()
}

pub fn order_by_owner_state(owner: &Address, state: i32, id: u64) -> Vec<u8> {
    k("order_owner_state")
        .addr(owner)
        .u64(state_u64(state))
        .u64(id)
        .build()
}

pub fn orders_by_owner_state(owner: &Address, state: i32) -> Vec<u8> {
    k("order_owner_state")
        .addr(owner)
        .u64(state_u64(state))
        .build()
}

pub fn escrow(order_id: u64) -> Vec<u8> {
    k("escrow").u64(order_id).build()
}

pub fn escrows() -> Vec<u8> {
    k("escrow").build()
}

pub fn bid(id: u64) -> Vec<u8> {
    k("bid").u64(id).build()
}

pub fn bids() -> Vec<u8> {
    k("bid").build()
}

pub fn bid_by_order(order_id: u64, id: u64) -> Vec<u8> {
    k("bid_order").u64(order_id).u64(id).build()
}

/// Every bid of one order (at most `MAX_ORDER_BIDS`: closed bids still count).
pub fn bids_by_order(order_id: u64) -> Vec<u8> {
    k("bid_order").u64(order_id).build()
}

pub fn bid_by_provider(provider: &Address, id: u64) -> Vec<u8> {
    k("bid_provider").addr(provider).u64(id).build()
}

pub fn bids_by_provider(provider: &Address) -> Vec<u8> {
    k("bid_provider").addr(provider).build()
}

/// The open bid of a provider on an order (value: the bid id), present only while open.
pub fn open_bid(order_id: u64, provider: &Address) -> Vec<u8> {
    k("bid_open").u64(order_id).addr(provider).build()
}

pub fn lease(id: u64) -> Vec<u8> {
    k("lease").u64(id).build()
}

pub fn leases() -> Vec<u8> {
    k("lease").build()
}

pub fn lease_by_order(order_id: u64, id: u64) -> Vec<u8> {
    k("lease_order").u64(order_id).u64(id).build()
}

/// Every lease of one order (at most its redundancy, so at most 5).
pub fn leases_by_order(order_id: u64) -> Vec<u8> {
    k("lease_order").u64(order_id).build()
}

pub fn lease_by_provider(provider: &Address, id: u64) -> Vec<u8> {
    k("lease_provider").addr(provider).u64(id).build()
}

pub fn leases_by_provider(provider: &Address) -> Vec<u8> {
    k("lease_provider").addr(provider).build()
}

pub fn lease_by_provider_state(provider: &Address, state: i32, id: u64) -> Vec<u8> {
    k("lease_provider_state")
        .addr(provider)
        .u64(state_u64(state))
        .u64(id)
        .build()
}

pub fn leases_by_provider_state(provider: &Address, state: i32) -> Vec<u8> {
    k("lease_provider_state")
        .addr(provider)
        .u64(state_u64(state))
        .build()
}

/// The result of one lease, keyed by its order first: the key is also the index by order.
pub fn result(order_id: u64, lease_id: u64) -> Vec<u8> {
    k("result").u64(order_id).u64(lease_id).build()
}

/// Every result of one order (at most its redundancy, so at most 5).
pub fn results_of_order(order_id: u64) -> Vec<u8> {
    k("result").u64(order_id).build()
}

pub fn results() -> Vec<u8> {
    k("result").build()
}

/// An open order, by the height of its bid deadline: what `end_block` reads to lease orders
/// automatically (`deadline/<height><order_id>`), written only by `put_order`.
pub fn deadline(height: u64, order_id: u64) -> Vec<u8> {
    k("deadline").u64(height).u64(order_id).build()
}

pub fn deadlines() -> Vec<u8> {
    k("deadline").build()
}

/// The first key of a height-ordered index `table` above every entry at `height` or earlier.
fn through(table: &str, height: u64) -> Vec<u8> {
    deai_framework::keys::through(MODULE_NAME, table, height)
}

/// The first deadline key above every deadline at `height` or earlier.
pub fn deadlines_through(height: u64) -> Vec<u8> {
    through("deadline", height)
}

pub fn audit(id: u64) -> Vec<u8> {
    k("audit").u64(id).build()
}

pub fn audits() -> Vec<u8> {
    k("audit").build()
}

pub fn audit_by_order(order_id: u64, id: u64) -> Vec<u8> {
    k("audit_order").u64(order_id).u64(id).build()
}

/// Every audit of one order (at most `MAX_AUDITS_PER_ORDER`).
pub fn audits_by_order(order_id: u64) -> Vec<u8> {
    k("audit_order").u64(order_id).build()
}

pub fn audit_by_verifier(verifier: &Address, id: u64) -> Vec<u8> {
    k("audit_verifier").addr(verifier).u64(id).build()
}

pub fn audits_by_verifier(verifier: &Address) -> Vec<u8> {
    k("audit_verifier").addr(verifier).build()
}

/// A pending audit of a referee, present only while pending: a provider that referees an
/// audit cannot leave (its deposit is in the audit).
pub fn pending_audit_of(verifier: &Address, id: u64) -> Vec<u8> {
    k("audit_pending").addr(verifier).u64(id).build()
}

pub fn pending_audits_of(verifier: &Address) -> Vec<u8> {
    k("audit_pending").addr(verifier).build()
}

/// A pending audit, by the height of its deadline: what `end_block` reads to expire and
/// reassign audits, written only by `put_audit`.
pub fn audit_deadline(height: u64, id: u64) -> Vec<u8> {
    k("audit_deadline").u64(height).u64(id).build()
}

pub fn audit_deadlines() -> Vec<u8> {
    k("audit_deadline").build()
}

pub fn audit_deadlines_through(height: u64) -> Vec<u8> {
    through("audit_deadline", height)
}

/// A provider that offers audits (attribute `verifier=true`) and is not jailed (value: its
/// address bytes), written only by `put_provider`; referees are drawn from this index.
pub fn verifier(owner: &Address) -> Vec<u8> {
    k("verifier").addr(owner).build()
}

pub fn verifiers() -> Vec<u8> {
    k("verifier").build()
}

/// Enum values are validated non-negative before they reach a key.
fn state_u64(state: i32) -> u64 {
    u64::try_from(state).unwrap_or(0)
}

pub use deai_framework::keys::trailing_id;
