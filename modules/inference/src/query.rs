//! inference's gRPC queries, registered by their method paths.

use deai_framework::pagination::paginate;
use deai_framework::query::{by_ids, parse_address as parse};
use deai_framework::{sdk, Router, StateRead, TxError};
use deai_proto::inference::v1 as pb;

use crate::keeper::{decode, InferenceRead};
use crate::state_key;

pub fn register(router: &mut Router) {
    router.add_query("/deai.inference.v1.Query/Params", params);
    router.add_query("/deai.inference.v1.Query/Model", model);
    router.add_query("/deai.inference.v1.Query/Models", models);
    router.add_query("/deai.inference.v1.Query/Server", server);
    router.add_query("/deai.inference.v1.Query/Servers", servers);
    router.add_query("/deai.inference.v1.Query/Request", request);
    router.add_query("/deai.inference.v1.Query/Requests", requests);
    router.add_query("/deai.inference.v1.Query/Submissions", submissions);
    router.add_query("/deai.inference.v1.Query/Challenge", challenge);
    router.add_query("/deai.inference.v1.Query/Topic", topic);
    router.add_query("/deai.inference.v1.Query/Topics", topics);
    router.add_query(
        "/deai.inference.v1.Query/NetworkInference",
        network_inference,
    );
    router.add_query("/deai.inference.v1.Query/Scores", scores);
}

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.inference_params()?.to_proto()),
        authority: deai_framework::authority::get(s, &state_key::authority())?.to_bech32(),
    })
}

fn model(s: &dyn StateRead, req: pb::QueryModelRequest) -> Result<pb::QueryModelResponse, TxError> {
    let m = s
        .get_model_with_vk(req.id)?
        .ok_or_else(|| sdk::key_not_found(format!("model {} not found", req.id)))?;
    Ok(pb::QueryModelResponse { model: Some(m) })
}

/// All models, or those of one owner; by id, each with its verifying key.
fn models(
    s: &dyn StateRead,
    req: pb::QueryModelsRequest,
) -> Result<pb::QueryModelsResponse, TxError> {
    let models = if req.owner.is_empty() {
        let (entries, page) = paginate(s, &state_key::models(), req.pagination)?;
        let models = entries
            .iter()
            .map(|(_, v)| decode(v).and_then(|m| s.with_vk(m)))
            .collect::<Result<Vec<pb::Model>, _>>()?;
        (models, page)
    } else {
        let owner = parse(&req.owner)?;
        let (entries, page) = paginate(s, &state_key::models_by_owner(&owner), req.pagination)?;
        (by_ids(&entries, |id| s.get_model_with_vk(id))?, page)
    };
    Ok(pb::QueryModelsResponse {
        models: models.0,
        pagination: Some(models.1),
    })
}

fn server(
    s: &dyn StateRead,
    req: pb::QueryServerRequest,
) -> Result<pb::QueryServerResponse, TxError> {
    let addr = parse(&req.server)?;
    let srv = s.get_server(req.model_id, &addr)?.ok_or_else(|| {
        sdk::key_not_found(format!(
            "{} is not a server of model {}",
            req.server, req.model_id
        ))
    })?;
    Ok(pb::QueryServerResponse { server: Some(srv) })
}

fn servers(
    s: &dyn StateRead,
    req: pb::QueryServersRequest,
) -> Result<pb::QueryServersResponse, TxError> {
    let (entries, page) = paginate(s, &state_key::servers_of(req.model_id), req.pagination)?;
    Ok(pb::QueryServersResponse {
        servers: entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_, _>>()?,
        pagination: Some(page),
    })
}

fn request(
    s: &dyn StateRead,
    req: pb::QueryRequestRequest,
) -> Result<pb::QueryRequestResponse, TxError> {
    let r = s
        .get_request(req.id)?
        .ok_or_else(|| sdk::key_not_found(format!("request {} not found", req.id)))?;
    Ok(pb::QueryRequestResponse { request: Some(r) })
}

/// Requests by id: all, those of one requester, or those assigned to one server.
fn requests(
    s: &dyn StateRead,
    req: pb::QueryRequestsRequest,
) -> Result<pb::QueryRequestsResponse, TxError> {
    let (requests, page) = match (req.requester.is_empty(), req.server.is_empty()) {
        (true, true) => {
            let (entries, page) = paginate(s, &state_key::requests(), req.pagination)?;
            let rs = entries
                .iter()
                .map(|(_, v)| decode(v))
                .collect::<Result<Vec<pb::Request>, _>>()?;
            (rs, page)
        }
        (false, true) => {
            let a = parse(&req.requester)?;
            let (entries, page) =
                paginate(s, &state_key::requests_by_requester(&a), req.pagination)?;
            (by_ids(&entries, |id| s.get_request(id))?, page)
        }
        (true, false) => {
            let a = parse(&req.server)?;
            let (entries, page) = paginate(s, &state_key::requests_by_server(&a), req.pagination)?;
            (by_ids(&entries, |id| s.get_request(id))?, page)
        }
        (false, false) => {
            return Err(sdk::invalid_request(
                "filter requests by requester or by server, not both",
            ))
        }
    };
    Ok(pb::QueryRequestsResponse {
        requests,
        pagination: Some(page),
    })
}

fn submissions(
    s: &dyn StateRead,
    req: pb::QuerySubmissionsRequest,
) -> Result<pb::QuerySubmissionsResponse, TxError> {
    let (entries, page) = paginate(
        s,
        &state_key::submissions_of(req.request_id),
        req.pagination,
    )?;
    Ok(pb::QuerySubmissionsResponse {
        submissions: entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_, _>>()?,
        pagination: Some(page),
    })
}

/// The challenge of an optimistic request, or the dispute of a redundant tie (no
/// challenger, no bond).
fn challenge(
    s: &dyn StateRead,
    req: pb::QueryChallengeRequest,
) -> Result<pb::QueryChallengeResponse, TxError> {
    let c = s.get_challenge(req.request_id)?.ok_or_else(|| {
        sdk::key_not_found(format!("request {} has no challenge", req.request_id))
    })?;
    Ok(pb::QueryChallengeResponse { challenge: Some(c) })
}

fn topic(s: &dyn StateRead, req: pb::QueryTopicRequest) -> Result<pb::QueryTopicResponse, TxError> {
    let t = s
        .get_topic(req.id)?
        .ok_or_else(|| sdk::key_not_found(format!("topic {} not found", req.id)))?;
    Ok(pb::QueryTopicResponse { topic: Some(t) })
}

/// Topics by id.
fn topics(
    s: &dyn StateRead,
    req: pb::QueryTopicsRequest,
) -> Result<pb::QueryTopicsResponse, TxError> {
    let (entries, page) = paginate(s, &state_key::topics(), req.pagination)?;
    Ok(pb::QueryTopicsResponse {
        topics: entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_, _>>()?,
        pagination: Some(page),
    })
}

/// The result of a settled epoch: `epoch`, or the latest settled one when 0. Not found when
/// the topic does not exist, when nothing is settled yet, or when that epoch had no result
/// (no inference or no report).
fn result(s: &dyn StateRead, topic_id: u64, epoch: u64) -> Result<pb::EpochResult, TxError> {
    let t = s
        .get_topic(topic_id)?
        .ok_or_else(|| sdk::key_not_found(format!("topic {topic_id} not found")))?;
    let e = if epoch == 0 {
        // The latest stored result: the last key under the topic's results.
        let prefix = [state_key::epoch_results(), topic_id.to_be_bytes().to_vec()].concat();
        let end = deai_framework::keys::prefix_end(&prefix);
        let last = s.scan(&prefix, end.as_deref(), true, 1)?;
        match last.first() {
            Some((k, _)) => {
                state_key::trailing_id(k).ok_or_else(|| sdk::internal("corrupt result key"))?
            }
            None => {
                return Err(sdk::key_not_found(format!(
                    "topic {topic_id} has no settled epoch (last settled: {})",
                    t.last_settled_epoch
                )))
            }
        }
    } else {
        epoch
    };
    s.get_epoch_result(topic_id, e)?
        .ok_or_else(|| sdk::key_not_found(format!("topic {topic_id} has no result for epoch {e}")))
}

/// The settled network inference of an epoch (0: the latest settled). For an epoch not
/// settled yet that has inferences, the live value: the score-weighted mean of its
/// inferences with the workers' current scores (floored), and consensus_truth 0. It is
/// provisional: settlement uses the scores of its own time.
fn network_inference(
    s: &dyn StateRead,
    req: pb::QueryNetworkInferenceRequest,
) -> Result<pb::QueryNetworkInferenceResponse, TxError> {
    if req.epoch != 0 && s.get_epoch_result(req.topic_id, req.epoch)?.is_none() {
        let infs: Vec<pb::TopicInference> = s.records_under(
            &state_key::topic_inferences_of(req.topic_id, req.epoch),
            crate::params::MAX_TOPIC_WORKERS as usize,
        )?;
        if !infs.is_empty() {
            let mut values = Vec::with_capacity(infs.len());
            let mut scores = Vec::with_capacity(infs.len());
            for i in &infs {
                let a = crate::keeper::stored_addr(&i.worker)?;
                let w = s
                    .get_topic_worker(req.topic_id, &a)?
                    .ok_or_else(|| sdk::internal("inference of an unknown worker"))?;
                values.push(i.value);
                scores.push(
                    crate::fx::Fx::parse(&w.score)
                        .map_err(|e| sdk::internal(format!("corrupt score: {e}")))?,
                );
            }
            let n = crate::topic_math::weighted_inference(&values, &scores)
                .ok_or_else(|| sdk::internal("no weight"))?;
            return Ok(pb::QueryNetworkInferenceResponse {
                epoch: req.epoch,
                network_inference: i64::try_from(n.floor()).unwrap_or(i64::MAX),
                consensus_truth: 0,
            });
        }
    }
    let r = result(s, req.topic_id, req.epoch)?;
    Ok(pb::QueryNetworkInferenceResponse {
        epoch: r.epoch,
        network_inference: r.network_inference,
        consensus_truth: r.consensus_truth,
    })
}

fn scores(
    s: &dyn StateRead,
    req: pb::QueryScoresRequest,
) -> Result<pb::QueryScoresResponse, TxError> {
    Ok(pb::QueryScoresResponse {
        result: Some(result(s, req.topic_id, req.epoch)?),
    })
}
