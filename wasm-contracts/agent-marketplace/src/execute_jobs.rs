//! The job lifecycle: hire → deliver → accept | dispute → resolve, expiry, payment claims
//! and ratings. Every coin movement updates `TOTALS` in the same message.

use cosmwasm_std::{Addr, DepsMut, Env, Event, MessageInfo, Response, Storage, Uint128};

use crate::contract::pay;
use crate::error::ContractError;
use crate::msg::DisputeWinner;
use crate::state::{
    Agent, Config, Job, JobStatus, AGENTS, CONFIG, JOBS, JOBS_BY_AGENT, JOBS_BY_CLIENT,
    LAST_JOB_ID, TOTALS,
};
use crate::validate;

fn load_job(store: &dyn Storage, id: u64) -> Result<Job, ContractError> {
    JOBS.may_load(store, id)?
        .ok_or(ContractError::JobNotFound(id))
}

fn expect(job: &Job, status: JobStatus, expected: &'static str) -> Result<(), ContractError> {
    if job.status != status {
        return Err(ContractError::WrongStatus {
            id: job.id,
            status: job.status.name().to_string(),
            expected,
        });
    }
    Ok(())
}

fn only(sender: &Addr, who: &Addr, role: &'static str) -> Result<(), ContractError> {
    if sender != who {
        return Err(ContractError::Unauthorized(role));
    }
    Ok(())
}

fn load_agent(store: &dyn Storage, who: &Addr) -> Result<Agent, ContractError> {
    AGENTS
        .may_load(store, who)?
        .ok_or_else(|| ContractError::AgentNotFound(who.to_string()))
}

/// Moves `amount` out of escrow (it is being paid out).
fn release_escrow(store: &mut dyn Storage, amount: Uint128) -> Result<(), ContractError> {
    let mut t = TOTALS.load(store)?;
    t.escrowed = t.escrowed.checked_sub(amount)?;
    TOTALS.save(store, &t)?;
    Ok(())
}

/// Settles the job: saves it and the agent (one fewer open job).
fn close(store: &mut dyn Storage, job: &Job, agent: &mut Agent) -> Result<(), ContractError> {
    agent.open_jobs = agent.open_jobs.saturating_sub(1);
    AGENTS.save(store, &agent.address, agent)?;
    JOBS.save(store, job.id, job)?;
    Ok(())
}

/// The typed event of every job transition (`wasm-agent_job` once the chain prefixes it).
fn job_event(job: &Job) -> Event {
    Event::new("agent_job")
        .add_attribute("job_id", job.id.to_string())
        .add_attribute("status", job.status.name())
        .add_attribute("client", job.client.as_str())
        .add_attribute("agent", job.agent.as_str())
        .add_attribute("price", job.price)
}

fn dispute_closes(config: &Config, job: &Job) -> u64 {
    job.delivered_at
        .unwrap_or(job.hired_at)
        .saturating_add(config.dispute_window_blocks)
}

pub fn hire(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    agent: String,
    task: String,
    delivery_blocks: u64,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let agent_addr = deps
        .api
        .addr_validate(&agent)
        .map_err(|e| ContractError::invalid("agent", e.to_string()))?;
    validate::text("task", &task, validate::MAX_TASK)?;
    if delivery_blocks == 0 || delivery_blocks > config.max_delivery_blocks {
        return Err(ContractError::invalid(
            "delivery_blocks",
            format!("must be 1..={}", config.max_delivery_blocks),
        ));
    }
    if agent_addr == info.sender {
        return Err(ContractError::SelfHire);
    }
    let mut agent = load_agent(deps.storage, &agent_addr)?;
    if !agent.registered || agent.bond < config.min_bond {
        return Err(ContractError::AgentInactive(agent_addr.to_string()));
    }
    let paid = validate::must_pay(&info, &config.denom)?;
    if paid != agent.price {
        return Err(ContractError::WrongPrice {
            got: paid,
            price: agent.price,
        });
    }
    let id = LAST_JOB_ID
        .load(deps.storage)?
        .checked_add(1)
        .ok_or_else(|| ContractError::invalid("job_id", "ids exhausted"))?;
    LAST_JOB_ID.save(deps.storage, &id)?;
    let height = env.block.height;
    let job = Job {
        id,
        client: info.sender.clone(),
        agent: agent_addr.clone(),
        task,
        price: paid,
        status: JobStatus::Hired,
        hired_at: height,
        deadline: height.saturating_add(delivery_blocks),
        result_hash: None,
        result_uri: None,
        delivered_at: None,
        dispute_reason: None,
        slashed: Uint128::zero(),
        rated: false,
    };
    JOBS.save(deps.storage, id, &job)?;
    JOBS_BY_CLIENT.save(deps.storage, (&info.sender, id), &())?;
    JOBS_BY_AGENT.save(deps.storage, (&agent_addr, id), &())?;
    agent.open_jobs = agent
        .open_jobs
        .checked_add(1)
        .ok_or_else(|| ContractError::invalid("agent", "too many open jobs"))?;
    AGENTS.save(deps.storage, &agent_addr, &agent)?;
    let mut t = TOTALS.load(deps.storage)?;
    t.escrowed = t.escrowed.checked_add(paid)?;
    TOTALS.save(deps.storage, &t)?;
    Ok(Response::new()
        .add_event(job_event(&job))
        .add_attribute("action", "hire")
        .add_attribute("job_id", id.to_string())
        .add_attribute("client", info.sender)
        .add_attribute("agent", agent_addr)
        .add_attribute("escrow", paid)
        .add_attribute("deadline", job.deadline.to_string()))
}

pub fn deliver(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    result_hash: String,
    result_uri: String,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let mut job = load_job(deps.storage, job_id)?;
    only(&info.sender, &job.agent, "the hired agent")?;
    expect(&job, JobStatus::Hired, "hired")?;
    if env.block.height > job.deadline {
        return Err(ContractError::DeadlinePassed {
            id: job_id,
            deadline: job.deadline,
        });
    }
    validate::sha256_hex("result_hash", &result_hash)?;
    validate::token("result_uri", &result_uri, validate::MAX_URI)?;
    job.status = JobStatus::Delivered;
    job.delivered_at = Some(env.block.height);
    job.result_hash = Some(result_hash.clone());
    job.result_uri = Some(result_uri);
    JOBS.save(deps.storage, job_id, &job)?;
    Ok(Response::new()
        .add_event(job_event(&job))
        .add_attribute("action", "deliver")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("result_hash", result_hash))
}

fn pay_agent(
    deps: DepsMut,
    mut job: Job,
    status: JobStatus,
    action: &str,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut agent = load_agent(deps.storage, &job.agent)?;
    release_escrow(deps.storage, job.price)?;
    job.status = status;
    agent.jobs_completed += 1;
    close(deps.storage, &job, &mut agent)?;
    Ok(Response::new()
        .add_event(job_event(&job))
        .add_messages(pay(&job.agent, job.price, &config.denom))
        .add_attribute("action", action)
        .add_attribute("job_id", job.id.to_string())
        .add_attribute("paid_to_agent", job.price))
}

pub fn accept(deps: DepsMut, info: MessageInfo, job_id: u64) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let job = load_job(deps.storage, job_id)?;
    only(&info.sender, &job.client, "the client")?;
    expect(&job, JobStatus::Delivered, "delivered")?;
    pay_agent(deps, job, JobStatus::Completed, "accept")
}

pub fn claim_payment(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let job = load_job(deps.storage, job_id)?;
    only(&info.sender, &job.agent, "the hired agent")?;
    expect(&job, JobStatus::Delivered, "delivered")?;
    let closes = dispute_closes(&config, &job);
    if env.block.height <= closes {
        return Err(ContractError::DisputeWindowOpen {
            id: job_id,
            open_until: closes,
        });
    }
    pay_agent(deps, job, JobStatus::Completed, "claim_payment")
}

pub fn dispute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    reason: String,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let mut job = load_job(deps.storage, job_id)?;
    only(&info.sender, &job.client, "the client")?;
    expect(&job, JobStatus::Delivered, "delivered")?;
    let closes = dispute_closes(&config, &job);
    if env.block.height > closes {
        return Err(ContractError::DisputeWindowClosed {
            id: job_id,
            closed_at: closes,
        });
    }
    validate::text("reason", &reason, validate::MAX_REASON)?;
    job.status = JobStatus::Disputed;
    job.dispute_reason = Some(reason);
    JOBS.save(deps.storage, job_id, &job)?;
    Ok(Response::new()
        .add_event(job_event(&job))
        .add_attribute("action", "dispute")
        .add_attribute("job_id", job_id.to_string()))
}

pub fn resolve(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    winner: DisputeWinner,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    only(&info.sender, &config.arbiter, "the arbiter")?;
    let mut job = load_job(deps.storage, job_id)?;
    expect(&job, JobStatus::Disputed, "disputed")?;
    let mut agent = load_agent(deps.storage, &job.agent)?;
    if winner == DisputeWinner::Agent {
        agent.disputes_won += 1;
        AGENTS.save(deps.storage, &job.agent, &agent)?;
        return pay_agent(deps, job, JobStatus::ResolvedForAgent, "resolve_dispute")
            .map(|r| r.add_attribute("winner", "agent"));
    }
    // The client wins: refund the escrow and slash slash_bps of the bond to the client.
    let slash = agent
        .bond
        .checked_multiply_ratio(config.slash_bps, 10_000u128)
        .map_err(|e| ContractError::invalid("slash", e.to_string()))?;
    agent.bond = agent.bond.checked_sub(slash)?;
    agent.disputes_lost += 1;
    agent
        .reputation
        .add(0, env.block.height, config.reputation_half_life_blocks)?;
    let mut t = TOTALS.load(deps.storage)?;
    t.escrowed = t.escrowed.checked_sub(job.price)?;
    t.bonded = t.bonded.checked_sub(slash)?;
    TOTALS.save(deps.storage, &t)?;
    job.status = JobStatus::ResolvedForClient;
    job.slashed = slash;
    close(deps.storage, &job, &mut agent)?;
    let to_client = job.price.checked_add(slash)?;
    Ok(Response::new()
        .add_event(job_event(&job))
        .add_messages(pay(&job.client, to_client, &config.denom))
        .add_attribute("action", "resolve_dispute")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("winner", "client")
        .add_attribute("refund", job.price)
        .add_attribute("slashed", slash))
}

pub fn reclaim_expired(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let mut job = load_job(deps.storage, job_id)?;
    only(&info.sender, &job.client, "the client")?;
    expect(&job, JobStatus::Hired, "hired (undelivered)")?;
    if env.block.height <= job.deadline {
        return Err(ContractError::NotExpired {
            id: job_id,
            expires_after: job.deadline,
        });
    }
    let mut agent = load_agent(deps.storage, &job.agent)?;
    agent.jobs_expired += 1;
    // A missed deadline counts as a 0-star rating.
    agent
        .reputation
        .add(0, env.block.height, config.reputation_half_life_blocks)?;
    release_escrow(deps.storage, job.price)?;
    job.status = JobStatus::Expired;
    close(deps.storage, &job, &mut agent)?;
    Ok(Response::new()
        .add_event(job_event(&job))
        .add_messages(pay(&job.client, job.price, &config.denom))
        .add_attribute("action", "reclaim_expired")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("refund", job.price))
}

pub fn rate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    job_id: u64,
    stars: u8,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    if !(1..=crate::reputation::MAX_STARS).contains(&stars) {
        return Err(ContractError::invalid("stars", "must be 1..=5"));
    }
    let config = CONFIG.load(deps.storage)?;
    let mut job = load_job(deps.storage, job_id)?;
    only(&info.sender, &job.client, "the client")?;
    if !matches!(
        job.status,
        JobStatus::Completed | JobStatus::ResolvedForAgent
    ) {
        return Err(ContractError::WrongStatus {
            id: job_id,
            status: job.status.name().to_string(),
            expected: "completed or resolved for the agent",
        });
    }
    if job.rated {
        return Err(ContractError::AlreadyRated(job_id));
    }
    let mut agent = load_agent(deps.storage, &job.agent)?;
    agent
        .reputation
        .add(stars, env.block.height, config.reputation_half_life_blocks)?;
    AGENTS.save(deps.storage, &job.agent, &agent)?;
    job.rated = true;
    JOBS.save(deps.storage, job_id, &job)?;
    Ok(Response::new()
        .add_event(job_event(&job))
        .add_attribute("action", "rate")
        .add_attribute("job_id", job_id.to_string())
        .add_attribute("stars", stars.to_string()))
}
