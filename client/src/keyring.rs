//! The keyring: named account keys under `<home>/keyring-<backend>/`.
//!
//! - `file`: the private key is encrypted at rest with XChaCha20-Poly1305 under a key derived
//!   from the passphrase by scrypt (log2 N = 15, r = 8, p = 1). A wrong passphrase fails
//!   the AEAD tag check; nothing is ever written in the clear.
//! - `test`: the private key is stored unencrypted. For localnets and tests only.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::keys::AccountKey;

const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
pub const MIN_PASSPHRASE_LEN: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    File,
    Test,
}

impl Backend {
    fn dir_name(self) -> &'static str {
        match self {
            Backend::File => "keyring-file",
            Backend::Test => "keyring-test",
        }
    }
}

/// What `keys show` and `keys list` print, in the Cosmos shape.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub address: String,
    pub pubkey: String,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    name: String,
    address: String,
    /// Base64 compressed secp256k1 public key.
    pubkey: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    encrypted: Option<Encrypted>,
    /// Hex private key; only in the `test` backend.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    secret: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Encrypted {
    kdf: String,
    log_n: u8,
    r: u32,
    p: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

pub struct Keyring {
    dir: PathBuf,
    backend: Backend,
}

fn validate_name(name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "invalid key name {name:?}: use 1 to 64 letters, digits, '-' or '_'"
    );
    Ok(())
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> anyhow::Result<[u8; 32]> {
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|e| anyhow::anyhow!("bad scrypt params: {e}"))?;
    let mut out = [0u8; 32];
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, &mut out)
        .map_err(|e| anyhow::anyhow!("scrypt failed: {e}"))?;
    Ok(out)
}

fn nonce_arr(n: &[u8]) -> anyhow::Result<[u8; 24]> {
    n.try_into()
        .map_err(|_| anyhow::anyhow!("corrupt key file: bad nonce"))
}

fn pubkey_json(pk: &[u8]) -> String {
    format!(
        "{{\"@type\":\"/cosmos.crypto.secp256k1.PubKey\",\"key\":\"{}\"}}",
        B64.encode(pk)
    )
}

impl Keyring {
    pub fn open(home: &Path, backend: Backend) -> Self {
        Self {
            dir: home.join(backend.dir_name()),
            backend,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Stores a new key. `passphrase` is required by the `file` backend.
    pub fn add(
        &self,
        name: &str,
        key: &AccountKey,
        passphrase: Option<&str>,
    ) -> anyhow::Result<KeyInfo> {
        validate_name(name)?;
        let path = self.path(name);
        anyhow::ensure!(!path.exists(), "key {name:?} already exists");
        let address = key.address().to_bech32();
        if self.list()?.iter().any(|k| k.address == address) {
            anyhow::bail!("a key with address {address} already exists");
        }
        let (encrypted, secret) = match self.backend {
            Backend::Test => (None, Some(hex::encode(key.secret_bytes()))),
            Backend::File => {
                let pass = passphrase
                    .ok_or_else(|| anyhow::anyhow!("the file keyring needs a passphrase"))?;
                anyhow::ensure!(
                    pass.chars().count() >= MIN_PASSPHRASE_LEN,
                    "passphrase must be at least {MIN_PASSPHRASE_LEN} characters"
                );
                let mut salt = [0u8; 16];
                let mut nonce = [0u8; 24];
                OsRng.fill_bytes(&mut salt);
                OsRng.fill_bytes(&mut nonce);
                let k = derive_key(pass, &salt, SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)?;
                let cipher = XChaCha20Poly1305::new((&k).into());
                let ct = cipher
                    .encrypt(
                        &XNonce::from(nonce_arr(&nonce)?),
                        key.secret_bytes().as_slice(),
                    )
                    .map_err(|_| anyhow::anyhow!("encryption failed"))?;
                (
                    Some(Encrypted {
                        kdf: "scrypt".into(),
                        log_n: SCRYPT_LOG_N,
                        r: SCRYPT_R,
                        p: SCRYPT_P,
                        salt: hex::encode(salt),
                        nonce: hex::encode(nonce),
                        ciphertext: hex::encode(ct),
                    }),
                    None,
                )
            }
        };
        let file = KeyFile {
            name: name.into(),
            address,
            pubkey: B64.encode(key.public_key()),
            encrypted,
            secret,
        };
        write_private(&self.dir, &path, &serde_json::to_vec_pretty(&file)?)?;
        self.show(name)
    }

    fn read(&self, name: &str) -> anyhow::Result<KeyFile> {
        validate_name(name)?;
        let path = self.path(name);
        let bytes = fs::read(&path).map_err(|_| {
            anyhow::anyhow!(
                "key {name:?} not found in the {:?} keyring at {}",
                self.backend,
                self.dir.display()
            )
        })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("corrupt key file {}: {e}", path.display()))
    }

    pub fn show(&self, name: &str) -> anyhow::Result<KeyInfo> {
        let f = self.read(name)?;
        let pk = B64.decode(&f.pubkey)?;
        Ok(KeyInfo {
            name: f.name,
            kind: "local".into(),
            address: f.address,
            pubkey: pubkey_json(&pk),
        })
    }

    /// The private key; `passphrase` is asked for only by the `file` backend.
    pub fn get(
        &self,
        name: &str,
        passphrase: impl FnOnce() -> anyhow::Result<String>,
    ) -> anyhow::Result<AccountKey> {
        let f = self.read(name)?;
        let key = match (&f.secret, &f.encrypted) {
            (Some(s), _) => AccountKey::from_bytes(&hex::decode(s)?)?,
            (None, Some(e)) => {
                anyhow::ensure!(e.kdf == "scrypt", "unsupported key derivation {:?}", e.kdf);
                let pass = passphrase()?;
                let k = derive_key(&pass, &hex::decode(&e.salt)?, e.log_n, e.r, e.p)?;
                let nonce = hex::decode(&e.nonce)?;
                anyhow::ensure!(nonce.len() == 24, "corrupt key file");
                let plain = XChaCha20Poly1305::new((&k).into())
                    .decrypt(
                        &XNonce::from(nonce_arr(&nonce)?),
                        hex::decode(&e.ciphertext)?.as_slice(),
                    )
                    .map_err(|_| anyhow::anyhow!("incorrect passphrase for key {name:?}"))?;
                AccountKey::from_bytes(&plain)?
            }
            (None, None) => anyhow::bail!("key file of {name:?} holds no key"),
        };
        anyhow::ensure!(
            key.address().to_bech32() == f.address,
            "key file of {name:?} is inconsistent"
        );
        Ok(key)
    }

    pub fn list(&self) -> anyhow::Result<Vec<KeyInfo>> {
        let mut out = Vec::new();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Ok(out);
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".json"))
                    .map(String::from)
            })
            .collect();
        names.sort();
        for n in names {
            out.push(self.show(&n)?);
        }
        Ok(out)
    }
}

/// Writes a file readable only by its owner, atomically (temp file + rename).
fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_backend_encrypts_and_needs_the_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path(), Backend::File);
        let (_, key) = AccountKey::generate().unwrap();
        let info = kr.add("alice", &key, Some("correct horse")).unwrap();
        assert_eq!(info.address, key.address().to_bech32());
        let raw = fs::read_to_string(dir.path().join("keyring-file/alice.json")).unwrap();
        assert!(
            !raw.contains(&hex::encode(key.secret_bytes())),
            "secret must not be stored in the clear"
        );
        let back = kr.get("alice", || Ok("correct horse".into())).unwrap();
        assert_eq!(back.secret_bytes(), key.secret_bytes());
        let err = kr.get("alice", || Ok("wrong horse!".into())).err().unwrap();
        assert!(err.to_string().contains("incorrect passphrase"));
        assert!(kr.add("alice", &key, Some("correct horse")).is_err());
        assert!(kr.add("bob", &key, Some("short")).is_err());
        assert_eq!(kr.list().unwrap().len(), 1);
    }

    #[test]
    fn test_backend_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path(), Backend::Test);
        let (_, key) = AccountKey::generate().unwrap();
        kr.add("k", &key, None).unwrap();
        assert_eq!(
            kr.get("k", || unreachable!()).unwrap().address(),
            key.address()
        );
        assert!(kr.get("../etc", || Ok(String::new())).is_err());
    }
}
