//! wasm: the CosmWasm module, wasmd-compatible on the wire (docs/wasm.md). This crate holds
//! what needs no vm: wasmd's contract addresses, the state layout (codes, code bytes,
//! contracts, history, indexes, contract storage, sequences), params, genesis, the
//! messages that only store or change records (`MsgStoreCode`, admin, label, instantiate
//! config, params) and the queries that only read them. Instantiate, execute, migrate,
//! sudo and smart queries come with cosmwasm-vm.

pub mod access;
pub mod address;
mod error;
pub mod events;
pub mod gas;
mod genesis;
mod keeper;
mod msgs;
pub mod params;
mod query;
pub mod state_key;
pub mod vm;

pub use error::*;
pub use genesis::{export_proto, export_state, import_proto};
pub use keeper::{WasmRead, WasmWrite, MAX_HISTORY_READ};
pub use msgs::{
    check_label, is_gzip, is_wasm, ClearAdmin, PinCodes, StoreCode, UnpinCodes, UpdateAdmin,
    UpdateContractLabel, UpdateInstantiateConfig, UpdateParams, MAX_CODE_ID_COUNT, WASM_MAGIC,
};
pub use query::{QueryCodeInfoRequest, QueryCodeInfoResponse, MAX_RESULT_ENTRIES};

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::{Module, Router, StateRead, StateWrite, TxError};

pub const MODULE_NAME: &str = "wasm";

/// The wasm module. The node's holds its vm ([`WasmModule::new`]); [`WasmModule::RECORDS`]
/// has none and routes only what needs no vm (genesis tools, unit tests of the records).
pub struct WasmModule {
    vm: Option<vm::WasmVm>,
}

impl WasmModule {
    /// Without a vm: MsgStoreCode checks size and magic only, and instantiate, execute,
    /// migrate and smart queries are not routed.
    pub const RECORDS: WasmModule = WasmModule { vm: None };

    /// The node's module: every message and query, contracts run by `vm`.
    pub fn new(vm: vm::WasmVm) -> Self {
        Self { vm: Some(vm) }
    }
}

impl Module for WasmModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        match &self.vm {
            Some(vm) => vm::register_routes(router, vm),
            None => {
                router.add_msg::<pb::MsgStoreCode, StoreCode>();
                router.add_msg::<pb::MsgPinCodes, PinCodes>();
                router.add_msg::<pb::MsgUnpinCodes, UnpinCodes>();
            }
        }
        router.add_msg::<pb::MsgUpdateAdmin, UpdateAdmin>();
        router.add_msg::<pb::MsgClearAdmin, ClearAdmin>();
        router.add_msg::<pb::MsgUpdateContractLabel, UpdateContractLabel>();
        router.add_msg::<pb::MsgUpdateInstantiateConfig, UpdateInstantiateConfig>();
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        query::register(router);
    }

    fn init_genesis(
        &self,
        state: &mut dyn StateWrite,
        genesis: &serde_json::Value,
    ) -> Result<(), TxError> {
        genesis::init(state, genesis)
    }

    fn export_genesis(&self, state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
        genesis::export(state)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_address;
#[cfg(test)]
mod tests_admin;
#[cfg(test)]
mod tests_fixtures;
#[cfg(test)]
mod tests_genesis;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_queries;
#[cfg(test)]
mod tests_vm;
#[cfg(test)]
mod tests_vm_prop;
#[cfg(test)]
mod tests_vm_querier;
#[cfg(test)]
mod tests_vm_reply;
#[cfg(test)]
mod tests_vm_response;
