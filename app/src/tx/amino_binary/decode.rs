//! `TxDecodeAmino`: go-amino binary to amino JSON (`LegacyAmino.Unmarshal`, then
//! `MarshalJSON`): fields in Go struct order, `omitempty` as the json tags say, strings
//! escaped as Go's encoding/json does. As go-amino, fields must come in ascending order;
//! unlike it, unknown fields are refused rather than skipped.

use base64::Engine;

use deai_framework::TxError;

use super::{
    by_prefix, err, int_text, prefix, Concrete, Field, Iface, Schema, Ty, DEC_PLACES,
    MAX_OUTPUT_BYTES, STD_TX,
};
use crate::tx::strict::MAX_DEPTH;

/// The amino JSON of a `StdTx` given in amino binary (`MarshalBinaryBare`: its prefix, then
/// its fields).
pub fn tx_decode_amino(bytes: &[u8]) -> Result<String, TxError> {
    if bytes.is_empty() {
        return Err(err("invalid empty tx bytes"));
    }
    let body = bytes
        .strip_prefix(&prefix(STD_TX))
        .ok_or_else(|| err(format!("not a {STD_TX} (its prefix bytes are missing)")))?;
    let mut out = Out(String::new());
    out.push("{\"type\":")?;
    out.string(STD_TX)?;
    out.push(",\"value\":")?;
    write_struct(&mut out, &Schema::StdTx, body, 0)?;
    out.push("}")?;
    Ok(out.0)
}

/// JSON output, capped at [`MAX_OUTPUT_BYTES`].
struct Out(String);

impl Out {
    fn push(&mut self, s: &str) -> Result<(), TxError> {
        if self.0.len() + s.len() > MAX_OUTPUT_BYTES {
            return Err(err("decoded JSON too large"));
        }
        self.0.push_str(s);
        Ok(())
    }

    /// A string as Go's encoding/json writes it (HTML-safe).
    fn string(&mut self, s: &str) -> Result<(), TxError> {
        let mut o = String::with_capacity(s.len() + 2);
        crate::tx::amino_json::write_str(&mut o, s);
        self.push(&o)
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// Go's `binary.Uvarint`: at most 10 bytes, no overflow.
    fn uvarint(&mut self) -> Result<u64, TxError> {
        let mut n = 0u64;
        for (i, b) in self.0.iter().enumerate().take(10) {
            if i == 9 && *b > 1 {
                break;
            }
            n |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                self.0 = &self.0[i + 1..];
                return Ok(n);
            }
        }
        Err(err("truncated or overlong varint"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], TxError> {
        let n = self.uvarint()?;
        let n = usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.0.len())
            .ok_or_else(|| err(format!("a length of {n} with {} bytes left", self.0.len())))?;
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(b)
    }
}

#[derive(Clone, Copy)]
enum Raw<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// The raw values of each field, checked against the struct: known field numbers in
/// ascending order (a list's entries together), and the right wire types.
fn split<'a>(fields: &[Field], bytes: &'a [u8]) -> Result<Vec<Vec<Raw<'a>>>, TxError> {
    let mut vals = vec![Vec::new(); fields.len()];
    let mut r = Reader(bytes);
    let mut last = 0u64;
    while !r.0.is_empty() {
        let k = r.uvarint()?;
        let (num, typ3) = (k >> 3, k & 7);
        let i = fields
            .iter()
            .position(|f| u64::from(f.num) == num)
            .ok_or_else(|| err(format!("unknown field number {num}")))?;
        let f = &fields[i];
        let unpacked = f.repeated && !f.ty.varint();
        if num < last || (num == last && !unpacked) {
            return Err(err(format!("field {} out of order or repeated", f.json)));
        }
        last = num;
        let want = if f.ty.varint() && !f.repeated { 0 } else { 2 };
        if typ3 != want {
            return Err(err(format!(
                "field {}: wire type {typ3}, expected {want}",
                f.json
            )));
        }
        vals[i].push(if want == 0 {
            Raw::Varint(r.uvarint()?)
        } else {
            Raw::Bytes(r.bytes()?)
        });
    }
    Ok(vals)
}

fn write_struct(out: &mut Out, schema: &Schema, bytes: &[u8], depth: usize) -> Result<(), TxError> {
    if depth > MAX_DEPTH {
        return Err(err(format!("nested deeper than {MAX_DEPTH}")));
    }
    let fields = schema.fields()?;
    let vals = split(&fields, bytes).map_err(|e| err(format!("{}: {}", schema.name(), e.log)))?;
    out.push("{")?;
    let mut first = true;
    for (f, raws) in fields.iter().zip(&vals) {
        if f.omitempty && empty(f, raws) {
            continue;
        }
        if !first {
            out.push(",")?;
        }
        first = false;
        out.string(&f.json)?;
        out.push(":")?;
        write_field(out, f, raws, depth)
            .map_err(|e| err(format!("{}.{}: {}", schema.name(), f.json, e.log)))?;
    }
    out.push("}")
}

/// Whether go-amino's `isEmpty` holds (the field is its Go zero value).
fn empty(f: &Field, raws: &[Raw]) -> bool {
    match raws {
        [] => true,
        [Raw::Varint(n)] => *n == 0,
        [Raw::Bytes(b)] if !f.repeated => match f.ty {
            // A present math.Int/LegacyDec holds a big.Int, unlike the zero value.
            Ty::Int | Ty::Dec => false,
            _ => b.is_empty(),
        },
        [Raw::Bytes(b)] if f.ty.varint() => b.is_empty(),
        _ => false,
    }
}

fn write_field(out: &mut Out, f: &Field, raws: &[Raw], depth: usize) -> Result<(), TxError> {
    if f.repeated {
        if raws.is_empty() {
            return out.push(if f.coins { "[]" } else { "null" });
        }
        out.push("[")?;
        if f.ty.varint() {
            let packed = match raws {
                [Raw::Bytes(b)] => *b,
                _ => return Err(err("a packed list expected")),
            };
            let mut r = Reader(packed);
            let mut first = true;
            while !r.0.is_empty() {
                if !first {
                    out.push(",")?;
                }
                first = false;
                let n = r.uvarint()?;
                write_varint(out, &f.ty, n)?;
            }
        } else {
            for (i, raw) in raws.iter().enumerate() {
                if i > 0 {
                    out.push(",")?;
                }
                match raw {
                    Raw::Bytes(b) => write_element(out, &f.ty, b, depth)?,
                    Raw::Varint(_) => return Err(err("a length-prefixed value expected")),
                }
            }
        }
        return out.push("]");
    }
    match (raws.first(), &f.ty) {
        (Some(Raw::Varint(n)), ty) => write_varint(out, ty, *n),
        // A nil *time.Duration (go-amino also leaves out a pointer to zero).
        (None, Ty::Duration) if f.nullable => out.push("null"),
        (None, ty) if ty.varint() => write_varint(out, ty, 0),
        (Some(Raw::Bytes(b)), ty) => write_element(out, ty, b, depth),
        (None, Ty::Iface(_) | Ty::Bytes) => out.push("null"),
        (None, Ty::Int | Ty::Dec | Ty::Struct(_)) if f.nullable => out.push("null"),
        (None, ty) => write_element(out, ty, &[], depth),
    }
}

fn write_varint(out: &mut Out, ty: &Ty, n: u64) -> Result<(), TxError> {
    let s = match ty {
        Ty::U64 => format!("\"{n}\""),
        Ty::I64 | Ty::Duration => format!("\"{}\"", n as i64),
        Ty::Uint => format!(
            "\"{}\"",
            u32::try_from(n).map_err(|_| err("uint out of range"))?
        ),
        Ty::U32 => u32::try_from(n)
            .map_err(|_| err("uint32 out of range"))?
            .to_string(),
        Ty::I32 => i32::try_from(n as i64)
            .map_err(|_| err("int32 out of range"))?
            .to_string(),
        Ty::Bool => match n {
            0 => "false".into(),
            1 => "true".into(),
            _ => return Err(err("invalid bool")),
        },
        _ => return Err(err("a length-prefixed value expected")),
    };
    out.push(&s)
}

fn utf8(b: &[u8]) -> Result<&str, TxError> {
    std::str::from_utf8(b).map_err(|_| err("a string that is not UTF-8"))
}

fn write_element(out: &mut Out, ty: &Ty, b: &[u8], depth: usize) -> Result<(), TxError> {
    match ty {
        Ty::Str => out.string(utf8(b)?),
        Ty::Int | Ty::Dec => {
            let s = if b.is_empty() { "0" } else { utf8(b)? };
            let (neg, digits) = int_text(s).ok_or_else(|| err(format!("invalid integer {s:?}")))?;
            let sign = if neg { "-" } else { "" };
            if matches!(ty, Ty::Int) {
                let digits = if digits.is_empty() { "0" } else { digits };
                return out.string(&format!("{sign}{digits}"));
            }
            let padded = format!("{digits:0>width$}", width = DEC_PLACES + 1);
            let (int, frac) = padded.split_at(padded.len() - DEC_PLACES);
            out.string(&format!("{sign}{int}.{frac}"))
        }
        Ty::Bytes => out.string(&base64::engine::general_purpose::STANDARD.encode(b)),
        Ty::Struct(s) => write_struct(out, s, b, depth + 1),
        Ty::Iface(iface) => write_interface(out, *iface, b, depth + 1),
        _ => Err(err("a varint expected")),
    }
}

fn write_interface(out: &mut Out, iface: Iface, b: &[u8], depth: usize) -> Result<(), TxError> {
    if b.is_empty() {
        return out.push("null");
    }
    if b[0] == 0 {
        return Err(err("disambiguation bytes are not supported"));
    }
    let (p, body) = b.split_at(b.len().min(4));
    let (name, concrete) = by_prefix(p, iface)?;
    out.push("{\"type\":")?;
    out.string(name)?;
    out.push(",\"value\":")?;
    match concrete {
        Concrete::Proto(d) => write_struct(out, &Schema::Proto(d), body, depth)?,
        Concrete::Multisig => write_struct(out, &Schema::Multisig, body, depth)?,
        Concrete::Key(len) => {
            let mut r = Reader(body);
            let key = r.bytes()?;
            if !r.0.is_empty() || key.len() != len {
                return Err(err(format!("{name}: expected a key of {len} bytes")));
            }
            out.string(&base64::engine::general_purpose::STANDARD.encode(key))?;
        }
    }
    out.push("}")
}
