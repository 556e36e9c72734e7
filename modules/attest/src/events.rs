//! attest's events: the typed `deai.attest.v1.Event*` of a job's life, and the plain events
//! of a params change and of a requester's hook that failed.

use deai_framework::{typed_event, Event};
use deai_proto::attest::v1 as pb;

use crate::MODULE_NAME;

pub fn job_requested(job: &pb::Job) -> Event {
    typed_event(&pb::EventJobRequested {
        job_id: job.id,
        kind: job.kind,
        requester: job.requester.clone(),
        subject_id: job.subject_id,
        deadline: job.deadline,
    })
}

/// `job` settled on the extended commit of `vote_height`.
pub fn job_settled(job: &pb::Job, vote_height: u64) -> Event {
    typed_event(&pb::EventJobSettled {
        job_id: job.id,
        result_hash: job.result_hash.clone(),
        power: job.settled_power,
        total_power: job.total_power,
        height: vote_height,
    })
}

pub fn job_expired(job: &pb::Job) -> Event {
    typed_event(&pb::EventJobExpired { job_id: job.id })
}

/// `a` disagreed with the settled hash and `slashed` tokens were burned.
pub fn attestation_disagreed(a: &pb::Attestation, slashed: u128) -> Event {
    typed_event(&pb::EventAttestationDisagreed {
        job_id: a.job_id,
        validator: a.validator.clone(),
        result_hash: a.result_hash.clone(),
        slashed: slashed.to_string(),
    })
}

/// The requester's hook refused the outcome of `job` (its writes were dropped).
pub fn hook_failed(job: &pb::Job, error: &str) -> Event {
    Event::new("attest_hook_failed")
        .attr("job_id", job.id)
        .attr("requester", &job.requester)
        .attr("error", error)
}

pub fn update_params() -> Event {
    Event::new("update_params").attr("module", MODULE_NAME)
}
