//! The training market end to end: a digits task created from the CLI runs three tempos with
//! three trainer daemons (one dishonest: it reveals random weights it did not train) and two
//! validator daemons, on a real chain.
//!
//! After the run:
//! - the dishonest trainer's incentive is about 0 in every round, an audit catches it and it
//!   is slashed (its stake drops by exactly what the slash events say) and jailed;
//! - every neuron's balance reconciles to the unit with what the epoch results say it was
//!   paid, its fees, and the audit bonds and rewards; the module account holds exactly the
//!   pool, the stakes and the open bonds;
//! - a trainer's commit that is never revealed is ignored (no update, no incentive);
//! - a trainer killed with -9 after its first commit resumes, reveals it, and sends nothing
//!   twice;
//! - the lineage verifies from its genesis, each round starting from the previous aggregate;
//! - the final aggregate is at least as accurate on the digits test split as one honest
//!   trainer's update of the same round.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use deai_e2e::compute::{amount, fees_paid, typed_events};
use deai_e2e::training::*;
use deai_e2e::worker::{digits_spec, tail, worker_bin};
use deai_e2e::*;
use deai_proto::training::v1 as pb;

const TEMPO: u64 = 60;
const EMISSION: u128 = 1_000_000;
const ROUNDS: u64 = 3;
const STAKE: u128 = 2_000_000;

/// Downloads `uri` into `dir/name` with curl; returns the path.
fn download(uri: &str, dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    run_ok(
        Command::new("curl")
            .args(["-sSf", "-o"])
            .arg(&path)
            .arg(uri),
    );
    path
}

/// Test-split accuracy of a weights file for the digits model, by `deai-worker evaluate`.
fn accuracy(dir: &Path, weights: &Path) -> f64 {
    use sha2::Digest;
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(digits_spec()).unwrap()).unwrap();
    let obj = spec.as_object_mut().unwrap();
    obj.insert("kind".into(), "evaluate".into());
    obj.remove("training");
    obj.insert(
        "weights".into(),
        serde_json::json!({"sha256": hex::encode(sha2::Sha256::digest(std::fs::read(weights).unwrap()))}),
    );
    obj.insert("subset".into(), "test".into());
    let spec_path = dir.join(format!(
        "eval-{}.json",
        weights.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();
    let out = run_ok(
        Command::new(worker_bin())
            .args(["--quiet", "--output", "json", "evaluate", "--spec"])
            .arg(&spec_path)
            .arg("--weights")
            .arg(weights),
    );
    let start = out.find('{').unwrap_or_else(|| panic!("no JSON: {out}"));
    let v: serde_json::Value = serde_json::from_str(&out[start..]).unwrap();
    v["accuracy"]
        .as_f64()
        .unwrap_or_else(|| panic!("no accuracy: {v}"))
}

#[test]
fn training_market_pays_honest_work_and_slashes_a_fake_update() {
    let net = Localnet::start(1, 29500);
    let dir = net.dir.path().to_path_buf();
    let spec_path = digits_spec();
    let spec_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&spec_path).unwrap()).unwrap();
    let dataset_sha = spec_json["dataset"]["sha256"].as_str().unwrap().to_string();
    let dataset_path = spec_json["dataset"]["path"].as_str().unwrap().to_string();
    let pool = EMISSION * u128::from(ROUNDS);

    // The task, from the CLI.
    let created = net.cli_tx(
        "training",
        "demo1",
        &[
            "create-task",
            "--spec",
            spec_path.to_str().unwrap(),
            "--dataset-sha256",
            &dataset_sha,
            "--dataset-uri",
            &format!("file://{dataset_path}"),
            "--tempo",
            &TEMPO.to_string(),
            "--reveal-window",
            "8",
            "--aggregate-window",
            "12",
            "--max-neurons",
            "8",
            "--shard-count",
            "3",
            "--pool",
            &format!("{pool}udeai"),
            "--emission-per-tempo",
            &format!("{EMISSION}udeai"),
            "--min-trainer-stake",
            "1000000udeai",
            "--min-validator-stake",
            "1000000udeai",
        ],
    );
    let task_id = typed_events::<pb::EventTaskCreated>(&created["events"])[0].task_id;

    // Neurons: demo2..demo4 train (demo4 lies), demo5 commits by hand and never reveals,
    // demo6 and demo7 validate.
    let names = ["demo2", "demo3", "demo4", "demo5", "demo6", "demo7"];
    for (i, key) in names.iter().enumerate() {
        let role = if i < 4 { "trainer" } else { "validator" };
        net.cli_tx(
            "training",
            key,
            &[
                "register",
                "--task",
                &task_id.to_string(),
                "--role",
                role,
                "--stake",
                &format!("{STAKE}udeai"),
            ],
        );
    }
    let addr: Vec<String> = (1..=6)
        .map(|i| net.demo_key(i).address().to_bech32())
        .collect();
    let start_balance: Vec<u128> = (1..=6)
        .map(|i| balance(&net, 0, &net.demo_key(i).address()))
        .collect();
    let start_fees: Vec<u128> = (1..=6)
        .map(|i| fees_paid(&net, &net.demo_key(i).address()))
        .collect();
    let uid_of = |owner: &str| neuron(&net, task_id, owner).uid;
    let liar_uid = uid_of(&addr[2]);
    let silent_uid = uid_of(&addr[3]);

    // The never-revealed commit, in round 0's commit phase.
    let t0 = task(&net, task_id);
    assert_eq!(t0.round, 0);
    net.cli_tx(
        "training",
        "demo5",
        &[
            "commit-update",
            "--task",
            &task_id.to_string(),
            "--round",
            "0",
            "--update-hash",
            &"ab".repeat(32),
            "--salt",
            &"cd".repeat(16),
        ],
    );

    let eval = Path::new(&dataset_path);
    let mut daemons = vec![
        trainer(&dir, &net, "demo2", task_id, 29591, &[]),
        trainer(&dir, &net, "demo3", task_id, 29592, &[]),
        trainer(
            &dir,
            &net,
            "demo4",
            task_id,
            29593,
            &["--dishonest-random-weights"],
        ),
        validator(&dir, &net, "demo6", task_id, 29595, eval, &[]),
        validator(&dir, &net, "demo7", task_id, 29596, eval, &[]),
    ];
    // A trainer killed with -9 right after its first commit resumes on its state dir: it
    // reveals what it committed (the salt was saved before the commit was sent) and sends
    // nothing twice (every message of it succeeds: see the fee check below).
    daemons[0].wait_log("update committed round=0", Duration::from_secs(180));
    daemons[0].kill9();
    daemons[0] = trainer(&dir, &net, "demo2", task_id, 29591, &[]);
    let logs: Vec<std::path::PathBuf> = daemons.iter().map(|d| d.log.clone()).collect();
    let context = || {
        logs.iter()
            .map(|l| {
                format!(
                    "--- {}\n{}",
                    l.display(),
                    tail(&std::fs::read_to_string(l).unwrap_or_default())
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };

    // Three tempos, their aggregates, and a settled audit of the liar.
    let timeout = Duration::from_secs(600);
    let start = std::time::Instant::now();
    loop {
        let l = lineage(&net, task_id);
        let settled = audits(&net, task_id)
            .iter()
            .any(|a| a.accused_uid == liar_uid && a.state == pb::AuditState::Upheld as i32);
        let pending = audits(&net, task_id)
            .iter()
            .any(|a| a.state == pb::AuditState::Pending as i32);
        if l.rounds.len() as u64 >= ROUNDS && settled && !pending {
            break;
        }
        assert!(
            start.elapsed() < timeout,
            "{} lineage links, liar caught: {settled}, audits pending: {pending}\n{}",
            l.rounds.len(),
            context()
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    let (_, updates0) = round(&net, task_id, 0);
    let restarted = uid_of(&addr[0]);
    assert!(
        updates0.iter().any(|u| u.uid == restarted && u.revealed),
        "the restarted trainer revealed its round-0 commit\n{}",
        context()
    );
    let failed: Vec<_> = deai_e2e::compute::txs_paid_by(&net, &net.demo_key(1).address())
        .into_iter()
        .filter(|t| t.code != 0)
        .collect();
    assert!(
        failed.is_empty(),
        "the restarted trainer sent nothing twice: {failed:?}"
    );
    // The artifacts the final check needs, while their servers run: the last aggregate the
    // daemons saw through and one honest update of its round.
    let (last, _) = round(&net, task_id, ROUNDS - 1);
    assert_ne!(
        last.aggregate_hash, last.base_hash,
        "round {} was aggregated",
        last.round
    );
    let (_, updates) = round(&net, task_id, last.round);
    let honest_uid = uid_of(&addr[0]);
    let honest = updates
        .iter()
        .find(|u| u.uid == honest_uid && u.revealed)
        .expect("an honest update");
    let aggregate = download(&last.aggregate_uri, &dir, "aggregate.safetensors");
    let single = download(&honest.uri, &dir, "honest.safetensors");
    for d in daemons.iter_mut() {
        assert!(
            d.stop().success(),
            "a daemon stops cleanly on SIGTERM\n{}",
            context()
        );
    }
    let t = wait_task(
        &net,
        task_id,
        Duration::from_secs(120),
        |t| t.state == pb::TaskState::Finished as i32,
        context,
    );

    // Incentives: the liar's and the silent trainer's are about 0 in every round; the honest
    // trainers earn.
    let mut paid = vec![0u128; 6];
    let mut paid_total = 0u128;
    for r in 0..=t.round {
        let e = incentives(&net, task_id, r);
        for n in &e.neurons {
            let got = u128::from(n.emission);
            paid_total += got;
            if let Some(i) = addr.iter().position(|a| *a == n.owner) {
                paid[i] += got;
            }
            if n.uid == liar_uid || n.uid == silent_uid {
                assert!(
                    n.incentive <= 655,
                    "round {r}: uid {} incentive {}",
                    n.uid,
                    n.incentive
                );
            }
        }
        let (rd, updates) = round(&net, task_id, r);
        assert!(
            updates.iter().all(|u| u.uid != silent_uid || !u.revealed),
            "the silent trainer's commit stays unrevealed"
        );
        assert!(rd
            .aggregate_inputs
            .iter()
            .all(|i| i.uid != silent_uid && i.uid != liar_uid));
        if r == 0 {
            assert!(
                updates
                    .iter()
                    .any(|u| u.uid == silent_uid && !u.commit_hash.is_empty()),
                "round 0 holds the silent trainer's commit"
            );
        }
    }
    assert!(
        paid[0] > 0 && paid[1] > 0,
        "honest trainers are paid: {paid:?}"
    );
    assert!(paid[4] > 0 || paid[5] > 0, "validators are paid: {paid:?}");

    // The liar: caught, slashed by exactly the slash events, jailed.
    let all_audits = audits(&net, task_id);
    let upheld: Vec<&pb::Audit> = all_audits
        .iter()
        .filter(|a| a.state == pb::AuditState::Upheld as i32)
        .collect();
    assert!(
        upheld.iter().all(|a| a.accused_uid == liar_uid),
        "only the liar is upheld against"
    );
    let liar = neuron(&net, task_id, &addr[2]);
    assert!(liar.jailed, "the liar is jailed");
    let slashes = slash_events(&net, task_id);
    let slashed: u128 = slashes.iter().map(|s| amount(&s.slashed)).sum();
    assert!(slashed > 0, "the liar is slashed");
    assert_eq!(
        stake_of(&liar),
        STAKE - slashed,
        "its stake dropped by what was slashed"
    );
    let to_pool: u128 = slashes.iter().map(|s| amount(&s.to_pool)).sum();

    // Balances, to the unit.
    for i in 0..6 {
        let a = net.demo_key(i + 1).address();
        let fees = fees_paid(&net, &a) - start_fees[i];
        let mut expected = start_balance[i] + paid[i] - fees;
        for au in &all_audits {
            let bond = amount(&au.bond);
            if au.auditor == addr[i] && au.state == pb::AuditState::Rejected as i32 {
                expected -= bond;
            }
            if au.accused == addr[i] && au.state == pb::AuditState::Rejected as i32 {
                expected += bond;
            }
        }
        for s in &slashes {
            let auditor = all_audits
                .iter()
                .find(|a| a.id == s.audit_id)
                .map(|a| a.auditor.clone());
            if auditor.as_deref() == Some(addr[i].as_str()) {
                expected += amount(&s.to_auditor);
            }
        }
        assert_eq!(
            balance(&net, 0, &a),
            expected,
            "{} reconciles\naudits {all_audits:#?}\nslashes {slashes:#?}\npaid {paid:?}",
            names[i]
        );
    }
    // The pool: what was escrowed, less what was paid, plus the slashes' pool share, less
    // the rounding dust the last tempo refunded to the creator.
    let refunded = finished_refund(&net, task_id);
    assert_eq!(amount(&t.pool), 0, "a finished task's pool is empty");
    assert_eq!(pool + to_pool, paid_total + refunded, "the pool reconciles");
    assert!(
        refunded <= 8 * (u128::from(t.round) + 1),
        "rounding dust {refunded}"
    );
    let stakes: u128 = neurons(&net, task_id).iter().map(stake_of).sum();
    let module = balance(&net, 0, &deai_auth::module_address("training"));
    assert_eq!(
        module,
        amount(&t.pool) + stakes,
        "the module account holds the pool and the stakes"
    );

    // The lineage verifies from its genesis.
    assert!(verify_lineage(&net, task_id) as u64 >= ROUNDS);

    // The final aggregate is no worse than one honest update of its round.
    let (agg_acc, one_acc) = (accuracy(&dir, &aggregate), accuracy(&dir, &single));
    assert!(
        agg_acc >= one_acc,
        "aggregate {agg_acc} vs one honest update {one_acc}"
    );
    assert!(one_acc > 0.5, "an honest update learned: {one_acc}");
}

/// What the task's EventTaskFinished refunded to its creator (an end_block event: read
/// from the block results of the heights since the task's last round started).
fn finished_refund(net: &Localnet, task_id: u64) -> u128 {
    use deai_rpc::HttpClient;
    use tendermint_rpc::Client;
    let http = HttpClient::new(net.rpc(0).as_str()).unwrap();
    let t = task(net, task_id);
    let to = net.height(0);
    for h in t.round_start..=to {
        let r = rt()
            .block_on(http.block_results(tendermint::block::Height::try_from(h).unwrap()))
            .expect("block_results");
        let events = json_events(r.finalize_block_events.iter());
        if let Some(e) = typed_events::<pb::EventTaskFinished>(&events)
            .into_iter()
            .find(|e| e.task_id == task_id)
        {
            return amount(&e.refunded);
        }
    }
    panic!(
        "no EventTaskFinished for task {task_id} in blocks {}..={to}",
        t.round_start
    )
}

/// ABCI events in the Cosmos JSON shape `typed_events` reads.
fn json_events<'a>(events: impl Iterator<Item = &'a tendermint::abci::Event>) -> serde_json::Value {
    events
        .map(|e| {
            let attrs: Vec<serde_json::Value> = e
                .attributes
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "key": a.key_str().unwrap_or_default(),
                        "value": a.value_str().unwrap_or_default(),
                    })
                })
                .collect();
            serde_json::json!({"type": e.kind, "attributes": attrs})
        })
        .collect()
}

/// Every EventNeuronSlashed of the task, from the node's tx index.
fn slash_events(net: &Localnet, task_id: u64) -> Vec<pb::EventNeuronSlashed> {
    use deai_rpc::HttpClient;
    use tendermint_rpc::{Client, Order};
    let http = HttpClient::new(net.rpc(0).as_str()).unwrap();
    let q: tendermint_rpc::query::Query = "deai.training.v1.EventNeuronSlashed.audit_id EXISTS"
        .parse()
        .unwrap();
    let r = rt()
        .block_on(http.tx_search(q, false, 1, 100, Order::Ascending))
        .expect("tx_search");
    let mut out = Vec::new();
    for tx in &r.txs {
        let events = json_events(tx.tx_result.events.iter());
        out.extend(
            typed_events::<pb::EventNeuronSlashed>(&events)
                .into_iter()
                .filter(|e| e.task_id == task_id),
        );
    }
    out
}
