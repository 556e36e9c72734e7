//! data's gRPC queries, registered by their method paths. Lists are paginated.

use deai_framework::pagination::paginate;
use deai_framework::query::{by_ids, parse_address as parse};
use deai_framework::{sdk, Router, StateRead, TxError};
use deai_proto::data::v1 as pb;

use crate::keeper::{decode, DataRead};
use crate::state_key;

pub fn register(router: &mut Router) {
    router.add_query("/deai.data.v1.Query/Params", params);
    router.add_query("/deai.data.v1.Query/Dataset", dataset);
    router.add_query("/deai.data.v1.Query/Datasets", datasets);
    router.add_query("/deai.data.v1.Query/Grant", grant);
    router.add_query("/deai.data.v1.Query/Grants", grants);
    router.add_query("/deai.data.v1.Query/Pool", pool);
    router.add_query("/deai.data.v1.Query/Contributions", contributions);
}

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.data_params()?.to_proto()),
        authority: deai_framework::authority::get(s, &state_key::authority())?.to_bech32(),
    })
}

fn dataset(
    s: &dyn StateRead,
    req: pb::QueryDatasetRequest,
) -> Result<pb::QueryDatasetResponse, TxError> {
    let d = s
        .get_dataset(req.id)?
        .ok_or_else(|| sdk::key_not_found(format!("dataset {} not found", req.id)))?;
    Ok(pb::QueryDatasetResponse { dataset: Some(d) })
}

/// Every dataset, or a publisher's.
fn datasets(
    s: &dyn StateRead,
    req: pb::QueryDatasetsRequest,
) -> Result<pb::QueryDatasetsResponse, TxError> {
    let (datasets, page) = if req.publisher.is_empty() {
        let (entries, page) = paginate(s, &state_key::datasets(), req.pagination)?;
        let ds = entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_, _>>()?;
        (ds, page)
    } else {
        let prefix = state_key::datasets_of_publisher(&parse(&req.publisher)?);
        let (entries, page) = paginate(s, &prefix, req.pagination)?;
        (by_ids(&entries, |id| s.get_dataset(id))?, page)
    };
    Ok(pb::QueryDatasetsResponse {
        datasets,
        pagination: Some(page),
    })
}

fn grant(s: &dyn StateRead, req: pb::QueryGrantRequest) -> Result<pb::QueryGrantResponse, TxError> {
    let g = s
        .get_grant(req.id)?
        .ok_or_else(|| sdk::key_not_found(format!("grant {} not found", req.id)))?;
    Ok(pb::QueryGrantResponse { grant: Some(g) })
}

/// A grantee's grants (of one dataset if `dataset_id` is set: filtered within the page), a
/// dataset's grants, or every grant.
fn grants(
    s: &dyn StateRead,
    req: pb::QueryGrantsRequest,
) -> Result<pb::QueryGrantsResponse, TxError> {
    let (grants, page) = if !req.grantee.is_empty() {
        let prefix = state_key::grants_of_grantee(&parse(&req.grantee)?);
        let (entries, page) = paginate(s, &prefix, req.pagination)?;
        let mut gs = by_ids(&entries, |id| s.get_grant(id))?;
        if req.dataset_id != 0 {
            gs.retain(|g| g.dataset_id == req.dataset_id);
        }
        (gs, page)
    } else if req.dataset_id != 0 {
        let prefix = state_key::grants_of_dataset(req.dataset_id);
        let (entries, page) = paginate(s, &prefix, req.pagination)?;
        (by_ids(&entries, |id| s.get_grant(id))?, page)
    } else {
        let (entries, page) = paginate(s, &state_key::grants(), req.pagination)?;
        let gs = entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_, _>>()?;
        (gs, page)
    };
    Ok(pb::QueryGrantsResponse {
        grants,
        pagination: Some(page),
    })
}

fn pool(s: &dyn StateRead, req: pb::QueryPoolRequest) -> Result<pb::QueryPoolResponse, TxError> {
    let p = s
        .get_pool(req.id)?
        .ok_or_else(|| sdk::key_not_found(format!("pool {} not found", req.id)))?;
    Ok(pb::QueryPoolResponse {
        validators: s.pool_validators_of(p.id)?,
        pool: Some(p),
    })
}

/// A pool's contributions (epoch by epoch) with their scores.
fn contributions(
    s: &dyn StateRead,
    req: pb::QueryContributionsRequest,
) -> Result<pb::QueryContributionsResponse, TxError> {
    if s.get_pool(req.pool_id)?.is_none() {
        return Err(sdk::key_not_found(format!(
            "pool {} not found",
            req.pool_id
        )));
    }
    let prefix = state_key::contributions_of_pool(req.pool_id);
    let (entries, page) = paginate(s, &prefix, req.pagination)?;
    let contributions = by_ids(&entries, |id| s.get_contribution(id))?;
    let mut scores = Vec::new();
    for c in &contributions {
        scores.extend(s.scores_of(c.id)?);
    }
    Ok(pb::QueryContributionsResponse {
        contributions,
        scores,
        pagination: Some(page),
    })
}
