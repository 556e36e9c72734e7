//! Contract calls: instantiate (classic and instantiate2 addresses), execute with funds,
//! migrate (admin only) and smart queries, as wasmd's keeper runs them. Each call charges
//! wasmd's setup cost, runs with the tx's remaining gas × the multiplier as the vm's limit
//! and charges the vm gas it used ÷ the multiplier; its response is then handled
//! (`response.rs`).

use std::cell::RefCell;
use std::rc::Rc;

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use cosmos_sdk_proto::Any;
use cosmwasm_std::{
    Addr, BlockInfo as VmBlock, ContractInfo as VmContract, ContractResult, Empty, Env,
    MessageInfo, Response, Timestamp, TransactionInfo,
};
use cosmwasm_vm::{
    call_execute, call_instantiate, call_migrate, call_query, Backend, Instance, InstanceOptions,
    VmError, VmResult,
};
use deai_auth::{AuthRead, AuthWrite};
use deai_bank::{BankError, BankRead, BankWrite};
use deai_framework::handler::response as any_response;
use deai_framework::{sdk, Address, Coins, Ctx, TxError};

use super::backend::{DeaiApi, Fault, Host, HostPtr, HostStorage};
use super::querier::HostQuerier;
use super::{checksum_of, WasmVm};
use crate::error::WasmError;
use crate::keeper::{WasmRead, WasmWrite};
use crate::msgs::check_label;
use crate::state_key::{self, SEQ_INSTANCE_ID};
use crate::{
    access, address, events, gas, ERR_EXECUTE_FAILED, ERR_INSTANTIATE_FAILED, ERR_MIGRATION_FAILED,
    ERR_QUERY_FAILED, ERR_VM_ERROR, MODULE_NAME,
};

/// How deep sub-messages may nest (a contract's message to a contract that sends one, …).
pub const MAX_CALL_DEPTH: u32 = 10;

/// What the app knows about the tx a call runs in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxInfo {
    /// The tx's index in its block (`env.transaction.index`, and the tx index of wasmd's
    /// `AbsoluteTxPosition` in contract info and history).
    pub index: u32,
}

/// An instantiation, from MsgInstantiateContract(2) or a contract's `WasmMsg::Instantiate`.
#[derive(Clone, Debug)]
pub struct Instantiate {
    pub sender: Address,
    pub admin: Option<Address>,
    pub code_id: u64,
    pub label: String,
    pub msg: Vec<u8>,
    pub funds: Coins,
    /// Instantiate2: the salt and whether the address covers the message (`fix_msg`).
    pub salt: Option<(Vec<u8>, bool)>,
}

pub(crate) type VmInstance = Instance<DeaiApi, HostStorage, HostQuerier>;

fn out_of_gas(what: &str) -> TxError {
    sdk::out_of_gas(format!("out of gas in location: {what}"))
}

fn vm_err(e: VmError) -> TxError {
    match e {
        VmError::GasDepletion { .. } => out_of_gas("wasm contract"),
        e => TxError::new(MODULE_NAME, ERR_VM_ERROR, format!("{e}: wasmvm error")),
    }
}

/// A contract's JSON message must be valid JSON (wasmd's `RawContractMessage.ValidateBasic`).
pub(crate) fn check_json(msg: &[u8]) -> Result<(), TxError> {
    serde_json::from_slice::<serde_json::Value>(msg)
        .map(|_| ())
        .map_err(|_| WasmError::Invalid("msg: invalid json".into()).into())
}

fn vm_coins(c: &Coins) -> Vec<cosmwasm_std::Coin> {
    c.iter()
        .map(|c| cosmwasm_std::Coin::new(c.amount, c.denom.clone()))
        .collect()
}

pub(crate) fn env(h: &dyn Host, tx: TxInfo, contract: &Address) -> Env {
    let b = h.block_info();
    Env {
        block: VmBlock {
            height: b.height,
            time: Timestamp::from_seconds(u64::try_from(b.time_unix).unwrap_or(0)),
            chain_id: b.chain_id.clone(),
        },
        transaction: Some(TransactionInfo { index: tx.index }),
        contract: VmContract {
            address: Addr::unchecked(contract.to_bech32()),
        },
    }
}

/// A transfer as bank's MsgSend makes it (funds to a contract, a contract's
/// `BankMsg::Send`): every denom send-enabled and the recipient not a module account (bank's
/// codes), then bank's transfer and its events.
pub(crate) fn transfer(
    h: &mut dyn Host,
    from: &Address,
    to: &Address,
    coins: &Coins,
) -> Result<(), TxError> {
    for c in coins.iter() {
        if !h.is_send_enabled(&c.denom)? {
            return Err(BankError::SendDisabled {
                denom: c.denom.clone(),
            }
            .into());
        }
    }
    if h.is_blocked_address(to)? {
        return Err(BankError::BlockedRecipient {
            address: to.clone(),
        }
        .into());
    }
    let events = h.send_coins(from, to, coins)?;
    events.into_iter().for_each(|e| h.emit_event(e));
    Ok(())
}

pub(crate) fn position(h: &dyn Host, tx: TxInfo) -> pb::AbsoluteTxPosition {
    pb::AbsoluteTxPosition {
        block_height: h.block_info().height,
        tx_index: u64::from(tx.index),
    }
}

fn code_checksum(h: &dyn Host, code_id: u64) -> Result<(pb::CodeInfo, [u8; 32]), TxError> {
    let info = h
        .get_code_info(code_id)?
        .ok_or(WasmError::NoSuchCode(code_id))?;
    let cs = checksum_of(&info.code_hash)?;
    Ok((info, cs))
}

impl WasmVm {
    /// Runs `f` on an instance of code `code_id` for contract `contract`: wasmd's setup cost
    /// (discounted for a pinned code), the vm's limit from the meter's remaining gas, and
    /// the vm gas used charged back. A storage fault seen by the backend wins over `f`'s
    /// result.
    pub(crate) fn run<T>(
        &self,
        h: &mut dyn Host,
        code_id: u64,
        contract: &Address,
        msg_len: usize,
        depth: u32,
        f: impl FnOnce(&mut VmInstance) -> VmResult<T>,
    ) -> Result<T, TxError> {
        self.run_call(h, code_id, contract, msg_len, depth, false, f)
    }

    /// [`WasmVm::run`]; `reply`: the call is a reply, whose setup cost is discounted as a
    /// pinned code's (wasmd's `ReplyCosts`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run_call<T>(
        &self,
        h: &mut dyn Host,
        code_id: u64,
        contract: &Address,
        msg_len: usize,
        depth: u32,
        reply: bool,
        f: impl FnOnce(&mut VmInstance) -> VmResult<T>,
    ) -> Result<T, TxError> {
        let (_, checksum) = code_checksum(h, code_id)?;
        let pinned = h.is_pinned(code_id)?;
        h.meter().consume(
            gas::setup_contract_cost(pinned || reply, msg_len),
            "Loading CosmWasm module",
        )?;
        let simulate = h.block_info().simulate;
        self.ensure_cached(&checksum, simulate, |k| h.get_unmetered(k))?;
        let cache = self.cache()?;
        let remaining = h.meter().limit().saturating_sub(h.meter().consumed());
        let fault: Fault = Rc::new(RefCell::new(None));
        let prefix = state_key::contract_store(contract);

        let (result, vm_remaining, used) = {
            // SAFETY: the pointer goes into the instance below, which is dropped at the end
            // of this block, while `h` is still borrowed (see `HostPtr`).
            let host = unsafe { HostPtr::new(&mut *h) };
            let backend = Backend {
                api: DeaiApi,
                storage: HostStorage::new(host, fault.clone(), prefix)?,
                querier: HostQuerier {
                    vm: self.clone(),
                    host,
                    fault: fault.clone(),
                    depth,
                },
            };
            let options = InstanceOptions {
                gas_limit: gas::to_vm_gas(remaining),
            };
            // Loading the module is node-local (its cache files): a failure there is this
            // node's, never the tx's, or this node would record a result the others do not.
            // Instantiating it can fail for the code's own reasons: the tx fails (wasm 29).
            let mut instance = cache
                .get_instance(&cosmwasm_std::Checksum::from(checksum), backend, options)
                .map_err(|e| match e {
                    VmError::CacheErr { .. }
                    | VmError::IntegrityErr { .. }
                    | VmError::CompileErr { .. } => {
                        sdk::internal(format!("wasm vm: loading a cached module: {e}"))
                    }
                    e => vm_err(e),
                })?;
            let result = f(&mut instance);
            let report = instance.create_gas_report();
            (result, report.remaining, report.used_internally)
        };
        if let Some(e) = fault.borrow_mut().take() {
            return Err(e);
        }
        h.meter().consume(gas::from_vm_gas(used), "wasm contract")?;
        let exhausted = h.meter().consumed() >= h.meter().limit();
        // The vm reports running out of its own gas as a runtime error, and the tx's meter
        // running out under a storage call as a backend error: both are out of gas.
        result.map_err(|e| {
            if vm_remaining == 0 || exhausted {
                out_of_gas("wasm contract")
            } else {
                vm_err(e)
            }
        })
    }

    /// MsgInstantiateContract / MsgInstantiateContract2: returns the response (address, data).
    pub fn instantiate(&self, ctx: &mut Ctx, tx: TxInfo, m: &Instantiate) -> Result<Any, TxError> {
        let (addr, data) = self.instantiate_in(ctx, tx, m, 0)?;
        if m.salt.is_some() {
            Ok(any_response(pb::MsgInstantiateContract2Response {
                address: addr.to_bech32(),
                data,
            }))
        } else {
            Ok(any_response(pb::MsgInstantiateContractResponse {
                address: addr.to_bech32(),
                data,
            }))
        }
    }

    pub(crate) fn instantiate_in(
        &self,
        h: &mut dyn Host,
        tx: TxInfo,
        m: &Instantiate,
        depth: u32,
    ) -> Result<(Address, Vec<u8>), TxError> {
        check_label(&m.label)?;
        check_json(&m.msg)?;
        let (info, checksum) = code_checksum(h, m.code_id)?;
        let config = info.instantiate_config.clone().unwrap_or_default();
        if !access::allowed(&config, &m.sender) {
            return Err(sdk::unauthorized("can not instantiate"));
        }
        let addr = match &m.salt {
            None => {
                let id = h.next_wasm_id(SEQ_INSTANCE_ID)?;
                address::classic(m.code_id, id)?
            }
            Some((salt, fix_msg)) => {
                let init = if *fix_msg { m.msg.as_slice() } else { &[] };
                address::predictable(&checksum, &m.sender, salt, init)?
            }
        };
        if h.get_contract_info(&addr)?.is_some() {
            return Err(WasmError::Duplicate(
                "contract address already exists, try a different combination of creator, checksum and salt"
                    .into(),
            )
            .into());
        }
        // wasmd's account rules: an address someone already controls (a key, a sequence, a
        // module) cannot become a contract (wasm code 3); a plain account that only
        // received coins can.
        if let Some(a) = h.account(&addr)? {
            if a.pub_key.is_some() || a.sequence > 0 || a.module.is_some() {
                return Err(TxError::new(
                    MODULE_NAME,
                    crate::ERR_ACCOUNT_EXISTS,
                    format!("{}: account exists", addr.to_bech32()),
                ));
            }
        }
        h.ensure_account(&addr)?;
        if !m.funds.is_empty() {
            transfer(h, &m.sender, &addr, &m.funds)?;
        }

        let e = env(h, tx, &addr);
        let info_vm = MessageInfo {
            sender: Addr::unchecked(m.sender.to_bech32()),
            funds: vm_coins(&m.funds),
        };
        let r = self.run(h, m.code_id, &addr, m.msg.len(), depth, |i| {
            call_instantiate::<_, _, _, Empty>(i, &e, &info_vm, &m.msg)
        })?;
        let resp: Response<Empty> = match r {
            ContractResult::Ok(r) => r,
            ContractResult::Err(e) => {
                return Err(TxError::new(
                    MODULE_NAME,
                    ERR_INSTANTIATE_FAILED,
                    format!("{e}: instantiate wasm contract failed"),
                ))
            }
        };

        let pos = position(h, tx);
        let info = pb::ContractInfo {
            code_id: m.code_id,
            creator: m.sender.to_bech32(),
            admin: m.admin.as_ref().map(Address::to_bech32).unwrap_or_default(),
            label: m.label.clone(),
            created: Some(pos.clone()),
            ibc_port_id: String::new(),
            extension: None,
        };
        h.create_contract_info(&addr, &info, Some(&pos))?;
        let entry = pb::ContractCodeHistoryEntry {
            operation: pb::ContractCodeHistoryOperationType::Init as i32,
            code_id: m.code_id,
            updated: Some(pos.clone()),
            msg: m.msg.clone(),
        };
        h.append_history(&addr, std::slice::from_ref(&entry))?;
        h.index_by_code(&addr, &entry)?;

        h.emit_event(events::instantiate(&addr.to_bech32(), m.code_id));
        let data = self.handle_response(h, tx, &addr, resp, depth)?;
        Ok((addr, data))
    }

    /// MsgExecuteContract: `funds` move from the sender to the contract before the call.
    pub fn execute(
        &self,
        ctx: &mut Ctx,
        tx: TxInfo,
        m: &pb::MsgExecuteContract,
    ) -> Result<Any, TxError> {
        let sender = Address::from_bech32(&m.sender)?;
        let contract = Address::from_bech32(&m.contract)?;
        let funds = Coins::from_proto(&m.funds)?;
        let data = self.execute_in(ctx, tx, &sender, &contract, &m.msg, &funds, 0)?;
        Ok(any_response(pb::MsgExecuteContractResponse { data }))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn execute_in(
        &self,
        h: &mut dyn Host,
        tx: TxInfo,
        sender: &Address,
        contract: &Address,
        msg: &[u8],
        funds: &Coins,
        depth: u32,
    ) -> Result<Vec<u8>, TxError> {
        check_json(msg)?;
        let info = h
            .get_contract_info(contract)?
            .ok_or_else(|| WasmError::NoSuchContract(contract.to_bech32()))?;
        if !funds.is_empty() {
            transfer(h, sender, contract, funds)?;
        }
        let e = env(h, tx, contract);
        let mi = MessageInfo {
            sender: Addr::unchecked(sender.to_bech32()),
            funds: vm_coins(funds),
        };
        let r = self.run(h, info.code_id, contract, msg.len(), depth, |i| {
            call_execute::<_, _, _, Empty>(i, &e, &mi, msg)
        })?;
        let resp = match r {
            ContractResult::Ok(r) => r,
            ContractResult::Err(e) => {
                return Err(TxError::new(
                    MODULE_NAME,
                    ERR_EXECUTE_FAILED,
                    format!("{e}: execute wasm contract failed"),
                ))
            }
        };
        h.emit_event(events::execute(&contract.to_bech32()));
        self.handle_response(h, tx, contract, resp, depth)
    }

    /// MsgMigrateContract: only the contract's admin, to a code whose instantiate
    /// permission allows the admin (wasmd's policy).
    pub fn migrate(
        &self,
        ctx: &mut Ctx,
        tx: TxInfo,
        m: &pb::MsgMigrateContract,
    ) -> Result<Any, TxError> {
        let sender = Address::from_bech32(&m.sender)?;
        let contract = Address::from_bech32(&m.contract)?;
        check_json(&m.msg)?;
        let h: &mut dyn Host = ctx;
        let mut info = h
            .get_contract_info(&contract)?
            .ok_or_else(|| WasmError::NoSuchContract(contract.to_bech32()))?;
        let (new_code, _) = code_checksum(h, m.code_id)?;
        crate::msgs::check_admin(&info, &sender)
            .map_err(|_| sdk::unauthorized("can not migrate"))?;
        let config = new_code.instantiate_config.clone().unwrap_or_default();
        if !access::allowed(&config, &sender) {
            return Err(sdk::unauthorized("to use new code"));
        }
        let e = env(h, tx, &contract);
        let r = self.run(h, m.code_id, &contract, m.msg.len(), 0, |i| {
            call_migrate::<_, _, _, Empty>(i, &e, &m.msg)
        })?;
        let resp = match r {
            ContractResult::Ok(r) => r,
            ContractResult::Err(e) => {
                return Err(TxError::new(
                    MODULE_NAME,
                    ERR_MIGRATION_FAILED,
                    format!("{e}: migrate wasm contract failed"),
                ))
            }
        };
        let history = h.contract_history(&contract)?;
        if let Some(last) = history.last() {
            h.unindex_by_code(&contract, last)?;
        }
        let entry = pb::ContractCodeHistoryEntry {
            operation: pb::ContractCodeHistoryOperationType::Migrate as i32,
            code_id: m.code_id,
            updated: Some(position(h, tx)),
            msg: m.msg.clone(),
        };
        h.append_history(&contract, std::slice::from_ref(&entry))?;
        h.index_by_code(&contract, &entry)?;
        info.code_id = m.code_id;
        h.put_contract_info(&contract, &info)?;
        h.emit_event(events::migrate(&contract.to_bech32(), m.code_id));
        let data = self.handle_response(h, tx, &contract, resp, 0)?;
        Ok(any_response(pb::MsgMigrateContractResponse { data }))
    }

    /// A smart query (`Query/SmartContractState`, and contracts' `WasmQuery::Smart`): the
    /// contract's answer, or wasm code 9 with its error. Runs on `ctx`'s meter (the app's
    /// query gas limit); the caller drops `ctx`'s writes (a query writes nothing).
    pub fn query_smart(
        &self,
        ctx: &mut Ctx,
        contract: &Address,
        msg: &[u8],
    ) -> Result<Vec<u8>, TxError> {
        check_json(msg)?;
        self.query_at_depth(ctx, contract, msg, 0)
    }

    pub(crate) fn query_at_depth(
        &self,
        h: &mut dyn Host,
        contract: &Address,
        msg: &[u8],
        depth: u32,
    ) -> Result<Vec<u8>, TxError> {
        let info = h
            .get_contract_info(contract)?
            .ok_or_else(|| WasmError::NoSuchContract(contract.to_bech32()))?;
        let e = env(h, TxInfo::default(), contract);
        let e = Env {
            transaction: None,
            ..e
        };
        let r = self.run(h, info.code_id, contract, msg.len(), depth, |i| {
            call_query(i, &e, msg)
        })?;
        match r {
            ContractResult::Ok(b) => Ok(b.to_vec()),
            ContractResult::Err(e) => Err(TxError::new(
                MODULE_NAME,
                ERR_QUERY_FAILED,
                format!("{e}: query wasm contract failed"),
            )),
        }
    }
}
