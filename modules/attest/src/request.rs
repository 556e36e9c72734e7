//! [`request`]: the one way a market asks for consensus attestation of a job.

use sha2::{Digest, Sha256};

use deai_framework::{Ctx, TxError};
use deai_proto::attest::v1 as pb;

use crate::error::AttestError;
use crate::events;
use crate::keeper::{AttestRead, AttestWrite};

/// Asks every validator's sidecar to run `spec` (JSON of the kind's spec in
/// [`crate::wire`]) and attest the result hash in its vote extensions. `requester` names the
/// module whose hook hears the outcome (settled or expired) and `subject_id` its record.
///
/// The job can settle from the extended commit of the block after this one (the first vote
/// that could have seen it) through `height + attestation_window`. Fails with
/// `ERR_SPEC_TOO_LARGE` or, when `max_pending_jobs` are pending, `ERR_TOO_MANY_JOBS`.
pub fn request(
    ctx: &mut Ctx,
    kind: pb::JobKind,
    requester: &str,
    subject_id: u64,
    spec: Vec<u8>,
) -> Result<u64, TxError> {
    let params = ctx.attest_params()?;
    if spec.len() > params.max_spec_bytes as usize {
        return Err(AttestError::SpecTooLarge {
            size: spec.len(),
            max: params.max_spec_bytes,
        }
        .into());
    }
    if kind == pb::JobKind::Unspecified {
        return Err(AttestError::InvalidJob("the job kind is unspecified".into()).into());
    }
    if requester.is_empty() || requester.len() > 32 {
        return Err(AttestError::InvalidJob(format!("invalid requester {requester:?}")).into());
    }
    if ctx.pending_count()? >= params.max_pending_jobs as usize {
        return Err(AttestError::TooManyJobs(params.max_pending_jobs).into());
    }
    let id = ctx.next_job_id()?;
    let now = ctx.block.height;
    let job = pb::Job {
        id,
        kind: kind as i32,
        requester: requester.to_string(),
        subject_id,
        spec_sha256: Sha256::digest(&spec).to_vec(),
        spec,
        requested_at: now,
        deadline: now.saturating_add(params.attestation_window),
        state: pb::JobState::Pending as i32,
        ..Default::default()
    };
    ctx.put_job(&job)?;
    ctx.emit(events::job_requested(&job));
    Ok(id)
}
