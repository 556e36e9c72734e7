//! The listening loop: loopback only, one request per connection, each bounded in time,
//! and a bounded number of them in flight.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper::service::{service_fn, Service as _};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// How long a connection may outlive its request deadline: time to send a 408 or to
/// finish committing a blob whose body arrived in time.
const GRACE: Duration = Duration::from_secs(30);
/// How long a refused connection may take to receive its 503.
const REFUSE_GRACE: Duration = Duration::from_secs(5);

/// What one peer may take of the server. A stranger can name a blob in a job spec, so
/// the server must stay up under slow, stalled or too many requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// The request line and headers must arrive within this. Default 10 s.
    pub header_timeout: Duration,
    /// The whole request, headers and body, must arrive within this from the connection's
    /// start; a PUT whose body is late is answered 408 and its temp file removed. A
    /// response still being sent (a GET to a slow reader) is cut off 30 s after it.
    /// Default 10 min: raise it to move blobs larger than a few GiB over slower links.
    pub request_timeout: Duration,
    /// Requests in flight at once. Connections beyond it are answered
    /// `503 Service Unavailable` with `Retry-After: 1` at once (their body unread), and
    /// beyond twice it are closed unanswered. Default 64.
    pub max_concurrent: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(600),
            max_concurrent: 64,
        }
    }
}

/// When a request's body must have arrived; set by [`serve_with`] on each request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestDeadline(pub(crate) Instant);

/// Binds 127.0.0.1:`port` (0 picks a free port). Artifacts are never served beyond
/// the machine: a provider exposes them through its own authenticated front.
pub async fn bind_loopback(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await
}

/// [`serve_with`] under the default [`ServerLimits`].
pub async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    serve_with(listener, router, ServerLimits::default()).await
}

/// Serves HTTP/1.1 on `listener` until an unrecoverable accept error. Each connection
/// carries one request (no keep-alive), so a connection's lifetime bounds its request.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
) -> std::io::Result<()> {
    let slots = limits.max_concurrent.clamp(1, Semaphore::MAX_PERMITS);
    let working = Arc::new(Semaphore::new(slots));
    let refusing = Arc::new(Semaphore::new(slots));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait for connections to end.
                tracing::warn!("accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Ok(permit) = working.clone().try_acquire_owned() {
            tokio::spawn(handle(stream, router.clone(), limits, permit));
        } else if let Ok(permit) = refusing.clone().try_acquire_owned() {
            tokio::spawn(refuse(stream, limits, permit));
        } else {
            drop(stream);
        }
    }
}

fn http1(limits: &ServerLimits) -> hyper::server::conn::http1::Builder {
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(false);
    b
}

async fn handle(
    stream: TcpStream,
    router: Router,
    limits: ServerLimits,
    _permit: OwnedSemaphorePermit,
) {
    let deadline = Instant::now() + limits.request_timeout;
    let app = TowerToHyperService::new(router);
    let service = service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(RequestDeadline(deadline));
        app.call(req)
    });
    let conn = http1(&limits).serve_connection(TokioIo::new(stream), service);
    match tokio::time::timeout_at(deadline + GRACE, conn).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!("artifact connection: {e}"),
        Err(_) => tracing::debug!("artifact connection cut off at its deadline"),
    }
}

async fn refuse(stream: TcpStream, limits: ServerLimits, _permit: OwnedSemaphorePermit) {
    let service = service_fn(|_req: Request<Incoming>| async {
        let mut r = Response::new(Body::from("too many requests in flight; retry later"));
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        Ok::<_, Infallible>(r)
    });
    let conn = http1(&limits).serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(limits.header_timeout + REFUSE_GRACE, conn).await;
}
