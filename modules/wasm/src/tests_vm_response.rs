//! A contract's response handled on its own, with responses the two contracts never send:
//! sub-messages to contracts (execute with funds, instantiate), bank sends, the call depth
//! limit, refused kinds and replies, and event rules.

use cosmwasm_std::{
    coins as vm_coins, to_json_binary, BankMsg, Empty, Event as VmEvent, Response, SubMsg, WasmMsg,
};
use deai_framework::testing::{addr, block};
use deai_framework::{Address, Ctx, GasMeter, TxError};
use serde_json::json;

use crate::keeper::WasmRead;
use crate::tests_vm::{agent_init, artifact, Chain, DENOM};
use crate::vm::{TxInfo, UnsupportedDeaiQuerier, MAX_CALL_DEPTH};
use crate::{ERR_EXCEED_MAX_CALL_DEPTH, ERR_INVALID_EVENT, ERR_INVALID_MSG};

/// Handles `resp` as contract `from`'s response at `depth`, applying the writes on success.
fn handle(
    c: &mut Chain,
    from: &Address,
    resp: Response<Empty>,
    depth: u32,
) -> Result<Vec<deai_framework::Event>, TxError> {
    let meter = GasMeter::new(50_000_000);
    let snapshot = c.s.clone();
    let b = block(c.height);
    let mut ctx = Ctx::new(&snapshot, &meter, &b);
    c.vm.handle_response(&mut ctx, TxInfo::default(), from, resp, depth)?;
    let (writes, events) = ctx.finish();
    c.s.apply(writes);
    Ok(events)
}

fn code_of(r: Result<Vec<deai_framework::Event>, TxError>) -> (&'static str, u32) {
    let e = r.unwrap_err();
    (e.codespace, e.code)
}

#[test]
fn sub_messages_run_as_the_contract() {
    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let a = addr(1);
    let id = c.store(&a, artifact("agent-marketplace")).unwrap();
    let (target, _, _) = c.instantiate(&a, None, id, agent_init(&a), 0).unwrap();
    let (caller, _, _) = c.instantiate(&a, None, id, agent_init(&a), 0).unwrap();
    c.fund(&caller, 2_000);

    let register = json!({"register_agent": {"name": "contract agent", "capabilities": ["x"],
        "endpoint": "https://c.example", "price": "5"}});
    let resp = Response::new()
        .add_attribute("action", "fan out")
        .add_event(VmEvent::new("fan").add_attribute("n", "3"))
        .add_message(WasmMsg::Execute {
            contract_addr: target.to_bech32(),
            msg: to_json_binary(&register).unwrap(),
            funds: vm_coins(1_000, DENOM),
        })
        .add_message(BankMsg::Send {
            to_address: addr(50).to_bech32(),
            amount: vm_coins(5, DENOM),
        })
        .add_message(WasmMsg::Instantiate {
            admin: None,
            code_id: id,
            msg: to_json_binary(&agent_init(&a)).unwrap(),
            funds: vec![],
            label: "child".into(),
        });
    let events = handle(&mut c, &caller, resp, 0).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds[..2], ["wasm", "wasm-fan"], "{kinds:?}");
    assert!(
        kinds.contains(&"execute") && kinds.contains(&"instantiate"),
        "{kinds:?}"
    );

    assert_eq!(c.bal(&caller), 2_000 - 1_000 - 5);
    assert_eq!(c.bal(&target), 1_000);
    assert_eq!(c.bal(&addr(50)), 5);
    let agent = c
        .query(&target, json!({"agent": {"address": caller.to_bech32()}}))
        .unwrap();
    assert_eq!(agent["agent"]["name"], "contract agent");
    let child = crate::address::classic(id, 3).unwrap();
    let info = c.s.get_contract_info(&child).unwrap().unwrap();
    assert_eq!(info.creator, caller.to_bech32());
}

#[test]
fn refused_responses_fail_cleanly() {
    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let a = addr(1);
    let id = c.store(&a, artifact("agent-marketplace")).unwrap();
    let (caller, _, _) = c.instantiate(&a, None, id, agent_init(&a), 0).unwrap();
    c.fund(&caller, 100);
    let send = BankMsg::Send {
        to_address: addr(50).to_bech32(),
        amount: vm_coins(5, DENOM),
    };
    let before = c.dump();

    let deep = Response::new().add_message(send.clone());
    assert_eq!(
        code_of(handle(&mut c, &caller, deep, MAX_CALL_DEPTH - 1)),
        ("wasm", ERR_EXCEED_MAX_CALL_DEPTH)
    );
    // A reply to a contract without a `reply` entry point is a vm error, and the send the
    // sub-message made is undone with the rest (checked with `before` below).
    let reply = Response::<Empty>::new().add_submessage(SubMsg::reply_on_success(send.clone(), 1));
    assert_eq!(
        code_of(handle(&mut c, &caller, reply, 0)),
        ("wasm", crate::ERR_VM_ERROR)
    );
    let burn = Response::<Empty>::new().add_message(BankMsg::Burn {
        amount: vm_coins(1, DENOM),
    });
    let e = handle(&mut c, &caller, burn, 0).unwrap_err();
    assert_eq!((e.codespace, e.code), ("wasm", ERR_INVALID_MSG));
    assert!(e.log.contains("Burn"), "{e}");
    // Built by hand: cosmwasm-std's own constructor asserts this in debug builds.
    let mut reserved = Response::<Empty>::new();
    reserved.attributes.push(cosmwasm_std::Attribute {
        key: "_contract_address".into(),
        value: "spoof".into(),
    });
    assert_eq!(
        code_of(handle(&mut c, &caller, reserved, 0)),
        ("wasm", ERR_INVALID_EVENT)
    );
    let short = Response::<Empty>::new().add_event(VmEvent::new("ab"));
    assert_eq!(
        code_of(handle(&mut c, &caller, short, 0)),
        ("wasm", ERR_INVALID_EVENT)
    );
    let too_much = Response::new().add_message(BankMsg::Send {
        to_address: addr(50).to_bech32(),
        amount: vm_coins(500, DENOM),
    });
    assert_eq!(code_of(handle(&mut c, &caller, too_much, 0)), ("sdk", 5));
    assert_eq!(c.dump(), before);
}
