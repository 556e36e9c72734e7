//! Random sequences of every message, from every account: whatever succeeds or fails, the
//! contract's balance equals bonded + escrowed, the totals match the agents' bonds and the
//! open jobs' escrow, and no coin is created or lost. (A seeded generator, no extra crate.)

mod common;

use agent_marketplace::msg::{AgentsResponse, DisputeWinner, ExecuteMsg, JobsResponse, QueryMsg};
use agent_marketplace::state::JobStatus;
use common::*;
use cosmwasm_std::Addr;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn check_totals(s: &Suite) {
    let agents: AgentsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.contract,
            &QueryMsg::Agents {
                start_after: None,
                limit: Some(30),
            },
        )
        .unwrap();
    let bonded: u128 = agents.agents.iter().map(|a| a.agent.bond.u128()).sum();
    let mut escrowed = 0u128;
    for who in [&s.client, &s.client2, &s.agent, &s.agent2, &s.arbiter] {
        let mut start = None;
        loop {
            let page: JobsResponse = s
                .app
                .wrap()
                .query_wasm_smart(
                    &s.contract,
                    &QueryMsg::JobsByClient {
                        client: who.to_string(),
                        start_after: start,
                        limit: Some(30),
                    },
                )
                .unwrap();
            if page.jobs.is_empty() {
                break;
            }
            start = page.jobs.last().map(|j| j.id);
            escrowed += page
                .jobs
                .iter()
                .filter(|j| {
                    matches!(
                        j.status,
                        JobStatus::Hired | JobStatus::Delivered | JobStatus::Disputed
                    )
                })
                .map(|j| j.price.u128())
                .sum::<u128>();
        }
    }
    let t = s.totals();
    assert_eq!(t.bonded.u128(), bonded, "bonded total != sum of bonds");
    assert_eq!(
        t.escrowed.u128(),
        escrowed,
        "escrowed total != open jobs' escrow"
    );
}

#[test]
fn random_operations_never_create_or_lose_coins() {
    let mut total = [0u32; 12];
    for seed in 1..=4u64 {
        let mut s = Suite::new();
        let mut rng = Lcg(seed);
        let people: Vec<Addr> = vec![
            s.agent.clone(),
            s.agent2.clone(),
            s.client.clone(),
            s.client2.clone(),
            s.arbiter.clone(),
        ];
        let (mut ok, mut refused) = (0, 0);
        let mut by_action = [0u32; 12];
        for _ in 0..600 {
            let mut who = people[rng.next(people.len() as u64) as usize].clone();
            let other = people[rng.next(people.len() as u64) as usize].clone();
            // Mostly one of the last few jobs (ids are sequential), sometimes one that does not exist.
            let last = u64::from(by_action[1]);
            let job_id = if last == 0 || rng.next(10) == 0 {
                1 + last
            } else {
                last - rng.next(last.min(4))
            };
            // Weighted: registering and deregistering are rarer than the job messages.
            const TABLE: [u64; 20] = [
                0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 11, 11,
            ];
            let action = TABLE[rng.next(20) as usize];
            let other = if action == 1 && rng.next(5) != 0 {
                if rng.next(2) == 0 {
                    s.agent.clone()
                } else {
                    s.agent2.clone()
                }
            } else {
                other
            };
            // The arbiter usually rules on an open dispute.
            let job_id = if action == 5 && rng.next(4) != 0 {
                (1..=last)
                    .rev()
                    .find(|id| {
                        let j: agent_marketplace::state::Job = s
                            .app
                            .wrap()
                            .query_wasm_smart(&s.contract, &QueryMsg::Job { job_id: *id })
                            .unwrap();
                        j.status == JobStatus::Disputed
                    })
                    .unwrap_or(job_id)
            } else {
                job_id
            };
            // Three times in four, a job message comes from the party it is meant for.
            if (2..=8).contains(&action) && rng.next(4) != 0 {
                let job: Option<agent_marketplace::state::Job> = s
                    .app
                    .wrap()
                    .query_wasm_smart(&s.contract, &QueryMsg::Job { job_id })
                    .ok();
                if let Some(j) = job {
                    who = match action {
                        2 | 7 => j.agent,
                        5 => s.arbiter.clone(),
                        _ => j.client,
                    };
                }
            }
            let (msg, funds) = match action {
                0 => {
                    s.register(&who, MIN_BOND + rng.next(2) as u128 * 500)
                        .map(|_| ok += 1)
                        .unwrap_or_else(|_| refused += 1);
                    continue;
                }
                1 => (
                    ExecuteMsg::Hire {
                        agent: other.to_string(),
                        task: "t".into(),
                        delivery_blocks: 1 + rng.next(15),
                    },
                    PRICE,
                ),
                2 => (
                    ExecuteMsg::Deliver {
                        job_id,
                        result_hash: HASH.into(),
                        result_uri: "ipfs://r".into(),
                    },
                    0,
                ),
                3 => (ExecuteMsg::Accept { job_id }, 0),
                4 => (
                    ExecuteMsg::Dispute {
                        job_id,
                        reason: "bad".into(),
                    },
                    0,
                ),
                5 => {
                    let winner = if rng.next(2) == 0 {
                        DisputeWinner::Client
                    } else {
                        DisputeWinner::Agent
                    };
                    (ExecuteMsg::ResolveDispute { job_id, winner }, 0)
                }
                6 => (ExecuteMsg::ReclaimExpired { job_id }, 0),
                7 => (ExecuteMsg::ClaimPayment { job_id }, 0),
                8 => (
                    ExecuteMsg::Rate {
                        job_id,
                        stars: 1 + rng.next(5) as u8,
                    },
                    0,
                ),
                9 => (ExecuteMsg::TopUpBond {}, 1 + rng.next(400) as u128),
                10 => (ExecuteMsg::Deregister {}, 0),
                _ => {
                    s.advance(1 + rng.next(12));
                    continue;
                }
            };
            // Exec asserts reconciliation after every message, successful or not.
            match s.exec(&who, &msg, funds) {
                Ok(_) => {
                    ok += 1;
                    by_action[action as usize] += 1;
                }
                Err(_) => refused += 1,
            }
            check_totals(&s);
        }
        eprintln!("seed {seed}: {ok} ok, {refused} refused, successes by action {by_action:?}");
        for (t, n) in total.iter_mut().zip(by_action) {
            *t += n;
        }
        assert!(
            ok > 20,
            "seed {seed}: only {ok} messages succeeded ({refused} refused)"
        );
    }
    // Every path ran somewhere in the sequences.
    let names = [
        "register",
        "hire",
        "deliver",
        "accept",
        "dispute",
        "resolve",
        "reclaim",
        "claim",
        "rate",
        "top up",
        "deregister",
    ];
    for (i, name) in names.iter().enumerate().skip(1) {
        assert!(total[i] > 0, "no successful {name}: {total:?}");
    }
}
