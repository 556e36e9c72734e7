//! The two real contracts (wasm-contracts/artifacts/*.wasm) through the vm's entry points on
//! the framework's in-memory store: store, instantiate, the agent flow with balances
//! reconciled to the unit, the model marketplace's listing and licence with a `DeaiQuery`
//! double, migrate, and refusals.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_bank::{BankRead, BankWrite};
use deai_framework::testing::{addr, block, code, proto_coin};
use deai_framework::{Address, Coin, Coins, Ctx, Event, GasMeter, MemStore, StateRead, TxError};
use prost::Message;
use serde_json::{json, Value};

use crate::keeper::WasmRead;
use crate::vm::{DeaiQuerier, DeaiQuery, Instantiate, TxInfo, UnsupportedDeaiQuerier, WasmVm};
use crate::StoreCode;

pub(crate) const DENOM: &str = "udeai";
pub(crate) const TX_GAS: u64 = 20_000_000;

/// A built contract; a missing file fails with how to build it.
pub(crate) fn artifact(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../wasm-contracts/artifacts/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{path}: {e}. Build the contracts first: run wasm-contracts/build.sh")
    })
}

/// The test double of the app's deai queries: model 7 exists (owner `addr(30)`).
pub(crate) struct TestDeai;

impl DeaiQuerier for TestDeai {
    fn query(&self, _: &dyn StateRead, q: &DeaiQuery) -> Result<Result<Value, String>, TxError> {
        Ok(Ok(match q {
            DeaiQuery::InferenceModel { id: 7 } => json!({"model": {"id": 7,
                "owner": addr(30).to_bech32(), "name": "digits", "eval_score_bps": 9000,
                "active": true, "weights_sha256": "cd".repeat(32)}}),
            DeaiQuery::InferenceModel { .. } => json!({"model": null}),
            DeaiQuery::ComputeProvider { .. } => json!({"provider": null}),
            DeaiQuery::TrainingLineage { .. } => json!({"lineage": null}),
        }))
    }
}

pub(crate) struct Chain {
    pub s: MemStore,
    pub vm: WasmVm,
    pub height: u64,
    _dir: tempfile::TempDir,
}

pub(crate) type TxOut<T> = Result<(T, Vec<Event>, u64), TxError>;

impl Chain {
    pub fn new(deai: Box<dyn DeaiQuerier>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let vm = WasmVm::new(dir.path().join("wasm"), deai);
        Self {
            s: MemStore::new(),
            vm,
            height: 1,
            _dir: dir,
        }
    }

    pub fn fund(&mut self, a: &Address, amount: u128) {
        let c = Coins::new(vec![Coin::new(DENOM, amount).unwrap()]).unwrap();
        self.s.mint_coins(a, &c).unwrap();
    }

    pub fn bal(&self, a: &Address) -> u128 {
        self.s.balance(a, DENOM).unwrap()
    }

    /// Runs `f` as a tx: on an overlay applied only on success, as the app does.
    pub fn tx<T>(
        &mut self,
        gas: u64,
        f: impl FnOnce(&WasmVm, &mut Ctx) -> Result<T, TxError>,
    ) -> TxOut<T> {
        let meter = GasMeter::new(gas);
        let snapshot = self.s.clone();
        let b = block(self.height);
        let mut ctx = Ctx::new(&snapshot, &meter, &b);
        let r = f(&self.vm, &mut ctx)?;
        let (writes, events) = ctx.finish();
        self.s.apply(writes);
        Ok((r, events, meter.consumed()))
    }

    pub fn store(&mut self, sender: &Address, wasm: Vec<u8>) -> Result<u64, TxError> {
        let msg = StoreCode::try_from(pb::MsgStoreCode {
            sender: sender.to_bech32(),
            wasm_byte_code: wasm,
            instantiate_permission: None,
        })?;
        let (any, _, _) = self.tx(TX_GAS * 5, |vm, ctx| vm.store_code(ctx, &msg))?;
        Ok(pb::MsgStoreCodeResponse::decode(any.value.as_slice())
            .unwrap()
            .code_id)
    }

    pub fn instantiate(
        &mut self,
        sender: &Address,
        admin: Option<&Address>,
        code_id: u64,
        msg: Value,
        funds: u128,
    ) -> TxOut<Address> {
        let m = Instantiate {
            sender: sender.clone(),
            admin: admin.cloned(),
            code_id,
            label: "test".into(),
            msg: msg.to_string().into_bytes(),
            funds: coins(funds),
            salt: None,
        };
        self.tx(TX_GAS, |vm, ctx| {
            let any = vm.instantiate(ctx, TxInfo { index: 0 }, &m)?;
            let r = pb::MsgInstantiateContractResponse::decode(any.value.as_slice()).unwrap();
            Ok(Address::from_bech32(&r.address).unwrap())
        })
    }

    pub fn execute_gas(
        &mut self,
        gas: u64,
        sender: &Address,
        contract: &Address,
        msg: Value,
        funds: u128,
    ) -> TxOut<()> {
        let m = pb::MsgExecuteContract {
            sender: sender.to_bech32(),
            contract: contract.to_bech32(),
            msg: msg.to_string().into_bytes(),
            funds: if funds > 0 {
                vec![proto_coin(funds, DENOM)]
            } else {
                vec![]
            },
        };
        self.tx(gas, |vm, ctx| {
            vm.execute(ctx, TxInfo { index: 1 }, &m).map(|_| ())
        })
    }

    pub fn execute(
        &mut self,
        sender: &Address,
        contract: &Address,
        msg: Value,
        funds: u128,
    ) -> TxOut<()> {
        self.execute_gas(TX_GAS, sender, contract, msg, funds)
    }

    pub fn query(&mut self, contract: &Address, msg: Value) -> Result<Value, TxError> {
        let (v, _, _) = self.tx(TX_GAS, |vm, ctx| {
            vm.query_smart(ctx, contract, msg.to_string().as_bytes())
        })?;
        Ok(serde_json::from_slice(&v).unwrap())
    }

    /// Every key and value in the store (for "nothing changed" checks).
    pub fn dump(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.s.scan(&[], None, false, usize::MAX).unwrap()
    }
}

pub(crate) fn coins(amount: u128) -> Coins {
    if amount == 0 {
        return Coins::empty();
    }
    Coins::new(vec![Coin::new(DENOM, amount).unwrap()]).unwrap()
}

pub(crate) fn agent_init(arbiter: &Address) -> Value {
    json!({"arbiter": arbiter.to_bech32(), "denom": DENOM, "min_bond": "1000",
        "dispute_window_blocks": 20, "max_delivery_blocks": 100, "slash_bps": 5000,
        "reputation_half_life_blocks": 1000})
}

fn find<'a>(events: &'a [Event], kind: &str) -> Option<&'a Event> {
    events.iter().find(|e| e.kind == kind)
}

fn attr<'a>(e: &'a Event, key: &str) -> Option<&'a str> {
    e.attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn agent_flow_reconciles_to_the_unit() {
    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let [creator, arbiter, agent, client] = [addr(1), addr(2), addr(3), addr(4)];
    let t = std::time::Instant::now();
    let code_id = c.store(&creator, artifact("agent-marketplace")).unwrap();
    println!(
        "store (checks + compile, this build's profile): {:?}",
        t.elapsed()
    );
    assert_eq!(code_id, 1);
    c.fund(&agent, 5_000);
    c.fund(&client, 5_000);

    let t = std::time::Instant::now();
    let (contract, ev, gas) = c
        .instantiate(&creator, Some(&creator), code_id, agent_init(&arbiter), 0)
        .unwrap();
    println!("instantiate wall time: {:?}", t.elapsed());
    println!("gas instantiate (agent-marketplace): {gas}");
    let inst = find(&ev, "instantiate").unwrap();
    assert_eq!(
        attr(inst, "_contract_address"),
        Some(contract.to_bech32().as_str())
    );
    assert_eq!(attr(inst, "code_id"), Some("1"));
    assert_eq!(contract, crate::address::classic(1, 1).unwrap());
    let info = c.s.get_contract_info(&contract).unwrap().unwrap();
    assert_eq!(info.admin, creator.to_bech32());

    let (_, ev, gas) = c
        .execute(
            &agent,
            &contract,
            json!({"register_agent": {"name": "summarizer",
            "capabilities": ["summarize"], "endpoint": "https://a.example", "price": "250"}}),
            1_000,
        )
        .unwrap();
    println!("gas register_agent: {gas}");
    let wasm = find(&ev, "wasm").unwrap();
    assert_eq!(
        wasm.attributes[0],
        ("_contract_address".to_string(), contract.to_bech32())
    );
    assert_eq!(
        attr(find(&ev, "execute").unwrap(), "_contract_address"),
        Some(contract.to_bech32().as_str())
    );

    let (_, ev, gas) = c
        .execute(
            &client,
            &contract,
            json!({"hire": {"agent": agent.to_bech32(),
            "task": "summarize", "delivery_blocks": 10}}),
            250,
        )
        .unwrap();
    println!("gas hire: {gas}");
    let job = find(&ev, "wasm-agent_job").expect("custom event wasm-agent_job");
    assert_eq!(job.attributes[0].0, "_contract_address");
    assert_eq!(c.bal(&contract), 1_250);

    c.height += 2;
    let (_, _, gas) = c
        .execute(
            &agent,
            &contract,
            json!({"deliver": {"job_id": 1,
            "result_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "result_uri": "ipfs://r"}}),
            0,
        )
        .unwrap();
    println!("gas deliver: {gas}");
    let (_, ev, gas) = c
        .execute(&client, &contract, json!({"accept": {"job_id": 1}}), 0)
        .unwrap();
    println!("gas accept (BankMsg::Send): {gas}");
    assert!(ev.iter().any(|e| e.kind == "transfer"), "{ev:?}");
    let (_, _, gas) = c
        .execute(
            &client,
            &contract,
            json!({"rate": {"job_id": 1, "stars": 5}}),
            0,
        )
        .unwrap();
    println!("gas rate: {gas}");

    // Balances to the unit: the agent's bond stays escrowed, the price went to the agent.
    assert_eq!(c.bal(&agent), 5_000 - 1_000 + 250);
    assert_eq!(c.bal(&client), 5_000 - 250);
    assert_eq!(c.bal(&contract), 1_000);
    assert_eq!(c.bal(&agent) + c.bal(&client) + c.bal(&contract), 10_000);

    let rep = c
        .query(
            &contract,
            json!({"reputation": {"agent": agent.to_bech32()}}),
        )
        .unwrap();
    assert_eq!(rep["milli_stars"], 2500);
    let job = c.query(&contract, json!({"job": {"job_id": 1}})).unwrap();
    assert_eq!(job["status"], "completed");

    // A contract error fails the tx (wasm 5) and changes nothing.
    let before = c.dump();
    let r = c.execute(
        &client,
        &contract,
        json!({"rate": {"job_id": 1, "stars": 9}}),
        0,
    );
    let e = r.unwrap_err();
    assert_eq!(
        (e.codespace, e.code),
        ("wasm", crate::ERR_EXECUTE_FAILED),
        "{e}"
    );
    assert!(e.log.contains("invalid stars"), "{e}");
    assert_eq!(c.dump(), before);

    // Migrate: a non-admin is refused (sdk 4); the admin may migrate to the same code.
    let mig = |sender: &Address| pb::MsgMigrateContract {
        sender: sender.to_bech32(),
        contract: contract.to_bech32(),
        code_id: 1,
        msg: b"{}".to_vec(),
    };
    let m = mig(&client);
    let r = c.tx(TX_GAS, |vm, ctx| vm.migrate(ctx, TxInfo::default(), &m));
    assert_eq!(code(r), ("sdk", 4));
    assert_eq!(c.dump(), before);
    let m = mig(&creator);
    let (_, ev, gas) = c
        .tx(TX_GAS, |vm, ctx| vm.migrate(ctx, TxInfo::default(), &m))
        .unwrap();
    println!("gas migrate: {gas}");
    assert!(find(&ev, "migrate").is_some());
    assert_eq!(c.s.contract_history(&contract).unwrap().len(), 2);
}

#[test]
fn model_marketplace_lists_through_deai_query_and_splits_royalties() {
    let mut c = Chain::new(Box::new(TestDeai));
    let [fee, seller, alice, bob, buyer] = [addr(20), addr(30), addr(31), addr(32), addr(33)];
    let code_id = c.store(&fee, artifact("model-marketplace")).unwrap();
    c.fund(&buyer, 2_000);
    let init = json!({"denom": DENOM, "name": "deai licences", "symbol": "DEAILIC",
        "fee_bps": 250, "fee_collector": fee.to_bech32(), "min_eval_score_bps": 5000,
        "ranking_weights": {"eval_bps": 5000, "usage_bps": 2500, "rating_bps": 2500},
        "usage_half": 10});
    let (contract, _, gas) = c.instantiate(&fee, None, code_id, init, 0).unwrap();
    println!("gas instantiate (model-marketplace): {gas}");

    let listing = |model_id: u64| {
        json!({"create_listing": {"model_id": model_id, "title": "Digits",
        "uri": "ipfs://card", "per_use_price": "7", "perpetual_price": "1001",
        "contributors": [{"address": alice.to_bech32(), "share_bps": 5000},
            {"address": bob.to_bech32(), "share_bps": 3000},
            {"address": seller.to_bech32(), "share_bps": 2000}], "training_task": null}})
    };
    let (_, _, gas) = c.execute(&seller, &contract, listing(7), 0).unwrap();
    println!("gas create_listing (DeaiQuery): {gas}");
    let e = c.execute(&seller, &contract, listing(8), 0).unwrap_err();
    assert!(e.log.contains("inference model 8 does not exist"), "{e}");

    let (_, _, gas) = c
        .execute(
            &buyer,
            &contract,
            json!({"buy": {"listing_id": 1, "kind": "perpetual", "uses": null}}),
            1_001,
        )
        .unwrap();
    println!("gas buy perpetual: {gas}");
    let paid: u128 = [&fee, &seller, &alice, &bob].iter().map(|a| c.bal(a)).sum();
    assert_eq!(paid, 1_001);
    assert_eq!(c.bal(&buyer), 2_000 - 1_001);
    assert_eq!(c.bal(&contract), 0);
    let owner = c
        .query(
            &contract,
            json!({"owner_of": {"token_id": "1", "include_expired": null}}),
        )
        .unwrap();
    assert_eq!(owner, json!({"owner": buyer.to_bech32(), "approvals": []}));
    let rank = c
        .query(&contract, json!({"ranking": {"model_id": 7}}))
        .unwrap();
    assert!(rank["score_bps"].as_u64().is_some(), "{rank}");
}

#[test]
fn deai_queries_are_unsupported_without_the_app() {
    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let fee = addr(20);
    let code_id = c.store(&fee, artifact("model-marketplace")).unwrap();
    let init = json!({"denom": DENOM, "name": "n", "symbol": "SYM", "fee_bps": 250,
        "fee_collector": fee.to_bech32(), "min_eval_score_bps": 5000,
        "ranking_weights": {"eval_bps": 5000, "usage_bps": 2500, "rating_bps": 2500}, "usage_half": 10});
    let (contract, _, _) = c.instantiate(&fee, None, code_id, init, 0).unwrap();
    let e = c
        .execute(&fee, &contract, json!({"create_listing": {"model_id": 7, "title": "t",
            "uri": "ipfs://x", "per_use_price": "1", "perpetual_price": null,
            "contributors": [{"address": fee.to_bech32(), "share_bps": 10000}], "training_task": null}}), 0)
        .unwrap_err();
    assert!(e.log.contains("unsupported"), "{e}");
}

#[test]
fn instantiate2_uses_the_predictable_address() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<WasmVm>();

    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let a = addr(1);
    let wasm = artifact("agent-marketplace");
    let checksum = crate::tests_fixtures::checksum(&wasm);
    let id = c.store(&a, wasm).unwrap();
    let init = agent_init(&a).to_string().into_bytes();
    let m = Instantiate {
        sender: a.clone(),
        admin: None,
        code_id: id,
        label: "predictable".into(),
        msg: init.clone(),
        funds: Coins::empty(),
        salt: Some((b"salt".to_vec(), true)),
    };
    let (any, _, gas) = c
        .tx(TX_GAS, |vm, ctx| {
            vm.instantiate(ctx, TxInfo { index: 3 }, &m)
        })
        .unwrap();
    println!("gas instantiate2: {gas}");
    let r = pb::MsgInstantiateContract2Response::decode(any.value.as_slice()).unwrap();
    let want = crate::address::predictable(&checksum, &a, b"salt", &init).unwrap();
    assert_eq!(r.address, want.to_bech32());
    let info = c.s.get_contract_info(&want).unwrap().unwrap();
    assert_eq!(info.created.unwrap().tx_index, 3);
    // The same salt again: the address is taken (wasm 15), nothing changes.
    let before = c.dump();
    let e = c
        .tx(TX_GAS, |vm, ctx| {
            vm.instantiate(ctx, TxInfo { index: 4 }, &m)
        })
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("wasm", crate::ERR_DUPLICATE), "{e}");
    assert_eq!(c.dump(), before);
    // An unknown code: wasm 28.
    let m = Instantiate {
        code_id: 99,
        salt: None,
        ..m
    };
    let e = c
        .tx(TX_GAS, |vm, ctx| vm.instantiate(ctx, TxInfo::default(), &m))
        .unwrap_err();
    assert_eq!(
        (e.codespace, e.code),
        ("wasm", crate::ERR_NO_SUCH_CODE),
        "{e}"
    );
}

#[test]
fn contract_iteration_pages_through_its_own_storage() {
    let mut c = Chain::new(Box::new(UnsupportedDeaiQuerier));
    let a = addr(1);
    let id = c.store(&a, artifact("agent-marketplace")).unwrap();
    let (contract, _, _) = c.instantiate(&a, None, id, agent_init(&a), 0).unwrap();
    // A second contract of the same code: its storage must not show up in the first's.
    let (other, _, _) = c.instantiate(&a, None, id, agent_init(&a), 0).unwrap();
    let agents = [addr(7), addr(3), addr(5)];
    for (i, ag) in agents.iter().enumerate() {
        c.fund(ag, 1_000);
        let reg = json!({"register_agent": {"name": format!("a{i}"), "capabilities": ["x"],
            "endpoint": "https://a.example", "price": "5"}});
        c.execute(ag, &contract, reg, 1_000).unwrap();
    }
    c.fund(&addr(9), 1_000);
    let reg = json!({"register_agent": {"name": "o", "capabilities": ["x"],
        "endpoint": "https://o.example", "price": "5"}});
    c.execute(&addr(9), &other, reg, 1_000).unwrap();

    let names = |v: &Value| -> Vec<String> {
        v["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["agent"]["address"].as_str().unwrap().to_string())
            .collect()
    };
    let mut want: Vec<String> = agents.iter().map(Address::to_bech32).collect();
    want.sort();
    let page1 = c
        .query(
            &contract,
            json!({"agents": {"start_after": null, "limit": 2}}),
        )
        .unwrap();
    assert_eq!(names(&page1), want[..2].to_vec());
    let page2 = c
        .query(
            &contract,
            json!({"agents": {"start_after": want[1], "limit": 2}}),
        )
        .unwrap();
    assert_eq!(names(&page2), want[2..].to_vec());
    let all = c
        .query(
            &other,
            json!({"agents": {"start_after": null, "limit": 10}}),
        )
        .unwrap();
    assert_eq!(names(&all), vec![addr(9).to_bech32()]);
}
