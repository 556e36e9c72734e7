//! deai agent marketplace (CosmWasm).
//!
//! Agents register their capabilities, endpoint and price and post a bond. A client hires an
//! agent by escrowing exactly its price; the agent delivers a result hash and URI; the client
//! accepts (which pays the agent) or disputes within a window of blocks; the arbiter set at
//! instantiation resolves disputes, and a lost dispute slashes part of the agent's bond to
//! the client. Ratings feed a reputation that decays over time (see `reputation`).
//!
//! Funds: the contract's balance always equals `Totals.bonded + Totals.escrowed`.

pub mod contract;
pub mod error;
mod execute_agents;
mod execute_jobs;
pub mod msg;
mod query;
pub mod reputation;
pub mod state;
mod validate;

pub use crate::error::ContractError;
pub use deai_contract_input::InputError;
