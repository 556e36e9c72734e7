//! Entry points: instantiate, execute, query, migrate.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Response};

use crate::deai::DeaiQuery;
use crate::error::ContractError;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{
    Config, CONFIG, CONTRACT_NAME, CONTRACT_VERSION, LAST_LISTING_ID, LAST_TOKEN_ID, NUM_TOKENS,
    VERSION,
};
use crate::{cw721, execute_licences as licences, execute_listings as listings, query, validate};

pub const MAX_FEE_BPS: u16 = 1_000;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut<DeaiQuery>,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    validate::denom(&msg.denom)?;
    validate::text("name", &msg.name, validate::MAX_NAME)?;
    validate::token("symbol", &msg.symbol, 16)?;
    if msg.fee_bps > MAX_FEE_BPS {
        return Err(ContractError::invalid(
            "fee_bps",
            format!("must be 0..={MAX_FEE_BPS}"),
        ));
    }
    let fee_collector = deps
        .api
        .addr_validate(&msg.fee_collector)
        .map_err(|e| ContractError::invalid("fee_collector", e.to_string()))?;
    if msg.min_eval_score_bps > 10_000 {
        return Err(ContractError::invalid(
            "min_eval_score_bps",
            "must be 0..=10000",
        ));
    }
    if msg.ranking_weights.sum() != 10_000 {
        return Err(ContractError::invalid(
            "ranking_weights",
            "must sum to 10000",
        ));
    }
    if msg.usage_half == 0 {
        return Err(ContractError::invalid("usage_half", "must be at least 1"));
    }
    let config = Config {
        denom: msg.denom,
        name: msg.name,
        symbol: msg.symbol,
        fee_bps: msg.fee_bps,
        fee_collector,
        min_eval_score_bps: msg.min_eval_score_bps,
        ranking_weights: msg.ranking_weights,
        usage_half: msg.usage_half,
    };
    CONFIG.save(deps.storage, &config)?;
    VERSION.save(
        deps.storage,
        &(CONTRACT_NAME.to_string(), CONTRACT_VERSION.to_string()),
    )?;
    LAST_LISTING_ID.save(deps.storage, &0)?;
    LAST_TOKEN_ID.save(deps.storage, &0)?;
    NUM_TOKENS.save(deps.storage, &0)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("denom", config.denom)
        .add_attribute("fee_bps", config.fee_bps.to_string()))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut<DeaiQuery>,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::CreateListing {
            model_id,
            title,
            uri,
            per_use_price,
            perpetual_price,
            contributors,
            training_task,
        } => listings::create(
            deps,
            env,
            info,
            model_id,
            title,
            uri,
            per_use_price,
            perpetual_price,
            contributors,
            training_task,
        ),
        ExecuteMsg::UpdateListing {
            listing_id,
            per_use_price,
            perpetual_price,
            active,
        } => listings::update(
            deps,
            info,
            listing_id,
            per_use_price,
            perpetual_price,
            active,
        ),
        ExecuteMsg::Buy {
            listing_id,
            kind,
            uses,
        } => licences::buy(deps, env, info, listing_id, kind, uses),
        ExecuteMsg::ConsumeUse { token_id, uses } => {
            licences::consume_use(deps, info, token_id, uses)
        }
        ExecuteMsg::Rate { token_id, stars } => licences::rate(deps, info, token_id, stars),
        ExecuteMsg::TransferNft {
            recipient,
            token_id,
        } => licences::transfer_nft(deps, info, recipient, token_id),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps<DeaiQuery>, _env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?)?,
        QueryMsg::Listing { listing_id } => to_json_binary(&query::listing(deps, listing_id)?)?,
        QueryMsg::Listings { start_after, limit } => {
            to_json_binary(&query::listings(deps, start_after, limit)?)?
        }
        QueryMsg::ListingByModel { model_id } => {
            to_json_binary(&query::listing_by_model(deps, model_id)?)?
        }
        QueryMsg::Licence { token_id } => to_json_binary(&query::licence(deps, token_id)?)?,
        QueryMsg::QuoteSplit {
            listing_id,
            kind,
            uses,
        } => to_json_binary(&query::quote_split(deps, listing_id, kind, uses)?)?,
        QueryMsg::Ranking { model_id } => to_json_binary(&query::ranking(deps, model_id)?)?,
        QueryMsg::OwnerOf { token_id, .. } => to_json_binary(&cw721::owner_of(deps, token_id)?)?,
        QueryMsg::NftInfo { token_id } => to_json_binary(&cw721::nft_info(deps, token_id)?)?,
        QueryMsg::AllNftInfo { token_id, .. } => {
            to_json_binary(&cw721::all_nft_info(deps, token_id)?)?
        }
        QueryMsg::Tokens {
            owner,
            start_after,
            limit,
        } => to_json_binary(&cw721::tokens(deps, owner, start_after, limit)?)?,
        QueryMsg::AllTokens { start_after, limit } => {
            to_json_binary(&cw721::all_tokens(deps, start_after, limit)?)?
        }
        QueryMsg::NumTokens {} => to_json_binary(&cw721::num_tokens(deps)?)?,
        QueryMsg::ContractInfo {} => to_json_binary(&cw721::contract_info(deps)?)?,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(
    deps: DepsMut<DeaiQuery>,
    _env: Env,
    _msg: MigrateMsg,
) -> Result<Response, ContractError> {
    let (name, from) = VERSION.load(deps.storage)?;
    if name != CONTRACT_NAME {
        return Err(ContractError::invalid(
            "migrate",
            format!("cannot migrate from {name}"),
        ));
    }
    VERSION.save(
        deps.storage,
        &(CONTRACT_NAME.to_string(), CONTRACT_VERSION.to_string()),
    )?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from)
        .add_attribute("to_version", CONTRACT_VERSION))
}
