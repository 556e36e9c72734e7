//! JSON-RPC over HTTP(S) to a CometBFT node: one POST per call, on hyper 1 with rustls.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::header;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use tendermint_rpc::{Error, SimpleRequest};

use crate::url::NodeUrl;

/// How long one call may take, connecting included (tendermint-rpc's default too). CometBFT
/// answers `broadcast_tx_commit` within its own `timeout_broadcast_tx_commit` (10 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer read from a node. CometBFT's biggest (`block_results` of a full block,
/// `tx_search` pages of 100 txs) stay far below; a node that sends more is refused instead
/// of being buffered without end.
pub const MAX_RESPONSE_BYTES: usize = 256 << 20;

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A CometBFT RPC client over HTTP or HTTPS. Cheap to clone: clones share connections.
/// Implements [`tendermint_rpc::Client`], whose methods speak CometBFT v0.38's dialect.
#[derive(Clone, Debug)]
pub struct HttpClient(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    hyper: HyperClient<Connector, Full<Bytes>>,
    url: NodeUrl,
    timeout: Duration,
}

impl HttpClient {
    /// A client for `url`: `http://`, `https://` or `tcp://` (taken as http), with an
    /// optional `user:password@` for HTTP basic auth.
    pub fn new(url: &str) -> Result<Self, Error> {
        Self::with_timeout(url, DEFAULT_TIMEOUT)
    }

    pub fn with_timeout(url: &str, timeout: Duration) -> Result<Self, Error> {
        let url = NodeUrl::parse(url).map_err(|e| Error::client_internal(e.to_string()))?;
        let tls = tls_config();
        if url.is_https() && tls.roots == 0 {
            return Err(Error::client_internal(format!(
                "cannot verify {url}: no CA certificate found on this system \
                 (install ca-certificates, or set SSL_CERT_FILE)"
            )));
        }
        Ok(Self::build(url, timeout, tls.config.clone()))
    }

    /// [`HttpClient::with_timeout`] that trusts the roots of `tls` instead of the system's
    /// (a node behind a private CA).
    pub fn with_tls(
        url: &str,
        timeout: Duration,
        tls: rustls::ClientConfig,
    ) -> Result<Self, Error> {
        let url = NodeUrl::parse(url).map_err(|e| Error::client_internal(e.to_string()))?;
        Ok(Self::build(url, timeout, tls))
    }

    fn build(url: NodeUrl, timeout: Duration, tls: rustls::ClientConfig) -> Self {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let hyper = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Self(Arc::new(Inner {
            hyper,
            url,
            timeout,
        }))
    }

    /// The node's address as given, without its credentials.
    pub fn url(&self) -> String {
        self.0.url.to_string()
    }

    async fn post(&self, body: String) -> Result<Bytes, Error> {
        let mut req = hyper::Request::post(self.0.url.uri().clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                header::USER_AGENT,
                concat!("deai-rpc/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(auth) = self.0.url.basic_auth() {
            req = req.header(header::AUTHORIZATION, auth);
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| Error::client_internal(format!("building the request: {e}")))?;
        let res = self
            .0
            .hyper
            .request(req)
            .await
            .map_err(|e| Error::io(std::io::Error::other(error_chain(&e))))?;
        let status = res.status();
        let body = Limited::new(res.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| {
                Error::io(std::io::Error::other(format!(
                    "reading the answer: {}",
                    error_chain(&*e)
                )))
            })?
            .to_bytes();
        if status != hyper::StatusCode::OK {
            // A JSON-RPC error travels with a non-200 status on some proxies: keep its text.
            let code = std::num::NonZeroU16::new(status.as_u16())
                .ok_or_else(|| Error::client_internal("HTTP status 0".into()))?;
            tracing::debug!(%status, body = %String::from_utf8_lossy(&body), "non-200 answer");
            return Err(Error::http_request_failed(code));
        }
        Ok(body)
    }
}

/// rustls' client settings with the system's CA roots (`SSL_CERT_FILE` / `SSL_CERT_DIR`
/// honoured), loaded once per process. A system without roots still reaches http:// nodes.
struct Tls {
    config: rustls::ClientConfig,
    roots: usize,
}

fn tls_config() -> &'static Tls {
    static TLS: OnceLock<Tls> = OnceLock::new();
    TLS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::warn!("reading the system's CA certificates: {e}");
        }
        let mut roots = rustls::RootCertStore::empty();
        let (added, unparsable) = roots.add_parsable_certificates(found.certs);
        if unparsable > 0 {
            tracing::debug!(unparsable, "skipped CA certificates rustls cannot parse");
        }
        Tls {
            config: rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
            roots: added,
        }
    })
}

#[async_trait::async_trait]
impl tendermint_rpc::Client for HttpClient {
    async fn perform<R>(&self, request: R) -> Result<R::Output, Error>
    where
        R: SimpleRequest,
    {
        let body = request.into_json();
        let answer = tokio::time::timeout(self.0.timeout, self.post(body))
            .await
            .map_err(|_| {
                Error::io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer from {} within {:?}", self.0.url, self.0.timeout),
                ))
            })??;
        crate::decode::<R::Response>(&answer).map(Into::into)
    }
}

/// An error and its causes on one line ("client error (Connect): tcp connect error:
/// Connection refused (os error 111)").
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !s.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        cause = c.source();
    }
    s
}
