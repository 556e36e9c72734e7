//! deai's Cosmos client surface: a gRPC server (tonic, with server reflection) and an LCD REST
//! server (axum, proto3 JSON), both over a [`Backend`] that the node implements.
//!
//! There is one implementation of every module query: [`Backend::query`], the same function
//! that answers ABCI queries. gRPC forwards any `/pkg.Service/Method` it does not serve itself
//! to it as raw protobuf bytes, and REST turns LCD routes (read from the `google.api.http`
//! annotations of the Cosmos protos) into the same calls. The tx, tendermint and node services
//! talk to the node's CometBFT RPC.

// tonic's `Status` is the error type of every handler (tonic's traits return it), so it is
// returned by value throughout rather than boxed.
#![allow(clippy::result_large_err)]

pub mod descriptors;
pub mod error;
mod raw;
pub mod rest;
mod services;

#[cfg(test)]
mod deai_tests;
#[cfg(test)]
mod pool_tests;
#[cfg(test)]
mod wasmd_tests;

use std::net::SocketAddr;
use std::sync::Arc;

pub use deai_framework::TxError;
use deai_rpc::HttpClient;

/// gRPC metadata (and HTTP header) that selects the height of a query, as in the Cosmos SDK.
pub const HEIGHT_HEADER: &str = "x-cosmos-block-height";
/// Largest request message accepted, in bytes.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// What the servers need from the node.
pub trait Backend: Send + Sync + 'static {
    /// Answers a module query by its gRPC method path (`/cosmos.bank.v1beta1.Query/Balance`)
    /// with protobuf bytes, at `height` (0: latest).
    fn query(&self, path: &str, data: &[u8], height: u64) -> Result<Vec<u8>, TxError>;
    /// Runs `cosmos.tx.v1beta1.SimulateRequest` bytes; returns `SimulateResponse` bytes.
    fn simulate(&self, request: &[u8]) -> Result<Vec<u8>, TxError>;
    /// The last committed height (0 before the first block).
    fn latest_height(&self) -> u64;
    fn chain_id(&self) -> String;
    /// This node's minimum gas price (`cosmos.base.node.v1beta1.Service/Config`).
    fn minimum_gas_price(&self) -> String {
        String::new()
    }
    /// The lowest height whose state can still be queried.
    fn earliest_height(&self) -> u64 {
        1
    }
    /// This node's pruning and halt settings (`cosmos.base.node.v1beta1.Service/Config`).
    fn node_config(&self) -> NodeConfig {
        NodeConfig::default()
    }
    /// `TxEncodeAmino`: a legacy `StdTx` in amino JSON as go-amino binary.
    fn tx_encode_amino(&self, _amino_json: &str) -> Result<Vec<u8>, TxError> {
        Err(deai_framework::sdk::unknown_request("no amino codec"))
    }
    /// `TxDecodeAmino`: a legacy `StdTx` in go-amino binary as amino JSON.
    fn tx_decode_amino(&self, _amino_binary: &[u8]) -> Result<String, TxError> {
        Err(deai_framework::sdk::unknown_request("no amino codec"))
    }
}

/// The Cosmos SDK's pruning and halt settings as `Service/Config` reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeConfig {
    /// Versions kept ("0": all of them).
    pub pruning_keep_recent: String,
    /// Blocks between prunings ("0": never prunes).
    pub pruning_interval: String,
    /// The height this node stops at (0: none).
    pub halt_height: u64,
}

/// Default number of queries run at once (see [`ApiConfig::query_workers`]).
pub const DEFAULT_QUERY_WORKERS: usize = 8;

/// Where the servers listen, and the node's CometBFT RPC.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// gRPC listen address; None disables the gRPC server.
    pub grpc: Option<SocketAddr>,
    /// REST listen address; None disables the REST server.
    pub rest: Option<SocketAddr>,
    /// The CometBFT RPC that txs are broadcast to and blocks read from (`http://127.0.0.1:26657`).
    pub comet_rpc: String,
    /// Most backend calls (queries, simulations) run at once, each on a blocking thread;
    /// more wait their turn, so they never occupy the async workers that serve connections.
    pub query_workers: usize,
}

/// State shared by every handler.
pub struct Shared {
    pub backend: Arc<dyn Backend>,
    pub comet: HttpClient,
    pub pool: prost_reflect::DescriptorPool,
    /// Permits for backend calls on blocking threads ([`Shared::blocking`]).
    pub slots: Arc<tokio::sync::Semaphore>,
}

pub type Ctx = Arc<Shared>;

impl Shared {
    pub fn new(backend: Arc<dyn Backend>, comet_rpc: &str) -> anyhow::Result<Ctx> {
        Self::with_workers(backend, comet_rpc, DEFAULT_QUERY_WORKERS)
    }

    /// [`Shared::new`] with `workers` backend calls at most at once.
    pub fn with_workers(
        backend: Arc<dyn Backend>,
        comet_rpc: &str,
        workers: usize,
    ) -> anyhow::Result<Ctx> {
        let comet = HttpClient::new(comet_rpc)
            .map_err(|e| anyhow::anyhow!("invalid CometBFT RPC address {comet_rpc:?}: {e}"))?;
        Ok(Arc::new(Self {
            backend,
            comet,
            pool: descriptors::pool()?,
            slots: Arc::new(tokio::sync::Semaphore::new(workers.max(1))),
        }))
    }

    /// Runs a synchronous backend call on a blocking thread once one of the bounded slots
    /// is free: queries and simulations are CPU and disk work, and on the async workers
    /// they would stall every other connection.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, tonic::Status>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Backend) -> T + Send + 'static,
    {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| tonic::Status::unavailable("the node is shutting down"))?;
        let backend = self.backend.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f(&*backend)
        })
        .await
        .map_err(|e| tonic::Status::internal(format!("query worker failed: {e}")))
    }

    /// The height a query runs at: the requested one, or the latest for 0.
    pub fn resolve_height(&self, requested: u64) -> u64 {
        if requested == 0 {
            self.backend.latest_height()
        } else {
            requested
        }
    }
}

/// Parses the `x-cosmos-block-height` value (absent: 0, the latest).
pub fn parse_height(v: Option<&str>) -> Result<u64, tonic::Status> {
    match v {
        None => Ok(0),
        Some(s) => s.trim().parse::<u64>().map_err(|_| {
            tonic::Status::invalid_argument(format!(
                "invalid {HEIGHT_HEADER} {s:?}: expected a non-negative integer"
            ))
        }),
    }
}

/// Running servers. Dropping this does not stop them; they live as long as the process.
pub struct Servers {
    pub grpc: Option<SocketAddr>,
    pub rest: Option<SocketAddr>,
    _thread: std::thread::JoinHandle<()>,
}

/// Binds the configured listeners (so that a taken port is reported here, as one clear
/// error) and serves them from a tokio runtime on a background thread.
pub fn spawn(backend: Arc<dyn Backend>, cfg: ApiConfig) -> anyhow::Result<Servers> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .clamp(2, 8),
        )
        .thread_name("deai-api")
        .enable_all()
        .build()?;
    let ctx = Shared::with_workers(backend, &cfg.comet_rpc, cfg.query_workers)?;
    let (grpc, rest) = rt.block_on(async {
        let grpc = match cfg.grpc {
            Some(a) => Some(bind(a, "gRPC").await?),
            None => None,
        };
        let rest = match cfg.rest {
            Some(a) => Some(bind(a, "REST").await?),
            None => None,
        };
        anyhow::Ok((grpc, rest))
    })?;
    let grpc_addr = grpc.as_ref().and_then(|l| l.local_addr().ok());
    let rest_addr = rest.as_ref().and_then(|l| l.local_addr().ok());
    let thread = std::thread::Builder::new()
        .name("deai-api".into())
        .spawn(move || {
            rt.block_on(async move {
                let mut tasks = Vec::new();
                if let Some(l) = grpc {
                    let ctx = ctx.clone();
                    tasks.push(tokio::spawn(async move {
                        if let Err(e) = services::serve_grpc(ctx, l).await {
                            tracing::error!("gRPC server stopped: {e:#}");
                        }
                    }));
                }
                if let Some(l) = rest {
                    let ctx = ctx.clone();
                    tasks.push(tokio::spawn(async move {
                        if let Err(e) = rest::serve(ctx, l).await {
                            tracing::error!("REST server stopped: {e:#}");
                        }
                    }));
                }
                for t in tasks {
                    let _ = t.await;
                }
            })
        })?;
    if let Some(a) = grpc_addr {
        tracing::info!(%a, "gRPC server listening");
    }
    if let Some(a) = rest_addr {
        tracing::info!(%a, "REST server listening");
    }
    Ok(Servers {
        grpc: grpc_addr,
        rest: rest_addr,
        _thread: thread,
    })
}

async fn bind(addr: SocketAddr, what: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for {what} on {addr}: {e}"))
}

pub use services::{grpc_router, TxService};
