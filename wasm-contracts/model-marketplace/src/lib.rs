//! deai model marketplace (CosmWasm).
//!
//! Model owners list models registered in deai's inference module (checked through the
//! `DeaiQuery` custom query). Buyers purchase per-use or perpetual licences; the price is split
//! between the marketplace fee and the listed contributors by basis points (see `royalty`);
//! each licence is a cw721-compatible NFT receipt (see `cw721`); and every listed model has a
//! transparent ranking score from its on-chain evaluation score, usage and ratings (see
//! `ranking`).

pub mod contract;
pub mod cw721;
pub mod deai;
pub mod error;
mod execute_licences;
mod execute_listings;
pub mod msg;
mod query;
pub mod ranking;
pub mod royalty;
pub mod state;
mod validate;

pub use crate::error::ContractError;
pub use deai_contract_input::InputError;

/// Marks the wasm as needing the chain's `deai` capability (the `DeaiQuery` custom queries):
/// cosmwasm-vm refuses to store it on a chain that does not list `deai` among its
/// capabilities.
#[cfg(all(target_arch = "wasm32", not(feature = "library")))]
#[no_mangle]
extern "C" fn requires_deai() {}
