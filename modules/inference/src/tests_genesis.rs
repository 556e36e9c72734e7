//! Genesis: export → import → export is exact (models with their keys, servers active and
//! unbonding, requests pending, completed and expired, submissions), and a genesis whose
//! module account does not hold exactly the stakes and pending fees is refused.

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
    refused(&|app| {
        let r = &mut app["inference"]["requests"][0];
        r["mode"] = "VERIFICATION_MODE_OPTIMISTIC".into();
    });
    // The unchanged genesis imports.
    try_init_all(&exported).unwrap();
}
