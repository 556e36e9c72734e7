use cosmos_sdk_proto::cosmos::auth::v1beta1::Params as ProtoParams;
use serde::{Deserialize, Serialize};

use deai_framework::{sdk, TxError};

/// Ante handler parameters, with the Cosmos SDK's defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    #[serde(with = "u64_string")]
    pub max_memo_characters: u64,
    #[serde(with = "u64_string")]
    pub tx_sig_limit: u64,
    #[serde(with = "u64_string")]
    pub tx_size_cost_per_byte: u64,
    #[serde(with = "u64_string")]
    pub sig_verify_cost_ed25519: u64,
    #[serde(with = "u64_string")]
    pub sig_verify_cost_secp256k1: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_memo_characters: 256,
            tx_sig_limit: 7,
            tx_size_cost_per_byte: 10,
            sig_verify_cost_ed25519: 590,
            sig_verify_cost_secp256k1: 1000,
        }
    }
}

impl Params {
    pub fn validate(&self) -> Result<(), TxError> {
        if self.max_memo_characters == 0
            || self.tx_sig_limit == 0
            || self.tx_size_cost_per_byte == 0
            || self.sig_verify_cost_ed25519 == 0
            || self.sig_verify_cost_secp256k1 == 0
        {
            return Err(sdk::invalid_request("auth params must all be positive"));
        }
        Ok(())
    }

    pub fn to_proto(&self) -> ProtoParams {
        ProtoParams {
            max_memo_characters: self.max_memo_characters,
            tx_sig_limit: self.tx_sig_limit,
            tx_size_cost_per_byte: self.tx_size_cost_per_byte,
            sig_verify_cost_ed25519: self.sig_verify_cost_ed25519,
            sig_verify_cost_secp256k1: self.sig_verify_cost_secp256k1,
        }
    }

    pub fn from_proto(p: ProtoParams) -> Self {
        Self {
            max_memo_characters: p.max_memo_characters,
            tx_sig_limit: p.tx_sig_limit,
            tx_size_cost_per_byte: p.tx_size_cost_per_byte,
            sig_verify_cost_ed25519: p.sig_verify_cost_ed25519,
            sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
        }
    }
}

/// Cosmos JSON encodes 64-bit integers as strings.
pub(crate) mod u64_string {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|_| D::Error::custom(format!("invalid integer {s:?}")))
    }
}
