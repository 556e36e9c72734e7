//! Property: any sequence of inference messages and blocks conserves tokens. After every
//! step the module account holds exactly the stakes and pending fees, and the udeai of all
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
        2 => (1u8..=6, 900u128..100_000, 1u64..=8, 0i64..=15).prop_map(|(who, fee, deadline, x)| {
            Op::Request {
                who,
                fee,
                deadline,
                x,
            }
        }),
        2 => (0usize..64, prop::bool::weighted(0.75)).prop_map(|(nth, honest)| Op::Submit { nth, honest }),
        1 => (1u64..=6).prop_map(|blocks| Op::Advance { blocks }),
        1 => any::<bool>().prop_map(|enabled| Op::Reprice { enabled }),
    ]
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
            } => {
                let input = [x, 15 - x, x / 2, 7];
                let mut m = request_msg(who, model, &input, fee);
                m.deadline_blocks = deadline;
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
                let server = crate::keeper::stored_addr(&r.servers[0]).unwrap();
                let who = server.as_bytes()[0];
                let (mut output, proof) = prove(fx_a(), &input, id, who);
                if !honest {
                    output[0] += 1;
                }
                let before = dump(&s);
                let res = exec_at(&mut s, height, submit_msg(who, id, output, proof));
                let pending = r.state == pb::RequestState::Pending as i32 && height <= r.deadline;
                assert_eq!(res.is_ok(), honest && pending, "{res:?}");
                if res.is_err() {
                    assert!(dump(&s) == before);
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
    assert!(g
        .requests
        .iter()
        .all(|r| r.state != pb::RequestState::Pending as i32));
    assert_reconciles(&s);
    assert_eq!(total_udeai(&s), minted);
    // And the state round-trips through genesis.
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_message_sequences_conserve_tokens(ops in prop::collection::vec(op(), 1..40)) {
        run(ops);
    }
}
