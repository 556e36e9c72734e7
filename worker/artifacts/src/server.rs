//! HTTP access to a [`Store`]: `GET`, `HEAD` and `PUT /blobs/<sha256>`. A PUT's body must
//! hash to the name it is put under. The server listens on loopback only.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use deai_worker_jobs::Digest;
use http_body_util::BodyExt;

use crate::access::{AccessPolicy, AccessRequest, Operation};
use crate::store::{Store, StoreError};

#[derive(Clone)]
struct AppState {
    store: Arc<Store>,
    access: Arc<dyn AccessPolicy>,
}

pub fn router(store: Arc<Store>, access: Arc<dyn AccessPolicy>) -> Router {
    Router::new()
        .route(
            "/blobs/:sha256",
            get(get_blob).head(head_blob).put(put_blob),
        )
        .route("/health", get(|| async { "ok" }))
        .with_state(AppState { store, access })
}

/// Binds 127.0.0.1:`port` (0 picks a free port). Artifacts are never served beyond
/// the machine: a provider exposes them through its own authenticated front.
pub async fn bind_loopback(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await
}

pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(listener, router).await
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, message.into()).into_response()
}

/// Parses the digest in the path and asks the access policy.
async fn admit(
    s: &AppState,
    raw: &str,
    op: Operation,
    headers: &HeaderMap,
) -> Result<Digest, Response> {
    let digest: Digest = raw
        .parse()
        .map_err(|e: deai_worker_jobs::DigestParseError| {
            error(StatusCode::BAD_REQUEST, e.to_string())
        })?;
    let request = AccessRequest {
        operation: op,
        digest,
        headers: headers.clone(),
    };
    s.access
        .check(&request)
        .await
        .map_err(|e| error(StatusCode::FORBIDDEN, e.to_string()))?;
    Ok(digest)
}

async fn head_blob(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let d = match admit(&s, &raw, Operation::Read, &headers).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    match s.store.size(&d) {
        Some(size) => ([(header::CONTENT_LENGTH, size.to_string())], ()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn get_blob(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let d = match admit(&s, &raw, Operation::Read, &headers).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let path = s.store.blob_path(&d);
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return error(StatusCode::NOT_FOUND, "no such blob")
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let size = match file.metadata().await {
        Ok(m) => m.len(),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::ETAG, format!("\"{d}\"")),
        ],
        body,
    )
        .into_response()
}

async fn put_blob(
    State(s): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let d = match admit(&s, &raw, Operation::Write, &headers).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > s.store.max_blob_bytes()) {
        return store_error(StoreError::TooLarge {
            limit: s.store.max_blob_bytes(),
        });
    }
    let mut writer = match s.store.writer(Some(d)) {
        Ok(w) => w,
        Err(e) => return store_error(e),
    };
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("reading body: {e}")),
        };
        if let Ok(data) = frame.into_data() {
            // Chunks are small; a blocking write here is brief.
            if let Err(e) = writer.write(&data) {
                return store_error(e);
            }
        }
    }
    match writer.commit() {
        Ok(out) => {
            tracing::info!(blob = %out.digest, size = out.size, created = out.created, "put");
            let status = if out.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, out.digest.to_hex()).into_response()
        }
        Err(e) => store_error(e),
    }
}

fn store_error(e: StoreError) -> Response {
    let status = match e {
        StoreError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        StoreError::HashMismatch { .. } => StatusCode::BAD_REQUEST,
        StoreError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, e.to_string())
}
