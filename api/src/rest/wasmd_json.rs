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
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    ToLcd,
    FromLcd,
}

fn quirk(field: &FieldDescriptor) -> Option<Quirk> {
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
    }
}
