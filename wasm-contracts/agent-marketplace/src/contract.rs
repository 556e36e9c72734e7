//! Entry points: instantiate, execute, query, migrate.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    coins, to_json_binary, Addr, BankMsg, Binary, CosmosMsg, Deps, DepsMut, Env, MessageInfo,
    Response, Uint128,
};

use crate::error::ContractError;
use crate::msg::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};
use crate::state::{
    Config, Totals, CONFIG, CONTRACT_NAME, CONTRACT_VERSION, LAST_JOB_ID, TOTALS, VERSION,
};
use crate::{execute_agents as agents, execute_jobs as jobs, query, validate};

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let arbiter = deps
        .api
        .addr_validate(&msg.arbiter)
        .map_err(|e| ContractError::invalid("arbiter", e.to_string()))?;
    validate::denom(&msg.denom)?;
    validate::positive("min_bond", msg.min_bond)?;
    if msg.dispute_window_blocks == 0 {
        return Err(ContractError::invalid(
            "dispute_window_blocks",
            "must be at least 1",
        ));
    }
    if msg.max_delivery_blocks == 0 {
        return Err(ContractError::invalid(
            "max_delivery_blocks",
            "must be at least 1",
        ));
    }
    if msg.slash_bps == 0 || msg.slash_bps > 10_000 {
        return Err(ContractError::invalid("slash_bps", "must be 1..=10000"));
    }
    if msg.reputation_half_life_blocks == 0 {
        return Err(ContractError::invalid(
            "reputation_half_life_blocks",
            "must be at least 1",
        ));
    }
    let config = Config {
        arbiter,
        denom: msg.denom,
        min_bond: msg.min_bond,
        dispute_window_blocks: msg.dispute_window_blocks,
        max_delivery_blocks: msg.max_delivery_blocks,
        slash_bps: msg.slash_bps,
        reputation_half_life_blocks: msg.reputation_half_life_blocks,
    };
    CONFIG.save(deps.storage, &config)?;
    VERSION.save(
        deps.storage,
        &(CONTRACT_NAME.to_string(), CONTRACT_VERSION.to_string()),
    )?;
    LAST_JOB_ID.save(deps.storage, &0)?;
    TOTALS.save(deps.storage, &Totals::default())?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("arbiter", config.arbiter)
        .add_attribute("denom", config.denom))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::RegisterAgent {
            name,
            capabilities,
            endpoint,
            price,
        } => agents::register(deps, info, name, capabilities, endpoint, price),
        ExecuteMsg::UpdateAgent {
            capabilities,
            endpoint,
            price,
        } => agents::update(deps, info, capabilities, endpoint, price),
        ExecuteMsg::TopUpBond {} => agents::top_up(deps, info),
        ExecuteMsg::Deregister {} => agents::deregister(deps, info),
        ExecuteMsg::Hire {
            agent,
            task,
            delivery_blocks,
        } => jobs::hire(deps, env, info, agent, task, delivery_blocks),
        ExecuteMsg::Deliver {
            job_id,
            result_hash,
            result_uri,
        } => jobs::deliver(deps, env, info, job_id, result_hash, result_uri),
        ExecuteMsg::Accept { job_id } => jobs::accept(deps, info, job_id),
        ExecuteMsg::Dispute { job_id, reason } => jobs::dispute(deps, env, info, job_id, reason),
        ExecuteMsg::ResolveDispute { job_id, winner } => {
            jobs::resolve(deps, env, info, job_id, winner)
        }
        ExecuteMsg::ReclaimExpired { job_id } => jobs::reclaim_expired(deps, env, info, job_id),
        ExecuteMsg::ClaimPayment { job_id } => jobs::claim_payment(deps, env, info, job_id),
        ExecuteMsg::Rate { job_id, stars } => jobs::rate(deps, env, info, job_id, stars),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&CONFIG.load(deps.storage)?)?,
        QueryMsg::Agent { address } => to_json_binary(&query::agent(deps, &env, address)?)?,
        QueryMsg::Agents { start_after, limit } => {
            to_json_binary(&query::agents(deps, &env, start_after, limit)?)?
        }
        QueryMsg::AgentsByCapability {
            capability,
            start_after,
            limit,
        } => to_json_binary(&query::agents_by_capability(
            deps,
            &env,
            capability,
            start_after,
            limit,
        )?)?,
        QueryMsg::Job { job_id } => to_json_binary(&query::job(deps, job_id)?)?,
        QueryMsg::JobsByClient {
            client,
            start_after,
            limit,
        } => to_json_binary(&query::jobs_by(deps, true, client, start_after, limit)?)?,
        QueryMsg::JobsByAgent {
            agent,
            start_after,
            limit,
        } => to_json_binary(&query::jobs_by(deps, false, agent, start_after, limit)?)?,
        QueryMsg::Reputation { agent } => to_json_binary(&query::reputation(deps, &env, agent)?)?,
        QueryMsg::Totals {} => to_json_binary(&TOTALS.load(deps.storage)?)?,
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
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

/// A bank send of `amount` of the configured denom, or nothing for zero.
pub(crate) fn pay(to: &Addr, amount: Uint128, denom: &str) -> Option<CosmosMsg> {
    (!amount.is_zero()).then(|| {
        CosmosMsg::Bank(BankMsg::Send {
            to_address: to.to_string(),
            amount: coins(amount.u128(), denom),
        })
    })
}
