//! SIGN_MODE_LEGACY_AMINO_JSON: the `StdSignDoc` a Ledger (or `--sign-mode amino-json`)
//! signs, built as the SDK's x/tx `aminojson` encoder does, from the protobuf descriptors:
//! a message's name is its `(amino.name)` option (so the names are the SDK's and wasmd's
//! own), fields are named by `(amino.field_name)` or their proto name, default values are
//! omitted unless `(amino.dont_omitempty)`, 64-bit integers are strings, enums numbers,
//! bytes base64, `(amino.encoding) = "inline_json"` bytes embedded JSON and
//! `cosmos.Dec` strings decimals. Keys are sorted and strings escaped as Go's
//! encoding/json does (`<`, `>`, `&` as `\u003c`...). Messages without an amino name
//! (deai's own) cannot be signed in this mode.

use std::collections::BTreeMap;

use cosmos_sdk_proto::Any;
use prost_reflect::{
    DynamicMessage, ExtensionDescriptor, FieldDescriptor, MessageDescriptor, ReflectMessage, Value,
};

use deai_framework::{sdk, Coins, TxError};

use super::strict::{pool, MAX_DEPTH};

/// A JSON value whose objects keep their keys sorted.
enum J {
    Str(String),
    /// A number or literal, written as is.
    Lit(String),
    Arr(Vec<J>),
    Obj(BTreeMap<String, J>),
}

fn ext(name: &str) -> Option<ExtensionDescriptor> {
    pool().ok()?.get_extension_by_name(name)
}

fn str_option(options: &DynamicMessage, name: &str) -> Option<String> {
    let e = ext(name)?;
    if !options.has_extension(&e) {
        return None;
    }
    options.get_extension(&e).as_str().map(str::to_string)
}

fn amino_err(what: impl std::fmt::Display) -> TxError {
    sdk::invalid_request(format!("SIGN_MODE_LEGACY_AMINO_JSON: {what}"))
}

/// The amino name of a message type (its `(amino.name)` option).
pub fn amino_name(desc: &MessageDescriptor) -> Option<String> {
    str_option(&desc.options(), "amino.name")
}

/// `{"type": <amino name>, "value": <fields>}` of a packed message.
fn any_json(type_url: &str, value: &[u8], depth: usize) -> Result<J, TxError> {
    let name = type_url.rsplit('/').next().unwrap_or(type_url);
    let desc = pool()?
        .get_message_by_name(name)
        .ok_or_else(|| amino_err(format!("unknown type {type_url}")))?;
    let amino = amino_name(&desc).ok_or_else(|| {
        amino_err(format!(
            "{type_url} has no amino name; sign it with SIGN_MODE_DIRECT"
        ))
    })?;
    let msg = DynamicMessage::decode(desc, value)
        .map_err(|e| amino_err(format!("cannot decode {type_url}: {e}")))?;
    let mut obj = BTreeMap::new();
    obj.insert("type".into(), J::Str(amino));
    obj.insert("value".into(), message_json(&msg, depth + 1)?);
    Ok(J::Obj(obj))
}

fn message_json(msg: &DynamicMessage, depth: usize) -> Result<J, TxError> {
    if depth > MAX_DEPTH {
        return Err(amino_err("nested too deeply"));
    }
    let desc = msg.descriptor();
    match desc.full_name() {
        "google.protobuf.Any" => {
            let url = msg.get_field_by_number(1);
            let value = msg.get_field_by_number(2);
            return any_json(
                url.and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
                    .as_str(),
                value
                    .as_ref()
                    .and_then(|v| v.as_bytes())
                    .map(|b| b.as_ref())
                    .unwrap_or(&[]),
                depth,
            );
        }
        n @ ("google.protobuf.Timestamp" | "google.protobuf.Duration") => {
            return Err(amino_err(format!("{n} fields are not supported")))
        }
        _ => {}
    }
    let mut obj = BTreeMap::new();
    for field in desc.fields() {
        let options = field.options();
        let keep_empty = ext("amino.dont_omitempty")
            .filter(|e| options.has_extension(e))
            .is_some_and(|e| options.get_extension(&e).as_bool() == Some(true));
        if !msg.has_field(&field) && !keep_empty {
            continue;
        }
        let name = str_option(&options, "amino.field_name").unwrap_or_else(|| field.name().into());
        let value = msg.get_field(&field);
        obj.insert(name, field_json(&field, &value, depth)?);
    }
    Ok(J::Obj(obj))
}

fn field_json(field: &FieldDescriptor, value: &Value, depth: usize) -> Result<J, TxError> {
    if field.is_map() {
        return Err(amino_err(format!(
            "map field {} is not supported",
            field.full_name()
        )));
    }
    match value {
        Value::List(items) => Ok(J::Arr(
            items
                .iter()
                .map(|v| scalar_json(field, v, depth))
                .collect::<Result<_, _>>()?,
        )),
        v => scalar_json(field, v, depth),
    }
}

fn scalar_json(field: &FieldDescriptor, value: &Value, depth: usize) -> Result<J, TxError> {
    let options = field.options();
    Ok(match value {
        Value::Bool(b) => J::Lit(b.to_string()),
        Value::I32(n) => J::Lit(n.to_string()),
        Value::U32(n) => J::Lit(n.to_string()),
        Value::EnumNumber(n) => J::Lit(n.to_string()),
        Value::I64(n) => J::Str(n.to_string()),
        Value::U64(n) => J::Str(n.to_string()),
        Value::String(s) => {
            if str_option(&options, "cosmos_proto.scalar").as_deref() == Some("cosmos.Dec") {
                J::Str(legacy_dec(s))
            } else {
                J::Str(s.clone())
            }
        }
        Value::Bytes(b) => {
            if str_option(&options, "amino.encoding").as_deref() == Some("inline_json") {
                let v: serde_json::Value = serde_json::from_slice(b)
                    .map_err(|e| amino_err(format!("{} is not JSON: {e}", field.name())))?;
                from_serde(&v, 0)?
            } else {
                use base64::Engine;
                J::Str(base64::engine::general_purpose::STANDARD.encode(b))
            }
        }
        Value::Message(m) => message_json(m, depth + 1)?,
        Value::F32(_) | Value::F64(_) | Value::List(_) | Value::Map(_) => {
            return Err(amino_err(format!(
                "field {} has an unsupported type",
                field.full_name()
            )))
        }
    })
}

/// A `cosmos.Dec` held in protobuf as its integer at 18 decimals ("100000000000000000")
/// is shown as the decimal ("0.100000000000000000"), as gogoproto's LegacyDec does.
fn legacy_dec(s: &str) -> String {
    if s.is_empty() || s.contains('.') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let padded = format!("{s:0>19}");
    let (int, frac) = padded.split_at(padded.len() - 18);
    format!("{int}.{frac}")
}

fn from_serde(v: &serde_json::Value, depth: usize) -> Result<J, TxError> {
    if depth > MAX_DEPTH {
        return Err(amino_err("JSON nested too deeply"));
    }
    Ok(match v {
        serde_json::Value::Null => J::Lit("null".into()),
        serde_json::Value::Bool(b) => J::Lit(b.to_string()),
        serde_json::Value::Number(n) => J::Lit(n.to_string()),
        serde_json::Value::String(s) => J::Str(s.clone()),
        serde_json::Value::Array(a) => J::Arr(
            a.iter()
                .map(|x| from_serde(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(o) => J::Obj(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), from_serde(x, depth + 1)?)))
                .collect::<Result<_, TxError>>()?,
        ),
    })
}

/// Writes a string as Go's encoding/json does (HTML-safe).
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write(out: &mut String, j: &J) {
    match j {
        J::Str(s) => write_str(out, s),
        J::Lit(l) => out.push_str(l),
        J::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, x);
            }
            out.push(']');
        }
        J::Obj(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write(out, x);
            }
            out.push('}');
        }
    }
}

fn coins_json(coins: &Coins) -> J {
    J::Arr(
        coins
            .iter()
            .map(|c| {
                let mut o = BTreeMap::new();
                o.insert("amount".into(), J::Str(c.amount.to_string()));
                o.insert("denom".into(), J::Str(c.denom.clone()));
                J::Obj(o)
            })
            .collect(),
    )
}

/// The fields of a `StdSignDoc` that are not per signer.
pub struct SignDocParts<'a> {
    pub chain_id: &'a str,
    pub account_number: u64,
    pub sequence: u64,
    pub fee: &'a Coins,
    pub gas: u64,
    pub memo: &'a str,
    pub timeout_height: u64,
    pub msgs: &'a [Any],
}

/// The amino JSON of one message (`{"type":..,"value":..}`).
pub fn msg_json(msg: &Any) -> Result<String, TxError> {
    let mut out = String::new();
    write(&mut out, &any_json(&msg.type_url, &msg.value, 0)?);
    Ok(out)
}

/// The bytes signed in SIGN_MODE_LEGACY_AMINO_JSON.
pub fn sign_bytes(p: &SignDocParts) -> Result<Vec<u8>, TxError> {
    let mut doc = BTreeMap::new();
    doc.insert(
        "account_number".into(),
        J::Str(p.account_number.to_string()),
    );
    doc.insert("chain_id".into(), J::Str(p.chain_id.into()));
    let mut fee = BTreeMap::new();
    fee.insert("amount".into(), coins_json(p.fee));
    fee.insert("gas".into(), J::Str(p.gas.to_string()));
    doc.insert("fee".into(), J::Obj(fee));
    doc.insert("memo".into(), J::Str(p.memo.into()));
    doc.insert(
        "msgs".into(),
        J::Arr(
            p.msgs
                .iter()
                .map(|m| any_json(&m.type_url, &m.value, 0))
                .collect::<Result<_, _>>()?,
        ),
    );
    doc.insert("sequence".into(), J::Str(p.sequence.to_string()));
    if p.timeout_height != 0 {
        doc.insert(
            "timeout_height".into(),
            J::Str(p.timeout_height.to_string()),
        );
    }
    let mut out = String::new();
    write(&mut out, &J::Obj(doc));
    Ok(out.into_bytes())
}

/// The `StdSignDoc` bytes for a client's params and messages (for
/// `deai_client::txbuilder::sign_tx_mode`).
pub fn sign_bytes_for(
    p: &deai_client::txbuilder::TxParams,
    msgs: &[Any],
) -> Result<Vec<u8>, TxError> {
    sign_bytes(&SignDocParts {
        chain_id: &p.chain_id,
        account_number: p.account_number,
        sequence: p.sequence,
        fee: &p.fee,
        gas: p.gas_limit,
        memo: &p.memo,
        timeout_height: p.timeout_height,
        msgs,
    })
}
