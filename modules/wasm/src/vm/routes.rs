//! The vm's messages and the smart query in the router: each decoded message holds the
//! node's [`WasmVm`] (a cheap clone), so `Message::execute` can reach it. The record-only
//! messages (admin, label, config, params) need no vm and are registered by the module
//! itself.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use cosmos_sdk_proto::Any;
use deai_framework::{Address, Coins, Ctx, Message, Router, TxError};

use super::exec::{check_json, Instantiate, TxInfo};
use super::WasmVm;
use crate::msgs::{field_addr, PinCodes, StoreCode, UnpinCodes};
use crate::MODULE_NAME;

/// wasmd's `DefaultSmartQueryGasLimit`: the gas a `Query/SmartContractState` may use.
pub const SMART_QUERY_GAS_LIMIT: u64 = 3_000_000;

/// A message the vm runs: its validated form and the vm.
struct VmMsg<M> {
    vm: WasmVm,
    signer: Address,
    msg: M,
}

fn tx_info(ctx: &Ctx) -> TxInfo {
    TxInfo {
        index: ctx.block.tx_index,
    }
}

/// What each vm message does with the vm.
trait VmRun: Send + Sync {
    fn run(&self, vm: &WasmVm, ctx: &mut Ctx) -> Result<Any, TxError>;
}

impl<M: VmRun> Message for VmMsg<M> {
    fn signers(&self) -> Vec<Address> {
        vec![self.signer.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        self.msg.run(&self.vm, ctx)
    }
}

impl VmRun for StoreCode {
    fn run(&self, vm: &WasmVm, ctx: &mut Ctx) -> Result<Any, TxError> {
        vm.store_code(ctx, self)
    }
}

impl VmRun for Instantiate {
    fn run(&self, vm: &WasmVm, ctx: &mut Ctx) -> Result<Any, TxError> {
        vm.instantiate(ctx, tx_info(ctx), self)
    }
}

/// MsgExecuteContract, checked statelessly as wasmd's `ValidateBasic` does.
struct Execute(pb::MsgExecuteContract);

impl VmRun for Execute {
    fn run(&self, vm: &WasmVm, ctx: &mut Ctx) -> Result<Any, TxError> {
        vm.execute(ctx, tx_info(ctx), &self.0)
    }
}

/// MsgMigrateContract, checked statelessly.
struct Migrate(pb::MsgMigrateContract);

impl VmRun for Migrate {
    fn run(&self, vm: &WasmVm, ctx: &mut Ctx) -> Result<Any, TxError> {
        vm.migrate(ctx, tx_info(ctx), &self.0)
    }
}

/// MsgPinCodes / MsgUnpinCodes: the flag in state, then the vm's cache (not while
/// simulating: a simulation leaves nothing behind).
impl VmRun for PinCodes {
    fn run(&self, vm: &WasmVm, ctx: &mut Ctx) -> Result<Any, TxError> {
        let resp = Message::execute(self, ctx)?;
        if !ctx.block.simulate {
            vm.pin_codes(ctx, &self.code_ids, true)?;
        }
        Ok(resp)
    }
}

impl VmRun for UnpinCodes {
    fn run(&self, vm: &WasmVm, ctx: &mut Ctx) -> Result<Any, TxError> {
        let resp = Message::execute(self, ctx)?;
        if !ctx.block.simulate {
            vm.pin_codes(ctx, &self.code_ids, false)?;
        }
        Ok(resp)
    }
}

fn vm_msg<M>(vm: &WasmVm, signer: Address, msg: M) -> VmMsg<M> {
    VmMsg {
        vm: vm.clone(),
        signer,
        msg,
    }
}

/// Registers the vm's messages and `Query/SmartContractState`.
pub fn register(router: &mut Router, vm: &WasmVm) {
    let v = vm.clone();
    router.add_msg_with(move |m: pb::MsgStoreCode| {
        let msg = StoreCode::try_from(m)?;
        Ok(vm_msg(&v, msg.sender.clone(), msg))
    });
    let v = vm.clone();
    router.add_msg_with(move |m: pb::MsgInstantiateContract| {
        let msg = Instantiate::try_from(m)?;
        Ok(vm_msg(&v, msg.sender.clone(), msg))
    });
    let v = vm.clone();
    router.add_msg_with(move |m: pb::MsgInstantiateContract2| {
        let msg = Instantiate::try_from(m)?;
        Ok(vm_msg(&v, msg.sender.clone(), msg))
    });
    let v = vm.clone();
    router.add_msg_with(move |m: pb::MsgExecuteContract| {
        let sender = field_addr(&m.sender, "sender")?;
        field_addr(&m.contract, "contract")?;
        check_json(&m.msg)?;
        Coins::from_proto(&m.funds)?;
        Ok(vm_msg(&v, sender, Execute(m)))
    });
    let v = vm.clone();
    router.add_msg_with(move |m: pb::MsgMigrateContract| {
        let sender = field_addr(&m.sender, "sender")?;
        field_addr(&m.contract, "contract")?;
        check_json(&m.msg)?;
        Ok(vm_msg(&v, sender, Migrate(m)))
    });
    let v = vm.clone();
    router.add_msg_with(move |m: pb::MsgPinCodes| {
        let msg = PinCodes::try_from(m)?;
        Ok(vm_msg(&v, msg.authority.clone(), msg))
    });
    let v = vm.clone();
    router.add_msg_with(move |m: pb::MsgUnpinCodes| {
        let msg = UnpinCodes::try_from(m)?;
        Ok(vm_msg(&v, msg.authority.clone(), msg))
    });
    let v = vm.clone();
    router.add_metered_query(
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        SMART_QUERY_GAS_LIMIT,
        move |ctx, req: pb::QuerySmartContractStateRequest| {
            let contract = field_addr(&req.address, "address")?;
            let data = v.query_smart(ctx, &contract, &req.query_data)?;
            Ok(pb::QuerySmartContractStateResponse { data })
        },
    );
}
