//! zk requests with real Groth16 proofs: a valid proof pays exactly (fee = server + take +
//! royalty, to the unit); a tampered output, a tampered input, a proof for another model and
//! a proof replayed for another request (or by another server) are each rejected with
//! nothing changed; a missed deadline refunds the requester and slashes the server.

use deai_framework::MemStore;
use deai_proto::inference::v1 as pb;

use crate::tests::*;
use crate::*;

const INPUT: [i64; 4] = [3, 0, 15, 7];
const FEE: u128 = 1_000_001;

/// A model of owner 1 (price 1000) served by 2; a zk request of 3 at height 10.
fn setup() -> (MemStore, u64, u64) {
    let mut s = store();
    let id = register_model(&mut s, 1, fx_a(), 1000);
    register_server(&mut s, 2, id, STAKE);
    let r: pb::MsgRequestInferenceResponse =
        exec_response(&mut s, 10, request_msg(3, id, &INPUT, FEE)).unwrap();
    assert_eq!(r.servers, vec![addr(2).to_bech32()]);
    assert_eq!(r.deadline, 30);
    (s, id, r.request_id)
}

fn request(s: &MemStore, id: u64) -> pb::Request {
    query::<_, pb::QueryRequestResponse>(
        s,
        "/deai.inference.v1.Query/Request",
        pb::QueryRequestRequest { id },
    )
    .unwrap()
    .request
    .unwrap()
}

#[test]
fn a_valid_proof_pays_the_server_the_pool_and_the_owner_exactly() {
    let (mut s, _, rid) = setup();
    assert_reconciles(&s);
    let (owner0, server0, req0, pool0) = (
        balance(&s, 1, "udeai"),
        balance(&s, 2, "udeai"),
        balance(&s, 3, "udeai"),
        pool(&s),
    );
    let (output, proof) = prove(fx_a(), &INPUT, rid, 2);
    assert_eq!(output, fx_a().model.infer(&INPUT).unwrap());
    let (resp, events, gas) =
        exec_full(&mut s, 12, submit_msg(2, rid, output.clone(), proof)).unwrap();
    let r =
        <pb::MsgSubmitInferenceResponse as prost::Message>::decode(resp.value.as_slice()).unwrap();
    assert_eq!(r.state, pb::RequestState::Completed as i32);
    assert!(has_event(
        &events,
        "deai.inference.v1.EventInferenceSubmitted"
    ));
    // The typed event parses back and carries the split.
    let done: pb::EventRequestCompleted = events
        .iter()
        .find(|e| e.kind == "deai.inference.v1.EventRequestCompleted")
        .map(|e| deai_framework::parse_typed_event(e).unwrap())
        .unwrap();
    let amount = |c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>| {
        c.as_ref().unwrap().amount.parse::<u128>().unwrap()
    };
    assert_eq!(
        amount(&done.to_server) + amount(&done.take) + amount(&done.royalty),
        FEE
    );
    assert_eq!(
        (done.request_id, done.model_owner.clone()),
        (rid, addr(1).to_bech32())
    );
    // floor(1_000_001 × 0.02) = 20_000, floor(1_000_001 × 0.05) = 50_000.
    let (take, royalty) = (20_000, 50_000);
    let to_server = FEE - take - royalty;
    assert_eq!(balance(&s, 2, "udeai"), server0 + to_server);
    assert_eq!(balance(&s, 1, "udeai"), owner0 + royalty);
    assert_eq!(pool(&s), pool0 + take);
    assert_eq!(balance(&s, 3, "udeai"), req0);
    assert_eq!(to_server + take + royalty, FEE);
    assert_reconciles(&s);
    let req = request(&s, rid);
    assert_eq!(req.state, pb::RequestState::Completed as i32);
    assert_eq!(req.output, output);
    assert_eq!(req.completed_height, 12);
    // The verification gas is the documented schedule (plus the store's).
    let n = fx_a().keys.layout.n_public_inputs();
    assert_eq!(n, 1 + 4 + 2);
    assert!(gas >= Params::default().verify_gas(n), "{gas}");
    let srv: pb::QueryServerResponse = query(
        &s,
        "/deai.inference.v1.Query/Server",
        pb::QueryServerRequest {
            model_id: 1,
            server: addr(2).to_bech32(),
        },
    )
    .unwrap();
    let srv = srv.server.unwrap();
    assert_eq!((srv.served, srv.pending_requests), (1, 0));
    // Answered once only; the deadline index no longer holds it.
    let (o2, p2) = prove(fx_a(), &INPUT, rid, 2);
    assert_eq!(
        code(exec_at(&mut s, 13, submit_msg(2, rid, o2, p2))),
        inference(ERR_REQUEST_NOT_PENDING)
    );
    end_block_at(&mut s, 40);
    assert_eq!(request(&s, rid).state, pb::RequestState::Completed as i32);
    // Queries by requester and by server.
    for req in [
        pb::QueryRequestsRequest {
            requester: addr(3).to_bech32(),
            ..Default::default()
        },
        pb::QueryRequestsRequest {
            server: addr(2).to_bech32(),
            ..Default::default()
        },
        pb::QueryRequestsRequest::default(),
    ] {
        let q: pb::QueryRequestsResponse =
            query(&s, "/deai.inference.v1.Query/Requests", req).unwrap();
        assert_eq!(
            q.requests.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![rid]
        );
    }
    let both = pb::QueryRequestsRequest {
        requester: addr(3).to_bech32(),
        server: addr(2).to_bech32(),
        pagination: None,
    };
    assert_eq!(
        code(query::<_, pb::QueryRequestsResponse>(
            &s,
            "/deai.inference.v1.Query/Requests",
            both
        )),
        ("sdk", 18)
    );
    let subs: pb::QuerySubmissionsResponse = query(
        &s,
        "/deai.inference.v1.Query/Submissions",
        pb::QuerySubmissionsRequest {
            request_id: rid,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(subs.submissions.len(), 1);
    assert_eq!(subs.submissions[0].proof.len(), 128);
}

#[test]
fn tampered_and_replayed_proofs_are_rejected_and_change_nothing() {
    let (mut s, _, rid) = setup();
    // A second model (other weights, same architecture) served by the same server, and a
    // second request to the first model.
    let other = register_model(&mut s, 1, fx_b(), 1000);
    register_server(&mut s, 2, other, STAKE);
    let r2: pb::MsgRequestInferenceResponse =
        exec_response(&mut s, 11, request_msg(4, 1, &INPUT, FEE)).unwrap();
    let rid2 = r2.request_id;
    let snapshot = s.clone();
    let (output, proof) = prove(fx_a(), &INPUT, rid, 2);

    // Altered output.
    let mut bad = output.clone();
    bad[0] += 1;
    assert_eq!(
        code(exec_at(&mut s, 12, submit_msg(2, rid, bad, proof.clone()))),
        inference(ERR_PROOF_REJECTED)
    );
    // Altered input: a true proof of the model on another input, for this request.
    let other_input = [4, 0, 15, 7];
    let (o, p) = prove(fx_a(), &other_input, rid, 2);
    assert_eq!(
        code(exec_at(&mut s, 12, submit_msg(2, rid, o, p))),
        inference(ERR_PROOF_REJECTED)
    );
    // A proof by another model (fx_b's keys) of the same input, bound to this request,
    // with its own output or with this model's.
    let (o, p) = prove(fx_b(), &INPUT, rid, 2);
    assert_ne!(o, output);
    assert_eq!(
        code(exec_at(&mut s, 12, submit_msg(2, rid, o, p.clone()))),
        inference(ERR_PROOF_REJECTED)
    );
    assert_eq!(
        code(exec_at(&mut s, 12, submit_msg(2, rid, output.clone(), p))),
        inference(ERR_PROOF_REJECTED)
    );
    // This request's proof replayed for the second request (same model, input and server).
    assert_eq!(
        code(exec_at(
            &mut s,
            12,
            submit_msg(2, rid2, output.clone(), proof.clone())
        )),
        inference(ERR_PROOF_REJECTED)
    );
    // A proof bound to another server (server 5 is not assigned: bound to 5's name).
    let (o, p) = prove(fx_a(), &INPUT, rid, 5);
    assert_eq!(
        code(exec_at(&mut s, 12, submit_msg(2, rid, o, p))),
        inference(ERR_PROOF_REJECTED)
    );
    // Malformed proofs and outputs.
    let mut flipped = proof.clone();
    flipped[0] ^= 0xff;
    assert!(matches!(
        code(exec_at(
            &mut s,
            12,
            submit_msg(2, rid, output.clone(), flipped)
        )),
        ("inference", ERR_MALFORMED_PROOF | ERR_PROOF_REJECTED)
    ));
    assert_eq!(
        code(exec_at(
            &mut s,
            12,
            submit_msg(2, rid, output.clone(), proof[..100].to_vec())
        )),
        inference(ERR_MALFORMED_PROOF)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            12,
            submit_msg(2, rid, output.clone(), vec![0; 129])
        )),
        inference(ERR_MALFORMED_PROOF)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            12,
            submit_msg(2, rid, output[..1].to_vec(), proof.clone())
        )),
        inference(ERR_INVALID_OUTPUT)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            12,
            submit_msg(2, rid, vec![], proof.clone())
        )),
        inference(ERR_INVALID_OUTPUT)
    );
    let mut huge = output.clone();
    huge[1] = i64::MAX;
    assert_eq!(
        code(exec_at(&mut s, 12, submit_msg(2, rid, huge, proof.clone()))),
        inference(ERR_INVALID_OUTPUT)
    );
    // The wrong sender, an unknown request, a late answer.
    assert_eq!(
        code(exec_at(
            &mut s,
            12,
            submit_msg(5, rid, output.clone(), proof.clone())
        )),
        inference(ERR_NOT_ASSIGNED)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            12,
            submit_msg(2, 99, output.clone(), proof.clone())
        )),
        inference(ERR_REQUEST_NOT_FOUND)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            31,
            submit_msg(2, rid, output.clone(), proof.clone())
        )),
        inference(ERR_DEADLINE_PASSED)
    );
    // Nothing changed.
    assert!(dump(&s) == dump(&snapshot));
    // The honest proof still goes through, at the deadline itself.
    exec_at(&mut s, 30, submit_msg(2, rid, output, proof)).unwrap();
    assert_reconciles(&s);
}

#[test]
fn every_bad_request_is_refused_with_its_code() {
    let (mut s, id, _) = setup();
    let snapshot = s.clone();
    let ok = request_msg(3, id, &INPUT, FEE);
    let bad = |f: &dyn Fn(&mut pb::MsgRequestInference)| {
        let mut m = ok.clone();
        f(&mut m);
        m
    };
    let cases: Vec<(pb::MsgRequestInference, (&str, u32))> = vec![
        (bad(&|m| m.model_id = 99), inference(ERR_MODEL_NOT_FOUND)),
        (
            bad(&|m| m.input = vec![1, 2, 3]),
            inference(ERR_INVALID_INPUT),
        ),
        (
            bad(&|m| m.input = vec![1, 2, 3, 16]),
            inference(ERR_INVALID_INPUT),
        ),
        (
            bad(&|m| m.input = vec![1, 2, -1, 3]),
            inference(ERR_INVALID_INPUT),
        ),
        (bad(&|m| m.fee = udeai(999)), inference(ERR_FEE_BELOW_PRICE)),
        (
            bad(&|m| m.fee = Some(coin(5000, "uatom"))),
            inference(ERR_DENOM_MISMATCH),
        ),
        (bad(&|m| m.fee = udeai(0)), inference(ERR_ZERO_AMOUNT)),
        (bad(&|m| m.fee = None), ("sdk", 10)),
        (bad(&|m| m.fee = udeai(FUNDS + 1)), ("sdk", 5)),
        (bad(&|m| m.deadline_blocks = 0), inference(ERR_BAD_DEADLINE)),
        (
            bad(&|m| m.deadline_blocks = 1001),
            inference(ERR_BAD_DEADLINE),
        ),
        (bad(&|m| m.mode = 0), inference(ERR_INVALID_MODE)),
        (bad(&|m| m.mode = 9), inference(ERR_INVALID_MODE)),
        (bad(&|m| m.k = 2), inference(ERR_BAD_REDUNDANCY)),
        (bad(&|m| m.requester = "x".into()), ("sdk", 7)),
    ];
    for (i, (m, want)) in cases.into_iter().enumerate() {
        let got = exec_at(&mut s, 12, m)
            .map(|_| ())
            .map_err(|e| (e.codespace, e.code));
        assert_eq!(got, Err(want), "case {i}");
    }
    // A model without key takes no zk request; a model without server none at all.
    let mut none = register_msg(1, fx_a(), 1);
    none.zk_mode = pb::ZkMode::None as i32;
    none.verifying_key.clear();
    none.circuit = None;
    let nid = exec_response::<_, pb::MsgRegisterModelResponse>(&mut s, 12, none)
        .unwrap()
        .model_id;
    assert_eq!(
        code(exec_at(&mut s, 12, request_msg(3, nid, &INPUT, 10))),
        inference(ERR_MODEL_HAS_NO_KEY)
    );
    let lonely = register_model(&mut s, 1, fx_b(), 1);
    assert_eq!(
        code(exec_at(&mut s, 12, request_msg(3, lonely, &INPUT, 10))),
        inference(ERR_NO_SERVER)
    );
    let mut s2 = snapshot.clone();
    exec(
        &mut s2,
        pb::MsgUpdateModel {
            owner: addr(1).to_bech32(),
            model_id: id,
            price: udeai(1000),
            enabled: false,
        },
    )
    .unwrap();
    assert_eq!(
        code(exec_at(&mut s2, 12, ok)),
        inference(ERR_MODEL_DISABLED)
    );
}

#[test]
fn a_missed_deadline_refunds_the_requester_and_slashes_the_server() {
    let (mut s, id, rid) = setup();
    let (req0, pool0) = (balance(&s, 3, "udeai"), pool(&s));
    // Not yet at height 29.
    end_block_at(&mut s, 29);
    assert_eq!(request(&s, rid).state, pb::RequestState::Pending as i32);
    let events = end_block_at(&mut s, 30);
    assert!(has_event(&events, "deai.inference.v1.EventRequestExpired"));
    let slashed: pb::EventServerSlashed = events
        .iter()
        .find(|e| e.kind == "deai.inference.v1.EventServerSlashed")
        .map(|e| deai_framework::parse_typed_event(e).unwrap())
        .unwrap();
    assert_eq!(slashed.reason, "missed_deadline");
    assert_eq!(slashed.to_victim, udeai(STAKE / 100));
    let slash = STAKE / 100;
    // The fee back, and the slash to the requester (capped at the fee, which it is below).
    assert_eq!(balance(&s, 3, "udeai"), req0 + FEE + slash);
    assert_eq!(pool(&s), pool0);
    let req = request(&s, rid);
    assert_eq!(req.state, pb::RequestState::Expired as i32);
    let srv = query::<_, pb::QueryServerResponse>(
        &s,
        "/deai.inference.v1.Query/Server",
        pb::QueryServerRequest {
            model_id: id,
            server: addr(2).to_bech32(),
        },
    )
    .unwrap()
    .server
    .unwrap();
    assert_eq!(srv.stake, udeai(STAKE - slash));
    assert_eq!((srv.missed, srv.pending_requests), (1, 0));
    assert_reconciles(&s);
    // Expired once.
    assert!(end_block_at(&mut s, 31).is_empty());
    // A slash above the fee: the rest goes to the community pool.
    let mut p = Params::default();
    p.miss_slash_fraction = Dec::parse("0.5").unwrap();
    // The slashed server is now below the default minimum, which would keep it from the draw.
    p.server_min_stake.amount = 1;
    exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p.to_proto()),
        },
    )
    .unwrap();
    let r: pb::MsgRequestInferenceResponse =
        exec_response(&mut s, 40, request_msg(3, id, &INPUT, 1000)).unwrap();
    let (req1, pool1) = (balance(&s, 3, "udeai"), pool(&s));
    end_block_at(&mut s, r.deadline);
    let slash2 = (STAKE - slash) / 2;
    assert_eq!(balance(&s, 3, "udeai"), req1 + 1000 + 1000);
    assert_eq!(pool(&s), pool1 + slash2 - 1000);
    assert_reconciles(&s);
}

#[test]
fn end_block_expires_a_bounded_number_a_block() {
    let mut s = store();
    let id = register_model(&mut s, 1, fx_a(), 1);
    register_server(&mut s, 2, id, STAKE);
    let n = MAX_EXPIRIES_PER_BLOCK + 6;
    for _ in 0..n {
        exec_at(&mut s, 10, request_msg(3, id, &INPUT, 1)).unwrap();
    }
    let count = |ev: &[deai_framework::Event]| {
        ev.iter()
            .filter(|e| e.kind == "deai.inference.v1.EventRequestExpired")
            .count()
    };
    assert_eq!(count(&end_block_at(&mut s, 30)), MAX_EXPIRIES_PER_BLOCK);
    assert_eq!(count(&end_block_at(&mut s, 31)), 6);
    assert_reconciles(&s);
}

#[test]
fn a_private_model_argmax_proof_is_verified_and_paid() {
    let mut s = store();
    let fx = fx_private();
    let id = register_model(&mut s, 1, fx, 100);
    register_server(&mut s, 2, id, STAKE);
    let r: pb::MsgRequestInferenceResponse =
        exec_response(&mut s, 10, request_msg(3, id, &INPUT, 100)).unwrap();
    let (output, proof) = prove(fx, &INPUT, r.request_id, 2);
    assert_eq!(output.len(), 1);
    let mut wrong = output.clone();
    wrong[0] = 1 - wrong[0];
    assert_eq!(
        code(exec_at(
            &mut s,
            11,
            submit_msg(2, r.request_id, wrong, proof.clone())
        )),
        inference(ERR_PROOF_REJECTED)
    );
    // A cache miss rebuilds the verifier from the stored key, at the same gas. (Tests in
    // this process also run many stores whose model 1 has another key: the cache serves a
    // verifier only for the exact key bytes.)
    let before = s.clone();
    let (_, _, hot_gas) = exec_full(
        &mut s,
        11,
        submit_msg(2, r.request_id, output.clone(), proof.clone()),
    )
    .unwrap();
    let mut cold = before;
    zk::forget(id);
    let (_, _, cold_gas) =
        exec_full(&mut cold, 11, submit_msg(2, r.request_id, output, proof)).unwrap();
    assert_eq!(hot_gas, cold_gas);
    assert!(dump(&s) == dump(&cold));
    // 100 × 0.02 = 2, 100 × 0.05 = 5.
    assert_eq!(pool(&s), 2);
    assert_reconciles(&s);
}
