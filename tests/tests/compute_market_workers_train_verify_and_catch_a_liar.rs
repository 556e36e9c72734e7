//! The compute market end to end with real deai-worker processes on a real chain.
//!
//! 1. An honest run: an order for the digits spec with redundancy 2 is bid on, leased, run
//!    and reported by two provider daemons; both results agree with a local `deai-worker
//!    train` of the same spec, the order completes, `fetch-result` downloads and checks the
//!    weights, and every unit of the escrow is accounted for.
//! 2. A lie is caught: a provider driven by hand submits a result that leaves the true run
//!    at checkpoint 3; a third daemon with `--verifier` is drawn as the referee, replays
//!    segment 2 from the honest provider's checkpoint and answers; the liar is slashed and
//!    jailed, the requester is compensated, and the balances reconcile exactly.
//!
//! A daemon stopped with SIGTERM exits 0.

use std::process::Command;
use std::time::Duration;

use deai_e2e::compute::*;
use deai_e2e::worker::*;
use deai_e2e::*;
use deai_proto::compute::v1 as pb;

const STAKE: u128 = 10_000_000;

fn digits_spec_bytes() -> Vec<u8> {
    std::fs::read(digits_spec()).unwrap()
}

fn eu() -> Vec<pb::Attribute> {
    vec![pb::Attribute {
        key: "region".into(),
        value: "eu".into(),
    }]
}

fn digits_order(owner: &Party, bid_window: u64) -> pb::MsgCreateOrder {
    use sha2::Digest;
    let spec = digits_spec_bytes();
    pb::MsgCreateOrder {
        dataset_id: 0,
        max_access_fee: None,
        owner: owner.bech32(),
        spec_sha256: sha2::Sha256::digest(&spec).to_vec(),
        spec,
        required_attributes: eu(),
        resources: Some(pb::Resources {
            cpu_millis: 1_000,
            ..Default::default()
        }),
        max_price_per_block: udeai(100),
        deposit: udeai(500_000),
        redundancy: 2,
        verification: Some(pb::Verification {
            mode: pb::VerificationMode::Redundant as i32,
            spot_check_rate: String::new(),
        }),
        bid_window,
        max_blocks: 5_000,
        ..Default::default()
    }
}

/// `deai-worker train` of the digits spec in `dir`: its result.json.
fn local_train(dir: &std::path::Path) -> serde_json::Value {
    let spec = digits_spec();
    let out = dir.join("local");
    run_ok(
        Command::new(worker_bin())
            .args(["--quiet", "train", "--spec"])
            .arg(&spec)
            .arg("--out")
            .arg(&out),
    );
    serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap()
}

fn hex32(v: &serde_json::Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    (0..32)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn cli_tx(net: &Localnet, key: &str, args: &[&str]) -> serde_json::Value {
    net.cli_tx("compute", key, args)
}

/// The order id in a committed create-order's events.
fn cli_order_id(resp: &serde_json::Value) -> u64 {
    typed_events::<pb::EventOrderCreated>(&resp["events"])[0].order_id
}

/// A key named `name` in the localnet's test keyring, funded by `funder`.
fn keyring_party(net: &Localnet, funder: &mut Party, name: &str, amount: u128) -> Party {
    let out = net.deaid(
        &[
            "keys",
            "add",
            name,
            "--keyring-backend",
            "test",
            "--home",
            net.keys_home().to_str().unwrap(),
            "-o",
            "json",
        ],
        "",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let key =
        deai_client::keys::AccountKey::from_mnemonic(info["mnemonic"].as_str().unwrap()).unwrap();
    fund(funder, &key.address(), amount);
    Party::new(net, key)
}

#[test]
fn compute_market_workers_train_verify_and_catch_a_liar() {
    let net = Localnet::start(1, 28700);
    let dir = net.dir.path().to_path_buf();
    let node = net.rpc(0);
    let keys = net.keys_home();
    let mut r = Party::new(&net, net.demo_key(0));
    let (w1_addr, w2_addr) = (net.demo_key(1).address(), net.demo_key(2).address());
    let (w1_0, w2_0) = (balance(&net, 0, &w1_addr), balance(&net, 0, &w2_addr));
    let pool0 = community_pool(&net);
    let mut w1 = Daemon::provider(
        &dir,
        &node,
        &keys,
        "demo2",
        28791,
        &["--price", "50udeai", "--attributes", "region=eu"],
    );
    let mut w2 = Daemon::provider(
        &dir,
        &node,
        &keys,
        "demo3",
        28792,
        &["--price", "60udeai", "--attributes", "region=eu"],
    );
    w1.wait_log("provider running", Duration::from_secs(120));
    w2.wait_log("provider running", Duration::from_secs(120));
    let (log1, log2) = (w1.log.clone(), w2.log.clone());
    let read = |p: &std::path::Path| tail(&std::fs::read_to_string(p).unwrap_or_default());
    let logs = || format!("--- w1\n{}\n--- w2\n{}", read(&log1), read(&log2));

    // 1. The honest run.
    let local = local_train(&dir);
    let r0 = balance(&net, 0, &r.address());
    let r_fees0 = fees_paid(&net, &r.address());
    // The requester orders from the CLI.
    let spec = digits_spec();
    let created = cli_tx(
        &net,
        "demo1",
        &[
            "create-order",
            "--spec",
            spec.to_str().unwrap(),
            "--attributes",
            "region=eu",
            "--cpu-millis",
            "1000",
            "--max-price-per-block",
            "100udeai",
            "--deposit",
            "500000udeai",
            "--redundancy",
            "2",
            "--verification",
            "redundant",
            "--bid-window",
            "20",
            "--max-blocks",
            "5000",
        ],
    );
    let o1 = cli_order_id(&created);
    // w1 crashes (kill -9) once its job has started, and comes back on the same state dir:
    // it re-runs the job and submits its result once.
    w1.wait_log(&format!("job started lease="), Duration::from_secs(120));
    w1.kill9();
    let mut w1 = Daemon::provider(
        &dir,
        &node,
        &keys,
        "demo2",
        28791,
        &["--price", "50udeai", "--attributes", "region=eu"],
    );
    let done = wait_order(
        &net,
        o1,
        Duration::from_secs(600),
        |o| o.state != pb::OrderState::Open as i32 && o.state != pb::OrderState::Leased as i32,
        logs,
    );
    assert_eq!(done.state, pb::OrderState::Completed as i32, "{}", logs());
    let checkpoints: Vec<Vec<u8>> = local["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| hex32(&c["hash"]))
        .collect();
    assert_eq!(
        done.result_hash,
        *checkpoints.last().unwrap(),
        "the chain head of a local run"
    );
    let results: pb::QueryResultsResponse = query(
        &net,
        "Results",
        &pb::QueryResultsRequest {
            order_id: o1,
            pagination: None,
        },
    );
    assert_eq!(results.results.len(), 2);
    for res in &results.results {
        assert_eq!(res.checkpoint_hashes, checkpoints);
        assert_eq!(res.weights_sha256, hex32(&local["final_weights_sha256"]));
    }
    // fetch-result gets the weights a local run produces, checked against the chain.
    let fetched = dir.join("fetched");
    run_ok(
        Command::new(worker_bin())
            .args([
                "--output",
                "json",
                "fetch-result",
                "--node",
                &node,
                "--order",
                &o1.to_string(),
                "--out",
            ])
            .arg(&fetched),
    );
    assert_eq!(
        std::fs::read(fetched.join("weights.safetensors")).unwrap(),
        std::fs::read(dir.join("local/weights.safetensors")).unwrap()
    );
    // Escrow to the unit: the requester spent what the leases were paid (the provider share
    // and the take), and fees; each provider got its share; the pool got the take.
    let e1 = escrow(&net, o1);
    let leases = leases_of(&net, o1);
    let to_providers: u128 = leases.iter().map(|l| amount(&l.withdrawn)).sum();
    assert!(leases
        .iter()
        .all(|l| l.state == pb::LeaseState::Completed as i32 && amount(&l.unwithdrawn) == 0));
    let take = community_pool(&net) - pool0;
    assert!(take > 0, "take {take}, leases {leases:?}");
    assert_eq!(amount(&e1.transferred), to_providers + take);
    let r_fees = fees_paid(&net, &r.address()) - r_fees0;
    assert_eq!(
        balance(&net, 0, &r.address()),
        r0 - r_fees - amount(&e1.transferred)
    );
    for (addr, before) in [(w1_addr.clone(), w1_0), (w2_addr.clone(), w2_0)] {
        let earned: u128 = leases
            .iter()
            .filter(|l| l.provider == addr.to_bech32())
            .map(|l| amount(&l.withdrawn))
            .sum();
        assert!(earned > 0);
        assert_eq!(
            balance(&net, 0, &addr),
            before - STAKE - fees_paid(&net, &addr) + earned,
            "{addr}"
        );
    }

    // Nothing was submitted twice: no provider tx was refused as a duplicate result (43) or
    // for a lease no longer active (42), and w1 logged one submission.
    for addr in [&w1_addr, &w2_addr] {
        let txs = txs_paid_by(&net, addr);
        let refused: Vec<_> = txs.iter().filter(|t| t.code != 0).collect();
        assert!(
            !refused
                .iter()
                .any(|t| t.codespace == "compute" && (t.code == 43 || t.code == 42)),
            "{addr}: {refused:?}\n{}",
            logs()
        );
    }
    // At most one submission logged: the kill may land after the result's tx was sent and
    // before its line was written; the restart then finds the result on chain (or the lease
    // already ended) and sends nothing. The chain holds exactly the two results (above).
    let log1_text = w1.log_text();
    assert!(
        log1_text.matches("result submitted lease=").count() <= 1,
        "{}",
        tail(&log1_text)
    );
    // SIGTERM stops a daemon cleanly.
    assert!(w2.stop().success(), "{}", tail(&w2.log_text()));

    // 2. A lie is caught by a verifier daemon.
    let liar = keyring_party(&net, &mut r, "liar", 50_000_000);
    let v = keyring_party(&net, &mut r, "referee", 50_000_000);
    let v0 = balance(&net, 0, &v.address());
    let mut w3 = Daemon::provider(
        &dir,
        &node,
        &keys,
        "referee",
        28793,
        &["--price", "90udeai", "--verifier"],
    );
    w3.wait_log("provider running", Duration::from_secs(120));
    // The liar is driven from the CLI.
    cli_tx(
        &net,
        "liar",
        &[
            "create-provider",
            "--host-uri",
            "http://127.0.0.1:9/nothing",
            "--attributes",
            "region=eu",
            "--cpu-millis",
            "4000",
            "--stake",
            "10000000udeai",
        ],
    );
    let (liar0, liar_fees0) = (
        balance(&net, 0, &liar.address()),
        fees_paid(&net, &liar.address()),
    );
    let r1 = balance(&net, 0, &r.address());
    let r_fees1 = fees_paid(&net, &r.address());
    let created = r.send(digits_order(&r, 25));
    let o2 = created.ok().events::<pb::EventOrderCreated>()[0].order_id;
    cli_tx(
        &net,
        "liar",
        &[
            "create-bid",
            &o2.to_string(),
            "--price",
            "40udeai",
            "--deposit",
            "1000000udeai",
        ],
    );
    let lease = wait_order(
        &net,
        o2,
        Duration::from_secs(120),
        |o| o.state != pb::OrderState::Open as i32,
        || logs(),
    );
    assert_eq!(
        lease.state,
        pb::OrderState::Leased as i32,
        "w1 and the liar won"
    );
    let liar_lease = leases_of(&net, o2)
        .into_iter()
        .find(|l| l.provider == liar.bech32())
        .unwrap();
    // The liar copies the true run up to checkpoint 2 and makes up the rest.
    let mut forged = checkpoints.clone();
    for c in forged.iter_mut().skip(3) {
        c[0] ^= 0xff;
    }
    let hexes: Vec<String> = forged.iter().map(hex::encode).collect();
    cli_tx(
        &net,
        "liar",
        &[
            "submit-result",
            &liar_lease.id.to_string(),
            "--result-hash",
            hexes.last().unwrap(),
            "--weights-sha256",
            &"ee".repeat(32),
            "--checkpoint-hashes",
            &hexes.join(","),
            "--artifact-uri",
            "http://127.0.0.1:9/nothing/blobs/x",
        ],
    );
    let log3 = w3.log.clone();
    let w3_logs = || format!("{}\n--- w3\n{}", logs(), read(&log3));
    let done = wait_order(
        &net,
        o2,
        Duration::from_secs(600),
        |o| o.state == pb::OrderState::Completed as i32 || o.state == pb::OrderState::Closed as i32,
        w3_logs,
    );
    assert_eq!(
        done.state,
        pb::OrderState::Completed as i32,
        "{}",
        w3_logs()
    );
    assert_eq!(done.result_hash, *checkpoints.last().unwrap());
    let audit = &audits_of(&net, o2)[0];
    assert_eq!((audit.segment, audit.verifier.clone()), (2, v.bech32()));
    assert_eq!(audit.state, pb::AuditState::Resolved as i32);
    assert_eq!(
        audit.checkpoint_hash, checkpoints[3],
        "the referee's replay of segment 2"
    );
    let jailed = provider(&net, &liar.address());
    assert!(jailed.jailed);
    let slash = STAKE / 10;
    assert_eq!(amount(&jailed.stake), STAKE - slash);
    // To the unit: the requester paid w1's lease, the takes and the referee's fee, and got
    // the slash; the liar got nothing but its bid deposit back; the referee got the fee.
    let e2 = escrow(&net, o2);
    let fee = amount(&params(&net).verifier_fee).min(500_000 - amount(&e2.transferred));
    let r_fees = fees_paid(&net, &r.address()) - r_fees1;
    assert_eq!(
        balance(&net, 0, &r.address()),
        r1 - r_fees - amount(&e2.transferred) - fee + slash
    );
    let liar_fees = fees_paid(&net, &liar.address()) - liar_fees0;
    assert_eq!(balance(&net, 0, &liar.address()), liar0 - liar_fees);
    assert_eq!(
        balance(&net, 0, &v.address()),
        v0 - fees_paid(&net, &v.address()) - STAKE + fee
    );
    for l in leases_of(&net, o2) {
        if l.provider == liar.bech32() {
            assert_eq!(
                (l.state, amount(&l.withdrawn)),
                (pb::LeaseState::Slashed as i32, 0)
            );
        }
    }
    assert!(w1.stop().success());
    assert!(w3.stop().success());
}
