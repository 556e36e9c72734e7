//! Random message sequences never create or destroy coins, and the module account always
//! holds exactly Σ pools + Σ stakes + Σ unbonding + Σ pending audit bonds. The generator
//! acts in the phase the chain is in (so most messages succeed) and perturbs the rest.

use deai_bank::BankRead;
use deai_framework::MemStore;
use deai_proto::training::v1 as pb;
use proptest::prelude::*;

use crate::phases::{phase_at, Phase};
use crate::tests::*;
use crate::tests_rounds::*;
use crate::*;

#[derive(Clone, Debug)]
enum Op {
    Advance(u64),
    /// The phase's action of a user (commit or reveal an update or weights).
    Act(u8, u16, u16),
    /// Every user does the phase's action.
    ActAll,
    Register(u8, bool, u128),
    AddStake(u8, u128),
    RemoveStake(u8, u128),
    SubmitAggregate(bool),
    OpenAudit(u8, u32, bool),
    SubmitAudit(bool, bool),
}

fn op() -> impl Strategy<Value = Op> {
    let user = 1u8..=7;
    prop_oneof![
        3 => (1u64..5).prop_map(Op::Advance),
        3 => (user.clone(), 0u16..6, 0u16..100).prop_map(|(u, a, b)| Op::Act(u, a, b)),
        8 => Just(Op::ActAll),
        1 => (6u8..=7, any::<bool>(), 0u128..3_000).prop_map(|(u, v, x)| Op::Register(u, v, x)),
        1 => (user.clone(), 1u128..2_000).prop_map(|(u, a)| Op::AddStake(u, a)),
        1 => (user.clone(), 1u128..3_000).prop_map(|(u, a)| Op::RemoveStake(u, a)),
        3 => any::<bool>().prop_map(Op::SubmitAggregate),
        2 => (4u8..=6, 0u32..6, any::<bool>()).prop_map(|(u, i, b)| Op::OpenAudit(u, i, b)),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(r, l)| Op::SubmitAudit(r, l)),
    ]
}

fn small_spec() -> pb::TaskSpec {
    let mut sp = spec();
    sp.tempo = 12;
    sp.reveal_window = 2;
    sp.aggregate_window = 2;
    sp.max_neurons = 6;
    sp.emission_per_tempo = Some(coin(100_000));
    sp
}

fn act(s: &mut MemStore, now: u64, task: &pb::Task, u: u8, a: u16, b: u16) -> bool {
    let sp = task.spec.clone().unwrap_or_default();
    let (id, r) = (task.id, task.round);
    // (a, b) = (0, 0) stands for the round's row, the one ActAll commits and reveals.
    let row = if (a, b) == (0, 0) {
        [((r % 3) as u16, 60), (((r + 1) % 3) as u16, 30)]
    } else {
        [(a, b), ((a + 1) % 6, 100 - b)]
    };
    let res = match phase_at(&sp, task.round_start, now) {
        Phase::CommitUpdates => exec_at(s, now, commit_update_msg(u, id, r)),
        Phase::RevealUpdates => exec_at(s, now, reveal_update_msg(u, id, r)),
        Phase::CommitWeights => exec_at(s, now, commit_weights_msg(u, id, r, &row)),
        Phase::RevealWeights => exec_at(s, now, reveal_weights_msg(u, id, r, &row)),
        _ => return false,
    };
    res.is_ok()
}

fn apply(s: &mut MemStore, h: &mut u64, task: u64, op: &Op) -> bool {
    let t = get_task(s, task);
    let r = t.round;
    let now = *h;
    let res = match op {
        Op::Advance(k) => {
            for _ in 0..*k {
                if k % 2 == 1 {
                    apply(s, h, task, &Op::SubmitAggregate(true));
                }
                end_block_at(s, *h);
                *h += 1;
            }
            Ok(vec![])
        }
        Op::Act(u, a, b) => return act(s, now, &t, *u, *a, *b),
        Op::ActAll => {
            let mut any = false;
            for u in 1..=7 {
                any |= act(s, now, &t, u, 0, 0);
            }
            return any;
        }
        Op::Register(u, v, x) => {
            let role = if *v {
                pb::Role::Validator
            } else {
                pb::Role::Trainer
            };
            exec_at(s, now, register_msg(*u, task, role, MIN_STAKE + x))
        }
        Op::AddStake(u, a) => exec_at(
            s,
            now,
            pb::MsgAddStake {
                owner: addr(*u).to_bech32(),
                task_id: task,
                amount: Some(coin(*a)),
            },
        ),
        Op::RemoveStake(u, a) => exec_at(
            s,
            now,
            pb::MsgRemoveStake {
                owner: addr(*u).to_bech32(),
                task_id: task,
                amount: Some(coin(*a)),
            },
        ),
        Op::SubmitAggregate(real) => {
            let prev = s.get_round(task, r.saturating_sub(1)).unwrap().unwrap();
            let who = if *real {
                prev.aggregator
            } else {
                addr(4).to_bech32()
            };
            if who.is_empty() {
                return false;
            }
            exec_at(
                s,
                now,
                pb::MsgSubmitAggregate {
                    aggregator: who,
                    task_id: task,
                    round: prev.round,
                    aggregate_hash: vec![0xa6; 32],
                    uri: "https://a.example/x".into(),
                },
            )
        }
        Op::OpenAudit(u, uid, agg) => {
            let target = if *agg {
                pb::AuditTarget::Aggregate
            } else {
                pb::AuditTarget::Update
            };
            let round = r.saturating_sub(1);
            exec_at(
                s,
                now,
                pb::MsgOpenAudit {
                    auditor: addr(*u).to_bech32(),
                    task_id: task,
                    round,
                    target: target as i32,
                    accused_uid: *uid,
                },
            )
        }
        Op::SubmitAudit(real, lie) => {
            let id = s.sequence(AUDIT_SEQ).unwrap().saturating_sub(1);
            let Some(a) = s.get_audit(id).unwrap() else {
                return false;
            };
            let answer = if *lie {
                vec![0xee; 32]
            } else {
                a.claim
                    .get(a.segment as usize + 1)
                    .cloned()
                    .unwrap_or_default()
            };
            let referee = if *real {
                a.referee.clone()
            } else {
                addr(1).to_bech32()
            };
            exec_at(
                s,
                now,
                pb::MsgSubmitAudit {
                    referee,
                    audit_id: id,
                    answer,
                },
            )
        }
    };
    res.is_ok()
}

fn total(s: &MemStore) -> u128 {
    let users: u128 = (1..=9u8).map(|u| balance(s, u)).sum();
    users + s.module_balance(MODULE_ACCOUNT, "udeai").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_conserve_coins(ops in proptest::collection::vec(op(), 1..150)) {
        let mut s = store();
        let supply = s.supply_of("udeai").unwrap();
        let r: pb::MsgCreateTaskResponse =
            exec_resp(&mut s, 10, create_msg(8, small_spec(), POOL)).unwrap();
        let task = r.task_id;
        for (u, v) in [(1, false), (2, false), (3, false), (4, true), (5, true)] {
            let role = if v { pb::Role::Validator } else { pb::Role::Trainer };
            register(&mut s, 10, u, task, role);
        }
        let all = total(&s);
        let mut h = 10;
        for op in &ops {
            apply(&mut s, &mut h, task, op);
            prop_assert_eq!(total(&s), all);
            prop_assert_eq!(s.supply_of("udeai").unwrap(), supply);
            assert_reconciles(&s);
        }
        let exported = export_all(&s);
        prop_assert_eq!(export_all(&init_all(&exported)), exported);
    }
}
