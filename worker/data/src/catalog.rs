//! The provider's catalog: what it serves for each dataset it published, and the data keys
//! of encrypted ones, sealed at rest.
//!
//! `<state dir>/catalog.json` (mode 0600, the directory 0700) maps a dataset id to
//! `{blob, content_sha256, size, access, sealed_key}`: `blob` is the sha256 the artifact
//! server serves it under (the ciphertext's for encrypted datasets, the plaintext's
//! otherwise). A data key is sealed with XChaCha20-Poly1305 under
//! `HKDF-SHA256(ikm = the provider's account secret key, info = "deai/data/catalog-key/v1")`,
//! with `aad = info ‖ blob`, so a key opens only with the account that sealed it and only
//! for its own blob (entries cannot be swapped).
//!
//! Publishing records its entry as *pending* (by blob, no dataset id) before the tx, and
//! moves it under the dataset id once the tx committed: a crash in between keeps the key,
//! and a failed tx leaves nothing that claims a dataset id. Writers (concurrent `publish`
//! runs) take an exclusive lock on `catalog.lock` around load–modify–save; readers (the
//! provider) reload the atomically renamed file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use deai_proto::data::v1 as pb;
use deai_worker_daemon::state::Versioned;
use deai_worker_daemon::StateFile;
use deai_worker_jobs::Digest;
use hkdf::Hkdf;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

pub const CATALOG_FILE: &str = "catalog.json";
const LOCK_FILE: &str = "catalog.lock";
pub const CATALOG_KEY_INFO: &[u8] = b"deai/data/catalog-key/v1";
/// Pending entries kept at most (each is a publish whose tx outcome is unknown).
const MAX_PENDING: usize = 1024;

/// How a dataset is offered (the chain's `Access`, without "unspecified").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessKind {
    Open,
    Encrypted,
    ComputeToData,
}

impl AccessKind {
    pub fn to_proto(self) -> pb::Access {
        match self {
            AccessKind::Open => pb::Access::Open,
            AccessKind::Encrypted => pb::Access::Encrypted,
            AccessKind::ComputeToData => pb::Access::ComputeToData,
        }
    }

    pub fn from_proto(a: i32) -> Option<AccessKind> {
        match pb::Access::try_from(a).ok()? {
            pb::Access::Open => Some(AccessKind::Open),
            pb::Access::Encrypted => Some(AccessKind::Encrypted),
            pb::Access::ComputeToData => Some(AccessKind::ComputeToData),
            pb::Access::Unspecified => None,
        }
    }
}

/// One dataset the provider serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// sha256 (hex) of what is served.
    pub blob: String,
    /// sha256 (hex) of the plaintext: the dataset's `content_sha256`.
    pub content_sha256: String,
    pub size: u64,
    pub access: AccessKind,
    /// hex(nonce (24) ‖ sealed key (48)); encrypted datasets only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_key: Option<String>,
}

impl Entry {
    pub fn blob_digest(&self) -> anyhow::Result<Digest> {
        self.blob
            .parse()
            .map_err(|e| anyhow::anyhow!("catalog blob {:?}: {e:?}", self.blob))
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct CatalogState {
    version: u32,
    #[serde(default)]
    datasets: BTreeMap<u64, Entry>,
    /// By blob (hex): published, tx outcome not (yet) known.
    #[serde(default)]
    pending: BTreeMap<String, Entry>,
}

impl Versioned for CatalogState {
    const VERSION: u32 = 1;
    fn version(&self) -> u32 {
        self.version
    }
}

/// The catalog in a state directory, with the key that seals its data keys.
pub struct Catalog {
    file: StateFile,
    state: CatalogState,
    kek: Zeroizing<[u8; 32]>,
}

fn catalog_kek(account_secret: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit: expand cannot fail.
    let _ = Hkdf::<Sha256>::new(None, account_secret).expand(CATALOG_KEY_INFO, out.as_mut());
    out
}

fn aad(blob: &[u8; 32]) -> Vec<u8> {
    let mut a = CATALOG_KEY_INFO.to_vec();
    a.extend_from_slice(blob);
    a
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {mode:o} {}", path.display()))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> anyhow::Result<()> {
    Ok(())
}

impl Catalog {
    /// Opens (creating the directory, 0700) the catalog of `dir`, sealing with the key
    /// derived from `account_secret` (the provider's 32-byte secp256k1 secret).
    pub fn open(dir: &Path, account_secret: &[u8]) -> anyhow::Result<Catalog> {
        let file = StateFile::open(dir, CATALOG_FILE)?;
        restrict(dir, 0o700)?;
        let mut c = Catalog {
            file,
            state: CatalogState {
                version: CatalogState::VERSION,
                ..CatalogState::default()
            },
            kek: catalog_kek(account_secret),
        };
        c.reload()?;
        Ok(c)
    }

    pub fn path(&self) -> PathBuf {
        self.file.path()
    }

    /// Re-reads the file (another process may have published since).
    pub fn reload(&mut self) -> anyhow::Result<()> {
        if let Some(s) = self.file.load::<CatalogState>("data catalog")? {
            self.state = s;
        }
        Ok(())
    }

    pub fn entry(&self, dataset_id: u64) -> Option<&Entry> {
        self.state.datasets.get(&dataset_id)
    }

    pub fn datasets(&self) -> impl Iterator<Item = (u64, &Entry)> {
        self.state.datasets.iter().map(|(id, e)| (*id, e))
    }

    pub fn pending(&self) -> impl Iterator<Item = &Entry> {
        self.state.pending.values()
    }

    /// Dataset id → the blob served for it (what [`crate::GrantPolicy`] admits).
    pub fn blobs(&self) -> HashMap<u64, Digest> {
        self.datasets()
            .filter_map(|(id, e)| e.blob_digest().ok().map(|d| (id, d)))
            .collect()
    }

    /// A new entry for `blob`, its data key sealed (`key` for encrypted datasets only).
    pub fn new_entry(
        &self,
        blob: Digest,
        content_sha256: [u8; 32],
        size: u64,
        access: AccessKind,
        key: Option<&[u8; 32]>,
    ) -> anyhow::Result<Entry> {
        anyhow::ensure!(
            key.is_some() == (access == AccessKind::Encrypted),
            "a data key goes with encrypted access, and only with it"
        );
        let sealed_key = match key {
            None => None,
            Some(k) => {
                let mut nonce = [0u8; 24];
                OsRng.fill_bytes(&mut nonce);
                let sealed = XChaCha20Poly1305::new(self.kek.as_ref().into())
                    .encrypt(
                        &XNonce::from(nonce),
                        Payload {
                            msg: k,
                            aad: &aad(&blob.0),
                        },
                    )
                    .map_err(|_| anyhow::anyhow!("sealing the data key failed"))?;
                let mut out = nonce.to_vec();
                out.extend_from_slice(&sealed);
                Some(hex::encode(out))
            }
        };
        Ok(Entry {
            blob: blob.to_hex(),
            content_sha256: hex::encode(content_sha256),
            size,
            access,
            sealed_key,
        })
    }

    /// The data key of an encrypted dataset; fails if this account did not seal it.
    pub fn data_key(&self, dataset_id: u64) -> anyhow::Result<Zeroizing<[u8; 32]>> {
        let e = self
            .entry(dataset_id)
            .ok_or_else(|| anyhow::anyhow!("dataset {dataset_id} is not in the catalog"))?;
        self.open_key(e)
            .with_context(|| format!("the data key of dataset {dataset_id}"))
    }

    /// Opens an entry's sealed key.
    pub fn open_key(&self, e: &Entry) -> anyhow::Result<Zeroizing<[u8; 32]>> {
        let sealed = e
            .sealed_key
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("no data key (not an encrypted dataset)"))?;
        let raw = hex::decode(sealed).map_err(|_| anyhow::anyhow!("sealed key is not hex"))?;
        anyhow::ensure!(raw.len() == 24 + 48, "sealed key has a bad length");
        let blob = e.blob_digest()?;
        let mut nonce = [0u8; 24];
        nonce.copy_from_slice(&raw[..24]);
        let plain = Zeroizing::new(
            XChaCha20Poly1305::new(self.kek.as_ref().into())
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: &raw[24..],
                        aad: &aad(&blob.0),
                    },
                )
                .map_err(|_| {
                    anyhow::anyhow!("the sealed key does not open with this account's key")
                })?,
        );
        anyhow::ensure!(plain.len() == 32, "sealed key has a bad length");
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&plain);
        Ok(key)
    }

    /// Records a publish in flight (by its blob).
    pub fn add_pending(&mut self, e: Entry) -> anyhow::Result<()> {
        self.update(|s| {
            anyhow::ensure!(
                s.pending.len() < MAX_PENDING || s.pending.contains_key(&e.blob),
                "{MAX_PENDING} publishes are pending in the catalog: resolve them first"
            );
            s.pending.insert(e.blob.clone(), e);
            Ok(())
        })
    }

    /// The publish of `blob` committed as `dataset_id`.
    pub fn confirm(&mut self, blob: &Digest, dataset_id: u64) -> anyhow::Result<()> {
        let hex = blob.to_hex();
        self.update(|s| {
            let e = s
                .pending
                .remove(&hex)
                .ok_or_else(|| anyhow::anyhow!("blob {hex} is not pending in the catalog"))?;
            anyhow::ensure!(
                !s.datasets.contains_key(&dataset_id),
                "dataset {dataset_id} is already in the catalog"
            );
            s.datasets.insert(dataset_id, e);
            Ok(())
        })
    }

    /// The publish of `blob` failed: its pending entry goes.
    pub fn discard_pending(&mut self, blob: &Digest) -> anyhow::Result<()> {
        let hex = blob.to_hex();
        self.update(|s| {
            s.pending.remove(&hex);
            Ok(())
        })
    }

    /// Load–modify–save under the lock file, written 0600.
    fn update(
        &mut self,
        f: impl FnOnce(&mut CatalogState) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let lock_path = self.file.dir().join(LOCK_FILE);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("opening {}", lock_path.display()))?;
        lock.lock()
            .with_context(|| format!("locking {}", lock_path.display()))?;
        self.reload()?;
        let mut next = self.state.clone();
        next.version = CatalogState::VERSION;
        f(&mut next)?;
        // `StateFile::save` writes `<name>.tmp` with `File::create`, which keeps the mode of
        // an existing file: made 0600 first, the keys never sit in a wider file.
        let mut tmp = self.file.path().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        drop(
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .open(&tmp)
                .with_context(|| format!("creating {}", tmp.display()))?,
        );
        restrict(&tmp, 0o600)?;
        self.file.save(&next)?;
        restrict(&self.file.path(), 0o600)?;
        self.state = next;
        drop(lock);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_at_rest_and_open_only_with_the_sealing_account() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let secret = [7u8; 32];
        let mut c = Catalog::open(&state, &secret).unwrap();
        let blob = Digest::of(b"ciphertext");
        let key = [42u8; 32];
        let e = c
            .new_entry(blob, [1; 32], 10, AccessKind::Encrypted, Some(&key))
            .unwrap();
        assert!(!e.sealed_key.as_ref().unwrap().contains(&hex::encode(key)));
        c.add_pending(e).unwrap();
        assert!(c.entry(5).is_none() && c.blobs().is_empty());
        c.confirm(&blob, 5).unwrap();
        assert!(c.confirm(&blob, 6).is_err(), "no longer pending");

        // A second process reads it back; the file is the owner's only.
        let again = Catalog::open(&state, &secret).unwrap();
        assert_eq!(*again.data_key(5).unwrap(), key);
        assert_eq!(again.blobs().get(&5), Some(&blob));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(again.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(&state).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let text = std::fs::read_to_string(again.path()).unwrap();
        assert!(
            !text.contains(&hex::encode(key)),
            "the key is never stored in clear"
        );

        // Another account's key does not open it.
        let other = Catalog::open(&state, &[8u8; 32]).unwrap();
        let err = other.data_key(5).unwrap_err();
        assert!(format!("{err:#}").contains("does not open"), "{err:#}");

        // An entry moved to another blob does not open either (the blob is the AAD).
        let mut moved = again.entry(5).unwrap().clone();
        moved.blob = Digest::of(b"other").to_hex();
        assert!(again.open_key(&moved).is_err());
    }

    #[test]
    fn a_failed_publish_leaves_no_dataset_and_open_entries_have_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Catalog::open(dir.path(), &[1u8; 32]).unwrap();
        let blob = Digest::of(b"plain");
        assert!(c
            .new_entry(blob, blob.0, 5, AccessKind::Open, Some(&[0; 32]))
            .is_err());
        assert!(c
            .new_entry(blob, blob.0, 5, AccessKind::Encrypted, None)
            .is_err());
        let e = c
            .new_entry(blob, blob.0, 5, AccessKind::Open, None)
            .unwrap();
        c.add_pending(e).unwrap();
        c.discard_pending(&blob).unwrap();
        let c = Catalog::open(dir.path(), &[1u8; 32]).unwrap();
        assert_eq!(c.datasets().count() + c.pending().count(), 0);
    }
}
