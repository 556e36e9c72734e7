//! A client for the artifact server. Every download is hashed while it arrives and
//! compared with the name it was asked for before it is returned or stored; sizes are
//! checked against the declared `Content-Length` before the body is read and again as
//! it streams; every wait is bounded ([`ClientLimits`]).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use deai_worker_jobs::Digest;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest as _, Sha256};
use tokio::time::Instant;

use crate::store::{PutOutcome, Store, StoreError};

/// The most [`Client::get`] allocates before the bytes arrive.
const PREALLOCATE_BYTES: u64 = 8 << 20;

/// How much of an error response's body is read for its message.
const ERROR_BODY_BYTES: usize = 1024;

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
    #[error("artifact server timed out on {digest} while {waiting}")]
    Timeout {
        digest: Digest,
        waiting: &'static str,
    },
    #[error("download of {expected} hashed to {actual}: refusing it")]
    HashMismatch { expected: Digest, actual: Digest },
    #[error("download of {0} exceeds the size limit")]
    TooLarge(Digest),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the client accepts and how long it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// Downloads larger than this are refused: at once if `Content-Length` says so,
    /// otherwise as soon as the body passes it. Default 1 GiB.
    pub max_bytes: u64,
    /// Establishing the TCP connection. Default 10 s.
    pub connect_timeout: Duration,
    /// The longest wait for a GET's or HEAD's response headers, or for the next chunk
    /// of any response body. Default 30 s.
    pub idle_timeout: Duration,
    /// The whole exchange, upload and download included. Default 10 min: raise it to
    /// move blobs larger than a few GiB over slower links.
    pub request_timeout: Duration,
}

impl Default for ClientLimits {
    fn default() -> Self {
        ClientLimits {
            max_bytes: 1 << 30,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(600),
        }
    }
}

#[derive(Clone)]
pub struct Client {
    base: String,
    limits: ClientLimits,
    /// Sent with every request (a signed download request, for one).
    headers: hyper::HeaderMap,
    http: hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>,
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn content_length(resp: &Response<Incoming>) -> Option<u64> {
    resp.headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

impl Client {
    /// `base` is the server's URL, e.g. `http://127.0.0.1:7070`; downloads larger than
    /// `max_bytes` are refused. Other limits are [`ClientLimits`]'s defaults.
    pub fn new(base: &str, max_bytes: usize) -> Result<Client, ClientError> {
        Client::with_limits(
            base,
            ClientLimits {
                max_bytes: u64::try_from(max_bytes).unwrap_or(u64::MAX),
                ..ClientLimits::default()
            },
        )
    }

    pub fn with_limits(base: &str, limits: ClientLimits) -> Result<Client, ClientError> {
        let base = base.trim_end_matches('/').to_string();
        let uri: Uri = base
            .parse()
            .map_err(|_| ClientError::BadUrl(base.clone()))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(ClientError::BadUrl(base));
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(limits.connect_timeout));
        let http =
            hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
        Ok(Client {
            base,
            limits,
            headers: hyper::HeaderMap::new(),
            http,
        })
    }

    /// This client, sending `name: value` with every request (replacing an earlier value).
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Client, ClientError> {
        let name = hyper::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| ClientError::Http(format!("header name {name:?}: {e}")))?;
        let value = hyper::header::HeaderValue::from_str(value)
            .map_err(|e| ClientError::Http(format!("header {name}: {e}")))?;
        self.headers.insert(name, value);
        Ok(self)
    }

    pub fn limits(&self) -> &ClientLimits {
        &self.limits
    }

    fn uri(&self, d: &Digest) -> Result<Uri, ClientError> {
        format!("{}/blobs/{d}", self.base)
            .parse()
            .map_err(|_| ClientError::BadUrl(self.base.clone()))
    }

    /// Sends a request and waits for the response headers. Returns the response and the
    /// deadline of the whole exchange.
    async fn request(
        &self,
        method: Method,
        d: &Digest,
        body: Bytes,
    ) -> Result<(Response<Incoming>, Instant), ClientError> {
        let start = Instant::now();
        let deadline = start + self.limits.request_timeout;
        // An upload's answer waits until its body is sent and stored.
        let head_by = if method == Method::PUT {
            deadline
        } else {
            deadline.min(start + self.limits.idle_timeout)
        };
        let mut req = Request::builder()
            .method(method)
            .uri(self.uri(d)?)
            .body(Full::new(body))
            .map_err(|e| ClientError::Http(e.to_string()))?;
        req.headers_mut().extend(self.headers.clone());
        match tokio::time::timeout_at(head_by, self.http.request(req)).await {
            Err(_) => Err(ClientError::Timeout {
                digest: *d,
                waiting: "waiting for the response",
            }),
            Ok(Err(e)) => Err(ClientError::Http(chain(&e))),
            Ok(Ok(resp)) => Ok((resp, deadline)),
        }
    }

    /// The next chunk of a response body, or None at its end.
    async fn next_chunk(
        &self,
        d: &Digest,
        body: &mut Incoming,
        deadline: Instant,
    ) -> Result<Option<Bytes>, ClientError> {
        loop {
            let by = deadline.min(Instant::now() + self.limits.idle_timeout);
            match tokio::time::timeout_at(by, body.frame()).await {
                Err(_) => {
                    return Err(ClientError::Timeout {
                        digest: *d,
                        waiting: "receiving the body",
                    })
                }
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => return Err(ClientError::Http(chain(&e))),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// Turns a non-success response into an error, with the first line of its body.
    async fn status_error(
        &self,
        d: &Digest,
        resp: Response<Incoming>,
        deadline: Instant,
    ) -> ClientError {
        let status = resp.status();
        let mut body = resp.into_body();
        let mut text = Vec::new();
        while text.len() < ERROR_BODY_BYTES {
            match self.next_chunk(d, &mut body, deadline).await {
                Ok(Some(chunk)) => text.extend_from_slice(&chunk),
                _ => break,
            }
        }
        text.truncate(ERROR_BODY_BYTES);
        let message = String::from_utf8_lossy(&text)
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

    /// Sends a GET and checks the answer and its declared length.
    async fn start_download(
        &self,
        d: &Digest,
    ) -> Result<(Response<Incoming>, Option<u64>, Instant), ClientError> {
        let (resp, deadline) = self.request(Method::GET, d, Bytes::new()).await?;
        if resp.status() != StatusCode::OK {
            return Err(self.status_error(d, resp, deadline).await);
        }
        let declared = content_length(&resp);
        if declared.is_some_and(|n| n > self.limits.max_bytes) {
            return Err(ClientError::TooLarge(*d));
        }
        Ok((resp, declared, deadline))
    }

    /// Downloads a blob into memory, hashing it as it arrives, and verifies it. For
    /// large blobs prefer [`Client::fetch_into`], which never holds the blob in memory.
    pub async fn get(&self, d: &Digest) -> Result<Bytes, ClientError> {
        let (resp, declared, deadline) = self.start_download(d).await?;
        let mut body = resp.into_body();
        let mut hasher = Sha256::new();
        // The declared length is the server's word: grow past this as bytes arrive.
        let capacity = declared.unwrap_or(0).min(PREALLOCATE_BYTES);
        let mut buf = BytesMut::with_capacity(usize::try_from(capacity).unwrap_or(0));
        while let Some(chunk) = self.next_chunk(d, &mut body, deadline).await? {
            if (buf.len() + chunk.len()) as u64 > self.limits.max_bytes {
                return Err(ClientError::TooLarge(*d));
            }
            hasher.update(&chunk);
            buf.extend_from_slice(&chunk);
        }
        let actual = Digest(hasher.finalize().into());
        if actual != *d {
            return Err(ClientError::HashMismatch {
                expected: *d,
                actual,
            });
        }
        Ok(buf.freeze())
    }

    /// The blob's size, or None if the server does not have it.
    pub async fn head(&self, d: &Digest) -> Result<Option<u64>, ClientError> {
        let (resp, deadline) = self.request(Method::HEAD, d, Bytes::new()).await?;
        match resp.status() {
            StatusCode::OK => Ok(content_length(&resp)),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(self.status_error(d, resp, deadline).await),
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
        let (resp, deadline) = self.request(Method::PUT, d, bytes).await?;
        let status = resp.status();
        if status != StatusCode::OK && status != StatusCode::CREATED {
            return Err(self.status_error(d, resp, deadline).await);
        }
        Ok(())
    }

    /// Downloads a blob into a local store unless it is there already. The body streams
    /// into a temp file in the store while it is hashed and counted; the blob is renamed
    /// into place only if it hashes to `d`. A refused or failed download leaves nothing.
    pub async fn fetch_into(&self, d: &Digest, store: &Store) -> Result<PutOutcome, ClientError> {
        let (local, digest) = (store.clone(), *d);
        let present = tokio::task::spawn_blocking(move || local.size(&digest))
            .await
            .map_err(|e| ClientError::Http(format!("checking the local store: {e}")))?;
        if let Some(size) = present {
            return Ok(PutOutcome {
                digest: *d,
                size,
                created: false,
            });
        }
        let (resp, declared, deadline) = self.start_download(d).await?;
        // The store checks the declared length against its own limit and quota here.
        let mut writer = store.writer_async(Some(*d), declared).await?;
        let mut body = resp.into_body();
        let mut received = 0u64;
        let streamed = async {
            while let Some(chunk) = self.next_chunk(d, &mut body, deadline).await? {
                received += chunk.len() as u64;
                if received > self.limits.max_bytes {
                    return Err(ClientError::TooLarge(*d));
                }
                writer.write(chunk).await?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = streamed {
            writer.abort().await;
            return Err(e);
        }
        match writer.commit().await {
            Ok(out) => Ok(out),
            Err(StoreError::HashMismatch { expected, actual }) => {
                Err(ClientError::HashMismatch { expected, actual })
            }
            Err(e) => Err(e.into()),
        }
    }
}
