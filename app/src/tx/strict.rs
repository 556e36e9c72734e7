//! Strict decoding against tx malleability (ADR-020, ADR-027), as the SDK's tx decoder
//! applies it. TxRaw is not signed, so without these rules a relayer could re-wrap a signed
//! tx under a new hash: TxRaw must be in its one canonical encoding, and the signed parts
//! (TxBody, AuthInfo and everything in them, messages included) may carry no unknown
//! field that a newer reader would act on.

use std::sync::OnceLock;

use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
use prost::Message as _;
use prost_reflect::{DescriptorPool, Kind, MessageDescriptor};

use deai_framework::{sdk, TxError};

/// Deepest nesting of messages scanned; deeper input is rejected (the SDK's messages nest
/// far less; prost itself stops at 100).
pub const MAX_DEPTH: usize = 32;
/// ADR-020: fields numbered with bit 11 set are non-critical; an old reader may skip them.
const NON_CRITICAL_BIT: u64 = 1024;

/// The descriptors of every type the node serves (Cosmos, wasmd, deai), decoded once.
pub(crate) fn pool() -> Result<&'static DescriptorPool, TxError> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| deai_api::descriptors::pool().ok())
        .as_ref()
        .ok_or_else(|| sdk::internal("the built-in descriptor set is corrupt"))
}

fn message(name: &str) -> Result<MessageDescriptor, TxError> {
    pool()?
        .get_message_by_name(name)
        .ok_or_else(|| sdk::internal(format!("no descriptor for {name}")))
}

/// ADR-027: TxRaw's bytes must be exactly its canonical encoding: fields in order, each
/// once (bar `signatures`), minimal varints, no unknown or default-valued fields.
pub fn check_tx_raw(bytes: &[u8], raw: &TxRaw) -> Result<(), TxError> {
    if raw.encoded_len() != bytes.len() || raw.encode_to_vec() != bytes {
        return Err(sdk::tx_decode(
            "tx bytes are not in the canonical TxRaw encoding (ADR-027): unknown, \
             duplicate or out-of-order fields, or a non-minimal varint",
        ));
    }
    Ok(())
}

/// TxBody: unknown critical fields are rejected, in the body and in its messages;
/// non-critical ones (ADR-020) are allowed.
pub fn check_body(bytes: &[u8]) -> Result<(), TxError> {
    reject_unknown_fields(bytes, &message("cosmos.tx.v1beta1.TxBody")?, true, 0)
}

/// AuthInfo: every unknown field is rejected, as the SDK's `RejectUnknownFieldsStrict`.
pub fn check_auth_info(bytes: &[u8]) -> Result<(), TxError> {
    reject_unknown_fields(bytes, &message("cosmos.tx.v1beta1.AuthInfo")?, false, 0)
}

/// The SDK's `unknownproto.RejectUnknownFields`: walks the wire format of `bytes` as a
/// `desc`, recursing into known message fields and into `Any` values whose type is known.
pub fn reject_unknown_fields(
    mut bytes: &[u8],
    desc: &MessageDescriptor,
    allow_non_critical: bool,
    depth: usize,
) -> Result<(), TxError> {
    if depth > MAX_DEPTH {
        return Err(sdk::tx_decode(format!(
            "{}: nested deeper than {MAX_DEPTH}",
            desc.full_name()
        )));
    }
    let is_any = desc.full_name() == "google.protobuf.Any";
    let (mut type_url, mut value): (&[u8], &[u8]) = (&[], &[]);
    while !bytes.is_empty() {
        let tag = varint(&mut bytes)?;
        let (number, wire) = (tag >> 3, tag & 7);
        if number == 0 || number > u64::from(u32::MAX >> 3) {
            return Err(sdk::tx_decode(format!("invalid field number {number}")));
        }
        let payload = field_value(&mut bytes, wire)?;
        let Some(field) = desc.get_field(number as u32) else {
            if allow_non_critical && number & NON_CRITICAL_BIT != 0 {
                continue;
            }
            return Err(sdk::tx_decode(format!(
                "errUnknownField {:?}: {{TagNum: {number}, WireType:{:?}}}",
                desc.full_name(),
                wire_name(wire)
            )));
        };
        if wire != 2 {
            continue;
        }
        if is_any {
            match number {
                1 => type_url = payload,
                2 => value = payload,
                _ => {}
            }
        } else if let Kind::Message(inner) = field.kind() {
            reject_unknown_fields(payload, &inner, allow_non_critical, depth + 1)?;
        }
    }
    if is_any && !value.is_empty() {
        // An Any of a type the node does not know is left to the decoder that needs it
        // (the router rejects unknown messages; keys and modes are checked by type URL).
        let name = std::str::from_utf8(type_url)
            .ok()
            .and_then(|u| u.rsplit('/').next());
        if let Some(inner) = name.and_then(|n| pool().ok()?.get_message_by_name(n)) {
            reject_unknown_fields(value, &inner, allow_non_critical, depth + 1)?;
        }
    }
    Ok(())
}

fn truncated() -> TxError {
    sdk::tx_decode("truncated protobuf field")
}

fn varint(bytes: &mut &[u8]) -> Result<u64, TxError> {
    let mut v = 0u64;
    for i in 0..10 {
        let (&b, rest) = bytes.split_first().ok_or_else(truncated)?;
        *bytes = rest;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(sdk::tx_decode("varint longer than 10 bytes"))
}

/// Consumes one field's value; returns the payload of a length-delimited field.
fn field_value<'a>(bytes: &mut &'a [u8], wire: u64) -> Result<&'a [u8], TxError> {
    let take = |bytes: &mut &'a [u8], n: usize| -> Result<&'a [u8], TxError> {
        if bytes.len() < n {
            return Err(truncated());
        }
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        Ok(head)
    };
    match wire {
        0 => varint(bytes).map(|_| &[][..]),
        1 => take(bytes, 8),
        2 => {
            let n = usize::try_from(varint(bytes)?).map_err(|_| truncated())?;
            take(bytes, n)
        }
        5 => take(bytes, 4),
        // Groups (3, 4) are deprecated proto2; no Cosmos type has one.
        _ => Err(sdk::tx_decode(format!("unsupported wire type {wire}"))),
    }
}

fn wire_name(wire: u64) -> &'static str {
    match wire {
        0 => "varint",
        1 => "fixed64",
        2 => "bytes",
        5 => "fixed32",
        _ => "unknown",
    }
}
