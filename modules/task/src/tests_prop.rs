//! Property: under any sequence of proposals, deposits, votes, code-check outcomes and end
//! blocks, no token is created or lost: the module account holds exactly the pools and
//! deposits of the open tasks, the supply falls by exactly what the `burn` events say
//! (vetoed deposits), and every udeai stays with a user, the task or training module
//! account or the staking pools.

use proptest::prelude::*;

use deai_bank::BankRead;
use deai_framework::{Event, MemStore};
use deai_proto::task::v1 as pb;

use crate::tests::*;
use crate::*;

#[derive(Clone, Debug)]
enum Op {
    Propose { who: u8, deposit: u128 },
    Deposit { id: u64, who: u8, amount: u128 },
    Vote { id: u64, who: u8, option: i32 },
    Attest { id: u64, settled: bool },
    EndBlock { dh: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (4u8..=8, 0u128..1500).prop_map(|(who, deposit)| Op::Propose { who, deposit }),
        (1u64..=6, 4u8..=8, 1u128..800).prop_map(|(id, who, amount)| Op::Deposit {
            id,
            who,
            amount
        }),
        (1u64..=6, 1u8..=8, 0i32..=4).prop_map(|(id, who, option)| Op::Vote { id, who, option }),
        (1u64..=6, proptest::bool::ANY).prop_map(|(id, settled)| Op::Attest { id, settled }),
        (0u64..12).prop_map(|dh| Op::EndBlock { dh }),
    ]
}

fn burned(events: &[Event]) -> u128 {
    events
        .iter()
        .filter(|e| e.kind == "burn")
        .flat_map(|e| e.attributes.iter())
        .filter(|(k, _)| k == "amount")
        .map(|(_, v)| v.trim_end_matches("udeai").parse::<u128>().unwrap())
        .sum()
}

fn open_escrow(s: &MemStore) -> u128 {
    let next = s.next_task_id().unwrap();
    (1..next)
        .map(|id| s.task_record(id).unwrap().unwrap())
        .filter(|t| {
            t.state == pb::TaskState::Deposit as i32 || t.state == pb::TaskState::Verifying as i32
        })
        .flat_map(|t| t.reward_pool.into_iter().chain(t.total_deposit))
        .map(|c| c.amount.parse::<u128>().unwrap())
        .sum()
}

fn held_everywhere(s: &MemStore) -> u128 {
    let users: u128 = (1..=9u8).map(|u| bal(s, u)).sum();
    let modules: u128 = [
        MODULE_ACCOUNT,
        deai_training::MODULE_ACCOUNT,
        deai_staking::BONDED_POOL,
        deai_staking::NOT_BONDED_POOL,
    ]
    .iter()
    .map(|m| s.module_balance(m, "udeai").unwrap())
    .sum();
    users + modules
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    #[test]
    fn no_sequence_of_messages_creates_or_loses_tokens(ops in prop::collection::vec(op(), 1..50)) {
        let mut s = store();
        let supply0 = supply(&s);
        prop_assert_eq!(held_everywhere(&s), supply0);
        let mut total_burned = 0u128;
        let mut h = 3u64;
        for op in ops {
            let events = match op {
                Op::Propose { who, deposit } => exec_at(&mut s, h, propose_msg(who, deposit)),
                Op::Deposit { id, who, amount } => exec_at(&mut s, h, deposit_msg(id, who, amount)),
                Op::Vote { id, who, option } => exec_at(
                    &mut s,
                    h,
                    pb::MsgVoteTask { voter: addr(who).to_bech32(), task_id: id, option },
                ),
                Op::Attest { id, settled } => {
                    if s.task_record(id).unwrap().is_some_and(|t| t.attest_job_id != 0) {
                        let job = outcome(&s, id, settled.then_some([3; 32]));
                        report(&mut s, h, &job);
                    }
                    Ok(vec![])
                }
                Op::EndBlock { dh } => {
                    h += dh;
                    Ok(end_block_at(&mut s, h))
                }
            };
            if let Ok(ev) = events {
                total_burned += burned(&ev);
            }
            prop_assert_eq!(supply(&s), supply0 - total_burned);
            prop_assert_eq!(module_bal(&s), open_escrow(&s));
            prop_assert_eq!(held_everywhere(&s), supply(&s));
        }
        // Everything ends: whatever is left is launched, refunded or burned.
        for _ in 0..4 {
            h += VOTING + DEPOSIT_PERIOD;
            total_burned += burned(&end_block_at(&mut s, h));
        }
        prop_assert_eq!(module_bal(&s), 0);
        prop_assert_eq!(supply(&s), supply0 - total_burned);
        prop_assert_eq!(held_everywhere(&s), supply(&s));
        assert_reconciles(&s);
    }
}
