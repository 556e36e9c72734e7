//! `TxEncodeAmino`: amino JSON to go-amino binary (`LegacyAmino.UnmarshalJSON`, then
//! `Marshal`). 64-bit integers must be JSON strings and 32-bit ones numbers, as go-amino
//! requires; `null` is the zero value. Keys that the Go struct lacks are refused (go-amino
//! drops them silently).

use base64::Engine;
use serde_json::{Map, Value};

use deai_framework::TxError;

use super::{
    by_name, err, int_text, prefix, Concrete, Field, Iface, Schema, Ty, DEC_PLACES,
    MAX_OUTPUT_BYTES, STD_TX,
};
use crate::tx::strict::MAX_DEPTH;

/// The amino binary of a `StdTx` given in amino JSON (`{"type":"cosmos-sdk/StdTx",...}`).
pub fn tx_encode_amino(json: &str) -> Result<Vec<u8>, TxError> {
    if json.trim().is_empty() {
        return Err(err("invalid empty tx json"));
    }
    let v: Value = serde_json::from_str(json).map_err(|e| err(format!("invalid JSON: {e}")))?;
    let (name, value) = typed(&v)?;
    if name != STD_TX {
        return Err(err(format!("expected a {STD_TX}, got {name:?}")));
    }
    let mut out = prefix(STD_TX).to_vec();
    out.extend(encode_struct(&Schema::StdTx, value, 0)?);
    Ok(out)
}

/// `{"type": name, "value": v}` of a registered concrete value.
fn typed(v: &Value) -> Result<(&str, Option<&Value>), TxError> {
    let o = v
        .as_object()
        .ok_or_else(|| err("expected {\"type\":..,\"value\":..}"))?;
    if let Some(k) = o.keys().find(|k| *k != "type" && *k != "value") {
        return Err(err(format!(
            "unknown key {k:?} next to \"type\" and \"value\""
        )));
    }
    let name = o
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| err("an interface value needs a string \"type\""))?;
    Ok((name, o.get("value")))
}

fn uvarint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn key(out: &mut Vec<u8>, num: u32, typ3: u64) {
    uvarint(out, (u64::from(num) << 3) | typ3);
}

fn len_prefixed(out: &mut Vec<u8>, b: &[u8]) {
    uvarint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn object<'a>(
    schema: &Schema,
    v: Option<&'a Value>,
) -> Result<Option<&'a Map<String, Value>>, TxError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(err(format!("expected an object for {}", schema.name()))),
    }
}

/// A struct's fields (without its length prefix).
fn encode_struct(schema: &Schema, v: Option<&Value>, depth: usize) -> Result<Vec<u8>, TxError> {
    if depth > MAX_DEPTH {
        return Err(err(format!("nested deeper than {MAX_DEPTH}")));
    }
    let fields = schema.fields()?;
    let obj = object(schema, v)?;
    if let Some(o) = obj {
        if let Some(k) = o.keys().find(|k| !fields.iter().any(|f| &f.json == *k)) {
            return Err(err(format!("{} has no field {k:?}", schema.name())));
        }
    }
    let mut out = Vec::new();
    for f in &fields {
        let fv = obj.and_then(|o| o.get(&f.json)).filter(|v| !v.is_null());
        encode_field(&mut out, f, fv, depth)
            .map_err(|e| err(format!("{}.{}: {}", schema.name(), f.json, e.log)))?;
        if out.len() > MAX_OUTPUT_BYTES {
            return Err(err("encoding too large"));
        }
    }
    Ok(out)
}

fn encode_field(
    out: &mut Vec<u8>,
    f: &Field,
    v: Option<&Value>,
    depth: usize,
) -> Result<(), TxError> {
    if f.repeated {
        let Some(v) = v else { return Ok(()) };
        let items = v.as_array().ok_or_else(|| err("expected an array"))?;
        if items.is_empty() {
            return Ok(());
        }
        if f.ty.varint() {
            // Packed, as protobuf packs repeated scalars.
            let mut packed = Vec::new();
            for item in items {
                uvarint(&mut packed, varint(&f.ty, item)?);
            }
            key(out, f.num, 2);
            len_prefixed(out, &packed);
        } else {
            for item in items {
                key(out, f.num, 2);
                let item = Some(item).filter(|v| !v.is_null());
                len_prefixed(out, &element(&f.ty, item, depth)?);
            }
        }
        return Ok(());
    }
    if f.ty.varint() {
        let n = match v {
            Some(v) => varint(&f.ty, v)?,
            None => 0,
        };
        if n != 0 {
            key(out, f.num, 0);
            uvarint(out, n);
        }
        return Ok(());
    }
    let bytes = match (&f.ty, v) {
        // Absent pointers and interfaces are left out.
        (Ty::Iface(_), None) => return Ok(()),
        (Ty::Int | Ty::Dec | Ty::Struct(_), None) if f.nullable => return Ok(()),
        (ty, v) => element(ty, v, depth)?,
    };
    // go-amino leaves out a non-pointer value that encodes to nothing (an empty string,
    // bytes or struct); a present pointer is written even when empty.
    let pointer = f.nullable && matches!(f.ty, Ty::Struct(_) | Ty::Int | Ty::Dec);
    if bytes.is_empty() && !pointer {
        return Ok(());
    }
    key(out, f.num, 2);
    len_prefixed(out, &bytes);
    Ok(())
}

/// A length-prefixed value's content.
fn element(ty: &Ty, v: Option<&Value>, depth: usize) -> Result<Vec<u8>, TxError> {
    let string = |v: Option<&Value>| -> Result<String, TxError> {
        match v {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(err("expected a string")),
        }
    };
    Ok(match ty {
        Ty::Str => string(v)?.into_bytes(),
        Ty::Int => {
            let s = string(v)?;
            if v.is_none() {
                b"0".to_vec()
            } else {
                let (neg, digits) =
                    int_text(&s).ok_or_else(|| err(format!("invalid integer {s:?}")))?;
                int_repr(neg, digits).into_bytes()
            }
        }
        Ty::Dec => match v {
            None => b"0".to_vec(),
            Some(_) => dec_repr(&string(v)?)?.into_bytes(),
        },
        Ty::Bytes => base64::engine::general_purpose::STANDARD
            .decode(string(v)?)
            .map_err(|e| err(format!("invalid base64: {e}")))?,
        Ty::Struct(s) => encode_struct(s, v, depth + 1)?,
        Ty::Iface(iface) => match v {
            None => Vec::new(),
            Some(v) => interface(*iface, v, depth + 1)?,
        },
        Ty::U64 | Ty::I64 | Ty::Duration | Ty::U32 | Ty::I32 | Ty::Uint | Ty::Bool => {
            return Err(err("internal: a varint as a length-prefixed value"))
        }
    })
}

/// An interface value: the concrete type's prefix, then its encoding.
fn interface(iface: Iface, v: &Value, depth: usize) -> Result<Vec<u8>, TxError> {
    let (name, value) = typed(v)?;
    let concrete = by_name(name, iface)?;
    let mut out = prefix(name).to_vec();
    match concrete {
        Concrete::Proto(d) => out.extend(encode_struct(&Schema::Proto(d), value, depth)?),
        Concrete::Multisig => out.extend(encode_struct(&Schema::Multisig, value, depth)?),
        Concrete::Key(len) => {
            let key = element(&Ty::Bytes, value.filter(|v| !v.is_null()), depth)?;
            if key.len() != len {
                return Err(err(format!(
                    "{name}: a key of {} bytes, expected {len}",
                    key.len()
                )));
            }
            len_prefixed(&mut out, &key);
        }
    }
    Ok(out)
}

fn varint(ty: &Ty, v: &Value) -> Result<u64, TxError> {
    let quoted = |v: &Value| -> Result<String, TxError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| err("64-bit integers are JSON strings in amino JSON"))
    };
    let bad = |v: &Value| err(format!("invalid integer {v}"));
    Ok(match ty {
        Ty::U64 => quoted(v)?.parse::<u64>().map_err(|_| bad(v))?,
        Ty::I64 | Ty::Duration => quoted(v)?.parse::<i64>().map_err(|_| bad(v))? as u64,
        Ty::Uint => u64::from(quoted(v)?.parse::<u32>().map_err(|_| bad(v))?),
        Ty::U32 => v
            .as_u64()
            .filter(|n| *n <= u64::from(u32::MAX))
            .ok_or_else(|| bad(v))?,
        // Negative int32s are sign-extended to 64 bits, as protobuf does.
        Ty::I32 => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| bad(v))? as i64 as u64,
        Ty::Bool => u64::from(v.as_bool().ok_or_else(|| err("expected true or false"))?),
        _ => return Err(err("internal: not a varint")),
    })
}

fn int_repr(neg: bool, digits: &str) -> String {
    match (neg, digits) {
        (_, "") => "0".into(),
        (true, d) => format!("-{d}"),
        (false, d) => d.into(),
    }
}

/// A `LegacyDec` JSON decimal ("-1.5", at most 18 decimals) as its integer text at 18
/// decimals, as `LegacyDec.Marshal` writes it.
pub(crate) fn dec_repr(s: &str) -> Result<String, TxError> {
    let bad = || err(format!("invalid decimal {s:?}"));
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > DEC_PLACES || (s.contains('.') && frac.is_empty()) {
        return Err(bad());
    }
    if int.trim_start_matches('-').is_empty() && frac.is_empty() {
        return Err(bad());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let text = format!("{int}{frac:0<width$}", width = DEC_PLACES);
    let (neg, digits) = int_text(&text).ok_or_else(bad)?;
    Ok(int_repr(neg, digits))
}
