//! The typed gRPC services that are not module queries: cosmos.tx.v1beta1.Service,
//! cosmos.base.tendermint.v1beta1.Service and cosmos.base.node.v1beta1.Service. Simulate goes
//! to the backend; the rest reads the node's CometBFT RPC. Everything else is the catch-all
//! in `raw`, i.e. `Backend::query`.

use std::collections::BTreeMap;

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::node::v1beta1 as nodepb;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmpb;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
use cosmos_sdk_proto::Any;
use nodepb::service_server::{Service as NodeSvc, ServiceServer as NodeServer};
use prost::Message;
use tendermint_rpc::{Client, Order, Paging};
use tmpb::service_server::{Service as TmSvc, ServiceServer as TmServer};
use tonic::{Request, Response, Status};
use txpb::service_server::{Service as TxSvc, ServiceServer as TxServer};

use crate::descriptors::{
    COSMOS_FILE_DESCRIPTOR_SET, DEAI_FILE_DESCRIPTOR_SET, WASMD_FILE_DESCRIPTOR_SET,
};
use crate::raw;
use crate::{error, Ctx, MAX_REQUEST_BYTES};

mod tendermint_service;
mod tx_service;

pub use tendermint_service::TmService;
pub use tx_service::TxService;

/// Bech32 prefix of consensus (validator) addresses.
pub const VALCONS_PREFIX: &str = "deaivalcons";
/// Largest page of txs GetTxsEvent returns (CometBFT's own bound).
pub const MAX_TXS_PAGE: u64 = 100;
/// sdk's ErrTxInMempoolCache.
const TX_IN_MEMPOOL_CACHE: u32 = 19;

fn comet_err(e: tendermint_rpc::Error) -> Status {
    Status::unavailable(format!("CometBFT RPC: {e}"))
}

fn internal(what: &str, e: impl std::fmt::Display) -> Status {
    Status::internal(format!("{what}: {e}"))
}

fn height_arg(h: i64) -> Result<tendermint::block::Height, Status> {
    if h <= 0 {
        return Err(Status::invalid_argument("height must be greater than 0"));
    }
    tendermint::block::Height::try_from(h)
        .map_err(|e| Status::invalid_argument(format!("invalid height: {e}")))
}

fn not_found_or_unavailable(e: tendermint_rpc::Error, what: &str) -> Status {
    let s = e.to_string();
    if s.contains("not found")
        || s.contains("must be less than or equal to")
        || s.contains("height must be")
    {
        Status::not_found(format!("{what}: {}", s.lines().next().unwrap_or_default()))
    } else {
        comet_err(e)
    }
}

/// Decodes TxRaw bytes into a Tx.
pub fn decode_tx(bytes: &[u8]) -> Result<txpb::Tx, prost::DecodeError> {
    let raw = txpb::TxRaw::decode(bytes)?;
    Ok(txpb::Tx {
        body: Some(txpb::TxBody::decode(raw.body_bytes.as_slice())?),
        auth_info: Some(txpb::AuthInfo::decode(raw.auth_info_bytes.as_slice())?),
        signatures: raw.signatures,
    })
}

#[derive(Clone)]
pub struct NodeService(pub Ctx);

#[tonic::async_trait]
impl NodeSvc for NodeService {
    async fn config(
        &self,
        _: Request<nodepb::ConfigRequest>,
    ) -> Result<Response<nodepb::ConfigResponse>, Status> {
        let c = self.0.backend.node_config();
        Ok(Response::new(nodepb::ConfigResponse {
            minimum_gas_price: self.0.backend.minimum_gas_price(),
            pruning_keep_recent: c.pruning_keep_recent,
            pruning_interval: c.pruning_interval,
            halt_height: c.halt_height,
        }))
    }

    async fn status(
        &self,
        _: Request<nodepb::StatusRequest>,
    ) -> Result<Response<nodepb::StatusResponse>, Status> {
        let s = self.0.comet.status().await.map_err(comet_err)?;
        let t: tendermint_proto::google::protobuf::Timestamp = s.sync_info.latest_block_time.into();
        Ok(Response::new(nodepb::StatusResponse {
            earliest_store_height: self.0.backend.earliest_height(),
            height: s.sync_info.latest_block_height.value(),
            timestamp: Some(cosmos_sdk_proto::Timestamp {
                seconds: t.seconds,
                nanos: t.nanos,
            }),
            app_hash: s.sync_info.latest_app_hash.as_bytes().to_vec(),
            validator_hash: Vec::new(),
        }))
    }
}

/// The gRPC router: typed services, reflection (v1 and v1alpha, listing the Cosmos, wasmd
/// and deai services), then the catch-all.
pub fn grpc_router(ctx: Ctx) -> anyhow::Result<axum::Router> {
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(COSMOS_FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(WASMD_FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(DEAI_FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| anyhow::anyhow!("reflection: {e}"))?;
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(COSMOS_FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(WASMD_FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(DEAI_FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|e| anyhow::anyhow!("reflection: {e}"))?;
    let routes = tonic::service::Routes::new(TxServer::new(TxService(ctx.clone())))
        .add_service(TmServer::new(TmService(ctx.clone())))
        .add_service(NodeServer::new(NodeService(ctx.clone())))
        .add_service(reflection)
        .add_service(reflection_alpha);
    Ok(routes
        .into_axum_router()
        .fallback(move |req: axum::extract::Request| raw::handle(ctx.clone(), req)))
}

pub async fn serve_grpc(ctx: Ctx, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let router = grpc_router(ctx)?;
    let incoming = tonic::transport::server::TcpIncoming::from_listener(listener, true, None)
        .map_err(|e| anyhow::anyhow!("gRPC listener: {e}"))?;
    tonic::transport::Server::builder()
        .add_routes(tonic::service::Routes::from(router))
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}

/// Calls a gRPC method by path with protobuf bytes: the typed services above, or the
/// backend's module queries. REST goes through here. Returns the answer and its height.
pub async fn dispatch(
    ctx: &Ctx,
    path: &str,
    data: &[u8],
    height: u64,
) -> Result<(Vec<u8>, u64), Status> {
    macro_rules! call {
        ($svc:expr, $method:ident, $Req:ty) => {{
            let req = <$Req>::decode(data)
                .map_err(|e| Status::invalid_argument(format!("cannot decode request: {e}")))?;
            let res = $svc.$method(Request::new(req)).await?;
            Ok((
                res.into_inner().encode_to_vec(),
                ctx.backend.latest_height(),
            ))
        }};
    }
    let tx = TxService(ctx.clone());
    let tm = TmService(ctx.clone());
    let node = NodeService(ctx.clone());
    match path {
        "/cosmos.tx.v1beta1.Service/Simulate" => call!(tx, simulate, txpb::SimulateRequest),
        "/cosmos.tx.v1beta1.Service/GetTx" => call!(tx, get_tx, txpb::GetTxRequest),
        "/cosmos.tx.v1beta1.Service/BroadcastTx" => {
            call!(tx, broadcast_tx, txpb::BroadcastTxRequest)
        }
        "/cosmos.tx.v1beta1.Service/GetTxsEvent" => {
            call!(tx, get_txs_event, txpb::GetTxsEventRequest)
        }
        "/cosmos.tx.v1beta1.Service/GetBlockWithTxs" => {
            call!(tx, get_block_with_txs, txpb::GetBlockWithTxsRequest)
        }
        "/cosmos.tx.v1beta1.Service/TxDecode" => call!(tx, tx_decode, txpb::TxDecodeRequest),
        "/cosmos.tx.v1beta1.Service/TxEncode" => call!(tx, tx_encode, txpb::TxEncodeRequest),
        "/cosmos.tx.v1beta1.Service/TxEncodeAmino" => {
            call!(tx, tx_encode_amino, txpb::TxEncodeAminoRequest)
        }
        "/cosmos.tx.v1beta1.Service/TxDecodeAmino" => {
            call!(tx, tx_decode_amino, txpb::TxDecodeAminoRequest)
        }
        "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo" => {
            call!(tm, get_node_info, tmpb::GetNodeInfoRequest)
        }
        "/cosmos.base.tendermint.v1beta1.Service/GetSyncing" => {
            call!(tm, get_syncing, tmpb::GetSyncingRequest)
        }
        "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock" => {
            call!(tm, get_latest_block, tmpb::GetLatestBlockRequest)
        }
        "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight" => {
            call!(tm, get_block_by_height, tmpb::GetBlockByHeightRequest)
        }
        "/cosmos.base.tendermint.v1beta1.Service/GetLatestValidatorSet" => {
            call!(
                tm,
                get_latest_validator_set,
                tmpb::GetLatestValidatorSetRequest
            )
        }
        "/cosmos.base.tendermint.v1beta1.Service/GetValidatorSetByHeight" => {
            call!(
                tm,
                get_validator_set_by_height,
                tmpb::GetValidatorSetByHeightRequest
            )
        }
        "/cosmos.base.tendermint.v1beta1.Service/ABCIQuery" => {
            call!(tm, abci_query, tmpb::AbciQueryRequest)
        }
        "/cosmos.base.node.v1beta1.Service/Config" => call!(node, config, nodepb::ConfigRequest),
        "/cosmos.base.node.v1beta1.Service/Status" => call!(node, status, nodepb::StatusRequest),
        _ => raw::backend_query(ctx, path, data, height).await,
    }
}
