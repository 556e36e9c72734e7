//! The attest keeper, as extension traits on any state: params, jobs, the pending index and
//! validators' attestations. Other modules use these traits and never build an attest key.

use prost::Message;

use deai_framework::keys::{prefix_end, trailing_id};
use deai_framework::{records, sdk, StateRead, StateWrite, TxError};
use deai_proto::attest::v1 as pb;

use crate::params::{Params, MAX_PENDING_JOBS_CAP};
use crate::{state_key, MODULE_NAME};

/// Most attestations one job can have: one per validator of a commit (CometBFT's sets are
/// far smaller; staking caps `max_validators` at 1000).
pub const MAX_ATTESTATIONS: usize = 1000;
/// Most settled jobs watched for late attestations at once; a job settled while this many
/// are watched is not (its window's late attestations go unjudged).
pub const MAX_LATE_JOBS: usize = 256;

pub trait AttestRead: StateRead {
    fn attest_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    fn attest_job(&self, id: u64) -> Result<Option<pb::Job>, TxError> {
        records::get(MODULE_NAME, self, &state_key::job(id))
    }

    /// The pending jobs by id (at most `max_pending_jobs`, whose cap bounds the walk).
    fn pending_jobs(&self) -> Result<Vec<pb::Job>, TxError> {
        records::indexed(
            self,
            &state_key::pending_all(),
            MAX_PENDING_JOBS_CAP as usize,
            |id| self.attest_job(id),
            "corrupt attest pending index",
            |id| format!("pending attest job {id} has no record"),
        )
    }

    /// The settled jobs still watched for late attestations, by id.
    fn late_jobs(&self) -> Result<Vec<pb::Job>, TxError> {
        records::indexed(
            self,
            &state_key::late_all(),
            MAX_LATE_JOBS,
            |id| self.attest_job(id),
            "corrupt attest late index",
            |id| format!("watched attest job {id} has no record"),
        )
    }

    /// What the sidecars are asked about: the pending jobs, then the settled ones still in
    /// their window (so that a slow sidecar's result is still judged), at most
    /// `MAX_EXTENSION_RESULTS`.
    fn open_jobs(&self) -> Result<Vec<pb::Job>, TxError> {
        let mut jobs = self.pending_jobs()?;
        jobs.extend(self.late_jobs()?);
        jobs.truncate(crate::extension::MAX_EXTENSION_RESULTS);
        Ok(jobs)
    }

    fn pending_count(&self) -> Result<usize, TxError> {
        index_count(
            self,
            &state_key::pending_all(),
            MAX_PENDING_JOBS_CAP as usize + 1,
        )
    }

    fn late_count(&self) -> Result<usize, TxError> {
        index_count(self, &state_key::late_all(), MAX_LATE_JOBS + 1)
    }

    /// The first attestation of `cons` for `job`, if any.
    fn attestation(&self, job: u64, cons: &[u8]) -> Result<Option<pb::Attestation>, TxError> {
        records::get(MODULE_NAME, self, &state_key::attestation(job, cons))
    }

    /// A job's attestations (at most `limit`), by consensus address.
    fn attestations(&self, job: u64, limit: usize) -> Result<Vec<pb::Attestation>, TxError> {
        records::all_under(MODULE_NAME, self, &state_key::attestations_of(job), limit)
    }
}

impl<S: StateRead + ?Sized> AttestRead for S {}

/// Entries under an index `prefix`, counting at most `cap`.
fn index_count<S: StateRead + ?Sized>(s: &S, prefix: &[u8], cap: usize) -> Result<usize, TxError> {
    let end = prefix_end(prefix);
    Ok(s.scan(prefix, end.as_deref(), false, cap)?.len())
}

pub trait AttestWrite: StateWrite {
    fn put_attest_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    /// Stores a job and keeps the pending index in step with its state.
    fn put_job(&mut self, job: &pb::Job) -> Result<(), TxError> {
        if job.state == pb::JobState::Pending as i32 {
            self.put(state_key::pending(job.id), Vec::new())?;
        } else {
            self.delete(state_key::pending(job.id))?;
        }
        self.put(state_key::job(job.id), job.encode_to_vec())
    }

    /// Starts or stops watching a settled job for late attestations.
    fn watch_late(&mut self, id: u64, on: bool) -> Result<(), TxError> {
        if on {
            self.put(state_key::late(id), Vec::new())
        } else {
            self.delete(state_key::late(id))
        }
    }

    fn put_attestation(
        &mut self,
        job: u64,
        cons: &[u8],
        a: &pb::Attestation,
    ) -> Result<(), TxError> {
        self.put(state_key::attestation(job, cons), a.encode_to_vec())
    }

    fn next_job_id(&mut self) -> Result<u64, TxError> {
        records::next_id(MODULE_NAME, self, state_key::job_seq(), "attestation job")
    }
}

impl<S: StateWrite + ?Sized> AttestWrite for S {}

/// The id in a pending-index key (used by genesis checks).
pub fn pending_id(key: &[u8]) -> Result<u64, TxError> {
    trailing_id(key).ok_or_else(|| sdk::internal("corrupt attest pending index"))
}
