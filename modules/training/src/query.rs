//! training's gRPC queries, registered by their method paths. Lists are paginated where the
//! request has pagination, otherwise bounded by max_neurons (or MAX_UNBONDING_QUERY).

use deai_framework::keys::prefix_end;
use deai_framework::pagination::paginate;
use deai_framework::query::parse_address as parse;
use deai_framework::{sdk, Router, StateRead, TxError};
use deai_proto::training::v1 as pb;

use crate::keeper::{decode, TrainingRead, MAX_UNBONDING_QUERY};
use crate::{lineage, state_key};

pub fn register(router: &mut Router) {
    router.add_query("/deai.training.v1.Query/Params", params);
    router.add_query("/deai.training.v1.Query/Task", task);
    router.add_query("/deai.training.v1.Query/Tasks", tasks);
    router.add_query("/deai.training.v1.Query/Neurons", neurons);
    router.add_query("/deai.training.v1.Query/Neuron", neuron);
    router.add_query("/deai.training.v1.Query/Round", round);
    router.add_query("/deai.training.v1.Query/Weights", weights);
    router.add_query("/deai.training.v1.Query/Incentives", incentives);
    router.add_query("/deai.training.v1.Query/Lineage", lineage_links);
    router.add_query("/deai.training.v1.Query/Bonds", bonds);
    router.add_query("/deai.training.v1.Query/Audits", audits);
    router.add_query("/deai.training.v1.Query/Unbonding", unbonding);
}

fn load_task(s: &dyn StateRead, id: u64) -> Result<pb::Task, TxError> {
    s.get_task_with_spec(id)?
        .ok_or_else(|| sdk::key_not_found(format!("task {id} not found")))
}

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.training_params()?.to_proto()),
        authority: deai_framework::authority::get(s, &state_key::authority())?.to_bech32(),
    })
}

fn task(s: &dyn StateRead, req: pb::QueryTaskRequest) -> Result<pb::QueryTaskResponse, TxError> {
    Ok(pb::QueryTaskResponse {
        task: Some(load_task(s, req.id)?),
    })
}

fn tasks(s: &dyn StateRead, req: pb::QueryTasksRequest) -> Result<pb::QueryTasksResponse, TxError> {
    let (entries, page) = paginate(s, &state_key::tasks(), req.pagination)?;
    let tasks = entries
        .iter()
        .map(|(_, v)| decode(v).and_then(|t| s.with_spec(t)))
        .collect::<Result<_, _>>()?;
    Ok(pb::QueryTasksResponse {
        tasks,
        pagination: Some(page),
    })
}

fn neurons(
    s: &dyn StateRead,
    req: pb::QueryNeuronsRequest,
) -> Result<pb::QueryNeuronsResponse, TxError> {
    let (entries, page) = paginate(s, &state_key::neurons_of(req.task_id), req.pagination)?;
    Ok(pb::QueryNeuronsResponse {
        neurons: entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_, _>>()?,
        pagination: Some(page),
    })
}

fn neuron(
    s: &dyn StateRead,
    req: pb::QueryNeuronRequest,
) -> Result<pb::QueryNeuronResponse, TxError> {
    let owner = parse(&req.owner)?;
    let n = s.neuron_of(req.task_id, &owner)?.ok_or_else(|| {
        sdk::key_not_found(format!(
            "{} is not registered in task {}",
            req.owner, req.task_id
        ))
    })?;
    Ok(pb::QueryNeuronResponse { neuron: Some(n) })
}

fn round(s: &dyn StateRead, req: pb::QueryRoundRequest) -> Result<pb::QueryRoundResponse, TxError> {
    let r = s.get_round(req.task_id, req.round)?.ok_or_else(|| {
        sdk::key_not_found(format!(
            "round {} of task {} not found",
            req.round, req.task_id
        ))
    })?;
    Ok(pb::QueryRoundResponse {
        round: Some(r),
        updates: s.updates_of(req.task_id, req.round)?,
    })
}

fn weights(
    s: &dyn StateRead,
    req: pb::QueryWeightsRequest,
) -> Result<pb::QueryWeightsResponse, TxError> {
    Ok(pb::QueryWeightsResponse {
        weights: s.weights_of(req.task_id, req.round)?,
    })
}

fn incentives(
    s: &dyn StateRead,
    req: pb::QueryIncentivesRequest,
) -> Result<pb::QueryIncentivesResponse, TxError> {
    let e = s.get_epoch(req.task_id, req.round)?.ok_or_else(|| {
        sdk::key_not_found(format!(
            "round {} of task {} has no epoch yet",
            req.round, req.task_id
        ))
    })?;
    Ok(pb::QueryIncentivesResponse { result: Some(e) })
}

fn lineage_links(
    s: &dyn StateRead,
    req: pb::QueryLineageRequest,
) -> Result<pb::QueryLineageResponse, TxError> {
    let t = s
        .get_task(req.task_id)?
        .ok_or_else(|| sdk::key_not_found(format!("task {} not found", req.task_id)))?;
    let spec = t.spec.unwrap_or_default();
    let (entries, page) = paginate(s, &state_key::lineage_of(req.task_id), req.pagination)?;
    let mut rounds = Vec::with_capacity(entries.len());
    for (k, _) in &entries {
        let r = state_key::trailing_id(k).ok_or_else(|| sdk::internal("corrupt lineage index"))?;
        rounds.push(
            s.get_round(req.task_id, r)?
                .ok_or_else(|| sdk::internal(format!("lineage index names missing round {r}")))?,
        );
    }
    Ok(pb::QueryLineageResponse {
        genesis: lineage::genesis(t.id, &spec.base_spec_sha256, &spec.dataset_sha256).to_vec(),
        rounds,
        pagination: Some(page),
    })
}

fn bonds(s: &dyn StateRead, req: pb::QueryBondsRequest) -> Result<pb::QueryBondsResponse, TxError> {
    Ok(pb::QueryBondsResponse {
        bonds: s.bonds_of(req.task_id)?,
    })
}

/// A task's audits by id, optionally only those of one referee.
fn audits(
    s: &dyn StateRead,
    req: pb::QueryAuditsRequest,
) -> Result<pb::QueryAuditsResponse, TxError> {
    let prefix = if req.referee.is_empty() {
        state_key::audits_by_task(req.task_id)
    } else {
        state_key::audits_by_referee(req.task_id, &parse(&req.referee)?)
    };
    let (entries, page) = paginate(s, &prefix, req.pagination)?;
    let mut audits = Vec::with_capacity(entries.len());
    for (k, _) in &entries {
        let id = state_key::trailing_id(k).ok_or_else(|| sdk::internal("corrupt audit index"))?;
        audits.push(
            s.get_audit(id)?
                .ok_or_else(|| sdk::internal(format!("audit index names missing audit {id}")))?,
        );
    }
    Ok(pb::QueryAuditsResponse {
        audits,
        pagination: Some(page),
    })
}

/// An owner's unbonding entries in every task, by id (at most MAX_UNBONDING_QUERY).
fn unbonding(
    s: &dyn StateRead,
    req: pb::QueryUnbondingRequest,
) -> Result<pb::QueryUnbondingResponse, TxError> {
    let owner = parse(&req.owner)?;
    let prefix = state_key::unbondings_by_owner(&owner);
    let end = prefix_end(&prefix);
    let mut entries = Vec::new();
    for (k, _) in s.scan(&prefix, end.as_deref(), false, MAX_UNBONDING_QUERY)? {
        let id = state_key::trailing_id(&k).ok_or_else(|| sdk::internal("corrupt index"))?;
        entries.push(
            s.get_unbonding(id)?
                .ok_or_else(|| sdk::internal(format!("index names missing unbonding {id}")))?,
        );
    }
    Ok(pb::QueryUnbondingResponse { entries })
}
