use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;

#[cfg_attr(target_arch = "wasm32", allow(unused_imports))]
use crate::cw721::{
    AllNftInfoResponse, ContractInfoResponse, NftInfoResponse, NumTokensResponse, OwnerOfResponse,
    TokensResponse,
};
use crate::ranking::RankingWeights;
#[cfg_attr(target_arch = "wasm32", allow(unused_imports))]
use crate::royalty::Split;
use crate::state::LicenceKind;
#[cfg_attr(target_arch = "wasm32", allow(unused_imports))]
use crate::state::{Config, Listing, Token};

#[cw_serde]
pub struct InstantiateMsg {
    pub denom: String,
    /// NFT collection name and symbol.
    pub name: String,
    pub symbol: String,
    /// 0..=1000.
    pub fee_bps: u16,
    pub fee_collector: String,
    /// 0..=10000.
    pub min_eval_score_bps: u32,
    /// Must sum to 10000.
    pub ranking_weights: RankingWeights,
    /// ≥ 1.
    pub usage_half: u64,
}

#[cw_serde]
pub struct ContributorMsg {
    pub address: String,
    pub share_bps: u16,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Lists inference model `model_id`; the sender must own it in deai (custom query). At
    /// least one price; contributors' shares sum to 10000. With `training_task`, the task's
    /// lineage must name this model as its output.
    CreateListing {
        model_id: u64,
        title: String,
        uri: String,
        per_use_price: Option<Uint128>,
        perpetual_price: Option<Uint128>,
        contributors: Vec<ContributorMsg>,
        training_task: Option<u64>,
    },
    /// The seller changes prices or (de)activates the listing. `Some(0)` as a price withdraws
    /// that kind of licence.
    UpdateListing {
        listing_id: u64,
        per_use_price: Option<Uint128>,
        perpetual_price: Option<Uint128>,
        active: Option<bool>,
    },
    /// Buys a licence: funds must equal `per_use_price · uses` (PerUse, uses 1..=1_000_000)
    /// or `perpetual_price` (Perpetual, no `uses`). Mints the NFT receipt to the sender and
    /// pays the split at once.
    Buy {
        listing_id: u64,
        kind: LicenceKind,
        uses: Option<u64>,
    },
    /// The seller (who serves the model) records `uses` uses of a licence.
    ConsumeUse { token_id: String, uses: u64 },
    /// The licence's owner rates the model once per licence: 1..=5 stars.
    Rate { token_id: String, stars: u8 },
    /// cw721: moves the receipt (and the licence) to `recipient`.
    TransferNft { recipient: String, token_id: String },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    #[returns(Listing)]
    Listing { listing_id: u64 },
    #[returns(ListingsResponse)]
    Listings {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(Listing)]
    ListingByModel { model_id: u64 },
    /// The licence behind a receipt, with its owner.
    #[returns(Token)]
    Licence { token_id: String },
    /// The exact split a purchase would pay out.
    #[returns(Split)]
    QuoteSplit {
        listing_id: u64,
        kind: LicenceKind,
        uses: Option<u64>,
    },
    /// The model's ranking score and every term of its formula.
    #[returns(RankingResponse)]
    Ranking { model_id: u64 },

    // cw721
    #[returns(OwnerOfResponse)]
    OwnerOf {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(NftInfoResponse)]
    NftInfo { token_id: String },
    #[returns(AllNftInfoResponse)]
    AllNftInfo {
        token_id: String,
        include_expired: Option<bool>,
    },
    #[returns(TokensResponse)]
    Tokens {
        owner: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(TokensResponse)]
    AllTokens {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(NumTokensResponse)]
    NumTokens {},
    #[returns(ContractInfoResponse)]
    ContractInfo {},
}

#[cw_serde]
pub struct ListingsResponse {
    pub listings: Vec<Listing>,
}

#[cw_serde]
pub struct RankingResponse {
    pub model_id: u64,
    pub listing_id: u64,
    /// 0..=10000.
    pub score_bps: u64,
    /// E: the model's on-chain evaluation score (DeaiQuery::InferenceModel).
    pub eval_bps: u64,
    /// U, from `usage` = licences sold + uses consumed.
    pub usage: u64,
    pub usage_bps: u64,
    /// R, from the ratings.
    pub rating_count: u64,
    pub rating_sum: u64,
    pub rating_bps: u64,
    pub weights: RankingWeights,
    pub usage_half: u64,
    pub formula: String,
}
