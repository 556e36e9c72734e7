//! Audits: upheld (slash, jail, auditor's share, pool), rejected (bond to the accused),
//! abandoned (referees redrawn, bond refunded), and their rejections.

use deai_framework::MemStore;
use deai_proto::training::v1 as pb;

use crate::tests::*;
use crate::tests_rounds::*;
use crate::*;

const BOND: u128 = 1_000_000;

/// Task 1 with trainers 1, 2 (uids 0, 1) and validators 4, 5, 6 (uids 2, 3, 4); round 0
/// played (both trainers revealed), round 1 in progress from height 30.
fn setup() -> (MemStore, u64) {
    let mut s = store();
    let task = create_task_at(&mut s, 10);
    for (o, r) in [
        (1, pb::Role::Trainer),
        (2, pb::Role::Trainer),
        (4, pb::Role::Validator),
        (5, pb::Role::Validator),
        (6, pb::Role::Validator),
    ] {
        register(&mut s, 10, o, task, r);
    }
    play_round(
        &mut s,
        task,
        0,
        10,
        &[1, 2],
        &[],
        &[4, 5, 6],
        &[(0, 1), (1, 1)],
    );
    (s, task)
}

fn open_msg(
    auditor: u8,
    task: u64,
    round: u64,
    target: pb::AuditTarget,
    uid: u32,
) -> pb::MsgOpenAudit {
    pb::MsgOpenAudit {
        auditor: addr(auditor).to_bech32(),
        task_id: task,
        round,
        target: target as i32,
        accused_uid: uid,
    }
}

fn submit_msg(referee: &str, id: u64, answer: Vec<u8>) -> pb::MsgSubmitAudit {
    pb::MsgSubmitAudit {
        referee: referee.to_string(),
        audit_id: id,
        answer,
    }
}

fn user_of(bech: &str) -> u8 {
    (1..=9u8).find(|u| addr(*u).to_bech32() == bech).unwrap()
}

#[test]
fn an_upheld_audit_slashes_jails_and_pays_the_auditor() {
    let (mut s, task) = setup();
    let before_auditor = balance(&s, 4);
    let pool_before = pool_of(&s, task);
    let r: pb::MsgOpenAuditResponse =
        exec_resp(&mut s, 31, open_msg(4, task, 0, pb::AuditTarget::Update, 0)).unwrap();
    // Judged at the last index of the claim (2 checkpoints + the update hash): the update hash.
    assert_eq!(r.segment, 1);
    let referee = user_of(&r.referee);
    assert!([5, 6].contains(&referee));
    assert_eq!(balance(&s, 4), before_auditor - BOND);
    assert_eq!(s.neuron_of(task, &addr(1)).unwrap().unwrap().open_audits, 1);
    assert_reconciles(&s);
    // While accused, the stake stays.
    assert_eq!(
        code(exec_at(
            &mut s,
            32,
            pb::MsgRemoveStake {
                owner: addr(1).to_bech32(),
                task_id: task,
                amount: Some(coin(MIN_STAKE)),
            }
        )),
        training(ERR_ACCUSED_IN_OPEN_AUDIT)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            32,
            open_msg(5, task, 0, pb::AuditTarget::Update, 0)
        )),
        training(ERR_AUDIT_EXISTS)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            32,
            submit_msg(&addr(4).to_bech32(), r.audit_id, vec![0xee; 32])
        )),
        training(ERR_NOT_REFEREE)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            32,
            submit_msg(&r.referee, r.audit_id, vec![0xee; 3])
        )),
        training(ERR_BAD_HASH_LENGTH)
    );
    // The referee's replay disagrees with the claim: upheld.
    let resp: pb::MsgSubmitAuditResponse = exec_resp(
        &mut s,
        33,
        submit_msg(&r.referee, r.audit_id, vec![0xee; 32]),
    )
    .unwrap();
    assert_eq!(resp.state, pb::AuditState::Upheld as i32);
    let n = s.neuron_of(task, &addr(1)).unwrap().unwrap();
    assert!(n.jailed);
    assert_eq!(n.open_audits, 0);
    // 10% of 1000 slashed: half to the auditor, half to the pool; the bond back.
    assert_eq!(n.stake.unwrap().amount, (MIN_STAKE - 100).to_string());
    assert_eq!(balance(&s, 4), before_auditor + 50);
    assert_eq!(pool_of(&s, task), pool_before + 50);
    assert_reconciles(&s);
    assert_eq!(
        code(exec_at(
            &mut s,
            34,
            submit_msg(&r.referee, r.audit_id, vec![])
        )),
        training(ERR_AUDIT_NOT_PENDING)
    );
    // Jailed: no further commits.
    assert_eq!(
        code(exec_at(&mut s, 34, commit_update_msg(1, task, 1))),
        training(ERR_JAILED)
    );
    let q: pb::QueryAuditsResponse = query(
        &s,
        "/deai.training.v1.Query/Audits",
        pb::QueryAuditsRequest {
            task_id: task,
            referee: r.referee.clone(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(q.audits.len(), 1);
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
}

#[test]
fn slashing_reaches_unbonding_stake() {
    let (mut s, task) = setup();
    // Trainer 2 starts unbonding part of its stake before it is accused.
    exec_at(
        &mut s,
        30,
        pb::MsgAddStake {
            owner: addr(2).to_bech32(),
            task_id: task,
            amount: Some(coin(1_000)),
        },
    )
    .unwrap();
    exec_at(
        &mut s,
        30,
        pb::MsgRemoveStake {
            owner: addr(2).to_bech32(),
            task_id: task,
            amount: Some(coin(1_000)),
        },
    )
    .unwrap();
    let mut p = Params::default().to_proto();
    p.slash_fraction = "0.6".into();
    exec_at(
        &mut s,
        30,
        pb::MsgUpdateParams {
            authority: addr(AUTHORITY).to_bech32(),
            params: Some(p),
        },
    )
    .unwrap();
    let r: pb::MsgOpenAuditResponse =
        exec_resp(&mut s, 31, open_msg(4, task, 0, pb::AuditTarget::Update, 1)).unwrap();
    exec_at(
        &mut s,
        33,
        submit_msg(&r.referee, r.audit_id, vec![0xee; 32]),
    )
    .unwrap();
    // 60% of 2000 = 1200: the bonded 1000, then 200 of the unbonding entry.
    let n = s.neuron_of(task, &addr(2)).unwrap().unwrap();
    assert_eq!(n.stake.unwrap().amount, "0");
    let e = s.unbondings_of_neuron(task, &addr(2)).unwrap();
    assert_eq!(e[0].amount.clone().unwrap().amount, "800");
    assert_reconciles(&s);
}

#[test]
fn a_rejected_audit_pays_the_bond_to_the_accused() {
    let (mut s, task) = setup();
    let before = balance(&s, 1);
    let r: pb::MsgOpenAuditResponse =
        exec_resp(&mut s, 31, open_msg(4, task, 0, pb::AuditTarget::Update, 0)).unwrap();
    let claim = s.get_audit(r.audit_id).unwrap().unwrap().claim;
    let right = claim[r.segment as usize + 1].clone();
    let resp: pb::MsgSubmitAuditResponse =
        exec_resp(&mut s, 33, submit_msg(&r.referee, r.audit_id, right)).unwrap();
    assert_eq!(resp.state, pb::AuditState::Rejected as i32);
    assert_eq!(balance(&s, 1), before + BOND);
    let n = s.neuron_of(task, &addr(1)).unwrap().unwrap();
    assert!(!n.jailed && n.open_audits == 0);
    assert_reconciles(&s);
}

#[test]
fn silent_referees_are_replaced_then_the_audit_is_abandoned() {
    let (mut s, task) = setup();
    let before = balance(&s, 4);
    let r: pb::MsgOpenAuditResponse =
        exec_resp(&mut s, 31, open_msg(4, task, 0, pb::AuditTarget::Update, 0)).unwrap();
    let deadline = s.get_audit(r.audit_id).unwrap().unwrap().deadline;
    assert_eq!(deadline, 81);
    let events = blocks(&mut s, 31, 81);
    assert!(events
        .iter()
        .any(|e| e.kind == "deai.training.v1.EventAuditReassigned"));
    let a = s.get_audit(r.audit_id).unwrap().unwrap();
    assert_eq!((a.draws, a.deadline), (2, 131));
    assert_ne!(a.referee, r.referee);
    blocks(&mut s, 82, 181);
    let a = s.get_audit(r.audit_id).unwrap().unwrap();
    assert_eq!(a.state, pb::AuditState::Abandoned as i32);
    // Emission may have paid validator 4 meanwhile; the bond came back on top of it.
    assert!(balance(&s, 4) >= before);
    assert_eq!(s.neuron_of(task, &addr(1)).unwrap().unwrap().open_audits, 0);
    assert_reconciles(&s);
}

#[test]
fn open_audit_rejections() {
    let (mut s, task) = setup();
    assert_eq!(
        code(exec_at(
            &mut s,
            31,
            open_msg(1, task, 0, pb::AuditTarget::Update, 1)
        )),
        training(ERR_WRONG_ROLE)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            31,
            open_msg(3, task, 0, pb::AuditTarget::Update, 1)
        )),
        training(ERR_NOT_REGISTERED)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            31,
            open_msg(4, task, 0, pb::AuditTarget::Update, 2)
        )),
        training(ERR_BAD_AUDIT)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            31,
            open_msg(4, task, 0, pb::AuditTarget::Unspecified, 0)
        )),
        training(ERR_BAD_AUDIT)
    );
    // Round 0's aggregate was carried forward (no inputs): nothing to audit.
    assert_eq!(
        code(exec_at(
            &mut s,
            31,
            open_msg(4, task, 0, pb::AuditTarget::Aggregate, 2)
        )),
        training(ERR_BAD_AUDIT)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            31,
            open_msg(4, task, 9, pb::AuditTarget::Update, 0)
        )),
        training(ERR_ROUND_NOT_FOUND)
    );
    assert_reconciles(&s);
}

#[test]
fn an_aggregate_is_audited_against_the_fedavg() {
    let (mut s, task) = setup();
    play_round(
        &mut s,
        task,
        1,
        30,
        &[1, 2],
        &[],
        &[4, 5, 6],
        &[(0, 2), (1, 1)],
    );
    let r1 = s.get_round(task, 1).unwrap().unwrap();
    let aggregator = user_of(&r1.aggregator);
    exec_at(
        &mut s,
        50,
        pb::MsgSubmitAggregate {
            aggregator: r1.aggregator.clone(),
            task_id: task,
            round: 1,
            aggregate_hash: vec![0xa6; 32],
            uri: "https://agg.example/r1".into(),
        },
    )
    .unwrap();
    let auditor = [4u8, 5, 6].into_iter().find(|v| *v != aggregator).unwrap();
    let uid = s.uid_of(task, &addr(aggregator)).unwrap().unwrap();
    let r: pb::MsgOpenAuditResponse = exec_resp(
        &mut s,
        51,
        open_msg(auditor, task, 1, pb::AuditTarget::Aggregate, uid),
    )
    .unwrap();
    assert_eq!(r.segment, 0);
    assert!(![auditor, aggregator].contains(&user_of(&r.referee)));
    let resp: pb::MsgSubmitAuditResponse = exec_resp(
        &mut s,
        52,
        submit_msg(&r.referee, r.audit_id, vec![0xa6; 32]),
    )
    .unwrap();
    assert_eq!(resp.state, pb::AuditState::Rejected as i32);
    assert_reconciles(&s);
}

#[test]
fn a_trainer_that_left_is_still_slashed_from_its_unbonding_stake_and_stays_out() {
    let (mut s, task) = setup();
    // Trainer 2 (uid 1) leaves right after being paid for round 0.
    exec_at(
        &mut s,
        30,
        pb::MsgRemoveStake {
            owner: addr(2).to_bech32(),
            task_id: task,
            amount: Some(coin(MIN_STAKE)),
        },
    )
    .unwrap();
    assert!(s.neuron_of(task, &addr(2)).unwrap().is_none());
    // Its stake unbonds past the audit horizon, not after unbonding_blocks alone.
    let e = s.unbondings_of_neuron(task, &addr(2)).unwrap();
    let p = Params::default();
    assert_eq!(
        e[0].completes_at,
        30 + p
            .unbonding_blocks
            .max(2 * spec().tempo + p.audit_window * u64::from(p.max_audit_draws))
    );
    // Its round-0 update is still accused, by address.
    let r: pb::MsgOpenAuditResponse =
        exec_resp(&mut s, 31, open_msg(4, task, 0, pb::AuditTarget::Update, 1)).unwrap();
    let a = s.get_audit(r.audit_id).unwrap().unwrap();
    assert_eq!(a.accused, addr(2).to_bech32());
    exec_at(
        &mut s,
        33,
        submit_msg(&r.referee, r.audit_id, vec![0xee; 32]),
    )
    .unwrap();
    // slash_fraction (0.1) of the unbonding 1000.
    let e = s.unbondings_of_neuron(task, &addr(2)).unwrap();
    assert_eq!(e[0].amount.clone().unwrap().amount, "900");
    assert_reconciles(&s);
}

#[test]
fn a_jailed_neuron_keeps_its_record_when_its_stake_leaves() {
    let (mut s, task) = setup();
    let r: pb::MsgOpenAuditResponse =
        exec_resp(&mut s, 31, open_msg(4, task, 0, pb::AuditTarget::Update, 0)).unwrap();
    exec_at(
        &mut s,
        32,
        submit_msg(&r.referee, r.audit_id, vec![0xee; 32]),
    )
    .unwrap();
    let n = s.neuron_of(task, &addr(1)).unwrap().unwrap();
    assert!(n.jailed);
    let left: u128 = n.stake.unwrap().amount.parse().unwrap();
    exec_at(
        &mut s,
        33,
        pb::MsgRemoveStake {
            owner: addr(1).to_bech32(),
            task_id: task,
            amount: Some(coin(left)),
        },
    )
    .unwrap();
    let n = s.neuron_of(task, &addr(1)).unwrap().unwrap();
    assert!(n.jailed && n.stake.unwrap().amount == "0");
    // It cannot register again, unjailed.
    assert_eq!(
        code(exec_at(
            &mut s,
            34,
            register_msg(1, task, pb::Role::Trainer, MIN_STAKE)
        )),
        training(ERR_ALREADY_REGISTERED)
    );
    assert_reconciles(&s);
}
