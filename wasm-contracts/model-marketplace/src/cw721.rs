//! The cw721 message and response shapes this contract implements, written out here (they
//! match cw721 0.22's JSON): `OwnerOf`, `NftInfo`, `AllNftInfo`, `Tokens`, `AllTokens`,
//! `NumTokens`, `ContractInfo`, and the `TransferNft` execute message. Licences carry no
//! approvals, so `approvals` is always empty.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Deps, Order, StdResult, Timestamp};
use cw_storage_plus::Bound;

use crate::deai::DeaiQuery;
use crate::error::ContractError;
use crate::state::{Licence, CONFIG, LISTINGS, NUM_TOKENS, TOKENS, TOKENS_BY_OWNER};

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 100;

/// cw-utils' `Expiration`, for the approval shape.
#[cw_serde]
pub enum Expiration {
    AtHeight(u64),
    AtTime(Timestamp),
    Never {},
}

#[cw_serde]
pub struct Approval {
    pub spender: Addr,
    pub expires: Expiration,
}

#[cw_serde]
pub struct OwnerOfResponse {
    pub owner: String,
    pub approvals: Vec<Approval>,
}

#[cw_serde]
pub struct NftInfoResponse {
    pub token_uri: Option<String>,
    pub extension: Licence,
}

#[cw_serde]
pub struct AllNftInfoResponse {
    pub access: OwnerOfResponse,
    pub info: NftInfoResponse,
}

#[cw_serde]
pub struct TokensResponse {
    /// Token ids in lexicographic order; page with `start_after`.
    pub tokens: Vec<String>,
}

#[cw_serde]
pub struct NumTokensResponse {
    pub count: u64,
}

#[cw_serde]
pub struct ContractInfoResponse {
    pub name: String,
    pub symbol: String,
}

fn limit(l: Option<u32>) -> usize {
    l.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize
}

fn load(deps: Deps<DeaiQuery>, token_id: &str) -> Result<crate::state::Token, ContractError> {
    TOKENS
        .may_load(deps.storage, token_id)?
        .ok_or_else(|| ContractError::TokenNotFound(token_id.to_string()))
}

pub fn owner_of(deps: Deps<DeaiQuery>, token_id: String) -> Result<OwnerOfResponse, ContractError> {
    let t = load(deps, &token_id)?;
    Ok(OwnerOfResponse {
        owner: t.owner.to_string(),
        approvals: vec![],
    })
}

pub fn nft_info(deps: Deps<DeaiQuery>, token_id: String) -> Result<NftInfoResponse, ContractError> {
    let t = load(deps, &token_id)?;
    let listing = LISTINGS.load(deps.storage, t.licence.listing_id)?;
    Ok(NftInfoResponse {
        token_uri: Some(listing.uri),
        extension: t.licence,
    })
}

pub fn all_nft_info(
    deps: Deps<DeaiQuery>,
    token_id: String,
) -> Result<AllNftInfoResponse, ContractError> {
    Ok(AllNftInfoResponse {
        access: owner_of(deps, token_id.clone())?,
        info: nft_info(deps, token_id)?,
    })
}

pub fn tokens(
    deps: Deps<DeaiQuery>,
    owner: String,
    start_after: Option<String>,
    l: Option<u32>,
) -> Result<TokensResponse, ContractError> {
    let owner = deps
        .api
        .addr_validate(&owner)
        .map_err(|e| ContractError::invalid("owner", e.to_string()))?;
    let tokens = TOKENS_BY_OWNER
        .prefix(&owner)
        .keys(
            deps.storage,
            start_after.as_deref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit(l))
        .collect::<StdResult<Vec<String>>>()?;
    Ok(TokensResponse { tokens })
}

pub fn all_tokens(
    deps: Deps<DeaiQuery>,
    start_after: Option<String>,
    l: Option<u32>,
) -> Result<TokensResponse, ContractError> {
    let tokens = TOKENS
        .keys(
            deps.storage,
            start_after.as_deref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit(l))
        .collect::<StdResult<Vec<String>>>()?;
    Ok(TokensResponse { tokens })
}

pub fn num_tokens(deps: Deps<DeaiQuery>) -> Result<NumTokensResponse, ContractError> {
    Ok(NumTokensResponse {
        count: NUM_TOKENS.load(deps.storage)?,
    })
}

pub fn contract_info(deps: Deps<DeaiQuery>) -> Result<ContractInfoResponse, ContractError> {
    let c = CONFIG.load(deps.storage)?;
    Ok(ContractInfoResponse {
        name: c.name,
        symbol: c.symbol,
    })
}
