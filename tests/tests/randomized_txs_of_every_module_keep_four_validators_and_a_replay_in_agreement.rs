//! The randomized determinism run (issue 17): more than 10,000 random txs of every module —
//! valid and invalid messages, with random gas, fees, memos, sequences and signers — go to a
//! 4-validator localnet. Every node reports the same app hash, last results hash and block
//! hash at every height, and the same FinalizeBlock answers (tx results, events, app hash).
//! An independent in-process app replaying the same blocks from the same genesis reaches the
//! same app hash and tx results at every height.
//!
//! The seed is printed first; `DEAI_RANDOM_SEED=<seed>` runs the same random choices again.

use std::time::Instant;

use deai_e2e::random::gen::{AUTHORITY_ONLY, MODULES};
use deai_e2e::random::submit::{funded_accounts, run_rounds, Acct};
use deai_e2e::random::{check, replay};
use deai_e2e::*;

const NODES: usize = 4;
const ACCOUNTS: usize = 40;
const ROUNDS: u64 = 10;
/// 40 accounts × 26 txs × 10 rounds = 10,400 txs.
const TXS_PER_ACCOUNT_PER_ROUND: usize = 26;

#[test]
fn randomized_txs_of_every_module_keep_four_validators_and_a_replay_in_agreement() {
    let seed = random::seed();
    println!("randomized run: DEAI_RANDOM_SEED={seed}");
    let started = Instant::now();
    // Gov proposals end within the run (20 s of voting), so they pass, fail or burn.
    let gov = staking::fast_gov_patch(20, 1_000_000);
    let net = Localnet::start_with(NODES, 27200, &["--app-state-patch", &gov]);

    let accts = funded_accounts(&net, NODES, ACCOUNTS, seed, 10_000_000_000);
    let addrs: Vec<String> = accts.iter().map(|a| a.addr.clone()).collect();
    let world = random::world(&net, &addrs);
    if world.wasm.is_none() {
        println!("wasm-contracts/artifacts/reflect.wasm is not built: no valid wasm txs");
    }
    let mut by_node: Vec<Vec<Acct>> = (0..NODES).map(|_| Vec::new()).collect();
    for a in accts {
        by_node[a.node].push(a);
    }
    let submit_started = Instant::now();
    let sent = run_rounds(
        &net,
        &world,
        &mut by_node,
        ROUNDS,
        TXS_PER_ACCOUNT_PER_ROUND,
        seed,
    );
    let submit_time = submit_started.elapsed();

    // Every node has the block after the last one with txs (whose header holds its app hash).
    let upto = net.height(0) + 1;
    for i in 0..NODES {
        net.wait_height(i, upto, std::time::Duration::from_secs(60));
    }
    check::assert_nodes_agree(&net, NODES, upto, seed);
    let chain = check::fetch(&net, NODES, upto);
    check::assert_results_agree(&net, NODES, &chain, seed);
    let committed = check::tally(&chain, &sent);

    println!(
        "seed {seed}: {upto} blocks; submitted {} txs in {submit_time:.1?}",
        sent.total()
    );
    println!("module: submitted / refused by CheckTx / committed ok / committed failed");
    for m in MODULES.iter().chain(&["(none)"]) {
        let (ok, failed) = committed.by_module.get(m).copied().unwrap_or_default();
        println!(
            "  {m:>12}: {:>5} / {:>5} / {ok:>5} / {failed:>5}",
            sent.by_module.get(m).copied().unwrap_or_default(),
            sent.rejected_by_module.get(m).copied().unwrap_or_default(),
        );
    }
    println!("tx-level tweak: refused by CheckTx / submitted");
    for (t, (refused, total)) in &sent.tweaks {
        println!("  {t:>24}: {refused:>5} / {total:>5}");
    }
    println!("CheckTx refusals by codespace/code:");
    for (r, n) in &sent.reasons {
        println!("  {r}: {n}");
    }
    println!("committed txs by module, message and codespace/code:");
    for (k, n) in &committed.outcomes {
        println!("  {k}: {n}");
    }

    let (ok, failed) = committed.total();
    assert!(
        sent.total() >= 10_000,
        "only {} txs submitted",
        sent.total()
    );
    assert_eq!(
        ok + failed,
        sent.accepted.len() as u64,
        "seed {seed}: some txs CheckTx accepted never reached a block"
    );
    assert!(ok >= 2_000, "seed {seed}: only {ok} txs succeeded");
    assert!(
        failed >= 1_000,
        "seed {seed}: only {failed} txs failed in a block"
    );
    for m in MODULES {
        let (ok, failed) = committed.by_module.get(m).copied().unwrap_or_default();
        assert!(ok + failed > 0, "seed {seed}: no tx of {m} reached a block");
        // Modules with messages anyone may send have successes (slashing's only message is
        // unjail, and the run has no jailed validator; wasm's need the reflect contract
        // built by wasm-contracts/build.sh).
        let user_module = !AUTHORITY_ONLY.contains(&m)
            && m != "slashing"
            && (m != "wasm" || world.wasm.is_some());
        assert!(
            !user_module || (ok > 0 && failed > 0),
            "seed {seed}: {m} had {ok} successes and {failed} failures in blocks"
        );
    }
    // Each tx-level defect is refused at CheckTx, without consuming a sequence.
    for t in [
        "undecodable-bytes",
        "wrong-sequence",
        "fee-below-min-gas-price",
        "memo-too-long",
    ] {
        let (refused, total) = sent.tweaks.get(t).copied().unwrap_or_default();
        assert!(
            total > 0 && refused == total,
            "seed {seed}: {t}: {refused} of {total} refused"
        );
    }

    // The replay: a fresh app, the same genesis and blocks, the same hashes and results.
    let genesis: serde_json::Value = serde_json::from_slice(
        &std::fs::read(net.home(0).join("config/genesis.json")).expect("genesis.json"),
    )
    .expect("genesis JSON");
    let (heights, replay_time) = replay::replay(&genesis, &chain, seed);
    println!(
        "seed {seed}: replayed {heights} heights in {replay_time:.1?}; whole run {:.1?}",
        started.elapsed()
    );
}
