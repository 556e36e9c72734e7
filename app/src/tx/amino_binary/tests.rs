//! The SDK's own vectors (tools/amino-vectors, Cosmos SDK v0.50.10's legacy amino codec) and
//! hostile inputs.

use deai_framework::{sdk, TxError};

use super::*;

#[derive(serde::Deserialize)]
struct Vector {
    name: String,
    amino_json: String,
    amino_binary_hex: String,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("../testdata/amino_vectors.json")).expect("fixture")
}

fn binary(v: &Vector) -> Vec<u8> {
    hex::decode(&v.amino_binary_hex).expect("hex")
}

fn refused(r: Result<impl std::fmt::Debug, TxError>) -> String {
    let e = r.expect_err("must be refused");
    assert_eq!(e.codespace, sdk::CODESPACE, "{}", e.log);
    assert_eq!(e.code, sdk::INVALID_REQUEST, "{}", e.log);
    e.log
}

#[test]
fn the_vectors_cover_the_asked_cases() {
    let names: Vec<String> = vectors().into_iter().map(|v| v.name).collect();
    for n in [
        "send_with_memo_and_fee",
        "delegate",
        "multi_msg_timeout",
        "multisig",
        "edge_cases",
    ] {
        assert!(names.iter().any(|x| x == n), "{n}");
    }
}

#[test]
fn encode_gives_the_sdk_binary() {
    for v in vectors() {
        let got =
            tx_encode_amino(&v.amino_json).unwrap_or_else(|e| panic!("{}: {}", v.name, e.log));
        assert_eq!(hex::encode(got), v.amino_binary_hex, "{}", v.name);
    }
}

#[test]
fn decode_gives_the_sdk_json() {
    for v in vectors() {
        let got = tx_decode_amino(&binary(&v)).unwrap_or_else(|e| panic!("{}: {}", v.name, e.log));
        assert_eq!(got, v.amino_json, "{}", v.name);
    }
}

#[test]
fn prefixes_are_go_aminos() {
    assert_eq!(
        hex::encode(prefix("tendermint/PubKeySecp256k1")),
        "eb5ae987"
    );
    assert_eq!(
        hex::encode(prefix("tendermint/PubKeyMultisigThreshold")),
        "22c1f7e2"
    );
    assert_eq!(hex::encode(prefix(STD_TX)), "282816a9");
}

#[test]
fn every_truncation_is_refused_without_panicking() {
    for v in vectors() {
        let b = binary(&v);
        for n in 0..b.len() {
            // A cut exactly between two top-level fields is a shorter valid StdTx.
            if let Err(e) = tx_decode_amino(&b[..n]) {
                assert_eq!(e.code, sdk::INVALID_REQUEST, "{}[..{n}]: {}", v.name, e.log);
            }
        }
        for n in 0..v.amino_json.len() {
            if v.amino_json.is_char_boundary(n) {
                refused(tx_encode_amino(&v.amino_json[..n]));
            }
        }
    }
}

#[test]
fn huge_lengths_and_overlong_varints_are_refused() {
    let mut b = prefix(STD_TX).to_vec();
    b.extend([
        0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    assert!(refused(tx_decode_amino(&b)).contains("bytes left"));
    let mut b = prefix(STD_TX).to_vec();
    b.extend([
        0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
    ]);
    refused(tx_decode_amino(&b));
    let mut b = prefix(STD_TX).to_vec();
    b.extend([0x0a, 0x85, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    refused(tx_decode_amino(&b));
}

#[test]
fn unknown_prefixes_and_fields_are_refused() {
    let v = &vectors()[0];
    let mut b = binary(v);
    b[0] ^= 1;
    refused(tx_decode_amino(&b));
    // The first message's prefix, just after the StdTx prefix, field key and length.
    let mut b = binary(v);
    b[7] ^= 1;
    assert!(refused(tx_decode_amino(&b)).contains("unknown amino type prefix"));
    // A field number StdTx does not have.
    let mut b = binary(v);
    b.extend([0x30, 0x01]);
    assert!(refused(tx_decode_amino(&b)).contains("unknown field number 6"));
    // Fields out of order.
    let mut b = prefix(STD_TX).to_vec();
    b.extend([0x28, 0x01, 0x22, 0x00]);
    refused(tx_decode_amino(&b));
    // A public key where a message goes.
    let mut b = prefix(STD_TX).to_vec();
    b.extend([0x0a, 0x26]);
    b.extend(prefix("tendermint/PubKeySecp256k1"));
    b.extend([0x21]);
    b.extend([2u8; 33]);
    assert!(refused(tx_decode_amino(&b)).contains("is not a Msg"));
    let json = v.amino_json.replace("\"memo\"", "\"mem0\"");
    assert!(refused(tx_encode_amino(&json)).contains("no field \"mem0\""));
    refused(tx_encode_amino(""));
    refused(tx_decode_amino(&[]));
    refused(tx_encode_amino(
        r#"{"type":"cosmos-sdk/MsgSend","value":{}}"#,
    ));
}

#[test]
fn deai_market_messages_are_refused_with_a_hint() {
    let json = r#"{"type":"cosmos-sdk/StdTx","value":{"msg":[{"type":"deai/MsgCreateProvider","value":{}}],"fee":{"amount":[],"gas":"0"},"signatures":null,"memo":"","timeout_height":"0"}}"#;
    let log = refused(tx_encode_amino(json));
    assert!(log.contains("SIGN_MODE_DIRECT"), "{log}");
    let json = json.replace(
        "deai/MsgCreateProvider",
        "/deai.compute.v1.MsgCreateProvider",
    );
    assert!(refused(tx_encode_amino(&json)).contains("SIGN_MODE_DIRECT"));
    let mut b = prefix(STD_TX).to_vec();
    b.extend([0x0a, 0x04]);
    b.extend(prefix("/deai.compute.v1.MsgCreateProvider"));
    assert!(refused(tx_decode_amino(&b)).contains("SIGN_MODE_DIRECT"));
}

#[test]
fn wrong_json_types_are_refused() {
    let v = &vectors()[0];
    for (from, to) in [
        ("\"gas\":\"200000\"", "\"gas\":200000"),
        ("\"gas\":\"200000\"", "\"gas\":\"-1\""),
        ("\"amount\":\"5000\"", "\"amount\":\"5e3\""),
        ("\"memo\":\"", "\"memo\":[\""),
        ("\"value\":\"AjJp", "\"value\":\"!!Jp"),
    ] {
        let json = v.amino_json.replacen(from, to, 1);
        assert_ne!(json, v.amino_json, "{from}");
        refused(tx_encode_amino(&json));
    }
}

/// Messages nested through `Any`s (a proposal of a proposal of ...) stop at MAX_DEPTH.
#[test]
fn deep_nesting_is_refused() {
    let mut msg = r#"{"type":"cosmos-sdk/MsgSend","value":{}}"#.to_string();
    for _ in 0..40 {
        msg = format!(
            r#"{{"type":"cosmos-sdk/v1/MsgSubmitProposal","value":{{"messages":[{msg}]}}}}"#
        );
    }
    let json = format!(
        r#"{{"type":"cosmos-sdk/StdTx","value":{{"msg":[{msg}],"fee":{{"amount":[],"gas":"0"}},"signatures":null,"memo":"","timeout_height":"0"}}}}"#
    );
    assert!(refused(tx_encode_amino(&json)).contains("nested deeper"));
    // The same in binary: each level a proposal whose first field is the next.
    let mut inner = prefix("cosmos-sdk/MsgSend").to_vec();
    for _ in 0..40 {
        let mut m = prefix("cosmos-sdk/v1/MsgSubmitProposal").to_vec();
        m.push(0x0a);
        m.extend(len_prefix(&inner));
        inner = m;
    }
    let mut b = prefix(STD_TX).to_vec();
    b.push(0x0a);
    b.extend(len_prefix(&inner));
    assert!(refused(tx_decode_amino(&b)).contains("nested deeper"));
}

fn len_prefix(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut n = b.len() as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(b);
    out
}

/// Small binary that expands into large JSON (empty validators print every field) stops
/// at MAX_OUTPUT_BYTES instead of allocating without bound.
#[test]
fn output_is_capped() {
    let mut b = prefix(STD_TX).to_vec();
    for _ in 0..100_000 {
        b.extend([0x0a, 0x04]);
        b.extend(prefix("cosmos-sdk/MsgCreateValidator"));
    }
    assert!(refused(tx_decode_amino(&b)).contains("too large"));
}

#[test]
fn the_registry_has_no_prefix_collisions() {
    let reg = registry().expect("registry");
    assert_eq!(reg.by_name.len(), reg.by_prefix.len());
    // No two protobuf types share a name (the first one would shadow the other).
    let mut seen = std::collections::BTreeMap::new();
    for m in pool().expect("pool").all_messages() {
        if let Some(name) = amino_name(&m) {
            if let Some(other) = seen.insert(name.clone(), m.full_name().to_string()) {
                panic!("{name}: {other} and {}", m.full_name());
            }
        }
    }
    for name in [
        "cosmos-sdk/MsgSend",
        "cosmos-sdk/MsgDelegate",
        "cosmos-sdk/v1/MsgVote",
        "wasm/MsgExecuteContract",
    ] {
        assert!(reg.by_name.contains_key(name), "{name}");
    }
}

#[test]
fn decimals_convert_both_ways() {
    assert_eq!(encode::dec_repr("0.05").unwrap(), "50000000000000000");
    assert_eq!(encode::dec_repr("-1.5").unwrap(), "-1500000000000000000");
    assert_eq!(encode::dec_repr("0").unwrap(), "0");
    for bad in [
        "",
        "-",
        ".",
        "1.",
        "1.0000000000000000001",
        "a",
        "1.-5",
        "--1",
    ] {
        refused(encode::dec_repr(bad));
    }
}

/// The node answers the two gRPC methods through its API backend with this codec.
#[test]
fn the_node_backend_serves_both_directions() {
    use deai_api::Backend;
    let chain = crate::tx::test_chain::Chain::new(&[]);
    for v in vectors() {
        let bin = chain.app.tx_encode_amino(&v.amino_json).expect("encode");
        assert_eq!(hex::encode(&bin), v.amino_binary_hex);
        assert_eq!(
            chain.app.tx_decode_amino(&bin).expect("decode"),
            v.amino_json
        );
    }
}

/// No panic, and each direction inverts the other on what it accepts (the fuzz crate's
/// `amino` target checks the same at scale).
fn check_round_trip(input: &[u8]) -> (bool, bool) {
    let mut accepted = (false, false);
    if let Ok(json) = tx_decode_amino(input) {
        accepted.0 = true;
        let bin = tx_encode_amino(&json).unwrap_or_else(|e| panic!("{json}: {}", e.log));
        assert_eq!(tx_decode_amino(&bin).expect("re-decode"), json);
    }
    if let Ok(json) = std::str::from_utf8(input) {
        if let Ok(bin) = tx_encode_amino(json) {
            accepted.1 = true;
            let back = tx_decode_amino(&bin).unwrap_or_else(|e| panic!("{json}: {}", e.log));
            assert_eq!(tx_encode_amino(&back).expect("re-encode"), bin, "{json}");
        }
    }
    accepted
}

/// A small deterministic mutation run over the vectors, binary and JSON.
#[test]
fn mutated_vectors_round_trip_or_are_refused() {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let seeds: Vec<Vec<u8>> = vectors()
        .iter()
        .flat_map(|v| [v.amino_json.as_bytes().to_vec(), binary(v)])
        .collect();
    let alphabet = b"0019\"{}[],:-.\x00\x80\xff";
    let (mut decoded, mut encoded) = (0, 0);
    for i in 0..20_000 {
        let mut x = seeds[i % seeds.len()].clone();
        for _ in 0..=(next() % 4) {
            let pos = (next() as usize) % (x.len() + 1);
            let op = next() % 4;
            let r = next();
            match op {
                0 if pos < x.len() => x[pos] ^= 1 << (r % 8),
                1 => x.insert(pos, r as u8),
                2 if pos < x.len() => {
                    x.remove(pos);
                }
                _ if pos < x.len() => x[pos] = alphabet[(r as usize) % alphabet.len()],
                _ => {}
            }
        }
        let (d, e) = check_round_trip(&x);
        decoded += usize::from(d);
        encoded += usize::from(e);
    }
    // The run reaches past the first checks in both directions.
    assert!(
        decoded > 500 && encoded > 300,
        "{decoded} decoded, {encoded} encoded"
    );
}

/// Every message the node routes that has an amino name converts both ways (an empty one;
/// the vectors check the field encodings), bar the kinds docs/signing.md lists as refused.
#[test]
fn every_routed_amino_message_converts() {
    let chain = crate::tx::test_chain::Chain::new(&[]);
    let pool = pool().expect("pool");
    let mut refused_names = Vec::new();
    let mut converted = 0;
    for url in chain.app.router().msg_type_urls() {
        let Some(desc) = pool.get_message_by_name(url.trim_start_matches('/')) else {
            continue;
        };
        // deai's own messages and a few of the SDK's (gov v1's MsgCancelProposal) have none.
        let Some(name) = amino_name(&desc) else {
            continue;
        };
        let json = format!(
            r#"{{"type":"cosmos-sdk/StdTx","value":{{"msg":[{{"type":"{name}","value":{{}}}}],"fee":{{"amount":[],"gas":"0"}},"signatures":null,"memo":"","timeout_height":"0"}}}}"#
        );
        match tx_encode_amino(&json) {
            Ok(bin) => {
                let back = tx_decode_amino(&bin).expect("decode");
                assert_eq!(tx_encode_amino(&back).expect("re-encode"), bin, "{name}");
                converted += 1;
            }
            // wasm's `msg` is raw JSON kept byte for byte (docs/signing.md).
            Err(e) if e.log.contains("(RawContractMessage)") => {}
            Err(e) => refused_names.push(format!("{name}: {}", e.log)),
        }
    }
    assert!(converted > 20, "{converted}");
    assert!(refused_names.is_empty(), "{refused_names:#?}");
}
