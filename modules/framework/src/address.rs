//! Account addresses: raw bytes on the wire and in state, bech32 (`deai1...`) for people.

use std::fmt;

use bech32::{Bech32, Hrp};
use sha2::{Digest, Sha256};

use crate::error::{sdk, TxError};

/// The bech32 human-readable prefix of account addresses.
pub const ACCOUNT_PREFIX: &str = "deai";
/// Cosmos SDK limit on address length (types/address.MaxAddrLen).
pub const MAX_ADDRESS_LEN: usize = 255;

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address(Vec<u8>);

impl Address {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TxError> {
        if bytes.is_empty() || bytes.len() > MAX_ADDRESS_LEN {
            return Err(sdk::invalid_address(format!(
                "address must be 1 to {MAX_ADDRESS_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        Ok(Self(bytes.to_vec()))
    }

    /// Parses a `deai1...` bech32 string; any other prefix is an error.
    pub fn from_bech32(s: &str) -> Result<Self, TxError> {
        let (hrp, data) = bech32::decode(s)
            .map_err(|e| sdk::invalid_address(format!("invalid address {s:?}: {e}")))?;
        if hrp.as_str() != ACCOUNT_PREFIX {
            return Err(sdk::invalid_address(format!(
                "invalid address {s:?}: expected prefix {ACCOUNT_PREFIX:?}, got {:?}",
                hrp.as_str()
            )));
        }
        Self::from_bytes(&data)
    }

    /// The address of a module account: the first 20 bytes of sha256(name), as in the SDK.
    pub fn module(name: &str) -> Self {
        let hash = Sha256::digest(name.as_bytes());
        Self(hash[..20].to_vec())
    }

    /// The address of a secp256k1 public key: ripemd160(sha256(compressed key)), as in the SDK.
    /// Computed by the caller (the tx pipeline owns the crypto); this only wraps the bytes.
    pub fn from_hash20(hash: [u8; 20]) -> Self {
        Self(hash.to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn to_bech32(&self) -> String {
        // Encoding can only fail for an over-long payload, which `from_bytes` rules out.
        let hrp = Hrp::parse_unchecked(ACCOUNT_PREFIX);
        bech32::encode::<Bech32>(hrp, &self.0).unwrap_or_default()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_bech32())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_bech32())
    }
}

impl std::str::FromStr for Address {
    type Err = TxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_bech32(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bech32_round_trip() {
        let a = Address::from_bytes(&[7u8; 20]).unwrap();
        let s = a.to_bech32();
        assert!(s.starts_with("deai1"));
        assert_eq!(Address::from_bech32(&s).unwrap(), a);
    }

    #[test]
    fn rejects_other_prefix_and_garbage() {
        let cosmos = bech32::encode::<Bech32>(Hrp::parse_unchecked("cosmos"), &[1u8; 20]).unwrap();
        assert_eq!(
            Address::from_bech32(&cosmos).unwrap_err().code,
            sdk::INVALID_ADDRESS
        );
        assert!(Address::from_bech32("deai1xyz").is_err());
        assert!(Address::from_bytes(&[]).is_err());
    }

    #[test]
    fn module_address_matches_sdk() {
        // authtypes.NewModuleAddress("fee_collector") is cosmos17xpfvakm2amg962yls6f84z3kell8c5lserqta
        // on every Cosmos chain, i.e. these 20 bytes.
        assert_eq!(
            hex(Address::module("fee_collector").as_bytes()),
            "f1829676db577682e944fc3493d451b67ff3e29f"
        );
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
