//! The keyring: named account keys under `<home>/keyring-<backend>/`.
//!
//! - `file`: the private key is encrypted at rest with XChaCha20-Poly1305 under a key derived
//!   from the passphrase by scrypt (log2 N = 15, r = 8, p = 1). A wrong passphrase fails
//!   the AEAD tag check; nothing is ever written in the clear. The scrypt parameters read
//!   back from a key file are bounded ([`check_scrypt_params`]) before anything is derived,
//!   so a planted key file cannot make `deaid` allocate gigabytes or run for hours.
//! - `test`: the private key is stored unencrypted. For localnets and tests only.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::keys::AccountKey;

/// Re-exported so that callers (the CLI) wipe the secrets they hold with the same type.
pub use zeroize::Zeroizing;

const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
pub const MIN_PASSPHRASE_LEN: usize = 8;

/// Bounds on the scrypt parameters a key file may ask for. They admit this keyring's own
/// (log2 N = 15, r = 8, p = 1: 32 MiB) and the common keystore settings up to geth's
/// "standard" (log2 N = 18, r = 8, p = 1: 256 MiB), and cap the memory scrypt needs
/// (128 · r · N bytes) at 1 GiB.
pub const MAX_SCRYPT_LOG_N: u8 = 20;
pub const MAX_SCRYPT_R: u32 = 16;
pub const MAX_SCRYPT_P: u32 = 4;
pub const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
/// No key file is anywhere near this; a bigger one is not read into memory.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

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

#[derive(Clone, Serialize, Deserialize)]
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

impl Drop for KeyFile {
    fn drop(&mut self) {
        if let Some(s) = &mut self.secret {
            s.zeroize();
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
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

/// Refuses scrypt parameters outside the documented bounds, before any memory is reserved.
pub fn check_scrypt_params(log_n: u8, r: u32, p: u32) -> anyhow::Result<()> {
    let ok = (1..=MAX_SCRYPT_LOG_N).contains(&log_n)
        && (1..=MAX_SCRYPT_R).contains(&r)
        && (1..=MAX_SCRYPT_P).contains(&p)
        && (128 * u64::from(r)) << log_n <= MAX_SCRYPT_MEMORY;
    anyhow::ensure!(
        ok,
        "key file asks for scrypt log_n={log_n} r={r} p={p}; this keyring accepts log_n 1..={MAX_SCRYPT_LOG_N}, \
         r 1..={MAX_SCRYPT_R}, p 1..={MAX_SCRYPT_P} and at most {} MiB (128·r·2^log_n)",
        MAX_SCRYPT_MEMORY >> 20
    );
    Ok(())
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    check_scrypt_params(log_n, r, p)?;
    let params = scrypt::Params::new(log_n, r, p, 32)
        .map_err(|e| anyhow::anyhow!("bad scrypt params: {e}"))?;
    let mut out = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, out.as_mut())
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
            Backend::Test => (None, Some(hex::encode(key.secret_bytes().as_slice()))),
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
                let cipher = XChaCha20Poly1305::new(k.as_ref().into());
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
        let bytes = Zeroizing::new(serde_json::to_vec_pretty(&file)?);
        write_private(&self.dir, &path, &bytes)?;
        // A keyring directory made by hand or an older version may be open to others.
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))?;
        }
        self.show(name)
    }

    fn read(&self, name: &str) -> anyhow::Result<KeyFile> {
        validate_name(name)?;
        let path = self.path(name);
        let not_found = || {
            anyhow::anyhow!(
                "key {name:?} not found in the {:?} keyring at {}",
                self.backend,
                self.dir.display()
            )
        };
        let len = fs::metadata(&path).map_err(|_| not_found())?.len();
        anyhow::ensure!(
            len <= MAX_KEY_FILE_BYTES,
            "corrupt key file {}: {len} bytes",
            path.display()
        );
        let bytes = Zeroizing::new(fs::read(&path).map_err(|_| not_found())?);
        serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("corrupt key file {}: {e}", path.display()))
    }

    pub fn show(&self, name: &str) -> anyhow::Result<KeyInfo> {
        let f = self.read(name)?;
        let pk = B64.decode(&f.pubkey)?;
        Ok(KeyInfo {
            name: f.name.clone(),
            kind: "local".into(),
            address: f.address.clone(),
            pubkey: pubkey_json(&pk),
        })
    }

    /// The private key; `passphrase` is asked for only by the `file` backend, and only once
    /// the key file's scrypt parameters are known to be within bounds. It is wiped after use.
    pub fn get(
        &self,
        name: &str,
        passphrase: impl FnOnce() -> anyhow::Result<String>,
    ) -> anyhow::Result<AccountKey> {
        let f = self.read(name)?;
        let key = match (&f.secret, &f.encrypted) {
            (Some(s), _) => AccountKey::from_bytes(&Zeroizing::new(hex::decode(s)?))?,
            (None, Some(e)) => {
                anyhow::ensure!(e.kdf == "scrypt", "unsupported key derivation {:?}", e.kdf);
                check_scrypt_params(e.log_n, e.r, e.p)
                    .map_err(|err| anyhow::anyhow!("key {name:?}: {err}"))?;
                let pass = Zeroizing::new(passphrase()?);
                let k = derive_key(&pass, &hex::decode(&e.salt)?, e.log_n, e.r, e.p)?;
                let nonce = hex::decode(&e.nonce)?;
                anyhow::ensure!(nonce.len() == 24, "corrupt key file");
                let plain = XChaCha20Poly1305::new(k.as_ref().into())
                    .decrypt(
                        &XNonce::from(nonce_arr(&nonce)?),
                        hex::decode(&e.ciphertext)?.as_slice(),
                    )
                    .map(Zeroizing::new)
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

/// Writes `bytes` to `path` readable only by its owner (0600), atomically: a temp file created
/// new with mode 0600 beside it, synced, then renamed over `path`, so no reader ever sees the
/// file partly written or with wider permissions. `dir` (created 0700 if missing) holds `path`.
/// Used for key files: the keyring's and CometBFT's (`deaid init`).
pub fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow::anyhow!("bad key file path {}", path.display()))?;
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    // A stale temp file may have any mode: `create_new` below refuses to reuse it.
    let _ = fs::remove_file(&tmp);
    let write = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        anyhow::anyhow!("cannot write {}: {e}", path.display())
    })
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
            !raw.contains(&hex::encode(key.secret_bytes().as_slice())),
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

    /// Before the fix, a stale `<name>.tmp` left with mode 0644 was reused as is (mode() applies
    /// only to new files), so the key was written world-readable.
    #[test]
    fn key_files_are_owner_only_even_over_a_stale_temp_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let kdir = dir.path().join("keyring-test");
        fs::create_dir_all(&kdir).unwrap();
        for stale in ["k.tmp", &format!(".k.json.tmp-{}", std::process::id())] {
            fs::write(kdir.join(stale), b"old").unwrap();
            fs::set_permissions(kdir.join(stale), fs::Permissions::from_mode(0o644)).unwrap();
        }
        let kr = Keyring::open(dir.path(), Backend::Test);
        let (_, key) = AccountKey::generate().unwrap();
        kr.add("k", &key, None).unwrap();
        let mode = fs::metadata(kdir.join("k.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "key file mode {mode:o}");
        let mode = fs::metadata(&kdir).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "keyring dir mode {mode:o}");
    }

    /// Before the bounds, log_n = 31 made scrypt reserve 2 TiB (an abort, or hours of work).
    #[test]
    fn a_key_file_asking_for_huge_scrypt_params_is_refused_before_the_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path(), Backend::File);
        let (_, key) = AccountKey::generate().unwrap();
        kr.add("alice", &key, Some("correct horse")).unwrap();
        let path = dir.path().join("keyring-file/alice.json");
        let good: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        for (field, value) in [
            ("log_n", 31),
            ("log_n", 40),
            ("log_n", 0),
            ("r", 1 << 20),
            ("p", 64),
        ] {
            let mut planted = good.clone();
            planted["encrypted"][field] = value.into();
            fs::write(&path, serde_json::to_vec(&planted).unwrap()).unwrap();
            let err = kr
                .get("alice", || {
                    panic!("asked for a passphrase ({field}={value})")
                })
                .err()
                .unwrap();
            assert!(err.to_string().contains("scrypt"), "{field}={value}: {err}");
        }
        // log_n 20 with r 16 would need 2 GiB: within each bound, beyond the memory cap.
        assert!(check_scrypt_params(20, 16, 1).is_err());
        assert!(check_scrypt_params(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P).is_ok());
        assert!(check_scrypt_params(18, 8, 1).is_ok());
        fs::write(&path, serde_json::to_vec(&good).unwrap()).unwrap();
        let back = kr.get("alice", || Ok("correct horse".into())).unwrap();
        assert_eq!(back.address(), key.address());
    }

    #[test]
    fn an_oversized_key_file_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path(), Backend::Test);
        fs::create_dir_all(dir.path().join("keyring-test")).unwrap();
        fs::write(
            dir.path().join("keyring-test/big.json"),
            vec![b' '; MAX_KEY_FILE_BYTES as usize + 1],
        )
        .unwrap();
        let err = kr.show("big").err().unwrap();
        assert!(err.to_string().contains("corrupt key file"), "{err}");
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
