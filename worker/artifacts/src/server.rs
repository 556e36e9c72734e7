//! HTTP access to a [`Store`]: `GET`, `HEAD` and `PUT /blobs/<sha256>`. A PUT's body must
//! hash to the name it is put under. All file I/O runs on tokio's blocking pool; a GET
//! streams the file in chunks. Serve the router with [`crate::serve`] or
//! [`crate::serve_with`], which bound each request's time and the number of requests in
//! flight ([`crate::ServerLimits`]).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use deai_worker_jobs::Digest;
use http_body_util::BodyExt;

use crate::access::{AccessPolicy, AccessRequest, DenyStatus, Operation};
use crate::serve::RequestDeadline;
use crate::store::{AsyncBlobWriter, Store, StoreError};

/// Bytes read from a blob file per chunk of a GET response.
const READ_CHUNK: usize = 256 * 1024;

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
    s.access.check(&request).await.map_err(|e| {
        let status = StatusCode::from_u16(e.status.http_status()).unwrap_or(StatusCode::FORBIDDEN);
        let mut r = error(status, e.to_string());
        if e.status == DenyStatus::Unavailable {
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        r
    })?;
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
    let store = s.store.clone();
    match tokio::task::spawn_blocking(move || store.size(&d)).await {
        Ok(Some(size)) => ([(header::CONTENT_LENGTH, size.to_string())], ()).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
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
    let opened = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        let size = file.metadata()?.len();
        Ok::<_, std::io::Error>((file, size))
    })
    .await;
    let (file, size) = match opened {
        Ok(Ok(f)) => f,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return error(StatusCode::NOT_FOUND, "no such blob")
        }
        Ok(Err(e)) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    // tokio's File reads on the blocking pool; the stream holds one chunk at a time.
    let file = tokio::fs::File::from_std(file);
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
        file, READ_CHUNK,
    ));
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
    deadline: Option<Extension<RequestDeadline>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let d = match admit(&s, &raw, Operation::Write, &headers).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let declared = match headers.get(header::CONTENT_LENGTH) {
        None => None,
        Some(v) => match v.to_str().ok().and_then(|v| v.parse::<u64>().ok()) {
            Some(n) => Some(n),
            None => return error(StatusCode::BAD_REQUEST, "bad Content-Length"),
        },
    };
    // Refused before the body is read: over the size limit, or over the quota.
    let mut writer = match s.store.writer_async(Some(d), declared).await {
        Ok(w) => w,
        Err(e) => return store_error(e),
    };
    if let Err(r) = receive(&mut writer, body, deadline.map(|Extension(t)| t)).await {
        writer.abort().await;
        return r;
    }
    match writer.commit().await {
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

/// Streams the body into the writer, until the request's deadline.
async fn receive(
    writer: &mut AsyncBlobWriter,
    mut body: Body,
    deadline: Option<RequestDeadline>,
) -> Result<(), Response> {
    loop {
        let frame = match deadline {
            Some(RequestDeadline(t)) => match tokio::time::timeout_at(t, body.frame()).await {
                Ok(f) => f,
                Err(_) => {
                    return Err((
                        StatusCode::REQUEST_TIMEOUT,
                        [(header::CONNECTION, "close")],
                        "request body not received within the time limit",
                    )
                        .into_response())
                }
            },
            None => body.frame().await,
        };
        let Some(frame) = frame else {
            return Ok(());
        };
        let frame =
            frame.map_err(|e| error(StatusCode::BAD_REQUEST, format!("reading body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            writer.write(data).await.map_err(store_error)?;
        }
    }
}

fn store_error(e: StoreError) -> Response {
    let status = match e {
        StoreError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        StoreError::QuotaExceeded { .. } => StatusCode::INSUFFICIENT_STORAGE,
        StoreError::HashMismatch { .. } => StatusCode::BAD_REQUEST,
        StoreError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::warn!("put failed: {e}");
    }
    error(status, e.to_string())
}
