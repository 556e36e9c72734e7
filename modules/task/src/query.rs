//! task's gRPC queries, registered by their method paths (`/deai.task.v1.Query/...`).
//! Lists are paginated (deai_framework::pagination).

use deai_attest::{AttestRead, MAX_ATTESTATIONS};
use deai_framework::pagination::paginate;
use deai_framework::{records, sdk, Router, StateRead, TxError};
use deai_proto::task::v1 as pb;

use crate::keeper::TaskRead;
use crate::{state_key, MODULE_NAME};

pub fn register(router: &mut Router) {
    router.add_query("/deai.task.v1.Query/Params", params);
    router.add_query("/deai.task.v1.Query/Task", task);
    router.add_query("/deai.task.v1.Query/Tasks", tasks);
    router.add_query("/deai.task.v1.Query/Votes", votes);
    router.add_query("/deai.task.v1.Query/Deposits", deposits);
    router.add_query("/deai.task.v1.Query/Attestations", attestations);
}

fn load_task(s: &dyn StateRead, id: u64) -> Result<pb::Task, TxError> {
    s.task_full(id)?
        .ok_or_else(|| sdk::key_not_found(format!("task {id} not found")))
}

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.task_params()?.to_proto()),
        authority: deai_framework::authority::get(s, &state_key::authority())?.to_bech32(),
    })
}

fn task(s: &dyn StateRead, req: pb::QueryTaskRequest) -> Result<pb::QueryTaskResponse, TxError> {
    Ok(pb::QueryTaskResponse {
        task: Some(load_task(s, req.id)?),
    })
}

/// Tasks without their content, all or of one state.
fn tasks(s: &dyn StateRead, req: pb::QueryTasksRequest) -> Result<pb::QueryTasksResponse, TxError> {
    if pb::TaskState::try_from(req.state).is_err() {
        return Err(sdk::invalid_request(format!(
            "unknown task state {}",
            req.state
        )));
    }
    let tasks = if req.state == pb::TaskState::Unspecified as i32 {
        let (entries, page) = paginate(s, &state_key::tasks(), req.pagination)?;
        let tasks = entries
            .iter()
            .map(|(_, v)| records::decode(MODULE_NAME, v))
            .collect::<Result<_, _>>()?;
        (tasks, page)
    } else {
        let (entries, page) = paginate(s, &state_key::by_state_prefix(req.state), req.pagination)?;
        let tasks = entries
            .iter()
            .map(|(k, _)| {
                let id = deai_framework::keys::trailing_id(k)
                    .ok_or_else(|| sdk::internal("corrupt task state index"))?;
                s.task_record(id)?
                    .ok_or_else(|| sdk::internal(format!("task index names missing task {id}")))
            })
            .collect::<Result<_, _>>()?;
        (tasks, page)
    };
    Ok(pb::QueryTasksResponse {
        tasks: tasks.0,
        pagination: Some(tasks.1),
    })
}

fn votes(s: &dyn StateRead, req: pb::QueryVotesRequest) -> Result<pb::QueryVotesResponse, TxError> {
    let (entries, page) = paginate(s, &state_key::votes_of(req.task_id), req.pagination)?;
    Ok(pb::QueryVotesResponse {
        votes: entries
            .iter()
            .map(|(_, v)| records::decode(MODULE_NAME, v))
            .collect::<Result<_, _>>()?,
        pagination: Some(page),
    })
}

fn deposits(
    s: &dyn StateRead,
    req: pb::QueryDepositsRequest,
) -> Result<pb::QueryDepositsResponse, TxError> {
    let (entries, page) = paginate(s, &state_key::deposits_of(req.task_id), req.pagination)?;
    Ok(pb::QueryDepositsResponse {
        deposits: entries
            .iter()
            .map(|(_, v)| records::decode(MODULE_NAME, v))
            .collect::<Result<_, _>>()?,
        pagination: Some(page),
    })
}

/// The task's code-check job and its attestations, read from the attest module.
fn attestations(
    s: &dyn StateRead,
    req: pb::QueryAttestationsRequest,
) -> Result<pb::QueryAttestationsResponse, TxError> {
    let t = s
        .task_record(req.task_id)?
        .ok_or_else(|| sdk::key_not_found(format!("task {} not found", req.task_id)))?;
    if t.attest_job_id == 0 {
        return Ok(pb::QueryAttestationsResponse::default());
    }
    Ok(pb::QueryAttestationsResponse {
        job: s.attest_job(t.attest_job_id)?,
        attestations: s.attestations(t.attest_job_id, MAX_ATTESTATIONS)?,
    })
}
