//! MsgStoreCode: the upload policy, gzip, magic, size and gas.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::testing::{addr, block, code, exec};
use deai_framework::{sdk, Address, MemStore};

use crate::access::{everybody, nobody};
use crate::error::*;
use crate::keeper::WasmRead;
use crate::tests_fixtures::*;
use crate::{gas, WasmModule};

fn store_msg(sender: &Address, code: Vec<u8>, perm: Option<pb::AccessConfig>) -> pb::MsgStoreCode {
    pb::MsgStoreCode {
        sender: sender.to_bech32(),
        wasm_byte_code: code,
        instantiate_permission: perm,
    }
}

fn store_params(s: &mut MemStore, p: pb::Params) {
    use crate::keeper::WasmWrite;
    s.set_wasm_params(&p).unwrap();
}

#[test]
fn store_code_stores_by_checksum_and_numbers_from_one() {
    let mut s = init(&pb::GenesisState::default()).unwrap();
    let (r, events, used) = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), wasm(0), None),
    )
    .unwrap();
    let r: pb::MsgStoreCodeResponse = prost::Message::decode(r.value.as_slice()).unwrap();
    assert_eq!(r.code_id, 1);
    assert_eq!(r.checksum, checksum(&wasm(0)));
    assert!(used >= gas::compile_cost(wasm(0).len()));
    let ev = events.iter().find(|e| e.kind == "store_code").unwrap();
    assert_eq!(ev.attributes[0].0, "code_checksum");
    assert_eq!(ev.attributes[0].1, hex::encode(checksum(&wasm(0))));
    assert_eq!(ev.attributes[1], ("code_id".to_string(), "1".to_string()));
    let info = s.get_code_info(1).unwrap().unwrap();
    assert_eq!(info.creator, addr(1).to_bech32());
    assert_eq!(info.instantiate_config, Some(everybody()));
    // The same code again: a new id, the same bytes.
    let (r, _, _) = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(2),
        GAS,
        store_msg(&addr(2), wasm(0), None),
    )
    .unwrap();
    let r: pb::MsgStoreCodeResponse = prost::Message::decode(r.value.as_slice()).unwrap();
    assert_eq!(r.code_id, 2);
    assert_eq!(s.get_code_bytes(&r.checksum).unwrap().unwrap(), wasm(0));
}

#[test]
fn store_code_gunzips_as_cosmjs_sends_it() {
    let mut s = init(&pb::GenesisState::default()).unwrap();
    let zipped = gzip(&wasm(7));
    let (r, _, used) = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), zipped.clone(), None),
    )
    .unwrap();
    let r: pb::MsgStoreCodeResponse = prost::Message::decode(r.value.as_slice()).unwrap();
    assert_eq!(r.checksum, checksum(&wasm(7)));
    assert_eq!(s.get_code_bytes(&r.checksum).unwrap().unwrap(), wasm(7));
    assert!(used >= gas::uncompress_cost(zipped.len()) + gas::compile_cost(wasm(7).len()));
    // A gzip bomb past the size limit is refused.
    let bomb = gzip(&vec![0u8; crate::params::MAX_WASM_SIZE + 1]);
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), bomb, None),
    );
    assert_eq!(code(r), ("wasm", ERR_CREATE_FAILED));
}

#[test]
fn store_code_refuses_bad_code() {
    let mut s = init(&pb::GenesisState::default()).unwrap();
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), b"not wasm".to_vec(), None),
    );
    assert_eq!(code(r), ("wasm", ERR_CREATE_FAILED));
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), vec![], None),
    );
    assert_eq!(code(r), ("sdk", sdk::INVALID_REQUEST));
    let mut big = wasm(0);
    big.resize(crate::params::MAX_WASM_SIZE + 1, 0);
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), big, None),
    );
    assert_eq!(code(r), ("sdk", sdk::INVALID_REQUEST));
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        pb::MsgStoreCode {
            sender: "cosmos1xyz".into(),
            ..store_msg(&addr(1), wasm(0), None)
        },
    );
    assert_eq!(code(r), ("sdk", sdk::INVALID_ADDRESS));
    // Out of gas for the compile cost.
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        1_000,
        store_msg(&addr(1), wasm(0), None),
    );
    assert_eq!(code(r), ("sdk", sdk::OUT_OF_GAS));
    assert_eq!(s.wasm_sequence(crate::state_key::SEQ_CODE_ID).unwrap(), 0);
}

#[test]
fn store_code_follows_the_upload_policy() {
    let mut s = init(&pb::GenesisState::default()).unwrap();
    // Bad permissions are refused statelessly.
    let unspecified = pb::AccessConfig {
        permission: 0,
        addresses: vec![],
    };
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), wasm(0), Some(unspecified)),
    );
    assert_eq!(code(r), ("wasm", ERR_EMPTY));
    let dup = any_of(&[&addr(4), &addr(4)]);
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), wasm(0), Some(dup)),
    );
    assert_eq!(code(r), ("wasm", ERR_DUPLICATE));
    let none = pb::AccessConfig {
        permission: pb::AccessType::AnyOfAddresses as i32,
        addresses: vec![],
    };
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), wasm(0), Some(none)),
    );
    assert_eq!(code(r), ("wasm", ERR_EMPTY));

    // Only listed uploaders; a code's permission no wider than the default (here: the
    // uploader alone).
    store_params(
        &mut s,
        pb::Params {
            code_upload_access: Some(any_of(&[&addr(1)])),
            instantiate_default_permission: pb::AccessType::AnyOfAddresses as i32,
        },
    );
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(2), wasm(0), None),
    );
    assert_eq!(code(r), ("sdk", sdk::UNAUTHORIZED));
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), wasm(0), Some(everybody())),
    );
    assert_eq!(code(r), ("sdk", sdk::UNAUTHORIZED));
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), wasm(0), Some(any_of(&[&addr(1), &addr(5)]))),
    );
    assert_eq!(code(r), ("sdk", sdk::UNAUTHORIZED));
    exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), wasm(0), Some(nobody())),
    )
    .unwrap();
    exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), wasm(0), None),
    )
    .unwrap();
    assert_eq!(
        s.get_code_info(2).unwrap().unwrap().instantiate_config,
        Some(any_of(&[&addr(1)]))
    );

    store_params(
        &mut s,
        pb::Params {
            code_upload_access: Some(nobody()),
            instantiate_default_permission: 3,
        },
    );
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        store_msg(&addr(1), wasm(0), None),
    );
    assert_eq!(code(r), ("sdk", sdk::UNAUTHORIZED));
}
