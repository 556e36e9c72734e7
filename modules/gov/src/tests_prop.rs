//! Property: under any sequence of submissions, deposits, votes, cancellations and end
//! blocks, the gov account holds exactly the recorded deposits, and the supply falls by
//! exactly what the `burn` events say was burned (deposits refunded or burned to the unit).

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use proptest::prelude::*;

use deai_framework::{Event, MemStore};

use crate::tests::*;
use crate::*;

#[derive(Clone, Debug)]
enum Op {
    Submit {
        who: u8,
        amount: u128,
        expedited: bool,
    },
    Deposit {
        id: u64,
        who: u8,
        amount: u128,
    },
    Vote {
        id: u64,
        who: u8,
        option: i32,
    },
    Cancel {
        id: u64,
        who: u8,
    },
    EndBlock {
        dt: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (4u8..=8, 0u128..3000, proptest::bool::ANY).prop_map(|(who, amount, expedited)| {
            Op::Submit {
                who,
                amount,
                expedited,
            }
        }),
        (1u64..=6, 4u8..=8, 1u128..4000).prop_map(|(id, who, amount)| Op::Deposit {
            id,
            who,
            amount
        }),
        (1u64..=6, 1u8..=8, 1i32..=4).prop_map(|(id, who, option)| Op::Vote { id, who, option }),
        (1u64..=6, 4u8..=8).prop_map(|(id, who)| Op::Cancel { id, who }),
        (0i64..80).prop_map(|dt| Op::EndBlock { dt }),
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

fn recorded_deposits(s: &MemStore) -> u128 {
    let next = s.next_proposal_id().unwrap();
    (1..next)
        .flat_map(|id| s.deposits_of(id).unwrap())
        .flat_map(|d| d.amount)
        .map(|c| c.amount.parse::<u128>().unwrap())
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn deposits_refunds_and_burns_reconcile(
        ops in prop::collection::vec(op(), 1..60),
        burn_prevote in proptest::bool::ANY,
        burn_quorum in proptest::bool::ANY,
    ) {
        let mut p = gov_params();
        p["burn_proposal_deposit_prevote"] = burn_prevote.into();
        p["burn_vote_quorum"] = burn_quorum.into();
        let mut s = store_with(p);
        let supply0 = supply(&s);
        let mut total_burned = 0u128;
        let mut t = T0;
        for op in ops {
            let events = match op {
                Op::Submit { who, amount, expedited } => {
                    exec_at(&mut s, t, submit(who, vec![bank_params_msg(false)], amount, expedited))
                }
                Op::Deposit { id, who, amount } => exec_at(&mut s, t, deposit(id, who, amount)),
                Op::Vote { id, who, option } => exec_at(
                    &mut s,
                    t,
                    pb::MsgVote {
                        proposal_id: id,
                        voter: addr(who).to_bech32(),
                        option,
                        metadata: String::new(),
                    },
                ),
                Op::Cancel { id, who } => exec_at(
                    &mut s,
                    t,
                    pb::MsgCancelProposal { proposal_id: id, proposer: addr(who).to_bech32() },
                ),
                Op::EndBlock { dt } => {
                    t += dt;
                    Ok(end_block(&mut s, t))
                }
            };
            if let Ok(ev) = events {
                total_burned += burned(&ev);
            }
            prop_assert_eq!(supply(&s), supply0 - total_burned);
            prop_assert_eq!(gov_bal(&s), recorded_deposits(&s));
        }
        // Everything ends: whatever is left is refunded or burned.
        for _ in 0..4 {
            t += 200;
            total_burned += burned(&end_block(&mut s, t));
        }
        prop_assert_eq!(gov_bal(&s), 0);
        prop_assert_eq!(supply(&s), supply0 - total_burned);
    }
}
