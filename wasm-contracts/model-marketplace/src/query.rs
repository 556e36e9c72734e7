use cosmwasm_std::{Deps, Order, StdResult};
use cw_storage_plus::Bound;

use crate::deai::{self, DeaiQuery};
use crate::error::ContractError;
use crate::execute_licences::price_of;
use crate::msg::{ListingsResponse, RankingResponse};
use crate::ranking::{self, FORMULA};
use crate::royalty::{self, Split};
use crate::state::{LicenceKind, Listing, Token, CONFIG, LISTINGS, LISTING_BY_MODEL, TOKENS};

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 30;

pub fn listing(deps: Deps<DeaiQuery>, listing_id: u64) -> Result<Listing, ContractError> {
    LISTINGS
        .may_load(deps.storage, listing_id)?
        .ok_or(ContractError::ListingNotFound(listing_id))
}

pub fn listings(
    deps: Deps<DeaiQuery>,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> Result<ListingsResponse, ContractError> {
    let listings = LISTINGS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize)
        .map(|r| r.map(|(_, l)| l))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(ListingsResponse { listings })
}

pub fn listing_by_model(deps: Deps<DeaiQuery>, model_id: u64) -> Result<Listing, ContractError> {
    let id = LISTING_BY_MODEL
        .may_load(deps.storage, model_id)?
        .ok_or(ContractError::ModelNotListed(model_id))?;
    listing(deps, id)
}

pub fn licence(deps: Deps<DeaiQuery>, token_id: String) -> Result<Token, ContractError> {
    TOKENS
        .may_load(deps.storage, &token_id)?
        .ok_or(ContractError::TokenNotFound(token_id))
}

pub fn quote_split(
    deps: Deps<DeaiQuery>,
    listing_id: u64,
    kind: LicenceKind,
    uses: Option<u64>,
) -> Result<Split, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let l = listing(deps, listing_id)?;
    let (price, _) = price_of(&l, &kind, uses)?;
    royalty::split(
        price,
        config.fee_bps,
        &config.fee_collector,
        &l.contributors,
        &l.seller,
    )
}

pub fn ranking(deps: Deps<DeaiQuery>, model_id: u64) -> Result<RankingResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let l = listing_by_model(deps, model_id)?;
    let model = deai::inference_model(&deps.querier, model_id)
        .map_err(|e| ContractError::DeaiQuery(e.to_string()))?
        .ok_or(ContractError::ModelNotFound(model_id))?;
    let usage = l.stats.licences_sold.saturating_add(l.stats.uses_consumed);
    let t = ranking::score(
        &config.ranking_weights,
        model.eval_score_bps,
        usage,
        config.usage_half,
        l.stats.rating_sum,
        l.stats.rating_count,
    )?;
    Ok(RankingResponse {
        model_id,
        listing_id: l.id,
        score_bps: t.score_bps,
        eval_bps: t.eval_bps,
        usage,
        usage_bps: t.usage_bps,
        rating_count: l.stats.rating_count,
        rating_sum: l.stats.rating_sum,
        rating_bps: t.rating_bps,
        weights: config.ranking_weights,
        usage_half: config.usage_half,
        formula: FORMULA.to_string(),
    })
}
