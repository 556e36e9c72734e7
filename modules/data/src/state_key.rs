//! Every key of the data module, and nowhere else.
//!
//! Records are stored proto-encoded (`deai.data.v1` types). Secondary indexes have empty
//! values (or the id they point at) and are written only by the keeper's `put_*` functions.

use deai_framework::keys::KeyBuilder;
use deai_framework::Address;

use crate::MODULE_NAME;

fn k(table: &str) -> KeyBuilder {
    KeyBuilder::new(MODULE_NAME, table)
}

pub fn params() -> Vec<u8> {
    k("params").build()
}

/// The address allowed to change data's params (see `deai_framework::authority`).
pub fn authority() -> Vec<u8> {
    k("authority").build()
}

/// An id counter (`dataset`, `grant`, `pool`, `contribution`): the next id to hand out.
pub fn sequence(name: &str) -> Vec<u8> {
    k("seq").tail(name.as_bytes()).build()
}

pub fn dataset(id: u64) -> Vec<u8> {
    k("dataset").u64(id).build()
}

pub fn datasets() -> Vec<u8> {
    k("dataset").build()
}

pub fn dataset_by_publisher(publisher: &Address, id: u64) -> Vec<u8> {
    k("dataset_publisher").addr(publisher).u64(id).build()
}

pub fn datasets_of_publisher(publisher: &Address) -> Vec<u8> {
    k("dataset_publisher").addr(publisher).build()
}

/// Dispenser tokens given to an address of a dataset, ever (value: a `Dispensed` record).
pub fn dispensed(dataset: u64, to: &Address) -> Vec<u8> {
    k("dispensed").u64(dataset).addr(to).build()
}

pub fn all_dispensed() -> Vec<u8> {
    k("dispensed").build()
}

pub fn grant(id: u64) -> Vec<u8> {
    k("grant").u64(id).build()
}

pub fn grants() -> Vec<u8> {
    k("grant").build()
}

pub fn grant_by_grantee(grantee: &Address, id: u64) -> Vec<u8> {
    k("grant_grantee").addr(grantee).u64(id).build()
}

pub fn grants_of_grantee(grantee: &Address) -> Vec<u8> {
    k("grant_grantee").addr(grantee).build()
}

pub fn grant_by_dataset(dataset: u64, id: u64) -> Vec<u8> {
    k("grant_dataset").u64(dataset).u64(id).build()
}

pub fn grants_of_dataset(dataset: u64) -> Vec<u8> {
    k("grant_dataset").u64(dataset).build()
}

/// An undelivered encrypted grant by its delivery deadline: what `end_block` refunds.
pub fn delivery_due(deadline: u64, grant: u64) -> Vec<u8> {
    k("delivery_due").u64(deadline).u64(grant).build()
}

pub fn delivery_queue() -> Vec<u8> {
    k("delivery_due").build()
}

pub fn delivery_queue_through(height: u64) -> Vec<u8> {
    deai_framework::keys::through(MODULE_NAME, "delivery_due", height)
}

/// A grant by the height whose `end_block` deletes it: its expiry, or its delivery deadline
/// if later (a grant awaiting a refund is never deleted).
pub fn grant_expiry(height: u64, grant: u64) -> Vec<u8> {
    k("grant_expiry").u64(height).u64(grant).build()
}

pub fn grant_expiry_queue() -> Vec<u8> {
    k("grant_expiry").build()
}

pub fn grant_expiry_queue_through(height: u64) -> Vec<u8> {
    deai_framework::keys::through(MODULE_NAME, "grant_expiry", height)
}

pub fn pool(id: u64) -> Vec<u8> {
    k("pool").u64(id).build()
}

pub fn pools() -> Vec<u8> {
    k("pool").build()
}

/// A pool by the height whose `end_block` settles its current epoch.
pub fn pool_due(height: u64, pool: u64) -> Vec<u8> {
    k("pool_due").u64(height).u64(pool).build()
}

pub fn pool_queue() -> Vec<u8> {
    k("pool_due").build()
}

pub fn pool_queue_through(height: u64) -> Vec<u8> {
    deai_framework::keys::through(MODULE_NAME, "pool_due", height)
}

/// Contributions of a pool's current epoch (value: u64 BE), bounded by
/// max_contributions_per_epoch.
pub fn epoch_count(pool: u64) -> Vec<u8> {
    k("epoch_count").u64(pool).build()
}

pub fn pool_validator(pool: u64, validator: &Address) -> Vec<u8> {
    k("pool_validator").u64(pool).addr(validator).build()
}

pub fn pool_validators_of(pool: u64) -> Vec<u8> {
    k("pool_validator").u64(pool).build()
}

pub fn all_pool_validators() -> Vec<u8> {
    k("pool_validator").build()
}

pub fn contribution(id: u64) -> Vec<u8> {
    k("contribution").u64(id).build()
}

pub fn contributions() -> Vec<u8> {
    k("contribution").build()
}

pub fn contribution_by_epoch(pool: u64, epoch: u64, id: u64) -> Vec<u8> {
    k("contribution_epoch").u64(pool).u64(epoch).u64(id).build()
}

pub fn contributions_of_epoch(pool: u64, epoch: u64) -> Vec<u8> {
    k("contribution_epoch").u64(pool).u64(epoch).build()
}

pub fn contributions_of_pool(pool: u64) -> Vec<u8> {
    k("contribution_epoch").u64(pool).build()
}

/// The contribution that holds a content hash, across all pools, forever (value: its id).
pub fn content(sha256: &[u8]) -> Vec<u8> {
    k("content").tail(sha256).build()
}

pub fn score(contribution: u64, validator: &Address) -> Vec<u8> {
    k("score").u64(contribution).addr(validator).build()
}

pub fn scores_of(contribution: u64) -> Vec<u8> {
    k("score").u64(contribution).build()
}

pub fn all_scores() -> Vec<u8> {
    k("score").build()
}

pub use deai_framework::keys::trailing_id;

/// The emission part of a pool's balance (`deai_mint::PoolPart`, see `emission.rs`).
pub fn emission_pool(id: u64) -> Vec<u8> {
    k("emission_pool").u64(id).build()
}

pub fn emission_pools() -> Vec<u8> {
    k("emission_pool").build()
}
