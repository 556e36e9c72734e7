//! Property: any sequence of inference messages (zk, optimistic and redundant requests,
//! honest and lying answers, challenges, proofs, re-executions with the right or a wrong
//! weights file) and blocks conserves tokens; a refused message changes nothing. After every
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
        1 => (1u64..=6).prop_map(|blocks| Op::Advance { blocks }),
        1 => any::<bool>().prop_map(|enabled| Op::Reprice { enabled }),
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
