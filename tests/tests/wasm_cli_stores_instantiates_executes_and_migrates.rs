//! A user runs the agent marketplace contract with the `deaid` CLI alone, in wasmd's command
//! shapes: `tx wasm store` (code id 1), `instantiate` with an admin, `execute` register_agent
//! with its bond (the balances reconcile to the unit), `query wasm contract-state smart`, the
//! code listings and download, `migrate` as the admin (history grows) and as someone else
//! (refused, nothing changes), admin changes, `instantiate2`; bad JSON and an unknown code
//! fail with clear errors. Balances and fees are read independently of the wasm CLI (bank
//! queries and the tx's own `tx` event).

use std::path::PathBuf;
use std::process::Output;

use deai_e2e::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const BOND: u128 = 5_000;

fn artifact() -> PathBuf {
    let path = repo_root().join("wasm-contracts/artifacts/agent-marketplace.wasm");
    assert!(
        path.exists(),
        "{} is missing: build the contracts first with wasm-contracts/build.sh",
        path.display()
    );
    path
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `deaid query wasm <args> -o json` on node 0: the process output.
fn query_raw(net: &Localnet, args: &[&str]) -> Output {
    let node = net.node_flag(0);
    let mut all = vec!["query", "wasm"];
    all.extend(args);
    all.extend(["--node", &node, "-o", "json"]);
    net.deaid(&all, "", &[])
}

/// `deaid query wasm <args>`: its JSON (the test fails if the command does).
fn query(net: &Localnet, args: &[&str]) -> Value {
    let out = query_raw(net, args);
    assert!(
        out.status.success(),
        "query wasm {args:?}: {}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("query wasm {args:?} printed non-JSON ({e})"))
}

/// The fee (udeai) a committed tx paid, from its `tx` event.
fn fee_of(resp: &Value) -> u128 {
    let fees: Vec<u128> = resp["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "tx")
        .flat_map(|e| e["attributes"].as_array().cloned().unwrap_or_default())
        .filter(|a| a["key"] == "fee")
        .map(|a| {
            let v = a["value"].as_str().expect("a string");
            v.strip_suffix("udeai")
                .unwrap_or_else(|| panic!("fee {v} not in udeai"))
                .parse()
                .expect("an integer fee")
        })
        .collect();
    assert_eq!(fees.len(), 1, "one fee event in {resp}");
    fees[0]
}

fn udeai_of(net: &Localnet, bech32: &str) -> u128 {
    balance(
        net,
        0,
        &deai_framework::Address::from_bech32(bech32).expect("an address"),
    )
}

/// A failed `cli_tx_raw`: its one-line error (stdout empty when nothing was broadcast).
fn failed(net: &Localnet, key: &str, args: &[&str]) -> String {
    let (out, all) = net.cli_tx_raw("wasm", key, args);
    assert!(!out.status.success(), "deaid {all:?} succeeded");
    stderr(&out)
}

#[test]
fn wasm_cli_stores_instantiates_executes_and_migrates() {
    let wasm = artifact();
    let wasm_s = wasm.to_str().unwrap();
    let net = Localnet::start(1, 30900);
    // demo14..demo17 are used by no demo daemon, so their balances move only here.
    let admin = net.demo_key(13).address().to_bech32();
    let agent = net.demo_key(14).address().to_bech32();
    let other = net.demo_key(15).address().to_bech32();

    // Store: code id 1, printed as `code_id`.
    let stored = net.cli_tx("wasm", "demo14", &["store", wasm_s]);
    assert_eq!(stored["code"], 0);
    assert_eq!(stored["code_id"], "1", "{stored}");
    let bytes = std::fs::read(&wasm).unwrap();
    let checksum = hex::encode_upper(Sha256::digest(&bytes));

    // Instantiate with an admin; the address is printed as `contract_address`.
    let init = json!({
        "arbiter": other, "denom": "udeai", "min_bond": BOND.to_string(),
        "dispute_window_blocks": 10, "max_delivery_blocks": 100, "slash_bps": 500,
        "reputation_half_life_blocks": 1000,
    })
    .to_string();
    let made = net.cli_tx(
        "wasm",
        "demo14",
        &[
            "instantiate",
            "1",
            &init,
            "--label",
            "agents",
            "--admin",
            &admin,
        ],
    );
    let contract = made["contract_address"]
        .as_str()
        .unwrap_or_else(|| panic!("no contract_address in {made}"))
        .to_string();
    assert!(
        contract.starts_with("deai1") && contract.len() == 63,
        "a 32-byte address: {contract}"
    );
    let info = query(&net, &["contract", &contract]);
    assert_eq!(info["address"], contract);
    let ci = &info["contract_info"];
    assert_eq!(
        (&ci["code_id"], &ci["creator"], &ci["admin"], &ci["label"]),
        (&json!("1"), &json!(admin), &json!(admin), &json!("agents"))
    );

    // Execute register_agent with its bond: the agent pays bond + fee, the contract holds
    // the bond, both to the unit.
    let agent_before = udeai_of(&net, &agent);
    assert_eq!(udeai_of(&net, &contract), 0);
    let register = json!({"register_agent": {"name": "summarizer",
        "capabilities": ["summarize"], "endpoint": "https://agent.example/api", "price": "250"}})
    .to_string();
    let amount = format!("{BOND}udeai");
    let executed = net.cli_tx(
        "wasm",
        "demo15",
        &["execute", &contract, &register, "--amount", &amount],
    );
    let fee = fee_of(&executed);
    assert!(fee > 0);
    assert_eq!(agent_before - udeai_of(&net, &agent), BOND + fee);
    assert_eq!(udeai_of(&net, &contract), BOND);

    // Smart query: {"data": <the contract's answer>}.
    let q = json!({"agent": {"address": agent}}).to_string();
    let answer = query(&net, &["contract-state", "smart", &contract, &q]);
    let a = &answer["data"]["agent"];
    assert_eq!(
        (&a["address"], &a["name"], &a["bond"], &a["registered"]),
        (
            &json!(agent),
            &json!("summarizer"),
            &json!(BOND.to_string()),
            &json!(true)
        ),
        "{answer}"
    );
    assert_eq!(answer["data"]["active"], true);
    let totals = query(
        &net,
        &["contract-state", "smart", &contract, r#"{"totals":{}}"#],
    );
    assert!(totals["data"].is_object(), "{totals}");

    // Raw storage: every key `all` lists reads back the same value with `raw`.
    let all = query(&net, &["contract-state", "all", &contract]);
    let models = all["models"].as_array().expect("models");
    assert!(models.len() >= 2, "config and the agent at least: {all}");
    let key = models[0]["key"].as_str().unwrap();
    let raw = query(&net, &["contract-state", "raw", &contract, key]);
    assert_eq!(raw["data"], models[0]["value"]);
    let none = query(
        &net,
        &["contract-state", "raw", &contract, "no-such-key", "--ascii"],
    );
    assert_eq!(none["data"], Value::Null);

    // Code listings and download.
    let codes = query(&net, &["list-code"]);
    let infos = codes["code_infos"].as_array().expect("code_infos");
    assert_eq!(infos.len(), 1, "{codes}");
    assert_eq!(
        (
            &infos[0]["code_id"],
            &infos[0]["creator"],
            &infos[0]["data_hash"]
        ),
        (&json!("1"), &json!(admin), &json!(checksum))
    );
    assert_eq!(query(&net, &["code-info", "1"]), infos[0]);
    assert_eq!(
        query(&net, &["list-contract-by-code", "1"])["contracts"],
        json!([contract])
    );
    assert_eq!(
        query(&net, &["list-contracts-by-creator", &admin])["contract_addresses"],
        json!([contract])
    );
    let out_file = net.dir.path().join("downloaded.wasm");
    let saved = query(&net, &["code", "1", out_file.to_str().unwrap()]);
    assert_eq!(saved["checksum"], checksum);
    assert!(
        std::fs::read(&out_file).unwrap() == bytes,
        "the downloaded code equals the file"
    );
    assert_eq!(
        query(&net, &["params"])["params"]["code_upload_access"]["permission"],
        "Everybody"
    );

    // Migrate as the admin, to the same code: the history has both entries.
    net.cli_tx("wasm", "demo14", &["migrate", &contract, "1", "{}"]);
    let history = query(&net, &["contract-history", &contract]);
    let ops: Vec<&Value> = history["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["operation"])
        .collect();
    assert_eq!(
        ops,
        [
            "CONTRACT_CODE_HISTORY_OPERATION_TYPE_INIT",
            "CONTRACT_CODE_HISTORY_OPERATION_TYPE_MIGRATE"
        ],
        "{history}"
    );
    assert_eq!(history["entries"][0]["msg"]["min_bond"], BOND.to_string());
    assert_eq!(history["entries"][1]["msg"], json!({}));

    // Migrate as someone else: refused with the chain's reason; nothing changes.
    let info_before = query(&net, &["contract", &contract]);
    let state_before = query(&net, &["contract-state", "all", &contract]);
    let err = failed(&net, "demo16", &["migrate", &contract, "1", "{}"]);
    assert!(
        err.contains("can not migrate") && err.contains("code 4"),
        "{err}"
    );
    assert_eq!(query(&net, &["contract", &contract]), info_before);
    assert_eq!(query(&net, &["contract-history", &contract]), history);
    assert_eq!(
        query(&net, &["contract-state", "all", &contract]),
        state_before
    );

    // Bad JSON never reaches the chain; an unknown code is the chain's clear error.
    let (_, seq_before) = account_of(&net, 0, &net.demo_key(14));
    let err = failed(&net, "demo15", &["execute", &contract, "{register_agent}"]);
    assert!(err.contains("not valid JSON"), "{err}");
    assert_eq!(
        account_of(&net, 0, &net.demo_key(14)).1,
        seq_before,
        "nothing was signed"
    );
    let err = failed(
        &net,
        "demo14",
        &["instantiate", "99", &init, "--label", "x", "--no-admin"],
    );
    assert!(err.contains("no such code"), "{err}");
    let out = query_raw(&net, &["code-info", "99"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no such code"), "{}", stderr(&out));
    let err = failed(&net, "demo14", &["instantiate", "1", &init, "--label", "x"]);
    assert!(err.contains("--no-admin"), "{err}");

    // Admin changes: to demo16, who then clears it.
    net.cli_tx("wasm", "demo14", &["set-contract-admin", &contract, &other]);
    assert_eq!(
        query(&net, &["contract", &contract])["contract_info"]["admin"],
        other
    );
    net.cli_tx("wasm", "demo16", &["clear-contract-admin", &contract]);
    assert_eq!(
        query(&net, &["contract", &contract])["contract_info"]["admin"],
        ""
    );

    // Instantiate2: a predictable address from a hex salt, listed with the first.
    let made2 = net.cli_tx(
        "wasm",
        "demo14",
        &[
            "instantiate2",
            "1",
            &init,
            "00ff01",
            "--hex",
            "--label",
            "agents-2",
            "--no-admin",
            "--fix-msg",
        ],
    );
    let contract2 = made2["contract_address"].as_str().expect("an address");
    assert_ne!(contract2, contract);
    let listed = query(&net, &["list-contract-by-code", "1"])["contracts"].clone();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert!(listed.as_array().unwrap().contains(&json!(contract2)));
}
