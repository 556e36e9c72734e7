//! Runs deai's built contracts (wasm-contracts/artifacts/*.wasm) through cosmwasm-vm 2.3.5:
//! check_wasm with the chain's capabilities, then the full agent and licence flows.
use std::time::Instant;

use cosmwasm_std::{
    coins, from_json, to_json_binary, BankMsg, Binary, ContractResult, CosmosMsg, CustomQuery,
    Empty, Response, SystemResult,
};
use cosmwasm_vm::internals::{check_wasm, Logger};
use cosmwasm_vm::testing::{
    execute, instantiate, mock_env, mock_info, mock_instance_with_options, query, MockApi,
    MockInstanceOptions, MockQuerier, MockStorage,
};
use cosmwasm_vm::{capabilities_from_csv, Backend, Instance, InstanceOptions, Size, WasmLimits};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const CAPS: &str = "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
enum DeaiQuery {
    InferenceModel { id: u64 },
    ComputeProvider { owner: String },
    TrainingLineage { task: u64 },
}
impl CustomQuery for DeaiQuery {}

fn gas<
    A: cosmwasm_vm::BackendApi + 'static,
    S: cosmwasm_vm::Storage + 'static,
    Q: cosmwasm_vm::Querier + 'static,
>(
    i: &mut Instance<A, S, Q>,
    label: &str,
    f: impl FnOnce(&mut Instance<A, S, Q>),
) {
    let before = i.get_gas_left();
    let t = Instant::now();
    f(i);
    println!(
        "  {label:<28} gas {:>12}  {:>6.2} ms",
        before - i.get_gas_left(),
        t.elapsed().as_secs_f64() * 1e3
    );
}

fn ok(r: ContractResult<Response<Empty>>) -> Response<Empty> {
    match r {
        ContractResult::Ok(r) => r,
        ContractResult::Err(e) => panic!("contract error: {e}"),
    }
}

fn q(r: ContractResult<Binary>) -> Value {
    match r {
        ContractResult::Ok(b) => from_json(&b).unwrap(),
        ContractResult::Err(e) => panic!("query error: {e}"),
    }
}

fn sends(r: &Response<Empty>) -> Vec<(String, u128)> {
    r.messages
        .iter()
        .filter_map(|m| match &m.msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                Some((to_address.clone(), amount[0].amount.u128()))
            }
            _ => None,
        })
        .collect()
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../artifacts").to_string());
    let api = MockApi::default();
    let [arbiter, agent, client, seller, alice, bob, fee, buyer] = [
        "arbiter", "agent", "client", "seller", "alice", "bob", "fee", "buyer",
    ]
    .map(|n| api.addr_make(n));

    // ---------------- agent marketplace
    let wasm = std::fs::read(format!("{dir}/agent-marketplace.wasm")).unwrap();
    println!("agent-marketplace.wasm: {} bytes", wasm.len());
    let t = Instant::now();
    let mut i = mock_instance_with_options(
        &wasm,
        MockInstanceOptions {
            available_capabilities: capabilities_from_csv(CAPS),
            gas_limit: 10_000_000_000,
            ..Default::default()
        },
    );
    println!(
        "  check + compile: {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut env = mock_env();
    gas(&mut i, "instantiate", |i| {
        ok(instantiate(
            i,
            env.clone(),
            mock_info(&arbiter, &[]),
            json!({
            "arbiter": arbiter, "denom": "udeai", "min_bond": "1000", "dispute_window_blocks": 20,
            "max_delivery_blocks": 100, "slash_bps": 5000, "reputation_half_life_blocks": 1000}),
        ));
    });
    gas(&mut i, "register_agent", |i| {
        ok(execute(
            i,
            env.clone(),
            mock_info(&agent, &coins(1000, "udeai")),
            json!({"register_agent": {
            "name": "summarizer", "capabilities": ["summarize"], "endpoint": "https://a.example", "price": "250"}}),
        ));
    });
    gas(&mut i, "hire", |i| {
        let r = ok(execute(
            i,
            env.clone(),
            mock_info(&client, &coins(250, "udeai")),
            json!({"hire": {
            "agent": agent, "task": "summarize", "delivery_blocks": 10}}),
        ));
        assert!(r.events.iter().any(|e| e.ty == "agent_job"));
    });
    env.block.height += 2;
    gas(&mut i, "deliver", |i| {
        ok(execute(
            i,
            env.clone(),
            mock_info(&agent, &[]),
            json!({"deliver": {"job_id": 1,
            "result_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "result_uri": "ipfs://r"}}),
        ));
    });
    gas(&mut i, "accept", |i| {
        let r = ok(execute(
            i,
            env.clone(),
            mock_info(&client, &[]),
            json!({"accept": {"job_id": 1}}),
        ));
        assert_eq!(sends(&r), vec![(agent.clone(), 250)]);
    });
    gas(&mut i, "rate", |i| {
        ok(execute(
            i,
            env.clone(),
            mock_info(&client, &[]),
            json!({"rate": {"job_id": 1, "stars": 5}}),
        ));
    });
    gas(&mut i, "query reputation", |i| {
        let v = q(query(
            i,
            env.clone(),
            json!({"reputation": {"agent": agent}}),
        ));
        assert_eq!(v["milli_stars"], 2500);
    });
    gas(&mut i, "query job", |i| {
        let v = q(query(i, env.clone(), json!({"job": {"job_id": 1}})));
        assert_eq!(v["status"], "completed");
    });
    // A bad input is a contract error, not a VM failure.
    let r = execute::<_, _, _, _, Empty>(
        &mut i,
        env.clone(),
        mock_info(&client, &[]),
        json!({"rate": {"job_id": 1, "stars": 9}}),
    );
    let err = r.unwrap_err();
    println!("  bad input -> {err:?}");
    assert!(err.contains("invalid stars"), "{err}");

    // ---------------- model marketplace
    let wasm = std::fs::read(format!("{dir}/model-marketplace.wasm")).unwrap();
    println!("model-marketplace.wasm: {} bytes", wasm.len());
    let without = check_wasm(
        &wasm,
        &capabilities_from_csv(CAPS),
        &WasmLimits::default(),
        Logger::Off,
    );
    let without = without.map_err(|e| e.to_string());
    println!("  check_wasm without the deai capability -> {without:?}");
    assert!(without.unwrap_err().contains("deai"));
    let caps = capabilities_from_csv(&format!("{CAPS},deai"));
    check_wasm(&wasm, &caps, &WasmLimits::default(), Logger::Off).unwrap();
    let owner = seller.clone();
    let querier = MockQuerier::<DeaiQuery>::new(&[]).with_custom_handler(move |q| {
        let v = match q {
            DeaiQuery::InferenceModel { id: 7 } => {
                json!({"model": {"id": 7, "owner": owner, "name": "digits",
                "eval_score_bps": 9000, "active": true, "weights_sha256": "cd".repeat(32)}})
            }
            DeaiQuery::InferenceModel { .. } => json!({"model": null}),
            DeaiQuery::ComputeProvider { .. } => json!({"provider": null}),
            DeaiQuery::TrainingLineage { .. } => json!({"lineage": null}),
        };
        SystemResult::Ok(ContractResult::Ok(to_json_binary(&v).unwrap()))
    });
    let backend = Backend {
        api: MockApi::default(),
        storage: MockStorage::default(),
        querier,
    };
    let t = Instant::now();
    let mut i = Instance::from_code(
        &wasm,
        backend,
        InstanceOptions {
            gas_limit: 10_000_000_000,
        },
        Some(Size::mebi(16)),
    )
    .unwrap();
    println!("  compile: {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    let env = mock_env();
    gas(&mut i, "instantiate", |i| {
        ok(instantiate(
            i,
            env.clone(),
            mock_info(&fee, &[]),
            json!({
            "denom": "udeai", "name": "deai licences", "symbol": "DEAILIC", "fee_bps": 250, "fee_collector": fee,
            "min_eval_score_bps": 5000, "ranking_weights": {"eval_bps": 5000, "usage_bps": 2500, "rating_bps": 2500},
            "usage_half": 10}),
        ));
    });
    gas(&mut i, "create_listing (DeaiQuery)", |i| {
        ok(execute(
            i,
            env.clone(),
            mock_info(&seller, &[]),
            json!({"create_listing": {
            "model_id": 7, "title": "Digits", "uri": "ipfs://card", "per_use_price": "7", "perpetual_price": "1001",
            "contributors": [{"address": alice, "share_bps": 5000}, {"address": bob, "share_bps": 3000},
                             {"address": seller, "share_bps": 2000}], "training_task": null}}),
        ));
    });
    gas(&mut i, "buy perpetual", |i| {
        let r = ok(execute(
            i,
            env.clone(),
            mock_info(&buyer, &coins(1001, "udeai")),
            json!({"buy": {
            "listing_id": 1, "kind": "perpetual", "uses": null}}),
        ));
        let s = sends(&r);
        println!(
            "    payouts {:?}",
            s.iter().map(|(_, a)| a).collect::<Vec<_>>()
        );
        assert_eq!(s.iter().map(|(_, a)| a).sum::<u128>(), 1001);
    });
    gas(&mut i, "query owner_of", |i| {
        let v = q(query(
            i,
            env.clone(),
            json!({"owner_of": {"token_id": "1", "include_expired": null}}),
        ));
        assert_eq!(v, json!({"owner": buyer, "approvals": []}));
    });
    gas(&mut i, "query nft_info", |i| {
        let v = q(query(
            i,
            env.clone(),
            json!({"nft_info": {"token_id": "1"}}),
        ));
        assert_eq!(v["token_uri"], "ipfs://card");
    });
    gas(&mut i, "query num_tokens", |i| {
        assert_eq!(
            q(query(i, env.clone(), json!({"num_tokens": {}}))),
            json!({"count": 1})
        );
    });
    gas(&mut i, "query ranking (DeaiQuery)", |i| {
        let v = q(query(i, env.clone(), json!({"ranking": {"model_id": 7}})));
        println!("    ranking score_bps {}", v["score_bps"]);
    });
    let r = execute::<_, _, _, _, Empty>(
        &mut i,
        env.clone(),
        mock_info(&seller, &[]),
        json!({"create_listing": {
        "model_id": 8, "title": "x", "uri": "ipfs://x", "per_use_price": "1", "perpetual_price": null,
        "contributors": [{"address": alice, "share_bps": 10000}], "training_task": null}}),
    );
    let err = r.unwrap_err();
    println!("  unknown model -> {err:?}");
    assert!(err.contains("inference model 8 does not exist"), "{err}");
    println!("vm check: OK");
}
