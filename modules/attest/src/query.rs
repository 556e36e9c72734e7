//! attest's queries at `/deai.attest.v1.Query/…`.

use deai_framework::pagination::paginate;
use deai_framework::{records, Router, StateRead, TxError};
use deai_proto::attest::v1 as pb;

use crate::error::AttestError;
use crate::keeper::AttestRead;
use crate::{state_key, MODULE_NAME};

const Q: &str = "/deai.attest.v1.Query/";

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.attest_params()?.to_proto()),
    })
}

fn job(s: &dyn StateRead, r: pb::QueryJobRequest) -> Result<pb::QueryJobResponse, TxError> {
    let job = s.attest_job(r.id)?.ok_or(AttestError::UnknownJob(r.id))?;
    Ok(pb::QueryJobResponse { job: Some(job) })
}

/// Jobs by id; with a state, the page walks only that state's jobs for pending ones (the
/// pending index) and filters the page otherwise.
fn jobs(s: &dyn StateRead, r: pb::QueryJobsRequest) -> Result<pb::QueryJobsResponse, TxError> {
    let pending = r.state == pb::JobState::Pending as i32;
    let prefix = if pending {
        state_key::pending_all()
    } else {
        state_key::jobs()
    };
    let (rows, page) = paginate(s, &prefix, r.pagination)?;
    let mut jobs = Vec::with_capacity(rows.len());
    for (k, v) in rows {
        let job: pb::Job = if pending {
            let id = deai_framework::keys::trailing_id(&k)
                .ok_or_else(|| deai_framework::sdk::internal("corrupt attest pending index"))?;
            s.attest_job(id)?
                .ok_or_else(|| deai_framework::sdk::internal("pending job without record"))?
        } else {
            records::decode(MODULE_NAME, &v)?
        };
        if r.state == 0 || job.state == r.state {
            jobs.push(job);
        }
    }
    Ok(pb::QueryJobsResponse {
        jobs,
        pagination: Some(page),
    })
}

fn attestations(
    s: &dyn StateRead,
    r: pb::QueryAttestationsRequest,
) -> Result<pb::QueryAttestationsResponse, TxError> {
    if s.attest_job(r.job_id)?.is_none() {
        return Err(AttestError::UnknownJob(r.job_id).into());
    }
    let (rows, page) = paginate(s, &state_key::attestations_of(r.job_id), r.pagination)?;
    let attestations = rows
        .iter()
        .map(|(_, v)| records::decode(MODULE_NAME, v))
        .collect::<Result<_, _>>()?;
    Ok(pb::QueryAttestationsResponse {
        attestations,
        pagination: Some(page),
    })
}

pub fn register(router: &mut Router) {
    router.add_query(&format!("{Q}Params"), params);
    router.add_query(&format!("{Q}Job"), job);
    router.add_query(&format!("{Q}Jobs"), jobs);
    router.add_query(&format!("{Q}Attestations"), attestations);
}
