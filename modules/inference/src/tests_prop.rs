//! Property: any sequence of inference messages (zk, optimistic and redundant requests,
//! honest and lying answers, challenges, proofs, re-executions with the right or a wrong
//! weights file; topics: creation, worker and reputer registration, inferences and
//! ground-truth reports for any epoch, settlements, reputer slashes) and blocks conserves
//! tokens; a refused message changes nothing. After every
//! step the module account holds exactly the stakes, unsettled fees and bonds, and the udeai of all
//! accounts (users, the module account, the community pool) adds up to what genesis minted.

use deai_bank::BankRead;
use deai_framework::MemStore;
use deai_proto::inference::v1 as pb;
use proptest::prelude::*;

use crate::tests::*;
use crate::*;

#[derive(Clone, Debug)]
enum Op {
    Register {
        who: u8,
        stake: u128,
    },
    Unregister {
        who: u8,
    },
    Request {
        who: u8,
        fee: u128,
        deadline: u64,
        x: i64,
        /// 0: zk, 1: optimistic, 2: redundant(2).
        mode: u8,
    },
    /// Challenge the `nth` request (mod the number made).
    Challenge {
        nth: usize,
        who: u8,
    },
    /// Its server answers the dispute with a real proof of the true output.
    Respond {
        nth: usize,
    },
    /// Re-execute with the model's weights, or another model's.
    Adjudicate {
        nth: usize,
        who: u8,
        right: bool,
    },
    /// Answer the `nth` request (mod the number made) honestly, or with a tampered output.
    Submit {
        nth: usize,
        honest: bool,
    },
    Advance {
        blocks: u64,
    },
    Reprice {
        enabled: bool,
    },
    CreateTopic {
        who: u8,
        extra: u128,
        squared: bool,
    },
    /// Register `who` as a worker (or a reputer) of the `nth` topic.
    JoinTopic {
        nth: usize,
        who: u8,
        stake: u128,
        reputer: bool,
    },
    /// `who` submits an inference (or a report) for the `nth` topic, for the epoch the
    /// rules expect (or, when `off` is not 0, that epoch + off).
    Report {
        nth: usize,
        who: u8,
        value: i64,
        reputer: bool,
        off: i8,
    },
    /// A round on the first topic: workers 2 and 3 submit for the current epoch e (2 with
    /// `noise` added), blocks run to the start of epoch e + 1, and reputers 4 and 5 report
    /// for e (5 with `skew` added).
    Round {
        value: i64,
        noise: i64,
        skew: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (2u8..=5, STAKE..3 * STAKE).prop_map(|(who, stake)| Op::Register { who, stake }),
        1 => (2u8..=6).prop_map(|who| Op::Unregister { who }),
        3 => (1u8..=6, 900u128..100_000, 1u64..=8, 0i64..=15, 0u8..3).prop_map(|(who, fee, deadline, x, mode)| {
            Op::Request {
                who,
                fee,
                deadline,
                x,
                mode,
            }
        }),
        2 => (0usize..64, 1u8..=6).prop_map(|(nth, who)| Op::Challenge { nth, who }),
        1 => (0usize..64).prop_map(|nth| Op::Respond { nth }),
        2 => (0usize..64, 1u8..=6, prop::bool::weighted(0.8)).prop_map(|(nth, who, right)| Op::Adjudicate { nth, who, right }),
        2 => (0usize..64, prop::bool::weighted(0.75)).prop_map(|(nth, honest)| Op::Submit { nth, honest }),
        3 => (1u64..=6).prop_map(|blocks| Op::Advance { blocks }),
        1 => any::<bool>().prop_map(|enabled| Op::Reprice { enabled }),
        1 => (1u8..=6, 0u128..1_000, any::<bool>()).prop_map(|(who, extra, squared)| Op::CreateTopic { who, extra, squared }),
        2 => (0usize..4, 1u8..=6, 900_000u128..3_000_000, any::<bool>()).prop_map(|(nth, who, stake, reputer)| Op::JoinTopic { nth, who, stake, reputer }),
        3 => (900i64..1_100, -300i64..300, prop::sample::select(vec![0i64, 5, 200])).prop_map(|(value, noise, skew)| Op::Round { value, noise, skew }),
        6 => (0usize..4, 1u8..=6, 900i64..1_300, any::<bool>(), prop::sample::select(vec![0i8, 0, 0, 0, 1, -1])).prop_map(|(nth, who, value, reputer, off)| Op::Report { nth, who, value, reputer, off }),
    ]
}

/// The `nth` request, among those in `state` when there are any (most of the time).
fn pick(
    s: &MemStore,
    requests: &[(u64, [i64; 4])],
    nth: usize,
    state: pb::RequestState,
) -> Option<(u64, [i64; 4])> {
    let open: Vec<(u64, [i64; 4])> = requests
        .iter()
        .copied()
        .filter(|(id, _)| s.get_request(*id).unwrap().unwrap().state == state as i32)
        .collect();
    let pool = if open.is_empty() || nth.is_multiple_of(5) {
        requests
    } else {
        &open
    };
    pool.get(nth % pool.len().max(1)).copied()
}

fn total_udeai(s: &MemStore) -> u128 {
    USERS.iter().map(|u| balance(s, *u, "udeai")).sum::<u128>()
        + s.module_balance(MODULE_ACCOUNT, "udeai").unwrap()
        + pool(s)
}

fn run(ops: Vec<Op>) {
    let mut s = store();
    let mut p = Params::default();
    p.max_deadline_blocks = 8;
    p.unbonding_blocks = 8;
    p.miss_slash_fraction = Dec::parse("0.25").unwrap();
    p.challenge_window = 3;
    p.response_window = 3;
    p.optimistic_server_bond.amount = 5_000;
    p.challenge_bond.amount = 7_000;
    p.topic_creation_fee.amount = 1_000_000;
    p.max_topic_workers = 4;
    p.max_topic_reputers = 3;
    p.reputer_tolerance = Dec::parse("0.1").unwrap();
    p.reputer_max_strikes = 2;
    p.reputer_slash_fraction = Dec::parse("0.3").unwrap();
    exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p.to_proto()),
        },
    )
    .unwrap();
    let model = register_model(&mut s, 1, fx_a(), 900);
    // One server from the start, so that most requests find one.
    register_server(&mut s, 6, model, 3 * STAKE);
    let minted = total_udeai(&s);
    let mut height = 10u64;
    let mut requests: Vec<(u64, [i64; 4])> = Vec::new();
    // One topic from the start (epochs of 2 blocks, lag 1), with two workers and two
    // reputers, so that most runs settle epochs.
    let r: pb::MsgCreateTopicResponse = exec_response(
        &mut s,
        height,
        pb::MsgCreateTopic {
            creator: addr(1).to_bech32(),
            metric: "m".into(),
            loss_method: pb::LossMethod::Squared as i32,
            epoch_length: 2,
            ground_truth_lag: 1,
            alpha: "0.5".into(),
            fee: udeai(1_000_000),
        },
    )
    .unwrap();
    let mut topics: Vec<u64> = vec![r.topic_id];
    for who in [2u8, 3] {
        exec_at(
            &mut s,
            height,
            pb::MsgRegisterTopicWorker {
                worker: addr(who).to_bech32(),
                topic_id: r.topic_id,
                stake: udeai(1_000_000),
            },
        )
        .unwrap();
    }
    for who in [4u8, 5] {
        exec_at(
            &mut s,
            height,
            pb::MsgRegisterReputer {
                reputer: addr(who).to_bech32(),
                topic_id: r.topic_id,
                stake: udeai(1_000_000 * who as u128),
            },
        )
        .unwrap();
    }
    for op in ops {
        match op {
            Op::Register { who, stake } => {
                let _ = exec_at(
                    &mut s,
                    height,
                    pb::MsgRegisterServer {
                        server: addr(who).to_bech32(),
                        model_id: model,
                        stake: udeai(stake),
                    },
                );
            }
            Op::Unregister { who } => {
                let _ = exec_at(
                    &mut s,
                    height,
                    pb::MsgUnregisterServer {
                        server: addr(who).to_bech32(),
                        model_id: model,
                    },
                );
            }
            Op::Request {
                who,
                fee,
                deadline,
                x,
                mode,
            } => {
                let input = [x, 15 - x, x / 2, 7];
                let mut m = request_msg(who, model, &input, fee);
                m.deadline_blocks = deadline;
                if mode == 1 {
                    m.mode = pb::VerificationMode::Optimistic as i32;
                } else if mode == 2 {
                    m.mode = pb::VerificationMode::Redundant as i32;
                    m.k = 2;
                }
                if let Ok(r) =
                    exec_response::<_, pb::MsgRequestInferenceResponse>(&mut s, height, m)
                {
                    requests.push((r.request_id, input));
                }
            }
            Op::Submit { nth, honest } => {
                if requests.is_empty() {
                    continue;
                }
                // Mostly a request that can still be answered, when there is one.
                let open: Vec<(u64, [i64; 4])> = requests
                    .iter()
                    .copied()
                    .filter(|(id, _)| {
                        let r = s.get_request(*id).unwrap().unwrap();
                        r.state == pb::RequestState::Pending as i32 && height <= r.deadline
                    })
                    .collect();
                let pool = if open.is_empty() || nth % 4 == 0 {
                    &requests
                } else {
                    &open
                };
                let (id, input) = pool[nth % pool.len()];
                let r = s.get_request(id).unwrap().unwrap();
                let server = crate::keeper::stored_addr(&r.servers[nth % r.servers.len()]).unwrap();
                let who = server.as_bytes()[0];
                let pending = r.state == pb::RequestState::Pending as i32 && height <= r.deadline;
                let before = dump(&s);
                let res = if r.mode == pb::VerificationMode::Zk as i32 {
                    let (mut output, proof) = prove(fx_a(), &input, id, who);
                    if !honest {
                        output[0] += 1;
                    }
                    let res = exec_at(&mut s, height, submit_msg(who, id, output, proof));
                    assert_eq!(res.is_ok(), honest && pending, "{res:?}");
                    res
                } else {
                    let mut output = fx_a().model.infer(&input).unwrap();
                    if !honest {
                        output[1] += 1;
                    }
                    let res = exec_at(&mut s, height, submit_msg(who, id, output, Vec::new()));
                    if res.is_ok() {
                        assert!(pending);
                    }
                    res
                };
                if res.is_err() {
                    assert!(dump(&s) == before);
                }
            }
            Op::Challenge { nth, who } => {
                if let Some((id, _)) = pick(&s, &requests, nth, pb::RequestState::ChallengeWindow) {
                    let before = dump(&s);
                    let res = exec_at(
                        &mut s,
                        height,
                        pb::MsgChallenge {
                            challenger: addr(who).to_bech32(),
                            request_id: id,
                            bond: udeai(7_000),
                        },
                    );
                    if res.is_err() {
                        assert!(dump(&s) == before);
                    }
                }
            }
            Op::Respond { nth } => {
                if let Some((id, input)) = pick(&s, &requests, nth, pb::RequestState::Disputed) {
                    let r = s.get_request(id).unwrap().unwrap();
                    let server =
                        crate::keeper::stored_addr(&r.servers[nth % r.servers.len()]).unwrap();
                    let who = server.as_bytes()[0];
                    let (_, proof) = prove(fx_a(), &input, id, who);
                    let before = dump(&s);
                    let res = exec_at(
                        &mut s,
                        height,
                        pb::MsgRespondChallenge {
                            server: server.to_bech32(),
                            request_id: id,
                            proof,
                        },
                    );
                    if res.is_err() {
                        assert!(dump(&s) == before);
                    }
                }
            }
            Op::Adjudicate { nth, who, right } => {
                if let Some((id, _)) = pick(&s, &requests, nth, pb::RequestState::Disputed) {
                    let weights = if right { fx_a() } else { fx_b() }.model.canonical_bytes();
                    let before = dump(&s);
                    let res = exec_at(
                        &mut s,
                        height,
                        pb::MsgAdjudicate {
                            sender: addr(who).to_bech32(),
                            request_id: id,
                            quantized_weights: weights,
                        },
                    );
                    if !right {
                        assert!(res.is_err());
                    }
                    if res.is_err() {
                        assert!(dump(&s) == before);
                    }
                }
            }
            Op::Advance { blocks } => {
                for _ in 0..blocks {
                    height += 1;
                    end_block_at(&mut s, height);
                }
            }
            Op::CreateTopic {
                who,
                extra,
                squared,
            } => {
                let m = pb::MsgCreateTopic {
                    creator: addr(who).to_bech32(),
                    metric: "m".into(),
                    loss_method: if squared {
                        pb::LossMethod::Squared
                    } else {
                        pb::LossMethod::Abs
                    } as i32,
                    epoch_length: 2 + extra as u64 % 2,
                    ground_truth_lag: 1 + extra as u64 % 3 / 2,
                    alpha: "0.3".into(),
                    fee: udeai(1_000_000 + extra),
                };
                let r: pb::MsgCreateTopicResponse = exec_response(&mut s, height, m).unwrap();
                topics.push(r.topic_id);
            }
            Op::JoinTopic {
                nth,
                who,
                stake,
                reputer,
            } => {
                let Some(&t) = topics.get(nth % topics.len().max(1)) else {
                    continue;
                };
                let before = dump(&s);
                let res = if reputer {
                    exec_at(
                        &mut s,
                        height,
                        pb::MsgRegisterReputer {
                            reputer: addr(who).to_bech32(),
                            topic_id: t,
                            stake: udeai(stake),
                        },
                    )
                } else {
                    exec_at(
                        &mut s,
                        height,
                        pb::MsgRegisterTopicWorker {
                            worker: addr(who).to_bech32(),
                            topic_id: t,
                            stake: udeai(stake),
                        },
                    )
                };
                if res.is_err() {
                    assert!(dump(&s) == before);
                }
            }
            Op::Report {
                nth,
                who,
                value,
                reputer,
                off,
            } => {
                // Mostly the first topic, which has workers and reputers.
                let t = if nth < 3 {
                    topics[0]
                } else {
                    topics[nth % topics.len()]
                };
                // Mostly someone registered in that role on the first topic.
                let who = match (who, reputer) {
                    (1..=4, false) => 2 + who % 2,
                    (1..=4, true) => 4 + who % 2,
                    _ => who,
                };
                let topic = s.get_topic(t).unwrap().unwrap();
                let current = (height - topic.created_height) / topic.epoch_length + 1;
                let want = if reputer {
                    current.saturating_sub(topic.ground_truth_lag)
                } else {
                    current
                };
                let epoch = want.saturating_add_signed(off as i64);
                let before = dump(&s);
                let res = if reputer {
                    exec_at(
                        &mut s,
                        height,
                        pb::MsgSubmitGroundTruth {
                            reputer: addr(who).to_bech32(),
                            topic_id: t,
                            epoch,
                            value,
                        },
                    )
                } else {
                    exec_at(
                        &mut s,
                        height,
                        pb::MsgSubmitTopicInference {
                            worker: addr(who).to_bech32(),
                            topic_id: t,
                            epoch,
                            value,
                        },
                    )
                };
                if off != 0 {
                    assert!(res.is_err());
                }
                if res.is_err() {
                    assert!(dump(&s) == before);
                }
            }
            Op::Round { value, noise, skew } => {
                let t = topics[0];
                let topic = s.get_topic(t).unwrap().unwrap();
                let current = (height - topic.created_height) / topic.epoch_length + 1;
                for (who, v) in [(2u8, value + noise), (3, value - 7)] {
                    let before = dump(&s);
                    let m = pb::MsgSubmitTopicInference {
                        worker: addr(who).to_bech32(),
                        topic_id: t,
                        epoch: current,
                        value: v,
                    };
                    if exec_at(&mut s, height, m).is_err() {
                        assert!(dump(&s) == before);
                    }
                }
                while (height - topic.created_height) / topic.epoch_length + 1 == current {
                    height += 1;
                    end_block_at(&mut s, height);
                }
                for (who, v) in [(4u8, value), (5, value + skew)] {
                    let before = dump(&s);
                    let m = pb::MsgSubmitGroundTruth {
                        reputer: addr(who).to_bech32(),
                        topic_id: t,
                        epoch: current,
                        value: v,
                    };
                    if exec_at(&mut s, height, m).is_err() {
                        assert!(dump(&s) == before);
                    }
                }
            }
            Op::Reprice { enabled } => {
                exec_at(
                    &mut s,
                    height,
                    pb::MsgUpdateModel {
                        owner: addr(1).to_bech32(),
                        model_id: model,
                        price: udeai(900),
                        enabled,
                    },
                )
                .unwrap();
            }
        }
        assert_reconciles(&s);
        assert_eq!(total_udeai(&s), minted);
    }
    // Run out every deadline and unbonding: nothing stays pending, and the module account
    // holds exactly the stakes of the servers still registered.
    for _ in 0..20 {
        height += 1;
        end_block_at(&mut s, height);
    }
    let g = import_proto(&InferenceModule.export_genesis(&s).unwrap()).unwrap();
    assert!(g.requests.iter().all(|r| ![
        pb::RequestState::Pending as i32,
        pb::RequestState::ChallengeWindow as i32,
        pb::RequestState::Disputed as i32,
    ]
    .contains(&r.state)));
    // Every topic epoch with submissions was settled.
    assert!(g.topic_inferences.is_empty() && g.ground_truths.is_empty());
    assert!(g
        .topics
        .iter()
        .all(|t| t.reputer_count as usize
            == g.reputers.iter().filter(|r| r.topic_id == t.id).count()));
    assert_reconciles(&s);
    assert_eq!(total_udeai(&s), minted);
    // And the state round-trips through genesis.
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_message_sequences_conserve_tokens(ops in prop::collection::vec(op(), 1..60)) {
        run(ops);
    }
}
