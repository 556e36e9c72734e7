//! The account keys deai accepts: a compressed secp256k1 key (33 bytes), or a multisig
//! `LegacyAminoPubKey` of such keys. An account stores its key as these bytes: the 33-byte
//! point, or the multisig's protobuf encoding, whose first byte (a field tag, 0x08 or 0x12)
//! can never start a compressed point (0x02 or 0x03).

use cosmos_sdk_proto::cosmos::crypto::multisig::LegacyAminoPubKey;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey as Secp256k1;
use cosmos_sdk_proto::Any;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::account::{pubkey_address, SECP256K1_PUBKEY_URL};
use deai_framework::{sdk, Address, TxError};

pub const MULTISIG_PUBKEY_URL: &str = "/cosmos.crypto.multisig.LegacyAminoPubKey";
/// Most keys in one multisig key, checked before the `tx_sig_limit` param is read.
pub const MAX_MULTISIG_KEYS: usize = 16;

/// A decoded account key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PubKey {
    Secp256k1(Vec<u8>),
    Multisig { threshold: u32, keys: Vec<Vec<u8>> },
}

fn secp256k1(key: Vec<u8>) -> Result<Vec<u8>, TxError> {
    if key.len() != 33 || !matches!(key[0], 2 | 3) {
        return Err(sdk::invalid_pubkey(
            "secp256k1 public keys are 33 bytes, compressed",
        ));
    }
    Ok(key)
}

impl PubKey {
    /// From a tx's or an account's `Any`.
    pub fn from_any(any: &Any) -> Result<Self, TxError> {
        let bad =
            |e: prost::DecodeError| sdk::invalid_pubkey(format!("cannot decode public key: {e}"));
        match any.type_url.as_str() {
            SECP256K1_PUBKEY_URL => Ok(Self::Secp256k1(secp256k1(
                Secp256k1::decode(any.value.as_slice()).map_err(bad)?.key,
            )?)),
            MULTISIG_PUBKEY_URL => {
                let m = LegacyAminoPubKey::decode(any.value.as_slice()).map_err(bad)?;
                if m.public_keys.len() > MAX_MULTISIG_KEYS {
                    return Err(sdk::too_many_signatures(format!(
                        "multisig key has {} keys, limit: {MAX_MULTISIG_KEYS}",
                        m.public_keys.len()
                    )));
                }
                let keys = m
                    .public_keys
                    .iter()
                    .map(|k| match Self::from_any(k)? {
                        Self::Secp256k1(k) => Ok(k),
                        Self::Multisig { .. } => Err(sdk::invalid_pubkey(
                            "nested multisig keys are not supported",
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                // The SDK's NewLegacyAminoPubKey invariants.
                if m.threshold == 0 || m.threshold as usize > keys.len() {
                    return Err(sdk::invalid_pubkey(format!(
                        "multisig threshold {} of {} keys",
                        m.threshold,
                        keys.len()
                    )));
                }
                Ok(Self::Multisig {
                    threshold: m.threshold,
                    keys,
                })
            }
            other => Err(sdk::invalid_pubkey(format!(
                "unsupported public key type {other}"
            ))),
        }
    }

    pub fn to_any(&self) -> Any {
        let secp = |k: &[u8]| Any {
            type_url: SECP256K1_PUBKEY_URL.into(),
            value: Secp256k1 { key: k.to_vec() }.encode_to_vec(),
        };
        match self {
            Self::Secp256k1(k) => secp(k),
            Self::Multisig { threshold, keys } => Any {
                type_url: MULTISIG_PUBKEY_URL.into(),
                value: LegacyAminoPubKey {
                    threshold: *threshold,
                    public_keys: keys.iter().map(|k| secp(k)).collect(),
                }
                .encode_to_vec(),
            },
        }
    }

    /// The bytes an account stores (see the module comment).
    pub fn to_stored(&self) -> Vec<u8> {
        match self {
            Self::Secp256k1(k) => k.clone(),
            Self::Multisig { .. } => self.to_any().value,
        }
    }

    pub fn from_stored(bytes: &[u8]) -> Result<Self, TxError> {
        if bytes.len() == 33 && matches!(bytes[0], 2 | 3) {
            return Ok(Self::Secp256k1(bytes.to_vec()));
        }
        Self::from_any(&Any {
            type_url: MULTISIG_PUBKEY_URL.into(),
            value: bytes.to_vec(),
        })
    }

    /// The number of keys, as the SDK's `CountSubKeys` (for `tx_sig_limit`).
    pub fn count_sub_keys(&self) -> usize {
        match self {
            Self::Secp256k1(_) => 1,
            Self::Multisig { keys, .. } => keys.len(),
        }
    }

    /// The SDK's address of the key: ripemd160(sha256) of a secp256k1 key; for a multisig,
    /// the first 20 bytes of sha256 of its amino encoding.
    pub fn address(&self) -> Address {
        match self {
            Self::Secp256k1(k) => pubkey_address(k),
            Self::Multisig { .. } => {
                let mut out = [0u8; 20];
                out.copy_from_slice(&Sha256::digest(self.amino_bytes())[..20]);
                Address::from_hash20(out)
            }
        }
    }

    /// Amino binary, with the registered type prefixes (`tendermint/PubKeySecp256k1`,
    /// `tendermint/PubKeyMultisigThreshold`), as the SDK hashes it.
    pub fn amino_bytes(&self) -> Vec<u8> {
        match self {
            Self::Secp256k1(k) => {
                let mut out = vec![0xeb, 0x5a, 0xe9, 0x87, 0x21];
                out.extend_from_slice(k);
                out
            }
            Self::Multisig { threshold, keys } => {
                let mut out = vec![0x22, 0xc1, 0xf7, 0xe2, 0x08];
                prost::encoding::encode_varint(u64::from(*threshold), &mut out);
                for k in keys {
                    let inner = Self::Secp256k1(k.clone()).amino_bytes();
                    out.push(0x12);
                    prost::encoding::encode_varint(inner.len() as u64, &mut out);
                    out.extend(inner);
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multisig_keys_round_trip_and_derive_the_sdks_address() {
        let keys: Vec<Vec<u8>> = (1..=3u8)
            .map(|i| {
                let mut k = vec![2u8; 33];
                k[1] = i;
                k
            })
            .collect();
        let m = PubKey::Multisig { threshold: 2, keys };
        assert_eq!(PubKey::from_any(&m.to_any()).unwrap(), m);
        assert_eq!(PubKey::from_stored(&m.to_stored()).unwrap(), m);
        assert!(!matches!(m.to_stored()[0], 2 | 3));
        // Amino: prefix, threshold, then each key as a length-prefixed amino secp256k1 key.
        let a = m.amino_bytes();
        assert_eq!(&a[..6], &[0x22, 0xc1, 0xf7, 0xe2, 0x08, 2]);
        assert_eq!(&a[6..13], &[0x12, 38, 0xeb, 0x5a, 0xe9, 0x87, 0x21]);
        assert_eq!(a.len(), 6 + 3 * 40);
        let bad = PubKey::Multisig {
            threshold: 4,
            keys: vec![vec![2; 33]; 3],
        };
        assert!(PubKey::from_any(&bad.to_any()).is_err());
    }
}
