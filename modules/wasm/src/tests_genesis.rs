//! Genesis: export → import → export is exact, in wasmd's JSON; wasmd's import checks.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::testing::addr;
use deai_framework::{MemStore, Module, StateRead};

use crate::access::nobody;
use crate::error::*;
use crate::keeper::WasmRead;
use crate::tests_fixtures::*;
use crate::{address, state_key, WasmModule};

/// Two codes (one gzipped, one pinned), three contracts (one migrated: two history entries),
/// with storage.
fn rich() -> pb::GenesisState {
    let c1 = address::classic(1, 1).unwrap();
    let c2 = address::classic(1, 2).unwrap();
    let c3 = address::predictable(&checksum(&wasm(2)), &addr(4), b"salt", b"").unwrap();
    let mut migrated = contract_rec(&c2, 2, &addr(3), Some(&addr(3)), 7, &[]);
    migrated.contract_info.as_mut().unwrap().code_id = 2;
    migrated.contract_code_history[0].code_id = 1;
    migrated
        .contract_code_history
        .push(pb::ContractCodeHistoryEntry {
            operation: pb::ContractCodeHistoryOperationType::Migrate as i32,
            code_id: 2,
            updated: pos(9, 3),
            msg: b"{}".to_vec(),
        });
    let mut pinned = code_rec(2, &addr(2), wasm(2), &wasm(2));
    pinned.pinned = true;
    pinned.code_info.as_mut().unwrap().instantiate_config = Some(any_of(&[&addr(4)]));
    pb::GenesisState {
        params: Some(pb::Params {
            code_upload_access: Some(any_of(&[&addr(1), &addr(2)])),
            instantiate_default_permission: pb::AccessType::Nobody as i32,
        }),
        codes: vec![code_rec(1, &addr(1), gzip(&wasm(1)), &wasm(1)), pinned],
        contracts: vec![
            contract_rec(&c1, 1, &addr(3), None, 5, &[(b"a", b"1"), (b"b", b"2")]),
            migrated,
            contract_rec(&c3, 2, &addr(4), Some(&addr(4)), 8, &[(b"\x00\xff", b"")]),
        ],
        sequences: seqs(3, 3),
    }
}

#[test]
fn export_import_export_is_exact() {
    let s = init(&rich()).unwrap();
    let json = WasmModule.export_genesis(&s).unwrap();
    let mut again = MemStore::new();
    WasmModule.init_genesis(&mut again, &json).unwrap();
    assert_eq!(WasmModule.export_genesis(&again).unwrap(), json);
    // The whole state is the same, indexes included.
    assert_eq!(format!("{s:?}"), format!("{again:?}"));

    // wasmd's JSON: proto field names, access types by wasmd's names, gunzipped code.
    let text = json.to_string();
    assert!(text.contains(r#""code_upload_access""#), "{text}");
    assert!(text.contains(r#""permission":"AnyOfAddresses""#), "{text}");
    assert!(
        text.contains(r#""instantiate_default_permission":"Nobody""#),
        "{text}"
    );
    assert!(text.contains(r#""contract_code_history""#), "{text}");
    assert!(!text.contains("ACCESS_TYPE"), "{text}");
    let exported = crate::import_proto(&json).unwrap().0;
    assert_eq!(exported.codes[0].code_bytes, wasm(1));
    assert!(exported.codes[1].pinned);
    assert_eq!(exported.contracts.len(), 3);
    assert_eq!(exported.sequences, seqs(3, 3));
    assert_eq!(
        json["authority"],
        deai_framework::authority::default_authority().to_bech32()
    );
}

#[test]
fn import_accepts_proto_enum_names_and_defaults() {
    let json = serde_json::json!({
        "params": {"code_upload_access": {"permission": "ACCESS_TYPE_NOBODY", "addresses": []},
                   "instantiate_default_permission": "Everybody"},
        "authority": addr(9).to_bech32(),
    });
    let mut s = MemStore::new();
    WasmModule.init_genesis(&mut s, &json).unwrap();
    assert_eq!(s.wasm_params().unwrap().code_upload_access, Some(nobody()));
    assert_eq!(
        deai_framework::authority::get(&s, &state_key::authority()).unwrap(),
        addr(9)
    );
    let mut empty = MemStore::new();
    WasmModule
        .init_genesis(&mut empty, &serde_json::Value::Null)
        .unwrap();
    let out = WasmModule.export_genesis(&empty).unwrap();
    assert_eq!(out["sequences"][0]["value"], "1");
}

fn refused(g: pb::GenesisState) -> u32 {
    init(&g).unwrap_err().code
}

#[test]
fn import_refuses_what_wasmd_refuses() {
    let mut g = rich();
    g.codes[1].code_info.as_mut().unwrap().code_hash = checksum(b"other");
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    let mut g = rich();
    g.codes[1].code_bytes = b"not wasm".to_vec();
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    let mut g = rich();
    g.codes[1].code_id = 1;
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    let mut g = rich();
    g.contracts[0].contract_info.as_mut().unwrap().code_id = 9;
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    let mut g = rich();
    g.contracts[0].contract_code_history.clear();
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    let mut g = rich();
    let dup = g.contracts[0].clone();
    g.contracts.push(dup);
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    let mut g = rich();
    g.contracts[0].contract_state.push(pb::Model {
        key: b"a".to_vec(),
        value: vec![],
    });
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    let mut g = rich();
    g.contracts[0].contract_info.as_mut().unwrap().label = String::new();
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    // The next code id must be above every code's.
    let mut g = rich();
    g.sequences = seqs(2, 3);
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    // The next classic address must be free: classic(n, n) as wasmd checks it.
    let mut g = rich();
    let taken = address::classic(5, 5).unwrap();
    g.contracts
        .push(contract_rec(&taken, 1, &addr(3), None, 9, &[]));
    g.sequences = seqs(3, 5);
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    let mut g = rich();
    g.sequences.push(pb::Sequence {
        id_key: b"\x04other".to_vec(),
        value: 1,
    });
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
    let mut g = rich();
    g.params.as_mut().unwrap().instantiate_default_permission = 0;
    assert_eq!(refused(g), ERR_INVALID_GENESIS);
}

#[test]
fn import_builds_the_indexes() {
    let s = init(&rich()).unwrap();
    let c2 = address::classic(1, 2).unwrap();
    let history = s.contract_history(&c2).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(s.last_history_position(&c2).unwrap(), 2);
    // Indexed under its current code, at its migration.
    let under2 = state_key::by_code(2, &state_key::position_bytes(pos(9, 3).as_ref()), &c2);
    assert!(s.get(&under2).unwrap().is_some());
    assert!(s.is_pinned(2).unwrap());
    assert!(!s.is_pinned(1).unwrap());
}
