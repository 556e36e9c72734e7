//! ADR-020/027 strict decoding: a re-wrapped TxRaw, and unknown fields in what is signed.

use cosmos_sdk_proto::cosmos::tx::v1beta1::{SignDoc, TxBody, TxRaw};
use prost::Message as _;

use deai_client::keys::AccountKey;
use deai_client::txbuilder::{sign_tx, tx_hash};
use deai_framework::sdk;

use super::test_chain::*;

/// A tag and a length-delimited payload.
fn field(number: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_key(
        number as u32,
        prost::encoding::WireType::LengthDelimited,
        &mut out,
    );
    prost::encoding::encode_varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

fn signed(k: &AccountKey) -> (Vec<u8>, TxRaw) {
    let tx = sign_tx(
        k,
        vec![send(&k.address(), &key(2).address(), 1)],
        &params(0, 0),
    );
    let raw = TxRaw::decode(tx.as_slice()).unwrap();
    (tx, raw)
}

/// Signs body and auth info bytes as given (with whatever extra fields they carry).
fn sign_parts(k: &AccountKey, body_bytes: Vec<u8>, auth_info_bytes: Vec<u8>) -> Vec<u8> {
    let doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: CHAIN.into(),
        account_number: 0,
    };
    let signature = k.sign(&doc.encode_to_vec());
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![signature],
    }
    .encode_to_vec()
}

/// Each failed before the fix: prost accepted the re-wrapped bytes, so the same signed
/// tx ran under a second hash.
#[test]
fn a_rewrapped_tx_raw_is_rejected_in_check_tx_and_finalize_block() {
    let a = key(1);
    let mut c = Chain::new(&[(a.address(), 1_000_000)]);
    let (tx, raw) = signed(&a);
    let mut unknown = tx.clone();
    unknown.extend(field(4, b"relayer"));
    // The body's length as a varint one byte longer than needed.
    let mut long_len = vec![0x0a];
    prost::encoding::encode_varint(raw.body_bytes.len() as u64, &mut long_len);
    *long_len.last_mut().unwrap() |= 0x80;
    long_len.push(0);
    long_len.extend(&raw.body_bytes);
    long_len.extend(field(2, &raw.auth_info_bytes));
    long_len.extend(field(3, &raw.signatures[0]));
    let mut duplicate = field(1, &raw.body_bytes);
    duplicate.extend(&tx);
    let mut reordered = field(3, &raw.signatures[0]);
    reordered.extend(field(1, &raw.body_bytes));
    reordered.extend(field(2, &raw.auth_info_bytes));
    for bad in [&unknown, &long_len, &duplicate, &reordered] {
        // Still the same tx to prost: only the encoding differs.
        assert_eq!(TxRaw::decode(bad.as_slice()).unwrap(), raw);
        assert_ne!(tx_hash(bad), tx_hash(&tx));
        let r = c.check(bad);
        assert_eq!(
            (r.codespace.as_str(), r.code),
            ("sdk", sdk::TX_DECODE),
            "{}",
            r.log
        );
    }
    let r = c.block(vec![unknown, long_len, duplicate, reordered, tx]);
    for bad in &r[..4] {
        assert_eq!(bad.code, sdk::TX_DECODE, "{}", bad.log);
    }
    assert_eq!(r[4].code, 0, "the canonical tx still runs: {}", r[4].log);
    assert_eq!(c.balance(&key(2).address()), 1);
}

#[test]
fn unknown_critical_fields_in_signed_parts_are_rejected() {
    let a = key(1);
    let c = Chain::new(&[(a.address(), 1_000_000)]);
    let (_, raw) = signed(&a);
    let code = |tx: Vec<u8>| {
        let r = c.check(&tx);
        (r.code, r.log)
    };
    // TxBody: a critical unknown field is refused, a non-critical one (bit 11) allowed.
    let mut body = raw.body_bytes.clone();
    body.extend(field(99, b"x"));
    let (c1, log) = code(sign_parts(&a, body, raw.auth_info_bytes.clone()));
    assert_eq!(c1, sdk::TX_DECODE, "{log}");
    assert!(
        log.contains("errUnknownField \"cosmos.tx.v1beta1.TxBody\""),
        "{log}"
    );
    let mut body = raw.body_bytes.clone();
    body.extend(field(1025, b"x"));
    let (c2, log) = code(sign_parts(&a, body, raw.auth_info_bytes.clone()));
    assert_eq!(c2, 0, "{log}");

    // AuthInfo: every unknown field is refused, critical or not, nested ones too.
    let mut auth = raw.auth_info_bytes.clone();
    auth.extend(field(1025, b"x"));
    assert_eq!(
        code(sign_parts(&a, raw.body_bytes.clone(), auth)).0,
        sdk::TX_DECODE
    );

    // A message's Any value: MsgSend with an unknown critical field.
    let mut body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    body.messages[0].value.extend(field(7, b"x"));
    let (c3, log) = code(sign_parts(
        &a,
        body.encode_to_vec(),
        raw.auth_info_bytes.clone(),
    ));
    assert_eq!(c3, sdk::TX_DECODE, "{log}");
    assert!(log.contains("cosmos.bank.v1beta1.MsgSend"), "{log}");
    // ... and in a coin nested inside it.
    let mut body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    let mut value = body.messages[0].value.clone();
    value.extend(field(3, &[0x1a, 1, b'x'])); // amount { 3: "x" }
    body.messages[0].value = value;
    let (c4, log) = code(sign_parts(
        &a,
        body.encode_to_vec(),
        raw.auth_info_bytes.clone(),
    ));
    assert_eq!(c4, sdk::TX_DECODE, "{log}");
    assert!(log.contains("cosmos.base.v1beta1.Coin"), "{log}");
}

/// auth's MsgUpdateParams had no descriptor in cosmos.bin, so its unknown fields went
/// unchecked (a second encoding of the same signed message); now it is refused like any other.
#[test]
fn unknown_fields_in_auth_update_params_are_rejected() {
    use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth_pb;
    let a = key(1);
    let c = Chain::new(&[(a.address(), 1_000_000)]);
    let (_, raw) = signed(&a);
    let mut msg = deai_client::txbuilder::to_any(&auth_pb::MsgUpdateParams {
        authority: a.address().to_bech32(),
        params: Some(auth_pb::Params::default()),
    });
    msg.value.extend(field(9, b"x"));
    let body = TxBody {
        messages: vec![msg],
        ..Default::default()
    };
    let r = c.check(&sign_parts(&a, body.encode_to_vec(), raw.auth_info_bytes));
    assert_eq!(r.code, sdk::TX_DECODE, "{}", r.log);
    assert!(
        r.log.contains("cosmos.auth.v1beta1.MsgUpdateParams"),
        "{}",
        r.log
    );
}

#[test]
fn nesting_is_bounded() {
    // 40 levels of `Any { value: Any { ... } }` under TxBody.messages.
    let mut v = Vec::new();
    for _ in 0..40 {
        let mut any = field(1, b"/google.protobuf.Any");
        any.extend(field(2, &v));
        v = any;
    }
    let body = field(1, &v);
    let err = super::strict::check_body(&body).unwrap_err();
    assert_eq!(err.code, sdk::TX_DECODE, "{}", err.log);
    assert!(err.log.contains("nested deeper"), "{}", err.log);
}
