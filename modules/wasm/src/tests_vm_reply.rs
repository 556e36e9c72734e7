//! Sub-messages and replies through a real contract (`wasm-contracts/reflect`, a test
//! contract): writes kept or dropped with their sub-message, replies on success and error
//! with wasmd's redacted errors, gas limits, reply data, and the depth bound on reply chains.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::testing::addr;
use deai_framework::{Address, TxError};
use prost::Message;
use serde_json::{json, Value};

use crate::tests_vm::{artifact, Chain, TestDeai, TX_GAS};
use crate::vm::TxInfo;

struct Reflect {
    c: Chain,
    me: Address,
    contract: Address,
}

fn setup() -> Reflect {
    let mut c = Chain::new(Box::new(TestDeai));
    let me = addr(40);
    c.fund(&me, 10_000);
    let code = c.store(&me, artifact("reflect")).unwrap();
    let (contract, _, _) = c.instantiate(&me, None, code, json!({}), 0).unwrap();
    Reflect { c, me, contract }
}

impl Reflect {
    fn self_exec(&self, msg: Value) -> Value {
        json!({"wasm": {"execute": {"contract_addr": self.contract.to_bech32(),
            "msg": base64(&msg.to_string()), "funds": []}}})
    }

    /// `reflect {msgs}` as a tx; returns the response data.
    fn reflect(&mut self, gas: u64, msgs: Vec<Value>) -> Result<(Vec<u8>, u64), TxError> {
        let m = pb::MsgExecuteContract {
            sender: self.me.to_bech32(),
            contract: self.contract.to_bech32(),
            msg: json!({"reflect": {"msgs": msgs}}).to_string().into_bytes(),
            funds: vec![],
        };
        let (any, _, used) = self
            .c
            .tx(gas, |vm, ctx| vm.execute(ctx, TxInfo::default(), &m))?;
        let data = pb::MsgExecuteContractResponse::decode(any.value.as_slice())
            .unwrap()
            .data;
        Ok((data, used))
    }

    fn replies(&mut self) -> Vec<Value> {
        let r = self
            .c
            .query(&self.contract, json!({"replies": {}}))
            .unwrap();
        r.as_array().unwrap().clone()
    }

    fn value(&mut self, key: &str) -> Value {
        self.c
            .query(&self.contract, json!({"value": {"key": key}}))
            .unwrap()
    }
}

fn base64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn sub(id: u64, msg: Value, reply_on: &str, gas_limit: Option<u64>, payload: &str) -> Value {
    json!({"id": id, "msg": msg, "reply_on": reply_on, "gas_limit": gas_limit,
        "payload": base64(payload)})
}

#[test]
fn a_successful_sub_message_keeps_its_writes_and_its_reply_sees_the_result() {
    let mut r = setup();
    let to = addr(41);
    let send = json!({"bank": {"send": {"to_address": to.to_bech32(),
        "amount": [{"denom": "udeai", "amount": "7"}]}}});
    r.c.fund(&r.contract.clone(), 100);
    let write = r.self_exec(json!({"write": {"key": "k", "value": "v"}}));
    let (data, _) = r
        .reflect(
            TX_GAS,
            vec![
                sub(1, send, "success", None, "p1"),
                sub(2, write, "always", None, ""),
            ],
        )
        .unwrap();
    assert!(data.is_empty());
    assert_eq!(r.c.bal(&to), 7);
    assert_eq!(r.value("k"), json!("v"));
    let replies = r.replies();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["id"], 1);
    assert_eq!(replies[0]["ok"], true);
    assert_eq!(replies[0]["payload"], "p1");
    assert_eq!(
        replies[0]["msg_responses"],
        json!(["/cosmos.bank.v1beta1.MsgSendResponse"])
    );
    assert!(replies[0]["events"]
        .as_array()
        .unwrap()
        .contains(&json!("transfer")));
    assert_eq!(
        replies[1]["msg_responses"],
        json!(["/cosmwasm.wasm.v1.MsgExecuteContractResponse"])
    );
    assert!(replies[1]["gas_used"].as_u64().unwrap() > 0);
}

#[test]
fn a_failed_sub_message_is_rolled_back_alone_and_reported_redacted() {
    let mut r = setup();
    let fail = r.self_exec(json!({"write_then_fail": {"key": "lost", "value": "v"}}));
    let keep = r.self_exec(json!({"write": {"key": "kept", "value": "v"}}));
    r.reflect(
        TX_GAS,
        vec![
            sub(5, fail.clone(), "error", None, ""),
            sub(6, keep, "never", None, ""),
        ],
    )
    .unwrap();
    assert_eq!(r.value("lost"), Value::Null);
    assert_eq!(r.value("kept"), json!("v"));
    let replies = r.replies();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0]["ok"], false);
    assert_eq!(replies[0]["error"], "codespace: wasm, code: 5");

    // reply_on success (or never): the failure fails the whole tx; nothing persists.
    let before = r.c.dump();
    for on in ["success", "never"] {
        let e = r
            .reflect(TX_GAS, vec![sub(7, fail.clone(), on, None, "")])
            .unwrap_err();
        assert_eq!((e.codespace, e.code), ("wasm", 5), "{on}: {}", e.log);
    }
    assert_eq!(r.c.dump(), before);
}

#[test]
fn a_gas_limit_bounds_the_sub_message_and_the_parent_pays_it() {
    let mut r = setup();
    let burn = r.self_exec(json!({"burn_gas": {"rounds": 200}}));
    let limit = 150_000;
    let (_, used) = r
        .reflect(TX_GAS, vec![sub(9, burn.clone(), "error", Some(limit), "")])
        .unwrap();
    let replies = r.replies();
    assert_eq!(replies[0]["error"], "codespace: sdk, code: 11");
    assert_eq!(replies[0]["gas_used"], limit);
    assert!(used > limit, "the parent paid the limit: {used}");
    assert_eq!(r.value("burn0"), Value::Null);

    // Without a limit, running out of the tx's gas fails the tx whatever reply_on says; so
    // does a limit above what the tx has left (it is ignored, as in wasmd), however large.
    for limit in [None, Some(u64::MAX), Some(399_999)] {
        let e = r
            .reflect(400_000, vec![sub(10, burn.clone(), "always", limit, "")])
            .unwrap_err();
        assert_eq!((e.codespace, e.code), ("sdk", 11), "{limit:?}: {}", e.log);
    }
}

#[test]
fn reply_data_replaces_the_response_data_and_a_failed_reply_fails_the_tx() {
    let mut r = setup();
    let write = r.self_exec(json!({"write": {"key": "k", "value": "v"}}));
    let (data, _) = r
        .reflect(TX_GAS, vec![sub(1, write.clone(), "success", None, "data")])
        .unwrap();
    assert_eq!(data, b"reply-data");

    let before = r.c.dump();
    let e = r
        .reflect(TX_GAS, vec![sub(2, write, "success", None, "fail")])
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("wasm", 5), "{}", e.log);
    assert_eq!(r.c.dump(), before);
}

#[test]
fn a_chain_of_replies_is_bounded_by_the_call_depth() {
    let mut r = setup();
    let write = r.self_exec(json!({"write": {"key": "k", "value": "v"}}));
    let before = r.c.dump();
    let e = r
        .reflect(TX_GAS, vec![sub(1, write, "always", None, "again")])
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("wasm", 30), "{}", e.log);
    assert_eq!(r.c.dump(), before);
}
