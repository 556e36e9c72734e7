//! Every key of the training module, and nowhere else.
//!
//! Records are stored proto-encoded (`deai.training.v1` types). Secondary indexes have empty
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

/// The address allowed to change training's params (see `deai_framework::authority`).
pub fn authority() -> Vec<u8> {
    k("authority").build()
}

/// An id counter (`task`, `audit`, `unbonding`): the next id to hand out.
pub fn sequence(name: &str) -> Vec<u8> {
    k("seq").tail(name.as_bytes()).build()
}

/// A task without its base spec bytes (rewritten every round).
pub fn task(id: u64) -> Vec<u8> {
    k("task").u64(id).build()
}

pub fn tasks() -> Vec<u8> {
    k("task").build()
}

/// A task's base spec bytes, written once.
pub fn task_spec(id: u64) -> Vec<u8> {
    k("task_spec").u64(id).build()
}

pub fn neuron(task: u64, uid: u32) -> Vec<u8> {
    k("neuron").u64(task).u64(u64::from(uid)).build()
}

/// Every neuron of a task, in uid order (at most its max_neurons).
pub fn neurons_of(task: u64) -> Vec<u8> {
    k("neuron").u64(task).build()
}

pub fn all_neurons() -> Vec<u8> {
    k("neuron").build()
}

/// The uid of an owner in a task (value: the uid, u32 BE).
pub fn neuron_owner(task: u64, owner: &Address) -> Vec<u8> {
    k("neuron_owner").u64(task).addr(owner).build()
}

pub fn unbonding(id: u64) -> Vec<u8> {
    k("unbonding").u64(id).build()
}

pub fn all_unbonding() -> Vec<u8> {
    k("unbonding").build()
}

/// An unbonding entry by the height it completes at: what `end_block` reads.
pub fn unbonding_at(height: u64, id: u64) -> Vec<u8> {
    k("unbonding_at").u64(height).u64(id).build()
}

pub fn unbonding_queue() -> Vec<u8> {
    k("unbonding_at").build()
}

pub fn unbonding_queue_through(height: u64) -> Vec<u8> {
    through("unbonding_at", height)
}

pub fn unbonding_by_owner(owner: &Address, id: u64) -> Vec<u8> {
    k("unbonding_owner").addr(owner).u64(id).build()
}

pub fn unbondings_by_owner(owner: &Address) -> Vec<u8> {
    k("unbonding_owner").addr(owner).build()
}

/// The unbonding entries of one owner in one task: counted against max_unbonding_entries
/// and slashed after the bonded stake.
pub fn unbonding_by_neuron(task: u64, owner: &Address, id: u64) -> Vec<u8> {
    k("unbonding_neuron").u64(task).addr(owner).u64(id).build()
}

pub fn unbondings_by_neuron(task: u64, owner: &Address) -> Vec<u8> {
    k("unbonding_neuron").u64(task).addr(owner).build()
}

pub fn round(task: u64, round: u64) -> Vec<u8> {
    k("round").u64(task).u64(round).build()
}

pub fn rounds_of(task: u64) -> Vec<u8> {
    k("round").u64(task).build()
}

pub fn all_rounds() -> Vec<u8> {
    k("round").build()
}

/// A round's lineage link, present once set (value: empty): the Lineage query pages these.
pub fn lineage(task: u64, round: u64) -> Vec<u8> {
    k("lineage").u64(task).u64(round).build()
}

pub fn lineage_of(task: u64) -> Vec<u8> {
    k("lineage").u64(task).build()
}

pub fn update(task: u64, round: u64, uid: u32) -> Vec<u8> {
    k("update").u64(task).u64(round).u64(u64::from(uid)).build()
}

/// Every update of a round, in uid order (at most max_neurons).
pub fn updates_of(task: u64, round: u64) -> Vec<u8> {
    k("update").u64(task).u64(round).build()
}

pub fn all_updates() -> Vec<u8> {
    k("update").build()
}

pub fn weights(task: u64, round: u64, uid: u32) -> Vec<u8> {
    k("weights")
        .u64(task)
        .u64(round)
        .u64(u64::from(uid))
        .build()
}

pub fn weights_of(task: u64, round: u64) -> Vec<u8> {
    k("weights").u64(task).u64(round).build()
}

pub fn all_weights() -> Vec<u8> {
    k("weights").build()
}

pub fn epoch(task: u64, round: u64) -> Vec<u8> {
    k("epoch").u64(task).u64(round).build()
}

pub fn all_epochs() -> Vec<u8> {
    k("epoch").build()
}

pub fn bond(task: u64, uid: u32) -> Vec<u8> {
    k("bond").u64(task).u64(u64::from(uid)).build()
}

pub fn bonds_of(task: u64) -> Vec<u8> {
    k("bond").u64(task).build()
}

pub fn all_bonds() -> Vec<u8> {
    k("bond").build()
}

/// A due boundary of a task: `schedule/<height><task><kind>` (value: the round, u64 BE).
/// `end_block` reads every entry at or below its height, a bounded number a block.
pub fn schedule(height: u64, task: u64, kind: u8) -> Vec<u8> {
    k("schedule").u64(height).u64(task).tail(&[kind]).build()
}

pub fn schedules() -> Vec<u8> {
    k("schedule").build()
}

pub fn schedules_through(height: u64) -> Vec<u8> {
    through("schedule", height)
}

pub fn audit(id: u64) -> Vec<u8> {
    k("audit").u64(id).build()
}

pub fn all_audits() -> Vec<u8> {
    k("audit").build()
}

pub fn audit_by_task(task: u64, id: u64) -> Vec<u8> {
    k("audit_task").u64(task).u64(id).build()
}

pub fn audits_by_task(task: u64) -> Vec<u8> {
    k("audit_task").u64(task).build()
}

pub fn audit_by_referee(task: u64, referee: &Address, id: u64) -> Vec<u8> {
    k("audit_referee").u64(task).addr(referee).u64(id).build()
}

pub fn audits_by_referee(task: u64, referee: &Address) -> Vec<u8> {
    k("audit_referee").u64(task).addr(referee).build()
}

/// A pending audit by its deadline height: what `end_block` reads to redraw referees.
pub fn audit_deadline(height: u64, id: u64) -> Vec<u8> {
    k("audit_deadline").u64(height).u64(id).build()
}

pub fn audit_deadlines() -> Vec<u8> {
    k("audit_deadline").build()
}

pub fn audit_deadlines_through(height: u64) -> Vec<u8> {
    through("audit_deadline", height)
}

/// The pending audit of one accusation (task, round, target, uid), present while pending:
/// one accusation is judged once at a time.
pub fn open_accusation(task: u64, round: u64, target: i32, uid: u32) -> Vec<u8> {
    k("accusation")
        .u64(task)
        .u64(round)
        .u64(u64::try_from(target).unwrap_or(0))
        .u64(u64::from(uid))
        .build()
}

/// The first key of a height-ordered index `table` above every entry at `height` or earlier.
fn through(table: &str, height: u64) -> Vec<u8> {
    deai_framework::keys::through(MODULE_NAME, table, height)
}

pub use deai_framework::keys::trailing_id;

/// The emission part of a task's pool (`deai_mint::PoolPart`, see `emission.rs`).
pub fn emission_task(id: u64) -> Vec<u8> {
    k("emission_task").u64(id).build()
}

pub fn emission_tasks() -> Vec<u8> {
    k("emission_task").build()
}
