//! Every key of the attest module, and nowhere else.

use deai_framework::keys::KeyBuilder;

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

/// The job id counter.
pub fn job_seq() -> Vec<u8> {
    k("seq").build()
}

/// `deai.attest.v1.Job` by id.
pub fn job(id: u64) -> Vec<u8> {
    k("job").u64(id).build()
}

pub fn jobs() -> Vec<u8> {
    k("job").build()
}

/// The pending jobs, by id (value empty).
pub fn pending(id: u64) -> Vec<u8> {
    k("pending").u64(id).build()
}

pub fn pending_all() -> Vec<u8> {
    k("pending").build()
}

/// Settled jobs still inside their window, by id (value empty): late attestations of
/// them are recorded and judged until the deadline.
pub fn late(id: u64) -> Vec<u8> {
    k("late").u64(id).build()
}

pub fn late_all() -> Vec<u8> {
    k("late").build()
}

/// `deai.attest.v1.Attestation` of a job by a validator's consensus address.
pub fn attestation(job: u64, cons: &[u8]) -> Vec<u8> {
    k("att").u64(job).tail(cons).build()
}

pub fn attestations_of(job: u64) -> Vec<u8> {
    k("att").u64(job).build()
}

pub fn attestations() -> Vec<u8> {
    k("att").build()
}
