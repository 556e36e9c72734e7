//! Publishing a dataset: the file into the provider's store (encrypted under a fresh data key
//! when access is encrypted, streamed), its catalog entry, and `MsgPublishDataset` with
//! `host_uri = {public_url}/blobs/{blob sha256 hex}` (what a grantee GETs; the artifacts
//! client checks the hash while streaming).

use std::io::{Read, Write};
use std::path::Path;

use anyhow::Context;
use deai_client::{to_any, TxSender};
use deai_framework::Coin;
use deai_proto::data::v1 as pb;
use deai_worker_artifacts::{BlobWriter, Store, StoreError};
use deai_worker_daemon::{typed_events_in, Committed};
use deai_worker_jobs::Digest;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::catalog::{AccessKind, Catalog};
use crate::stream::{encrypt_file, generate_data_key};

/// Bytes read from the dataset file at a time (open datasets).
const READ_CHUNK: usize = 1 << 20;

/// `{public_url}/blobs/{blob hex}`.
pub fn host_uri(public_url: &str, blob: &Digest) -> String {
    format!("{}/blobs/{blob}", public_url.trim_end_matches('/'))
}

/// The server's base URL and the blob of a `host_uri` of that shape (`http://` only, as
/// the artifacts client speaks).
pub fn parse_host_uri(uri: &str) -> anyhow::Result<(String, Digest)> {
    let (base, hex) = uri
        .rsplit_once("/blobs/")
        .ok_or_else(|| anyhow::anyhow!("host_uri {uri:?} is not <url>/blobs/<sha256>"))?;
    anyhow::ensure!(
        base.starts_with("http://") && base.len() > "http://".len(),
        "host_uri {uri:?}: only http:// URLs are supported"
    );
    let blob: Digest = hex
        .parse()
        .map_err(|_| anyhow::anyhow!("host_uri {uri:?}: {hex:?} is not a sha256"))?;
    Ok((base.to_string(), blob))
}

/// The metadata JSON the chain accepts: `name` and only the given optional fields.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Metadata {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

/// A dataset file as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredBlob {
    /// What the store holds and serves (ciphertext for encrypted datasets).
    pub blob: Digest,
    /// sha256 of the plaintext.
    pub content_sha256: [u8; 32],
    /// Plaintext bytes.
    pub size: u64,
    /// Stored bytes.
    pub stored_size: u64,
}

/// `io::Write` over a store's blob writer.
struct ToStore<'a>(&'a mut BlobWriter);

impl Write for ToStore<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(std::io::Error::other)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Stores `file` (blocking I/O): encrypted under `key` when given, else as is. One pass
/// over the file; nothing is left in the store on error.
pub fn store_dataset(
    file: &Path,
    store: &Store,
    key: Option<&[u8; 32]>,
) -> anyhow::Result<StoredBlob> {
    let mut input = std::fs::File::open(file).with_context(|| format!("{}", file.display()))?;
    let mut w = store.writer(None)?;
    let (content_sha256, size) = match key {
        Some(key) => {
            let s = encrypt_file(&mut input, ToStore(&mut w), key)
                .with_context(|| format!("encrypting {}", file.display()))?;
            (s.plaintext_sha256, s.plaintext_len)
        }
        None => {
            let mut h = Sha256::new();
            let mut buf = vec![0u8; READ_CHUNK];
            let mut n = 0u64;
            loop {
                let k = input
                    .read(&mut buf)
                    .with_context(|| format!("reading {}", file.display()))?;
                if k == 0 {
                    break;
                }
                h.update(&buf[..k]);
                w.write(&buf[..k])?;
                n += k as u64;
            }
            (h.finalize().into(), n)
        }
    };
    let out = w.commit().map_err(|e: StoreError| anyhow::anyhow!(e))?;
    Ok(StoredBlob {
        blob: out.digest,
        content_sha256,
        size,
        stored_size: out.size,
    })
}

/// What `data publish` is asked to publish.
#[derive(Clone, Debug)]
pub struct PublishSpec {
    pub access: AccessKind,
    /// Price of one datatoken (bond denom).
    pub price: Coin,
    pub metadata: Metadata,
    /// The provider's artifact server as buyers reach it.
    pub public_url: String,
}

/// What `data publish` prints.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Published {
    pub dataset_id: u64,
    pub denom: String,
    pub content_sha256: String,
    pub blob: String,
    pub host_uri: String,
}

/// Publishes `file`: stores it (encrypted under a fresh key if access is encrypted), simulates
/// `MsgPublishDataset` (publisher and provider = the sender's key), records the catalog entry
/// as pending, broadcasts, and files the entry under the new dataset id. A refusal (in
/// simulation, CheckTx or the block) leaves no pending entry; a tx whose outcome is unknown
/// (the broadcast or the wait for its commit failed) keeps it, with its key, and says so.
pub async fn publish(
    sender: &mut TxSender,
    catalog: &mut Catalog,
    store: &Store,
    file: &Path,
    spec: &PublishSpec,
) -> anyhow::Result<Published> {
    anyhow::ensure!(!spec.metadata.name.is_empty(), "the dataset needs a name");
    let key = (spec.access == AccessKind::Encrypted).then(generate_data_key);
    let (path, st, k) = (file.to_path_buf(), store.clone(), key.clone());
    let stored = tokio::task::spawn_blocking(move || store_dataset(&path, &st, k.as_deref()))
        .await
        .context("storing the dataset")??;
    let me = sender.address().to_bech32();
    let uri = host_uri(&spec.public_url, &stored.blob);
    let msg = pb::MsgPublishDataset {
        publisher: me.clone(),
        content_sha256: stored.content_sha256.to_vec(),
        size: stored.size,
        metadata: serde_json::to_string(&spec.metadata)?,
        price: Some(spec.price.to_proto()),
        provider: Some(pb::Provider {
            address: me,
            host_uri: uri.clone(),
        }),
        access: spec.access.to_proto() as i32,
    };
    let msgs = vec![to_any(&msg)];
    let prepared = sender.prepare(&msgs).await.context("MsgPublishDataset")?;
    let entry = catalog.new_entry(
        stored.blob,
        stored.content_sha256,
        stored.size,
        spec.access,
        key.as_deref(),
    )?;
    catalog.add_pending(entry)?;
    let unknown = |e: anyhow::Error| {
        tracing::warn!(blob = %stored.blob, "the publish tx's outcome is unknown: its catalog entry stays pending");
        e.context("sending MsgPublishDataset")
    };
    let checked = sender
        .broadcast_prepared(msgs, &prepared)
        .await
        .map_err(unknown)?;
    if checked.code != 0 {
        catalog.discard_pending(&stored.blob)?;
        anyhow::bail!(
            "MsgPublishDataset rejected (code {}): {}",
            checked.code,
            checked.raw_log
        );
    }
    let committed: Committed = sender
        .wait_committed(checked)
        .await
        .map_err(unknown)?
        .into();
    if !committed.ok() {
        catalog.discard_pending(&stored.blob)?;
        anyhow::bail!(
            "MsgPublishDataset refused (code {}): {}",
            committed.code,
            committed.raw_log
        );
    }
    let ev = typed_events_in::<pb::EventDatasetPublished>(&committed.events)
        .into_iter()
        .next()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "tx {} committed without EventDatasetPublished; the catalog entry stays pending",
                committed.txhash
            )
        })?;
    catalog.confirm(&stored.blob, ev.dataset_id)?;
    Ok(Published {
        dataset_id: ev.dataset_id,
        denom: ev.denom,
        content_sha256: hex::encode(stored.content_sha256),
        blob: stored.blob.to_hex(),
        host_uri: uri,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_uris_round_trip_and_others_are_refused() {
        let d = Digest::of(b"x");
        let uri = host_uri("http://127.0.0.1:7070/", &d);
        assert_eq!(uri, format!("http://127.0.0.1:7070/blobs/{}", d.to_hex()));
        assert_eq!(
            parse_host_uri(&uri).unwrap(),
            ("http://127.0.0.1:7070".to_string(), d)
        );
        assert!(parse_host_uri("https://h/blobs/00").is_err());
        assert!(parse_host_uri("http://h/files/x").is_err());
        assert!(parse_host_uri(&format!("ftp://h/blobs/{d}")).is_err());
    }

    #[test]
    fn stored_datasets_hash_their_plaintext_and_encrypted_ones_decrypt() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("store"), 1 << 30).unwrap();
        let file = dir.path().join("data.csv");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &data).unwrap();
        let open = store_dataset(&file, &store, None).unwrap();
        assert_eq!(open.blob, Digest::of(&data));
        assert_eq!(open.content_sha256, Digest::of(&data).0);
        assert_eq!((open.size, open.stored_size), (200_000, 200_000));

        let key = [9u8; 32];
        let enc = store_dataset(&file, &store, Some(&key)).unwrap();
        assert_eq!(enc.content_sha256, open.content_sha256);
        assert_ne!(enc.blob, open.blob);
        let mut out = Vec::new();
        let f = std::fs::File::open(store.blob_path(&enc.blob)).unwrap();
        crate::decrypt_file(f, &mut out, &key).unwrap();
        assert_eq!(out, data);
    }
}
