//! Servers: registration (stake escrowed), every rejection by code, unbonding (no
//! assignment while unbonding, the stake back at the end), queries.

use deai_proto::inference::v1 as pb;

use crate::tests::*;
use crate::*;

fn reg(
    who: u8,
    model_id: u64,
    stake: Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
) -> pb::MsgRegisterServer {
    pb::MsgRegisterServer {
        server: addr(who).to_bech32(),
        model_id,
        stake,
    }
}

fn unreg(who: u8, model_id: u64) -> pb::MsgUnregisterServer {
    pb::MsgUnregisterServer {
        server: addr(who).to_bech32(),
        model_id,
    }
}

#[test]
fn a_server_stakes_and_every_bad_registration_is_refused() {
    let mut s = store();
    let id = register_model(&mut s, 1, fx_a(), 10);
    let before = balance(&s, 2, "udeai");
    let events = exec(&mut s, reg(2, id, udeai(STAKE))).unwrap();
    assert!(has_event(
        &events,
        "deai.inference.v1.EventServerRegistered"
    ));
    assert_eq!(balance(&s, 2, "udeai"), before - STAKE);
    assert_reconciles(&s);

    assert_eq!(
        code(exec(&mut s, reg(2, id, udeai(STAKE)))),
        inference(ERR_SERVER_EXISTS)
    );
    assert_eq!(
        code(exec(&mut s, reg(3, 99, udeai(STAKE)))),
        inference(ERR_MODEL_NOT_FOUND)
    );
    assert_eq!(
        code(exec(&mut s, reg(3, id, udeai(STAKE - 1)))),
        inference(ERR_STAKE_TOO_LOW)
    );
    assert_eq!(
        code(exec(&mut s, reg(3, id, Some(coin(STAKE, "uatom"))))),
        inference(ERR_DENOM_MISMATCH)
    );
    assert_eq!(
        code(exec(&mut s, reg(3, id, udeai(0)))),
        inference(ERR_ZERO_AMOUNT)
    );
    assert_eq!(code(exec(&mut s, reg(3, id, None))), ("sdk", 10));
    assert_eq!(code(exec(&mut s, reg(3, id, udeai(FUNDS + 1)))), ("sdk", 5));
    // The per-model cap.
    let mut p = Params::default();
    p.max_servers_per_model = 2;
    exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p.to_proto()),
        },
    )
    .unwrap();
    exec(&mut s, reg(3, id, udeai(STAKE))).unwrap();
    assert_eq!(
        code(exec(&mut s, reg(4, id, udeai(STAKE)))),
        inference(ERR_TOO_MANY_SERVERS)
    );

    let q: pb::QueryServersResponse = query(
        &s,
        "/deai.inference.v1.Query/Servers",
        pb::QueryServersRequest {
            model_id: id,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(q.servers.len(), 2);
    let m: pb::QueryModelResponse = query(
        &s,
        "/deai.inference.v1.Query/Model",
        pb::QueryModelRequest { id },
    )
    .unwrap();
    assert_eq!(m.model.unwrap().server_count, 2);
    assert_reconciles(&s);
}

#[test]
fn an_unbonding_server_is_not_assigned_and_gets_its_stake_back_at_the_end() {
    let mut s = store();
    let id = register_model(&mut s, 1, fx_a(), 10);
    register_server(&mut s, 2, id, STAKE);
    let before = balance(&s, 2, "udeai");
    assert_eq!(
        code(exec(&mut s, unreg(3, id))),
        inference(ERR_SERVER_NOT_FOUND)
    );
    let r: pb::MsgUnregisterServerResponse = exec_response(&mut s, 100, unreg(2, id)).unwrap();
    let end = 100 + Params::default().unbonding_blocks;
    assert_eq!(r.unbonding_end, end);
    assert_eq!(
        code(exec_at(&mut s, 101, unreg(2, id))),
        inference(ERR_SERVER_UNBONDING)
    );
    // No assignment while unbonding: the model has no server left to draw.
    assert_eq!(
        code(exec_at(&mut s, 101, request_msg(3, id, &[1, 2, 3, 4], 10))),
        inference(ERR_NO_SERVER)
    );
    // Nor can it register again for the model until the unbonding ends.
    assert_eq!(
        code(exec_at(&mut s, 102, reg(2, id, udeai(STAKE)))),
        inference(ERR_SERVER_EXISTS)
    );
    // Still held the block before the end.
    end_block_at(&mut s, end - 1);
    assert_eq!(balance(&s, 2, "udeai"), before);
    assert_reconciles(&s);
    let events = end_block_at(&mut s, end);
    assert!(has_event(&events, "deai.inference.v1.EventServerUnbonded"));
    assert_eq!(balance(&s, 2, "udeai"), before + STAKE);
    assert_eq!(
        code(query::<_, pb::QueryServerResponse>(
            &s,
            "/deai.inference.v1.Query/Server",
            pb::QueryServerRequest {
                model_id: id,
                server: addr(2).to_bech32()
            },
        )),
        ("sdk", 22)
    );
    let m: pb::QueryModelResponse = query(
        &s,
        "/deai.inference.v1.Query/Model",
        pb::QueryModelRequest { id },
    )
    .unwrap();
    assert_eq!(m.model.unwrap().server_count, 0);
    assert_reconciles(&s);
    // And it can register again.
    exec_at(&mut s, end + 1, reg(2, id, udeai(STAKE))).unwrap();
}

#[test]
fn the_draw_is_weighted_by_stake_and_skips_servers_below_the_minimum() {
    let mut s = store();
    let id = register_model(&mut s, 1, fx_a(), 10);
    register_server(&mut s, 2, id, STAKE);
    register_server(&mut s, 3, id, 3 * STAKE);
    let mut counts = [0u32; 2];
    for h in 0..200u64 {
        let r: pb::MsgRequestInferenceResponse =
            exec_response(&mut s, 10 + h, request_msg(4, id, &[1, 2, 3, 4], 10)).unwrap();
        assert_eq!(r.servers.len(), 1);
        if r.servers[0] == addr(2).to_bech32() {
            counts[0] += 1;
        } else {
            counts[1] += 1;
        }
    }
    // Expected 50 : 150.
    assert!((25..=80).contains(&counts[0]), "{counts:?}");
    // Raising the minimum above server 2's stake leaves only server 3.
    let mut p = Params::default();
    p.server_min_stake.amount = 2 * STAKE;
    exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p.to_proto()),
        },
    )
    .unwrap();
    for h in 0..20u64 {
        let r: pb::MsgRequestInferenceResponse =
            exec_response(&mut s, 300 + h, request_msg(4, id, &[1, 2, 3, 4], 10)).unwrap();
        assert_eq!(r.servers, vec![addr(3).to_bech32()]);
    }
    assert_reconciles(&s);
}
