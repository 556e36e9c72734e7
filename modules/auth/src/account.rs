use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, ModuleAccount};
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::Any;
use prost::{Message, Name};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use deai_framework::{sdk, Address, TxError};

pub const SECP256K1_PUBKEY_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// An account. Stored as the `Any` the SDK would store (BaseAccount or ModuleAccount), so
/// queries return exactly what Cosmos clients expect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub address: Address,
    /// Compressed secp256k1 key (33 bytes), set by the account's first signed tx.
    pub pub_key: Option<Vec<u8>>,
    pub account_number: u64,
    pub sequence: u64,
    /// Set for module accounts, which no key controls.
    pub module: Option<ModuleInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    pub name: String,
    pub permissions: Vec<String>,
}

/// The SDK's secp256k1 address: ripemd160(sha256(compressed public key)).
pub fn pubkey_address(compressed: &[u8]) -> Address {
    let sha = Sha256::digest(compressed);
    let rip = Ripemd160::digest(sha);
    let mut out = [0u8; 20];
    out.copy_from_slice(&rip);
    Address::from_hash20(out)
}

impl Account {
    pub fn new(address: Address, account_number: u64) -> Self {
        Self {
            address,
            pub_key: None,
            account_number,
            sequence: 0,
            module: None,
        }
    }

    pub fn to_base(&self) -> BaseAccount {
        BaseAccount {
            address: self.address.to_bech32(),
            pub_key: self.pub_key.as_ref().map(|k| Any {
                type_url: SECP256K1_PUBKEY_URL.to_string(),
                value: PubKey { key: k.clone() }.encode_to_vec(),
            }),
            account_number: self.account_number,
            sequence: self.sequence,
        }
    }

    pub fn to_any(&self) -> Any {
        match &self.module {
            None => Any {
                type_url: BaseAccount::type_url(),
                value: self.to_base().encode_to_vec(),
            },
            Some(m) => Any {
                type_url: ModuleAccount::type_url(),
                value: ModuleAccount {
                    base_account: Some(self.to_base()),
                    name: m.name.clone(),
                    permissions: m.permissions.clone(),
                }
                .encode_to_vec(),
            },
        }
    }

    pub fn from_any(any: &Any) -> Result<Self, TxError> {
        let bad = |e: prost::DecodeError| sdk::internal(format!("corrupt account: {e}"));
        if any.type_url == BaseAccount::type_url() {
            Self::from_base(
                BaseAccount::decode(any.value.as_slice()).map_err(bad)?,
                None,
            )
        } else if any.type_url == ModuleAccount::type_url() {
            let m = ModuleAccount::decode(any.value.as_slice()).map_err(bad)?;
            let base = m
                .base_account
                .ok_or_else(|| sdk::internal("module account without base account"))?;
            let info = ModuleInfo {
                name: m.name,
                permissions: m.permissions,
            };
            Self::from_base(base, Some(info))
        } else {
            Err(sdk::invalid_type(format!(
                "unknown account type {}",
                any.type_url
            )))
        }
    }

    fn from_base(b: BaseAccount, module: Option<ModuleInfo>) -> Result<Self, TxError> {
        let pub_key = match b.pub_key {
            None => None,
            Some(any) if any.type_url == SECP256K1_PUBKEY_URL => {
                let pk = PubKey::decode(any.value.as_slice())
                    .map_err(|e| sdk::invalid_pubkey(format!("bad secp256k1 key: {e}")))?;
                Some(pk.key)
            }
            Some(any) => {
                return Err(sdk::invalid_pubkey(format!(
                    "unsupported public key type {}",
                    any.type_url
                )))
            }
        };
        Ok(Self {
            address: Address::from_bech32(&b.address)?,
            pub_key,
            account_number: b.account_number,
            sequence: b.sequence,
            module,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        self.to_any().encode_to_vec()
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, TxError> {
        let any = Any::decode(bytes).map_err(|e| sdk::internal(format!("corrupt account: {e}")))?;
        Self::from_any(&any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_round_trip() {
        let mut a = Account::new(Address::from_bytes(&[3; 20]).unwrap(), 5);
        a.pub_key = Some(vec![2; 33]);
        a.sequence = 9;
        assert_eq!(Account::decode(&a.encode()).unwrap(), a);
        let mut m = Account::new(Address::module("fee_collector"), 0);
        m.module = Some(ModuleInfo {
            name: "fee_collector".into(),
            permissions: vec![],
        });
        assert_eq!(Account::decode(&m.encode()).unwrap(), m);
    }
}
