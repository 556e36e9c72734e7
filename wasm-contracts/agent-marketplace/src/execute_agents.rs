//! Agent registration, updates and bonds.

use cosmwasm_std::{Addr, DepsMut, MessageInfo, Response, Storage, Uint128};

use crate::contract::pay;
use crate::error::ContractError;
use crate::reputation::Reputation;
use crate::state::{Agent, AGENTS, AGENTS_BY_CAPABILITY, CONFIG, TOTALS};
use crate::validate;

fn index_capabilities(
    store: &mut dyn Storage,
    agent: &Addr,
    caps: &[String],
    on: bool,
) -> Result<(), ContractError> {
    for c in caps {
        if on {
            AGENTS_BY_CAPABILITY.save(store, (c.as_str(), agent), &())?;
        } else {
            AGENTS_BY_CAPABILITY.remove(store, (c.as_str(), agent));
        }
    }
    Ok(())
}

fn add_bonded(store: &mut dyn Storage, amount: Uint128, add: bool) -> Result<(), ContractError> {
    let mut t = TOTALS.load(store)?;
    t.bonded = if add {
        t.bonded.checked_add(amount)?
    } else {
        t.bonded.checked_sub(amount)?
    };
    TOTALS.save(store, &t)?;
    Ok(())
}

pub fn register(
    deps: DepsMut,
    info: MessageInfo,
    name: String,
    capabilities: Vec<String>,
    endpoint: String,
    price: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    validate::text("name", &name, validate::MAX_NAME)?;
    validate::capabilities(&capabilities)?;
    validate::endpoint(&endpoint)?;
    validate::positive("price", price)?;
    let bond = validate::must_pay(&info, &config.denom)?;
    if bond < config.min_bond {
        return Err(ContractError::BondTooLow {
            got: bond,
            min: config.min_bond,
        });
    }
    let existing = AGENTS.may_load(deps.storage, &info.sender)?;
    let agent = match existing {
        Some(a) if a.registered => return Err(ContractError::AgentExists(info.sender.to_string())),
        // Re-registering keeps the history and the reputation.
        Some(a) => Agent {
            name,
            capabilities,
            endpoint,
            price,
            bond,
            registered: true,
            ..a
        },
        None => Agent {
            address: info.sender.clone(),
            name,
            capabilities,
            endpoint,
            price,
            bond,
            registered: true,
            open_jobs: 0,
            jobs_completed: 0,
            jobs_expired: 0,
            disputes_won: 0,
            disputes_lost: 0,
            reputation: Reputation::default(),
        },
    };
    index_capabilities(deps.storage, &info.sender, &agent.capabilities, true)?;
    AGENTS.save(deps.storage, &info.sender, &agent)?;
    add_bonded(deps.storage, bond, true)?;
    Ok(Response::new()
        .add_attribute("action", "register_agent")
        .add_attribute("agent", info.sender)
        .add_attribute("bond", bond)
        .add_attribute("price", price))
}

fn load_registered(store: &dyn Storage, who: &Addr) -> Result<Agent, ContractError> {
    match AGENTS.may_load(store, who)? {
        Some(a) if a.registered => Ok(a),
        _ => Err(ContractError::AgentNotFound(who.to_string())),
    }
}

pub fn update(
    deps: DepsMut,
    info: MessageInfo,
    capabilities: Option<Vec<String>>,
    endpoint: Option<String>,
    price: Option<Uint128>,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let mut agent = load_registered(deps.storage, &info.sender)?;
    if capabilities.is_none() && endpoint.is_none() && price.is_none() {
        return Err(ContractError::invalid("update", "nothing to update"));
    }
    if let Some(caps) = capabilities {
        validate::capabilities(&caps)?;
        index_capabilities(deps.storage, &info.sender, &agent.capabilities, false)?;
        index_capabilities(deps.storage, &info.sender, &caps, true)?;
        agent.capabilities = caps;
    }
    if let Some(e) = endpoint {
        validate::endpoint(&e)?;
        agent.endpoint = e;
    }
    if let Some(p) = price {
        validate::positive("price", p)?;
        agent.price = p;
    }
    AGENTS.save(deps.storage, &info.sender, &agent)?;
    Ok(Response::new()
        .add_attribute("action", "update_agent")
        .add_attribute("agent", info.sender))
}

pub fn top_up(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let amount = validate::must_pay(&info, &config.denom)?;
    let mut agent = load_registered(deps.storage, &info.sender)?;
    agent.bond = agent.bond.checked_add(amount)?;
    AGENTS.save(deps.storage, &info.sender, &agent)?;
    add_bonded(deps.storage, amount, true)?;
    Ok(Response::new()
        .add_attribute("action", "top_up_bond")
        .add_attribute("agent", info.sender)
        .add_attribute("bond", agent.bond))
}

pub fn deregister(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let config = CONFIG.load(deps.storage)?;
    let mut agent = load_registered(deps.storage, &info.sender)?;
    if agent.open_jobs > 0 {
        return Err(ContractError::OpenJobs(agent.open_jobs));
    }
    let refund = agent.bond;
    index_capabilities(deps.storage, &info.sender, &agent.capabilities, false)?;
    agent.bond = Uint128::zero();
    agent.registered = false;
    AGENTS.save(deps.storage, &info.sender, &agent)?;
    add_bonded(deps.storage, refund, false)?;
    Ok(Response::new()
        .add_messages(pay(&info.sender, refund, &config.denom))
        .add_attribute("action", "deregister")
        .add_attribute("agent", info.sender)
        .add_attribute("refund", refund))
}
