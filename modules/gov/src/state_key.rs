//! Every key of the gov module, and nowhere else. Integers are fixed-width big-endian,
//! addresses length-prefixed; queue keys sort by time (whole seconds) then proposal id.

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

pub fn constitution() -> Vec<u8> {
    k("constitution").build()
}

/// The next proposal id (the SDK's `ProposalID` sequence).
pub fn next_id() -> Vec<u8> {
    k("next_id").build()
}

/// `cosmos.gov.v1.Proposal` by id.
pub fn proposal(id: u64) -> Vec<u8> {
    k("proposal").u64(id).build()
}

pub fn proposals() -> Vec<u8> {
    k("proposal").build()
}

/// `cosmos.gov.v1.Deposit` by (proposal, depositor).
pub fn deposit(id: u64, depositor: &Address) -> Vec<u8> {
    k("deposit").u64(id).addr(depositor).build()
}

pub fn deposits_of(id: u64) -> Vec<u8> {
    k("deposit").u64(id).build()
}

pub fn all_deposits() -> Vec<u8> {
    k("deposit").build()
}

/// `cosmos.gov.v1.Vote` by (proposal, voter).
pub fn vote(id: u64, voter: &Address) -> Vec<u8> {
    k("vote").u64(id).addr(voter).build()
}

pub fn votes_of(id: u64) -> Vec<u8> {
    k("vote").u64(id).build()
}

pub fn all_votes() -> Vec<u8> {
    k("vote").build()
}

/// Proposals in their deposit period, by deposit end time.
pub fn inactive(time: u64, id: u64) -> Vec<u8> {
    k("inactive").u64(time).u64(id).build()
}

pub fn inactive_prefix() -> Vec<u8> {
    k("inactive").build()
}

/// Proposals in their voting period, by voting end time.
pub fn active(time: u64, id: u64) -> Vec<u8> {
    k("active").u64(time).u64(id).build()
}

pub fn active_prefix() -> Vec<u8> {
    k("active").build()
}

/// How many voters and depositors a proposal has (deai's bounds; two u64s).
pub fn counts(id: u64) -> Vec<u8> {
    k("counts").u64(id).build()
}
