//! Models: registration with a real verifying key, every rejection by code, updates,
//! queries, params.

use deai_proto::inference::v1 as pb;

use crate::tests::*;
use crate::*;

#[test]
fn a_model_registers_with_its_key_and_queries_show_it() {
    let mut s = store();
    let fx = fx_a();
    let msg = register_msg(1, fx, 1000);
    let (resp, events, gas) = exec_full(&mut s, 5, msg.clone()).unwrap();
    let id = <pb::MsgRegisterModelResponse as prost::Message>::decode(resp.value.as_slice())
        .unwrap()
        .model_id;
    assert_eq!(id, 1);
    assert!(has_event(&events, "deai.inference.v1.EventModelRegistered"));
    // Decoding the key is charged on the verification schedule.
    let n = fx.keys.layout.n_public_inputs();
    assert!(gas >= Params::default().verify_gas(n), "{gas}");

    let q: pb::QueryModelResponse = query(
        &s,
        "/deai.inference.v1.Query/Model",
        pb::QueryModelRequest { id },
    )
    .unwrap();
    let m = q.model.unwrap();
    assert_eq!(m.verifying_key, msg.verifying_key);
    assert_eq!(m.architecture, vec![4, 3, 2]);
    assert_eq!(m.created_height, 5);
    assert!(m.enabled);

    // A second model of another owner; by owner, paginated.
    register_model(&mut s, 2, fx_b(), 1000);
    register_model(&mut s, 1, fx_b(), 5);
    let mine: pb::QueryModelsResponse = query(
        &s,
        "/deai.inference.v1.Query/Models",
        pb::QueryModelsRequest {
            owner: addr(1).to_bech32(),
            pagination: Some(
                cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                    limit: 1,
                    ..Default::default()
                },
            ),
        },
    )
    .unwrap();
    assert_eq!(mine.models.len(), 1);
    assert_eq!(mine.models[0].id, 1);
    assert!(!mine.pagination.unwrap().next_key.is_empty());
    let all: pb::QueryModelsResponse = query(
        &s,
        "/deai.inference.v1.Query/Models",
        pb::QueryModelsRequest::default(),
    )
    .unwrap();
    assert_eq!(
        all.models.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(all.models.iter().all(|m| !m.verifying_key.is_empty()));
}

#[test]
fn a_private_model_registers_with_its_commitment() {
    let mut s = store();
    let id = register_model(&mut s, 1, fx_private(), 10);
    let q: pb::QueryModelResponse = query(
        &s,
        "/deai.inference.v1.Query/Model",
        pb::QueryModelRequest { id },
    )
    .unwrap();
    assert_eq!(q.model.unwrap().weight_commitment.len(), 32);
}

#[test]
fn every_bad_model_is_refused_with_its_code() {
    let mut s = store();
    let fx = fx_a();
    let ok = register_msg(1, fx, 1000);
    let bad = |f: &dyn Fn(&mut pb::MsgRegisterModel)| {
        let mut m = ok.clone();
        f(&mut m);
        m
    };
    let cases: Vec<(pb::MsgRegisterModel, u32)> = vec![
        (bad(&|m| m.name.clear()), ERR_INVALID_MODEL),
        (bad(&|m| m.name = "x".repeat(65)), ERR_INVALID_MODEL),
        (bad(&|m| m.architecture = vec![4]), ERR_INVALID_MODEL),
        (bad(&|m| m.architecture = vec![4, 0, 2]), ERR_INVALID_MODEL),
        (bad(&|m| m.weights_sha256 = vec![1; 31]), ERR_INVALID_MODEL),
        (
            bad(&|m| m.quantized_weights_sha256.clear()),
            ERR_INVALID_MODEL,
        ),
        (bad(&|m| m.zk_mode = 0), ERR_INVALID_MODEL),
        (bad(&|m| m.zk_mode = 9), ERR_INVALID_MODEL),
        (bad(&|m| m.verifying_key.clear()), ERR_INVALID_MODEL),
        (
            bad(&|m| m.weight_commitment = vec![0; 32]),
            ERR_INVALID_MODEL,
        ),
        (bad(&|m| m.input_min = 16), ERR_INVALID_MODEL),
        (bad(&|m| m.input_frac_bits = 25), ERR_INVALID_MODEL),
        (bad(&|m| m.circuit = None), ERR_INVALID_MODEL),
        (
            bad(&|m| {
                m.circuit
                    .as_mut()
                    .unwrap()
                    .logit_bounds
                    .pop()
                    .map(|_| ())
                    .unwrap()
            }),
            ERR_INVALID_MODEL,
        ),
        (
            bad(&|m| m.circuit.as_mut().unwrap().output = 0),
            ERR_INVALID_MODEL,
        ),
        (
            bad(&|m| m.circuit.as_mut().unwrap().encoding = 7),
            ERR_INVALID_MODEL,
        ),
        // zk_mode none takes no key.
        (
            bad(&|m| m.zk_mode = pb::ZkMode::None as i32),
            ERR_INVALID_MODEL,
        ),
        // Private without a commitment.
        (
            bad(&|m| m.zk_mode = pb::ZkMode::Private as i32),
            ERR_INVALID_MODEL,
        ),
        // Keys that do not decode.
        (
            bad(&|m| m.verifying_key = vec![7; 100]),
            ERR_INVALID_VERIFYING_KEY,
        ),
        (
            bad(&|m| m.verifying_key.truncate(m.verifying_key.len() - 1)),
            ERR_INVALID_VERIFYING_KEY,
        ),
        (
            bad(&|m| {
                let n = m.verifying_key.len();
                m.verifying_key[n - 32..].fill(0xff);
            }),
            ERR_INVALID_VERIFYING_KEY,
        ),
        (
            bad(&|m| m.verifying_key = vec![0; 70_000]),
            ERR_VERIFYING_KEY_TOO_LARGE,
        ),
        // A key that decodes but takes another number of public inputs than the statement.
        (bad(&|m| m.architecture = vec![5, 3, 2]), ERR_KEY_MISMATCH),
        (
            bad(&|m| m.circuit.as_mut().unwrap().output = pb::OutputKind::Argmax as i32),
            ERR_KEY_MISMATCH,
        ),
        (
            bad(&|m| m.circuit.as_mut().unwrap().encoding = pb::IoEncoding::Packed as i32),
            ERR_KEY_MISMATCH,
        ),
    ];
    for (i, (m, want)) in cases.into_iter().enumerate() {
        let got = exec(&mut s, m)
            .map(|_| ())
            .map_err(|e| (e.codespace, e.code));
        assert_eq!(got, Err(inference(want)), "case {i}");
    }
    // Missing price, bad owner: the SDK's codes.
    assert_eq!(code(exec(&mut s, bad(&|m| m.price = None))), ("sdk", 10));
    assert_eq!(
        code(exec(&mut s, bad(&|m| m.owner = "cosmos1x".into()))),
        ("sdk", 7)
    );
    // The params' cap on key size.
    let mut p = Params::default();
    p.max_verifying_key_bytes = 100;
    exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p.to_proto()),
        },
    )
    .unwrap();
    assert_eq!(
        code(exec(&mut s, ok.clone())),
        inference(ERR_VERIFYING_KEY_TOO_LARGE)
    );
    // Nothing was registered.
    let all: pb::QueryModelsResponse = query(
        &s,
        "/deai.inference.v1.Query/Models",
        pb::QueryModelsRequest::default(),
    )
    .unwrap();
    assert!(all.models.is_empty());
}

#[test]
fn a_model_without_key_registers_in_mode_none() {
    let mut s = store();
    let mut m = register_msg(1, fx_a(), 1);
    m.zk_mode = pb::ZkMode::None as i32;
    m.verifying_key.clear();
    m.circuit = None;
    exec(&mut s, m.clone()).unwrap();
    // Without a key a dispute ends only by re-execution: weights the chain could not take
    // (784-512-10: about 3.2 MB, 406,528 multiply-accumulates) are refused at registration.
    m.architecture = vec![784, 512, 10];
    let e = exec(&mut s, m);
    assert_eq!(code(e), inference(ERR_ADJUDICATION_TOO_LARGE));
}

#[test]
fn only_the_owner_updates_a_model() {
    let mut s = store();
    let id = register_model(&mut s, 1, fx_a(), 1000);
    let upd = |owner: u8, id: u64, enabled: bool| pb::MsgUpdateModel {
        owner: addr(owner).to_bech32(),
        model_id: id,
        price: udeai(2000),
        enabled,
    };
    assert_eq!(
        code(exec(&mut s, upd(2, id, false))),
        inference(ERR_NOT_OWNER)
    );
    assert_eq!(
        code(exec(&mut s, upd(1, 99, false))),
        inference(ERR_MODEL_NOT_FOUND)
    );
    let events = exec(&mut s, upd(1, id, false)).unwrap();
    assert!(has_event(&events, "deai.inference.v1.EventModelUpdated"));
    let m = query::<_, pb::QueryModelResponse>(
        &s,
        "/deai.inference.v1.Query/Model",
        pb::QueryModelRequest { id },
    )
    .unwrap()
    .model
    .unwrap();
    assert!(!m.enabled);
    assert_eq!(m.price, udeai(2000));
    // The key survives the record's rewrite.
    assert!(!m.verifying_key.is_empty());
    // A disabled model takes no servers and no requests.
    let reg = pb::MsgRegisterServer {
        server: addr(2).to_bech32(),
        model_id: id,
        stake: udeai(STAKE),
    };
    assert_eq!(code(exec(&mut s, reg)), inference(ERR_MODEL_DISABLED));
}

#[test]
fn params_change_only_by_the_authority_and_are_validated() {
    let mut s = store();
    let mut p = Params::default();
    p.take_rate = Dec::parse("0.1").unwrap();
    let msg = |who: u8, p: &Params| pb::MsgUpdateParams {
        authority: addr(who).to_bech32(),
        params: Some(p.to_proto()),
    };
    assert_eq!(code(exec(&mut s, msg(1, &p))), ("gov", 13));
    exec(&mut s, msg(9, &p)).unwrap();
    let q: pb::QueryParamsResponse = query(
        &s,
        "/deai.inference.v1.Query/Params",
        pb::QueryParamsRequest {},
    )
    .unwrap();
    assert_eq!(q.params.unwrap().take_rate, "0.100000000000000000");
    assert_eq!(q.authority, addr(9).to_bech32());
    let mut bad = p.to_proto();
    bad.royalty_rate = "0.95".into();
    let m = pb::MsgUpdateParams {
        authority: addr(9).to_bech32(),
        params: Some(bad),
    };
    assert_eq!(code(exec(&mut s, m)), inference(ERR_INVALID_PARAMS));
    let mut bad = p.to_proto();
    bad.unbonding_blocks = 10;
    let m = pb::MsgUpdateParams {
        authority: addr(9).to_bech32(),
        params: Some(bad),
    };
    assert_eq!(code(exec(&mut s, m)), inference(ERR_INVALID_PARAMS));
}

#[test]
fn topic_messages_of_unknown_topics_and_disputes_of_unknown_requests_are_refused() {
    let mut s = store();
    let a = addr(1).to_bech32();
    let want = inference(ERR_TOPIC_NOT_FOUND);
    assert_eq!(
        code(exec(
            &mut s,
            pb::MsgChallenge {
                challenger: a.clone(),
                request_id: 1,
                bond: udeai(1)
            }
        )),
        inference(ERR_REQUEST_NOT_FOUND)
    );
    assert_eq!(
        code(exec(
            &mut s,
            pb::MsgRespondChallenge {
                server: a.clone(),
                ..Default::default()
            }
        )),
        inference(ERR_REQUEST_NOT_FOUND)
    );
    assert_eq!(
        code(exec(
            &mut s,
            pb::MsgAdjudicate {
                sender: a.clone(),
                ..Default::default()
            }
        )),
        inference(ERR_REQUEST_NOT_FOUND)
    );
    assert_eq!(
        code(exec(
            &mut s,
            pb::MsgCreateTopic {
                creator: a.clone(),
                ..Default::default()
            }
        )),
        inference(ERR_INVALID_TOPIC)
    );
    assert_eq!(
        code(exec(
            &mut s,
            pb::MsgRegisterTopicWorker {
                worker: a.clone(),
                topic_id: 1,
                stake: udeai(STAKE),
            }
        )),
        want
    );
    assert_eq!(
        code(exec(
            &mut s,
            pb::MsgRegisterReputer {
                reputer: a.clone(),
                topic_id: 1,
                stake: udeai(STAKE),
            }
        )),
        want
    );
    assert_eq!(
        code(exec(
            &mut s,
            pb::MsgSubmitTopicInference {
                worker: a.clone(),
                ..Default::default()
            }
        )),
        want
    );
    assert_eq!(
        code(exec(
            &mut s,
            pb::MsgSubmitGroundTruth {
                reputer: a.clone(),
                ..Default::default()
            }
        )),
        want
    );
    // Optimistic and redundant requests are built: k is checked.
    let id = register_model(&mut s, 1, fx_a(), 10);
    register_server(&mut s, 2, id, STAKE);
    let mut m = request_msg(3, id, &[1, 2, 3, 4], 10);
    m.mode = pb::VerificationMode::Redundant as i32;
    assert_eq!(code(exec(&mut s, m)), inference(ERR_BAD_REDUNDANCY));
    assert_eq!(
        code(query::<_, pb::QueryTopicResponse>(
            &s,
            "/deai.inference.v1.Query/Topic",
            pb::QueryTopicRequest { id: 1 }
        )),
        ("sdk", 22)
    );
}
