//! Consensus attestation of proposed tasks on a real 4-validator localnet with vote extensions
//! on from height 1 and one `deai-worker attest serve` sidecar per validator
//! (`localnet/up.sh --with-attest`), driven by the `deaid tx task` / `query task` CLI:
//! - **a good task** (the digits spec) is proposed by demo1 and voted yes by val0..val3; all
//!   4 sidecars attest one hash (4 equal records), the vote passes, it becomes a training
//!   task (created by demo1 with the pool) and demo8 registers in it as a trainer; demo1
//!   gets its deposit back and the pool is in training's escrow (balances to the unit, fees
//!   from each tx's `tx` event);
//! - **a broken task** (its spec names a dataset sha256 that the data behind its URI does
//!   not have: no sidecar can run it) is voted yes too but its attestation never settles:
//!   it is rejected at its voting end and demo2 gets its pool and deposit back to the unit;
//! - **a lying sidecar**: val3's sidecar restarted with `--dishonest`; a task still settles
//!   on the honest 3/4 hash, val3's record is marked penalized and its tokens drop by
//!   exactly floor(power × 10^6 × disagreement_slash_fraction);
//! - **a dead sidecar**: val3's sidecar killed with -9; blocks keep being committed (the
//!   intervals are printed, never asserted on) and a task settles on the other three.
//!
//! The chain records a validator's attestation only while its job is pending, and settles
//! on the first 3 of 4 matching hashes; where the test needs all four records,
//! [`attest_barrier`] holds consensus (SIGSTOP of two CometBFT nodes) until every sidecar has
//! its result.

use std::time::{Duration, Instant};

use deai_e2e::attest::*;
use deai_e2e::*;

const BASE: u16 = 32100;
const VOTING_PERIOD: u64 = 60;
const WINDOW: u64 = 50;
const MIN_DEPOSIT: u128 = 1_000;
const TRAINER_STAKE: u128 = 2_000_000;

fn hashes(a: &serde_json::Value) -> Vec<(String, String, bool, u128)> {
    a["attestations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r["validator"].as_str().unwrap().to_string(),
                r["result_hash"].as_str().unwrap().to_string(),
                r["penalized"].as_bool().unwrap_or(false),
                num(&r["power"]),
            )
        })
        .collect()
}

#[test]
fn attestation_settles_tasks_despite_a_liar_and_a_dead_sidecar() {
    let t0 = Instant::now();
    let mut net = start_with_attest(
        4,
        BASE,
        &[
            "--app-state-patch",
            &attest_patch(VOTING_PERIOD, WINDOW, MIN_DEPOSIT),
        ],
    );
    eprintln!("localnet up in {:?}", t0.elapsed());
    let task_module = deai_auth::module_address("task");
    let training_module = deai_auth::module_address("training");
    let demo1 = net.address_of("demo1");
    let demo2 = net.address_of("demo2");
    let (b1, b2) = (net.udeai(&demo1), net.udeai(&demo2));
    let (task0, training0) = (
        balance(&net, 0, &task_module),
        balance(&net, 0, &training_module),
    );

    // The broken spec: the digits spec naming a dataset sha256 the file does not have.
    let mut broken: serde_json::Value =
        serde_json::from_slice(&std::fs::read(digits_spec()).unwrap()).unwrap();
    broken["dataset"]["sha256"] = "11".repeat(32).into();
    let broken_spec = net.dir().join("broken-spec.json");
    std::fs::write(&broken_spec, broken.to_string()).unwrap();

    // --- A good task and a broken one, both voted yes by every validator.
    let (good, fee1, h_good) = net.propose_task("demo1", "digits MLP", &digits_spec(), MIN_DEPOSIT);
    let answers = attest_barrier(&net, good, &[0, 1, 2, 3], Duration::from_secs(60));
    assert!(answers.iter().all(|h| h == &answers[0]), "{answers:?}");
    let (bad, fee2, _) = net.propose_task("demo2", "broken digits", &broken_spec, MIN_DEPOSIT);
    assert_eq!(net.udeai(&demo1), b1 - fee1 - POOL - MIN_DEPOSIT);
    assert_eq!(
        balance(&net, 0, &task_module),
        task0 + 2 * (POOL + MIN_DEPOSIT),
        "both pools and deposits escrowed in the task module"
    );
    net.validators_vote(&[0, 1, 2, 3], &[good, bad], "yes");

    let a = net.wait_task_job_settled(good, Duration::from_secs(90));
    let recs = hashes(&a);
    eprintln!(
        "good task {good}: requested at {h_good}, settled at {}: {recs:?}",
        a["job"]["settled_at"]
    );
    assert_eq!(recs.len(), 4, "all four validators attested: {a}");
    let honest = a["job"]["result_hash"].as_str().unwrap().to_string();
    let mut validators: Vec<String> = recs.iter().map(|r| r.0.clone()).collect();
    validators.sort();
    let mut expected: Vec<String> = (0..4).map(|i| net.valcons(i)).collect();
    expected.sort();
    assert_eq!(validators, expected);
    for (v, h, penalized, _) in &recs {
        assert_eq!(h, &honest, "{v} attested another hash");
        assert!(!penalized);
    }
    // It settles on the first commit holding more than 2/3 of the power on one hash: all
    // four, or three when a validator's extension missed that commit under load (its result
    // then arrives late, and is recorded and judged all the same).
    let settled = num(&a["job"]["settled_power"]);
    assert!(settled == 40 || settled == 30, "settled on {settled} of 40");
    assert_eq!(
        net.task(good)["attestation"],
        "ATTESTATION_STATUS_ATTESTED",
        "{}",
        net.task(good)
    );

    // --- A lying sidecar: val3's comes back with --dishonest.
    net.kill9_sidecar(3);
    net.restart_sidecars(&[3]);
    assert_eq!(net.info["nodes"][3]["attest"]["dishonest"], true);
    let tokens3 = net.validator_tokens(3);
    let (lied, _, h_lied) =
        net.propose_task("demo3", "digits, with a liar", &digits_spec(), MIN_DEPOSIT);
    let answers = attest_barrier(&net, lied, &[0, 1, 2, 3], Duration::from_secs(60));
    assert!(
        answers[..3].iter().all(|h| h == &answers[0]) && answers[3] != answers[0],
        "{answers:?}"
    );
    let a = net.wait_task_job_settled(lied, Duration::from_secs(90));
    let recs = hashes(&a);
    eprintln!(
        "liar's task {lied}: requested at {h_lied}, settled at {}: {recs:?}",
        a["job"]["settled_at"]
    );
    assert_eq!(
        a["job"]["result_hash"].as_str().unwrap(),
        honest,
        "the honest hash won"
    );
    assert_eq!(
        num(&a["job"]["settled_power"]),
        30,
        "settled on the honest 3/4"
    );
    let liar = net.valcons(3);
    let liar_rec = recs
        .iter()
        .find(|r| r.0 == liar)
        .unwrap_or_else(|| panic!("val3's attestation recorded: {a}"));
    assert_ne!(liar_rec.1, honest, "val3's sidecar lied");
    assert!(liar_rec.2, "val3's record says penalized: {a}");
    for r in recs.iter().filter(|r| r.0 != liar) {
        assert_eq!(r.1, honest);
        assert!(!r.2, "an honest validator was penalized: {a}");
    }
    // floor(power × 10^6 × 0.01), power the one it attested with.
    let slash = liar_rec.3 * 1_000_000 / 100;
    assert_eq!(slash, 100_000);
    assert_eq!(
        net.validator_tokens(3),
        tokens3 - slash,
        "val3 slashed exactly"
    );
    for i in 0..3 {
        assert_eq!(net.validator_tokens(i), 10_000_000, "val{i} untouched");
    }

    // --- A dead sidecar: val3's killed; blocks go on, and a task settles on the others.
    net.kill9_sidecar(3);
    let h_kill = net.height(0);
    let (dead, _, h_dead) = net.propose_task(
        "demo4",
        "digits, one sidecar dead",
        &digits_spec(),
        MIN_DEPOSIT,
    );
    let a = net.wait_task_job_settled(dead, Duration::from_secs(90));
    let recs = hashes(&a);
    eprintln!(
        "dead sidecar's task {dead}: requested at {h_dead}, settled at {}: {recs:?}",
        a["job"]["settled_at"]
    );
    assert_eq!(recs.len(), 3, "three attestations: {a}");
    assert!(
        recs.iter().all(|r| r.0 != liar && r.1 == honest && !r.2),
        "{a}"
    );
    assert_eq!(num(&a["job"]["settled_power"]), 30);
    net.wait_height(0, h_kill + 20, Duration::from_secs(60));
    let h_now = net.height(0);
    assert!(
        h_now >= h_kill + 20,
        "blocks continue without val3's sidecar"
    );
    print_block_intervals(&net, h_kill, h_now, "with val3's sidecar dead");

    // --- The good task launches; a trainer registers in it.
    let t = net.wait_task_final(good, Duration::from_secs(120));
    assert_eq!(t["state"], "TASK_STATE_LAUNCHED", "{t}");
    let training_id = num(&t["training_task_id"]);
    assert!(training_id > 0, "{t}");
    let tt = net.q(&["training", "task", &training_id.to_string()])["task"].clone();
    assert_eq!(tt["creator"], demo1.as_str(), "{tt}");
    assert_eq!(num(&tt["pool"]["amount"]), POOL, "{tt}");
    // demo1's deposit came back; its pool went back to it and funds the training task it
    // created (its creator): only the fee and the pool left its balance.
    assert_eq!(
        net.udeai(&demo1),
        b1 - fee1 - POOL,
        "the proposer's deposit returned"
    );
    assert_eq!(
        balance(&net, 0, &training_module),
        training0 + POOL,
        "the pool moved into training's escrow"
    );
    let demo8 = net.address_of("demo8");
    let b8 = net.udeai(&demo8);
    let r = net.cli_tx(
        "training",
        "demo8",
        &[
            "register",
            "--task",
            &training_id.to_string(),
            "--role",
            "trainer",
            "--stake",
            &format!("{TRAINER_STAKE}udeai"),
        ],
    );
    assert_eq!(r["code"], 0, "{r}");
    assert_eq!(net.udeai(&demo8), b8 - TRAINER_STAKE - fee_of(&r));
    assert_eq!(
        balance(&net, 0, &training_module),
        training0 + POOL + TRAINER_STAKE
    );
    let neurons =
        net.q(&["training", "task", &training_id.to_string()])["task"]["neuron_count"].clone();
    assert_eq!(num(&neurons), 1, "demo8 is the training task's neuron");

    // --- The broken task never settled: rejected at its voting end, everything refunded.
    let t = net.wait_task_final(bad, Duration::from_secs(120));
    assert_eq!(t["state"], "TASK_STATE_REJECTED", "{t}");
    assert!(
        t["reason"].as_str().unwrap().contains("ATTESTATION"),
        "rejected for its attestation, not its vote: {t}"
    );
    let a = net.task_attestations(bad);
    assert!(
        hashes(&a).is_empty(),
        "no sidecar attested the broken task: {a}"
    );
    assert_ne!(a["job"]["state"], "JOB_STATE_SETTLED", "{a}");
    assert_eq!(
        net.udeai(&demo2),
        b2 - fee2,
        "pool and deposit refunded to the unit"
    );
    eprintln!("done in {:?}", t0.elapsed());
}
