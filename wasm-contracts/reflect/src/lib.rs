//! `reflect`: a test contract, not a product. It sends whatever sub-messages it is told to
//! and records every reply it gets, so the chain's tests can drive sub-messages, replies,
//! gas limits and rollbacks through a real contract (deai's two marketplaces send none).
//!
//! - `reflect {msgs}`: returns a response carrying `msgs` (sub-messages, as given).
//! - `write {key, value}` / `write_then_fail {key, value}`: a storage write, and then
//!   (for the latter) an error, to show that a failed sub-message's writes are dropped.
//! - `burn_gas {rounds}`: `rounds` storage writes, to run a sub-message out of its gas limit.
//! - `reply`: appends `{id, ok, error, gas_used, events, msg_responses, payload}`; a payload
//!   of `"fail"` makes the reply fail, `"data"` sets the response data to `reply-data`, and
//!   `"again"` sends one more sub-message (a self `write`) with `reply_on: always` and the
//!   same payload, so a chain of replies grows until the chain's depth bound stops it.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    entry_point, to_json_binary, Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response,
    StdError, StdResult, SubMsg, SubMsgResult, WasmMsg,
};
use cw_storage_plus::{Item, Map};

#[cw_serde]
pub struct InstantiateMsg {}

#[cw_serde]
pub enum ExecuteMsg {
    Reflect { msgs: Vec<SubMsg> },
    Write { key: String, value: String },
    WriteThenFail { key: String, value: String },
    BurnGas { rounds: u32 },
}

#[cw_serde]
pub enum QueryMsg {
    Replies {},
    Value { key: String },
}

#[cw_serde]
pub struct ReplyRecord {
    pub id: u64,
    pub ok: bool,
    pub error: Option<String>,
    pub gas_used: u64,
    pub events: Vec<String>,
    pub msg_responses: Vec<String>,
    pub payload: String,
}

const REPLIES: Item<Vec<ReplyRecord>> = Item::new("replies");
const VALUES: Map<&str, String> = Map::new("values");

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _: Env,
    _: MessageInfo,
    _: InstantiateMsg,
) -> StdResult<Response> {
    REPLIES.save(deps.storage, &Vec::new())?;
    Ok(Response::new())
}

#[entry_point]
pub fn execute(deps: DepsMut, _: Env, _: MessageInfo, msg: ExecuteMsg) -> StdResult<Response> {
    match msg {
        ExecuteMsg::Reflect { msgs } => Ok(Response::new().add_submessages(msgs)),
        ExecuteMsg::Write { key, value } => {
            VALUES.save(deps.storage, &key, &value)?;
            Ok(Response::new().add_attribute("wrote", key))
        }
        ExecuteMsg::WriteThenFail { key, value } => {
            VALUES.save(deps.storage, &key, &value)?;
            Err(StdError::generic_err("told to fail"))
        }
        ExecuteMsg::BurnGas { rounds } => {
            for i in 0..rounds {
                VALUES.save(deps.storage, &format!("burn{i}"), &"x".repeat(64))?;
            }
            Ok(Response::new())
        }
    }
}

#[entry_point]
pub fn reply(deps: DepsMut, env: Env, msg: Reply) -> StdResult<Response> {
    let payload = String::from_utf8_lossy(msg.payload.as_slice()).to_string();
    let (ok, error, events, msg_responses) = match &msg.result {
        SubMsgResult::Ok(r) => (
            true,
            None,
            r.events.iter().map(|e| e.ty.clone()).collect(),
            r.msg_responses.iter().map(|m| m.type_url.clone()).collect(),
        ),
        SubMsgResult::Err(e) => (false, Some(e.clone()), vec![], vec![]),
    };
    let mut all = REPLIES.load(deps.storage)?;
    all.push(ReplyRecord {
        id: msg.id,
        ok,
        error,
        gas_used: msg.gas_used,
        events,
        msg_responses,
        payload: payload.clone(),
    });
    REPLIES.save(deps.storage, &all)?;
    match payload.as_str() {
        "fail" => Err(StdError::generic_err("reply told to fail")),
        "data" => Ok(Response::new().set_data(b"reply-data")),
        "again" => {
            let write = WasmMsg::Execute {
                contract_addr: env.contract.address.to_string(),
                msg: to_json_binary(&ExecuteMsg::Write {
                    key: format!("again{}", all.len()),
                    value: "v".into(),
                })?,
                funds: vec![],
            };
            Ok(Response::new()
                .add_submessage(SubMsg::reply_always(write, msg.id + 1).with_payload(msg.payload)))
        }
        _ => Ok(Response::new()),
    }
}

#[entry_point]
pub fn query(deps: Deps, _: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Replies {} => to_json_binary(&REPLIES.load(deps.storage)?),
        QueryMsg::Value { key } => to_json_binary(&VALUES.may_load(deps.storage, &key)?),
    }
}
