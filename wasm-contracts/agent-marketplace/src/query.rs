use cosmwasm_std::{Addr, Deps, Env, Order, StdResult};
use cw_storage_plus::Bound;

use crate::error::ContractError;
use crate::msg::{AgentResponse, AgentsResponse, JobsResponse, ReputationResponse};
use crate::state::{
    Agent, Job, AGENTS, AGENTS_BY_CAPABILITY, CONFIG, JOBS, JOBS_BY_AGENT, JOBS_BY_CLIENT,
};

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 30;

fn limit(l: Option<u32>) -> usize {
    l.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize
}

fn addr(deps: Deps, field: &'static str, s: &str) -> Result<Addr, ContractError> {
    deps.api
        .addr_validate(s)
        .map_err(|e| ContractError::invalid(field, e.to_string()))
}

fn describe(deps: Deps, env: &Env, agent: Agent) -> Result<AgentResponse, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let milli = agent
        .reputation
        .milli_stars(env.block.height, config.reputation_half_life_blocks)?;
    Ok(AgentResponse {
        active: agent.registered && agent.bond >= config.min_bond,
        reputation_milli_stars: milli,
        agent,
    })
}

pub fn agent(deps: Deps, env: &Env, address: String) -> Result<AgentResponse, ContractError> {
    let a = addr(deps, "address", &address)?;
    let agent = AGENTS
        .may_load(deps.storage, &a)?
        .ok_or(ContractError::AgentNotFound(address))?;
    describe(deps, env, agent)
}

pub fn agents(
    deps: Deps,
    env: &Env,
    start_after: Option<String>,
    l: Option<u32>,
) -> Result<AgentsResponse, ContractError> {
    let start = start_after
        .map(|s| addr(deps, "start_after", &s))
        .transpose()?;
    let list = AGENTS
        .range(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit(l))
        .map(|r| r.map(|(_, a)| a))
        .collect::<StdResult<Vec<_>>>()?;
    let agents = list
        .into_iter()
        .map(|a| describe(deps, env, a))
        .collect::<Result<_, _>>()?;
    Ok(AgentsResponse { agents })
}

pub fn agents_by_capability(
    deps: Deps,
    env: &Env,
    capability: String,
    start_after: Option<String>,
    l: Option<u32>,
) -> Result<AgentsResponse, ContractError> {
    let start = start_after
        .map(|s| addr(deps, "start_after", &s))
        .transpose()?;
    let keys = AGENTS_BY_CAPABILITY
        .prefix(capability.as_str())
        .keys(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit(l))
        .collect::<StdResult<Vec<Addr>>>()?;
    let mut agents = Vec::with_capacity(keys.len());
    for k in keys {
        agents.push(describe(deps, env, AGENTS.load(deps.storage, &k)?)?);
    }
    Ok(AgentsResponse { agents })
}

pub fn job(deps: Deps, job_id: u64) -> Result<Job, ContractError> {
    JOBS.may_load(deps.storage, job_id)?
        .ok_or(ContractError::JobNotFound(job_id))
}

pub fn jobs_by(
    deps: Deps,
    by_client: bool,
    who: String,
    start_after: Option<u64>,
    l: Option<u32>,
) -> Result<JobsResponse, ContractError> {
    let who = addr(deps, if by_client { "client" } else { "agent" }, &who)?;
    let index = if by_client {
        JOBS_BY_CLIENT
    } else {
        JOBS_BY_AGENT
    };
    let ids = index
        .prefix(&who)
        .keys(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit(l))
        .collect::<StdResult<Vec<u64>>>()?;
    let jobs = ids
        .into_iter()
        .map(|id| JOBS.load(deps.storage, id))
        .collect::<StdResult<_>>()?;
    Ok(JobsResponse { jobs })
}

pub fn reputation(
    deps: Deps,
    env: &Env,
    agent: String,
) -> Result<ReputationResponse, ContractError> {
    let a = addr(deps, "agent", &agent)?;
    let config = CONFIG.load(deps.storage)?;
    let rec = AGENTS
        .may_load(deps.storage, &a)?
        .ok_or(ContractError::AgentNotFound(agent.clone()))?;
    let hl = config.reputation_half_life_blocks;
    let (sum, weight) = rec.reputation.decayed(env.block.height, hl)?;
    Ok(ReputationResponse {
        agent,
        milli_stars: rec.reputation.milli_stars(env.block.height, hl)?,
        ratings: rec.reputation.ratings,
        decayed_score_sum: sum,
        decayed_weight: weight,
        height: env.block.height,
    })
}
