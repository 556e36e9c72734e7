//! Listings: created by a model's owner in deai (checked by custom query), updated by the seller.

use cosmwasm_std::{Addr, Deps, DepsMut, Env, MessageInfo, Response, Uint128};

use crate::deai::{self, DeaiQuery, InferenceModel};
use crate::error::ContractError;
use crate::msg::ContributorMsg;
use crate::state::{
    Contributor, Listing, ListingStats, CONFIG, LAST_LISTING_ID, LISTINGS, LISTING_BY_MODEL,
};
use crate::validate;

pub const MAX_CONTRIBUTORS: usize = 20;
pub const MAX_TITLE: usize = 128;

/// The model as deai reports it, checked to exist, be active and be owned by `owner`.
pub(crate) fn owned_model(
    deps: Deps<DeaiQuery>,
    model_id: u64,
    owner: &Addr,
) -> Result<InferenceModel, ContractError> {
    let model = deai::inference_model(&deps.querier, model_id)
        .map_err(|e| ContractError::DeaiQuery(e.to_string()))?
        .ok_or(ContractError::ModelNotFound(model_id))?;
    if !model.active {
        return Err(ContractError::ModelInactive(model_id));
    }
    if model.owner != owner.as_str() {
        return Err(ContractError::NotModelOwner(model_id));
    }
    Ok(model)
}

fn contributors(
    deps: Deps<DeaiQuery>,
    list: Vec<ContributorMsg>,
) -> Result<Vec<Contributor>, ContractError> {
    if list.is_empty() || list.len() > MAX_CONTRIBUTORS {
        return Err(ContractError::invalid(
            "contributors",
            format!("must list 1..={MAX_CONTRIBUTORS}"),
        ));
    }
    let mut out: Vec<Contributor> = Vec::with_capacity(list.len());
    let mut total: u32 = 0;
    for c in list {
        let address = deps
            .api
            .addr_validate(&c.address)
            .map_err(|e| ContractError::invalid("contributors", format!("{}: {e}", c.address)))?;
        if c.share_bps == 0 {
            return Err(ContractError::invalid(
                "contributors",
                format!("{address} has a zero share"),
            ));
        }
        if out.iter().any(|o| o.address == address) {
            return Err(ContractError::invalid(
                "contributors",
                format!("{address} is listed twice"),
            ));
        }
        total += u32::from(c.share_bps);
        out.push(Contributor {
            address,
            share_bps: c.share_bps,
        });
    }
    if total != 10_000 {
        return Err(ContractError::invalid(
            "contributors",
            format!("shares sum to {total} bps, not 10000"),
        ));
    }
    Ok(out)
}

fn price(field: &'static str, p: Option<Uint128>) -> Result<Option<Uint128>, ContractError> {
    if let Some(v) = p {
        validate::positive(field, v)?;
    }
    Ok(p)
}

#[allow(clippy::too_many_arguments)]
pub fn create(
    deps: DepsMut<DeaiQuery>,
    env: Env,
    info: MessageInfo,
    model_id: u64,
    title: String,
    uri: String,
    per_use_price: Option<Uint128>,
    perpetual_price: Option<Uint128>,
    contributor_list: Vec<ContributorMsg>,
    training_task: Option<u64>,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    validate::text("title", &title, MAX_TITLE)?;
    validate::token("uri", &uri, validate::MAX_URI)?;
    let per_use_price = price("per_use_price", per_use_price)?;
    let perpetual_price = price("perpetual_price", perpetual_price)?;
    if per_use_price.is_none() && perpetual_price.is_none() {
        return Err(ContractError::invalid(
            "price",
            "set a per-use price, a perpetual price, or both",
        ));
    }
    let contributors = contributors(deps.as_ref(), contributor_list)?;
    if let Some(listing_id) = LISTING_BY_MODEL.may_load(deps.storage, model_id)? {
        return Err(ContractError::ModelAlreadyListed {
            model_id,
            listing_id,
        });
    }
    let model = owned_model(deps.as_ref(), model_id, &info.sender)?;
    if model.eval_score_bps < config.min_eval_score_bps {
        return Err(ContractError::EvalScoreTooLow {
            model_id,
            score: model.eval_score_bps,
            min: config.min_eval_score_bps,
        });
    }
    if let Some(task) = training_task {
        let lineage = deai::training_lineage(&deps.querier, task)
            .map_err(|e| ContractError::DeaiQuery(e.to_string()))?
            .ok_or(ContractError::LineageNotFound(task))?;
        if lineage.head_weights_sha256.as_deref() != Some(model.weights_sha256.as_str()) {
            return Err(ContractError::LineageMismatch { task, model_id });
        }
    }
    let id = LAST_LISTING_ID
        .load(deps.storage)?
        .checked_add(1)
        .ok_or_else(|| ContractError::invalid("listing_id", "ids exhausted"))?;
    LAST_LISTING_ID.save(deps.storage, &id)?;
    let listing = Listing {
        id,
        model_id,
        seller: info.sender.clone(),
        title,
        uri,
        per_use_price,
        perpetual_price,
        contributors,
        training_task,
        active: true,
        created_at: env.block.height,
        stats: ListingStats::default(),
    };
    LISTINGS.save(deps.storage, id, &listing)?;
    LISTING_BY_MODEL.save(deps.storage, model_id, &id)?;
    Ok(Response::new()
        .add_attribute("action", "create_listing")
        .add_attribute("listing_id", id.to_string())
        .add_attribute("model_id", model_id.to_string())
        .add_attribute("seller", info.sender))
}

pub fn update(
    deps: DepsMut<DeaiQuery>,
    info: MessageInfo,
    listing_id: u64,
    per_use_price: Option<Uint128>,
    perpetual_price: Option<Uint128>,
    active: Option<bool>,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let mut listing = LISTINGS
        .may_load(deps.storage, listing_id)?
        .ok_or(ContractError::ListingNotFound(listing_id))?;
    if listing.seller != info.sender {
        return Err(ContractError::Unauthorized("the seller"));
    }
    if per_use_price.is_none() && perpetual_price.is_none() && active.is_none() {
        return Err(ContractError::invalid("update", "nothing to update"));
    }
    // Some(0) withdraws that kind of licence.
    if let Some(p) = per_use_price {
        listing.per_use_price = (!p.is_zero()).then_some(p);
    }
    if let Some(p) = perpetual_price {
        listing.perpetual_price = (!p.is_zero()).then_some(p);
    }
    if listing.per_use_price.is_none() && listing.perpetual_price.is_none() {
        return Err(ContractError::invalid(
            "price",
            "a listing keeps at least one price",
        ));
    }
    if let Some(a) = active {
        listing.active = a;
    }
    LISTINGS.save(deps.storage, listing_id, &listing)?;
    Ok(Response::new()
        .add_attribute("action", "update_listing")
        .add_attribute("listing_id", listing_id.to_string()))
}
