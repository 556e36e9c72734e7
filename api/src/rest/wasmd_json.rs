//! wasmd's LCD JSON, where it is not proto3 JSON. wasmd's gateway writes its Go types with
//! gogoproto's jsonpb, which defers to the Go type of a field where the proto only says
//! `bytes` or names an enum:
//!
//! - `(gogoproto.casttype) = "RawContractMessage"` (`QuerySmartContractStateResponse.data`,
//!   `ContractCodeHistoryEntry.msg`, the `msg` of `MsgInstantiateContract(2)`,
//!   `MsgExecuteContract`, `MsgMigrateContract`, `MsgSudoContract`, the legacy proposals,
//!   `AcceptedMessagesFilter.messages`) is the contract's JSON inline (`"data": {"count": 1}`,
//!   empty: `null`), not base64;
//! - `(gogoproto.casttype) = "…/libs/bytes.HexBytes"` (`CodeInfoResponse.data_hash`,
//!   `QueryCodeInfoResponse.checksum`, `Model.key`) is upper-case hex;
//! - `AccessType` is written by its Go `String()`: `Everybody`, `Nobody`, `AnyOfAddresses`,
//!   `Unspecified` (not `ACCESS_TYPE_EVERYBODY`).
//!
//! [`to_lcd`] rewrites proto3 JSON (as prost-reflect writes it) into those shapes, and
//! [`from_lcd`] reads them back (a request body's `msg` may be any JSON value, as
//! `RawContractMessage.UnmarshalJSON` takes it; `AccessType` may be either name). Both walk
//! the JSON along the message's descriptor, into lists, maps and `Any` payloads; only fields
//! of `cosmwasm.*` messages are touched, so every other service's JSON is unchanged.
//!
//! The SDK's `(gogoproto.customtype) = "cosmossdk.io/math.LegacyDec"` fields (any package:
//! staking's shares and rates, slashing's fractions, distribution's DecCoins, mint's
//! inflation) carry the 18-decimal integer ("atomics", `"100000000000000000"`) on the wire,
//! as a string or as its ASCII bytes, and the gateway writes them as decimals
//! (`"0.100000000000000000"`). [`to_lcd`] does the same; [`from_lcd`] reads decimals back.
//!
//! Unlike Go, which copies the contract's bytes through (compacted), inline JSON goes through
//! `serde_json::Value` here: object keys come out sorted and a number beyond 64 bits as an
//! f64. Contract JSON that does not parse stays base64 (wasmd's gateway fails on it).

use base64::Engine as _;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, Value};
use serde_json::Value as Json;

const MAX_DEPTH: usize = 64;
const ACCESS_TYPE: &str = "cosmwasm.wasm.v1.AccessType";
/// The Go `String()` of each `AccessType`, by proto name.
const ACCESS_TYPE_NAMES: &[(&str, &str)] = &[
    ("ACCESS_TYPE_UNSPECIFIED", "Unspecified"),
    ("ACCESS_TYPE_NOBODY", "Nobody"),
    ("ACCESS_TYPE_EVERYBODY", "Everybody"),
    ("ACCESS_TYPE_ANY_OF_ADDRESSES", "AnyOfAddresses"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quirk {
    /// `RawContractMessage`: inline JSON.
    Inline,
    /// cometbft's `HexBytes`: upper-case hex.
    Hex,
    /// `AccessType`: its Go name.
    AccessType,
    /// `LegacyDec`: atomics on the wire, a decimal in JSON; `bytes` when the field is bytes.
    Dec { bytes: bool },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    ToLcd,
    FromLcd,
}

fn legacy_dec(field: &FieldDescriptor) -> Option<Quirk> {
    let bytes = match field.kind() {
        Kind::String => false,
        Kind::Bytes => true,
        _ => return None,
    };
    let ext = field
        .parent_pool()
        .get_extension_by_name("gogoproto.customtype")?;
    let opts = field.options();
    if !opts.has_extension(&ext) {
        return None;
    }
    match opts.get_extension(&ext).as_ref() {
        Value::String(t) if t.ends_with("math.LegacyDec") || t.ends_with("types.Dec") => {
            Some(Quirk::Dec { bytes })
        }
        _ => None,
    }
}

/// `"100000000000000000"` (10^-18 units) as `"0.100000000000000000"`; None if not atomics.
fn atomics_to_dec(a: &str) -> Option<String> {
    let (sign, digits) = a.strip_prefix('-').map_or(("", a), |d| ("-", d));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{digits:0>19}");
    let (int, frac) = padded.split_at(padded.len() - 18);
    let int = int.trim_start_matches('0');
    Some(format!(
        "{sign}{}.{frac}",
        if int.is_empty() { "0" } else { int }
    ))
}

/// A decimal (`"0.1"`) as atomics (`"100000000000000000"`); None if not a decimal.
fn dec_to_atomics(d: &str) -> Option<String> {
    let (sign, body) = d.strip_prefix('-').map_or(("", d), |b| ("-", b));
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > 18 {
        return None;
    }
    let all = format!("{int}{frac:0<18}");
    let trimmed = all.trim_start_matches('0');
    Some(if trimmed.is_empty() {
        "0".into()
    } else {
        format!("{sign}{trimmed}")
    })
}

fn apply_dec(bytes: bool, x: &mut Json, dir: Dir) {
    let Json::String(s) = x else {
        return;
    };
    match dir {
        Dir::ToLcd => {
            let wire = if bytes {
                match b64().decode(s.as_bytes()).map(String::from_utf8) {
                    Ok(Ok(t)) => t,
                    _ => return,
                }
            } else {
                s.clone()
            };
            if wire.is_empty() {
                *s = "0.000000000000000000".into();
            } else if let Some(d) = atomics_to_dec(&wire) {
                *s = d;
            }
        }
        Dir::FromLcd => {
            if let Some(a) = dec_to_atomics(s) {
                *s = if bytes { b64().encode(a) } else { a };
            }
        }
    }
}

fn quirk(field: &FieldDescriptor) -> Option<Quirk> {
    if let Some(q) = legacy_dec(field) {
        return Some(q);
    }
    if !field
        .parent_message()
        .package_name()
        .starts_with("cosmwasm.")
    {
        return None;
    }
    match field.kind() {
        Kind::Enum(e) if e.full_name() == ACCESS_TYPE => Some(Quirk::AccessType),
        Kind::Bytes => {
            let ext = field
                .parent_pool()
                .get_extension_by_name("gogoproto.casttype")?;
            let opts = field.options();
            if !opts.has_extension(&ext) {
                return None;
            }
            match opts.get_extension(&ext).as_ref() {
                Value::String(t)
                    if t == "RawContractMessage" || t.ends_with(".RawContractMessage") =>
                {
                    Some(Quirk::Inline)
                }
                Value::String(t) if t.ends_with("/libs/bytes.HexBytes") => Some(Quirk::Hex),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Proto3 JSON of `desc` into wasmd's LCD shapes.
pub(super) fn to_lcd(desc: &MessageDescriptor, v: &mut Json) {
    walk(desc, v, Dir::ToLcd, 0);
}

/// wasmd's LCD shapes into proto3 JSON of `desc`.
pub(super) fn from_lcd(desc: &MessageDescriptor, v: &mut Json) {
    walk(desc, v, Dir::FromLcd, 0);
}

fn walk(desc: &MessageDescriptor, v: &mut Json, dir: Dir, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Json::Object(map) = v else {
        return;
    };
    if desc.full_name() == "google.protobuf.Any" {
        let Some(Json::String(url)) = map.get("@type") else {
            return;
        };
        let name = url
            .strip_prefix("type.googleapis.com/")
            .or_else(|| url.strip_prefix('/'))
            .unwrap_or(url);
        // Well-known types sit under "value"; none of them holds a wasmd field.
        if let Some(inner) = desc.parent_pool().get_message_by_name(name) {
            if inner.package_name() != "google.protobuf" {
                walk(&inner, v, dir, depth + 1);
            }
        }
        return;
    }
    for field in desc.fields() {
        let key = if map.contains_key(field.name()) {
            field.name()
        } else if dir == Dir::FromLcd && map.contains_key(field.json_name()) {
            field.json_name()
        } else {
            continue;
        };
        let Some(x) = map.get_mut(key) else {
            continue;
        };
        if let Some(q) = quirk(&field) {
            match x {
                Json::Array(items) if field.is_list() => {
                    for i in items {
                        apply(q, i, dir);
                    }
                }
                _ => apply(q, x, dir),
            }
            continue;
        }
        let Kind::Message(m) = field.kind() else {
            continue;
        };
        if field.is_map() {
            if let (Kind::Message(vm), Json::Object(entries)) =
                (m.map_entry_value_field().kind(), x)
            {
                for e in entries.values_mut() {
                    walk(&vm, e, dir, depth + 1);
                }
            }
        } else if field.is_list() {
            if let Json::Array(items) = x {
                for i in items {
                    walk(&m, i, dir, depth + 1);
                }
            }
        } else {
            walk(&m, x, dir, depth + 1);
        }
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn apply(q: Quirk, x: &mut Json, dir: Dir) {
    match (q, dir) {
        (Quirk::Dec { bytes }, _) => apply_dec(bytes, x, dir),
        (Quirk::Inline, Dir::ToLcd) => {
            if let Json::String(s) = x {
                match b64().decode(s.as_bytes()) {
                    Ok(b) if b.is_empty() => *x = Json::Null,
                    Ok(b) => {
                        if let Ok(j) = serde_json::from_slice::<Json>(&b) {
                            *x = j;
                        }
                    }
                    Err(_) => {}
                }
            }
        }
        (Quirk::Inline, Dir::FromLcd) => {
            let encoded = match &*x {
                Json::Null => String::new(),
                other => match serde_json::to_vec(other) {
                    Ok(raw) => b64().encode(raw),
                    Err(_) => return,
                },
            };
            *x = Json::String(encoded);
        }
        (Quirk::Hex, Dir::ToLcd) => {
            if let Json::String(s) = x {
                if let Ok(b) = b64().decode(s.as_bytes()) {
                    *s = hex::encode_upper(b);
                }
            }
        }
        (Quirk::Hex, Dir::FromLcd) => {
            if let Json::String(s) = x {
                if let Ok(b) = hex::decode(s.as_str()) {
                    *s = b64().encode(b);
                }
            }
        }
        (Quirk::AccessType, Dir::ToLcd) => {
            // Go's String() of an unknown value is "Unspecified" too.
            let go = match x {
                Json::String(s) => ACCESS_TYPE_NAMES
                    .iter()
                    .find(|(p, _)| p == s)
                    .map_or("Unspecified", |(_, g)| g),
                _ => "Unspecified",
            };
            *x = Json::String(go.to_string());
        }
        (Quirk::AccessType, Dir::FromLcd) => {
            if let Json::String(s) = x {
                if let Some((p, _)) = ACCESS_TYPE_NAMES.iter().find(|(_, g)| g == s) {
                    *s = p.to_string();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> prost_reflect::DescriptorPool {
        crate::descriptors::pool().unwrap()
    }

    #[test]
    fn quirks_come_from_the_casttypes_and_only_touch_cosmwasm() {
        let p = pool();
        let f = |m: &str, f: &str| {
            quirk(
                &p.get_message_by_name(m)
                    .unwrap()
                    .get_field_by_name(f)
                    .unwrap(),
            )
        };
        assert_eq!(
            f("cosmwasm.wasm.v1.QuerySmartContractStateResponse", "data"),
            Some(Quirk::Inline)
        );
        assert_eq!(
            f("cosmwasm.wasm.v1.MsgExecuteContract", "msg"),
            Some(Quirk::Inline)
        );
        assert_eq!(
            f("cosmwasm.wasm.v1.AcceptedMessagesFilter", "messages"),
            Some(Quirk::Inline)
        );
        assert_eq!(f("cosmwasm.wasm.v1.Model", "key"), Some(Quirk::Hex));
        assert_eq!(f("cosmwasm.wasm.v1.Model", "value"), None);
        assert_eq!(
            f("cosmwasm.wasm.v1.QueryCodeInfoResponse", "checksum"),
            Some(Quirk::Hex)
        );
        assert_eq!(
            f("cosmwasm.wasm.v1.AccessConfig", "permission"),
            Some(Quirk::AccessType)
        );
        assert_eq!(f("cosmwasm.wasm.v1.QueryCodeResponse", "data"), None);
        assert_eq!(f("cosmos.crypto.ed25519.PubKey", "key"), None);
        assert_eq!(
            f("cosmos.staking.v1beta1.Validator", "delegator_shares"),
            Some(Quirk::Dec { bytes: false })
        );
        assert_eq!(
            f("cosmos.slashing.v1beta1.Params", "min_signed_per_window"),
            Some(Quirk::Dec { bytes: true })
        );
        assert_eq!(f("cosmos.staking.v1beta1.Validator", "tokens"), None);
    }

    #[test]
    fn legacy_decs_are_atomics_on_the_wire_and_decimals_in_json() {
        assert_eq!(
            atomics_to_dec("100000000000000000").unwrap(),
            "0.100000000000000000"
        );
        assert_eq!(atomics_to_dec("0").unwrap(), "0.000000000000000000");
        assert_eq!(
            atomics_to_dec("12345000000000000000000").unwrap(),
            "12345.000000000000000000"
        );
        assert_eq!(atomics_to_dec("-5").unwrap(), "-0.000000000000000005");
        assert!(atomics_to_dec("0.1").is_none());
        assert_eq!(dec_to_atomics("0.1").unwrap(), "100000000000000000");
        assert_eq!(
            dec_to_atomics("12345.000000000000000000").unwrap(),
            "12345000000000000000000"
        );
        assert_eq!(dec_to_atomics("0").unwrap(), "0");
        assert!(dec_to_atomics("0.1234567890123456789").is_none());
        // A field that already holds a decimal is left as it is.
        let mut x = Json::String("1.500000000000000000".into());
        apply_dec(false, &mut x, Dir::ToLcd);
        assert_eq!(x, "1.500000000000000000");
        let mut b = Json::String(b64().encode("500000000000000000"));
        apply_dec(true, &mut b, Dir::ToLcd);
        assert_eq!(b, "0.500000000000000000");
        apply_dec(true, &mut b, Dir::FromLcd);
        assert_eq!(b, b64().encode("500000000000000000").as_str());
    }
}
