//! Storage layout. Listings by id (one per model, `LISTING_BY_MODEL`), licences by token id
//! (the NFT receipt; `TOKENS_BY_OWNER` is the owner index the cw721 `Tokens` query pages).

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};

use crate::ranking::RankingWeights;

pub const CONTRACT_NAME: &str = "crates.io:deai-model-marketplace";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cw_serde]
pub struct Config {
    /// The one denom for prices.
    pub denom: String,
    /// NFT collection name and symbol (cw721 `ContractInfo`).
    pub name: String,
    pub symbol: String,
    /// Marketplace take rate on each sale, 0..=1000 bps.
    pub fee_bps: u16,
    pub fee_collector: Addr,
    /// A model needs at least this on-chain evaluation score to be listed (0 = none).
    pub min_eval_score_bps: u32,
    pub ranking_weights: RankingWeights,
    /// Usage at which the ranking's usage term is half its maximum.
    pub usage_half: u64,
}

#[cw_serde]
pub struct Contributor {
    pub address: Addr,
    /// Share of the price after the fee; all shares of a listing sum to 10000.
    pub share_bps: u16,
}

#[cw_serde]
#[derive(Default)]
pub struct ListingStats {
    pub licences_sold: u64,
    /// Uses sold with per-use licences.
    pub uses_sold: u64,
    /// Uses recorded with `ConsumeUse`.
    pub uses_consumed: u64,
    pub revenue: Uint128,
    pub rating_sum: u64,
    pub rating_count: u64,
}

#[cw_serde]
pub struct Listing {
    pub id: u64,
    pub model_id: u64,
    /// The model's owner in the inference module when listed; checked again at each sale.
    pub seller: Addr,
    pub title: String,
    /// Where the model card lives; also each receipt NFT's `token_uri`.
    pub uri: String,
    pub per_use_price: Option<Uint128>,
    pub perpetual_price: Option<Uint128>,
    pub contributors: Vec<Contributor>,
    /// The training task that produced the model, checked against its lineage.
    pub training_task: Option<u64>,
    pub active: bool,
    pub created_at: u64,
    pub stats: ListingStats,
}

#[cw_serde]
pub enum LicenceKind {
    PerUse,
    Perpetual,
}

impl LicenceKind {
    pub fn name(&self) -> &'static str {
        match self {
            LicenceKind::PerUse => "per-use",
            LicenceKind::Perpetual => "perpetual",
        }
    }
}

/// A licence, which is also the NFT receipt's metadata (`NftInfo.extension`).
#[cw_serde]
pub struct Licence {
    pub listing_id: u64,
    pub model_id: u64,
    pub kind: LicenceKind,
    /// Per-use: uses bought and left. Perpetual: 0 and `None` (unlimited).
    pub uses_bought: u64,
    pub uses_remaining: Option<u64>,
    pub uses_consumed: u64,
    pub price_paid: Uint128,
    pub purchased_at: u64,
    pub rated: bool,
}

#[cw_serde]
pub struct Token {
    pub owner: Addr,
    pub licence: Licence,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const VERSION: Item<(String, String)> = Item::new("version");
pub const LISTINGS: Map<u64, Listing> = Map::new("listings");
pub const LISTING_BY_MODEL: Map<u64, u64> = Map::new("listing_by_model");
pub const LAST_LISTING_ID: Item<u64> = Item::new("last_listing_id");
pub const TOKENS: Map<&str, Token> = Map::new("tokens");
pub const TOKENS_BY_OWNER: Map<(&Addr, &str), ()> = Map::new("tokens_by_owner");
pub const LAST_TOKEN_ID: Item<u64> = Item::new("last_token_id");
pub const NUM_TOKENS: Item<u64> = Item::new("num_tokens");
