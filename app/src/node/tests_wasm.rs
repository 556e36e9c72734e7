//! The wasm module inside the app: contracts stored, instantiated, executed and queried
//! through signed txs in FinalizeBlock and ABCI queries, the tx index in contract records,
//! a simulation that leaves the vm's cache alone, and the cache rebuilt after a restart
//! without its directory.

use std::path::Path;
use std::sync::Arc;

use cosmos_sdk_proto::cosmwasm::wasm::v1 as wpb;
use prost::Message as _;
use serde_json::json;
use tendermint_proto::v0_38::abci as pb;

use super::tests::{key, params, send, Chain};
use super::*;
use crate::store::{SledKv, StorageConfig};
use deai_client::keys::AccountKey;
use deai_client::txbuilder::{coin, sign_tx, to_any, TxParams};
use deai_framework::Address;

fn artifact(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../wasm-contracts/artifacts/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{path}: {e}. Build the contracts first: run wasm-contracts/build.sh")
    })
}

fn open(db: &Path, wasm: &Path) -> (Storage, NodeSettings) {
    let storage = Storage::open(
        Arc::new(SledKv::open(db).unwrap()),
        StorageConfig::default(),
    )
    .unwrap();
    let settings = NodeSettings {
        wasm_dir: Some(wasm.to_path_buf()),
        ..NodeSettings::default()
    };
    (storage, settings)
}

fn tx(k: &AccountKey, seq: u64, msg: cosmos_sdk_proto::Any, gas: u64) -> Vec<u8> {
    let p = TxParams {
        gas_limit: gas,
        fee: deai_framework::Coins::parse("50000udeai").unwrap(),
        ..params(0, seq)
    };
    sign_tx(k, vec![msg], &p)
}

fn attr(r: &pb::ExecTxResult, kind: &str, key: &str) -> String {
    r.events
        .iter()
        .filter(|e| e.r#type == kind)
        .flat_map(|e| &e.attributes)
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
        .unwrap_or_else(|| panic!("no {kind}.{key} in {:?}", r.events))
}

fn query<Res: prost::Message + Default>(app: &App, path: &str, req: impl prost::Message) -> Res {
    let r = app.query(pb::RequestQuery {
        data: req.encode_to_vec().into(),
        path: path.into(),
        height: 0,
        prove: false,
    });
    assert_eq!(r.code, 0, "{path}: {}", r.log);
    Res::decode(r.value.as_ref()).unwrap()
}

fn smart(app: &App, contract: &str, msg: serde_json::Value) -> serde_json::Value {
    let r: wpb::QuerySmartContractStateResponse = query(
        app,
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        wpb::QuerySmartContractStateRequest {
            address: contract.into(),
            query_data: msg.to_string().into_bytes(),
        },
    );
    serde_json::from_slice(&r.data).unwrap()
}

/// Every file name under `dir`, recursively.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[test]
fn contracts_run_in_blocks_answer_queries_and_survive_a_lost_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (db, wasm_dir) = (dir.path().join("db"), dir.path().join("wasm"));
    let (a, b) = (key(1), key(2));
    let addr = a.address().to_bech32();
    let (storage, settings) = open(&db, &wasm_dir);
    let mut c = Chain::with_storage(storage, &[(&a, 100_000_000), (&b, 1_000)], settings);

    // Store: code id 1, saved in the vm's cache under the node's directory.
    let code = artifact("agent-marketplace");
    let store = to_any(&wpb::MsgStoreCode {
        sender: addr.clone(),
        wasm_byte_code: code.clone(),
        instantiate_permission: None,
    });
    let r = c.block(vec![tx(&a, 0, store, 9_000_000)]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    assert_eq!(attr(&r[0], "store_code", "code_id"), "1");
    let checksum = attr(&r[0], "store_code", "code_checksum");
    assert!(files(&wasm_dir).iter().any(|f| f.contains(&checksum)));

    // Instantiate as the block's second tx: its records say tx index 1.
    let init = json!({"arbiter": b.address().to_bech32(), "denom": "udeai", "min_bond": "1000",
        "dispute_window_blocks": 20, "max_delivery_blocks": 100, "slash_bps": 5000,
        "reputation_half_life_blocks": 1000});
    let inst = to_any(&wpb::MsgInstantiateContract {
        sender: addr.clone(),
        admin: addr.clone(),
        code_id: 1,
        label: "agents".into(),
        msg: init.to_string().into_bytes(),
        funds: vec![],
    });
    let pay = sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 1));
    let r = c.block(vec![pay, tx(&a, 2, inst, 1_000_000)]);
    assert_eq!(r[1].code, 0, "{}", r[1].log);
    let contract = attr(&r[1], "instantiate", "_contract_address");
    let info: wpb::QueryContractInfoResponse = query(
        &c.app,
        "/cosmwasm.wasm.v1.Query/ContractInfo",
        wpb::QueryContractInfoRequest {
            address: contract.clone(),
        },
    );
    let created = info.contract_info.unwrap().created.unwrap();
    assert_eq!((created.block_height, created.tx_index), (c.height, 1));

    // Execute with funds: the bond moves to the contract; the smart query sees the agent.
    let before = c.balance(&a.address());
    let register = to_any(&wpb::MsgExecuteContract {
        sender: addr.clone(),
        contract: contract.clone(),
        msg: json!({"register_agent": {"name": "summarizer", "capabilities": ["summarize"],
            "endpoint": "https://a.example", "price": "250"}})
        .to_string()
        .into_bytes(),
        funds: vec![coin("udeai", 1_000)],
    });
    let r = c.block(vec![tx(&a, 3, register, 1_000_000)]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    assert_eq!(c.balance(&a.address()), before - 1_000 - 50_000);
    let contract_addr = Address::from_bech32(&contract).unwrap();
    assert_eq!(c.balance(&contract_addr), 1_000);
    let agent = smart(&c.app, &contract, json!({"agent": {"address": addr}}));
    assert_eq!(agent["agent"]["name"], "summarizer", "{agent}");

    // A bad smart query is the contract's error, not a node failure.
    let r = c.app.query(pb::RequestQuery {
        data: wpb::QuerySmartContractStateRequest {
            address: contract.clone(),
            query_data: b"{\"no_such_query\":{}}".to_vec(),
        }
        .encode_to_vec()
        .into(),
        path: "/cosmwasm.wasm.v1.Query/SmartContractState".into(),
        height: 0,
        prove: false,
    });
    assert_eq!((r.codespace.as_str(), r.code), ("wasm", 9), "{}", r.log);

    // Simulating a store compiles the code but saves nothing in the cache.
    let other = artifact("model-marketplace");
    let other_sum = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&other));
    let sim_tx = tx(
        &a,
        4,
        to_any(&wpb::MsgStoreCode {
            sender: addr.clone(),
            wasm_byte_code: other,
            instantiate_permission: None,
        }),
        9_000_000,
    );
    let sim = c
        .app
        .simulate(
            &cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateRequest {
                tx_bytes: sim_tx,
                ..Default::default()
            }
            .encode_to_vec(),
        )
        .unwrap();
    assert!(!sim.is_empty());
    assert!(!files(&wasm_dir).iter().any(|f| f.contains(&other_sum)));

    // Restart without the cache directory: it is rebuilt from state, and contracts run on.
    let height = c.height;
    drop(c);
    std::fs::remove_dir_all(&wasm_dir).unwrap();
    let (storage, settings) = open(&db, &wasm_dir);
    let app = App::new(storage, settings).unwrap();
    assert!(files(&wasm_dir).iter().any(|f| f.contains(&checksum)));
    let mut c = Chain { app, height };
    let agent = smart(&c.app, &contract, json!({"agent": {"address": addr}}));
    assert_eq!(agent["agent"]["name"], "summarizer", "{agent}");
    let deregister = to_any(&wpb::MsgExecuteContract {
        sender: addr.clone(),
        contract: contract.clone(),
        msg: json!({"rate": {"job_id": 99, "stars": 5}})
            .to_string()
            .into_bytes(),
        funds: vec![],
    });
    let r = c.block(vec![tx(&a, 4, deregister, 1_000_000)]);
    // The contract ran (and refused the unknown job): wasm code 5, not a vm failure.
    assert_eq!(
        (r[0].codespace.as_str(), r[0].code),
        ("wasm", 5),
        "{}",
        r[0].log
    );
}

#[test]
fn a_simulation_is_capped_at_the_block_gas_limit() {
    let dir = tempfile::tempdir().unwrap();
    let a = key(1);
    let addr = a.address().to_bech32();
    let (storage, settings) = open(&dir.path().join("db"), &dir.path().join("wasm"));
    let mut c = Chain::with_storage(storage, &[(&a, 100_000_000)], settings);
    let store = to_any(&wpb::MsgStoreCode {
        sender: addr.clone(),
        wasm_byte_code: artifact("reflect"),
        instantiate_permission: None,
    });
    let inst = to_any(&wpb::MsgInstantiateContract {
        sender: addr.clone(),
        admin: String::new(),
        code_id: 1,
        label: "reflect".into(),
        msg: b"{}".to_vec(),
        funds: vec![],
    });
    let r = c.block(vec![tx(&a, 0, store, 9_000_000)]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    let r = c.block(vec![tx(&a, 1, inst, 1_000_000)]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    let contract = attr(&r[0], "instantiate", "_contract_address");
    // A million storage writes: far beyond the chain's 10M block gas.
    let burn = to_any(&wpb::MsgExecuteContract {
        sender: addr,
        contract,
        msg: br#"{"burn_gas":{"rounds":1000000}}"#.to_vec(),
        funds: vec![],
    });
    let e = c
        .app
        .simulate(
            &cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateRequest {
                tx_bytes: tx(&a, 2, burn, 1_000_000),
                ..Default::default()
            }
            .encode_to_vec(),
        )
        .unwrap_err();
    // Unmetered, it would have run to the end (about 3e9 gas): out of gas is the cap.
    assert_eq!((e.codespace, e.code), ("sdk", 11), "{}", e.log);
}
