//! `DeaiQuery`: the custom queries a contract can make into deai's modules. The chain answers
//! them (issue 14's wasm module); cw-multi-test tests answer them with a mock.
//!
//! Each answer wraps an `Option`, so "not found" is an ordinary answer, not a querier error.

use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::{Coin, CustomQuery, QuerierWrapper, QueryRequest, StdResult};

#[cw_serde]
#[derive(QueryResponses)]
pub enum DeaiQuery {
    /// A model registered in the inference module.
    #[returns(InferenceModelResponse)]
    InferenceModel { id: u64 },
    /// A compute provider, by its owner address.
    #[returns(ComputeProviderResponse)]
    ComputeProvider { owner: String },
    /// The lineage of a training task: the model it started from and the one it produced.
    #[returns(TrainingLineageResponse)]
    TrainingLineage { task: u64 },
}

impl CustomQuery for DeaiQuery {}

#[cw_serde]
pub struct InferenceModel {
    pub id: u64,
    pub owner: String,
    pub name: String,
    /// The model's latest on-chain evaluation score, in basis points (0..=10000).
    pub eval_score_bps: u32,
    /// False once the model is retired: it can no longer be served or sold.
    pub active: bool,
    /// sha256 (hex) of the model's weights file, as registered in the inference module.
    pub weights_sha256: String,
}

#[cw_serde]
pub struct InferenceModelResponse {
    pub model: Option<InferenceModel>,
}

#[cw_serde]
pub struct ComputeProvider {
    pub owner: String,
    pub host_uri: String,
    pub stake: Coin,
    pub jailed: bool,
}

#[cw_serde]
pub struct ComputeProviderResponse {
    pub provider: Option<ComputeProvider>,
}

#[cw_serde]
pub struct TrainingLineage {
    pub task: u64,
    /// Rounds closed so far.
    pub rounds: u64,
    /// sha256 (hex) of the newest aggregate's weights file; none before the first aggregate.
    /// A model whose weights have this hash is the task's output.
    pub head_weights_sha256: Option<String>,
    /// The task's lineage hash chain head (hex): its data, contributors and aggregates.
    pub lineage_head: String,
}

#[cw_serde]
pub struct TrainingLineageResponse {
    pub lineage: Option<TrainingLineage>,
}

pub fn inference_model(
    q: &QuerierWrapper<DeaiQuery>,
    id: u64,
) -> StdResult<Option<InferenceModel>> {
    let r: InferenceModelResponse =
        q.query(&QueryRequest::Custom(DeaiQuery::InferenceModel { id }))?;
    Ok(r.model)
}

pub fn training_lineage(
    q: &QuerierWrapper<DeaiQuery>,
    task: u64,
) -> StdResult<Option<TrainingLineage>> {
    let r: TrainingLineageResponse =
        q.query(&QueryRequest::Custom(DeaiQuery::TrainingLineage { task }))?;
    Ok(r.lineage)
}
