//! SIGN_MODE_LEGACY_AMINO_JSON and multisig (LegacyAminoPubKey) signers.

use cosmos_sdk_proto::cosmos::crypto::multisig::v1beta1::{CompactBitArray, MultiSignature};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{mode_info, ModeInfo, TxRaw};
use cosmos_sdk_proto::Any;
use prost::Message as _;

use deai_auth::PubKey;
use deai_client::keys::AccountKey;
use deai_client::txbuilder::{build_parts, sign_tx_mode, single_mode, SignMode, TxParams};
use deai_framework::{sdk, Address};

use super::amino_json::{msg_json, sign_bytes_for};
use super::test_chain::*;

fn amino_tx(k: &AccountKey, msgs: Vec<Any>, p: &TxParams) -> Vec<u8> {
    sign_tx_mode(k, msgs, p, SignMode::AminoJson, sign_bytes_for).unwrap()
}

#[test]
fn the_std_sign_doc_is_the_sdks() {
    let (a, b) = (key(1), key(2));
    let mut p = params(3, 4);
    p.memo = "a<b>&c\u{e9}\n".into();
    p.timeout_height = 9;
    let msg = send(&a.address(), &b.address(), 7);
    let doc = String::from_utf8(sign_bytes_for(&p, std::slice::from_ref(&msg)).unwrap()).unwrap();
    let (from, to) = (a.address().to_bech32(), b.address().to_bech32());
    let expected = format!(
        concat!(
            r#"{{"account_number":"3","chain_id":"deai-test","#,
            r#""fee":{{"amount":[{{"amount":"5000","denom":"udeai"}}],"gas":"200000"}},"#,
            r#""memo":"a\u003cb\u003e\u0026c"#,
            "\u{e9}",
            r#"\n","msgs":[{{"type":"cosmos-sdk/MsgSend","value":{{"amount":[{{"amount":"7","denom":"udeai"}}],"#,
            r#""from_address":"{}","to_address":"{}"}}}}],"sequence":"4","timeout_height":"9"}}"#
        ),
        from, to
    );
    assert_eq!(doc, expected);
    // Names come from the descriptors' (amino.name) options.
    let delegate =
        deai_client::txbuilder::to_any(&cosmos_sdk_proto::cosmos::staking::v1beta1::MsgDelegate {
            delegator_address: from.clone(),
            validator_address: "v".into(),
            amount: Some(deai_client::txbuilder::coin("udeai", 3)),
        });
    let j = msg_json(&delegate).unwrap();
    assert!(j.starts_with(r#"{"type":"cosmos-sdk/MsgDelegate","#), "{j}");
    assert!(
        j.contains(r#""amount":{"amount":"3","denom":"udeai"}"#),
        "{j}"
    );
}

#[test]
fn an_amino_json_send_executes_and_a_changed_memo_fails() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(a.address(), 1_000_000)]);
    let tx = amino_tx(
        &a,
        vec![send(&a.address(), &b.address(), 10)],
        &params(0, 0),
    );
    assert_eq!(c.check(&tx).code, 0, "{}", c.check(&tx).log);
    let r = c.block(vec![tx]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    assert_eq!(c.balance(&b.address()), 10);

    // The memo is in the StdSignDoc: changing it after signing breaks the signature.
    let mut p = params(0, 1);
    p.memo = "signed".into();
    let signed = amino_tx(&a, vec![send(&a.address(), &b.address(), 10)], &p);
    let raw = TxRaw::decode(signed.as_slice()).unwrap();
    p.memo = "changed".into();
    let (body_bytes, auth_info_bytes) = build_parts(
        Some(deai_client::txbuilder::pubkey_any(&a)),
        single_mode(SignMode::AminoJson),
        vec![send(&a.address(), &b.address(), 10)],
        &p,
    );
    let forged = TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: raw.signatures,
    }
    .encode_to_vec();
    let r = c.check(&forged);
    assert_eq!(r.code, sdk::UNAUTHORIZED, "{}", r.log);
}

/// A multisig of `members`' keys at threshold `threshold`, and its address.
fn multisig(members: &[AccountKey], threshold: u32) -> (PubKey, Address) {
    let key = PubKey::Multisig {
        threshold,
        keys: members.iter().map(|k| k.public_key()).collect(),
    };
    let address = key.address();
    (key, address)
}

/// A tx from the multisig, signed in amino JSON by the members at `signing` (indices).
fn multisig_tx(members: &[AccountKey], ms: &PubKey, signing: &[usize], p: &TxParams) -> Vec<u8> {
    let msgs = || vec![send(&ms.address(), &key(9).address(), 5)];
    let doc = sign_bytes_for(p, &msgs()).unwrap();
    let mut elems = vec![0u8; members.len().div_ceil(8)];
    for &i in signing {
        elems[i / 8] |= 1 << (7 - i % 8);
    }
    let mode = ModeInfo {
        sum: Some(mode_info::Sum::Multi(mode_info::Multi {
            bitarray: Some(CompactBitArray {
                extra_bits_stored: (members.len() % 8) as u32,
                elems,
            }),
            mode_infos: signing
                .iter()
                .map(|_| single_mode(SignMode::AminoJson))
                .collect(),
        })),
    };
    let (body_bytes, auth_info_bytes) = build_parts(Some(ms.to_any()), mode, msgs(), p);
    let signatures = signing.iter().map(|&i| members[i].sign(&doc)).collect();
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![MultiSignature { signatures }.encode_to_vec()],
    }
    .encode_to_vec()
}

#[test]
fn a_two_of_three_multisig_sends_and_one_signature_is_not_enough() {
    let members: Vec<_> = (1..=3).map(key).collect();
    let (ms, addr) = multisig(&members, 2);
    let mut c = Chain::new(&[(addr.clone(), 1_000_000)]);
    let one = multisig_tx(&members, &ms, &[1], &params(0, 0));
    let r = c.check(&one);
    assert_eq!(r.code, sdk::UNAUTHORIZED, "{}", r.log);
    assert!(r.log.contains("threshold"), "{}", r.log);

    let first = multisig_tx(&members, &ms, &[0, 2], &params(0, 0));
    let two = multisig_tx(&members, &ms, &[0, 1], &params(0, 1));
    let three = multisig_tx(&members, &ms, &[0, 1, 2], &params(0, 2));
    let r = c.block(vec![first, two.clone(), three.clone()]);
    for x in &r {
        assert_eq!(x.code, 0, "{}", x.log);
    }
    assert_eq!(c.balance(&key(9).address()), 15);
    // The account now holds the multisig key, as the SDK's does.
    use deai_auth::AuthRead;
    let stored = c.app.storage().latest().account(&addr).unwrap().unwrap();
    assert_eq!(PubKey::from_stored(&stored.pub_key.unwrap()).unwrap(), ms);

    // The SDK's gas: sig_verify_cost_secp256k1 per key that signed, plus the tx's bytes.
    let extra_bytes = (three.len() - two.len()) as i64;
    // (Both after the first, which stored the key and created the recipient's account.)
    assert_eq!(r[2].gas_used - r[1].gas_used, 1000 + 10 * extra_bytes);

    // A wrong signature among enough of them fails.
    let mut bad = multisig_tx(&members, &ms, &[0, 1], &params(0, 3));
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert_eq!(c.check(&bad).code, sdk::UNAUTHORIZED);
}

#[test]
fn a_multisig_over_the_sig_limit_is_refused() {
    let members: Vec<_> = (1..=8).map(key).collect();
    let (ms, addr) = multisig(&members, 2);
    let c = Chain::new(&[(addr, 1_000_000)]);
    let r = c.check(&multisig_tx(&members, &ms, &[0, 1], &params(0, 0)));
    assert_eq!(r.code, sdk::TOO_MANY_SIGNATURES, "{}", r.log);
    assert!(r.log.contains("signatures: 8, limit: 7"), "{}", r.log);
}

#[test]
fn deai_messages_without_an_amino_name_cannot_be_signed_in_amino_json() {
    let any = Any {
        type_url: "/deai.compute.v1.MsgCreateProvider".into(),
        value: vec![],
    };
    let err = msg_json(&any).unwrap_err();
    assert!(err.log.contains("has no amino name"), "{}", err.log);
}

#[test]
fn wasm_messages_embed_their_json_and_decimals_are_decimals() {
    let exec = deai_client::txbuilder::to_any(&deai_wasm_proto_exec());
    assert_eq!(
        msg_json(&exec).unwrap(),
        r#"{"type":"wasm/MsgExecuteContract","value":{"contract":"c","funds":[],"msg":{"a":"\u003c","b":[1,{"d":null,"e":true}]},"sender":"s"}}"#
    );
    let edit = deai_client::txbuilder::to_any(
        &cosmos_sdk_proto::cosmos::staking::v1beta1::MsgEditValidator {
            description: None,
            validator_address: "v".into(),
            commission_rate: "100000000000000000".into(),
            min_self_delegation: String::new(),
        },
    );
    let j = msg_json(&edit).unwrap();
    assert!(
        j.contains(r#""commission_rate":"0.100000000000000000""#),
        "{j}"
    );
}

fn deai_wasm_proto_exec() -> cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract {
    cosmos_sdk_proto::cosmwasm::wasm::v1::MsgExecuteContract {
        sender: "s".into(),
        contract: "c".into(),
        msg: br#"{"b":[1,{"e":true,"d":null}],"a":"<"}"#.to_vec(),
        funds: vec![],
    }
}
