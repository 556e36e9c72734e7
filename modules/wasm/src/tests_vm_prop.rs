//! The vm's refusals and failure atomicity: invalid and float wasm refused at store with no
//! state change, out-of-gas failing cleanly, a failed execution never persisting contract
//! storage writes (property), and the cache rebuilt from state.

use deai_framework::testing::addr;
use deai_framework::{Address, StateRead};
use proptest::prelude::*;
use serde_json::json;
use wasm_encoder::{
    CodeSection, ExportKind, ExportSection, Function, FunctionSection, Instruction, MemorySection,
    MemoryType, Module, TypeSection, ValType,
};

use crate::keeper::WasmRead;
use crate::state_key::{self, SEQ_CODE_ID};
use crate::tests_vm::{agent_init, artifact, Chain};
use crate::vm::{UnsupportedDeaiQuerier, WasmVm};
use crate::ERR_CREATE_FAILED;

/// A module with a memory, the exports the vm requires and, when `float`, an exported
/// function that adds two f32s.
fn small_module(float: bool) -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]); // allocate
    types.ty().function([ValType::I32], []); // deallocate
    types.ty().function([], []); // interface_version_8
    let result = if float { ValType::F32 } else { ValType::I32 };
    types.ty().function([], [result]); // the float (or not)
    let mut funcs = FunctionSection::new();
    for t in [0u32, 1, 2, 3] {
        funcs.function(t);
    }
    let mut mem = MemorySection::new();
    mem.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export("allocate", ExportKind::Func, 0);
    exports.export("deallocate", ExportKind::Func, 1);
    exports.export("interface_version_8", ExportKind::Func, 2);
    if float {
        exports.export("float", ExportKind::Func, 3);
    }
    let mut code = CodeSection::new();
    let mut f = Function::new([]);
    f.instruction(&Instruction::LocalGet(0));
    f.instruction(&Instruction::End);
    code.function(&f);
    let mut f = Function::new([]);
    f.instruction(&Instruction::End);
    code.function(&f);
    let mut f = Function::new([]);
    f.instruction(&Instruction::End);
    code.function(&f);
    let mut f = Function::new([]);
    if float {
        f.instruction(&Instruction::F32Const(1.5f32.into()));
        f.instruction(&Instruction::F32Const(2.5f32.into()));
        f.instruction(&Instruction::F32Add);
    } else {
        f.instruction(&Instruction::I32Const(0));
    }
    f.instruction(&Instruction::End);
    code.function(&f);
    let mut m = Module::new();
    m.section(&types)
        .section(&funcs)
        .section(&mem)
        .section(&exports)
        .section(&code);
    m.finish()
}

#[test]
fn the_contracts_have_no_floats_and_the_float_module_has() {
    for name in ["agent-marketplace", "model-marketplace"] {
        crate::vm::reject_floats(&artifact(name)).unwrap();
    }
    crate::vm::reject_floats(&small_module(false)).unwrap();
    assert!(crate::vm::reject_floats(&small_module(true)).is_err());
}

#[test]
fn invalid_and_float_wasm_are_refused_at_store() {
    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let before = c.dump();
    // A valid module without the contract interface.
    let bare = vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    let e = c.store(&addr(1), bare).unwrap_err();
    assert_eq!((e.codespace, e.code), ("wasm", ERR_CREATE_FAILED), "{e}");
    // Not wasm at all, and truncated wasm.
    let e = c.store(&addr(1), b"not wasm".to_vec()).unwrap_err();
    assert_eq!((e.codespace, e.code), ("wasm", ERR_CREATE_FAILED), "{e}");
    let mut cut = artifact("agent-marketplace");
    cut.truncate(cut.len() / 2);
    let e = c.store(&addr(1), cut).unwrap_err();
    assert_eq!((e.codespace, e.code), ("wasm", ERR_CREATE_FAILED), "{e}");
    // Floats: refused by the vm's checks.
    let e = c.store(&addr(1), small_module(true)).unwrap_err();
    assert_eq!((e.codespace, e.code), ("wasm", ERR_CREATE_FAILED), "{e}");
    assert!(e.log.to_lowercase().contains("float"), "{e}");
    // Oversized: refused before the vm (sdk 18, as wasmd's ValidateBasic).
    let mut big = artifact("agent-marketplace");
    big.resize(crate::params::MAX_WASM_SIZE + 1, 0);
    let e = c.store(&addr(1), big).unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 18), "{e}");
    assert_eq!(c.dump(), before, "a refused store changes nothing");
    assert_eq!(c.s.wasm_sequence(SEQ_CODE_ID).unwrap(), 0);
}

#[test]
fn out_of_gas_fails_cleanly() {
    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let (agent, arbiter) = (addr(3), addr(2));
    let id = c.store(&arbiter, artifact("agent-marketplace")).unwrap();
    let (contract, _, _) = c
        .instantiate(&arbiter, None, id, agent_init(&arbiter), 0)
        .unwrap();
    c.fund(&agent, 5_000);
    let before = c.dump();
    let reg = json!({"register_agent": {"name": "a", "capabilities": ["x"],
        "endpoint": "https://a.example", "price": "1"}});
    for gas in [1_000, 61_000, 90_000] {
        let e = c
            .execute_gas(gas, &agent, &contract, reg.clone(), 1_000)
            .unwrap_err();
        assert_eq!((e.codespace, e.code), ("sdk", 11), "gas {gas}: {e}");
        assert_eq!(c.dump(), before);
    }
    // Enough gas: it goes through.
    c.execute(&agent, &contract, reg, 1_000).unwrap();
}

#[test]
fn the_cache_is_rebuilt_from_state() {
    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let a = addr(1);
    let id = c.store(&a, artifact("agent-marketplace")).unwrap();
    c.s.set_pinned_raw(id);
    // A fresh vm over an empty directory: rebuilt from the code bytes in state, pinned.
    let dir = tempfile::tempdir().unwrap();
    let vm = WasmVm::new(dir.path().join("fresh"), Box::new(UnsupportedDeaiQuerier));
    assert_eq!(vm.rebuild_cache(&c.s).unwrap(), 1);
    c.vm = vm;
    let (contract, _, _) = c.instantiate(&a, None, id, agent_init(&a), 0).unwrap();
    let cfg = c.query(&contract, json!({"config": {}}));
    assert!(cfg.is_ok(), "{cfg:?}");
}

trait PinRaw {
    fn set_pinned_raw(&mut self, id: u64);
}
impl PinRaw for deai_framework::MemStore {
    fn set_pinned_raw(&mut self, id: u64) {
        use crate::keeper::WasmWrite;
        self.set_pinned(id, true).unwrap();
    }
}

fn contract_keys(c: &Chain, contract: &Address) -> Vec<(Vec<u8>, Vec<u8>)> {
    let p = state_key::contract_store(contract);
    let end = deai_framework::keys::prefix_end(&p);
    c.s.scan(&p, end.as_deref(), false, usize::MAX).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    /// Whatever gas a tx has and whatever it asks, a failed execution leaves the store as it
    /// was: contract storage, balances, everything. A success leaves its writes.
    #[test]
    fn failed_execution_never_persists_writes(
        steps in proptest::collection::vec((60_000u64..400_000, 0u8..4, 0u128..1_500), 1..5)
    ) {
        let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
        let arbiter = addr(2);
        let id = c.store(&arbiter, artifact("agent-marketplace")).unwrap();
        let (contract, _, _) = c.instantiate(&arbiter, None, id, agent_init(&arbiter), 0).unwrap();
        for (i, (gas, kind, funds)) in steps.into_iter().enumerate() {
            let sender = addr(10 + i as u8);
            c.fund(&sender, 2_000);
            let msg = match kind {
                0 => json!({"register_agent": {"name": format!("a{i}"), "capabilities": ["x"],
                    "endpoint": "https://a.example", "price": "5"}}),
                1 => json!({"rate": {"job_id": 1, "stars": 9}}),
                2 => json!({"hire": {"agent": addr(10).to_bech32(), "task": "t", "delivery_blocks": 5}}),
                _ => json!({"no_such_message": {}}),
            };
            let before = c.dump();
            let storage_before = contract_keys(&c, &contract);
            match c.execute_gas(gas, &sender, &contract, msg, funds) {
                Ok(_) => prop_assert!(c.dump() != before),
                Err(e) => {
                    prop_assert!(!e.is_internal(), "{}", e);
                    prop_assert_eq!(contract_keys(&c, &contract), storage_before);
                    prop_assert_eq!(c.dump(), before);
                }
            }
        }
    }
}

#[test]
fn funds_follow_bank_rules() {
    use deai_framework::StateWrite;
    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let (agent, arbiter) = (addr(3), addr(2));
    let id = c.store(&arbiter, artifact("agent-marketplace")).unwrap();
    let (contract, _, _) = c
        .instantiate(&arbiter, None, id, agent_init(&arbiter), 0)
        .unwrap();
    c.fund(&agent, 5_000);
    let reg = json!({"register_agent": {"name": "a", "capabilities": ["x"],
        "endpoint": "https://a.example", "price": "1"}});
    // More than the sender holds: bank's insufficient funds (sdk 5), nothing changes.
    let before = c.dump();
    let e = c
        .execute(&agent, &contract, reg.clone(), 6_000)
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 5), "{e}");
    assert_eq!(c.dump(), before);
    // A denom whose sends are disabled: bank's send disabled.
    c.s.put(deai_bank::state_key::send_enabled("udeai"), vec![0])
        .unwrap();
    let before = c.dump();
    let e = c.execute(&agent, &contract, reg, 1_000).unwrap_err();
    assert_eq!(
        (e.codespace, e.code),
        ("bank", deai_bank::ERR_SEND_DISABLED),
        "{e}"
    );
    assert_eq!(c.dump(), before);
}
