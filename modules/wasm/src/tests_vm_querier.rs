//! The querier on its own, as a contract would call it: bank, wasm smart / raw /
//! contract-info / code-info into a real contract, the query depth limit and `DeaiQuery`.

use std::cell::RefCell;
use std::rc::Rc;

use cosmwasm_std::{ContractResult, SystemResult};
use cosmwasm_vm::Querier;
use deai_framework::testing::{addr, block};
use deai_framework::{Ctx, GasMeter};
use serde_json::{json, Value};

use crate::tests_vm::{agent_init, artifact, Chain, TestDeai, DENOM};
use crate::vm::backend::HostPtr;
use crate::vm::{HostQuerier, MAX_QUERY_DEPTH};

/// Runs one raw query as contract code would, at `depth`; returns the answer and gas.
fn ask(c: &Chain, depth: u32, q: Value) -> (SystemResult<ContractResult<Value>>, u64) {
    let meter = GasMeter::new(10_000_000);
    let b = block(c.height);
    let mut ctx = Ctx::new(&c.s, &meter, &b);
    let answer = {
        // SAFETY: the querier is dropped at the end of this block, while `ctx` lives.
        let host = unsafe { HostPtr::new(&mut ctx) };
        let querier = HostQuerier {
            vm: c.vm.clone(),
            host,
            fault: Rc::new(RefCell::new(None)),
            depth,
        };
        let (r, _gas) = querier.query_raw(q.to_string().as_bytes(), u64::MAX);
        r.unwrap()
    };
    let answer = match answer {
        SystemResult::Ok(ContractResult::Ok(b)) => {
            let v = if b.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&b)
                    .unwrap_or(Value::String(String::from_utf8_lossy(&b).into()))
            };
            SystemResult::Ok(ContractResult::Ok(v))
        }
        SystemResult::Ok(ContractResult::Err(e)) => SystemResult::Ok(ContractResult::Err(e)),
        SystemResult::Err(e) => SystemResult::Err(e),
    };
    (answer, meter.consumed())
}

fn ok(r: SystemResult<ContractResult<Value>>) -> Value {
    match r {
        SystemResult::Ok(ContractResult::Ok(v)) => v,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_querier_answers_bank_wasm_and_deai() {
    let mut c = Chain::new(Box::new(TestDeai));
    let a = addr(1);
    c.fund(&a, 777);
    let id = c.store(&a, artifact("agent-marketplace")).unwrap();
    let (contract, _, _) = c.instantiate(&a, Some(&a), id, agent_init(&a), 0).unwrap();
    let ca = contract.to_bech32();

    let (r, gas) = ask(
        &c,
        0,
        json!({"bank": {"balance": {"address": a.to_bech32(), "denom": DENOM}}}),
    );
    assert_eq!(ok(r), json!({"amount": {"denom": DENOM, "amount": "777"}}));
    assert!(gas > 0, "bank reads are charged");
    let (r, _) = ask(
        &c,
        0,
        json!({"bank": {"all_balances": {"address": a.to_bech32()}}}),
    );
    assert_eq!(
        ok(r),
        json!({"amount": [{"denom": DENOM, "amount": "777"}]})
    );

    let smart = json!({"wasm": {"smart": {"contract_addr": ca,
        "msg": cosmwasm_std::to_json_binary(&json!({"config": {}})).unwrap()}}});
    let (r, gas) = ask(&c, 0, smart.clone());
    assert_eq!(ok(r)["denom"], DENOM);
    assert!(
        gas >= crate::gas::INSTANCE_COST,
        "a nested query pays its setup: {gas}"
    );
    // One level short of the limit still answers; at the limit it is refused.
    let (r, _) = ask(&c, MAX_QUERY_DEPTH - 2, smart.clone());
    ok(r);
    let (r, _) = ask(&c, MAX_QUERY_DEPTH - 1, smart);
    assert!(
        format!("{r:?}").contains("max query stack size exceeded"),
        "{r:?}"
    );

    let (r, _) = ask(
        &c,
        0,
        json!({"wasm": {"contract_info": {"contract_addr": ca}}}),
    );
    let info = ok(r);
    assert_eq!(info["code_id"], id);
    assert_eq!(info["admin"], a.to_bech32());
    assert_eq!(info["pinned"], false);
    let (r, _) = ask(&c, 0, json!({"wasm": {"code_info": {"code_id": id}}}));
    assert_eq!(ok(r)["code_id"], id);
    let (r, _) = ask(
        &c,
        0,
        json!({"wasm": {"contract_info": {"contract_addr": addr(9).to_bech32()}}}),
    );
    assert!(matches!(
        r,
        SystemResult::Err(cosmwasm_std::SystemError::NoSuchContract { .. })
    ));
    // Raw: a missing key is empty.
    let (r, _) = ask(
        &c,
        0,
        json!({"wasm": {"raw": {"contract_addr": ca,
        "key": cosmwasm_std::Binary::from(b"no such key".to_vec())}}}),
    );
    assert_eq!(ok(r), Value::Null);

    let (r, _) = ask(&c, 0, json!({"custom": {"inference_model": {"id": 7}}}));
    assert_eq!(ok(r)["model"]["id"], 7);
    let (r, _) = ask(&c, 0, json!({"custom": {"training_lineage": {"task": 1}}}));
    assert_eq!(ok(r), json!({"lineage": null}));
    let (r, _) = ask(&c, 0, json!({"staking": {"bonded_denom": {}}}));
    assert!(
        matches!(
            r,
            SystemResult::Err(cosmwasm_std::SystemError::UnsupportedRequest { .. })
        ),
        "{r:?}"
    );
}
