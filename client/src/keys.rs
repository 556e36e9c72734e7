//! secp256k1 account keys from BIP39 mnemonics, on the Cosmos HD path m/44'/118'/0'/0/0,
//! so one mnemonic gives the same address in deaid, cosmjs and Keplr.

use bip32::{DerivationPath, XPrv};
use bip39::Mnemonic;
use k256::ecdsa::{signature::Signer, Signature, SigningKey};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use deai_framework::Address;

pub const COSMOS_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// A private account key.
#[derive(Clone)]
pub struct AccountKey {
    key: SigningKey,
}

impl AccountKey {
    /// A new random 24-word mnemonic and the key it derives; the phrase is wiped when dropped.
    pub fn generate() -> anyhow::Result<(Zeroizing<String>, Self)> {
        let mut entropy = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(entropy.as_mut());
        let m = Mnemonic::from_entropy(entropy.as_ref())
            .map_err(|e| anyhow::anyhow!("mnemonic: {e}"))?;
        let phrase = Zeroizing::new(m.to_string());
        let key = Self::from_mnemonic(&phrase)?;
        Ok((phrase, key))
    }

    pub fn from_mnemonic(phrase: &str) -> anyhow::Result<Self> {
        let normalized = Zeroizing::new(phrase.split_whitespace().collect::<Vec<_>>().join(" "));
        let m = Mnemonic::parse_normalized(&normalized)
            .map_err(|_| anyhow::anyhow!("invalid mnemonic: check the words and their count"))?;
        let seed = Zeroizing::new(m.to_seed(""));
        let path: DerivationPath = COSMOS_HD_PATH
            .parse()
            .map_err(|e| anyhow::anyhow!("bad HD path: {e}"))?;
        let xprv = XPrv::derive_from_path(seed.as_ref(), &path)
            .map_err(|e| anyhow::anyhow!("key derivation failed: {e}"))?;
        Ok(Self {
            key: xprv.private_key().clone(),
        })
    }

    pub fn from_bytes(secret: &[u8]) -> anyhow::Result<Self> {
        Ok(Self {
            key: SigningKey::from_slice(secret)
                .map_err(|_| anyhow::anyhow!("invalid secp256k1 private key"))?,
        })
    }

    /// The 32 private key bytes, wiped when dropped.
    pub fn secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.key.to_bytes().to_vec())
    }

    /// Compressed SEC1 public key (33 bytes).
    pub fn public_key(&self) -> Vec<u8> {
        self.key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec()
    }

    pub fn address(&self) -> Address {
        deai_auth::pubkey_address(&self.public_key())
    }

    /// Signs sha256(msg) with a low-S ECDSA signature, 64 bytes r || s.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(msg);
        let sig = sig.normalize_s().unwrap_or(sig);
        sig.to_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cosmjs_and_keplr_for_a_known_mnemonic() {
        // The well-known BIP39 test mnemonic; cosmjs/Keplr give cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4
        // for it on m/44'/118'/0'/0/0. The address bytes are the same under any prefix.
        let k = AccountKey::from_mnemonic(
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
        )
        .unwrap();
        let expected = {
            let (_, data) =
                bech32::decode("cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4").unwrap();
            data
        };
        assert_eq!(k.address().as_bytes(), expected.as_slice());
        assert!(k.address().to_bech32().starts_with("deai1"));
    }

    #[test]
    fn rejects_bad_mnemonics() {
        assert!(AccountKey::from_mnemonic("abandon abandon").is_err());
        assert!(AccountKey::from_mnemonic(
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon"
        )
        .is_err());
    }

    #[test]
    fn signatures_are_low_s_and_verify() {
        use k256::ecdsa::{signature::Verifier, VerifyingKey};
        let (_, k) = AccountKey::generate().unwrap();
        let sig = k.sign(b"hello");
        assert_eq!(sig.len(), 64);
        let sig = Signature::from_slice(&sig).unwrap();
        assert!(sig.normalize_s().is_none(), "signatures must be low-S");
        let vk = VerifyingKey::from_sec1_bytes(&k.public_key()).unwrap();
        assert!(vk.verify(b"hello", &sig).is_ok());
        assert!(vk.verify(b"hellO", &sig).is_err());
    }

    #[test]
    fn secret_bytes_round_trip() {
        let (_, k) = AccountKey::generate().unwrap();
        let back = AccountKey::from_bytes(&k.secret_bytes()).unwrap();
        assert_eq!(back.address(), k.address());
        assert!(AccountKey::from_bytes(&[0u8; 32]).is_err());
    }
}
