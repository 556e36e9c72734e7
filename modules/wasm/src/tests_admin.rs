//! Admin, label, instantiate config and params.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::authority::default_authority;
use deai_framework::testing::{addr, block, code, exec, query};
use deai_framework::{sdk, Address, MemStore};

use crate::access::{everybody, nobody};
use crate::error::*;
use crate::keeper::WasmRead;
use crate::tests_fixtures::*;
use crate::{address, WasmModule};

fn store_params(s: &mut MemStore, p: pb::Params) {
    use crate::keeper::WasmWrite;
    s.set_wasm_params(&p).unwrap();
}

fn update_admin(sender: &Address, c: &Address, new: &Address) -> pb::MsgUpdateAdmin {
    pb::MsgUpdateAdmin {
        sender: sender.to_bech32(),
        contract: c.to_bech32(),
        new_admin: new.to_bech32(),
    }
}

#[test]
fn only_the_admin_changes_the_admin_and_label() {
    let (mut s, c) = with_contract();
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(9),
        GAS,
        update_admin(&addr(3), &c, &addr(4)),
    );
    assert_eq!(code(r), ("sdk", sdk::UNAUTHORIZED));
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(9),
        GAS,
        update_admin(&addr(2), &c, &addr(2)),
    );
    assert_eq!(code(r), ("wasm", ERR_INVALID));
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(9),
        GAS,
        update_admin(&addr(2), &address::classic(1, 9).unwrap(), &addr(4)),
    );
    assert_eq!(code(r), ("sdk", sdk::INVALID_REQUEST));
    let (_, events, _) = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(9),
        GAS,
        update_admin(&addr(2), &c, &addr(4)),
    )
    .unwrap();
    let ev = events
        .iter()
        .find(|e| e.kind == "update_contract_admin")
        .unwrap();
    assert_eq!(
        ev.attributes[0],
        ("_contract_address".to_string(), c.to_bech32())
    );
    assert_eq!(
        ev.attributes[1],
        ("new_admin_address".to_string(), addr(4).to_bech32())
    );
    assert_eq!(
        s.get_contract_info(&c).unwrap().unwrap().admin,
        addr(4).to_bech32()
    );

    let label = |sender: &Address, l: &str| pb::MsgUpdateContractLabel {
        sender: sender.to_bech32(),
        new_label: l.into(),
        contract: c.to_bech32(),
    };
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            label(&addr(2), "x")
        )),
        ("sdk", sdk::UNAUTHORIZED)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            label(&addr(4), " x")
        )),
        ("wasm", ERR_INVALID)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            label(&addr(4), "")
        )),
        ("wasm", ERR_EMPTY)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            label(&addr(4), &"x".repeat(129))
        )),
        ("wasm", ERR_LIMIT)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            label(&addr(4), "a\u{200b}b")
        )),
        ("wasm", ERR_INVALID)
    );
    exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(9),
        GAS,
        label(&addr(4), "renamed ✓"),
    )
    .unwrap();
    assert_eq!(s.get_contract_info(&c).unwrap().unwrap().label, "renamed ✓");

    let clear = |sender: &Address| pb::MsgClearAdmin {
        sender: sender.to_bech32(),
        contract: c.to_bech32(),
    };
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            clear(&addr(2))
        )),
        ("sdk", sdk::UNAUTHORIZED)
    );
    exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(9),
        GAS,
        clear(&addr(4)),
    )
    .unwrap();
    assert_eq!(s.get_contract_info(&c).unwrap().unwrap().admin, "");
    // Nobody is admin now.
    let r = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(9),
        GAS,
        update_admin(&addr(4), &c, &addr(5)),
    );
    assert_eq!(code(r), ("sdk", sdk::UNAUTHORIZED));
}

#[test]
fn only_the_creator_narrows_a_codes_permission() {
    let (mut s, _) = with_contract();
    let msg =
        |sender: &Address, id: u64, p: Option<pb::AccessConfig>| pb::MsgUpdateInstantiateConfig {
            sender: sender.to_bech32(),
            code_id: id,
            new_instantiate_permission: p,
        };
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            msg(&addr(1), 0, Some(nobody()))
        )),
        ("sdk", sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            msg(&addr(1), 1, None)
        )),
        ("sdk", sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            msg(&addr(1), 7, Some(nobody()))
        )),
        ("wasm", ERR_NO_SUCH_CODE)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            msg(&addr(2), 1, Some(nobody()))
        )),
        ("sdk", sdk::UNAUTHORIZED)
    );
    let (_, events, _) = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(9),
        GAS,
        msg(&addr(1), 1, Some(any_of(&[&addr(6)]))),
    )
    .unwrap();
    let ev = events
        .iter()
        .find(|e| e.kind == "update_code_access_config")
        .unwrap();
    assert_eq!(
        ev.attributes[0],
        ("code_permission".to_string(), "AnyOfAddresses".to_string())
    );
    assert_eq!(
        ev.attributes[2],
        ("authorized_addresses".to_string(), addr(6).to_bech32())
    );
    assert_eq!(
        s.get_code_info(1).unwrap().unwrap().instantiate_config,
        Some(any_of(&[&addr(6)]))
    );
    // Wider than the chain's default (nobody) is refused.
    store_params(
        &mut s,
        pb::Params {
            code_upload_access: Some(everybody()),
            instantiate_default_permission: 1,
        },
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            msg(&addr(1), 1, Some(everybody()))
        )),
        ("sdk", sdk::UNAUTHORIZED)
    );
}

#[test]
fn only_the_authority_updates_params() {
    let mut s = init(&pb::GenesisState::default()).unwrap();
    let p = pb::Params {
        code_upload_access: Some(nobody()),
        instantiate_default_permission: 1,
    };
    let msg = |a: &Address, p: Option<pb::Params>| pb::MsgUpdateParams {
        authority: a.to_bech32(),
        params: p,
    };
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(1),
            GAS,
            msg(&addr(1), Some(p.clone()))
        )),
        ("gov", 13)
    );
    let bad = pb::Params {
        code_upload_access: None,
        instantiate_default_permission: 1,
    };
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(1),
            GAS,
            msg(&default_authority(), Some(bad))
        )),
        ("wasm", ERR_EMPTY)
    );
    let bad = pb::Params {
        code_upload_access: Some(nobody()),
        instantiate_default_permission: 2,
    };
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(1),
            GAS,
            msg(&default_authority(), Some(bad))
        )),
        ("wasm", ERR_INVALID)
    );
    exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(1),
        GAS,
        msg(&default_authority(), Some(p.clone())),
    )
    .unwrap();
    let got: pb::QueryParamsResponse = query(
        &WasmModule::RECORDS,
        &s,
        "/cosmwasm.wasm.v1.Query/Params",
        pb::QueryParamsRequest {},
    )
    .unwrap();
    assert_eq!(got.params, Some(p));
}

#[test]
fn only_the_authority_pins_codes() {
    let (mut s, _) = with_contract();
    let pin = |a: &Address, ids: Vec<u64>| pb::MsgPinCodes {
        authority: a.to_bech32(),
        code_ids: ids,
    };
    let gov = default_authority();
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            pin(&addr(1), vec![1])
        )),
        ("gov", 13)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            pin(&gov, vec![])
        )),
        ("sdk", sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            pin(&gov, vec![1, 1])
        )),
        ("sdk", sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec(
            &WasmModule::RECORDS,
            &mut s,
            &block(9),
            GAS,
            pin(&gov, vec![1, 2])
        )),
        ("wasm", ERR_NO_SUCH_CODE)
    );
    assert!(!s.is_pinned(1).unwrap());
    let (_, events, used) = exec(
        &WasmModule::RECORDS,
        &mut s,
        &block(9),
        GAS,
        pin(&gov, vec![1]),
    )
    .unwrap();
    assert!(used >= crate::gas::PIN_CODE_COST);
    assert!(events.iter().any(|e| e.kind == "pin_code"));
    assert!(s.is_pinned(1).unwrap());
    let p: pb::QueryPinnedCodesResponse = query(
        &WasmModule::RECORDS,
        &s,
        "/cosmwasm.wasm.v1.Query/PinnedCodes",
        pb::QueryPinnedCodesRequest { pagination: None },
    )
    .unwrap();
    assert_eq!(p.code_ids, vec![1]);
    let unpin = pb::MsgUnpinCodes {
        authority: gov.to_bech32(),
        code_ids: vec![1],
    };
    exec(&WasmModule::RECORDS, &mut s, &block(9), GAS, unpin).unwrap();
    assert!(!s.is_pinned(1).unwrap());
}
