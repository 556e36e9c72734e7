//! Proto3 JSON as grpc-gateway writes it, both ways, with Cosmos's `Any` type URLs; and path
//! and query parameters set into a request message.

use prost::Message as _;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, ReflectMessage, SerializeOptions,
    Value,
};
use tonic::Status;

pub(super) fn bad(msg: impl Into<String>) -> Status {
    Status::invalid_argument(msg.into())
}

fn parse_scalar(kind: &Kind, raw: &str, name: &str) -> Result<Value, Status> {
    let err = || bad(format!("invalid value {raw:?} for {name}"));
    Ok(match kind {
        Kind::String => Value::String(raw.to_string()),
        Kind::Bool => Value::Bool(match raw {
            "true" | "1" => true,
            "false" | "0" | "" => false,
            _ => return Err(err()),
        }),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(raw.parse().map_err(|_| err())?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(raw.parse().map_err(|_| err())?),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(raw.parse().map_err(|_| err())?),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(raw.parse().map_err(|_| err())?),
        Kind::Float => Value::F32(raw.parse().map_err(|_| err())?),
        Kind::Double => Value::F64(raw.parse().map_err(|_| err())?),
        Kind::Bytes => {
            use base64::Engine;
            let e = base64::engine::general_purpose::STANDARD;
            let u = base64::engine::general_purpose::URL_SAFE;
            let trimmed = raw.trim_end_matches('=');
            let v = e
                .decode(raw)
                .or_else(|_| u.decode(raw))
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
                .map_err(|_| err())?;
            Value::Bytes(v.into())
        }
        Kind::Enum(e) => match e.get_value_by_name(raw) {
            Some(v) => Value::EnumNumber(v.number()),
            None => Value::EnumNumber(raw.parse().map_err(|_| err())?),
        },
        Kind::Message(_) => {
            return Err(bad(format!(
                "{name} is a message; set its fields as {name}.<field>"
            )))
        }
    })
}

/// Sets `a.b.c` = raw in the request, as grpc-gateway does for path and query parameters.
pub(super) fn set_param(msg: &mut DynamicMessage, path: &str, raw: &str) -> Result<(), Status> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let desc = msg.descriptor();
    let field = desc
        .get_field_by_name(head)
        .or_else(|| desc.get_field_by_json_name(head))
        .ok_or_else(|| bad(format!("unknown parameter {path:?}")))?;
    match (rest, field.kind()) {
        (Some(rest), Kind::Message(_)) if !field.is_list() && !field.is_map() => {
            match msg.get_field_mut(&field) {
                Value::Message(inner) => set_param(inner, rest, raw),
                _ => Err(bad(format!("unknown parameter {path:?}"))),
            }
        }
        (Some(_), _) => Err(bad(format!("unknown parameter {path:?}"))),
        (None, kind) => {
            let v = parse_scalar(&kind, raw, path)?;
            if field.is_list() {
                if let Value::List(l) = msg.get_field_mut(&field) {
                    if l.len() >= 100 {
                        return Err(bad(format!("too many values for {path}")));
                    }
                    l.push(v);
                }
            } else if field.is_map() {
                return Err(bad(format!("parameter {path:?} is a map")));
            } else {
                msg.set_field(&field, v);
            }
            Ok(())
        }
    }
}

/// prost-reflect knows `Any` type URLs only as `type.googleapis.com/<name>`; Cosmos writes
/// `/<name>`. These rewrite every Any in a message, payloads included, between the two.
const GOOGLE_PREFIX: &str = "type.googleapis.com/";
const MAX_ANY_DEPTH: usize = 16;

fn rewrite_any(m: &mut DynamicMessage, to_google: bool, depth: usize) {
    if depth > MAX_ANY_DEPTH {
        return;
    }
    if m.descriptor().full_name() == "google.protobuf.Any" {
        let url = match m.get_field_by_number(1).as_deref() {
            Some(Value::String(u)) => u.clone(),
            _ => return,
        };
        let name = url
            .strip_prefix(GOOGLE_PREFIX)
            .or_else(|| url.strip_prefix('/'))
            .unwrap_or(&url)
            .to_string();
        let new_url = if to_google {
            format!("{GOOGLE_PREFIX}{name}")
        } else {
            format!("/{name}")
        };
        let pool = m.descriptor().parent_pool().clone();
        if let (Some(desc), Some(Value::Bytes(b))) = (
            pool.get_message_by_name(&name),
            m.get_field_by_number(2).as_deref(),
        ) {
            if let Ok(mut inner) = DynamicMessage::decode(desc, b.clone()) {
                rewrite_any(&mut inner, to_google, depth + 1);
                m.set_field_by_number(2, Value::Bytes(inner.encode_to_vec().into()));
            }
        }
        m.set_field_by_number(1, Value::String(new_url));
        return;
    }
    for (_, v) in m.fields_mut() {
        match v {
            Value::Message(inner) => rewrite_any(inner, to_google, depth + 1),
            Value::List(items) => {
                for i in items {
                    if let Value::Message(inner) = i {
                        rewrite_any(inner, to_google, depth + 1);
                    }
                }
            }
            Value::Map(entries) => {
                for i in entries.values_mut() {
                    if let Value::Message(inner) = i {
                        rewrite_any(inner, to_google, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Rewrites `@type` values in JSON between the two URL forms.
fn rewrite_json_types(v: &mut serde_json::Value, to_google: bool, depth: usize) {
    if depth > MAX_ANY_DEPTH * 4 {
        return;
    }
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "@type" {
                    if let serde_json::Value::String(s) = x {
                        if to_google {
                            if let Some(rest) = s.strip_prefix('/') {
                                *s = format!("{GOOGLE_PREFIX}{rest}");
                            }
                        } else if let Some(rest) = s.strip_prefix(GOOGLE_PREFIX) {
                            *s = format!("/{rest}");
                        }
                    }
                } else {
                    rewrite_json_types(x, to_google, depth + 1);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for x in items {
                rewrite_json_types(x, to_google, depth + 1);
            }
        }
        _ => {}
    }
}

/// LCD JSON into the protobuf request of `desc` (wasmd's fields in wasmd's shapes too).
pub fn from_json(desc: MessageDescriptor, body: &[u8]) -> Result<DynamicMessage, Status> {
    let mut v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("invalid JSON body: {e}")))?;
    rewrite_json_types(&mut v, true, 0);
    super::wasmd_json::from_lcd(&desc, &mut v);
    let mut m = DynamicMessage::deserialize_with_options(desc, v, &DeserializeOptions::new())
        .map_err(|e| bad(format!("invalid JSON body: {e}")))?;
    rewrite_any(&mut m, false, 0);
    Ok(m)
}

fn json_options() -> SerializeOptions {
    SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false)
}

/// Protobuf bytes of `desc` as LCD JSON (wasmd's fields in wasmd's shapes: `wasmd_json`).
pub fn to_json(desc: MessageDescriptor, bytes: &[u8]) -> Result<serde_json::Value, Status> {
    let mut m = DynamicMessage::decode(desc.clone(), bytes)
        .map_err(|e| Status::internal(format!("cannot decode response: {e}")))?;
    rewrite_any(&mut m, true, 0);
    let mut v = m
        .serialize_with_options(serde_json::value::Serializer, &json_options())
        .map_err(|e| Status::internal(format!("cannot write JSON: {e}")))?;
    rewrite_json_types(&mut v, false, 0);
    super::wasmd_json::to_lcd(&desc, &mut v);
    Ok(v)
}
