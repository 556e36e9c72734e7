//! The vm's querier: what a contract may ask the chain. Bank balances and supply (deai-bank),
//! wasm smart / raw / contract-info / code-info queries into contracts (nested at most
//! [`MAX_QUERY_DEPTH`] deep, their gas charged to the caller), and `DeaiQuery` answered by
//! a [`DeaiQuerier`] the app provides. Reads are charged as SDK gas on the caller's meter and
//! reported to the vm as externally used.

use cosmwasm_std::{
    from_json, BankQuery, Binary, ContractResult, CustomQuery, QueryRequest, SystemError,
    SystemResult, WasmQuery,
};
use cosmwasm_vm::{BackendResult, GasInfo, Querier};
use deai_bank::BankRead;
use deai_framework::{sdk, Address, StateRead, TxError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::backend::{metered, Fault, Host, HostPtr};
use super::WasmVm;
use crate::keeper::WasmRead;

/// wasmd's `DefaultMaxQueryStackSize`: how deep contract queries may nest.
pub const MAX_QUERY_DEPTH: u32 = 10;
/// Most balances an `AllBalances` query returns.
pub const MAX_QUERY_BALANCES: usize = 100;

/// deai's custom query, as wasm-contracts/model-marketplace/src/deai.rs defines it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeaiQuery {
    InferenceModel { id: u64 },
    ComputeProvider { owner: String },
    TrainingLineage { task: u64 },
}

impl CustomQuery for DeaiQuery {}

/// Answers `DeaiQuery` from the chain's modules; the app implements it over the inference,
/// compute and training keepers. `state` is the caller's metered state: reads charge gas.
pub trait DeaiQuerier: Send + Sync {
    /// `Ok(Ok(json))`: the answer, as the contract's response type (`{"model": null}` for
    /// not found). `Ok(Err(msg))`: a query error the contract sees. `Err`: a node fault
    /// (internal, halts) or out of gas.
    fn query(
        &self,
        state: &dyn StateRead,
        q: &DeaiQuery,
    ) -> Result<Result<serde_json::Value, String>, TxError>;
}

/// The stand-in until the app answers deai queries: every one is a clear error.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnsupportedDeaiQuerier;

impl DeaiQuerier for UnsupportedDeaiQuerier {
    fn query(
        &self,
        _: &dyn StateRead,
        q: &DeaiQuery,
    ) -> Result<Result<serde_json::Value, String>, TxError> {
        Ok(Err(format!(
            "deai query {q:?} is unsupported: this node does not answer deai queries yet"
        )))
    }
}

/// The querier of one contract call.
pub struct HostQuerier {
    pub(crate) vm: WasmVm,
    pub(crate) host: HostPtr,
    pub(crate) fault: Fault,
    /// How deep this call is in a chain of queries (0: the tx's own call).
    pub(crate) depth: u32,
}

type Answer = SystemResult<ContractResult<Binary>>;

fn ok_json(v: &serde_json::Value) -> Answer {
    SystemResult::Ok(ContractResult::Ok(Binary::from(v.to_string().into_bytes())))
}

fn invalid(error: impl Into<String>, request: &[u8]) -> Answer {
    SystemResult::Err(SystemError::InvalidRequest {
        error: error.into(),
        request: Binary::from(request),
    })
}

fn coin_json(denom: &str, amount: u128) -> serde_json::Value {
    json!({"denom": denom, "amount": amount.to_string()})
}

impl HostQuerier {
    #[allow(deprecated)] // AllBalances: answered, bounded to MAX_QUERY_BALANCES
    fn answer(
        &self,
        h: &mut dyn Host,
        req: &QueryRequest<DeaiQuery>,
        raw: &[u8],
    ) -> Result<Answer, TxError> {
        let addr = |s: &str| Address::from_bech32(s);
        Ok(match req {
            QueryRequest::Bank(BankQuery::Balance { address, denom }) => match addr(address) {
                Ok(a) => ok_json(&json!({"amount": coin_json(denom, h.balance(&a, denom)?)})),
                Err(e) => invalid(e.log, raw),
            },
            QueryRequest::Bank(BankQuery::AllBalances { address }) => match addr(address) {
                Ok(a) => {
                    let coins = h.balances(&a, MAX_QUERY_BALANCES)?;
                    let list: Vec<_> = coins
                        .iter()
                        .map(|c| coin_json(&c.denom, c.amount))
                        .collect();
                    ok_json(&json!({"amount": list}))
                }
                Err(e) => invalid(e.log, raw),
            },
            QueryRequest::Bank(BankQuery::Supply { denom }) => {
                ok_json(&json!({"amount": coin_json(denom, h.supply_of(denom)?)}))
            }
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                if self.depth.saturating_add(1) >= MAX_QUERY_DEPTH {
                    return Ok(invalid("max query stack size exceeded", raw));
                }
                let a = match addr(contract_addr) {
                    Ok(a) => a,
                    Err(e) => return Ok(invalid(e.log, raw)),
                };
                match self
                    .vm
                    .query_at_depth(h, &a, msg.as_slice(), self.depth + 1)
                {
                    Ok(bytes) => SystemResult::Ok(ContractResult::Ok(Binary::from(bytes))),
                    Err(e) if e.is_internal() => return Err(e),
                    Err(e) if e.codespace == sdk::CODESPACE && e.code == sdk::OUT_OF_GAS => {
                        return Err(e)
                    }
                    // Redacted as wasmd's `redactError`: the log (the callee's message, vm
                    // trap text) may differ between software versions, and the caller can
                    // store or branch on what it gets.
                    Err(e) => SystemResult::Ok(ContractResult::Err(format!(
                        "codespace: {}, code: {}",
                        e.codespace, e.code
                    ))),
                }
            }
            QueryRequest::Wasm(WasmQuery::Raw { contract_addr, key }) => {
                match addr(contract_addr) {
                    Ok(a) => {
                        let v = h
                            .contract_state_get(&a, key.as_slice())?
                            .unwrap_or_default();
                        SystemResult::Ok(ContractResult::Ok(Binary::from(v)))
                    }
                    Err(e) => invalid(e.log, raw),
                }
            }
            QueryRequest::Wasm(WasmQuery::ContractInfo { contract_addr }) => {
                let info = match addr(contract_addr) {
                    Ok(a) => h.get_contract_info(&a)?,
                    Err(e) => return Ok(invalid(e.log, raw)),
                };
                match info {
                    Some(i) => {
                        let pinned = h.is_pinned(i.code_id)?;
                        let admin = (!i.admin.is_empty()).then_some(i.admin);
                        ok_json(&json!({"code_id": i.code_id, "creator": i.creator,
                            "admin": admin, "pinned": pinned, "ibc_port": null}))
                    }
                    None => SystemResult::Err(SystemError::NoSuchContract {
                        addr: contract_addr.clone(),
                    }),
                }
            }
            QueryRequest::Wasm(WasmQuery::CodeInfo { code_id }) => {
                match h.get_code_info(*code_id)? {
                    Some(i) => ok_json(&json!({"code_id": code_id, "creator": i.creator,
                    "checksum": hex::encode(&i.code_hash)})),
                    None => SystemResult::Err(SystemError::NoSuchCode { code_id: *code_id }),
                }
            }
            QueryRequest::Custom(q) => match self.vm.deai().query(&*h, q)? {
                Ok(v) => ok_json(&v),
                Err(msg) => SystemResult::Ok(ContractResult::Err(msg)),
            },
            _ => SystemResult::Err(SystemError::UnsupportedRequest {
                kind: "this query kind is not supported by deai".into(),
            }),
        })
    }
}

impl Querier for HostQuerier {
    fn query_raw(&self, request: &[u8], _gas_limit: u64) -> BackendResult<Answer> {
        let req: QueryRequest<DeaiQuery> = match from_json(request) {
            Ok(r) => r,
            Err(e) => {
                return (
                    Ok(invalid(format!("parsing query request: {e}"), request)),
                    GasInfo::free(),
                )
            }
        };
        // The caller's meter bounds the query (nested calls get what the tx has left); what
        // it charged comes back to the vm as externally used gas.
        let (r, gas) = metered(&self.host, &self.fault, |h| self.answer(h, &req, request));
        match r {
            Ok(a) => (Ok(a), gas),
            Err(e) => (Err(e), gas),
        }
    }
}
