//! A client for the artifact server. Every download is hashed and compared with the
//! name it was asked for before it is returned or stored.

use bytes::Bytes;
use deai_worker_jobs::Digest;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::store::{PutOutcome, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("bad artifact server URL {0:?}: expected http://host:port")]
    BadUrl(String),
    #[error("artifact server: {0}")]
    Http(String),
    #[error("artifact server answered {status} for {digest}: {message}")]
    Status {
        digest: Digest,
        status: StatusCode,
        message: String,
    },
    #[error("download of {expected} hashed to {actual}: refusing it")]
    HashMismatch { expected: Digest, actual: Digest },
    #[error("download of {0} exceeds the size limit")]
    TooLarge(Digest),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct Client {
    base: String,
    max_bytes: usize,
    http: hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>,
}

impl Client {
    /// `base` is the server's URL, e.g. `http://127.0.0.1:7070`; downloads larger than
    /// `max_bytes` are refused.
    pub fn new(base: &str, max_bytes: usize) -> Result<Client, ClientError> {
        let base = base.trim_end_matches('/').to_string();
        let uri: Uri = base
            .parse()
            .map_err(|_| ClientError::BadUrl(base.clone()))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(ClientError::BadUrl(base));
        }
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http();
        Ok(Client {
            base,
            max_bytes,
            http,
        })
    }

    fn uri(&self, d: &Digest) -> Result<Uri, ClientError> {
        format!("{}/blobs/{d}", self.base)
            .parse()
            .map_err(|_| ClientError::BadUrl(self.base.clone()))
    }

    async fn send(
        &self,
        method: Method,
        d: &Digest,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        let req = Request::builder()
            .method(method)
            .uri(self.uri(d)?)
            .body(Full::new(body))
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let resp = self
            .http
            .request(req)
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let status = resp.status();
        let body = Limited::new(resp.into_body(), self.max_bytes)
            .collect()
            .await
            .map_err(|_| ClientError::TooLarge(*d))?
            .to_bytes();
        Ok((status, body))
    }

    fn status_error(d: &Digest, status: StatusCode, body: &[u8]) -> ClientError {
        let message = String::from_utf8_lossy(body)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        ClientError::Status {
            digest: *d,
            status,
            message,
        }
    }

    /// Downloads a blob and verifies it.
    pub async fn get(&self, d: &Digest) -> Result<Bytes, ClientError> {
        let (status, body) = self.send(Method::GET, d, Bytes::new()).await?;
        if status != StatusCode::OK {
            return Err(Self::status_error(d, status, &body));
        }
        let actual = Digest::of(&body);
        if actual != *d {
            return Err(ClientError::HashMismatch {
                expected: *d,
                actual,
            });
        }
        Ok(body)
    }

    /// The blob's size, or None if the server does not have it.
    pub async fn head(&self, d: &Digest) -> Result<Option<u64>, ClientError> {
        let req = Request::builder()
            .method(Method::HEAD)
            .uri(self.uri(d)?)
            .body(Full::new(Bytes::new()))
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let resp = self
            .http
            .request(req)
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        match resp.status() {
            StatusCode::OK => Ok(resp
                .headers()
                .get(hyper::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())),
            StatusCode::NOT_FOUND => Ok(None),
            s => Err(Self::status_error(d, s, b"")),
        }
    }

    /// Uploads bytes under their sha256, which it returns.
    pub async fn put(&self, bytes: Bytes) -> Result<Digest, ClientError> {
        let d = Digest::of(&bytes);
        self.put_as(&d, bytes).await?;
        Ok(d)
    }

    /// Uploads bytes under a given name (the server checks it).
    pub async fn put_as(&self, d: &Digest, bytes: Bytes) -> Result<(), ClientError> {
        let (status, body) = self.send(Method::PUT, d, bytes).await?;
        if status != StatusCode::OK && status != StatusCode::CREATED {
            return Err(Self::status_error(d, status, &body));
        }
        Ok(())
    }

    /// Downloads a blob into a local store (which verifies it once more on commit).
    pub async fn fetch_into(&self, d: &Digest, store: &Store) -> Result<PutOutcome, ClientError> {
        let bytes = self.get(d).await?;
        Ok(store.put_bytes(Some(*d), &bytes)?)
    }
}
