//! Rounds end to end: commit-reveal, epochs, payments, aggregates and lineage.

use deai_framework::MemStore;
use deai_proto::training::v1 as pb;
use sha2::{Digest, Sha256};

use crate::tests::*;
use crate::*;

pub(crate) fn update_hash(owner: u8, round: u64) -> Vec<u8> {
    Sha256::digest([b'u', owner, round as u8]).to_vec()
}

pub(crate) fn salt(owner: u8) -> Vec<u8> {
    vec![owner; 16]
}

pub(crate) fn checkpoints(owner: u8, round: u64) -> Vec<Vec<u8>> {
    vec![vec![0; 32], vec![owner; 32], update_hash(owner, round)]
}

pub(crate) fn commit_update_msg(owner: u8, task: u64, round: u64) -> pb::MsgCommitUpdate {
    pb::MsgCommitUpdate {
        owner: addr(owner).to_bech32(),
        task_id: task,
        round,
        commit_hash: commits::update_commit_hash(
            &update_hash(owner, round),
            &salt(owner),
            &addr(owner),
        )
        .to_vec(),
    }
}

pub(crate) fn reveal_update_msg(owner: u8, task: u64, round: u64) -> pb::MsgRevealUpdate {
    pb::MsgRevealUpdate {
        owner: addr(owner).to_bech32(),
        task_id: task,
        round,
        update_hash: update_hash(owner, round),
        salt: salt(owner),
        uri: format!("https://t{owner}.example/r{round}.safetensors"),
        checkpoint_hashes: checkpoints(owner, round)[..2].to_vec(),
    }
}

pub(crate) fn commit_weights_msg(
    owner: u8,
    task: u64,
    round: u64,
    row: &[(u16, u16)],
) -> pb::MsgCommitWeights {
    let uids: Vec<u16> = row.iter().map(|r| r.0).collect();
    let values: Vec<u16> = row.iter().map(|r| r.1).collect();
    pb::MsgCommitWeights {
        owner: addr(owner).to_bech32(),
        task_id: task,
        round,
        commit_hash: commits::weights_commit_hash(
            &addr(owner),
            task,
            round,
            &uids,
            &values,
            &salt(owner),
            7,
        )
        .to_vec(),
    }
}

pub(crate) fn reveal_weights_msg(
    owner: u8,
    task: u64,
    round: u64,
    row: &[(u16, u16)],
) -> pb::MsgRevealWeights {
    pb::MsgRevealWeights {
        owner: addr(owner).to_bech32(),
        task_id: task,
        round,
        uids: row.iter().map(|r| u32::from(r.0)).collect(),
        values: row.iter().map(|r| u32::from(r.1)).collect(),
        salt: salt(owner),
        version: 7,
    }
}

/// One round of the default spec started at `start`: `reveal` trainers commit (at offset 4,
/// once the previous aggregate's window has passed) and reveal,
/// `silent` trainers only commit, each validator sets `row`; end_block runs through the epoch.
#[allow(clippy::too_many_arguments)]
pub(crate) fn play_round(
    s: &mut MemStore,
    task: u64,
    round: u64,
    start: u64,
    reveal: &[u8],
    silent: &[u8],
    validators: &[u8],
    row: &[(u16, u16)],
) {
    for o in 0..20 {
        let h = start + o;
        match o {
            // After the aggregate window (A = 4): the base is ready even if nobody submits.
            4 => {
                for t in reveal.iter().chain(silent) {
                    exec_at(s, h, commit_update_msg(*t, task, round)).unwrap();
                }
            }
            11 => {
                for t in reveal {
                    exec_at(s, h, reveal_update_msg(*t, task, round)).unwrap();
                }
            }
            14 => {
                for v in validators {
                    exec_at(s, h, commit_weights_msg(*v, task, round, row)).unwrap();
                }
            }
            17 => {
                for v in validators {
                    exec_at(s, h, reveal_weights_msg(*v, task, round, row)).unwrap();
                }
            }
            _ => {}
        }
        end_block_at(s, h);
    }
}

fn user_of(bech: &str) -> u8 {
    (1..=9u8).find(|u| addr(*u).to_bech32() == bech).unwrap()
}

#[test]
fn three_rounds_pay_by_incentive_and_reconcile_to_the_unit() {
    let mut s = store();
    let task = create_task_at(&mut s, 10);
    for (owner, role) in [
        (1, pb::Role::Trainer),
        (2, pb::Role::Trainer),
        (3, pb::Role::Trainer),
        (4, pb::Role::Validator),
        (5, pb::Role::Validator),
    ] {
        register(&mut s, 10, owner, task, role);
    }
    // Trainer 3 (uid 2) gets no weight.
    let row = [(0u16, 100u16), (1, 50)];
    play_round(&mut s, task, 0, 10, &[1, 2, 3], &[], &[4, 5], &row);
    let r0 = s.get_round(task, 0).unwrap().unwrap();
    assert!(r0.closed && r0.closed_at == 29);
    // Permits come from the current stake, so the first epoch already has consensus: the
    // weighted trainers are the aggregate's inputs, and round 1 waits for the aggregate.
    let e0 = s.get_epoch(task, 0).unwrap().unwrap();
    assert!(e0.neurons[0].incentive > e0.neurons[1].incentive && e0.neurons[1].incentive > 0);
    assert_eq!(e0.neurons[2].incentive, 0);
    let uids0: Vec<u32> = r0.aggregate_inputs.iter().map(|i| i.uid).collect();
    assert_eq!(uids0, vec![0, 1]);
    assert!(r0.lineage.is_empty());
    let r1 = s.get_round(task, 1).unwrap().unwrap();
    assert!(!r1.base_ready && r1.start == 30);
    let permits: Vec<bool> = s
        .neurons_of(task)
        .unwrap()
        .iter()
        .map(|n| n.validator_permit)
        .collect();
    assert_eq!(permits, vec![false, false, false, true, true]);

    play_round(&mut s, task, 1, 30, &[1, 2, 3], &[], &[4, 5], &row);
    // Nobody aggregated round 0: its base (the seeded initialisation, empty) was carried
    // forward at the end of the window, and its lineage link closed over it.
    let r0 = s.get_round(task, 0).unwrap().unwrap();
    let hashes0: Vec<Vec<u8>> = [1u8, 2, 3].iter().map(|o| update_hash(*o, 0)).collect();
    let genesis = lineage::genesis(task, &spec().base_spec_sha256, &spec().dataset_sha256);
    let want0 = lineage::next(&genesis, &[], &hashes0, &r0.weights_root, &[]);
    assert_eq!(r0.lineage, want0.to_vec());
    let e1 = s.get_epoch(task, 1).unwrap().unwrap();
    let inc: Vec<u32> = e1.neurons.iter().map(|n| n.incentive).collect();
    assert!(inc[0] > inc[1] && inc[1] > 0, "{inc:?}");
    assert_eq!(inc[2], 0);
    assert_eq!(e1.neurons[2].miner_emission, 0);
    let r1 = s.get_round(task, 1).unwrap().unwrap();
    let uids: Vec<u32> = r1.aggregate_inputs.iter().map(|i| i.uid).collect();
    assert_eq!(uids, vec![0, 1]);
    assert_eq!(r1.aggregate_inputs[0].weight, inc[0]);
    assert!(r1.lineage.is_empty());
    let aggregator = user_of(&r1.aggregator);
    assert!([4, 5].contains(&aggregator));
    let r2 = s.get_round(task, 2).unwrap().unwrap();
    assert!(!r2.base_ready);
    // Trainers wait for the base.
    assert_eq!(
        code(exec_at(&mut s, 50, commit_update_msg(1, task, 2))),
        training(ERR_BASE_NOT_READY)
    );
    // Only the drawn aggregator, only in the window.
    let agg = |who: u8| pb::MsgSubmitAggregate {
        aggregator: addr(who).to_bech32(),
        task_id: task,
        round: 1,
        aggregate_hash: vec![0xa6; 32],
        uri: "https://agg.example/r1.safetensors".into(),
    };
    let other = if aggregator == 4 { 5 } else { 4 };
    assert_eq!(
        code(exec_at(&mut s, 50, agg(other))),
        training(ERR_NOT_AGGREGATOR)
    );
    assert_eq!(
        code(exec_at(&mut s, 54, agg(aggregator))),
        training(ERR_AGGREGATE_WINDOW_CLOSED)
    );
    let resp: pb::MsgSubmitAggregateResponse = exec_resp(&mut s, 50, agg(aggregator)).unwrap();
    assert_eq!(
        code(exec_at(&mut s, 51, agg(aggregator))),
        training(ERR_AGGREGATE_EXISTS)
    );
    let hashes: Vec<Vec<u8>> = [1u8, 2, 3].iter().map(|o| update_hash(*o, 1)).collect();
    let want = lineage::next(&r0.lineage, &[], &hashes, &r1.weights_root, &[0xa6; 32]);
    assert_eq!(resp.lineage, want.to_vec());
    let r2 = s.get_round(task, 2).unwrap().unwrap();
    assert!(r2.base_ready && r2.base_hash == vec![0xa6; 32]);
    assert_eq!(get_task(&s, task).lineage_head, want.to_vec());

    // Round 2: trainer 2 commits but never reveals: its commit is ignored.
    let mut s2 = s.clone();
    play_round(&mut s2, task, 2, 50, &[1, 3], &[2], &[4, 5], &row);
    let e2 = s2.get_epoch(task, 2).unwrap().unwrap();
    assert!(e2.neurons[0].incentive > 0);
    let r2 = s2.get_round(task, 2).unwrap().unwrap();
    let uids: Vec<u32> = r2.aggregate_inputs.iter().map(|i| i.uid).collect();
    assert_eq!(uids, vec![0]);
    // Nobody submits: at the end of the window the base is carried forward.
    blocks(&mut s2, 70, 73);
    let r2 = s2.get_round(task, 2).unwrap().unwrap();
    let hashes: Vec<Vec<u8>> = [1u8, 3].iter().map(|o| update_hash(*o, 2)).collect();
    let want2 = lineage::next(&want, &[0xa6; 32], &hashes, &r2.weights_root, &[0xa6; 32]);
    assert_eq!(r2.lineage, want2.to_vec());
    assert!(s2.get_round(task, 3).unwrap().unwrap().base_ready);
    let q: pb::QueryLineageResponse = query(
        &s2,
        "/deai.training.v1.Query/Lineage",
        pb::QueryLineageRequest {
            task_id: task,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(q.rounds.len(), 3);
    assert_eq!(q.genesis, {
        let sp = spec();
        lineage::genesis(task, &sp.base_spec_sha256, &sp.dataset_sha256).to_vec()
    });

    // Balances reconcile to the unit: what the pool lost is what the neurons gained, and
    // what the epochs say they paid.
    let gained: u128 = (1..=5u8)
        .map(|u| balance(&s2, u) - (FUNDS - MIN_STAKE))
        .sum();
    let paid: u128 = (0..3)
        .map(|r| {
            s2.get_epoch(task, r)
                .unwrap()
                .unwrap()
                .neurons
                .iter()
                .map(|n| u128::from(n.emission))
                .sum::<u128>()
        })
        .sum();
    let pool = pool_of(&s2, task);
    assert_eq!(POOL - pool, gained);
    assert_eq!(paid, gained);
    assert!(gained > 0);
    // Trainer 3 never earned.
    assert_eq!(balance(&s2, 3), FUNDS - MIN_STAKE);
    assert_reconciles(&s2);
    let exported = export_all(&s2);
    assert_eq!(export_all(&init_all(&exported)), exported);
}

#[test]
fn phases_are_enforced_with_their_heights() {
    let mut s = store();
    let task = create_task_at(&mut s, 10);
    register(&mut s, 10, 1, task, pb::Role::Trainer);
    register(&mut s, 10, 4, task, pb::Role::Validator);
    let e = exec_at(&mut s, 21, commit_update_msg(1, task, 0)).unwrap_err();
    assert_eq!((e.codespace, e.code), training(ERR_WRONG_PHASE));
    assert!(
        e.log.contains("10..21") && e.log.contains("reveal-updates"),
        "{}",
        e.log
    );
    exec_at(&mut s, 11, commit_update_msg(1, task, 0)).unwrap();
    // Replaced before the reveal phase.
    exec_at(&mut s, 12, commit_update_msg(1, task, 0)).unwrap();
    assert_eq!(
        code(exec_at(&mut s, 20, reveal_update_msg(1, task, 0))),
        training(ERR_WRONG_PHASE)
    );
    assert_eq!(
        code(exec_at(&mut s, 21, commit_update_msg(1, task, 1))),
        training(ERR_WRONG_ROUND)
    );
    let mut bad = reveal_update_msg(1, task, 0);
    bad.salt = vec![9; 16];
    assert_eq!(
        code(exec_at(&mut s, 21, bad)),
        training(ERR_COMMIT_MISMATCH)
    );
    let mut bad = reveal_update_msg(1, task, 0);
    bad.salt = vec![1; 15];
    assert_eq!(code(exec_at(&mut s, 21, bad)), training(ERR_BAD_SALT));
    let mut bad = reveal_update_msg(1, task, 0);
    bad.checkpoint_hashes.truncate(1);
    assert_eq!(
        code(exec_at(&mut s, 21, bad)),
        training(ERR_BAD_CHECKPOINTS)
    );
    let mut bad = reveal_update_msg(1, task, 0);
    bad.uri = "bad uri".into();
    assert_eq!(code(exec_at(&mut s, 21, bad)), training(ERR_BAD_URI));
    assert_eq!(
        code(exec_at(&mut s, 21, reveal_update_msg(4, task, 0))),
        training(ERR_WRONG_ROLE)
    );
    assert_eq!(
        code(exec_at(&mut s, 21, reveal_update_msg(2, task, 0))),
        training(ERR_NOT_REGISTERED)
    );
    exec_at(&mut s, 21, reveal_update_msg(1, task, 0)).unwrap();
    assert_eq!(
        code(exec_at(&mut s, 22, reveal_update_msg(1, task, 0))),
        training(ERR_ALREADY_REVEALED)
    );
    // Weights.
    let row = [(0u16, 3u16), (1, 1)];
    assert_eq!(
        code(exec_at(&mut s, 23, commit_weights_msg(4, task, 0, &row))),
        training(ERR_WRONG_PHASE)
    );
    assert_eq!(
        code(exec_at(&mut s, 24, commit_weights_msg(1, task, 0, &row))),
        training(ERR_WRONG_ROLE)
    );
    assert_eq!(
        code(exec_at(&mut s, 27, reveal_weights_msg(4, task, 0, &row))),
        training(ERR_NO_COMMIT)
    );
    exec_at(&mut s, 24, commit_weights_msg(4, task, 0, &row)).unwrap();
    let mut dup = reveal_weights_msg(4, task, 0, &row);
    dup.uids = vec![0, 0];
    assert_eq!(code(exec_at(&mut s, 27, dup)), training(ERR_BAD_WEIGHTS));
    let mut short = reveal_weights_msg(4, task, 0, &row);
    short.values.pop();
    assert_eq!(code(exec_at(&mut s, 27, short)), training(ERR_BAD_WEIGHTS));
    let far = [(8u16, 1u16)];
    exec_at(&mut s, 25, commit_weights_msg(4, task, 0, &far)).unwrap();
    assert_eq!(
        code(exec_at(&mut s, 27, reveal_weights_msg(4, task, 0, &far))),
        training(ERR_BAD_WEIGHTS)
    );
    exec_at(&mut s, 26, commit_weights_msg(4, task, 0, &row)).unwrap();
    let mut wrong = reveal_weights_msg(4, task, 0, &row);
    wrong.version = 8;
    assert_eq!(
        code(exec_at(&mut s, 27, wrong)),
        training(ERR_COMMIT_MISMATCH)
    );
    exec_at(&mut s, 29, reveal_weights_msg(4, task, 0, &row)).unwrap();
    // Stored max-upscaled.
    let w = s.get_weights(task, 0, 1).unwrap().unwrap();
    assert_eq!(w.values, vec![65535, 21845]);
    assert_eq!(
        code(exec_at(&mut s, 30, reveal_weights_msg(4, task, 0, &row))),
        training(ERR_WRONG_PHASE)
    );
}

#[test]
fn epochs_beyond_the_per_block_limit_are_carried_not_skipped() {
    let mut s = store();
    let mut p = Params::default().to_proto();
    p.max_tasks_per_block = 1;
    exec_at(
        &mut s,
        5,
        pb::MsgUpdateParams {
            authority: addr(AUTHORITY).to_bech32(),
            params: Some(p),
        },
    )
    .unwrap();
    let a = create_task_at(&mut s, 10);
    let b = create_task_at(&mut s, 10);
    blocks(&mut s, 10, 29);
    assert!(s.get_round(a, 0).unwrap().unwrap().closed);
    assert!(!s.get_round(b, 0).unwrap().unwrap().closed);
    end_block_at(&mut s, 30);
    let rb = s.get_round(b, 0).unwrap().unwrap();
    assert!(rb.closed && rb.closed_at == 30);
    // Its next round starts after the late epoch.
    assert_eq!(get_task(&s, b).round_start, 31);
    assert_reconciles(&s);
}

#[test]
fn the_task_finishes_when_the_pool_is_spent() {
    let mut s = store();
    let mut sp = spec();
    sp.emission_per_tempo = Some(coin(POOL));
    let r: pb::MsgCreateTaskResponse = exec_resp(&mut s, 10, create_msg(8, sp, POOL)).unwrap();
    let task = r.task_id;
    register(&mut s, 10, 4, task, pb::Role::Validator);
    register(&mut s, 10, 1, task, pb::Role::Trainer);
    // Round 0 pays the validator by stake (no incentive without permits yet).
    let events = blocks(&mut s, 10, 29);
    let t = get_task(&s, task);
    assert_eq!(pool_of(&s, task), 0);
    {
        assert_eq!(t.state, pb::TaskState::Finished as i32);
        assert!(events
            .iter()
            .any(|e| e.kind == "deai.training.v1.EventTaskFinished"));
        assert_eq!(
            code(exec_at(
                &mut s,
                30,
                register_msg(2, task, pb::Role::Trainer, MIN_STAKE)
            )),
            training(ERR_TASK_FINISHED)
        );
    }
    assert_reconciles(&s);
}

#[test]
fn the_last_tempo_refunds_its_rounding_dust_to_the_creator() {
    let mut s = store();
    // One tempo pays an amount three equal stakes cannot split evenly.
    let pool = 1_000_001;
    let mut sp = spec();
    sp.emission_per_tempo = Some(coin(pool));
    let r: pb::MsgCreateTaskResponse = exec_resp(&mut s, 10, create_msg(8, sp, pool)).unwrap();
    let task = r.task_id;
    for v in [4, 5, 6] {
        register(&mut s, 10, v, task, pb::Role::Validator);
    }
    let creator_before = balance(&s, 8);
    let events = blocks(&mut s, 10, 29);
    let finished: Vec<pb::EventTaskFinished> = events
        .iter()
        .filter(|e| e.kind == "deai.training.v1.EventTaskFinished")
        .map(|e| deai_framework::events::parse_typed_event(e).unwrap())
        .collect();
    assert_eq!(finished.len(), 1);
    let refunded: u128 = finished[0]
        .refunded
        .as_ref()
        .unwrap()
        .amount
        .parse()
        .unwrap();
    let paid: u128 = s
        .get_epoch(task, 0)
        .unwrap()
        .unwrap()
        .neurons
        .iter()
        .map(|n| u128::from(n.emission))
        .sum();
    // At most n = max_neurons units lost to rounding, and all of it goes back.
    assert!(refunded > 0 && refunded <= 8, "dust {refunded}");
    assert_eq!(paid + refunded, pool);
    assert_eq!(balance(&s, 8), creator_before + refunded);
    assert_eq!(pool_of(&s, task), 0);
    assert_eq!(get_task(&s, task).state, pb::TaskState::Finished as i32);
    assert_reconciles(&s);
}

#[test]
fn weight_on_a_uid_that_revealed_nothing_pays_no_one() {
    let mut s = store();
    let task = create_task_at(&mut s, 10);
    for (owner, role) in [
        (1, pb::Role::Trainer),
        (2, pb::Role::Trainer),
        (4, pb::Role::Validator),
    ] {
        register(&mut s, 10, owner, task, role);
    }
    // Trainer 2 (uid 1) commits and never reveals, yet the validator weights it most.
    play_round(&mut s, task, 0, 10, &[1], &[2], &[4], &[(0, 1), (1, 100)]);
    let e = s.get_epoch(task, 0).unwrap().unwrap();
    assert_eq!(e.neurons[1].incentive, 0);
    assert_eq!(e.neurons[1].emission, 0);
    assert!(e.neurons[0].incentive > 0);
    assert_reconciles(&s);
}

#[test]
fn a_task_nobody_works_on_finishes_and_refunds_its_pool() {
    let mut s = store();
    let task = create_task_at(&mut s, 10);
    let creator_before = balance(&s, 8);
    // No neuron: every epoch pays nothing. Rounds are 20 blocks from height 10.
    let end = 10 + 20 * u64::from(MAX_IDLE_ROUNDS) - 1;
    blocks(&mut s, 10, end - 1);
    assert_eq!(get_task(&s, task).state, pb::TaskState::Active as i32);
    assert_eq!(get_task(&s, task).idle_rounds, MAX_IDLE_ROUNDS - 1);
    blocks(&mut s, end, end);
    let t = get_task(&s, task);
    assert_eq!(t.state, pb::TaskState::Finished as i32);
    assert_eq!(pool_of(&s, task), 0);
    assert_eq!(balance(&s, 8), creator_before + POOL);
    assert_reconciles(&s);
}
