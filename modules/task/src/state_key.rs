//! Every key of the task module, and nowhere else.
//!
//! Records are stored proto-encoded (`deai.task.v1` types). A task is split in two: its
//! record (`task/`, rewritten at each transition) and its content (`content/`: description,
//! spec and evaluation, written once). Secondary indexes have empty values and are written
//! only by the keeper's `put_task`.

use deai_framework::keys::{through, KeyBuilder};
use deai_framework::Address;

use crate::MODULE_NAME;

fn k(table: &str) -> KeyBuilder {
    KeyBuilder::new(MODULE_NAME, table)
}

pub fn params() -> Vec<u8> {
    k("params").build()
}

/// The address allowed to change task's params (see `deai_framework::authority`).
pub fn authority() -> Vec<u8> {
    k("authority").build()
}

/// The counter of task ids: the next id to hand out.
pub fn task_seq() -> Vec<u8> {
    k("seq").tail(b"task").build()
}

/// A task without its description, spec and evaluation.
pub fn task(id: u64) -> Vec<u8> {
    k("task").u64(id).build()
}

pub fn tasks() -> Vec<u8> {
    k("task").build()
}

/// A task's description, spec and evaluation (a `Task` with only those set), written once.
pub fn content(id: u64) -> Vec<u8> {
    k("content").u64(id).build()
}

/// The tasks of one state, by id (value: empty).
pub fn by_state(state: i32, id: u64) -> Vec<u8> {
    by_state_prefix(state)
        .into_iter()
        .chain(id.to_be_bytes())
        .collect()
}

pub fn by_state_prefix(state: i32) -> Vec<u8> {
    k("state").u64(u64::from(state.unsigned_abs())).build()
}

/// The tasks whose deposit period ends at `height` (value: empty).
pub fn deposit_end(height: u64, id: u64) -> Vec<u8> {
    k("deposit_end").u64(height).u64(id).build()
}

pub fn deposit_end_queue() -> Vec<u8> {
    k("deposit_end").build()
}

pub fn deposit_end_through(height: u64) -> Vec<u8> {
    through(MODULE_NAME, "deposit_end", height)
}

/// The tasks whose voting ends at `height` (value: empty).
pub fn voting_end(height: u64, id: u64) -> Vec<u8> {
    k("voting_end").u64(height).u64(id).build()
}

pub fn voting_end_queue() -> Vec<u8> {
    k("voting_end").build()
}

pub fn voting_end_through(height: u64) -> Vec<u8> {
    through(MODULE_NAME, "voting_end", height)
}

pub fn vote(id: u64, voter: &Address) -> Vec<u8> {
    k("vote").u64(id).addr(voter).build()
}

pub fn votes_of(id: u64) -> Vec<u8> {
    k("vote").u64(id).build()
}

pub fn all_votes() -> Vec<u8> {
    k("vote").build()
}

pub fn deposit(id: u64, depositor: &Address) -> Vec<u8> {
    k("deposit").u64(id).addr(depositor).build()
}

pub fn deposits_of(id: u64) -> Vec<u8> {
    k("deposit").u64(id).build()
}

pub fn all_deposits() -> Vec<u8> {
    k("deposit").build()
}

/// A task's vote and depositor counts (u32 BE each).
pub fn counts(id: u64) -> Vec<u8> {
    k("count").u64(id).build()
}
