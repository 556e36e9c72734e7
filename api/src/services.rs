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

use crate::descriptors::{COSMOS_FILE_DESCRIPTOR_SET, DEAI_FILE_DESCRIPTOR_SET};
use crate::raw;
use crate::{error, Ctx, MAX_REQUEST_BYTES};

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

fn tx_any(bytes: &[u8]) -> Option<Any> {
    decode_tx(bytes).ok().map(|tx| Any {
        type_url: "/cosmos.tx.v1beta1.Tx".into(),
        value: tx.encode_to_vec(),
    })
}

fn events_proto(events: &[tendermint::abci::Event]) -> Vec<tendermint_proto::v0_38::abci::Event> {
    events.iter().cloned().map(Into::into).collect()
}

/// Block times by height, fetched once per height.
struct Times<'a> {
    ctx: &'a Ctx,
    cache: BTreeMap<u64, String>,
}

impl Times<'_> {
    async fn at(&mut self, h: tendermint::block::Height) -> String {
        if let Some(t) = self.cache.get(&h.value()) {
            return t.clone();
        }
        let t = match self.ctx.comet.header(h).await {
            Ok(r) => r.header.time.to_rfc3339(),
            Err(_) => String::new(),
        };
        self.cache.insert(h.value(), t.clone());
        t
    }
}

async fn tx_response(
    times: &mut Times<'_>,
    r: &tendermint_rpc::endpoint::tx::Response,
) -> TxResponse {
    let res = &r.tx_result;
    #[allow(deprecated)]
    TxResponse {
        height: i64::try_from(r.height.value()).unwrap_or(i64::MAX),
        txhash: r.hash.to_string(),
        codespace: res.codespace.clone(),
        code: res.code.value(),
        data: hex::encode_upper(&res.data),
        raw_log: res.log.clone(),
        logs: Vec::new(),
        info: res.info.clone(),
        gas_wanted: res.gas_wanted,
        gas_used: res.gas_used,
        tx: tx_any(&r.tx),
        timestamp: times.at(r.height).await,
        events: events_proto(&res.events),
    }
}

#[derive(Clone)]
pub struct TxService(pub Ctx);

#[tonic::async_trait]
impl TxSvc for TxService {
    async fn simulate(
        &self,
        req: Request<txpb::SimulateRequest>,
    ) -> Result<Response<txpb::SimulateResponse>, Status> {
        let bytes = req.into_inner().encode_to_vec();
        if bytes.len() > MAX_REQUEST_BYTES {
            return Err(Status::invalid_argument("tx too large"));
        }
        let out = self.0.backend.simulate(&bytes).map_err(error::to_status)?;
        let res = txpb::SimulateResponse::decode(out.as_slice())
            .map_err(|e| internal("simulate response", e))?;
        Ok(Response::new(res))
    }

    async fn get_tx(
        &self,
        req: Request<txpb::GetTxRequest>,
    ) -> Result<Response<txpb::GetTxResponse>, Status> {
        let hash_hex = req.into_inner().hash;
        if hash_hex.len() != 64 {
            return Err(Status::invalid_argument(format!(
                "invalid tx hash {hash_hex:?}: expected 64 hex characters"
            )));
        }
        let hash: tendermint::Hash = hash_hex.parse().map_err(|_| {
            Status::invalid_argument(format!(
                "invalid tx hash {hash_hex:?}: expected 64 hex characters"
            ))
        })?;
        let r = self
            .0
            .comet
            .tx(hash, false)
            .await
            .map_err(|e| not_found_or_unavailable(e, &format!("tx not found: {hash_hex}")))?;
        let mut times = Times {
            ctx: &self.0,
            cache: BTreeMap::new(),
        };
        let tx_response = tx_response(&mut times, &r).await;
        Ok(Response::new(txpb::GetTxResponse {
            tx: decode_tx(&r.tx).ok(),
            tx_response: Some(tx_response),
        }))
    }

    async fn broadcast_tx(
        &self,
        req: Request<txpb::BroadcastTxRequest>,
    ) -> Result<Response<txpb::BroadcastTxResponse>, Status> {
        let req = req.into_inner();
        if req.tx_bytes.is_empty() {
            return Err(Status::invalid_argument("invalid empty tx"));
        }
        if req.tx_bytes.len() > MAX_REQUEST_BYTES {
            return Err(Status::invalid_argument("tx too large"));
        }
        let hash = hex::encode_upper(<sha2::Sha256 as sha2::Digest>::digest(&req.tx_bytes));
        let mode =
            txpb::BroadcastMode::try_from(req.mode).unwrap_or(txpb::BroadcastMode::Unspecified);
        let result =
            match mode {
                txpb::BroadcastMode::Sync => self
                    .0
                    .comet
                    .broadcast_tx_sync(req.tx_bytes)
                    .await
                    .map(|r| (r.hash, r.codespace, r.code, r.data, r.log)),
                txpb::BroadcastMode::Async => self
                    .0
                    .comet
                    .broadcast_tx_async(req.tx_bytes)
                    .await
                    .map(|r| (r.hash, r.codespace, r.code, r.data, r.log)),
                _ => return Err(Status::invalid_argument(
                    "unsupported broadcast mode; use BROADCAST_MODE_SYNC or BROADCAST_MODE_ASYNC",
                )),
            };
        let tx_response = match result {
            Ok((hash, codespace, code, data, log)) => TxResponse {
                txhash: hash.to_string(),
                codespace,
                code: code.value(),
                data: hex::encode_upper(&data),
                raw_log: log,
                ..Default::default()
            },
            Err(e) if e.to_string().contains("tx already exists in cache") => TxResponse {
                txhash: hash,
                codespace: "sdk".into(),
                code: TX_IN_MEMPOOL_CACHE,
                raw_log: "tx already in mempool".into(),
                ..Default::default()
            },
            Err(e) => return Err(comet_err(e)),
        };
        Ok(Response::new(txpb::BroadcastTxResponse {
            tx_response: Some(tx_response),
        }))
    }

    async fn get_txs_event(
        &self,
        req: Request<txpb::GetTxsEventRequest>,
    ) -> Result<Response<txpb::GetTxsEventResponse>, Status> {
        let req = req.into_inner();
        #[allow(deprecated)]
        let query = if !req.query.trim().is_empty() {
            req.query.clone()
        } else {
            req.events.join(" AND ")
        };
        if query.trim().is_empty() {
            return Err(Status::invalid_argument("query cannot be empty"));
        }
        if query.len() > 4096 {
            return Err(Status::invalid_argument("query too long"));
        }
        let q: tendermint_rpc::query::Query = query
            .parse()
            .map_err(|e| Status::invalid_argument(format!("invalid query {query:?}: {e}")))?;
        #[allow(deprecated)]
        let (page, limit) = {
            let limit = match req.limit {
                0 => req.pagination.as_ref().map_or(0, |p| p.limit),
                l => l,
            };
            let limit = if limit == 0 {
                MAX_TXS_PAGE
            } else {
                limit.min(MAX_TXS_PAGE)
            };
            let page = match req.page {
                0 => req.pagination.as_ref().map_or(0, |p| p.offset / limit) + 1,
                p => p,
            };
            (page, limit)
        };
        let page = u32::try_from(page).map_err(|_| Status::invalid_argument("page too large"))?;
        let order =
            match txpb::OrderBy::try_from(req.order_by).unwrap_or(txpb::OrderBy::Unspecified) {
                txpb::OrderBy::Desc => Order::Descending,
                _ => Order::Ascending,
            };
        let r = self
            .0
            .comet
            .tx_search(q, false, page, limit as u8, order)
            .await
            .map_err(|e| {
                let s = e.to_string();
                if s.contains("page should be within") {
                    Status::invalid_argument(format!("page {page} is out of range"))
                } else {
                    comet_err(e)
                }
            })?;
        let mut times = Times {
            ctx: &self.0,
            cache: BTreeMap::new(),
        };
        let mut txs = Vec::with_capacity(r.txs.len());
        let mut tx_responses = Vec::with_capacity(r.txs.len());
        for t in &r.txs {
            txs.push(decode_tx(&t.tx).unwrap_or_default());
            tx_responses.push(tx_response(&mut times, t).await);
        }
        #[allow(deprecated)]
        Ok(Response::new(txpb::GetTxsEventResponse {
            txs,
            tx_responses,
            pagination: None,
            total: u64::from(r.total_count),
        }))
    }

    async fn get_block_with_txs(
        &self,
        req: Request<txpb::GetBlockWithTxsRequest>,
    ) -> Result<Response<txpb::GetBlockWithTxsResponse>, Status> {
        let req = req.into_inner();
        let h = height_arg(req.height)?;
        let b = self
            .0
            .comet
            .block(h)
            .await
            .map_err(|e| not_found_or_unavailable(e, &format!("block {h} not found")))?;
        let all = b.block.data.clone();
        let total = all.len() as u64;
        let page = req.pagination.unwrap_or_default();
        let limit = if page.limit == 0 {
            100
        } else {
            page.limit.min(1000)
        };
        let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
        let txs = all
            .iter()
            .skip(offset)
            .take(limit as usize)
            .map(|t| decode_tx(t).unwrap_or_default())
            .collect();
        Ok(Response::new(txpb::GetBlockWithTxsResponse {
            txs,
            block_id: Some(b.block_id.into()),
            block: Some(b.block.into()),
            pagination: Some(PageResponse {
                next_key: Vec::new(),
                total,
            }),
        }))
    }

    async fn tx_decode(
        &self,
        req: Request<txpb::TxDecodeRequest>,
    ) -> Result<Response<txpb::TxDecodeResponse>, Status> {
        let tx = decode_tx(&req.into_inner().tx_bytes)
            .map_err(|e| Status::invalid_argument(format!("cannot decode tx: {e}")))?;
        Ok(Response::new(txpb::TxDecodeResponse { tx: Some(tx) }))
    }

    async fn tx_encode(
        &self,
        req: Request<txpb::TxEncodeRequest>,
    ) -> Result<Response<txpb::TxEncodeResponse>, Status> {
        let tx = req
            .into_inner()
            .tx
            .ok_or_else(|| Status::invalid_argument("invalid empty tx"))?;
        let raw = txpb::TxRaw {
            body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
            auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
            signatures: tx.signatures,
        };
        Ok(Response::new(txpb::TxEncodeResponse {
            tx_bytes: raw.encode_to_vec(),
        }))
    }

    async fn tx_encode_amino(
        &self,
        _: Request<txpb::TxEncodeAminoRequest>,
    ) -> Result<Response<txpb::TxEncodeAminoResponse>, Status> {
        Err(Status::unimplemented(
            "deai does not support amino JSON txs",
        ))
    }

    async fn tx_decode_amino(
        &self,
        _: Request<txpb::TxDecodeAminoRequest>,
    ) -> Result<Response<txpb::TxDecodeAminoResponse>, Status> {
        Err(Status::unimplemented(
            "deai does not support amino JSON txs",
        ))
    }
}

fn valcons(addr: &[u8]) -> String {
    match bech32::Hrp::parse(VALCONS_PREFIX) {
        Ok(hrp) => bech32::encode::<bech32::Bech32>(hrp, addr).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The SDK's own block shape: the CometBFT block with a bech32 proposer address.
fn sdk_block(b: &tendermint_proto::v0_38::types::Block) -> tmpb::Block {
    let header = b.header.as_ref().map(|h| tmpb::Header {
        version: h.version,
        chain_id: h.chain_id.clone(),
        height: h.height,
        time: h.time,
        last_block_id: h.last_block_id.clone(),
        last_commit_hash: h.last_commit_hash.clone(),
        data_hash: h.data_hash.clone(),
        validators_hash: h.validators_hash.clone(),
        next_validators_hash: h.next_validators_hash.clone(),
        consensus_hash: h.consensus_hash.clone(),
        app_hash: h.app_hash.clone(),
        last_results_hash: h.last_results_hash.clone(),
        evidence_hash: h.evidence_hash.clone(),
        proposer_address: valcons(&h.proposer_address),
    });
    tmpb::Block {
        header,
        data: b.data.clone(),
        evidence: b.evidence.clone(),
        last_commit: b.last_commit.clone(),
    }
}

#[derive(Clone)]
pub struct TmService(pub Ctx);

impl TmService {
    async fn validators(
        &self,
        height: Option<tendermint::block::Height>,
    ) -> Result<(i64, Vec<tmpb::Validator>, u64), Status> {
        let h = match height {
            Some(h) => h,
            None => {
                self.0
                    .comet
                    .latest_block()
                    .await
                    .map_err(comet_err)?
                    .block
                    .header
                    .height
            }
        };
        let r = self.0.comet.validators(h, Paging::All).await.map_err(|e| {
            not_found_or_unavailable(e, &format!("validators at height {h} not found"))
        })?;
        let vals = r
            .validators
            .iter()
            .map(|v| tmpb::Validator {
                address: valcons(v.address.as_bytes()),
                pub_key: Some(Any {
                    type_url: "/cosmos.crypto.ed25519.PubKey".into(),
                    value: cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey {
                        key: v.pub_key.to_bytes(),
                    }
                    .encode_to_vec(),
                }),
                voting_power: v.power.value() as i64,
                proposer_priority: v.proposer_priority.value(),
            })
            .collect();
        Ok((
            i64::try_from(r.block_height.value()).unwrap_or(i64::MAX),
            vals,
            u64::try_from(r.total).unwrap_or(0),
        ))
    }
}

#[tonic::async_trait]
impl TmSvc for TmService {
    async fn get_node_info(
        &self,
        _: Request<tmpb::GetNodeInfoRequest>,
    ) -> Result<Response<tmpb::GetNodeInfoResponse>, Status> {
        let s = self.0.comet.status().await.map_err(comet_err)?;
        let n = &s.node_info;
        let info = tendermint_proto::v0_38::p2p::DefaultNodeInfo {
            protocol_version: Some(tendermint_proto::v0_38::p2p::ProtocolVersion {
                p2p: n.protocol_version.p2p,
                block: n.protocol_version.block,
                app: n.protocol_version.app,
            }),
            default_node_id: n.id.to_string(),
            listen_addr: n.listen_addr.to_string(),
            network: n.network.to_string(),
            version: n.version.to_string(),
            channels: hex::decode(n.channels.to_string()).unwrap_or_default(),
            moniker: n.moniker.to_string(),
            other: Some(tendermint_proto::v0_38::p2p::DefaultNodeInfoOther {
                tx_index: if n.other.tx_index == tendermint::node::info::TxIndexStatus::On {
                    "on"
                } else {
                    "off"
                }
                .into(),
                rpc_address: n.other.rpc_address.to_string(),
            }),
        };
        Ok(Response::new(tmpb::GetNodeInfoResponse {
            default_node_info: Some(info),
            application_version: Some(tmpb::VersionInfo {
                name: "deai".into(),
                app_name: "deaid".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                git_commit: String::new(),
                build_tags: String::new(),
                go_version: String::new(),
                build_deps: Vec::new(),
                cosmos_sdk_version: "v0.50 (wire-compatible, Rust)".into(),
            }),
        }))
    }

    async fn get_syncing(
        &self,
        _: Request<tmpb::GetSyncingRequest>,
    ) -> Result<Response<tmpb::GetSyncingResponse>, Status> {
        let s = self.0.comet.status().await.map_err(comet_err)?;
        Ok(Response::new(tmpb::GetSyncingResponse {
            syncing: s.sync_info.catching_up,
        }))
    }

    async fn get_latest_block(
        &self,
        _: Request<tmpb::GetLatestBlockRequest>,
    ) -> Result<Response<tmpb::GetLatestBlockResponse>, Status> {
        let b = self.0.comet.latest_block().await.map_err(comet_err)?;
        let block: tendermint_proto::v0_38::types::Block = b.block.into();
        Ok(Response::new(tmpb::GetLatestBlockResponse {
            block_id: Some(b.block_id.into()),
            sdk_block: Some(sdk_block(&block)),
            block: Some(block),
        }))
    }

    async fn get_block_by_height(
        &self,
        req: Request<tmpb::GetBlockByHeightRequest>,
    ) -> Result<Response<tmpb::GetBlockByHeightResponse>, Status> {
        let h = height_arg(req.into_inner().height)?;
        let b = self
            .0
            .comet
            .block(h)
            .await
            .map_err(|e| not_found_or_unavailable(e, &format!("block {h} not found")))?;
        let block: tendermint_proto::v0_38::types::Block = b.block.into();
        Ok(Response::new(tmpb::GetBlockByHeightResponse {
            block_id: Some(b.block_id.into()),
            sdk_block: Some(sdk_block(&block)),
            block: Some(block),
        }))
    }

    async fn get_latest_validator_set(
        &self,
        _: Request<tmpb::GetLatestValidatorSetRequest>,
    ) -> Result<Response<tmpb::GetLatestValidatorSetResponse>, Status> {
        let (block_height, validators, total) = self.validators(None).await?;
        Ok(Response::new(tmpb::GetLatestValidatorSetResponse {
            block_height,
            validators,
            pagination: Some(PageResponse {
                next_key: Vec::new(),
                total,
            }),
        }))
    }

    async fn get_validator_set_by_height(
        &self,
        req: Request<tmpb::GetValidatorSetByHeightRequest>,
    ) -> Result<Response<tmpb::GetValidatorSetByHeightResponse>, Status> {
        let h = height_arg(req.into_inner().height)?;
        let (block_height, validators, total) = self.validators(Some(h)).await?;
        Ok(Response::new(tmpb::GetValidatorSetByHeightResponse {
            block_height,
            validators,
            pagination: Some(PageResponse {
                next_key: Vec::new(),
                total,
            }),
        }))
    }

    /// Goes through CometBFT to the app's ABCI Query, so store paths and proofs work too.
    async fn abci_query(
        &self,
        req: Request<tmpb::AbciQueryRequest>,
    ) -> Result<Response<tmpb::AbciQueryResponse>, Status> {
        let req = req.into_inner();
        if req.data.len() > MAX_REQUEST_BYTES {
            return Err(Status::invalid_argument("query data too large"));
        }
        let height = match req.height {
            0 => None,
            h => Some(height_arg(h)?),
        };
        let r = self
            .0
            .comet
            .abci_query(Some(req.path), req.data, height, req.prove)
            .await
            .map_err(comet_err)?;
        Ok(Response::new(tmpb::AbciQueryResponse {
            code: r.code.value(),
            log: r.log,
            info: r.info,
            index: r.index,
            key: r.key,
            value: r.value,
            proof_ops: r.proof.map(|p| tmpb::ProofOps {
                ops: p
                    .ops
                    .into_iter()
                    .map(|o| tmpb::ProofOp {
                        r#type: o.field_type,
                        key: o.key,
                        data: o.data,
                    })
                    .collect(),
            }),
            height: i64::try_from(r.height.value()).unwrap_or(i64::MAX),
            codespace: r.codespace,
        }))
    }
}

#[derive(Clone)]
pub struct NodeService(pub Ctx);

#[tonic::async_trait]
impl NodeSvc for NodeService {
    async fn config(
        &self,
        _: Request<nodepb::ConfigRequest>,
    ) -> Result<Response<nodepb::ConfigResponse>, Status> {
        Ok(Response::new(nodepb::ConfigResponse {
            minimum_gas_price: self.0.backend.minimum_gas_price(),
            pruning_keep_recent: String::new(),
            pruning_interval: String::new(),
            halt_height: 0,
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

/// The gRPC router: typed services, reflection (v1 and v1alpha, listing the Cosmos and deai
/// services), then the catch-all.
pub fn grpc_router(ctx: Ctx) -> anyhow::Result<axum::Router> {
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(COSMOS_FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(DEAI_FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| anyhow::anyhow!("reflection: {e}"))?;
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(COSMOS_FILE_DESCRIPTOR_SET)
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
        _ => raw::backend_query(ctx, path, data, height),
    }
}
