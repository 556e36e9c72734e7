//! The trainer and the validator against an in-memory chain ([`fake`]), with the real
//! deterministic engine on the digits dataset and real artifact servers on loopback:
//! commit-reveal across restarts without double submissions, a bad update scored 0 and
//! audited, and a referee's replay telling an honest update from a fabricated one.

mod fake;
mod review;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use deai_proto::training::v1 as pb;
use deai_worker_artifacts::{bind_loopback, router, serve, OpenAccess, Store};
use deai_worker_jobs::Digest;
use fake::{addr, FakeChain, Ledger};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

use crate::engine::TorchEngine;
use crate::files::Files;
use crate::state::{self, TrainerState, ValidatorState, TRAINER_FILE, VALIDATOR_FILE};
use crate::trainer::{check_trainer, Trainer, TrainerConfig};
use crate::validator::{check_validator, Validator, ValidatorConfig};

const TASK: u64 = 1;
const START: u64 = 100;
// tempo 20, W 3, A 4: a tx sent at height h lands at h + 1, so commits are sent at
// h <= 109, update reveals at 110..=112, weight commits at 113..=115, weight reveals at
// 116..=118.
const COMMIT_AT: u64 = 105;
const REVEAL_AT: u64 = 111;
const WEIGHTS_AT: u64 = 113;
const WEIGHTS_REVEAL_AT: u64 = 116;

fn digits() -> PathBuf {
    let p = deai_worker_engine::data::digits_path();
    assert!(
        p.is_file(),
        "digits dataset not found at {}: run worker/setup-libtorch.sh (or set DEAI_DIGITS_CSV)",
        p.display()
    );
    p
}

fn base_spec() -> Vec<u8> {
    serde_json::json!({
        "version": 1, "kind": "train",
        "model": {"type": "logistic", "inputs": 64, "classes": 10},
        "dataset": {"sha256": Digest::of_file(&digits()).unwrap().to_hex(), "path": digits(),
                    "format": "csv", "label_column": -1, "feature_scale": 0.0625},
        "split": {"test_fraction": 0.2, "seed": 1},
        "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 1,
                     "batch_size": 32, "checkpoint_every": 8, "seed": 7}
    })
    .to_string()
    .into_bytes()
}

fn neuron(uid: u32, who: u8, role: pb::Role, shard: u32) -> pb::Neuron {
    pb::Neuron {
        task_id: TASK,
        uid,
        owner: addr(who),
        role: role as i32,
        shard,
        ..Default::default()
    }
}

/// Task 1, round 0 started at 100 with its base ready; trainers 1 (uid 0, shard 0) and 2
/// (uid 1, shard 1), validators 3 (uid 2), 4 (uid 3) and 5 (uid 4).
fn ledger() -> Ledger {
    let spec = base_spec();
    Ledger {
        height: START,
        task: pb::Task {
            id: TASK,
            spec: Some(pb::TaskSpec {
                base_spec_sha256: Digest::of(&spec).0.to_vec(),
                base_spec: spec,
                dataset_sha256: Digest::of_file(&digits()).unwrap().0.to_vec(),
                tempo: 20,
                reveal_window: 3,
                aggregate_window: 4,
                max_neurons: 8,
                shard_count: 2,
                ..Default::default()
            }),
            state: pb::TaskState::Active as i32,
            round: 0,
            round_start: START,
            ..Default::default()
        },
        neurons: vec![
            neuron(0, 1, pb::Role::Trainer, 0),
            neuron(1, 2, pb::Role::Trainer, 1),
            neuron(2, 3, pb::Role::Validator, 0),
            neuron(3, 4, pb::Role::Validator, 0),
            neuron(4, 5, pb::Role::Validator, 0),
        ],
        rounds: [(
            0,
            pb::Round {
                task_id: TASK,
                round: 0,
                start: START,
                base_ready: true,
                ..Default::default()
            },
        )]
        .into(),
        ..Default::default()
    }
}

/// A store served over HTTP on loopback, and its URL.
async fn served_store(dir: &Path) -> (Arc<Store>, String) {
    let store = Arc::new(Store::open(dir, 1 << 30).unwrap());
    let listener = bind_loopback(0).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router(store.clone(), Arc::new(OpenAccess))));
    (store, url)
}

fn files(store: Arc<Store>, url: &str) -> Arc<Files> {
    let roots = [digits().parent().unwrap().to_path_buf()];
    Arc::new(Files::new(store, url, &roots))
}

fn trainer(chain: FakeChain, dir: &Path, files: Arc<Files>, dishonest: bool) -> Trainer<FakeChain> {
    let (file, st): (_, TrainerState) = state::open(dir, TRAINER_FILE, "trainer state").unwrap();
    let cfg = TrainerConfig {
        task_id: TASK,
        dishonest_random_weights: dishonest,
    };
    Trainer::new(
        chain,
        cfg,
        Arc::new(TorchEngine::default()),
        files,
        file,
        st,
    )
    .unwrap()
}

fn validator(
    chain: FakeChain,
    dir: &Path,
    files: Arc<Files>,
    audit_rate: f64,
) -> Validator<FakeChain> {
    let (file, st): (_, ValidatorState) =
        state::open(dir, VALIDATOR_FILE, "validator state").unwrap();
    let cfg = ValidatorConfig {
        task_id: TASK,
        eval_data: digits(),
        audit_rate,
    };
    Validator::new(
        chain,
        cfg,
        Arc::new(TorchEngine::default()),
        files,
        file,
        st,
    )
    .unwrap()
}

/// Validator `who` at `audit_rate`, its state in `tmp/v{who}` and its own store served from
/// `tmp/v{who}-store` (a restart: the same call again); and that store's URL.
async fn served_validator(
    chain: &FakeChain,
    tmp: &Path,
    who: u8,
    audit_rate: f64,
) -> (Validator<FakeChain>, String) {
    let (store, url) = served_store(&tmp.join(format!("v{who}-store"))).await;
    let v = validator(
        chain.as_(&addr(who)),
        &tmp.join(format!("v{who}")),
        files(store, &url),
        audit_rate,
    );
    (v, url)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trainer_commits_and_reveals_across_restarts_without_submitting_twice() {
    let tmp = TempDir::new().unwrap();
    let (store, url) = served_store(&tmp.path().join("store")).await;
    let chain = FakeChain::new(ledger(), &addr(1));
    let dir = tmp.path().join("trainer");

    // Only a trainer neuron of the task may start.
    let e = check_trainer(&chain.as_(&addr(3)), TASK, &addr(3))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a trainer"), "{e}");
    let e = check_trainer(&chain.as_(&addr(9)), TASK, &addr(9))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("deaid tx training register"), "{e}");
    assert_eq!(check_trainer(&chain, TASK, &addr(1)).await.unwrap().uid, 0);

    // Before the base is ready nothing happens.
    chain.with(|l| l.rounds.get_mut(&0).unwrap().base_ready = false);
    chain.set_height(COMMIT_AT);
    let mut t = trainer(chain.clone(), &dir, files(store.clone(), &url), false);
    t.tick().await.unwrap();
    assert!(t.state().rounds.is_empty());
    chain.with(|l| l.rounds.get_mut(&0).unwrap().base_ready = true);

    // Commit phase: trains, publishes, records the salt, commits once.
    t.tick().await.unwrap();
    let rec = t.state().rounds[&0].clone();
    assert!(rec.committed && !rec.revealed);
    assert_eq!(rec.salt.len(), 64);
    let weights: Digest = rec.update_hash.parse().unwrap();
    assert!(store.contains(&weights), "the weights file is served");
    assert_eq!(rec.uri, format!("{url}/blobs/{weights}"));
    assert!(rec.checkpoint_hashes.len() >= 2);
    t.tick().await.unwrap();
    // The state file has it: a restarted trainer does not commit again.
    drop(t);
    let mut t = trainer(chain.clone(), &dir, files(store.clone(), &url), false);
    assert_eq!(t.state().rounds[&0], rec);
    t.tick().await.unwrap();
    assert_eq!(chain.committed::<pb::MsgCommitUpdate>().len(), 1);

    // The state is bound to its task.
    let (file, st): (_, TrainerState) = state::open(&dir, TRAINER_FILE, "trainer state").unwrap();
    assert_eq!(st.task_id, TASK);
    let other = TrainerConfig {
        task_id: TASK + 1,
        dishonest_random_weights: false,
    };
    let e = Trainer::new(
        chain.clone(),
        other,
        Arc::new(TorchEngine::default()),
        files(store.clone(), &url),
        file,
        st,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("is the state of task 1"), "{e}");

    // Reveal phase: the reveal is committed but its answer lost; the restarted trainer
    // finds it on chain and sends nothing.
    chain.set_height(REVEAL_AT);
    chain.with(|l| l.lose_commits = 1);
    assert!(t.tick().await.is_err());
    drop(t);
    let mut t = trainer(chain.clone(), &dir, files(store.clone(), &url), false);
    t.tick().await.unwrap();
    assert!(t.state().rounds[&0].revealed);
    t.tick().await.unwrap();
    let sent = chain.with(|l| l.sent.len());
    assert_eq!(sent, 2, "one commit and one reveal, nothing sent twice");
    let (_, reveal) = chain.committed::<pb::MsgRevealUpdate>().remove(0);
    assert_eq!(reveal.update_hash, weights.0.to_vec());
    assert_eq!(reveal.checkpoint_hashes.len(), rec.checkpoint_hashes.len());
    let u = chain.with(|l| l.updates[&(0, 0)].clone());
    assert!(u.revealed);
    // The revealed file is what the URI serves.
    let got = deai_worker_provider::remote::Server::new(&url)
        .blob(&weights, 1 << 20)
        .await
        .unwrap();
    assert_eq!(Digest::of(&got), weights);
}

/// Round 0 with trainer 1 honest and trainer 2 dishonest (random weights, fabricated
/// checkpoints), both revealed; their shared served store.
async fn revealed_round(tmp: &TempDir) -> (FakeChain, Arc<Store>, String) {
    let (store, url) = served_store(&tmp.path().join("trainers-store")).await;
    let chain = FakeChain::new(ledger(), &addr(1));
    let mut honest = trainer(
        chain.clone(),
        &tmp.path().join("t1"),
        files(store.clone(), &url),
        false,
    );
    let mut liar = trainer(
        chain.as_(&addr(2)),
        &tmp.path().join("t2"),
        files(store.clone(), &url),
        true,
    );
    chain.set_height(COMMIT_AT);
    honest.tick().await.unwrap();
    liar.tick().await.unwrap();
    chain.set_height(REVEAL_AT);
    honest.tick().await.unwrap();
    liar.tick().await.unwrap();
    assert!(chain.with(|l| l.updates.values().all(|u| u.revealed) && l.updates.len() == 2));
    (chain, store, url)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_validator_scores_a_bad_update_0_and_opens_an_audit() {
    let tmp = TempDir::new().unwrap();
    let (chain, _, url) = revealed_round(&tmp).await;
    let v_chain = chain.as_(&addr(3));
    assert!(check_validator(&chain.as_(&addr(1)), TASK, &addr(1))
        .await
        .is_err());
    check_validator(&v_chain, TASK, &addr(3)).await.unwrap();
    let (mut v, _) = served_validator(&chain, tmp.path(), 3, 0.0).await;

    // Still in the reveal phase: nothing scored yet.
    v.tick().await.unwrap();
    assert!(v.state().weights.is_empty());

    // The weights commit lands but its answer is lost: the next tick finds it on chain.
    chain.set_height(WEIGHTS_AT);
    chain.with(|l| l.lose_commits = 1);
    assert!(v.tick().await.is_err());
    v.tick().await.unwrap();
    let w = v.state().weights[&0].clone();
    assert_eq!(w.uids, vec![0, 1]);
    assert!(w.values[0] > 0, "the honest update scores: {:?}", w.values);
    assert_eq!(w.values[1], 0, "random weights score 0");
    assert!(w.committed);
    let audits = chain.with(|l| l.audits.clone());
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].accused_uid, 1);
    assert_eq!(audits[0].auditor, addr(3));
    assert_eq!(audits[0].target, pb::AuditTarget::Update as i32);

    // Ticks and a restart send nothing twice; the reveal matches the commit.
    v.tick().await.unwrap();
    drop(v);
    let (mut v, _) = served_validator(&chain, tmp.path(), 3, 0.0).await;
    v.tick().await.unwrap();
    chain.set_height(WEIGHTS_REVEAL_AT);
    v.tick().await.unwrap();
    v.tick().await.unwrap();
    assert_eq!(chain.committed::<pb::MsgCommitWeights>().len(), 1);
    assert_eq!(chain.committed::<pb::MsgRevealWeights>().len(), 1);
    assert_eq!(chain.committed::<pb::MsgOpenAudit>().len(), 1);
    let set = chain.with(|l| l.weights[&(0, 2)].clone());
    assert!(set.revealed);
    assert_eq!(
        set.values,
        w.values.iter().map(|v| u32::from(*v)).collect::<Vec<_>>()
    );

    // An update whose URI names another blob, or whose hash is malformed, scores 0.
    let task = chain.with(|l| l.task.clone());
    let round = chain.with(|l| l.rounds[&0].clone());
    let spec = Validator::<FakeChain>::model_spec(&task, &round).unwrap();
    let honest = chain.with(|l| l.updates[&(0, 0)].clone());
    let other = Digest::of(b"something else");
    let forged = pb::Update {
        uri: format!("{url}/blobs/{other}"),
        ..honest.clone()
    };
    assert_eq!(v.score_update(&spec, &forged).await.score(), 0);
    let short = pb::Update {
        update_hash: vec![1, 2, 3],
        ..honest.clone()
    };
    assert_eq!(v.score_update(&spec, &short).await.score(), 0);
    assert!(v.score_update(&spec, &honest).await.score() > 0);

    // Another validator scores the same update 0 but leaves it to the pending audit, and
    // to the settled one after it.
    chain.set_height(WEIGHTS_AT);
    let (mut v4, _) = served_validator(&chain, tmp.path(), 4, 0.0).await;
    v4.tick().await.unwrap();
    assert_eq!(v4.state().weights[&0].values[1], 0);
    assert!(v4.state().opened.is_empty());
    chain.with(|l| l.audits[0].state = pb::AuditState::Upheld as i32);
    v4.tick().await.unwrap();
    assert_eq!(
        v4.state().opened["0/update/1"].reason,
        "settled by another audit"
    );
    assert_eq!(chain.with(|l| l.audits.len()), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_referee_answers_the_true_hash_for_an_honest_update_and_another_for_a_fabricated_one() {
    let tmp = TempDir::new().unwrap();
    let (chain, _, _) = revealed_round(&tmp).await;
    // Validator 3 audits every update (rate 1); validator 4 referees at segment 1.
    chain.with(|l| {
        l.next_segment = Some(1);
        l.next_referee = addr(4);
    });
    let (mut auditor, _) = served_validator(&chain, tmp.path(), 3, 1.0).await;
    chain.set_height(WEIGHTS_AT);
    auditor.tick().await.unwrap();
    assert_eq!(chain.with(|l| l.audits.len()), 2);
    // A third audit of the honest update at its last segment: the answer is the sha256 of
    // the weights file.
    chain.with(|l| {
        let mut a = l.audits[0].clone();
        assert_eq!(a.accused_uid, 0);
        a.id = 3;
        a.segment = (a.claim.len() - 2) as u32;
        l.audits.push(a);
    });

    let (mut referee, _) = served_validator(&chain, tmp.path(), 4, 0.0).await;
    referee.tick().await.unwrap();
    let audits = chain.with(|l| l.audits.clone());
    let honest = chain.with(|l| l.updates[&(0, 0)].clone());
    assert_eq!(
        audits[0].state,
        pb::AuditState::Rejected as i32,
        "the honest update stands"
    );
    assert_eq!(audits[0].answer, honest.checkpoint_hashes[2]);
    assert_eq!(audits[1].accused_uid, 1);
    assert_eq!(
        audits[1].state,
        pb::AuditState::Upheld as i32,
        "the fabricated update is caught"
    );
    assert_ne!(audits[1].answer, audits[1].claim[2]);
    assert_eq!(audits[2].state, pb::AuditState::Rejected as i32);
    assert_eq!(audits[2].answer, honest.update_hash);
    // Answered once each, also after a restart.
    drop(referee);
    let (mut referee, _) = served_validator(&chain, tmp.path(), 4, 0.0).await;
    referee.tick().await.unwrap();
    assert_eq!(chain.committed::<pb::MsgSubmitAudit>().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aggregator_submits_the_fedavg_the_next_round_trains_from_it_and_a_wrong_aggregate_is_upheld(
) {
    let tmp = TempDir::new().unwrap();
    let (chain, tstore, turl) = revealed_round(&tmp).await;
    let honest = chain.with(|l| l.updates[&(0, 0)].clone());
    // The epoch of round 0 at 119: validator 3 is drawn, the honest update is the input.
    chain.with(|l| {
        let r = l.rounds.get_mut(&0).unwrap();
        r.closed = true;
        r.closed_at = 119;
        r.aggregator = addr(3);
        r.aggregate_inputs = vec![pb::AggregateInput {
            uid: 0,
            update_hash: honest.update_hash.clone(),
            uri: honest.uri.clone(),
            weight: 65535,
        }];
        l.task.round = 1;
        l.task.round_start = 120;
        l.rounds.insert(
            1,
            pb::Round {
                task_id: TASK,
                round: 1,
                start: 120,
                ..Default::default()
            },
        );
        l.height = 120;
    });
    let (mut aggregator, u3) = served_validator(&chain, tmp.path(), 3, 0.0).await;
    aggregator.tick().await.unwrap();
    aggregator.tick().await.unwrap();
    assert_eq!(chain.committed::<pb::MsgSubmitAggregate>().len(), 1);
    let bytes = std::fs::read(
        tstore.blob_path(
            &honest
                .update_hash
                .as_slice()
                .try_into()
                .map(Digest)
                .unwrap(),
        ),
    )
    .unwrap();
    let expected = Digest::of(&deai_worker_jobs::fedavg(&[(&bytes, 65535)]).unwrap());
    let r0 = chain.with(|l| l.rounds[&0].clone());
    assert_eq!(r0.aggregate_hash, expected.0.to_vec());
    assert_eq!(r0.aggregate_uri, format!("{u3}/blobs/{expected}"));

    // Another validator recomputes it: it matches, no audit.
    let (mut v4, _) = served_validator(&chain, tmp.path(), 4, 0.0).await;
    v4.tick().await.unwrap();
    assert_eq!(v4.state().rechecked.get(&0), Some(&true));
    assert!(chain.with(|l| l.audits.is_empty()));

    // Round 1 trains from the aggregate, fetched by hash from the aggregator's server.
    chain.with(|l| {
        let r = l.rounds.get_mut(&1).unwrap();
        r.base_hash = expected.0.to_vec();
        r.base_uri = r0.aggregate_uri.clone();
        r.base_ready = true;
        l.height = 125;
    });
    let mut t = trainer(
        chain.clone(),
        &tmp.path().join("t1"),
        files(tstore.clone(), &turl),
        false,
    );
    t.tick().await.unwrap();
    chain.set_height(131);
    t.tick().await.unwrap();
    let rec = t.state().rounds[&1].clone();
    assert!(rec.revealed);
    assert_eq!(rec.base_hash, expected.to_hex());
    assert_ne!(rec.update_hash, t.state().rounds[&0].update_hash);

    // Its audit is replayed from the same base and rejected.
    let u1 = chain.with(|l| l.updates[&(1, 0)].clone());
    chain.with(|l| {
        let mut claim = u1.checkpoint_hashes.clone();
        claim.push(u1.update_hash.clone());
        l.audits.push(pb::Audit {
            id: 1,
            task_id: TASK,
            round: 1,
            target: pb::AuditTarget::Update as i32,
            accused_uid: 0,
            accused: addr(1),
            auditor: addr(5),
            claim,
            segment: 0,
            referee: addr(4),
            state: pb::AuditState::Pending as i32,
            ..Default::default()
        });
    });
    v4.tick().await.unwrap();
    let a = chain.with(|l| l.audits[0].clone());
    assert_eq!(a.state, pb::AuditState::Rejected as i32, "{a:?}");

    // A wrong aggregate on chain: validator 5 recomputes, audits the aggregator, and the
    // referee's FedAvg upholds it.
    chain.with(|l| {
        l.rounds.get_mut(&0).unwrap().aggregate_hash = vec![9; 32];
        l.next_referee = addr(4);
        l.next_segment = None;
    });
    let (mut v5, _) = served_validator(&chain, tmp.path(), 5, 0.0).await;
    v5.tick().await.unwrap();
    assert_eq!(v5.state().rechecked.get(&0), Some(&false));
    let a = chain.with(|l| l.audits[1].clone());
    assert_eq!(
        (a.target, a.accused_uid, a.auditor.clone()),
        (pb::AuditTarget::Aggregate as i32, 2, addr(5))
    );
    v4.tick().await.unwrap();
    let a = chain.with(|l| l.audits[1].clone());
    assert_eq!(a.state, pb::AuditState::Upheld as i32);
    assert_eq!(a.answer, expected.0.to_vec());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_loop_polls_without_events_and_stops_when_cancelled() {
    let tmp = TempDir::new().unwrap();
    let (store, url) = served_store(&tmp.path().join("store")).await;
    let chain = FakeChain::new(ledger(), &addr(1));
    chain.set_height(COMMIT_AT);
    let dir = tmp.path().join("trainer");
    let t = trainer(chain.clone(), &dir, files(store, &url), false);
    let token = CancellationToken::new();
    // No node answers there: only the polling ticks drive it.
    let run = crate::run::run(
        t,
        "http://127.0.0.1:9",
        std::time::Duration::from_millis(100),
        token.clone(),
    );
    let stop = async {
        let start = std::time::Instant::now();
        while chain.committed::<pb::MsgCommitUpdate>().is_empty() {
            assert!(
                start.elapsed().as_secs() < 60,
                "no commit from the polling loop"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        token.cancel();
    };
    let (r, ()) = tokio::time::timeout(std::time::Duration::from_secs(90), async {
        tokio::join!(run, stop)
    })
    .await
    .expect("the loop stops once cancelled");
    r.unwrap();
    let (_, st): (_, TrainerState) = state::open(&dir, TRAINER_FILE, "trainer state").unwrap();
    assert!(st.rounds[&0].committed, "the state was saved");
}
