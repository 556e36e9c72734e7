//! Account addresses: raw bytes on the wire and in state, bech32 (`deai1...`) for people.

use std::fmt;

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32, Hrp};
use sha2::{Digest, Sha256};

use crate::error::{sdk, TxError};

/// The bech32 human-readable prefix of account addresses.
pub const ACCOUNT_PREFIX: &str = "deai";
/// Cosmos SDK limit on address length (types/address.MaxAddrLen).
pub const MAX_ADDRESS_LEN: usize = 255;
/// The longest bech32 string the SDK decodes (`bech32.DecodeAndConvert`'s limit).
pub const MAX_BECH32_LEN: usize = 1023;

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

    /// Parses a `deai1...` bech32 string; any other prefix is an error. As the SDK's
    /// `bech32.DecodeAndConvert`: BIP-173 checksums only (a bech32m spelling of the same bytes
    /// is refused), at most 1023 characters, one case throughout (all-uppercase is allowed),
    /// and the padding bits of the 5-to-8-bit conversion must be at most 4 and all zero, so
    /// each address has exactly one lowercase spelling.
    pub fn from_bech32(s: &str) -> Result<Self, TxError> {
        let bad = |why: String| sdk::invalid_address(format!("invalid address {s:?}: {why}"));
        if s.len() > MAX_BECH32_LEN {
            return Err(sdk::invalid_address(format!(
                "invalid address: {} characters, more than {MAX_BECH32_LEN}",
                s.len()
            )));
        }
        let checked = CheckedHrpstring::new::<Bech32>(s).map_err(|e| bad(e.to_string()))?;
        checked
            .validate_segwit_padding()
            .map_err(|e| bad(e.to_string()))?;
        let hrp = checked.hrp();
        if hrp.to_lowercase() != ACCOUNT_PREFIX {
            return Err(bad(format!(
                "expected prefix {ACCOUNT_PREFIX:?}, got {:?}",
                hrp.as_str()
            )));
        }
        Self::from_bytes(&checked.byte_iter().collect::<Vec<u8>>())
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

    /// Before the fix, `bech32::decode` took either checksum, so every address had a second,
    /// bech32m spelling that parsed to the same bytes.
    #[test]
    fn bech32m_spelling_is_rejected() {
        let bytes = [7u8; 20];
        let m = bech32::encode::<bech32::Bech32m>(Hrp::parse_unchecked(ACCOUNT_PREFIX), &bytes)
            .unwrap();
        assert_eq!(
            Address::from_bech32(&m).unwrap_err().code,
            sdk::INVALID_ADDRESS
        );
        let plain = Address::from_bytes(&bytes).unwrap().to_bech32();
        assert_ne!(m, plain);
        assert!(Address::from_bech32(&plain).is_ok());
    }

    #[test]
    fn case_length_and_padding_follow_the_sdk() {
        let a = Address::from_bytes(&[7u8; 20]).unwrap();
        let s = a.to_bech32();
        // All-uppercase is the same address (BIP-173, and the SDK lowercases); mixed case is not.
        assert_eq!(Address::from_bech32(&s.to_uppercase()).unwrap(), a);
        let mixed = format!("{}{}", &s[..6], s[6..].to_uppercase());
        assert!(Address::from_bech32(&mixed).is_err());
        // The longest address (255 bytes) fits in 1023 characters; a longer string is refused.
        let long = Address::from_bytes(&[1u8; MAX_ADDRESS_LEN]).unwrap();
        assert_eq!(Address::from_bech32(&long.to_bech32()).unwrap(), long);
        let too_long = format!("deai1{}", "q".repeat(MAX_BECH32_LEN));
        assert!(Address::from_bech32(&too_long)
            .unwrap_err()
            .log
            .contains("1023"));
        // 20 bytes are 32 five-bit groups with 0 padding bits; 21 bytes are 34 groups with 2
        // padding bits. Setting those bits (re-checksummed) must not give another spelling.
        let odd = Address::from_bytes(&[9u8; 21]).unwrap().to_bech32();
        let data: Vec<bech32::Fe32> = CheckedHrpstring::new::<Bech32>(&odd)
            .unwrap()
            .fe32_iter::<std::iter::Empty<u8>>()
            .collect();
        let mut bumped = data.clone();
        let last = bumped.len() - 1;
        bumped[last] = bech32::Fe32::try_from(bumped[last].to_u8() | 1).unwrap();
        let respelled = fe32_encode(&bumped);
        assert_ne!(respelled, odd);
        assert!(Address::from_bech32(&respelled).is_err());
        assert_eq!(
            Address::from_bech32(&fe32_encode(&data))
                .unwrap()
                .as_bytes(),
            &[9u8; 21]
        );
    }

    /// `deai1` + the data groups + a BIP-173 checksum.
    fn fe32_encode(data: &[bech32::Fe32]) -> String {
        use bech32::primitives::iter::Fe32IterExt;
        data.iter()
            .copied()
            .with_checksum::<Bech32>(&Hrp::parse_unchecked(ACCOUNT_PREFIX))
            .chars()
            .collect()
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
