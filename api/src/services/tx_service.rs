//! cosmos.tx.v1beta1.Service: Simulate goes to the backend; txs, blocks and broadcasts go to
//! the node's CometBFT RPC, answered in the SDK's shapes.

use super::*;

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
        // Simulation runs the tx: CPU and store work for a bounded blocking slot, not for
        // the async workers every other connection shares.
        let out = self
            .0
            .blocking(move |b| b.simulate(&bytes))
            .await?
            .map_err(error::to_status)?;
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
        req: Request<txpb::TxEncodeAminoRequest>,
    ) -> Result<Response<txpb::TxEncodeAminoResponse>, Status> {
        let json = req.into_inner().amino_json;
        if json.is_empty() {
            return Err(Status::invalid_argument("invalid empty tx json"));
        }
        if json.len() > MAX_REQUEST_BYTES {
            return Err(Status::invalid_argument("tx json too large"));
        }
        let amino_binary = self
            .0
            .backend
            .tx_encode_amino(&json)
            .map_err(error::to_status)?;
        Ok(Response::new(txpb::TxEncodeAminoResponse { amino_binary }))
    }

    async fn tx_decode_amino(
        &self,
        req: Request<txpb::TxDecodeAminoRequest>,
    ) -> Result<Response<txpb::TxDecodeAminoResponse>, Status> {
        let bytes = req.into_inner().amino_binary;
        if bytes.is_empty() {
            return Err(Status::invalid_argument("invalid empty tx bytes"));
        }
        if bytes.len() > MAX_REQUEST_BYTES {
            return Err(Status::invalid_argument("tx too large"));
        }
        let amino_json = self
            .0
            .backend
            .tx_decode_amino(&bytes)
            .map_err(error::to_status)?;
        Ok(Response::new(txpb::TxDecodeAminoResponse { amino_json }))
    }
}
