//! The security review's fixes: a secret audit seed kept in the state file, audits only of
//! verified weights, scoring started at the reveals and bounded by the commit window, and
//! an aggregate audit retried from its recorded intent.

use std::time::{Duration, Instant};

use prost::Name;

use super::*;

/// A revealed update of round 0 (no trainer behind it; the validator scores what the
/// round lists).
fn listed_update(uid: u32, d: Digest, uri: String) -> pb::Update {
    pb::Update {
        task_id: TASK,
        round: 0,
        uid,
        update_hash: d.0.to_vec(),
        uri,
        revealed: true,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_seed_is_drawn_once_saved_before_use_and_kept() {
    let tmp = TempDir::new().unwrap();
    let chain = FakeChain::new(ledger(), &addr(3));
    let (store, url) = served_store(&tmp.path().join("store")).await;
    let dir = tmp.path().join("v3");
    // A state file written before the seed existed (same version).
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(VALIDATOR_FILE),
        r#"{"version":1,"task_id":1,"weights":{}}"#,
    )
    .unwrap();
    let v = validator(chain.clone(), &dir, files(store.clone(), &url), 0.5);
    let seed = v.state().audit_seed.clone();
    assert_eq!(seed.len(), 64);
    // On disk before anything used it.
    let (_, st): (_, ValidatorState) =
        state::open(&dir, VALIDATOR_FILE, "validator state").unwrap();
    assert_eq!((st.version, st.audit_seed.as_str()), (1, seed.as_str()));
    drop(v);
    let v = validator(chain.clone(), &dir, files(store.clone(), &url), 0.5);
    assert_eq!(v.state().audit_seed, seed, "kept across restarts");
    // Another validator's state (even of the same key) has its own.
    let w = validator(
        chain.clone(),
        &tmp.path().join("other"),
        files(store.clone(), &url),
        0.5,
    );
    assert_ne!(w.state().audit_seed, seed);
    // A damaged seed is refused, not replaced.
    let bad = tmp.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join(VALIDATOR_FILE),
        r#"{"version":1,"task_id":1,"audit_seed":"zz","weights":{}}"#,
    )
    .unwrap();
    let (file, st): (_, ValidatorState) =
        state::open(&bad, VALIDATOR_FILE, "validator state").unwrap();
    let cfg = ValidatorConfig {
        task_id: TASK,
        eval_data: digits(),
        audit_rate: 0.5,
    };
    let e = Validator::new(
        chain,
        cfg,
        Arc::new(TorchEngine::default()),
        files(store, &url),
        file,
        st,
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("audit_seed"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_verified_weights_that_score_0_are_audited() {
    let tmp = TempDir::new().unwrap();
    let (chain, tstore, turl) = revealed_round(&tmp).await;
    // uid 5 names a server that is down; uid 6 a served file that is no model.
    let dead = Digest::of(b"never served");
    let junk = tstore
        .put_bytes(None, b"not a safetensors file")
        .unwrap()
        .digest;
    chain.with(|l| {
        let down = format!("http://127.0.0.1:9/blobs/{dead}");
        l.updates.insert((0, 5), listed_update(5, dead, down));
        l.updates.insert(
            (0, 6),
            listed_update(6, junk, format!("{turl}/blobs/{junk}")),
        );
    });
    let (mut v, _) = served_validator(&chain, tmp.path(), 3, 0.0).await;
    chain.set_height(WEIGHTS_AT);
    v.tick().await.unwrap();
    let w = v.state().weights[&0].clone();
    assert_eq!(w.uids, vec![0, 1, 5, 6]);
    assert!(w.values[0] > 0, "{:?}", w.values);
    assert_eq!(&w.values[1..], &[0, 0, 0]);
    assert_eq!(w.suspects, vec![1], "only the random weights are suspect");
    v.tick().await.unwrap();
    let accused: Vec<u32> = chain.with(|l| l.audits.iter().map(|a| a.accused_uid).collect());
    assert_eq!(accused, vec![1], "no bond risked on what was not verified");
}

#[tokio::test(flavor = "multi_thread")]
async fn scoring_starts_at_the_reveals_and_a_silent_server_cannot_hold_the_commit() {
    let tmp = TempDir::new().unwrap();
    let (chain, _, _) = revealed_round(&tmp).await;
    // uid 7 names a server that accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let withheld = Digest::of(b"withheld");
    chain.with(|l| {
        let uri = format!("{silent_url}/blobs/{withheld}");
        l.updates.insert((0, 7), listed_update(7, withheld, uri));
    });
    let (mut v, _) = served_validator(&chain, tmp.path(), 3, 0.0).await;

    // Still in the reveal phase: no row yet, but the updates are fetched already.
    v.tick().await.unwrap();
    assert!(v.state().weights.is_empty());
    let honest = chain.with(|l| Digest(l.updates[&(0, 0)].update_hash.clone().try_into().unwrap()));
    let start = Instant::now();
    while v.files.local(&honest).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the honest update was not fetched during the reveal phase"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The weights phase: the silent server is waited for only until the chain is two
    // blocks before the phase's end; it scores 0 and is not audited.
    chain.set_height(WEIGHTS_AT);
    let closing = {
        let chain = chain.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            chain.set_height(WEIGHTS_AT + 2);
        })
    };
    let t = Instant::now();
    v.tick().await.unwrap();
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    closing.await.unwrap();
    let w = v.state().weights[&0].clone();
    assert_eq!(w.uids, vec![0, 1, 7]);
    assert!(w.values[0] > 0, "{:?}", w.values);
    assert_eq!(&w.values[1..], &[0, 0]);
    assert_eq!(w.suspects, vec![1]);
    assert!(w.committed);
    let accused: Vec<u32> = chain.with(|l| l.audits.iter().map(|a| a.accused_uid).collect());
    assert_eq!(accused, vec![1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_aggregate_audit_is_retried_from_its_recorded_intent() {
    let tmp = TempDir::new().unwrap();
    let chain = FakeChain::new(ledger(), &addr(5));
    // Round 0 closed with no inputs: its aggregate must be its base, and is not.
    chain.with(|l| {
        let r = l.rounds.get_mut(&0).unwrap();
        r.closed = true;
        r.closed_at = 119;
        r.aggregator = addr(3);
        r.base_hash = vec![1; 32];
        r.aggregate_hash = vec![9; 32];
        r.lineage = vec![1; 32];
        l.next_referee = addr(4);
        l.fail_sends = 1;
    });
    let (mut v5, _) = served_validator(&chain, tmp.path(), 5, 0.0).await;
    v5.tick().await.unwrap();
    assert_eq!(v5.state().rechecked.get(&0), Some(&false));
    assert!(chain.with(|l| l.audits.is_empty()), "the send failed");
    // A restart too: the intent is in the state file.
    drop(v5);
    let (mut v5, _) = served_validator(&chain, tmp.path(), 5, 0.0).await;
    v5.tick().await.unwrap();
    v5.tick().await.unwrap();
    let audits = chain.with(|l| l.audits.clone());
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(
        (
            audits[0].target,
            audits[0].accused_uid,
            audits[0].auditor.clone()
        ),
        (pb::AuditTarget::Aggregate as i32, 2, addr(5))
    );
    assert!(v5.state().opened["0/aggregate/2"].sent);
    assert_eq!(chain.committed::<pb::MsgOpenAudit>().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aggregator_fetches_a_withheld_input_from_another_validators_server() {
    let tmp = TempDir::new().unwrap();
    let (chain, tstore, _) = revealed_round(&tmp).await;
    let honest = chain.with(|l| l.updates[&(0, 0)].clone());
    let d = Digest(honest.update_hash.clone().try_into().unwrap());
    // Validator 4 scored the update (so holds and serves it) and aggregated round 0: the
    // chain names its server.
    let (v4, u4) = served_validator(&chain, tmp.path(), 4, 0.0).await;
    let task = chain.with(|l| l.task.clone());
    let r0 = chain.with(|l| l.rounds[&0].clone());
    let spec = Validator::<FakeChain>::model_spec(&task, &r0).unwrap();
    assert!(v4.score_update(&spec, &honest).await.score() > 0);
    // Round 1's aggregator is validator 3, which never fetched the input; its trainer no
    // longer serves it.
    chain.with(|l| {
        let r = l.rounds.get_mut(&0).unwrap();
        r.closed = true;
        r.closed_at = 119;
        r.aggregator = addr(4);
        r.aggregate_hash = vec![7; 32];
        r.aggregate_uri = format!("{u4}/blobs/{}", Digest([7; 32]));
        r.lineage = vec![1; 32];
        l.rounds.insert(
            1,
            pb::Round {
                task_id: TASK,
                round: 1,
                start: 120,
                closed: true,
                closed_at: 139,
                aggregator: addr(3),
                aggregate_inputs: vec![pb::AggregateInput {
                    uid: 0,
                    update_hash: honest.update_hash.clone(),
                    uri: format!("http://127.0.0.1:9/blobs/{d}"),
                    weight: 65535,
                }],
                ..Default::default()
            },
        );
        l.task.round = 2;
        l.task.round_start = 140;
        l.height = 140;
    });
    let (mut v3, _) = served_validator(&chain, tmp.path(), 3, 0.0).await;
    v3.tick().await.unwrap();
    let submitted = chain.committed::<pb::MsgSubmitAggregate>();
    assert_eq!(submitted.len(), 1, "the aggregate was submitted");
    let bytes = std::fs::read(tstore.blob_path(&d)).unwrap();
    let expected = Digest::of(&deai_worker_jobs::fedavg(&[(&bytes, 65535)]).unwrap());
    assert_eq!(submitted[0].1.aggregate_hash, expected.0.to_vec());
    assert!(v3.files.local(&d).is_some(), "verified and kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_audit_at_its_last_index_judges_the_weights() {
    let tmp = TempDir::new().unwrap();
    let (chain, _, _) = revealed_round(&tmp).await;
    // The chain's rule: every update audit at its claim's last index; validator 4 referees.
    chain.with(|l| l.next_referee = addr(4));
    let (mut auditor, _) = served_validator(&chain, tmp.path(), 3, 1.0).await;
    chain.set_height(WEIGHTS_AT);
    auditor.tick().await.unwrap();
    let honest = chain.with(|l| l.updates[&(0, 0)].clone());
    // The honest weights under a claim that lists one checkpoint fewer: still the weights
    // of the round's job.
    chain.with(|l| {
        assert_eq!(l.audits.len(), 2);
        let mut a = l.audits[0].clone();
        assert_eq!(a.segment as usize, a.claim.len() - 2);
        let n = honest.checkpoint_hashes.len();
        a.claim = honest.checkpoint_hashes[..n - 1].to_vec();
        a.claim.push(honest.update_hash.clone());
        a.segment = (a.claim.len() - 2) as u32;
        a.id = 3;
        l.audits.push(a);
    });
    let (mut referee, _) = served_validator(&chain, tmp.path(), 4, 0.0).await;
    referee.tick().await.unwrap();
    let audits = chain.with(|l| l.audits.clone());
    let states: Vec<i32> = audits.iter().map(|a| a.state).collect();
    let (rejected, upheld) = (
        pb::AuditState::Rejected as i32,
        pb::AuditState::Upheld as i32,
    );
    assert_eq!(states, vec![rejected, upheld, rejected], "{audits:?}");
    assert_eq!(audits[0].answer, honest.update_hash);
    assert_eq!(audits[2].answer, honest.update_hash);
    assert_ne!(audits[1].answer, *audits[1].claim.last().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_referee_replays_the_shard_of_an_accused_that_left() {
    let tmp = TempDir::new().unwrap();
    let (chain, _, _) = revealed_round(&tmp).await;
    // A task seed whose shard draw gives uid 0 shard 0 and uid 1 shard 1, as registered.
    let seed = (0u8..=255)
        .map(|i| vec![i; 32])
        .find(|s| deai_training::shard_of(s, 0, 2) == 0 && deai_training::shard_of(s, 1, 2) == 1)
        .unwrap();
    chain.with(|l| {
        l.task.seed = seed;
        l.next_referee = addr(4);
    });
    let (mut auditor, _) = served_validator(&chain, tmp.path(), 3, 1.0).await;
    chain.set_height(WEIGHTS_AT);
    auditor.tick().await.unwrap();
    // Both trainers leave (the liar to escape its audit); uid 0 goes to someone else.
    chain.with(|l| {
        assert_eq!(l.audits.len(), 2);
        l.neurons.retain(|n| n.role != pb::Role::Trainer as i32);
        l.neurons.push(neuron(0, 9, pb::Role::Trainer, 0));
    });
    let (mut referee, _) = served_validator(&chain, tmp.path(), 4, 0.0).await;
    referee.tick().await.unwrap();
    let honest = chain.with(|l| l.updates[&(0, 0)].clone());
    let audits = chain.with(|l| l.audits.clone());
    assert_eq!(
        audits[0].state,
        pb::AuditState::Rejected as i32,
        "{audits:?}"
    );
    assert_eq!(audits[0].answer, honest.update_hash);
    assert_eq!(audits[1].state, pb::AuditState::Upheld as i32, "{audits:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_weights_commit_goes_out_before_a_replay_for_an_audit() {
    let tmp = TempDir::new().unwrap();
    let (chain, _, _) = revealed_round(&tmp).await;
    // An audit validator 4 referees (a replay: a whole round job) is pending when the
    // weights commit phase opens.
    let honest = chain.with(|l| l.updates[&(0, 0)].clone());
    chain.with(|l| {
        let mut claim = honest.checkpoint_hashes.clone();
        claim.push(honest.update_hash.clone());
        l.audits.push(pb::Audit {
            id: 1,
            task_id: TASK,
            round: 0,
            target: pb::AuditTarget::Update as i32,
            accused_uid: 0,
            accused: addr(1),
            auditor: addr(5),
            segment: (claim.len() - 2) as u32,
            claim,
            referee: addr(4),
            state: pb::AuditState::Pending as i32,
            ..Default::default()
        });
    });
    chain.set_height(WEIGHTS_AT);
    let (mut v4, _) = served_validator(&chain, tmp.path(), 4, 0.0).await;
    v4.tick().await.unwrap();
    let kinds: Vec<String> =
        chain.with(|l| l.sent.iter().map(|(_, a, _)| a.type_url.clone()).collect());
    let at = |m: String| kinds.iter().position(|k| *k == m);
    let (commit, answer) = (
        at(pb::MsgCommitWeights::type_url()).expect("weights committed"),
        at(pb::MsgSubmitAudit::type_url()).expect("audit answered"),
    );
    assert!(commit < answer, "{kinds:?}");
}
