//! Artifacts on other providers' servers, which are untrusted: a result's `artifact_uri` is
//! `<base>/blobs/<sha256 of result.json>` on the artifact server at `<base>` (the
//! `deai-worker-artifacts` server's route), and every file is fetched by sha256 from the
//! same base and verified against that name as it arrives, with a size limit.

use bytes::Bytes;
use deai_worker_artifacts::{Client, ClientLimits};
use deai_worker_jobs::result::MAX_RESULT_BYTES;
use deai_worker_jobs::{Digest, TrainResult};

/// The route under which the artifact server serves blobs.
pub const BLOBS_ROUTE: &str = "/blobs/";

/// The chain's limit on `artifact_uri` (and `host_uri`).
pub const MAX_URI_BYTES: usize = 256;

/// The `artifact_uri` of a result.json with sha256 `result_json` on the server at `base`
/// (`http://host:port`, as in `--host-uri`).
pub fn artifact_uri(base: &str, result_json: &Digest) -> anyhow::Result<String> {
    let uri = format!("{}{BLOBS_ROUTE}{result_json}", base.trim_end_matches('/'));
    anyhow::ensure!(
        uri.len() <= MAX_URI_BYTES,
        "artifact uri {uri:?} is longer than {MAX_URI_BYTES} bytes: shorten --host-uri"
    );
    Ok(uri)
}

/// Splits an `artifact_uri` into the server's base URL and the sha256 of result.json.
pub fn parse_artifact_uri(uri: &str) -> anyhow::Result<(String, Digest)> {
    anyhow::ensure!(
        uri.len() <= MAX_URI_BYTES,
        "artifact uri longer than {MAX_URI_BYTES} bytes"
    );
    let (base, hash) = uri
        .rsplit_once(BLOBS_ROUTE)
        .ok_or_else(|| anyhow::anyhow!("artifact uri {uri:?} is not <base>/blobs/<sha256>"))?;
    anyhow::ensure!(
        base.starts_with("http://") && base.len() > "http://".len(),
        "artifact uri {uri:?}: only http:// artifact servers are supported"
    );
    let digest = hash
        .parse()
        .map_err(|e| anyhow::anyhow!("artifact uri {uri:?}: {e}"))?;
    Ok((base.to_string(), digest))
}

/// One artifact server, reached with bounded waits.
pub struct Server {
    base: String,
}

impl Server {
    pub fn new(base: &str) -> Server {
        Server {
            base: base.to_string(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Downloads blob `d` (at most `max_bytes`), verified against its name.
    pub async fn blob(&self, d: &Digest, max_bytes: u64) -> anyhow::Result<Bytes> {
        let client = Client::with_limits(
            &self.base,
            ClientLimits {
                max_bytes,
                ..ClientLimits::default()
            },
        )?;
        Ok(client.get(d).await?)
    }

    /// Downloads and parses a result.json by its sha256.
    pub async fn result(&self, d: &Digest) -> anyhow::Result<(TrainResult, Bytes)> {
        let bytes = self.blob(d, MAX_RESULT_BYTES as u64).await?;
        let r =
            TrainResult::from_json(&bytes).map_err(|e| anyhow::anyhow!("result.json {d}: {e}"))?;
        Ok((r, bytes))
    }
}

/// The result.json an `artifact_uri` names, with the server it came from.
pub async fn fetch_result(uri: &str) -> anyhow::Result<(TrainResult, Bytes, Server)> {
    let (base, d) = parse_artifact_uri(uri)?;
    let server = Server::new(&base);
    let (r, bytes) = server.result(&d).await?;
    Ok((r, bytes, server))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_round_trip_and_strangers_are_refused() {
        let d = Digest::of(b"result");
        let uri = artifact_uri("http://127.0.0.1:7070/", &d).unwrap();
        assert_eq!(uri, format!("http://127.0.0.1:7070/blobs/{d}"));
        assert_eq!(
            parse_artifact_uri(&uri).unwrap(),
            ("http://127.0.0.1:7070".to_string(), d)
        );
        // A path prefix (a proxy) is kept.
        let uri = artifact_uri("http://h:1/deai", &d).unwrap();
        assert_eq!(parse_artifact_uri(&uri).unwrap().0, "http://h:1/deai");
        for bad in [
            format!("https://h/blobs/{d}"),
            format!("http:///blobs/{d}"),
            "http://h/blobs/XYZ".to_string(),
            "http://h/result.json".to_string(),
            format!("http://{}/blobs/{d}", "h".repeat(300)),
        ] {
            assert!(parse_artifact_uri(&bad).is_err(), "{bad}");
        }
        assert!(artifact_uri(&format!("http://{}", "h".repeat(200)), &d).is_err());
    }
}
