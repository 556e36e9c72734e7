//! Crash points: deaid (built with the `failpoints` feature, as scripts/test.sh builds it)
//! aborts at each named point of a block's life while txs stream in. After a restart the
//! node agrees with CometBFT's block store (CometBFT replays what the app lost and checks
//! the app hash), blocks continue, and the state holds exactly the committed txs.

use std::time::{Duration, Instant};

use deai_e2e::*;

/// The recipient of every send; nobody else pays it.
fn sink() -> deai_framework::Address {
    deai_framework::Address::from_bytes(&[0xc4; 20]).unwrap()
}

fn deaid_pid(net: &Localnet) -> Option<i32> {
    std::fs::read_to_string(net.home(0).join("deaid.pid"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

fn wait_gone(pid: i32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie nobody has reaped yet.
        if state.is_empty()
            || state
                .rsplit(") ")
                .next()
                .is_some_and(|s| s.starts_with('Z'))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn log_says(net: &Localnet, what: &str) -> bool {
    std::fs::read_to_string(net.home(0).join("deaid.log")).is_ok_and(|l| l.contains(what))
}

/// Streams sends from demo0 until the node stops answering; their hashes.
fn stream_until_gone(net: &Localnet, limit: u64) -> Vec<String> {
    let key = net.demo_key(0);
    let (num, seq0) = account_of(net, 0, &key);
    let (chain, to, rt, client) = (net.chain_id(), sink(), rt(), net.client(0));
    let mut hashes = Vec::new();
    for i in 0..limit {
        let tx = signed_send(&key, &chain, num, seq0 + i, &to, 1);
        match rt.block_on(client.broadcast_sync(tx)) {
            Ok(r) if r.code == 0 => hashes.push(r.txhash),
            _ => break,
        }
        // Spread the txs over blocks rather than filling one.
        std::thread::sleep(Duration::from_millis(15));
    }
    hashes
}

/// After the restart: every tx CometBFT committed succeeded, and the state holds exactly
/// those (the sink got 1 per tx, demo0's sequence counts them).
fn assert_state_matches_the_block_store(net: &Localnet, hashes: &[String], point: &str) {
    let (rt, client) = (rt(), net.client(0));
    let mut committed = 0u64;
    for h in hashes {
        if let Ok(Some(r)) = rt.block_on(client.tx(h)) {
            assert_eq!(r.code, 0, "{point}: tx {h}: {}", r.raw_log);
            committed += 1;
        }
    }
    assert!(committed > 0, "{point}: no tx committed before the crash");
    assert_eq!(
        balance(net, 0, &sink()),
        u128::from(committed),
        "{point}: the sink's balance is not the number of committed sends"
    );
    let (_, seq) = account_of(net, 0, &net.demo_key(0));
    assert_eq!(seq, committed, "{point}: demo0's sequence");
}

/// The app's own last app hash (ABCI Info) is the one the next header carries.
fn assert_app_agrees_with_the_headers(net: &Localnet, point: &str) {
    let (status, info) = curl_json("GET", &format!("{}/abci_info", net.rpc(0)), None, &[]);
    assert_eq!(status, 200, "{point}: {info}");
    let response = &info["result"]["response"];
    let height: u64 = response["last_block_height"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let app_hash = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        response["last_block_app_hash"].as_str().unwrap(),
    )
    .unwrap();
    net.wait_height(0, height + 1, Duration::from_secs(30));
    assert_eq!(
        net.app_hash_after(0, height),
        hex::encode_upper(app_hash),
        "{point}: the app's hash at {height} is not the next header's"
    );
}

/// On the store `deaid init` picks by default (fjall).
fn crash_mid_chain(point: &str, base: u16) {
    crash_mid_chain_on("fjall", point, base);
}

fn crash_mid_chain_on(db_backend: &str, point: &str, base: u16) {
    let (mut net, started) = Localnet::try_start_env(
        1,
        base,
        &[
            "--app-state-patch",
            staking::QUIET_ECONOMICS,
            "--db-backend",
            db_backend,
        ],
        // The 15th pass: a few seconds of blocks with txs in them first.
        &[("DEAI_FAILPOINT", point), ("DEAI_FAILPOINT_HIT", "15")],
    );
    started.unwrap_or_else(|e| panic!("{point}: {e}"));
    // The node runs on the store asked for (fjall writes its `version` marker file).
    let state = net.home(0).join("data/application.db");
    assert_eq!(
        state.join("version").is_file(),
        db_backend == "fjall",
        "{point}: the state at {} is not a {db_backend} store",
        state.display()
    );
    let pid = deaid_pid(&net).unwrap();
    let hashes = stream_until_gone(&net, 3000);
    assert!(
        wait_gone(pid, Duration::from_secs(60)),
        "{point}: deaid did not reach the failpoint"
    );
    assert!(
        log_says(&net, &format!("failpoint {point}")),
        "{point}: deaid died, but not at its failpoint"
    );
    let height_before = net.height(0);
    net.kill9(0, "cometbft");

    // up.sh starts deaid again without the failpoint armed.
    net.restart();
    net.wait_height(0, height_before.max(15) + 3, Duration::from_secs(90));
    assert_state_matches_the_block_store(&net, &hashes, point);
    assert_app_agrees_with_the_headers(&net, point);
}

#[test]
fn deaid_killed_after_finalize_block_restarts_with_every_committed_tx() {
    crash_mid_chain("after-finalize-block", 27400);
}

#[test]
fn deaid_killed_in_the_middle_of_the_commit_batch_restarts_with_every_committed_tx() {
    crash_mid_chain("commit-mid-batch", 27420);
}

#[test]
fn deaid_killed_after_the_commit_batch_before_the_flush_restarts_with_every_committed_tx() {
    crash_mid_chain("commit-before-flush", 27440);
}

// sled, the store of homes written before fjall became the default, at the same points.
#[test]
fn on_sled_deaid_killed_in_the_middle_of_the_commit_batch_restarts_with_every_committed_tx() {
    crash_mid_chain_on("sled", "commit-mid-batch", 27480);
}

#[test]
fn on_sled_deaid_killed_after_the_commit_batch_before_the_flush_restarts_with_every_committed_tx() {
    crash_mid_chain_on("sled", "commit-before-flush", 27500);
}

#[test]
fn deaid_killed_during_init_chain_starts_the_chain_on_restart() {
    let (mut net, started) = Localnet::try_start_env(
        1,
        27460,
        &["--app-state-patch", staking::QUIET_ECONOMICS],
        &[("DEAI_FAILPOINT", "init-chain")],
    );
    assert!(started.is_err(), "the chain started through its failpoint");
    assert!(log_says(&net, "failpoint init-chain"));
    assert!(wait_gone(deaid_pid(&net).unwrap(), Duration::from_secs(10)));
    net.kill9(0, "cometbft");
    net.restart();
    net.wait_height(0, 3, Duration::from_secs(90));
    // Genesis ran once, whole: demo0 has its genesis balance, and a send goes through.
    let hashes = stream_until_gone(&net, 3);
    net.wait_height(0, net.height(0) + 2, Duration::from_secs(30));
    assert_state_matches_the_block_store(&net, &hashes, "init-chain");
    assert_app_agrees_with_the_headers(&net, "init-chain");
}
