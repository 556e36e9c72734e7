//! Genesis: export → import → export is exact (models with their keys, servers active and
//! unbonding, requests of every mode and state, submissions with their bonds, challenges),
//! and a genesis whose module account does not hold exactly the stakes, unsettled fees and
//! bonds, or whose records do not agree with each other, is refused.

use deai_framework::MemStore;
use deai_proto::inference::v1 as pb;

use crate::tests::*;
use crate::*;

const INPUT: [i64; 4] = [1, 2, 3, 4];

/// A state with every kind of record.
fn busy() -> MemStore {
    let mut s = store();
    let a = register_model(&mut s, 1, fx_a(), 10);
    let p = register_model(&mut s, 1, fx_private(), 10);
    let mut none = register_msg(2, fx_a(), 1);
    none.zk_mode = pb::ZkMode::None as i32;
    none.verifying_key.clear();
    none.circuit = None;
    exec(&mut s, none).unwrap();
    // Above the minimum after the 1 % slash of its missed request.
    register_server(&mut s, 2, a, 2 * STAKE);
    register_server(&mut s, 3, p, STAKE);
    register_server(&mut s, 4, p, 2 * STAKE);
    // Completed.
    let r: pb::MsgRequestInferenceResponse =
        exec_response(&mut s, 10, request_msg(5, a, &INPUT, 100)).unwrap();
    let (o, pr) = prove(fx_a(), &INPUT, r.request_id, 2);
    exec_at(&mut s, 11, submit_msg(2, r.request_id, o, pr)).unwrap();
    // Expired.
    exec_at(&mut s, 12, request_msg(5, a, &INPUT, 100)).unwrap();
    end_block_at(&mut s, 32);
    // Pending.
    exec_at(&mut s, 40, request_msg(5, p, &INPUT, 100)).unwrap();
    exec_at(&mut s, 41, request_msg(6, a, &INPUT, 100)).unwrap();
    // Unbonding (server 2 of model a holds a pending request).
    exec_at(
        &mut s,
        42,
        pb::MsgUnregisterServer {
            server: addr(2).to_bech32(),
            model_id: a,
        },
    )
    .unwrap();
    assert_reconciles(&s);
    s
}

#[test]
fn genesis_round_trips_exactly() {
    let s = busy();
    let exported = export_all(&s);
    let g = import_proto(&exported["inference"]).unwrap();
    assert_eq!(g.models.len(), 3);
    assert_eq!(g.servers.len(), 3);
    assert_eq!(g.requests.len(), 4);
    assert_eq!(g.submissions.len(), 1);
    assert_eq!((g.next_model_id, g.next_request_id), (4, 5));
    let s2 = init_all(&exported);
    assert_eq!(export_all(&s2), exported);
    // The imported state is the same state, indexes included.
    assert!(dump(&s2) == dump(&s));
}

#[test]
fn a_genesis_that_does_not_reconcile_or_holds_later_records_is_refused() {
    let exported = export_all(&busy());
    let refused = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut app = exported.clone();
        f(&mut app);
        let e = try_init_all(&app).map(|_| ()).unwrap_err();
        assert_eq!(
            (e.codespace, e.code),
            inference(ERR_INVALID_GENESIS),
            "{}",
            e.log
        );
    };
    // A stake that the module account does not hold.
    refused(&|app| app["inference"]["servers"][0]["stake"]["amount"] = "1".into());
    // A pending request whose fee is not counted.
    refused(&|app| {
        let reqs = app["inference"]["requests"].as_array_mut().unwrap();
        let pending = reqs
            .iter_mut()
            .find(|r| r["state"] == "REQUEST_STATE_PENDING")
            .unwrap();
        pending["state"] = "REQUEST_STATE_COMPLETED".into();
    });
    // A key that does not match its model.
    refused(&|app| app["inference"]["models"][0]["architecture"] = serde_json::json!([5, 3, 2]));
    // A server count that lies, a pending count that lies.
    refused(&|app| app["inference"]["models"][0]["server_count"] = 7.into());
    refused(&|app| app["inference"]["servers"][0]["pending_requests"] = 3.into());
    // A duplicate model id, an id at or above next_model_id.
    refused(&|app| {
        let m = app["inference"]["models"][0].clone();
        app["inference"]["models"].as_array_mut().unwrap().push(m);
    });
    refused(&|app| app["inference"]["next_model_id"] = "2".into());
    // Records of later slices.
    refused(&|app| {
        app["inference"]["topics"] =
            serde_json::json!([{"id": "1", "creator": addr(1).to_bech32()}])
    });
    // A request whose mode changed without the records that mode needs.
    refused(&|app| {
        let r = &mut app["inference"]["requests"][0];
        r["mode"] = "VERIFICATION_MODE_OPTIMISTIC".into();
    });
    // The unchanged genesis imports.
    try_init_all(&exported).unwrap();
}

/// Optimistic answers in their window and disputed, a redundant tie, settled challenges.
fn disputes() -> MemStore {
    use crate::tests_optimistic::{
        adjudicate_msg, challenge_msg, opt_request, short_windows, BOND, FEE, INPUT,
    };
    let mut s = store();
    short_windows(&mut s);
    // Liars slashed below the default minimum are still drawn.
    crate::tests_optimistic::set_params(&mut s, |p| p.server_min_stake.amount = 1);
    let id = register_model(&mut s, 1, fx_a(), 1000);
    register_server(&mut s, 2, id, STAKE);
    register_server(&mut s, 4, id, STAKE);
    let honest = fx_a().model.infer(&INPUT).unwrap();
    let mut lie = honest.clone();
    lie[1] += 1;
    let opt = |s: &mut MemStore| {
        exec_response::<_, pb::MsgRequestInferenceResponse>(s, 10, opt_request(3, id, &INPUT, FEE))
            .unwrap()
    };
    let server_of = |r: &pb::MsgRequestInferenceResponse| {
        crate::keeper::stored_addr(&r.servers[0])
            .unwrap()
            .as_bytes()[0]
    };
    // In its window.
    let a = opt(&mut s);
    exec_at(
        &mut s,
        11,
        submit_msg(server_of(&a), a.request_id, honest.clone(), Vec::new()),
    )
    .unwrap();
    // Disputed.
    let b = opt(&mut s);
    exec_at(
        &mut s,
        11,
        submit_msg(server_of(&b), b.request_id, lie.clone(), Vec::new()),
    )
    .unwrap();
    exec_at(&mut s, 12, challenge_msg(5, b.request_id, BOND)).unwrap();
    // Settled by re-execution.
    let c = opt(&mut s);
    exec_at(
        &mut s,
        11,
        submit_msg(server_of(&c), c.request_id, lie.clone(), Vec::new()),
    )
    .unwrap();
    exec_at(&mut s, 12, challenge_msg(5, c.request_id, BOND)).unwrap();
    exec_at(
        &mut s,
        12,
        adjudicate_msg(5, c.request_id, fx_a().model.canonical_bytes()),
    )
    .unwrap();
    // A redundant tie.
    let mut m = opt_request(3, id, &INPUT, FEE);
    m.mode = pb::VerificationMode::Redundant as i32;
    m.k = 2;
    let d = exec_response::<_, pb::MsgRequestInferenceResponse>(&mut s, 10, m).unwrap();
    exec_at(&mut s, 11, submit_msg(2, d.request_id, honest, Vec::new())).unwrap();
    exec_at(&mut s, 11, submit_msg(4, d.request_id, lie, Vec::new())).unwrap();
    assert_reconciles(&s);
    s
}

#[test]
fn disputes_round_trip_exactly_and_their_bonds_are_reconciled() {
    let s = disputes();
    let exported = export_all(&s);
    let g = import_proto(&exported["inference"]).unwrap();
    assert_eq!(g.challenges.len(), 3);
    let s2 = init_all(&exported);
    assert_eq!(export_all(&s2), exported);
    assert!(dump(&s2) == dump(&s));
    let refused = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut app = exported.clone();
        f(&mut app);
        let e = try_init_all(&app).map(|_| ()).unwrap_err();
        assert_eq!(
            (e.codespace, e.code),
            inference(ERR_INVALID_GENESIS),
            "{}",
            e.log
        );
    };
    let find = |app: &mut serde_json::Value, table: &str, state: &str| -> usize {
        app["inference"][table]
            .as_array()
            .unwrap()
            .iter()
            .position(|r| r["state"] == state)
            .unwrap()
    };
    // An open challenge's bond that the module account does not hold.
    refused(&|app| {
        let i = find(app, "challenges", "CHALLENGE_STATE_OPEN");
        app["inference"]["challenges"][i]["bond"]["amount"] = "1".into();
    });
    // A disputed request without its challenge.
    refused(&|app| {
        app["inference"]["challenges"]
            .as_array_mut()
            .unwrap()
            .clear();
    });
    // An optimistic answer without its bond.
    refused(&|app| {
        for sub in app["inference"]["submissions"].as_array_mut().unwrap() {
            sub["bond"] = serde_json::Value::Null;
        }
    });
    // A disputed request put back in its window (its challenge still open).
    refused(&|app| {
        let i = find(app, "requests", "REQUEST_STATE_DISPUTED");
        app["inference"]["requests"][i]["state"] = "REQUEST_STATE_CHALLENGE_WINDOW".into();
    });
    // A redundant request in a state it cannot be in.
    refused(&|app| {
        let reqs = app["inference"]["requests"].as_array_mut().unwrap();
        let r = reqs
            .iter_mut()
            .find(|r| r["mode"] == "VERIFICATION_MODE_REDUNDANT")
            .unwrap();
        r["state"] = "REQUEST_STATE_CHALLENGE_WINDOW".into();
    });
}
