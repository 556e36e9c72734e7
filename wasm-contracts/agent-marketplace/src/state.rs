//! Storage layout. Agents are keyed by address, jobs by a sequential id; the secondary
//! indexes (capability → agent, client → job, agent → job) are plain key sets.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};

use crate::reputation::Reputation;

pub const CONTRACT_NAME: &str = "crates.io:deai-agent-marketplace";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cw_serde]
pub struct Config {
    /// Resolves disputes.
    pub arbiter: Addr,
    /// The one denom for prices, bonds and escrow.
    pub denom: String,
    /// An agent needs at least this bond to be hired.
    pub min_bond: Uint128,
    /// Blocks after delivery during which the client may dispute.
    pub dispute_window_blocks: u64,
    /// Upper bound on a job's delivery time, in blocks.
    pub max_delivery_blocks: u64,
    /// Share of the agent's bond slashed to the client when the agent loses a dispute.
    pub slash_bps: u16,
    /// Half-life of reputation, in blocks.
    pub reputation_half_life_blocks: u64,
}

#[cw_serde]
pub struct Agent {
    pub address: Addr,
    pub name: String,
    pub capabilities: Vec<String>,
    pub endpoint: String,
    /// Price of one job, in `Config.denom`.
    pub price: Uint128,
    /// Slashable bond held by the contract.
    pub bond: Uint128,
    /// False once deregistered (the record and its reputation stay).
    pub registered: bool,
    /// Jobs hired, delivered or disputed, not yet settled.
    pub open_jobs: u32,
    pub jobs_completed: u64,
    pub jobs_expired: u64,
    pub disputes_won: u64,
    pub disputes_lost: u64,
    pub reputation: Reputation,
}

#[cw_serde]
pub enum JobStatus {
    /// Funds escrowed; waiting for delivery.
    Hired,
    /// Result delivered; the client may accept or dispute within the window.
    Delivered,
    /// Waiting for the arbiter.
    Disputed,
    /// The agent was paid (accepted, or claimed after the window).
    Completed,
    /// Not delivered by the deadline; the client was refunded.
    Expired,
    /// The arbiter ruled for the client: refunded, and the agent's bond slashed.
    ResolvedForClient,
    /// The arbiter ruled for the agent: paid.
    ResolvedForAgent,
}

impl JobStatus {
    pub fn name(&self) -> &'static str {
        match self {
            JobStatus::Hired => "hired",
            JobStatus::Delivered => "delivered",
            JobStatus::Disputed => "disputed",
            JobStatus::Completed => "completed",
            JobStatus::Expired => "expired",
            JobStatus::ResolvedForClient => "resolved_for_client",
            JobStatus::ResolvedForAgent => "resolved_for_agent",
        }
    }
}

#[cw_serde]
pub struct Job {
    pub id: u64,
    pub client: Addr,
    pub agent: Addr,
    pub task: String,
    /// Escrowed amount (the agent's price at hiring), in `Config.denom`.
    pub price: Uint128,
    pub status: JobStatus,
    pub hired_at: u64,
    /// Last height at which the agent may deliver.
    pub deadline: u64,
    pub result_hash: Option<String>,
    pub result_uri: Option<String>,
    pub delivered_at: Option<u64>,
    pub dispute_reason: Option<String>,
    /// Bond slashed to the client, if the agent lost a dispute.
    pub slashed: Uint128,
    pub rated: bool,
}

/// What the contract holds, by purpose. Its balance in `Config.denom` equals the sum.
#[cw_serde]
#[derive(Default)]
pub struct Totals {
    pub bonded: Uint128,
    pub escrowed: Uint128,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const VERSION: Item<(String, String)> = Item::new("version");
pub const AGENTS: Map<&Addr, Agent> = Map::new("agents");
pub const AGENTS_BY_CAPABILITY: Map<(&str, &Addr), ()> = Map::new("agents_by_cap");
pub const JOBS: Map<u64, Job> = Map::new("jobs");
pub const JOBS_BY_CLIENT: Map<(&Addr, u64), ()> = Map::new("jobs_by_client");
pub const JOBS_BY_AGENT: Map<(&Addr, u64), ()> = Map::new("jobs_by_agent");
pub const LAST_JOB_ID: Item<u64> = Item::new("last_job_id");
pub const TOTALS: Item<Totals> = Item::new("totals");
