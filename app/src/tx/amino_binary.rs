//! `TxEncodeAmino`/`TxDecodeAmino`: a legacy `StdTx` between its amino JSON and go-amino
//! binary, as the SDK's x/auth/tx service converts it (`LegacyAmino.UnmarshalJSON` then
//! `Marshal`, and `Unmarshal` then `MarshalJSON`).
//!
//! go-amino encodes Go structs: a field's number is its position in the struct (gogoproto
//! declares fields in .proto order), 64-bit integers are varints (no zigzag) and strings in
//! JSON, `math.Int`/`LegacyDec` are their protobuf text, interfaces (`sdk.Msg`, `PubKey`,
//! `Any`) are length-prefixed as the 4 prefix bytes of the concrete type's registered name
//! followed by its encoding, default values are left out. The struct layout of a message is
//! read from its descriptor and gogoproto options (`nullable`, `jsontag`, `customtype`,
//! `castrepeated`); the names are the messages' `(amino.name)`, as the SDK registers them.
//! Messages without an amino name (deai's own) have no amino encoding and are refused, as
//! are field kinds the SDK's messages that have one do not use with amino (oneofs, maps,
//! floats, timestamps, other custom types).
//!
//! Untrusted input: nesting is capped at `strict::MAX_DEPTH`, every length is checked against the
//! bytes left, and output is capped at [`MAX_OUTPUT_BYTES`].

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor};
use sha2::{Digest, Sha256};

use deai_framework::{sdk, TxError};

use super::amino_json::amino_name;
use super::strict::pool;

mod decode;
mod encode;
#[cfg(test)]
mod tests;

pub use decode::tx_decode_amino;
pub use encode::tx_encode_amino;

/// Largest output either direction produces (JSON can be far larger than its binary).
pub const MAX_OUTPUT_BYTES: usize = 4 << 20;
/// The registered name of `legacytx.StdTx`.
pub const STD_TX: &str = "cosmos-sdk/StdTx";
const COINS: &str = "github.com/cosmos/cosmos-sdk/types.Coins";
const NO_DEAI: &str = "deai's own messages (/deai.*) have no amino encoding: build the tx in \
     protobuf (TxEncode) and sign it with SIGN_MODE_DIRECT";

pub(crate) fn err(what: impl std::fmt::Display) -> TxError {
    sdk::invalid_request(format!("amino: {what}"))
}

/// go-amino's prefix of a registered name: sha256(name), leading zero bytes skipped, then 3
/// disambiguation bytes, zero bytes skipped again, then the next 4 bytes.
pub fn prefix(name: &str) -> [u8; 4] {
    let hash = Sha256::digest(name.as_bytes());
    let skip_zeros = |b: &[u8]| b.iter().position(|x| *x != 0).unwrap_or(b.len());
    let rest = &hash[skip_zeros(&hash)..];
    let rest = rest.get(3..).unwrap_or(&[]);
    let rest = &rest[skip_zeros(rest)..];
    let mut p = [0u8; 4];
    for (d, s) in p.iter_mut().zip(rest) {
        *d = *s;
    }
    p
}

/// A registered concrete type.
#[derive(Clone)]
pub(crate) enum Concrete {
    Proto(MessageDescriptor),
    /// A key whose amino form is its bytes (secp256k1: 33, ed25519: 32).
    Key(usize),
    /// `LegacyAminoPubKey` ("tendermint/PubKeyMultisigThreshold").
    Multisig,
}

/// Which concrete types an interface field takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Iface {
    /// `sdk.Msg`: messages.
    Msg,
    /// `cryptotypes.PubKey`.
    PubKey,
    /// A protobuf `Any` field (a proposal's messages, a validator's consensus key).
    Any,
}

impl Iface {
    fn takes(self, c: &Concrete) -> bool {
        match (self, c) {
            (Iface::Msg, Concrete::Proto(d)) => d.name().starts_with("Msg"),
            (Iface::Msg, _) => false,
            (Iface::PubKey, Concrete::Proto(_)) => false,
            (Iface::PubKey, _) | (Iface::Any, _) => true,
        }
    }
}

struct Registry {
    by_name: BTreeMap<String, Concrete>,
    by_prefix: BTreeMap<[u8; 4], String>,
}

fn registry() -> Result<&'static Registry, TxError> {
    static REG: OnceLock<Option<Registry>> = OnceLock::new();
    REG.get_or_init(|| {
        let pool = pool().ok()?;
        let mut by_name = BTreeMap::new();
        for m in pool.all_messages() {
            if let Some(name) = amino_name(&m) {
                // The first descriptor of a name wins (pool order is fixed).
                by_name.entry(name).or_insert(Concrete::Proto(m));
            }
        }
        // Keys amino-encode as their bytes, not as their protobuf struct.
        by_name.insert("tendermint/PubKeySecp256k1".into(), Concrete::Key(33));
        by_name.insert("tendermint/PubKeyEd25519".into(), Concrete::Key(32));
        by_name.insert(
            "tendermint/PubKeyMultisigThreshold".into(),
            Concrete::Multisig,
        );
        let mut by_prefix = BTreeMap::new();
        for name in by_name.keys() {
            by_prefix
                .entry(prefix(name))
                .or_insert_with(|| name.clone());
        }
        Some(Registry { by_name, by_prefix })
    })
    .as_ref()
    .ok_or_else(|| sdk::internal("the built-in descriptor set is corrupt"))
}

/// The concrete type registered under `name`, if `iface` takes it.
pub(crate) fn by_name(name: &str, iface: Iface) -> Result<Concrete, TxError> {
    let c = registry()?.by_name.get(name).ok_or_else(|| {
        err(format!(
            "unknown amino type {name:?} (a {iface:?}); {NO_DEAI}"
        ))
    })?;
    if !iface.takes(c) {
        return Err(err(format!("{name} is not a {iface:?}")));
    }
    Ok(c.clone())
}

/// The name and concrete type registered under `prefix`, if `iface` takes it.
pub(crate) fn by_prefix(p: &[u8], iface: Iface) -> Result<(&'static str, Concrete), TxError> {
    let key: [u8; 4] = p
        .try_into()
        .map_err(|_| err("an interface value shorter than its 4 prefix bytes"))?;
    let name = registry()?.by_prefix.get(&key).ok_or_else(|| {
        err(format!(
            "unknown amino type prefix {} (a {iface:?}); {NO_DEAI}",
            hex::encode(key)
        ))
    })?;
    Ok((name.as_str(), by_name(name, iface)?))
}

/// How a field's Go type encodes.
#[derive(Clone)]
pub(crate) enum Ty {
    Str,
    /// `math.Int`: its decimal text in binary and a JSON string.
    Int,
    /// `math.LegacyDec`: its integer text at 18 decimals in binary, a decimal in JSON.
    Dec,
    Bytes,
    U64,
    I64,
    U32,
    /// int32 and enums.
    I32,
    /// A Go `uint` under 2^32 (the multisig threshold): a varint, a JSON string.
    Uint,
    /// A `time.Duration` (a `*time.Duration` when nullable): as `I64`, but `null` when absent
    /// and nullable.
    Duration,
    Bool,
    Struct(Schema),
    Iface(Iface),
}

impl Ty {
    /// Encoded as a varint (typ3 0) rather than length-prefixed (typ3 2).
    pub(crate) fn varint(&self) -> bool {
        matches!(
            self,
            Ty::U64 | Ty::I64 | Ty::Duration | Ty::U32 | Ty::I32 | Ty::Uint | Ty::Bool
        )
    }
}

/// A struct's layout.
#[derive(Clone)]
pub(crate) enum Schema {
    Proto(MessageDescriptor),
    StdTx,
    StdFee,
    StdSignature,
    Multisig,
}

#[derive(Clone)]
pub(crate) struct Field {
    /// go-amino's field number: the position in the Go struct.
    pub num: u32,
    pub json: String,
    pub omitempty: bool,
    pub repeated: bool,
    /// A pointer in Go (nil when absent).
    pub nullable: bool,
    /// `sdk.Coins`, whose JSON is `[]` when empty.
    pub coins: bool,
    pub ty: Ty,
}

fn hand(num: u32, json: &str, ty: Ty) -> Field {
    Field {
        num,
        json: json.into(),
        omitempty: false,
        repeated: false,
        nullable: false,
        coins: false,
        ty,
    }
}

fn list(mut f: Field) -> Field {
    f.repeated = true;
    f
}

fn coin_desc() -> Result<MessageDescriptor, TxError> {
    pool()?
        .get_message_by_name("cosmos.base.v1beta1.Coin")
        .ok_or_else(|| sdk::internal("no descriptor for cosmos.base.v1beta1.Coin"))
}

impl Schema {
    pub(crate) fn name(&self) -> String {
        match self {
            Schema::Proto(d) => d.full_name().into(),
            Schema::StdTx => "StdTx".into(),
            Schema::StdFee => "StdFee".into(),
            Schema::StdSignature => "StdSignature".into(),
            Schema::Multisig => "LegacyAminoPubKey".into(),
        }
    }

    /// The fields in Go struct order, as `legacytx` and gogoproto declare them.
    pub(crate) fn fields(&self) -> Result<Vec<Field>, TxError> {
        Ok(match self {
            Schema::StdTx => vec![
                list(hand(1, "msg", Ty::Iface(Iface::Msg))),
                hand(2, "fee", Ty::Struct(Schema::StdFee)),
                list(hand(3, "signatures", Ty::Struct(Schema::StdSignature))),
                hand(4, "memo", Ty::Str),
                hand(5, "timeout_height", Ty::U64),
            ],
            Schema::StdFee => {
                let mut amount = list(hand(1, "amount", Ty::Struct(Schema::Proto(coin_desc()?))));
                amount.coins = true;
                let mut payer = hand(3, "payer", Ty::Str);
                payer.omitempty = true;
                let mut granter = hand(4, "granter", Ty::Str);
                granter.omitempty = true;
                vec![amount, hand(2, "gas", Ty::U64), payer, granter]
            }
            Schema::StdSignature => vec![
                hand(1, "pub_key", Ty::Iface(Iface::PubKey)),
                hand(2, "signature", Ty::Bytes),
            ],
            // Binary: the protobuf struct (threshold, public_keys); JSON: tendermint's
            // `{threshold: uint, pubkeys}` (the SDK's MarshalAminoJSON), same positions.
            Schema::Multisig => vec![
                hand(1, "threshold", Ty::Uint),
                list(hand(2, "pubkeys", Ty::Iface(Iface::PubKey))),
            ],
            Schema::Proto(desc) => return proto_fields(desc),
        })
    }
}

type Fields = Result<Vec<Field>, TxError>;

/// A message's fields, derived once per type (option lookups dominate otherwise: a 1 MiB
/// request holds tens of thousands of messages). The cache holds at most one entry per
/// descriptor in the built-in pool.
fn proto_fields(desc: &MessageDescriptor) -> Fields {
    static CACHE: OnceLock<Mutex<BTreeMap<String, Fields>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    if let Some(hit) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(desc.full_name()).cloned())
    {
        return hit;
    }
    let derive = || -> Fields {
        let mut out = Vec::new();
        for f in desc.fields() {
            if let Some(field) = proto_field(out.len() + 1, &f)? {
                out.push(field);
            }
        }
        Ok(out)
    };
    let fields = derive();
    if let Ok(mut c) = cache.lock() {
        c.insert(desc.full_name().to_string(), fields.clone());
    }
    fields
}

fn option(opts: &DynamicMessage, name: &str) -> Option<prost_reflect::Value> {
    let e = pool().ok()?.get_extension_by_name(name)?;
    opts.has_extension(&e)
        .then(|| opts.get_extension(&e).into_owned())
}

fn str_opt(opts: &DynamicMessage, name: &str) -> Option<String> {
    option(opts, name).and_then(|v| v.as_str().map(str::to_string))
}

fn unsupported(f: &FieldDescriptor, what: &str) -> TxError {
    err(format!(
        "field {} ({what}) has no legacy amino encoding here",
        f.full_name()
    ))
}

/// A protobuf field as gogoproto declares it in Go; None for `json:"-"` fields, which
/// go-amino skips.
fn proto_field(num: usize, f: &FieldDescriptor) -> Result<Option<Field>, TxError> {
    if f.containing_oneof().is_some() {
        return Err(unsupported(f, "oneof"));
    }
    if f.is_map() {
        return Err(unsupported(f, "map"));
    }
    let opts = f.options();
    let custom = str_opt(&opts, "gogoproto.customtype");
    let nullable = option(&opts, "gogoproto.nullable").and_then(|v| v.as_bool()) != Some(false);
    let ty = match f.kind() {
        Kind::String => match custom.as_deref() {
            None => Ty::Str,
            Some(c) if c.ends_with("math.Int") || c.ends_with("types.Int") => Ty::Int,
            Some(c) if c.ends_with("math.LegacyDec") || c.ends_with("types.Dec") => Ty::Dec,
            Some(c) => return Err(unsupported(f, c)),
        },
        // A LegacyDec may be held in bytes (slashing's params): the same text either way.
        Kind::Bytes => match custom.or_else(|| str_opt(&opts, "gogoproto.casttype")) {
            None => Ty::Bytes,
            Some(c) if c.ends_with("math.Int") || c.ends_with("types.Int") => Ty::Int,
            Some(c) if c.ends_with("math.LegacyDec") || c.ends_with("types.Dec") => Ty::Dec,
            Some(c) => return Err(unsupported(f, &c)),
        },
        Kind::Uint64 | Kind::Fixed64 => Ty::U64,
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Ty::I64,
        Kind::Uint32 | Kind::Fixed32 => Ty::U32,
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Enum(_) => Ty::I32,
        Kind::Bool => Ty::Bool,
        Kind::Float | Kind::Double => return Err(unsupported(f, "float")),
        Kind::Message(m) => match m.full_name() {
            "google.protobuf.Any" => Ty::Iface(Iface::Any),
            // gogoproto's stdduration: a Go time.Duration, i.e. an int64 of nanoseconds.
            "google.protobuf.Duration"
                if option(&opts, "gogoproto.stdduration").and_then(|v| v.as_bool())
                    == Some(true) =>
            {
                Ty::Duration
            }
            n if n.starts_with("google.protobuf.") => return Err(unsupported(f, n)),
            _ => Ty::Struct(Schema::Proto(m)),
        },
    };
    let repeated = f.is_list();
    let native_list =
        repeated && !matches!(f.kind(), Kind::Message(_)) && !matches!(ty, Ty::Int | Ty::Dec);
    // protoc-gen-gogo's json tag: `name,omitempty`, without omitempty when not nullable
    // (bar lists of scalars), or `(gogoproto.jsontag)` as given.
    let (json, omitempty) = match str_opt(&opts, "gogoproto.jsontag") {
        Some(tag) => {
            let mut parts = tag.split(',');
            let name = parts.next().unwrap_or_default().to_string();
            if name == "-" {
                return Ok(None);
            }
            (name, parts.any(|p| p == "omitempty"))
        }
        None => (f.name().to_string(), nullable || native_list),
    };
    let coins = str_opt(&opts, "gogoproto.castrepeated").as_deref() == Some(COINS);
    Ok(Some(Field {
        num: u32::try_from(num).map_err(|_| unsupported(f, "too many fields"))?,
        json,
        omitempty,
        repeated,
        nullable,
        coins,
        ty,
    }))
}

/// Splits a `math.Int`/`LegacyDec` integer text into (negative, digits without leading
/// zeros, "" for zero); None if it is not `-?[0-9]+` of at most 100 digits.
pub(crate) fn int_text(s: &str) -> Option<(bool, &str)> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() || digits.len() > 100 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    Some((neg && !digits.is_empty(), digits))
}

/// Decimal places of a `LegacyDec`.
pub(crate) const DEC_PLACES: usize = 18;
