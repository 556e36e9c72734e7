//! compute's gRPC queries, registered by their method paths.

use deai_framework::pagination::paginate;
use deai_framework::query::{by_ids, parse_address as parse};
use deai_framework::{sdk, Router, StateRead, TxError};
use deai_proto::compute::v1 as pb;

use crate::keeper::{decode, ComputeRead};
use crate::state_key;

pub fn register(router: &mut Router) {
    router.add_query("/deai.compute.v1.Query/Params", params);
    router.add_query("/deai.compute.v1.Query/Provider", provider);
    router.add_query("/deai.compute.v1.Query/Providers", providers);
    router.add_query("/deai.compute.v1.Query/Order", order);
    router.add_query("/deai.compute.v1.Query/Orders", orders);
    router.add_query("/deai.compute.v1.Query/EscrowAccount", escrow_account);
    router.add_query("/deai.compute.v1.Query/Bids", bids);
    router.add_query("/deai.compute.v1.Query/Lease", lease);
    router.add_query("/deai.compute.v1.Query/LeasesByOrder", leases_by_order);
    router.add_query("/deai.compute.v1.Query/Results", results);
    router.add_query("/deai.compute.v1.Query/Audits", audits);
    router.add_query(
        "/deai.compute.v1.Query/LeasesByProvider",
        leases_by_provider,
    );
}

/// The bids of one order, by id.
fn bids(s: &dyn StateRead, req: pb::QueryBidsRequest) -> Result<pb::QueryBidsResponse, TxError> {
    let (entries, page) = paginate(s, &state_key::bids_by_order(req.order_id), req.pagination)?;
    Ok(pb::QueryBidsResponse {
        bids: by_ids(&entries, |id| s.get_bid(id))?,
        pagination: Some(page),
    })
}

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.compute_params()?.to_proto()),
        authority: deai_framework::authority::get(s, &state_key::authority())?.to_bech32(),
    })
}

fn provider(
    s: &dyn StateRead,
    req: pb::QueryProviderRequest,
) -> Result<pb::QueryProviderResponse, TxError> {
    let owner = parse(&req.owner)?;
    let p = s
        .get_provider(&owner)?
        .ok_or_else(|| sdk::key_not_found(format!("provider {} not found", req.owner)))?;
    Ok(pb::QueryProviderResponse {
        provider: Some(p),
        signed_attributes: s.signed_attributes_of(&owner)?,
    })
}

fn providers(
    s: &dyn StateRead,
    req: pb::QueryProvidersRequest,
) -> Result<pb::QueryProvidersResponse, TxError> {
    let (entries, page) = paginate(s, &state_key::providers(), req.pagination)?;
    Ok(pb::QueryProvidersResponse {
        providers: entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_, _>>()?,
        pagination: Some(page),
    })
}

fn order(s: &dyn StateRead, req: pb::QueryOrderRequest) -> Result<pb::QueryOrderResponse, TxError> {
    let o = s
        .get_order_with_spec(req.id)?
        .ok_or_else(|| sdk::key_not_found(format!("order {} not found", req.id)))?;
    Ok(pb::QueryOrderResponse { order: Some(o) })
}

/// All orders, or those of one owner, in one state, or both; by id.
fn orders(
    s: &dyn StateRead,
    req: pb::QueryOrdersRequest,
) -> Result<pb::QueryOrdersResponse, TxError> {
    if pb::OrderState::try_from(req.state).is_err() {
        return Err(sdk::invalid_request(format!(
            "unknown order state {}",
            req.state
        )));
    }
    let owner = if req.owner.is_empty() {
        None
    } else {
        Some(parse(&req.owner)?)
    };
    let by_state = req.state != pb::OrderState::Unspecified as i32;
    let prefix = match (&owner, by_state) {
        (None, false) => state_key::orders(),
        (Some(o), false) => state_key::orders_by_owner(o),
        (None, true) => state_key::orders_by_state(req.state),
        (Some(o), true) => state_key::orders_by_owner_state(o, req.state),
    };
    let (entries, page) = paginate(s, &prefix, req.pagination)?;
    let orders =
        if owner.is_none() && !by_state {
            entries
                .iter()
                .map(|(_, v)| decode(v).and_then(|o| s.with_spec(o)))
                .collect::<Result<Vec<pb::Order>, _>>()?
        } else {
            let mut out = Vec::with_capacity(entries.len());
            for (k, _) in &entries {
                let id = state_key::trailing_id(k)
                    .ok_or_else(|| sdk::internal("corrupt order index"))?;
                out.push(s.get_order_with_spec(id)?.ok_or_else(|| {
                    sdk::internal(format!("order index names missing order {id}"))
                })?);
            }
            out
        };
    Ok(pb::QueryOrdersResponse {
        orders,
        pagination: Some(page),
    })
}

fn escrow_account(
    s: &dyn StateRead,
    req: pb::QueryEscrowAccountRequest,
) -> Result<pb::QueryEscrowAccountResponse, TxError> {
    let e = s.get_escrow(req.order_id)?.ok_or_else(|| {
        sdk::key_not_found(format!(
            "escrow account of order {} not found",
            req.order_id
        ))
    })?;
    Ok(pb::QueryEscrowAccountResponse { account: Some(e) })
}

fn lease(s: &dyn StateRead, req: pb::QueryLeaseRequest) -> Result<pb::QueryLeaseResponse, TxError> {
    let l = s
        .get_lease(req.id)?
        .ok_or_else(|| sdk::key_not_found(format!("lease {} not found", req.id)))?;
    Ok(pb::QueryLeaseResponse { lease: Some(l) })
}

/// The leases of one order, by id.
fn leases_by_order(
    s: &dyn StateRead,
    req: pb::QueryLeasesByOrderRequest,
) -> Result<pb::QueryLeasesResponse, TxError> {
    let (entries, page) = paginate(s, &state_key::leases_by_order(req.order_id), req.pagination)?;
    Ok(pb::QueryLeasesResponse {
        leases: by_ids(&entries, |id| s.get_lease(id))?,
        pagination: Some(page),
    })
}

/// The leases of one provider, optionally in one state, by id.
fn leases_by_provider(
    s: &dyn StateRead,
    req: pb::QueryLeasesByProviderRequest,
) -> Result<pb::QueryLeasesResponse, TxError> {
    if pb::LeaseState::try_from(req.state).is_err() {
        return Err(sdk::invalid_request(format!(
            "unknown lease state {}",
            req.state
        )));
    }
    let provider = parse(&req.provider)?;
    let prefix = if req.state == pb::LeaseState::Unspecified as i32 {
        state_key::leases_by_provider(&provider)
    } else {
        state_key::leases_by_provider_state(&provider, req.state)
    };
    let (entries, page) = paginate(s, &prefix, req.pagination)?;
    Ok(pb::QueryLeasesResponse {
        leases: by_ids(&entries, |id| s.get_lease(id))?,
        pagination: Some(page),
    })
}

/// The results of one order, by lease id.
fn results(
    s: &dyn StateRead,
    req: pb::QueryResultsRequest,
) -> Result<pb::QueryResultsResponse, TxError> {
    let (entries, page) = paginate(
        s,
        &state_key::results_of_order(req.order_id),
        req.pagination,
    )?;
    let results = entries
        .iter()
        .map(|(_, v)| crate::keeper::decode(v))
        .collect::<Result<Vec<pb::Result>, TxError>>()?;
    Ok(pb::QueryResultsResponse {
        results,
        pagination: Some(page),
    })
}

/// Audits, by id: all of them, those of one order, or those of one referee (not both).
fn audits(
    s: &dyn StateRead,
    req: pb::QueryAuditsRequest,
) -> Result<pb::QueryAuditsResponse, TxError> {
    let (entries, page, indexed) = match (req.order_id, req.verifier.is_empty()) {
        (0, true) => {
            let (e, p) = paginate(s, &state_key::audits(), req.pagination)?;
            (e, p, false)
        }
        (id, true) => {
            let (e, p) = paginate(s, &state_key::audits_by_order(id), req.pagination)?;
            (e, p, true)
        }
        (0, false) => {
            let v = parse(&req.verifier)?;
            let (e, p) = paginate(s, &state_key::audits_by_verifier(&v), req.pagination)?;
            (e, p, true)
        }
        _ => {
            return Err(sdk::invalid_request(
                "filter audits by order_id or by verifier, not both",
            ))
        }
    };
    let audits = if indexed {
        by_ids(&entries, |id| s.get_audit(id))?
    } else {
        entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_, _>>()?
    };
    Ok(pb::QueryAuditsResponse {
        audits,
        pagination: Some(page),
    })
}
