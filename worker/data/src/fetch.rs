//! A buyer's side (`deai-worker data fetch`): a usable grant (bought and redeemed when the
//! key holds none), the data key (encrypted datasets: waited for, bounded, and unwrapped
//! with the account key), a signed download from the provider's artifact server (the
//! client checks the blob's sha256 as it streams), decryption, and the plaintext's sha256
//! checked against the dataset's `content_sha256` before the file is renamed into place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use deai_client::to_any;
use deai_framework::Coin;
use deai_proto::data::v1 as pb;
use deai_worker_artifacts::{Client, ClientError, ClientLimits, Store};
use deai_worker_daemon::KeyedNode;
use deai_worker_jobs::Digest;
use k256::ecdsa::SigningKey;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::catalog::AccessKind;
use crate::chain::{GrantSource, NodeQueries};
use crate::publish::parse_host_uri;
use crate::request::{DownloadRequest, DOWNLOAD_HEADER};
use crate::stream::decrypt_file;

/// A grant this close to its expiry is not used (the download would not finish in time).
pub const MIN_BLOCKS_LEFT: u64 = 2;
/// Buy / redeem / use: the decision is taken at most this many times.
const MAX_ROUNDS: usize = 4;
/// Download attempts, each with a fresh signature: on 503 or a network error, and on 401 /
/// 403 too, since the provider's node may lag ours by a block (a grant it does not see yet,
/// a height just outside its window).
const DOWNLOAD_ATTEMPTS: usize = 3;
const RETRY: Duration = Duration::from_secs(2);

/// What the key needs to do next for a dataset.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Download with this grant.
    Use(pb::Grant),
    /// Redeem a datatoken it holds.
    Redeem,
    /// Buy a datatoken (then redeem it).
    Buy,
}

/// Whether `g` can still give the data at `height`: not refunded, not about to expire, and
/// (encrypted) its key delivered or still deliverable.
pub fn usable(g: &pb::Grant, dataset_id: u64, height: u64) -> bool {
    g.dataset_id == dataset_id
        && !g.refunded
        && height.saturating_add(MIN_BLOCKS_LEFT) < g.expires_at_height
        && (g.delivery_deadline == 0 || !g.wrapped_key.is_empty() || height < g.delivery_deadline)
}

/// The next step from the key's grants of the dataset and its datatoken balance: a usable
/// grant (one with its key first, then the newest), else redeem a token held, else buy.
pub fn next_step(grants: &[pb::Grant], dataset_id: u64, height: u64, tokens: u128) -> Step {
    let best = grants
        .iter()
        .filter(|g| usable(g, dataset_id, height))
        .max_by_key(|g| (!g.wrapped_key.is_empty(), g.id));
    match best {
        Some(g) => Step::Use(g.clone()),
        None if tokens > 0 => Step::Redeem,
        None => Step::Buy,
    }
}

/// Where an encrypted grant's key stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyState {
    Ready(Vec<u8>),
    Waiting,
    Refunded,
    /// The deadline passed without a key (a refund follows).
    Missed {
        deadline: u64,
    },
}

pub fn key_state(g: &pb::Grant, height: u64) -> KeyState {
    if !g.wrapped_key.is_empty() {
        KeyState::Ready(g.wrapped_key.clone())
    } else if g.refunded {
        KeyState::Refunded
    } else if height >= g.delivery_deadline {
        KeyState::Missed {
            deadline: g.delivery_deadline,
        }
    } else {
        KeyState::Waiting
    }
}

/// The most a download of a `size`-byte dataset may take: the size, or for the encrypted
/// container its header and a tag per chunk of at least 1 KiB.
pub fn max_download_bytes(size: u64, access: AccessKind) -> u64 {
    match access {
        AccessKind::Encrypted => size
            .saturating_add(64)
            .saturating_add((size / 1024 + 2).saturating_mul(16)),
        _ => size,
    }
}

/// What `data fetch` is asked.
#[derive(Clone, Debug)]
pub struct FetchSpec {
    pub dataset_id: u64,
    pub out: PathBuf,
    /// Highest price paid for a datatoken (default: the dataset's price).
    pub max_price: Option<Coin>,
    /// Longest wait for an encrypted grant's key.
    pub key_timeout: Duration,
}

/// What `data fetch` prints.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Fetched {
    pub dataset_id: u64,
    pub grant_id: u64,
    pub bytes: u64,
    pub sha256: String,
    pub out: String,
}

async fn send<M: prost::Message + prost::Name>(
    node: &mut KeyedNode,
    msg: &M,
) -> anyhow::Result<()> {
    let c = node.send(vec![to_any(msg)]).await?;
    anyhow::ensure!(
        c.ok(),
        "{} refused (code {}): {}",
        M::NAME,
        c.code,
        c.raw_log
    );
    Ok(())
}

/// A usable grant of the key for the dataset, buying and redeeming as needed.
pub async fn obtain_grant(
    node: &mut KeyedNode,
    q: &NodeQueries,
    d: &pb::Dataset,
    max_price: Option<&Coin>,
) -> anyhow::Result<pb::Grant> {
    let me = node.address();
    for _ in 0..MAX_ROUNDS {
        let height = q.height().await?;
        let grants = q.grants_of(&me, d.id).await?;
        let tokens = q.balance(&me, &d.denom).await?;
        match next_step(&grants, d.id, height, tokens) {
            Step::Use(g) => return Ok(g),
            Step::Redeem => {
                tracing::info!(dataset = d.id, "redeeming a datatoken");
                send(
                    node,
                    &pb::MsgRedeemAccess {
                        grantee: me.clone(),
                        dataset_id: d.id,
                    },
                )
                .await?;
            }
            Step::Buy => {
                let price = match max_price {
                    Some(c) => c.to_proto(),
                    None => d
                        .price
                        .clone()
                        .ok_or_else(|| anyhow::anyhow!("dataset {} has no price", d.id))?,
                };
                tracing::info!(dataset = d.id, max_price = %format!("{}{}", price.amount, price.denom), "buying a datatoken");
                let msg = pb::MsgBuyAccess {
                    buyer: me.clone(),
                    dataset_id: d.id,
                    count: 1,
                    max_price: Some(price),
                    consume_market: String::new(),
                    consume_market_fee: String::new(),
                };
                send(node, &msg).await?;
            }
        }
    }
    anyhow::bail!(
        "no usable grant for dataset {} after buying and redeeming",
        d.id
    )
}

/// Waits (at most `timeout`) for the grant's wrapped key and unwraps it.
pub async fn await_key(
    q: &NodeQueries,
    grant_id: u64,
    secret: &[u8],
    timeout: Duration,
) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    let until = tokio::time::Instant::now() + timeout;
    loop {
        let g = q
            .grant(grant_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("grant {grant_id} not found"))?;
        let height = q.height().await?;
        match key_state(&g, height) {
            KeyState::Ready(w) => {
                let sk = k256::SecretKey::from_slice(secret)
                    .map_err(|_| anyhow::anyhow!("the account key is not a secp256k1 key"))?;
                let k = crate::keywrap::unwrap_key(&sk, &w)
                    .with_context(|| format!("unwrapping the key of grant {grant_id}"))?;
                return Ok(Zeroizing::new(k));
            }
            KeyState::Refunded => anyhow::bail!(
                "grant {grant_id} was refunded: the provider never delivered its key"
            ),
            KeyState::Missed { deadline } => anyhow::bail!(
                "the provider missed grant {grant_id}'s key delivery deadline (height {deadline}); the grant will be refunded"
            ),
            KeyState::Waiting => {}
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < until,
            "no key for grant {grant_id} after {}s (deadline height {})",
            timeout.as_secs(),
            g.delivery_deadline
        );
        tokio::time::sleep(RETRY).await;
    }
}

/// A temp directory beside `out`, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sibling(out: &Path, suffix: &str) -> anyhow::Result<PathBuf> {
    let name = out
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("--out {} has no file name", out.display()))?;
    let mut n = std::ffi::OsString::from(".");
    n.push(name);
    n.push(format!(".{suffix}-{}", std::process::id()));
    Ok(out.with_file_name(n))
}

/// Downloads `blob` from `base` with a request signed for `(dataset, grant)` at the latest
/// height into `store`, retrying on 401, 403, 503 and network errors with a fresh signature.
#[allow(clippy::too_many_arguments)]
pub async fn download(
    q: &NodeQueries,
    chain_id: &str,
    signer: &SigningKey,
    base: &str,
    blob: &Digest,
    dataset_id: u64,
    grant_id: u64,
    max_bytes: u64,
    store: &Store,
) -> anyhow::Result<()> {
    let limits = ClientLimits {
        max_bytes,
        ..ClientLimits::default()
    };
    let mut last = None;
    for attempt in 0..DOWNLOAD_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(RETRY).await;
        }
        let height = q.height().await?;
        let signed = DownloadRequest {
            chain_id: chain_id.to_string(),
            dataset_id,
            grant_id,
            height,
        }
        .sign(signer)?;
        let client = Client::with_limits(base, limits)?
            .with_header(DOWNLOAD_HEADER, &signed.to_header_value())?;
        match client.fetch_into(blob, store).await {
            Ok(_) => return Ok(()),
            Err(e @ (ClientError::Http(_) | ClientError::Timeout { .. })) => last = Some(e),
            Err(e @ ClientError::Status { status, .. })
                if matches!(status.as_u16(), 401 | 403 | 503) =>
            {
                last = Some(e)
            }
            Err(e) => return Err(anyhow::Error::new(e).context("downloading the dataset")),
        }
    }
    Err(anyhow::anyhow!(
        "downloading the dataset: {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// Turns the downloaded blob into `out`: decrypted (encrypted) or moved, its plaintext
/// sha256 checked against `content_sha256`, then renamed into place. Blocking I/O.
pub fn finish(
    blob_path: &Path,
    key: Option<&[u8; 32]>,
    content_sha256: &[u8],
    out: &Path,
) -> anyhow::Result<u64> {
    let part = sibling(out, "part")?;
    let result = (|| {
        let (bytes, sha) = match key {
            Some(k) => {
                let input = std::fs::File::open(blob_path)?;
                let f = std::fs::File::create(&part)
                    .with_context(|| format!("creating {}", part.display()))?;
                let mut w = std::io::BufWriter::new(f);
                let s = decrypt_file(std::io::BufReader::new(input), &mut w, k)
                    .context("decrypting the dataset")?;
                let f = w.into_inner().map_err(|e| e.into_error())?;
                f.sync_all()?;
                (s.plaintext_len, s.plaintext_sha256)
            }
            None => {
                std::fs::rename(blob_path, &part)?;
                let d = Digest::of_file(&part)?;
                (std::fs::metadata(&part)?.len(), d.0)
            }
        };
        anyhow::ensure!(
            sha.as_slice() == content_sha256,
            "the data hashes to {}, not to the dataset's content_sha256 {}: refused",
            hex::encode(sha),
            hex::encode(content_sha256)
        );
        std::fs::rename(&part, out).with_context(|| format!("renaming to {}", out.display()))?;
        Ok(bytes)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}

/// The whole fetch (module docs). `secret` is the key's 32-byte secp256k1 secret.
pub async fn fetch(
    node: &mut KeyedNode,
    q: &NodeQueries,
    secret: &[u8],
    spec: &FetchSpec,
) -> anyhow::Result<Fetched> {
    let d = q
        .dataset(spec.dataset_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("dataset {} not found", spec.dataset_id))?;
    let access = AccessKind::from_proto(d.access)
        .ok_or_else(|| anyhow::anyhow!("dataset {} has no access mode", d.id))?;
    // Checked before anything is bought: its provider never serves the data.
    anyhow::ensure!(
        access != AccessKind::ComputeToData,
        "dataset {} is compute-to-data: it is never downloaded, only used by compute orders naming it (deaid tx compute create-order --dataset {})",
        d.id,
        d.id
    );
    let uri = d
        .provider
        .as_ref()
        .map(|p| p.host_uri.as_str())
        .unwrap_or("");
    let (base, blob) = parse_host_uri(uri)?;
    if access != AccessKind::Encrypted {
        anyhow::ensure!(
            blob.0.as_slice() == d.content_sha256.as_slice(),
            "dataset {}'s host_uri names a blob other than its content_sha256",
            d.id
        );
    }
    let g = obtain_grant(node, q, &d, spec.max_price.as_ref()).await?;
    tracing::info!(dataset = d.id, grant = g.id, "grant");
    let key = match access {
        AccessKind::Encrypted => Some(await_key(q, g.id, secret, spec.key_timeout).await?),
        _ => None,
    };
    let signer = SigningKey::from_slice(secret)
        .map_err(|_| anyhow::anyhow!("the account key is not a secp256k1 key"))?;
    let chain_id = q.chain_id().await?;
    let tmp = TempDir(sibling(&spec.out, "fetch")?);
    let max = max_download_bytes(d.size, access);
    let store = Store::open(&tmp.0, max.max(1)).context("opening a temp store")?;
    download(q, &chain_id, &signer, &base, &blob, d.id, g.id, max, &store).await?;
    let (path, out, content) = (
        store.blob_path(&blob),
        spec.out.clone(),
        d.content_sha256.clone(),
    );
    let bytes = tokio::task::spawn_blocking(move || finish(&path, key.as_deref(), &content, &out))
        .await
        .context("finishing the download")??;
    drop(tmp);
    Ok(Fetched {
        dataset_id: d.id,
        grant_id: g.id,
        bytes,
        sha256: hex::encode(&d.content_sha256),
        out: spec.out.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(id: u64) -> pb::Grant {
        pb::Grant {
            id,
            dataset_id: 7,
            expires_at_height: 100,
            delivery_deadline: 30,
            ..Default::default()
        }
    }

    #[test]
    fn a_usable_grant_is_used_else_a_token_is_redeemed_else_one_is_bought() {
        assert_eq!(next_step(&[], 7, 10, 0), Step::Buy);
        assert_eq!(next_step(&[], 7, 10, 1), Step::Redeem);
        let pending = grant(1);
        assert_eq!(
            next_step(std::slice::from_ref(&pending), 7, 10, 0),
            Step::Use(pending.clone())
        );
        // A delivered key beats a newer grant still waiting for one.
        let keyed = pb::Grant {
            wrapped_key: vec![1],
            ..grant(0)
        };
        let newer = grant(5);
        assert_eq!(
            next_step(&[newer.clone(), keyed.clone()], 7, 10, 0),
            Step::Use(keyed.clone())
        );
        // Unusable: refunded, another dataset, expiring, deadline missed without a key.
        let refunded = pb::Grant {
            refunded: true,
            ..grant(2)
        };
        let other = pb::Grant {
            dataset_id: 8,
            ..grant(3)
        };
        assert_eq!(next_step(&[refunded, other], 7, 10, 0), Step::Buy);
        assert_eq!(
            next_step(&[grant(1)], 7, 98, 1),
            Step::Redeem,
            "expires in 2 blocks"
        );
        assert_eq!(
            next_step(&[grant(1)], 7, 30, 0),
            Step::Buy,
            "deadline passed, no key"
        );
        assert_eq!(
            next_step(std::slice::from_ref(&keyed), 7, 50, 0),
            Step::Use(keyed)
        );
        let open = pb::Grant {
            delivery_deadline: 0,
            ..grant(4)
        };
        assert_eq!(
            next_step(std::slice::from_ref(&open), 7, 50, 0),
            Step::Use(open)
        );
    }

    #[test]
    fn the_key_wait_ends_on_delivery_refund_or_deadline() {
        let g = grant(1);
        assert_eq!(key_state(&g, 10), KeyState::Waiting);
        assert_eq!(key_state(&g, 30), KeyState::Missed { deadline: 30 });
        let r = pb::Grant {
            refunded: true,
            ..g.clone()
        };
        assert_eq!(key_state(&r, 31), KeyState::Refunded);
        let k = pb::Grant {
            wrapped_key: vec![9],
            ..g
        };
        assert_eq!(key_state(&k, 40), KeyState::Ready(vec![9]));
    }

    #[test]
    fn finish_checks_the_plaintext_hash_and_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let plain = b"rows,of,data\n".repeat(1000);
        let key = [3u8; 32];
        let enc = dir.path().join("blob");
        crate::encrypt_file(&plain[..], std::fs::File::create(&enc).unwrap(), &key).unwrap();
        let out = dir.path().join("out.csv");
        let sha = Digest::of(&plain).0;
        assert!(finish(&enc, Some(&key), &[0u8; 32], &out).is_err());
        assert!(!out.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no part file left"
        );
        assert!(
            finish(&enc, Some(&[4u8; 32]), &sha, &out).is_err(),
            "wrong key"
        );
        assert_eq!(
            finish(&enc, Some(&key), &sha, &out).unwrap(),
            plain.len() as u64
        );
        assert_eq!(std::fs::read(&out).unwrap(), plain);
        assert!(
            max_download_bytes(plain.len() as u64, AccessKind::Encrypted)
                >= std::fs::metadata(&enc).unwrap().len()
        );
    }
}
