//! Protobuf-aware generation and mutation from the node's own descriptors (the pool gRPC
//! reflection serves): a message of any type with plausible field values (our accounts'
//! addresses where a field names an account, real denoms, edge-case integers, odd strings),
//! and field-level mutations of encoded messages. Plausible values get inputs past the first
//! `parse address` check, deep into validation and execution.

use prost::bytes::Bytes;
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage, Value,
};

use crate::rng::Rng;

/// Deepest nesting generated (Any inside Any inside ...).
const MAX_DEPTH: usize = 4;
/// Most elements generated in a repeated field.
const MAX_LIST: usize = 4;

/// What generated fields draw from.
#[derive(Clone, Debug, Default)]
pub struct Dict {
    /// bech32 account addresses of funded keys.
    pub accounts: Vec<String>,
    /// Validator operator addresses (`deaivaloper1...`) of the same keys.
    pub validators: Vec<String>,
    /// Other address spellings: module accounts, malformed ones.
    pub other_addresses: Vec<String>,
    pub denoms: Vec<String>,
    /// Type URLs an `Any` field may carry.
    pub any_urls: Vec<String>,
}

pub struct Gen {
    pub pool: DescriptorPool,
    pub dict: Dict,
}

/// Field names that hold an account address in deai's and the SDK's messages.
const ADDRESS_WORDS: &[&str] = &[
    "address",
    "sender",
    "creator",
    "owner",
    "from",
    "to_",
    "authority",
    "admin",
    "provider",
    "requester",
    "server",
    "delegator",
    "validator",
    "signer",
    "recipient",
    "granter",
    "grantee",
    "payer",
    "worker",
    "trainer",
    "buyer",
    "seller",
    "proposer",
    "voter",
    "depositor",
    "submitter",
    "challenger",
    "curator",
    "publisher",
    "attester",
    "operator",
    "client",
    "executor",
    "reporter",
    "withdraw",
    "contract",
];

const ODD_STRINGS: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "340282366920938463463374607431768211456",
    "18446744073709551616",
    "NaN",
    "udeai",
    "{}",
    "{\"a\":1}",
    "[]",
    "null",
    "\u{0}",
    "é",
    "\u{202e}deai",
    "deai1",
    "DEAI1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
    "/cosmos.bank.v1beta1.MsgSend",
    "ipfs://x",
    "https://example.invalid/a",
    "0x00",
    "ff",
    "aGVsbG8=",
];

impl Gen {
    pub fn new(pool: DescriptorPool, dict: Dict) -> Self {
        Self { pool, dict }
    }

    pub fn message(&self, name: &str) -> Option<MessageDescriptor> {
        self.pool.get_message_by_name(name.trim_start_matches('/'))
    }

    /// A random message of `desc`, encoded.
    pub fn generate(&self, rng: &mut Rng, desc: &MessageDescriptor) -> Vec<u8> {
        self.dynamic(rng, desc, 0).encode_to_vec()
    }

    fn dynamic(&self, rng: &mut Rng, desc: &MessageDescriptor, depth: usize) -> DynamicMessage {
        let mut msg = DynamicMessage::new(desc.clone());
        if desc.full_name() == "google.protobuf.Any" {
            self.fill_any(rng, &mut msg, depth);
            return msg;
        }
        for field in desc.fields() {
            // Leave some fields unset: defaults and missing required fields matter too.
            if rng.one_in(16) || field.is_map() {
                continue;
            }
            if let Some(v) = self.field_value(rng, &field, depth) {
                msg.set_field(&field, v);
            }
        }
        msg
    }

    fn fill_any(&self, rng: &mut Rng, msg: &mut DynamicMessage, depth: usize) {
        let url = if self.dict.any_urls.is_empty() || rng.one_in(10) {
            self.string(rng, "type_url")
        } else {
            rng.pick(&self.dict.any_urls).clone()
        };
        let value = match self.message(&url) {
            Some(d) if depth < MAX_DEPTH => self.dynamic(rng, &d, depth + 1).encode_to_vec(),
            _ => rng.bytes_upto(40),
        };
        msg.set_field_by_name("type_url", Value::String(url));
        msg.set_field_by_name("value", Value::Bytes(Bytes::from(value)));
    }

    fn field_value(&self, rng: &mut Rng, field: &FieldDescriptor, depth: usize) -> Option<Value> {
        if field.is_list() {
            // Shorter lists deeper down keep the size of nested messages bounded.
            let n = rng.below(MAX_LIST.saturating_sub(depth) + 1);
            let mut xs = Vec::with_capacity(n);
            for _ in 0..n {
                xs.push(self.single(rng, field, depth)?);
            }
            return Some(Value::List(xs));
        }
        self.single(rng, field, depth)
    }

    fn single(&self, rng: &mut Rng, field: &FieldDescriptor, depth: usize) -> Option<Value> {
        let name = field.name();
        let int = |rng: &mut Rng| rng.interesting_u64();
        Some(match field.kind() {
            Kind::Bool => Value::Bool(rng.one_in(2)),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(int(rng) as i32),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(int(rng) as i64),
            Kind::Uint32 | Kind::Fixed32 => Value::U32(int(rng) as u32),
            Kind::Uint64 | Kind::Fixed64 => Value::U64(int(rng)),
            // Floats never reach state (DESIGN.md); a few odd values still go in.
            Kind::Double => Value::F64(*rng.pick(&[0.0, -1.0, f64::NAN, f64::INFINITY, 1e300])),
            Kind::Float => Value::F32(*rng.pick(&[0.0, -1.0, f32::NAN, f32::MAX])),
            Kind::String => Value::String(self.string(rng, name)),
            Kind::Bytes => Value::Bytes(Bytes::from(self.bytes(rng, name))),
            Kind::Enum(e) => {
                let values: Vec<i32> = e.values().map(|v| v.number()).collect();
                if values.is_empty() || rng.one_in(8) {
                    Value::EnumNumber(int(rng) as i32)
                } else {
                    Value::EnumNumber(*rng.pick(&values))
                }
            }
            Kind::Message(m) => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                Value::Message(self.dynamic(rng, &m, depth + 1))
            }
        })
    }

    /// A random value of the message type `url`. A `MsgUpdateParams` whose tx.proto is not in
    /// the node's descriptors (cosmos.auth's) is built from its two fields: the authority
    /// and the module's `Params`, which is there. Other unknown types get random bytes.
    pub fn msg_value(&self, rng: &mut Rng, url: &str) -> Vec<u8> {
        if let Some(d) = self.message(url) {
            return self.generate(rng, &d);
        }
        let params = url
            .trim_start_matches('/')
            .strip_suffix(".MsgUpdateParams")
            .and_then(|pkg| self.message(&format!("{pkg}.Params")));
        let Some(params) = params else {
            return rng.bytes_upto(64);
        };
        let authority = self.string(rng, "authority");
        let params = self.generate(rng, &params);
        let mut out = vec![0x0a];
        out.extend(crate::mutate::varint(authority.len() as u64));
        out.extend(authority.bytes());
        out.push(0x12);
        out.extend(crate::mutate::varint(params.len() as u64));
        out.extend(params);
        out
    }

    /// A string for a field called `name`.
    pub fn string(&self, rng: &mut Rng, name: &str) -> String {
        let lower = name.to_ascii_lowercase();
        let d = &self.dict;
        if rng.one_in(16) {
            return rng.pick(ODD_STRINGS).to_string();
        }
        if rng.one_in(24) {
            return rng.arb_upto::<String>(80);
        }
        if lower.contains("validator") && !d.validators.is_empty() && !rng.one_in(4) {
            return rng.pick(&d.validators).clone();
        }
        if ADDRESS_WORDS.iter().any(|w| lower.contains(w)) && !d.accounts.is_empty() {
            return if rng.one_in(8) && !d.other_addresses.is_empty() {
                rng.pick(&d.other_addresses).clone()
            } else {
                rng.pick(&d.accounts).clone()
            };
        }
        if lower.contains("denom") && !d.denoms.is_empty() {
            return rng.pick(&d.denoms).clone();
        }
        if lower.contains("amount")
            || lower.contains("price")
            || lower.contains("rate")
            || lower.contains("fee")
            || lower.contains("stake")
        {
            let v = u128::from(rng.interesting_u64()) * if rng.one_in(3) { 1 << 64 } else { 1 };
            return if rng.one_in(3) && !d.denoms.is_empty() {
                format!("{v}{}", rng.pick(&d.denoms))
            } else if rng.one_in(4) {
                format!("0.{v}")
            } else {
                v.to_string()
            };
        }
        if lower.contains("spec") || lower.contains("json") || lower.contains("msg") {
            return rng.pick(&["{}", "{\"a\":1}", "[]", "", "{"]).to_string();
        }
        if lower.contains("hash") || lower.contains("sha256") || lower.contains("digest") {
            return hex::encode(rng.bytes(32));
        }
        if lower.contains("url") || lower.contains("uri") {
            return rng
                .pick(&["ipfs://bafy", "https://a.invalid/x", "", "x"])
                .to_string();
        }
        let n = rng.below(24);
        (0..n)
            .map(|_| (b'a' + rng.below(26) as u8) as char)
            .collect()
    }

    fn bytes(&self, rng: &mut Rng, name: &str) -> Vec<u8> {
        let lower = name.to_ascii_lowercase();
        if (lower == "msg" || lower.ends_with("_msg") || lower.contains("json")) && !rng.one_in(4) {
            return rng
                .pick(&[&b"{}"[..], b"{\"a\":{}}", b"[]", b"null", b"{\"x\":1"])
                .to_vec();
        }
        let digest_like = [
            "hash",
            "sha256",
            "digest",
            "answer",
            "commitment",
            "root",
            "seed",
        ]
        .iter()
        .any(|w| lower.contains(w));
        if digest_like && !rng.one_in(4) {
            return rng.bytes(32);
        }
        match rng.below(6) {
            0 => Vec::new(),
            1 | 2 => rng.bytes(32),
            3 => rng.bytes(20),
            4 => rng.bytes_upto(200),
            _ => rng.bytes(33),
        }
    }

    /// `encoded` (a message of `desc`) with one field regenerated, cleared or repeated: a
    /// mutation that keeps the rest of the message well-formed.
    pub fn mutate_field(&self, rng: &mut Rng, desc: &MessageDescriptor, encoded: &[u8]) -> Vec<u8> {
        let Ok(mut msg) = DynamicMessage::decode(desc.clone(), encoded) else {
            return self.generate(rng, desc);
        };
        self.mutate_dynamic(rng, &mut msg, 0);
        msg.encode_to_vec()
    }

    fn mutate_dynamic(&self, rng: &mut Rng, msg: &mut DynamicMessage, depth: usize) {
        let fields: Vec<FieldDescriptor> = msg.descriptor().fields().collect();
        if fields.is_empty() {
            return;
        }
        let field = rng.pick(&fields).clone();
        // Descend into a set message field half of the time.
        if let (Kind::Message(_), false, true) = (field.kind(), field.is_list(), depth < MAX_DEPTH)
        {
            if msg.has_field(&field) && rng.one_in(2) {
                if let Value::Message(inner) = msg.get_field_mut(&field) {
                    self.mutate_dynamic(rng, inner, depth + 1);
                    return;
                }
            }
        }
        if field.is_map() || rng.one_in(5) {
            msg.clear_field(&field);
        } else if let Some(v) = self.field_value(rng, &field, depth) {
            msg.set_field(&field, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen() -> Gen {
        let dict = Dict {
            accounts: vec!["deai1abc".into()],
            denoms: vec!["udeai".into()],
            any_urls: vec!["/cosmos.bank.v1beta1.MsgSend".into()],
            ..Dict::default()
        };
        Gen::new(deai_api::descriptors::pool().unwrap(), dict)
    }

    #[test]
    fn generated_messages_decode_as_their_type_and_use_the_dictionary() {
        let g = gen();
        let desc = g.message("/cosmos.bank.v1beta1.MsgSend").unwrap();
        let mut rng = Rng::new(1);
        let mut saw_account = false;
        for _ in 0..200 {
            let bytes = g.generate(&mut rng, &desc);
            let m = DynamicMessage::decode(desc.clone(), bytes.as_slice()).unwrap();
            saw_account |= m
                .get_field_by_name("from_address")
                .and_then(|v| v.as_str().map(|s| s == "deai1abc"))
                .unwrap_or(false);
            let mutated = g.mutate_field(&mut rng, &desc, &bytes);
            DynamicMessage::decode(desc.clone(), mutated.as_slice()).unwrap();
        }
        assert!(saw_account);
    }

    #[test]
    fn any_fields_nest_a_bounded_depth() {
        let g = gen();
        let desc = g.message("google.protobuf.Any").unwrap();
        let mut rng = Rng::new(2);
        for _ in 0..100 {
            assert!(g.generate(&mut rng, &desc).len() < 1 << 20);
        }
    }
}
