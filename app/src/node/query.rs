//! ABCI Query: gRPC method paths carrying protobuf (what cosmjs's StargateClient sends),
//! `store/<module>/key` raw reads with ICS-23 proofs, and Simulate.

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, Tx};
use prost::bytes::Bytes;
use prost::Message as _;
use tendermint_proto::v0_38::abci::{RequestQuery, ResponseQuery};
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps};

use deai_framework::context::BlockInfo;
use deai_framework::{sdk, Ctx, GasMeter, TxError};

use super::abci::to_abci_events;
use super::{genesis, App};
use crate::store::StorageError;
use crate::tx::exec::{run_tx, ExecMode};

pub const SIMULATE_PATH: &str = "/cosmos.tx.v1beta1.Service/Simulate";
/// Proof op type of deai's single JMT store.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";
/// Largest query payload accepted.
pub const MAX_QUERY_BYTES: usize = 1024 * 1024;

fn error_response(e: TxError, height: i64) -> ResponseQuery {
    ResponseQuery {
        code: e.code,
        log: e.log,
        codespace: e.codespace.to_string(),
        height,
        ..Default::default()
    }
}

impl App {
    pub fn query(&self, req: RequestQuery) -> ResponseQuery {
        let latest = self.storage().latest_version().unwrap_or(0);
        let height = match u64::try_from(req.height) {
            Ok(0) => latest,
            Ok(h) => h,
            Err(_) => return error_response(sdk::invalid_request("negative height"), req.height),
        };
        let h = i64::try_from(height).unwrap_or(i64::MAX);
        if req.data.len() > MAX_QUERY_BYTES {
            return error_response(sdk::invalid_request("query data too large"), h);
        }
        // Paths are read as the SDK's baseapp splits them: without the leading slash.
        let path = req.path.strip_prefix('/').unwrap_or(&req.path);
        if path == "app/version" {
            // baseapp's handleQueryApp: the app's version string.
            return ResponseQuery {
                value: Bytes::from(env!("CARGO_PKG_VERSION")),
                height: h,
                ..Default::default()
            };
        }
        if path.starts_with("p2p/filter/addr/") || path.starts_with("p2p/filter/id/") {
            // CometBFT asks whether to accept a peer; with no filter set the SDK answers
            // code 0 (accept), and this node sets none.
            return ResponseQuery {
                height: h,
                ..Default::default()
            };
        }
        let result = if let Some(rest) = req
            .path
            .strip_prefix("/store/")
            .or(req.path.strip_prefix("store/"))
        {
            return self.store_query(rest, &req.data, height, req.prove);
        } else if req.path == SIMULATE_PATH {
            self.simulate(&req.data)
        } else {
            self.query_grpc(&req.path, &req.data, height)
        };
        match result {
            Ok(value) => ResponseQuery {
                value: Bytes::from(value),
                height: h,
                ..Default::default()
            },
            Err(e) => error_response(e, h),
        }
    }

    /// One implementation of every module query, for ABCI, gRPC and REST alike.
    pub fn query_grpc(&self, path: &str, data: &[u8], height: u64) -> Result<Vec<u8>, TxError> {
        if !self.router().has_query(path) {
            return Err(sdk::unknown_request(format!(
                "no route for query path {path}"
            )));
        }
        let state = self
            .state_at(height)
            .map_err(|e| sdk::invalid_request(format!("{e:#}")))?;
        // What a query's code sees: the block whose state it reads.
        let block = BlockInfo {
            height,
            time_unix: genesis::block_time(&*state)?,
            chain_id: self.chain_id(),
            prev_block_hash: genesis::prev_block_hash(&*state)?,
            ..BlockInfo::default()
        };
        // Every read and every row walked is charged, against the node's query gas limit:
        // a query that would walk too much fails out of gas instead of holding a thread.
        let gas = GasMeter::new(self.inner.settings.query_gas_limit);
        let metered = Ctx::new(&*state, &gas, &block);
        self.router().query(path, &metered, &block, data)
    }

    /// `store/<module>/key`: a raw read of `<module>/` + data, with a proof when asked.
    fn store_query(&self, rest: &str, data: &[u8], height: u64, prove: bool) -> ResponseQuery {
        let h = i64::try_from(height).unwrap_or(i64::MAX);
        let Some(module) = rest.strip_suffix("/key") else {
            return error_response(
                sdk::unknown_request(format!("unsupported store query {rest}")),
                h,
            );
        };
        let mut key = module.as_bytes().to_vec();
        key.push(b'/');
        key.extend_from_slice(data);
        if prove {
            // A height outside the kept versions is the request's fault; anything after that
            // is the store's (an internal error: it rejects this query, the node runs on).
            if let Err(e) = self.storage().at(height) {
                return error_response(sdk::invalid_request(format!("{e:#}")), h);
            }
            match self.storage().get_with_proof(&key, height) {
                Ok((value, proof)) => ResponseQuery {
                    key: Bytes::from(key.clone()),
                    value: Bytes::from(value.unwrap_or_default()),
                    proof_ops: Some(ProofOps {
                        ops: vec![ProofOp {
                            r#type: PROOF_OP_TYPE.into(),
                            key,
                            data: proof.encode_to_vec(),
                        }],
                    }),
                    height: h,
                    ..Default::default()
                },
                Err(e) => {
                    error_response(StorageError::at_key("proof read", &key, e).to_tx_error(), h)
                }
            }
        } else {
            match self
                .state_at(height)
                .map_err(|e| sdk::invalid_request(format!("{e:#}")))
                .and_then(|s| s.get(&key))
            {
                Ok(v) => ResponseQuery {
                    key: Bytes::from(key),
                    value: Bytes::from(v.unwrap_or_default()),
                    height: h,
                    ..Default::default()
                },
                Err(e) => error_response(e, h),
            }
        }
    }

    /// Runs a tx on the latest state without signatures or writes, and reports its gas.
    pub fn simulate(&self, data: &[u8]) -> Result<Vec<u8>, TxError> {
        let req = SimulateRequest::decode(data)
            .map_err(|e| sdk::tx_decode(format!("bad simulate request: {e}")))?;
        #[allow(deprecated)] // older clients send the decoded `tx`
        let tx_bytes = if !req.tx_bytes.is_empty() {
            req.tx_bytes
        } else if let Some(tx) = req.tx {
            tx_to_raw(tx)
        } else {
            return Err(sdk::invalid_request("empty tx"));
        };
        let block = BlockInfo {
            simulate: true,
            ..self.next_block_info()
        };
        // A cheap snapshot of the mempool's writes, and the commit they sit on, pinned
        // together (Commit holds the same lock): CheckTx waits only while they are taken.
        let (check, latest) = {
            let guard = super::lock(&self.inner.check_state);
            let latest = self
                .state_at(0)
                .map_err(|e| sdk::internal(format!("{e:#}")))?;
            (guard.snapshot(), latest)
        };
        let env = self.ante_env(&block.chain_id);
        let outcome = check.read(&*latest, |state| {
            run_tx(
                self.router(),
                &env,
                state,
                &tx_bytes,
                ExecMode::Simulate,
                &block,
            )
        });
        if !outcome.is_ok() {
            return Err(TxError::new(outcome.codespace, outcome.code, outcome.log));
        }
        let msg_responses = cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData::decode(
            outcome.data.as_slice(),
        )
        .map(|d| d.msg_responses)
        .unwrap_or_default();
        #[allow(deprecated)]
        let result = AbciResult {
            data: Vec::new(),
            log: String::new(),
            events: to_abci_events(&outcome.events, None),
            msg_responses,
        };
        Ok(SimulateResponse {
            gas_info: Some(GasInfo {
                gas_wanted: outcome.gas_wanted,
                gas_used: outcome.gas_used,
            }),
            result: Some(result),
        }
        .encode_to_vec())
    }
}

fn tx_to_raw(tx: Tx) -> Vec<u8> {
    cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw {
        body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
        auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
        signatures: tx.signatures,
    }
    .encode_to_vec()
}
