use cosmwasm_schema::{cw_serde, QueryResponses};
use cosmwasm_std::Uint128;

#[cfg_attr(target_arch = "wasm32", allow(unused_imports))]
use crate::state::{Agent, Config, Job, Totals};

#[cw_serde]
pub struct InstantiateMsg {
    pub arbiter: String,
    pub denom: String,
    pub min_bond: Uint128,
    pub dispute_window_blocks: u64,
    pub max_delivery_blocks: u64,
    /// 1..=10000.
    pub slash_bps: u16,
    pub reputation_half_life_blocks: u64,
}

#[cw_serde]
pub enum DisputeWinner {
    Client,
    Agent,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Registers the sender as an agent; the funds sent (one coin of the denom, at least
    /// `min_bond`) are its bond. A deregistered agent may register again and keeps its
    /// reputation.
    RegisterAgent {
        name: String,
        capabilities: Vec<String>,
        endpoint: String,
        price: Uint128,
    },
    /// Changes any of the agent's listing fields.
    UpdateAgent {
        capabilities: Option<Vec<String>>,
        endpoint: Option<String>,
        price: Option<Uint128>,
    },
    /// Adds the funds sent to the agent's bond.
    TopUpBond {},
    /// Returns the whole bond and stops taking work. Needs no open jobs.
    Deregister {},
    /// Hires `agent`: the funds sent must equal its price and are escrowed. The agent must
    /// deliver within `delivery_blocks` (1..=max_delivery_blocks).
    Hire {
        agent: String,
        task: String,
        delivery_blocks: u64,
    },
    /// The agent delivers: `result_hash` is the sha256 of the result (64 lowercase hex).
    Deliver {
        job_id: u64,
        result_hash: String,
        result_uri: String,
    },
    /// The client accepts the delivery; the escrow goes to the agent.
    Accept { job_id: u64 },
    /// The client disputes the delivery, within `dispute_window_blocks` of it.
    Dispute { job_id: u64, reason: String },
    /// The arbiter rules. For the client: refund plus `slash_bps` of the agent's bond.
    /// For the agent: the escrow is paid to it.
    ResolveDispute { job_id: u64, winner: DisputeWinner },
    /// The client takes back the escrow of a job not delivered by its deadline.
    ReclaimExpired { job_id: u64 },
    /// The agent takes the escrow of a delivered job once the dispute window has passed.
    ClaimPayment { job_id: u64 },
    /// The client rates a job the agent was paid for, once: 1..=5 stars.
    Rate { job_id: u64, stars: u8 },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(Config)]
    Config {},
    #[returns(AgentResponse)]
    Agent { address: String },
    /// Agents by address, ascending.
    #[returns(AgentsResponse)]
    Agents {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Registered agents offering `capability`, by address.
    #[returns(AgentsResponse)]
    AgentsByCapability {
        capability: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    #[returns(Job)]
    Job { job_id: u64 },
    #[returns(JobsResponse)]
    JobsByClient {
        client: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    #[returns(JobsResponse)]
    JobsByAgent {
        agent: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// The agent's reputation decayed to the current height.
    #[returns(ReputationResponse)]
    Reputation { agent: String },
    /// Bonded and escrowed totals; they sum to the contract's balance.
    #[returns(Totals)]
    Totals {},
}

#[cw_serde]
pub struct AgentResponse {
    pub agent: Agent,
    /// Registered with at least the minimum bond: can be hired.
    pub active: bool,
    pub reputation_milli_stars: u32,
}

#[cw_serde]
pub struct AgentsResponse {
    pub agents: Vec<AgentResponse>,
}

#[cw_serde]
pub struct JobsResponse {
    pub jobs: Vec<Job>,
}

#[cw_serde]
pub struct ReputationResponse {
    pub agent: String,
    /// 0..=5000, see the crate docs for the formula.
    pub milli_stars: u32,
    pub ratings: u64,
    /// Decayed sum and weight at the current height (fixed point, SCALE = 1e6 per rating).
    pub decayed_score_sum: Uint128,
    pub decayed_weight: Uint128,
    pub height: u64,
}
