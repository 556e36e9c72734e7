//! Optimistic requests end to end, with real proofs where the model has a key: an
//! unchallenged output is paid at the end of its window; a challenge is settled by the
//! server's proof, by its silence, or by the chain re-running the quantized model; bonds,
//! slashes (requester, then challenger, then community pool), take and royalty reconcile
//! to the unit. Every tampering case is refused with its own code and changes nothing.

use deai_bank::BankRead;
use deai_framework::{Event, MemStore};
use deai_proto::inference::v1 as pb;

use crate::tests::*;
use crate::*;

pub(crate) const INPUT: [i64; 4] = [3, 0, 15, 7];
pub(crate) const FEE: u128 = 1_000_001;
pub(crate) const BOND: u128 = 1_000_000;
/// floor(FEE × 0.02), floor(FEE × 0.05).
pub(crate) const TAKE: u128 = 20_000;
pub(crate) const ROYALTY: u128 = 50_000;

pub(crate) fn set_params(s: &mut MemStore, f: impl FnOnce(&mut Params)) {
    let mut p = s.inference_params().unwrap();
    f(&mut p);
    exec(
        s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p.to_proto()),
        },
    )
    .unwrap();
}

pub(crate) fn short_windows(s: &mut MemStore) {
    set_params(s, |p| {
        p.challenge_window = 5;
        p.response_window = 5;
    });
}

/// The MsgRegisterModel of a model without a key (zk_mode none).
pub(crate) fn register_none_msg(
    owner: u8,
    m: &deai_zk::QuantizedModel,
    price: u128,
) -> pb::MsgRegisterModel {
    let mut arch = vec![m.n_inputs() as u32];
    arch.extend(m.layers.iter().map(|l| l.n_out as u32));
    pb::MsgRegisterModel {
        owner: addr(owner).to_bech32(),
        name: "plain".into(),
        architecture: arch,
        weights_sha256: vec![1; 32],
        quantized_weights_sha256: weights_sha256(m).to_vec(),
        zk_mode: pb::ZkMode::None as i32,
        input_min: m.input_min,
        input_max: m.input_max,
        input_frac_bits: m.input_frac_bits,
        price: udeai(price),
        ..Default::default()
    }
}

pub(crate) fn opt_request(
    requester: u8,
    model: u64,
    input: &[i64],
    fee: u128,
) -> pb::MsgRequestInference {
    pb::MsgRequestInference {
        mode: pb::VerificationMode::Optimistic as i32,
        ..request_msg(requester, model, input, fee)
    }
}

/// Model of owner 1 (fx_a, price 1000) served by 2; an optimistic request of 3 at height 10.
fn setup() -> (MemStore, u64, u64) {
    let mut s = store();
    short_windows(&mut s);
    let id = register_model(&mut s, 1, fx_a(), 1000);
    register_server(&mut s, 2, id, STAKE);
    let r: pb::MsgRequestInferenceResponse =
        exec_response(&mut s, 10, opt_request(3, id, &INPUT, FEE)).unwrap();
    assert_eq!(r.servers, vec![addr(2).to_bech32()]);
    (s, id, r.request_id)
}

pub(crate) fn request(s: &MemStore, id: u64) -> pb::Request {
    s.get_request(id).unwrap().unwrap()
}

pub(crate) fn challenge_of(s: &MemStore, id: u64) -> pb::Challenge {
    query::<_, pb::QueryChallengeResponse>(
        s,
        "/deai.inference.v1.Query/Challenge",
        pb::QueryChallengeRequest { request_id: id },
    )
    .unwrap()
    .challenge
    .unwrap()
}

pub(crate) fn stake_of(s: &MemStore, model: u64, who: u8) -> u128 {
    s.get_server(model, &addr(who))
        .unwrap()
        .unwrap()
        .stake
        .unwrap()
        .amount
        .parse()
        .unwrap()
}

pub(crate) fn event<E: prost_reflect::ReflectMessage + Default>(events: &[Event]) -> E {
    let name = E::default().descriptor().full_name().to_string();
    events
        .iter()
        .find(|e| e.kind == name)
        .map(|e| deai_framework::parse_typed_event(e).unwrap())
        .unwrap_or_else(|| panic!("no {name}"))
}

pub(crate) fn challenge_msg(who: u8, rid: u64, bond: u128) -> pb::MsgChallenge {
    pb::MsgChallenge {
        challenger: addr(who).to_bech32(),
        request_id: rid,
        bond: udeai(bond),
    }
}

pub(crate) fn adjudicate_msg(who: u8, rid: u64, weights: Vec<u8>) -> pb::MsgAdjudicate {
    pb::MsgAdjudicate {
        sender: addr(who).to_bech32(),
        request_id: rid,
        quantized_weights: weights,
    }
}

pub(crate) fn respond_msg(who: u8, rid: u64, proof: Vec<u8>) -> pb::MsgRespondChallenge {
    pb::MsgRespondChallenge {
        server: addr(who).to_bech32(),
        request_id: rid,
        proof,
    }
}

fn honest() -> Vec<i64> {
    fx_a().model.infer(&INPUT).unwrap()
}

/// fx_b's output: one logit off by one, inside fx_a's declared bounds.
fn lie() -> Vec<i64> {
    let mut o = honest();
    o[1] += 1;
    o
}

pub(crate) fn balances(s: &MemStore) -> [u128; 7] {
    [
        pool(s),
        balance(s, 1, "udeai"),
        balance(s, 2, "udeai"),
        balance(s, 3, "udeai"),
        balance(s, 4, "udeai"),
        balance(s, 5, "udeai"),
        s.module_balance(MODULE_ACCOUNT, "udeai").unwrap(),
    ]
}

#[test]
fn an_unchallenged_output_is_paid_when_its_window_closes() {
    let (mut s, _, rid) = setup();
    let b0 = balances(&s);
    let (resp, events, _) =
        exec_full(&mut s, 12, submit_msg(2, rid, honest(), Vec::new())).unwrap();
    let resp =
        <pb::MsgSubmitInferenceResponse as prost::Message>::decode(resp.value.as_slice()).unwrap();
    assert_eq!(resp.state, pb::RequestState::ChallengeWindow as i32);
    let sub: pb::EventInferenceSubmitted = event(&events);
    assert_eq!((sub.proof_verified, sub.bond), (false, udeai(BOND)));
    assert_eq!(balance(&s, 2, "udeai"), b0[2] - BOND);
    let r = request(&s, rid);
    assert_eq!((r.challenge_deadline, r.output.clone()), (17, honest()));
    assert_reconciles(&s);
    // A second answer is refused: the request is no longer pending.
    assert_eq!(
        code(exec_at(&mut s, 13, submit_msg(2, rid, lie(), Vec::new()))),
        inference(ERR_REQUEST_NOT_PENDING)
    );
    assert!(end_block_at(&mut s, 16).is_empty());
    let events = end_block_at(&mut s, 17);
    let done: pb::EventRequestCompleted = event(&events);
    assert_eq!(done.paid_servers, vec![addr(2).to_bech32()]);
    assert_eq!(request(&s, rid).state, pb::RequestState::Completed as i32);
    let b1 = balances(&s);
    assert_eq!(b1[0], b0[0] + TAKE);
    assert_eq!(b1[1], b0[1] + ROYALTY);
    assert_eq!(b1[2], b0[2] + FEE - TAKE - ROYALTY);
    assert_eq!(b1[6], b0[6] - FEE);
    assert_reconciles(&s);
    // The window is over: no challenge.
    assert_eq!(
        code(exec_at(&mut s, 17, challenge_msg(4, rid, BOND))),
        inference(ERR_NOT_CHALLENGEABLE)
    );
    let s2 = s.get_server(1, &addr(2)).unwrap().unwrap();
    assert_eq!((s2.pending_requests, s2.served), (0, 1));
}

#[test]
fn a_challenge_answered_by_a_valid_proof_pays_the_server_both_bonds_and_rejects_tampering() {
    let (mut s, _, rid) = setup();
    let b0 = balances(&s);
    exec_at(&mut s, 12, submit_msg(2, rid, honest(), Vec::new())).unwrap();
    // Challenges with the wrong bond, then a good one.
    assert_eq!(
        code(exec_at(&mut s, 13, challenge_msg(4, rid, BOND - 1))),
        inference(ERR_BAD_BOND)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            13,
            pb::MsgChallenge {
                bond: Some(coin(BOND, "uatom")),
                ..challenge_msg(4, rid, 0)
            }
        )),
        inference(ERR_BAD_BOND)
    );
    let (resp, events, _) = exec_full(&mut s, 13, challenge_msg(4, rid, BOND)).unwrap();
    let resp = <pb::MsgChallengeResponse as prost::Message>::decode(resp.value.as_slice()).unwrap();
    assert_eq!(resp.response_deadline, 18);
    let opened: pb::EventChallengeOpened = event(&events);
    assert_eq!(opened.challenger, addr(4).to_bech32());
    assert_eq!(request(&s, rid).state, pb::RequestState::Disputed as i32);
    assert_eq!(challenge_of(&s, rid).state, pb::ChallengeState::Open as i32);
    assert_reconciles(&s);
    // Only one challenge.
    assert_eq!(
        code(exec_at(&mut s, 13, challenge_msg(5, rid, BOND))),
        inference(ERR_NOT_CHALLENGEABLE)
    );
    // Tampering, each refused with nothing changed:
    let before = dump(&s);
    let refuse = |s: &mut MemStore, proof: Vec<u8>, who: u8, want: u32| {
        assert_eq!(
            code(exec_at(s, 14, respond_msg(who, rid, proof))),
            inference(want)
        );
        assert!(dump(s) == before);
    };
    // a proof replayed from another request (bound to another id),
    let (_, other_req) = prove(fx_a(), &INPUT, rid + 1, 2);
    refuse(&mut s, other_req, 2, ERR_PROOF_REJECTED);
    // a proof for an altered input,
    let (_, other_input) = prove(fx_a(), &[4, 0, 15, 7], rid, 2);
    refuse(&mut s, other_input, 2, ERR_PROOF_REJECTED);
    // a proof for another model (of its own, different, output),
    let (_, other_model) = prove(fx_b(), &INPUT, rid, 2);
    refuse(&mut s, other_model, 2, ERR_PROOF_REJECTED);
    // garbage, and a response from someone else.
    refuse(&mut s, vec![0; 3], 2, ERR_MALFORMED_PROOF);
    let (_, good) = prove(fx_a(), &INPUT, rid, 2);
    refuse(&mut s, good.clone(), 4, ERR_NOT_ASSIGNED);
    let (_, events, gas) = exec_full(&mut s, 14, respond_msg(2, rid, good)).unwrap();
    assert!(gas > 60_000);
    let res: pb::EventChallengeResolved = event(&events);
    assert_eq!(res.state, pb::ChallengeState::Rejected as i32);
    assert_eq!(res.resolution, pb::Resolution::Proof as i32);
    assert_eq!(res.winner, addr(2).to_bech32());
    let b1 = balances(&s);
    assert_eq!(b1[0], b0[0] + TAKE);
    assert_eq!(b1[1], b0[1] + ROYALTY);
    assert_eq!(b1[2], b0[2] + FEE - TAKE - ROYALTY + BOND);
    assert_eq!(b1[4], b0[4] - BOND);
    assert_eq!(b1[6], b0[6] - FEE);
    assert_eq!(request(&s, rid).state, pb::RequestState::Completed as i32);
    assert_eq!(
        challenge_of(&s, rid).resolution,
        pb::Resolution::Proof as i32
    );
    assert!(end_block_at(&mut s, 18).is_empty());
    assert_reconciles(&s);
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
}

/// A lying server loses: both bonds to the challenger, the fee back to the requester, and
/// half its stake: the requester up to the fee, the challenger up to the challenge bond,
/// the rest to the community pool.
pub(crate) fn assert_liar_lost(s: &MemStore, b0: [u128; 7], model: u64) {
    let slash = STAKE / 2;
    let to_pool = slash - FEE - BOND;
    let b1 = balances(s);
    assert_eq!(b1[0], b0[0] + to_pool);
    assert_eq!(b1[1], b0[1]);
    assert_eq!(b1[2], b0[2] - BOND);
    assert_eq!(b1[3], b0[3] + FEE + FEE);
    assert_eq!(b1[4], b0[4] + BOND + BOND);
    assert_eq!(b1[6], b0[6] - FEE - slash);
    assert_eq!(stake_of(s, model, 2), STAKE - slash);
    assert_reconciles(s);
}

#[test]
fn a_liar_that_cannot_prove_loses_when_the_response_window_ends() {
    let (mut s, model, rid) = setup();
    let b0 = balances(&s);
    exec_at(&mut s, 12, submit_msg(2, rid, lie(), Vec::new())).unwrap();
    exec_at(&mut s, 13, challenge_msg(4, rid, BOND)).unwrap();
    // The true output's proof does not prove the posted one.
    let (_, true_proof) = prove(fx_a(), &INPUT, rid, 2);
    let before = dump(&s);
    assert_eq!(
        code(exec_at(&mut s, 14, respond_msg(2, rid, true_proof))),
        inference(ERR_PROOF_REJECTED)
    );
    assert!(dump(&s) == before);
    assert!(end_block_at(&mut s, 17).is_empty());
    let events = end_block_at(&mut s, 18);
    let slashed: pb::EventServerSlashed = event(&events);
    assert_eq!(slashed.reason, "wrong_output");
    assert_eq!(
        (slashed.to_victim.clone(), slashed.to_reporter.clone()),
        (udeai(FEE), udeai(BOND))
    );
    let res: pb::EventChallengeResolved = event(&events);
    assert_eq!(
        (res.state, res.resolution),
        (
            pb::ChallengeState::Upheld as i32,
            pb::Resolution::Timeout as i32
        )
    );
    let refuted: pb::EventRequestRefuted = event(&events);
    assert_eq!(refuted.wrong_servers, vec![addr(2).to_bech32()]);
    assert_eq!(request(&s, rid).state, pb::RequestState::Refuted as i32);
    assert_liar_lost(&s, b0, model);
    // Settled: no more responses or adjudications.
    assert_eq!(
        code(exec_at(
            &mut s,
            18,
            adjudicate_msg(4, rid, fx_a().model.canonical_bytes())
        )),
        inference(ERR_NOT_DISPUTED)
    );
}

#[test]
fn a_liar_is_refuted_by_re_execution_and_a_wrong_weights_file_changes_nothing() {
    let (mut s, model, rid) = setup();
    let b0 = balances(&s);
    exec_at(&mut s, 12, submit_msg(2, rid, lie(), Vec::new())).unwrap();
    assert_eq!(
        code(exec_at(
            &mut s,
            13,
            adjudicate_msg(4, rid, fx_a().model.canonical_bytes())
        )),
        inference(ERR_NOT_DISPUTED)
    );
    exec_at(&mut s, 13, challenge_msg(4, rid, BOND)).unwrap();
    let before = dump(&s);
    // Another model's weights (the one whose output the liar posted), one flipped byte, and
    // garbage: each its own code, nothing changed.
    let other = fx_b().model.canonical_bytes();
    assert_eq!(
        code(exec_at(&mut s, 14, adjudicate_msg(4, rid, other))),
        inference(ERR_WEIGHTS_MISMATCH)
    );
    let mut flipped = fx_a().model.canonical_bytes();
    let n = flipped.len();
    flipped[n - 1] ^= 1;
    assert_eq!(
        code(exec_at(&mut s, 14, adjudicate_msg(4, rid, flipped))),
        inference(ERR_WEIGHTS_MISMATCH)
    );
    assert_eq!(
        code(exec_at(&mut s, 14, adjudicate_msg(4, rid, vec![7; 10]))),
        inference(ERR_WEIGHTS_MISMATCH)
    );
    assert!(dump(&s) == before);
    // Anyone may adjudicate (here user 5); the challenger is still the reporter.
    let resp: pb::MsgAdjudicateResponse = exec_response(
        &mut s,
        14,
        adjudicate_msg(5, rid, fx_a().model.canonical_bytes()),
    )
    .unwrap();
    assert_eq!(resp.resolution, pb::Resolution::Reexecution as i32);
    assert_eq!(resp.recomputed_output, honest());
    let ch = challenge_of(&s, rid);
    assert_eq!(
        (ch.state, ch.resolution, ch.recomputed_output.clone()),
        (
            pb::ChallengeState::Upheld as i32,
            pb::Resolution::Reexecution as i32,
            honest()
        )
    );
    assert_eq!(request(&s, rid).state, pb::RequestState::Refuted as i32);
    assert_liar_lost(&s, b0, model);
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
}

#[test]
fn an_honest_output_of_a_model_without_key_is_upheld_by_re_execution_or_silence() {
    let mut s = store();
    short_windows(&mut s);
    let m = qmodel(&[4, 3, 2], 7);
    let id =
        exec_response::<_, pb::MsgRegisterModelResponse>(&mut s, 5, register_none_msg(1, &m, 1000))
            .unwrap()
            .model_id;
    register_server(&mut s, 2, id, STAKE);
    // zk mode needs a key; optimistic does not.
    assert_eq!(
        code(exec_at(&mut s, 10, request_msg(3, id, &INPUT, FEE))),
        inference(ERR_MODEL_HAS_NO_KEY)
    );
    let b0 = balances(&s);
    let out = m.infer(&INPUT).unwrap();
    let mut rids = Vec::new();
    for _ in 0..2 {
        let r: pb::MsgRequestInferenceResponse =
            exec_response(&mut s, 10, opt_request(3, id, &INPUT, FEE)).unwrap();
        assert_eq!(
            code(exec_at(
                &mut s,
                11,
                submit_msg(2, r.request_id, vec![1, 2, 3], Vec::new())
            )),
            inference(ERR_INVALID_OUTPUT)
        );
        exec_at(
            &mut s,
            11,
            submit_msg(2, r.request_id, out.clone(), Vec::new()),
        )
        .unwrap();
        exec_at(&mut s, 12, challenge_msg(4, r.request_id, BOND)).unwrap();
        rids.push(r.request_id);
    }
    // No key: no proof can answer.
    assert_eq!(
        code(exec_at(&mut s, 13, respond_msg(2, rids[0], vec![0; 128]))),
        inference(ERR_MODEL_HAS_NO_KEY)
    );
    let (_, events, _) =
        exec_full(&mut s, 13, adjudicate_msg(4, rids[0], m.canonical_bytes())).unwrap();
    let res: pb::EventChallengeResolved = event(&events);
    assert_eq!(res.state, pb::ChallengeState::Rejected as i32);
    assert_eq!(res.adjudication_gas, 2 * (4 * 3 + 3 * 2));
    // The second: nobody adjudicates; at the dispute deadline the output stands.
    let events = end_block_at(&mut s, 17);
    let res: pb::EventChallengeResolved = event(&events);
    assert_eq!(
        (res.state, res.resolution),
        (
            pb::ChallengeState::Rejected as i32,
            pb::Resolution::Timeout as i32
        )
    );
    // Each: the server paid the fee and the challenger's bond.
    let b1 = balances(&s);
    assert_eq!(b1[2], b0[2] + 2 * (FEE - TAKE - ROYALTY + BOND));
    assert_eq!(b1[4], b0[4] - 2 * BOND);
    assert_eq!(b1[3], b0[3] - 2 * FEE);
    assert_eq!(b1[0], b0[0] + 2 * TAKE);
    assert_eq!(b1[1], b0[1] + 2 * ROYALTY);
    assert_reconciles(&s);
}

#[test]
fn adjudication_is_bounded_before_it_runs_and_windows_are_enforced() {
    let (mut s, _, rid) = setup();
    exec_at(&mut s, 12, submit_msg(2, rid, lie(), Vec::new())).unwrap();
    // Outside the window (end_block not yet run at 18).
    assert_eq!(
        code(exec_at(&mut s, 18, challenge_msg(4, rid, BOND))),
        inference(ERR_CHALLENGE_WINDOW_CLOSED)
    );
    exec_at(&mut s, 13, challenge_msg(4, rid, BOND)).unwrap();
    let before = dump(&s);
    // fx_a has 4·3 + 3·2 = 18 multiply-accumulates.
    set_params(&mut s, |p| p.max_adjudication_macs = 17);
    let bytes = fx_a().model.canonical_bytes();
    assert_eq!(
        code(exec_at(&mut s, 14, adjudicate_msg(4, rid, bytes.clone()))),
        inference(ERR_ADJUDICATION_TOO_LARGE)
    );
    set_params(&mut s, |p| {
        p.max_adjudication_macs = 18;
        p.max_adjudication_bytes = bytes.len() as u64 - 1;
    });
    assert_eq!(
        code(exec_at(&mut s, 14, adjudicate_msg(4, rid, bytes.clone()))),
        inference(ERR_ADJUDICATION_TOO_LARGE)
    );
    set_params(&mut s, |p| p.max_adjudication_bytes = 1 << 20);
    // After the dispute deadline (end_block not yet run).
    assert_eq!(
        code(exec_at(&mut s, 19, adjudicate_msg(4, rid, bytes.clone()))),
        inference(ERR_DISPUTE_CLOSED)
    );
    let _ = before;
    // The gas: 2 per MAC on top of the rest.
    set_params(&mut s, |p| p.adjudication_gas_per_mac = 1_000_000);
    let (_, _, gas) = exec_full(&mut s, 14, adjudicate_msg(4, rid, bytes)).unwrap();
    assert!(gas >= 18_000_000, "{gas}");
    assert_reconciles(&s);
}

/// Gas and time of adjudicating the 64-32-10 and 784-56-10 models (docs/inference.md). Run
/// with `cargo test -p deai-inference adjudication_figures -- --nocapture`.
#[test]
fn adjudication_figures() {
    for dims in [[64usize, 32, 10], [784, 56, 10]] {
        let mut s = store();
        short_windows(&mut s);
        let m = qmodel(&dims, 11);
        let id = exec_response::<_, pb::MsgRegisterModelResponse>(
            &mut s,
            5,
            register_none_msg(1, &m, 1000),
        )
        .unwrap()
        .model_id;
        register_server(&mut s, 2, id, STAKE);
        let input: Vec<i64> = (0..dims[0] as i64).map(|i| i % 16).collect();
        let out = m.infer(&input).unwrap();
        let r: pb::MsgRequestInferenceResponse =
            exec_response(&mut s, 10, opt_request(3, id, &input, FEE)).unwrap();
        exec_at(&mut s, 11, submit_msg(2, r.request_id, out, Vec::new())).unwrap();
        exec_at(&mut s, 12, challenge_msg(4, r.request_id, BOND)).unwrap();
        let bytes = m.canonical_bytes();
        let t = std::time::Instant::now();
        let (_, events, gas) =
            exec_full(&mut s, 13, adjudicate_msg(4, r.request_id, bytes.clone())).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let res: pb::EventChallengeResolved = event(&events);
        assert_eq!(res.state, pb::ChallengeState::Rejected as i32);
        println!(
            "adjudication {:?}: {} MACs, {} bytes of weights, schedule gas {}, total gas {}, {:.2} ms",
            dims,
            m.macs(),
            bytes.len(),
            res.adjudication_gas,
            gas,
            ms
        );
        assert_eq!(res.adjudication_gas, 2 * m.macs());
        assert_reconciles(&s);
    }
}

#[test]
fn an_unbonding_liar_stays_slashable_until_its_dispute_ends() {
    let mut s = store();
    short_windows(&mut s);
    set_params(&mut s, |p| {
        p.max_deadline_blocks = 5;
        p.unbonding_blocks = 5;
    });
    let id = register_model(&mut s, 1, fx_a(), 1000);
    register_server(&mut s, 2, id, STAKE);
    let mut m = opt_request(3, id, &INPUT, FEE);
    m.deadline_blocks = 5;
    let rid = exec_response::<_, pb::MsgRequestInferenceResponse>(&mut s, 10, m)
        .unwrap()
        .request_id;
    let b2 = balance(&s, 2, "udeai");
    exec_at(&mut s, 15, submit_msg(2, rid, lie(), Vec::new())).unwrap();
    exec_at(
        &mut s,
        15,
        pb::MsgUnregisterServer {
            server: addr(2).to_bech32(),
            model_id: id,
        },
    )
    .unwrap();
    exec_at(&mut s, 20, challenge_msg(4, rid, BOND)).unwrap();
    // The unbonding would end at 20: pushed back to 25 (the request is disputed).
    let events = end_block_at(&mut s, 20);
    let ub: pb::EventServerUnbonding = event(&events);
    assert_eq!(ub.unbonding_end, 25);
    assert_reconciles(&s);
    // At 25 the dispute times out first (the liar is slashed), then the stake left returns.
    let events = end_block_at(&mut s, 25);
    assert!(has_event(&events, "deai.inference.v1.EventServerSlashed"));
    assert!(has_event(&events, "deai.inference.v1.EventServerUnbonded"));
    assert!(s.get_server(id, &addr(2)).unwrap().is_none());
    assert_eq!(balance(&s, 2, "udeai"), b2 - BOND + STAKE / 2);
    assert_eq!(request(&s, rid).state, pb::RequestState::Refuted as i32);
    assert_reconciles(&s);
}
