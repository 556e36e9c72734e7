//! Unmodified `SigningCosmWasmClient` (@cosmjs/cosmwasm-stargate, tests/cosmjs/wasm.mjs)
//! against a real localnet: both contracts uploaded (gzipped) and instantiated, the agent
//! marketplace's flow (register with a bond → hire with escrow → deliver → accept → rate) and
//! the model marketplace's licence flow (an inference model registered with deai's own
//! message → listed with contributors → licences bought → receipt NFTs owned by the buyer)
//! run, and every balance involved reconciled to the unit with each tx's actual fee. The
//! split, the reputation and the contract addresses are computed here independently of the
//! contracts and of the node, and the node is asked again through the Rust client.

use std::process::Command;

use deai_e2e::wasm::{
    classic_address, contract_info, reputation_after_one_rating, royalty_split, sha256_hex, smart,
};
use deai_e2e::{repo_root, run_ok, Localnet};
use serde_json::{json, Value};

/// A decimal string (or a number) as an integer.
fn n(v: &Value) -> i128 {
    match v {
        Value::String(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("not a decimal string: {v}")),
        Value::Number(x) => x.as_i64().unwrap_or_else(|| panic!("not an integer: {v}")) as i128,
        _ => panic!("not a number: {v}"),
    }
}

/// Checks a tx's record: a fee was paid, at least the minimum gas price × its gas limit, and
/// it used no more gas than it asked for. Returns the fee.
fn fee(tx: &Value, what: &str) -> i128 {
    let (fee, wanted, used) = (n(&tx["fee"]), n(&tx["gasWanted"]), n(&tx["gasUsed"]));
    assert!(fee > 0, "{what}: no fee: {tx}");
    // 0.025 udeai per gas, rounded up (the localnet's minimum gas price).
    assert!(
        fee * 1000 >= wanted * 25,
        "{what}: fee below the gas price: {tx}"
    );
    assert!(0 < used && used <= wanted, "{what}: gas used: {tx}");
    fee
}

#[test]
fn cosmjs_uploads_both_contracts_and_runs_the_agent_and_licence_flows() {
    let dir = repo_root().join("tests/cosmjs");
    if !dir.join("node_modules/@cosmjs/cosmwasm-stargate").exists() {
        // scripts/setup.sh runs this; do it here too so the test stands alone.
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
    }
    let artifacts = repo_root().join("wasm-contracts/artifacts");
    let wasm_of = |name: &str| {
        let p = artifacts.join(format!("{name}.wasm"));
        std::fs::read(&p).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: build the contracts first (wasm-contracts/build.sh)",
                p.display()
            )
        })
    };
    let (agent_wasm, model_wasm) = (wasm_of("agent-marketplace"), wasm_of("model-marketplace"));

    let net = Localnet::start(1, 30700);
    let out = run_ok(
        Command::new("node")
            .arg("wasm.mjs")
            .arg(net.info_path())
            .current_dir(&dir),
    );
    let seen: Value = serde_json::from_str(out.trim().lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("cosmjs printed no JSON ({e}): {out}"));
    let acct = |i: usize| {
        net.info["accounts"][i]["address"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let [deployer, arbiter, agent, client, seller, alice, bob, fee_collector, buyer] =
        std::array::from_fn(acct);
    assert_eq!(seen["accounts"]["buyer"], buyer.as_str(), "{seen}");

    // ---- Codes: ids 1 and 2 on a fresh chain, stored uncompressed under their sha256. ----
    let (agent_sha, model_sha) = (sha256_hex(&agent_wasm), sha256_hex(&model_wasm));
    for (k, id, sha, size) in [
        ("agent", 1, &agent_sha, agent_wasm.len()),
        ("model", 2, &model_sha, model_wasm.len()),
    ] {
        let up = &seen["upload"][k];
        assert_eq!(up["codeId"], id, "{k}: {seen}");
        // cosmjs sent it gzipped; the chain gunzipped it.
        assert!(
            n(&up["compressedSize"]) < n(&up["originalSize"]),
            "{k}: {up}"
        );
        assert_eq!(
            up["storeCodeEvent"]["code_checksum"],
            sha.as_str(),
            "{k}: {up}"
        );
        assert_eq!(up["storeCodeEvent"]["code_id"], id.to_string(), "{k}");
        fee(up, k);
        // Store costs at least 3 gas per byte of the (uncompressed) code.
        assert!(n(&up["gasUsed"]) >= 3 * size as i128, "{k}: {up}");
        assert_eq!(
            seen["codeDetails"][k],
            json!({"id": id, "creator": deployer, "checksum": sha, "dataSha256": sha,
                "dataSize": size}),
            "{k}: {seen}"
        );
    }
    assert_eq!(
        seen["codes"],
        json!([
            {"id": 1, "creator": deployer, "checksum": agent_sha},
            {"id": 2, "creator": deployer, "checksum": model_sha},
        ]),
        "{seen}"
    );

    // ---- Contracts: wasmd's classic addresses (code id, instance id 1 and 2). ----
    let agent_addr = classic_address(1, 1);
    let model_addr = classic_address(2, 2);
    assert_eq!(seen["instantiate"]["agent"]["address"], agent_addr.as_str());
    assert_eq!(seen["instantiate"]["model"]["address"], model_addr.as_str());
    assert_eq!(
        seen["instantiate"]["agent"]["event"],
        json!({"_contract_address": agent_addr, "code_id": "1"}),
        "{seen}"
    );
    assert_eq!(
        seen["instantiate"]["model"]["event"],
        json!({"_contract_address": model_addr, "code_id": "2"}),
        "{seen}"
    );
    assert_eq!(seen["contracts"]["byCode"]["agent"], json!([agent_addr]));
    assert_eq!(seen["contracts"]["byCode"]["model"], json!([model_addr]));
    let agent_contract = json!({"address": agent_addr, "codeId": 1, "creator": deployer,
        "admin": deployer, "label": "agent-marketplace"});
    let model_contract = json!({"address": model_addr, "codeId": 2, "creator": deployer,
        "label": "model-marketplace"});
    assert_eq!(seen["contracts"]["agent"], agent_contract, "{seen}");
    assert_eq!(seen["contracts"]["model"], model_contract, "{seen}");
    assert_eq!(
        seen["licenceFlow"]["contractsAfter"]["agent"],
        agent_contract
    );
    assert_eq!(
        seen["licenceFlow"]["contractsAfter"]["model"],
        model_contract
    );
    let info = contract_info(&net, &agent_addr);
    assert_eq!(
        (info.code_id, info.creator.as_str(), info.admin.as_str()),
        (1, deployer.as_str(), deployer.as_str())
    );
    let info = contract_info(&net, &model_addr);
    assert_eq!((info.code_id, info.admin.as_str()), (2, ""));
    assert_eq!(
        seen["config"]["agent"],
        json!({"arbiter": arbiter, "denom": "udeai", "min_bond": "1000",
            "dispute_window_blocks": 20, "max_delivery_blocks": 100, "slash_bps": 5000,
            "reputation_half_life_blocks": 1000}),
        "{seen}"
    );
    assert_eq!(
        seen["config"]["model"]["fee_collector"],
        fee_collector.as_str()
    );
    assert_eq!(seen["config"]["model"]["fee_bps"], 250);

    // ---- The agent flow, to the unit. ----
    let af = &seen["agentFlow"];
    let tx = &af["txs"];
    let f = |k: &str| fee(&tx[k], k);
    assert_eq!(
        af["before"][agent_addr.as_str()],
        "0",
        "a fresh contract: {af}"
    );
    assert_eq!(af["escrowedAfterHire"], "1250", "bond + escrow: {af}");
    assert_eq!(
        n(&af["deltas"]["agent"]),
        -1000 + 250 - f("register") - f("deliver"),
        "the agent: bond out, price in, its two fees: {af}"
    );
    assert_eq!(
        n(&af["deltas"]["client"]),
        -250 - f("hire") - f("accept") - f("rate"),
        "the client: the price and its three fees: {af}"
    );
    assert_eq!(
        n(&af["deltas"][agent_addr.as_str()]),
        1000,
        "the bond stays: {af}"
    );
    // Accept paid the agent from the contract with a bank transfer.
    assert!(
        tx["accept"]["transfers"]
            .as_array()
            .unwrap()
            .contains(&json!({
            "recipient": agent, "sender": agent_addr, "amount": "250udeai"})),
        "{af}"
    );
    let job_id = 1;
    assert_eq!(af["jobId"], job_id);
    assert_eq!(
        tx["hire"]["jobEvent"],
        json!({"_contract_address": agent_addr, "job_id": "1", "status": "hired",
            "client": client, "agent": agent, "price": "250"}),
        "{af}"
    );
    for (k, event) in [
        ("register", "wasm"),
        ("hire", "wasm-agent_job"),
        ("accept", "transfer"),
    ] {
        assert!(
            tx[k]["events"].as_array().unwrap().contains(&json!(event)),
            "{k}: {af}"
        );
    }
    let q = &af["queries"];
    let a = &q["agent"];
    assert_eq!(a["active"], true, "{q}");
    assert_eq!(
        (
            &a["agent"]["address"],
            &a["agent"]["name"],
            &a["agent"]["price"],
            &a["agent"]["bond"]
        ),
        (
            &json!(agent),
            &json!("summarizer"),
            &json!("250"),
            &json!("1000")
        ),
        "{q}"
    );
    assert_eq!(
        a["agent"]["capabilities"],
        json!(["summarize", "translate"])
    );
    assert_eq!(
        (&a["agent"]["open_jobs"], &a["agent"]["jobs_completed"]),
        (&json!(0), &json!(1)),
        "{q}"
    );
    assert_eq!(q["agents"]["agents"].as_array().unwrap().len(), 1, "{q}");
    assert_eq!(q["agents"]["agents"][0]["agent"]["address"], agent.as_str());
    assert_eq!(
        q["byCapability"]["agents"][0]["agent"]["address"],
        agent.as_str()
    );
    assert_eq!(q["byMissingCapability"], json!({"agents": []}));
    let job = &q["job"];
    let hire_h = n(&tx["hire"]["height"]);
    assert_eq!(
        (
            &job["id"],
            &job["client"],
            &job["agent"],
            &job["status"],
            &job["price"]
        ),
        (
            &json!(job_id),
            &json!(client),
            &json!(agent),
            &json!("completed"),
            &json!("250")
        ),
        "{job}"
    );
    assert_eq!(
        (
            n(&job["hired_at"]),
            n(&job["deadline"]),
            n(&job["delivered_at"])
        ),
        (hire_h, hire_h + 50, n(&tx["deliver"]["height"])),
        "{job}"
    );
    assert_eq!(job["result_hash"], af["resultHash"]);
    assert_eq!(job["result_uri"], "ipfs://summary");
    assert_eq!(q["jobsByClient"]["jobs"][0]["id"], job_id);
    assert_eq!(q["jobsByClient"]["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(q["jobsByAgent"]["jobs"][0]["id"], job_id);
    let rep = &q["reputation"];
    let elapsed = n(&rep["height"]) - n(&tx["rate"]["height"]);
    assert!(elapsed >= 0, "{rep}");
    assert_eq!(
        (&rep["agent"], &rep["ratings"]),
        (&json!(agent), &json!(1)),
        "{rep}"
    );
    assert_eq!(
        n(&rep["milli_stars"]) as u128,
        reputation_after_one_rating(5, elapsed as u64, 1000),
        "{rep}"
    );
    assert_eq!(
        q["totals"],
        json!({"bonded": "1000", "escrowed": "0"}),
        "{q}"
    );
    let missing = af["missingJob"].as_str().unwrap();
    assert!(missing.contains("job 999 not found"), "{missing}");
    // And the node says the same through the Rust client.
    assert_eq!(
        smart(&net, &agent_addr, &json!({"totals": {}})),
        q["totals"]
    );
    let contract_account = deai_framework::Address::from_bech32(&agent_addr).unwrap();
    assert_eq!(deai_e2e::balance(&net, 0, &contract_account), 1000);

    // ---- The licence flow. ----
    let lf = &seen["licenceFlow"];
    let model_id = n(&lf["modelId"]) as u64;
    let model: deai_proto::inference::v1::QueryModelResponse = deai_e2e::inference::query(
        &net,
        "Model",
        &deai_proto::inference::v1::QueryModelRequest { id: model_id },
    );
    assert_eq!(
        model.model.expect("the model is registered").owner,
        seller,
        "{lf}"
    );
    fee(&lf["registerModel"], "register model");
    assert_eq!(
        n(&lf["sellerListingDelta"]),
        -fee(&lf["createListing"], "create_listing"),
        "listing costs its fee only: {lf}"
    );
    assert_eq!(
        lf["listedEvent"]["listing_id"], "1",
        "the first listing: {lf}"
    );
    assert_eq!(lf["listedEvent"]["model_id"], model_id.to_string(), "{lf}");
    let contributors = json!([
        {"address": alice, "share_bps": 5000},
        {"address": bob, "share_bps": 3000},
        {"address": seller, "share_bps": 2000},
    ]);
    let listing = &lf["listing"];
    assert_eq!(
        (
            &listing["id"],
            &listing["model_id"],
            &listing["seller"],
            &listing["contributors"]
        ),
        (&json!(1), &json!(model_id), &json!(seller), &contributors),
        "{listing}"
    );
    assert_eq!(
        (&listing["per_use_price"], &listing["perpetual_price"]),
        (&json!("7"), &json!("1001"))
    );
    assert_eq!(lf["listingByModel"], *listing);
    let shares = [
        (alice.as_str(), 5000),
        (bob.as_str(), 3000),
        (seller.as_str(), 2000),
    ];
    for (quote, price) in [("quotePerpetual", 1001), ("quotePerUse", 21)] {
        let (fee, paid) = royalty_split(price, 250, &fee_collector, &shares, &seller);
        let q = &lf[quote];
        assert_eq!(
            (n(&q["price"]), n(&q["fee"])),
            (price as i128, fee as i128),
            "{q}"
        );
        let payouts: Vec<Value> = paid
            .iter()
            .filter(|(_, v)| *v > 0)
            .map(|(a, v)| json!({"address": a, "amount": v.to_string()}))
            .collect();
        assert_eq!(q["payouts"], json!(payouts), "{quote}: {q}");
    }

    // Each purchase: every payee got exactly its share, the buyer paid the price and its
    // fee, the contract kept nothing.
    let buys = lf["buys"].as_array().unwrap();
    assert_eq!(buys.len(), 2, "{lf}");
    let mut revenue = 0;
    for (i, (b, kind, price)) in buys
        .iter()
        .zip([("perpetual", 1001u128), ("per_use", 21)])
        .map(|(b, (k, p))| (b, k, p))
        .enumerate()
    {
        assert_eq!(
            (b["kind"].as_str(), n(&b["price"])),
            (Some(kind), price as i128)
        );
        let (_, paid) = royalty_split(price, 250, &fee_collector, &shares, &seller);
        let got = |who: &str| n(&b["deltas"][who]) as u128;
        let expect = |addr: &str| {
            paid.iter()
                .find(|(a, _)| a == addr)
                .map(|(_, v)| *v)
                .unwrap_or(0)
        };
        assert_eq!(got("feeCollector"), expect(&fee_collector), "{kind}: {b}");
        assert_eq!(got("alice"), expect(&alice), "{kind}: {b}");
        assert_eq!(got("bob"), expect(&bob), "{kind}: {b}");
        assert_eq!(got("seller"), expect(&seller), "{kind}: {b}");
        assert_eq!(n(&b["deltas"][model_addr.as_str()]), 0, "{kind}: {b}");
        assert_eq!(
            ["feeCollector", "alice", "bob", "seller"]
                .iter()
                .map(|w| got(w))
                .sum::<u128>(),
            price,
            "{kind}: the payees share the whole price: {b}"
        );
        assert_eq!(
            n(&b["deltas"]["buyer"]),
            -(price as i128) - fee(b, kind),
            "{kind}: the buyer paid the price and its fee: {b}"
        );
        let token = (i + 1).to_string();
        assert_eq!(
            b["licenceEvent"],
            json!({"_contract_address": model_addr, "token_id": token, "listing_id": "1",
                "model_id": model_id.to_string(), "owner": buyer, "price": price.to_string()}),
            "{kind}: {b}"
        );
        revenue += price;
    }
    // The bigger purchase's split: 25 fee, 488 / 292 / 195 + 1 remainder to the seller.
    assert_eq!(
        buys[0]["deltas"],
        json!({"buyer": buys[0]["deltas"]["buyer"], "seller": "196", "alice": "488",
            "bob": "292", "feeCollector": "25", model_addr.as_str(): "0"}),
        "{lf}"
    );

    // The receipts: cw721 tokens 1 and 2, owned by the buyer.
    let lq = &lf["queries"];
    assert_eq!(lf["tokenIds"], json!(["1", "2"]));
    for owner in lq["ownerOf"].as_array().unwrap() {
        assert_eq!(*owner, json!({"owner": buyer, "approvals": []}), "{lq}");
    }
    assert_eq!(lq["ownerOf"].as_array().unwrap().len(), 2);
    assert_eq!(lq["tokensOfBuyer"], json!({"tokens": ["1", "2"]}), "{lq}");
    assert_eq!(lq["tokensOfSeller"], json!({"tokens": []}), "{lq}");
    assert_eq!(lq["allTokens"], json!({"tokens": ["1", "2"]}), "{lq}");
    assert_eq!(lq["numTokens"], json!({"count": 2}), "{lq}");
    assert_eq!(
        lq["contractInfo"],
        json!({"name": "deai licences", "symbol": "DEAILIC"})
    );
    let nft = &lq["nftInfo"];
    assert_eq!(nft["token_uri"], "ipfs://model-card", "{nft}");
    assert_eq!(
        (
            &nft["extension"]["kind"],
            &nft["extension"]["uses_bought"],
            &nft["extension"]["uses_remaining"]
        ),
        (&json!("per_use"), &json!(3), &json!(3)),
        "{nft}"
    );
    let licence = &lq["licence"];
    assert_eq!(licence["owner"], buyer.as_str(), "{licence}");
    assert_eq!(
        (
            &licence["licence"]["kind"],
            &licence["licence"]["price_paid"]
        ),
        (&json!("perpetual"), &json!("1001")),
        "{licence}"
    );
    assert_eq!(
        n(&licence["licence"]["purchased_at"]),
        n(&buys[0]["height"]),
        "{licence}"
    );
    let stats = &lq["listingAfter"]["stats"];
    assert_eq!(
        (
            &stats["licences_sold"],
            &stats["uses_sold"],
            &stats["revenue"]
        ),
        (&json!(2), &json!(3), &json!(revenue.to_string())),
        "{stats}"
    );
    let rank = &lq["ranking"];
    assert_eq!(
        (
            &rank["model_id"],
            &rank["listing_id"],
            &rank["rating_count"]
        ),
        (&json!(model_id), &json!(1), &json!(0)),
        "{rank}"
    );
    assert!(n(&rank["score_bps"]) <= 10_000, "{rank}");
    // And the node says the same through the Rust client.
    assert_eq!(
        smart(&net, &model_addr, &json!({"owner_of": {"token_id": "1"}})),
        json!({"owner": buyer, "approvals": []})
    );
    let market_account = deai_framework::Address::from_bech32(&model_addr).unwrap();
    assert_eq!(deai_e2e::balance(&net, 0, &market_account), 0);
}
