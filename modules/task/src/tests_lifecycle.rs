//! The transitions at the end of voting and of the deposit period, with balances
//! reconciled to the unit; the tally with delegators inheriting their validator's vote;
//! on_attested for settled, expired and unknown jobs; queries; genesis.

use deai_bank::BankRead;
use deai_framework::Address;
use deai_proto::task::v1 as pb;
use deai_training::TrainingRead;

use crate::tests::*;
use crate::*;

use pb::VoteOption::{Abstain, No, NoWithVeto, Yes};

const HASH: [u8; 32] = [0xab; 32];

/// A task proposed at height 3 by user 5 with the full deposit, and its voting end.
fn voting(s: &mut deai_framework::MemStore) -> (u64, u64) {
    let id = propose(s, 3, 5, MIN_DEPOSIT);
    (id, 3 + VOTING)
}

fn tally(t: &pb::Task) -> (String, String, String, String) {
    let r = t.final_tally.clone().unwrap();
    (
        r.yes_count,
        r.abstain_count,
        r.no_count,
        r.no_with_veto_count,
    )
}

#[test]
fn passed_and_attested_launches_the_training_task_funded_by_its_pool() {
    let mut s = store();
    let (id, end) = voting(&mut s);
    let proposer = bal(&s, 5);
    let supply = supply(&s);
    let j = outcome(&s, id, Some(HASH));
    report(&mut s, 5, &j);
    let t = task(&s, id);
    assert_eq!(t.attestation, pb::AttestationStatus::Attested as i32);
    assert_eq!(
        (t.attestation_result_hash.as_slice(), t.attested_at),
        (&HASH[..], 5)
    );
    // Validator 1 votes yes with 80 M (its own 60 M and user 3's 20 M, inherited); user 3
    // overrides with no: 60 M yes, 20 M no.
    exec_at(&mut s, 6, vote_msg(id, 1, Yes)).unwrap();
    exec_at(&mut s, 7, vote_msg(id, 3, No)).unwrap();
    assert!(end_block_at(&mut s, end - 1).is_empty());
    let ev = end_block_at(&mut s, end);
    assert!(ev
        .iter()
        .any(|e| e.kind == "deai.task.v1.EventTaskLaunched"));
    let t = task(&s, id);
    assert_eq!(t.state, pb::TaskState::Launched as i32);
    assert_eq!(t.reason, pb::Reason::Launched as i32);
    assert_eq!(
        tally(&t),
        ("60000000".into(), "0".into(), "20000000".into(), "0".into())
    );
    // The training task: created by the proposer with the spec, holding the pool.
    let tt = TrainingRead::get_task(&s, t.training_task_id)
        .unwrap()
        .unwrap();
    assert_eq!(tt.creator, addr(5).to_bech32());
    assert_eq!(tt.pool, Some(coin(POOL)));
    assert_eq!(
        s.module_balance(deai_training::MODULE_ACCOUNT, "udeai")
            .unwrap(),
        POOL
    );
    // The deposit went back; the pool stayed spent; nothing left in escrow, nothing burned.
    assert_eq!(bal(&s, 5), proposer + MIN_DEPOSIT);
    assert_eq!((module_bal(&s), supply), (0, crate::tests::supply(&s)));
    assert_eq!(s.task_counts(id).unwrap(), (0, 0));
    assert_reconciles(&s);
    // A later report is ignored.
    let j = outcome(&s, id, None);
    report(&mut s, end + 1, &j);
    assert_eq!(
        task(&s, id).attestation,
        pb::AttestationStatus::Attested as i32
    );
}

#[test]
fn passed_but_not_attested_is_rejected_with_everything_refunded() {
    for expired in [false, true] {
        let mut s = store();
        let before = bal(&s, 5);
        let (id, end) = voting(&mut s);
        exec_at(&mut s, 4, deposit_msg(id, 6, 1)).unwrap_err();
        if expired {
            let j = outcome(&s, id, None);
            report(&mut s, 8, &j);
            assert_eq!(
                task(&s, id).attestation,
                pb::AttestationStatus::Failed as i32
            );
        }
        exec_at(&mut s, 6, vote_msg(id, 1, Yes)).unwrap();
        let ev = end_block_at(&mut s, end);
        assert!(ev
            .iter()
            .any(|e| e.kind == "deai.task.v1.EventTaskRejected"));
        let t = task(&s, id);
        assert_eq!(t.state, pb::TaskState::Rejected as i32);
        let want = if expired {
            pb::Reason::AttestationFailed
        } else {
            pb::Reason::AttestationPending
        };
        assert_eq!(t.reason, want as i32);
        assert_eq!(
            (t.training_task_id, bal(&s, 5), module_bal(&s)),
            (0, before, 0)
        );
        assert!(TrainingRead::get_task(&s, 1).unwrap().is_none());
        assert_reconciles(&s);
    }
}

#[test]
fn no_quorum_and_too_few_yes_are_rejected_with_refunds() {
    // Validator 2 alone: 40 M of 120 M < 0.334.
    let mut s = store();
    let before = bal(&s, 5);
    let (id, end) = voting(&mut s);
    let j = outcome(&s, id, Some(HASH));
    report(&mut s, 4, &j);
    exec_at(&mut s, 6, vote_msg(id, 2, Yes)).unwrap();
    end_block_at(&mut s, end);
    let t = task(&s, id);
    assert_eq!(
        (t.state, t.reason),
        (pb::TaskState::Rejected as i32, pb::Reason::NoQuorum as i32)
    );
    assert_eq!((bal(&s, 5), module_bal(&s)), (before, 0));
    assert_reconciles(&s);

    // Validator 1 no (80 M), validator 2 yes (40 M): quorum, but 1/3 yes.
    let mut s = store();
    let (id, end) = voting(&mut s);
    let j = outcome(&s, id, Some(HASH));
    report(&mut s, 4, &j);
    exec_at(&mut s, 6, vote_msg(id, 1, No)).unwrap();
    exec_at(&mut s, 6, vote_msg(id, 2, Yes)).unwrap();
    exec_at(&mut s, 6, vote_msg(id, 7, Abstain)).unwrap(); // no stake: no power
    end_block_at(&mut s, end);
    let t = task(&s, id);
    assert_eq!(
        (t.state, t.reason),
        (pb::TaskState::Rejected as i32, pb::Reason::NotPassed as i32)
    );
    assert_eq!(
        tally(&t),
        ("40000000".into(), "0".into(), "80000000".into(), "0".into())
    );
    assert_eq!((bal(&s, 5), module_bal(&s)), (before, 0));
    assert_reconciles(&s);
}

#[test]
fn a_veto_refunds_the_pool_and_burns_every_deposit() {
    let mut s = store();
    let (id, end) = voting(&mut s);
    let five = bal(&s, 5);
    // A second depositor cannot add in voting; the deposit is the proposer's 1000.
    let j = outcome(&s, id, Some(HASH));
    report(&mut s, 4, &j);
    exec_at(&mut s, 6, vote_msg(id, 2, Yes)).unwrap();
    exec_at(&mut s, 6, vote_msg(id, 1, NoWithVeto)).unwrap();
    let supply = supply(&s);
    let ev = end_block_at(&mut s, end);
    assert!(ev.iter().any(|e| e.kind == "deai.task.v1.EventTaskVetoed"));
    assert!(ev.iter().any(|e| e.kind == "burn"));
    let t = task(&s, id);
    assert_eq!(
        (t.state, t.reason),
        (pb::TaskState::Vetoed as i32, pb::Reason::Vetoed as i32)
    );
    assert_eq!(bal(&s, 5), five + POOL);
    assert_eq!(crate::tests::supply(&s), supply - MIN_DEPOSIT);
    assert_eq!(module_bal(&s), 0);
    assert_reconciles(&s);
}

#[test]
fn an_expired_deposit_period_refunds_pool_and_deposits() {
    let mut s = store();
    let (five, six) = (bal(&s, 5), bal(&s, 6));
    let id = propose(&mut s, 3, 5, 100);
    exec_at(&mut s, 4, deposit_msg(id, 6, 200)).unwrap();
    assert_reconciles(&s);
    assert!(end_block_at(&mut s, 3 + DEPOSIT_PERIOD - 1).is_empty());
    // The last block of the deposit period still takes deposits.
    exec_at(&mut s, 3 + DEPOSIT_PERIOD, deposit_msg(id, 6, 1)).unwrap();
    let ev = end_block_at(&mut s, 3 + DEPOSIT_PERIOD);
    assert!(ev
        .iter()
        .any(|e| e.kind == "deai.task.v1.EventTaskRejected"));
    let t = task(&s, id);
    assert_eq!(
        (t.state, t.reason),
        (
            pb::TaskState::Rejected as i32,
            pb::Reason::DepositExpired as i32
        )
    );
    assert_eq!((bal(&s, 5), bal(&s, 6), module_bal(&s)), (five, six, 0));
    let r = exec_at(&mut s, 3 + DEPOSIT_PERIOD + 1, deposit_msg(id, 6, 1));
    assert_eq!(code(r), task_err(ERR_NOT_IN_DEPOSIT_PERIOD));
    assert_reconciles(&s);
}

#[test]
fn on_attested_ignores_what_it_does_not_know() {
    let mut s = store();
    let (id, _) = voting(&mut s);
    let good = outcome(&s, id, Some(HASH));
    let before = task(&s, id);
    let mut other = good.clone();
    other.requester = "compute".into();
    report(&mut s, 5, &other);
    let mut unknown = good.clone();
    unknown.subject_id = 77;
    report(&mut s, 5, &unknown);
    let mut wrong_job = good.clone();
    wrong_job.id += 100;
    report(&mut s, 5, &wrong_job);
    let mut pending = good.clone();
    pending.state = deai_proto::attest::v1::JobState::Pending as i32;
    report(&mut s, 5, &pending);
    assert_eq!(task(&s, id), before);
    // A settled job without a 32-byte hash counts as failed.
    let mut short = good.clone();
    short.result_hash = vec![1, 2];
    report(&mut s, 5, &short);
    assert_eq!(
        task(&s, id).attestation,
        pb::AttestationStatus::Failed as i32
    );
    // And the first outcome stands.
    report(&mut s, 6, &good);
    assert_eq!(
        task(&s, id).attestation,
        pb::AttestationStatus::Failed as i32
    );
}

#[test]
fn a_launch_the_training_module_refuses_is_rejected_and_refunded() {
    let mut s = store();
    let before = bal(&s, 5);
    let (id, end) = voting(&mut s);
    let j = outcome(&s, id, Some(HASH));
    report(&mut s, 4, &j);
    exec_at(&mut s, 6, vote_msg(id, 1, Yes)).unwrap();
    // The training params changed meanwhile: pools must now be larger.
    let mut p = s.training_params().unwrap().to_proto();
    p.min_reward_pool = Some(coin(POOL + 1));
    exec_at(
        &mut s,
        7,
        deai_proto::training::v1::MsgUpdateParams {
            authority: Address::module("gov").to_bech32(),
            params: Some(p),
        },
    )
    .unwrap();
    end_block_at(&mut s, end);
    let t = task(&s, id);
    assert_eq!(
        (t.state, t.reason),
        (
            pb::TaskState::Rejected as i32,
            pb::Reason::LaunchFailed as i32
        )
    );
    assert!(t.detail.contains("training"), "{}", t.detail);
    assert_eq!((bal(&s, 5), module_bal(&s)), (before, 0));
    assert!(TrainingRead::get_task(&s, 1).unwrap().is_none());
    assert_reconciles(&s);
}

#[test]
fn queries_list_by_state_and_show_the_attestation_job() {
    let mut s = store();
    let a = propose(&mut s, 3, 5, MIN_DEPOSIT);
    let b = propose(&mut s, 3, 6, 10);
    let c = propose(&mut s, 3, 7, MIN_DEPOSIT);
    let ids = |state: pb::TaskState| -> Vec<u64> {
        let r: pb::QueryTasksResponse = query(
            &s,
            "/deai.task.v1.Query/Tasks",
            pb::QueryTasksRequest {
                state: state as i32,
                pagination: None,
            },
        )
        .unwrap();
        r.tasks.iter().map(|t| t.id).collect()
    };
    assert_eq!(ids(pb::TaskState::Unspecified), vec![a, b, c]);
    assert_eq!(ids(pb::TaskState::Verifying), vec![a, c]);
    assert_eq!(ids(pb::TaskState::Deposit), vec![b]);
    let r: pb::QueryTaskResponse = query(
        &s,
        "/deai.task.v1.Query/Task",
        pb::QueryTaskRequest { id: a },
    )
    .unwrap();
    assert_eq!(r.task.unwrap().spec, Some(spec()));
    let e = query::<_, pb::QueryTaskResponse>(
        &s,
        "/deai.task.v1.Query/Task",
        pb::QueryTaskRequest { id: 9 },
    );
    assert!(e.unwrap_err().log.contains("task 9 not found"));
    let r: pb::QueryAttestationsResponse = query(
        &s,
        "/deai.task.v1.Query/Attestations",
        pb::QueryAttestationsRequest { task_id: c },
    )
    .unwrap();
    let job = r.job.unwrap();
    assert_eq!((job.id, job.subject_id), (task(&s, c).attest_job_id, c));
    assert!(r.attestations.is_empty());
    let r: pb::QueryAttestationsResponse = query(
        &s,
        "/deai.task.v1.Query/Attestations",
        pb::QueryAttestationsRequest { task_id: b },
    )
    .unwrap();
    assert!(r.job.is_none());
    assert_reconciles(&s);
}

#[test]
fn genesis_round_trips_open_tasks_and_refuses_a_wrong_escrow() {
    let mut s = store();
    let a = propose(&mut s, 3, 5, MIN_DEPOSIT);
    let b = propose(&mut s, 3, 6, 10);
    exec_at(&mut s, 4, deposit_msg(b, 7, 20)).unwrap();
    exec_at(&mut s, 4, vote_msg(a, 1, Yes)).unwrap();
    exec_at(&mut s, 4, vote_msg(a, 3, No)).unwrap();
    assert_reconciles(&s);
    let mut app = testing::export_all(&modules(), &s);
    let g2 = testing::try_init_all(&modules(), &app).unwrap();
    assert_eq!(g2.task_counts(a).unwrap(), (2, 1));
    assert_eq!(g2.task_counts(b).unwrap(), (0, 2));
    // The queues came back: the tally and the expiry run on the imported state.
    let mut g2 = g2;
    end_block_at(&mut g2, 3 + DEPOSIT_PERIOD);
    assert_eq!(task(&g2, b).state, pb::TaskState::Rejected as i32);
    end_block_at(&mut g2, 3 + VOTING);
    assert_eq!(task(&g2, a).state, pb::TaskState::Rejected as i32);
    assert_reconciles(&g2);
    // A deposit the module account does not hold.
    app["task"]["deposits"][0]["amount"][0]["amount"] = serde_json::json!("999999");
    let e = testing::try_init_all(&modules(), &app).unwrap_err();
    assert_eq!((e.codespace, e.code), task_err(ERR_INVALID_GENESIS));
}

#[test]
fn bad_deposits_are_refused_and_transitions_emit_typed_events() {
    let mut s = store();
    let ev = exec_at(&mut s, 3, propose_msg(5, 10)).unwrap();
    let kinds: Vec<&str> = ev.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"deai.task.v1.EventTaskProposed"));
    assert!(kinds.contains(&"deai.task.v1.EventTaskDeposited"));
    assert!(!kinds.contains(&"deai.task.v1.EventVotingStarted"));
    let id = 1;
    let mut m = deposit_msg(id, 6, 5);
    m.amount = vec![testing::proto_coin(5, "uatom")];
    let e = exec_at(&mut s, 4, m).unwrap_err();
    assert_eq!((e.codespace, e.code), task_err(ERR_INVALID_DEPOSIT));
    assert!(e.log.contains("uatom is not a deposit denom"), "{}", e.log);
    let mut m = deposit_msg(id, 6, 5);
    m.amount = vec![];
    assert_eq!(code(exec_at(&mut s, 4, m)), task_err(ERR_INVALID_DEPOSIT));
    let mut m = deposit_msg(id, 6, 5);
    m.depositor = Address::module(MODULE_ACCOUNT).to_bech32();
    let e = exec_at(&mut s, 4, m).unwrap_err();
    assert!(e.log.contains("module account"), "{}", e.log);
    assert_eq!(
        code(exec_at(&mut s, 4, deposit_msg(9, 6, 5))),
        task_err(ERR_TASK_NOT_FOUND)
    );
    // More than the depositor holds: bank's error, nothing written.
    let e = exec_at(&mut s, 4, deposit_msg(id, 6, FUNDS + 1)).unwrap_err();
    assert_eq!(e.codespace, "sdk");
    let ev = exec_at(&mut s, 5, deposit_msg(id, 6, MIN_DEPOSIT)).unwrap();
    assert!(ev
        .iter()
        .any(|e| e.kind == "deai.task.v1.EventVotingStarted"));
    assert!(ev
        .iter()
        .any(|e| e.kind == "deai.attest.v1.EventJobRequested"));
    let ev = exec_at(&mut s, 6, vote_msg(id, 1, Yes)).unwrap();
    assert!(ev.iter().any(|e| e.kind == "deai.task.v1.EventTaskVoted"));
    let j = outcome(&s, id, Some(HASH));
    let gas = deai_framework::GasMeter::infinite();
    let b = testing::block(7);
    let mut ctx = deai_framework::Ctx::new(&s, &gas, &b);
    on_attested(&mut ctx, &j).unwrap();
    let (_, ev) = ctx.finish();
    assert!(ev
        .iter()
        .any(|e| e.kind == "deai.task.v1.EventTaskAttested"));
    assert_eq!(task(&s, id).total_deposit, vec![coin(10 + MIN_DEPOSIT)]);
    assert_reconciles(&s);
}

#[test]
fn a_code_check_too_large_for_attest_is_refused_at_the_proposal() {
    let mut s = store();
    let p = deai_proto::attest::v1::Params {
        attestation_window: 15,
        max_pending_jobs: 8,
        disagreement_slash_fraction: "0.01".into(),
        max_spec_bytes: 200,
    };
    exec_at(
        &mut s,
        2,
        deai_proto::attest::v1::MsgUpdateParams {
            authority: Address::module("gov").to_bech32(),
            params: Some(p),
        },
    )
    .unwrap();
    // Refused even without the deposit (it would be refused when voting starts).
    let e = exec_at(&mut s, 3, propose_msg(5, 0)).unwrap_err();
    assert_eq!((e.codespace, e.code), task_err(ERR_INVALID_PROPOSAL));
    assert!(
        e.log.contains("attest module takes at most 200"),
        "{}",
        e.log
    );
    assert_eq!(module_bal(&s), 0);
}
