//! cosmos.base.tendermint.v1beta1.Service over the node's CometBFT RPC: node info, syncing,
//! blocks in the SDK's shape (bech32 proposer), validator sets and ABCI queries.

use super::*;

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
