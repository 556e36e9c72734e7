//! A contract's `Response`, handled as wasmd's `handleContractResponse`: its attributes in one
//! `wasm` event and its events as `wasm-<type>`, each with `_contract_address` first (event
//! gas as wasmd's `EventCosts`), then its messages in order: `BankMsg::Send` through bank from
//! the contract, `WasmMsg::Execute` / `Instantiate` / `Instantiate2` as the contract, at most
//! [`MAX_CALL_DEPTH`] deep, each a sub-message with its reply and gas limit (`submsg.rs`).
//! Every other message kind fails the tx with wasm code 10 (invalid CosmosMsg).

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use cosmwasm_std::{Attribute, BankMsg, CosmosMsg, Empty, Response, WasmMsg};
use deai_framework::{Address, Coin, Coins, Event, TxError};
use prost::Name;

use super::backend::{Host, SubOut};
use super::exec::{transfer, Instantiate, TxInfo, MAX_CALL_DEPTH};
use super::WasmVm;
use crate::gas::{attribute_costs, EVENT_ATTRIBUTE_DATA_FREE_TIER, PER_CUSTOM_EVENT_COST};
use crate::{ERR_EXCEED_MAX_CALL_DEPTH, ERR_INVALID_EVENT, ERR_INVALID_MSG, MODULE_NAME};

/// wasmd's `eventTypeMinLength`: a custom event's type is longer than this.
const EVENT_TYPE_MIN_LEN: usize = 2;
/// Most messages one response may carry (bounded work per response).
pub const MAX_RESPONSE_MESSAGES: usize = 256;

fn invalid_msg(what: impl std::fmt::Display) -> TxError {
    TxError::new(
        MODULE_NAME,
        ERR_INVALID_MSG,
        format!("{what}: invalid CosmosMsg from the contract"),
    )
}

fn invalid_event(what: impl std::fmt::Display) -> TxError {
    TxError::new(
        MODULE_NAME,
        ERR_INVALID_EVENT,
        format!("{what}: invalid event"),
    )
}

/// wasmd's `contractSDKEventAttributes`: keys trimmed, not empty, not starting with `_`
/// (reserved), values trimmed; `_contract_address` first.
fn attributes(contract: &Address, attrs: &[Attribute]) -> Result<Vec<(String, String)>, TxError> {
    let mut out = Vec::with_capacity(attrs.len() + 1);
    out.push(("_contract_address".to_string(), contract.to_bech32()));
    for a in attrs {
        let key = a.key.trim();
        if key.is_empty() {
            return Err(invalid_event(format!(
                "empty attribute key. value: {}",
                a.value
            )));
        }
        if key.starts_with('_') {
            return Err(invalid_event(format!(
                "attribute key starts with reserved prefix _: {key}"
            )));
        }
        out.push((key.to_string(), a.value.trim().to_string()));
    }
    Ok(out)
}

fn coins(c: &[cosmwasm_std::Coin]) -> Result<Coins, TxError> {
    let list = c
        .iter()
        .map(|c| Coin::new(c.denom.clone(), c.amount.u128()))
        .collect::<Result<Vec<_>, _>>()?;
    Coins::new(list)
}

/// A message response as a sub-message result carries it.
fn sub_out<M: prost::Message + Name>(m: M) -> SubOut {
    SubOut {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

impl WasmVm {
    /// Emits the response's events, runs its messages and returns its data.
    pub(crate) fn handle_response(
        &self,
        h: &mut dyn Host,
        tx: TxInfo,
        contract: &Address,
        resp: Response<Empty>,
        depth: u32,
    ) -> Result<Vec<u8>, TxError> {
        Ok(self
            .handle_response_data(h, tx, contract, resp, depth)?
            .unwrap_or_default())
    }

    /// [`WasmVm::handle_response`], telling "no data" apart: a reply's data replaces its
    /// caller's only when the reply sets it.
    pub(crate) fn handle_response_data(
        &self,
        h: &mut dyn Host,
        tx: TxInfo,
        contract: &Address,
        resp: Response<Empty>,
        depth: u32,
    ) -> Result<Option<Vec<u8>>, TxError> {
        // Event gas (wasmd's EventCosts): the attributes, then each custom event.
        let (mut cost, mut free) = attribute_costs(
            resp.attributes
                .iter()
                .map(|a| (a.key.as_str(), a.value.as_str())),
            EVENT_ATTRIBUTE_DATA_FREE_TIER,
        );
        for e in &resp.events {
            let (c, left) = attribute_costs(
                e.attributes
                    .iter()
                    .map(|a| (a.key.as_str(), a.value.as_str())),
                free,
            );
            free = left;
            cost = cost.saturating_add(c).saturating_add(PER_CUSTOM_EVENT_COST);
        }
        h.meter()
            .consume(cost, "Custom contract event attributes")?;

        if !resp.attributes.is_empty() {
            let mut ev = Event::new("wasm");
            ev.attributes = attributes(contract, &resp.attributes)?;
            h.emit_event(ev);
        }
        for e in &resp.events {
            let ty = e.ty.trim();
            if ty.len() <= EVENT_TYPE_MIN_LEN {
                return Err(invalid_event(format!("Event type too short: {ty}")));
            }
            let mut ev = Event::new(format!("wasm-{ty}"));
            ev.attributes = attributes(contract, &e.attributes)?;
            h.emit_event(ev);
        }

        if resp.messages.len() > MAX_RESPONSE_MESSAGES {
            return Err(invalid_msg(format!(
                "more than {MAX_RESPONSE_MESSAGES} messages"
            )));
        }
        if !resp.messages.is_empty() && depth.saturating_add(1) >= MAX_CALL_DEPTH {
            return Err(TxError::new(
                MODULE_NAME,
                ERR_EXCEED_MAX_CALL_DEPTH,
                "max call depth exceeded",
            ));
        }
        let mut data = resp.data.map(|d| d.to_vec());
        for sub in &resp.messages {
            if let Some(d) = self.sub_message(h, tx, contract, sub, depth)? {
                data = Some(d);
            }
        }
        Ok(data)
    }

    /// Runs one message as `contract`, returning its message response.
    pub(crate) fn dispatch(
        &self,
        h: &mut dyn Host,
        tx: TxInfo,
        contract: &Address,
        msg: &CosmosMsg<Empty>,
        depth: u32,
    ) -> Result<SubOut, TxError> {
        match msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                let to = Address::from_bech32(to_address)?;
                transfer(h, contract, &to, &coins(amount)?)?;
                Ok(sub_out(
                    cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSendResponse {},
                ))
            }
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            }) => {
                let to = Address::from_bech32(contract_addr)?;
                let data =
                    self.execute_in(h, tx, contract, &to, msg.as_slice(), &coins(funds)?, depth)?;
                Ok(sub_out(pb::MsgExecuteContractResponse { data }))
            }
            CosmosMsg::Wasm(WasmMsg::Instantiate {
                admin,
                code_id,
                msg,
                funds,
                label,
            }) => {
                let m = Instantiate {
                    sender: contract.clone(),
                    admin: admin.as_deref().map(Address::from_bech32).transpose()?,
                    code_id: *code_id,
                    label: label.clone(),
                    msg: msg.to_vec(),
                    funds: coins(funds)?,
                    salt: None,
                };
                let (address, data) = self.instantiate_in(h, tx, &m, depth)?;
                Ok(sub_out(pb::MsgInstantiateContractResponse {
                    address: address.to_bech32(),
                    data,
                }))
            }
            CosmosMsg::Wasm(WasmMsg::Instantiate2 {
                admin,
                code_id,
                msg,
                funds,
                label,
                salt,
            }) => {
                let m = Instantiate {
                    sender: contract.clone(),
                    admin: admin.as_deref().map(Address::from_bech32).transpose()?,
                    code_id: *code_id,
                    label: label.clone(),
                    msg: msg.to_vec(),
                    funds: coins(funds)?,
                    salt: Some((salt.to_vec(), false)),
                };
                let (address, data) = self.instantiate_in(h, tx, &m, depth)?;
                Ok(sub_out(pb::MsgInstantiateContract2Response {
                    address: address.to_bech32(),
                    data,
                }))
            }
            other => Err(invalid_msg(format!("unsupported message {other:?}"))),
        }
    }
}
