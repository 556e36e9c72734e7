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
    let json = WasmModule::RECORDS.export_genesis(&s).unwrap();
    let mut again = MemStore::new();
    WasmModule::RECORDS.init_genesis(&mut again, &json).unwrap();
    assert_eq!(WasmModule::RECORDS.export_genesis(&again).unwrap(), json);
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
    WasmModule::RECORDS.init_genesis(&mut s, &json).unwrap();
    assert_eq!(s.wasm_params().unwrap().code_upload_access, Some(nobody()));
    assert_eq!(
        deai_framework::authority::get(&s, &state_key::authority()).unwrap(),
        addr(9)
    );
    let mut empty = MemStore::new();
    WasmModule::RECORDS
        .init_genesis(&mut empty, &serde_json::Value::Null)
        .unwrap();
    let out = WasmModule::RECORDS.export_genesis(&empty).unwrap();
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

/// The same bytes as a bech32 address of another prefix, written `deai1…`.
fn deai(other: &str) -> String {
    deai_framework::Address::from_bytes(&bech32::decode(other).unwrap().1)
        .unwrap()
        .to_bech32()
}

#[test]
fn imports_wasmds_own_genesis_json() {
    // wasmd's TestImportContractWithCodeHistoryPreserved (x/wasm/keeper/genesis_test.go),
    // with its cosmos1 addresses re-encoded for deai and a tiny wasm for hackatom.
    let (creator, c_creator, admin) = (
        deai("cosmos1qtu5n0cnhfkjj6l2rq97hmky9fd89gwca9yarx"),
        deai("cosmos13x849jzd03vne42ynpj25hn8npjecxqrjghd8x"),
        deai("cosmos1h5t8zxmjr30e9dqghtlpl40f2zz5cgey6esxtn"),
    );
    let contract = deai("cosmos14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s4hmalr");
    // wasmd's classic(1, 1).
    assert_eq!(contract, address::classic(1, 1).unwrap().to_bech32());
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let json = serde_json::json!({
        "params": {"code_upload_access": {"permission": "Everybody"},
                   "instantiate_default_permission": "Everybody"},
        "codes": [{"code_id": "1", "code_info": {
            "code_hash": b64(&checksum(&wasm(0))), "creator": creator,
            "instantiate_config": {"permission": "AnyOfAddresses", "addresses": [creator]}},
            "code_bytes": b64(&wasm(0))}],
        "contracts": [{"contract_address": contract, "contract_info": {
            "code_id": "1", "creator": c_creator, "admin": admin, "label": "ȀĴnZV芢毤",
            "created": {"block_height": "100", "tx_index": "10"}},
            "contract_code_history": [
                {"operation": "CONTRACT_CODE_HISTORY_OPERATION_TYPE_INIT", "code_id": "1",
                 "updated": {"block_height": "100", "tx_index": "10"}, "msg": {"foo": "bar"}},
                {"operation": "CONTRACT_CODE_HISTORY_OPERATION_TYPE_MIGRATE", "code_id": "1",
                 "updated": {"block_height": "200", "tx_index": "10"}, "msg": {"other": "msg"}}]}],
        "sequences": [{"id_key": "BGxhc3RDb2RlSWQ=", "value": "2"},
                      {"id_key": "BGxhc3RDb250cmFjdElk", "value": "3"}],
    });
    let mut s = MemStore::new();
    WasmModule::RECORDS.init_genesis(&mut s, &json).unwrap();
    let c = deai_framework::Address::from_bech32(&contract).unwrap();
    let history = s.contract_history(&c).unwrap();
    assert_eq!(history[0].msg, br#"{"foo":"bar"}"#.to_vec());
    assert_eq!(history[1].msg, br#"{"other":"msg"}"#.to_vec());
    assert_eq!(s.get_contract_info(&c).unwrap().unwrap().label, "ȀĴnZV芢毤");
    assert_eq!(s.wasm_sequence(state_key::SEQ_INSTANCE_ID).unwrap(), 3);
    // Export writes the messages inline again, and the sequences as wasmd does.
    let out = WasmModule::RECORDS.export_genesis(&s).unwrap();
    let h = &out["contracts"][0]["contract_code_history"];
    assert_eq!(h[0]["msg"], serde_json::json!({"foo": "bar"}));
    assert_eq!(out["sequences"][1]["id_key"], "BGxhc3RDb250cmFjdElk");
    assert_eq!(
        out["codes"][0]["code_info"]["instantiate_config"]["permission"],
        "AnyOfAddresses"
    );
}

#[test]
fn history_messages_round_trip_byte_exact() {
    let mut g = rich();
    let odd: &[&[u8]] = &[
        br#"{"b": 1, "a": {"permission": "Everybody"}}"#,
        br#""str""#,
        b"",
    ];
    for (i, m) in odd.iter().enumerate() {
        g.contracts[0]
            .contract_code_history
            .push(pb::ContractCodeHistoryEntry {
                operation: pb::ContractCodeHistoryOperationType::Migrate as i32,
                code_id: 1,
                updated: pos(20 + i as u64, 0),
                msg: m.to_vec(),
            });
    }
    g.contracts[0]
        .contract_code_history
        .push(pb::ContractCodeHistoryEntry {
            operation: pb::ContractCodeHistoryOperationType::Migrate as i32,
            code_id: 1,
            updated: pos(30, 0),
            msg: br#"{"a":{"permission":"Everybody"}}"#.to_vec(),
        });
    let s = init(&g).unwrap();
    let json = WasmModule::RECORDS.export_genesis(&s).unwrap();
    let c = address::classic(1, 1).unwrap();
    let exported = json["contracts"].as_array().unwrap();
    let mine = exported
        .iter()
        .find(|x| x["contract_address"] == c.to_bech32())
        .unwrap();
    let h = &mine["contract_code_history"];
    assert_eq!(h[0]["msg"], serde_json::json!({"init": {}}));
    assert!(h[1]["msg"].is_string(), "{}", h[1]);
    assert_eq!(
        h[4]["msg"],
        serde_json::json!({"a": {"permission": "Everybody"}})
    );
    let mut again = MemStore::new();
    WasmModule::RECORDS.init_genesis(&mut again, &json).unwrap();
    let msgs: Vec<Vec<u8>> = again
        .contract_history(&c)
        .unwrap()
        .into_iter()
        .map(|e| e.msg)
        .collect();
    let want: Vec<Vec<u8>> = g.contracts[0]
        .contract_code_history
        .iter()
        .map(|e| e.msg.clone())
        .collect();
    assert_eq!(msgs, want);
}
