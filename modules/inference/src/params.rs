//! inference's params: the proto `deai.inference.v1.Params`, validated into domain values.

use deai_bank::udeai;
use deai_framework::dec::Dec;
use deai_framework::params::{coin, fraction, within, InvalidParam};
use deai_framework::Coin;
use deai_proto::inference::v1 as pb;

use crate::error::InferenceError;

/// Hard caps that no param may exceed (they bound what one tx or block can make the chain do).
pub const MAX_VERIFYING_KEY_BYTES: u32 = 64 * 1024;
/// Most servers of one model: the assignment draw reads at most this many records.
pub const MAX_SERVERS_PER_MODEL: u32 = 64;
pub const MAX_REDUNDANCY: u32 = 9;
pub const MAX_TOPIC_WORKERS: u32 = 256;
pub const MAX_TOPIC_REPUTERS: u32 = 64;
/// Largest `max_adjudication_bytes` (the 784-56-10 digits model encodes to about 360 KB).
pub const MAX_ADJUDICATION_BYTES: u64 = 16 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub take_rate: Dec,
    pub royalty_rate: Dec,
    pub server_min_stake: Coin,
    pub unbonding_blocks: u64,
    pub miss_slash_fraction: Dec,
    pub min_deadline_blocks: u64,
    pub max_deadline_blocks: u64,
    pub verify_gas_base: u64,
    pub verify_gas_per_public_input: u64,
    pub max_verifying_key_bytes: u32,
    pub max_servers_per_model: u32,
    pub max_redundancy: u32,
    pub optimistic_server_bond: Coin,
    pub challenge_window: u64,
    pub challenge_bond: Coin,
    pub response_window: u64,
    pub fault_slash_fraction: Dec,
    pub max_adjudication_macs: u64,
    pub adjudication_gas_per_mac: u64,
    pub topic_creation_fee: Coin,
    pub topic_worker_min_stake: Coin,
    pub reputer_min_stake: Coin,
    pub reputer_slash_fraction: Dec,
    pub max_topic_workers: u32,
    pub max_topic_reputers: u32,
    pub max_adjudication_bytes: u64,
    pub topic_reward_fraction: Dec,
    pub reputer_reward_share: Dec,
    pub reputer_tolerance: Dec,
    pub reputer_max_strikes: u32,
}

/// `n` hundredths.
fn percent(n: u128) -> Dec {
    Dec::from_units(n * 10_000_000_000_000_000)
}

impl Default for Params {
    fn default() -> Self {
        Self {
            take_rate: percent(2),
            royalty_rate: percent(5),
            server_min_stake: udeai(10_000_000),
            unbonding_blocks: 1_000,
            miss_slash_fraction: percent(1),
            min_deadline_blocks: 1,
            max_deadline_blocks: 1_000,
            // Priced like the store's gas per CPU time (bench/inference measured the first
            // schedule, 60,000 + 150, about 47x cheaper): a block of verifications at the
            // default block gas then takes about a second, cold keys included.
            verify_gas_base: 1_500_000,
            verify_gas_per_public_input: 7_500,
            max_verifying_key_bytes: MAX_VERIFYING_KEY_BYTES,
            max_servers_per_model: MAX_SERVERS_PER_MODEL,
            max_redundancy: 5,
            optimistic_server_bond: udeai(1_000_000),
            challenge_window: 50,
            challenge_bond: udeai(1_000_000),
            response_window: 50,
            fault_slash_fraction: percent(50),
            max_adjudication_macs: 1_000_000,
            adjudication_gas_per_mac: 2,
            topic_creation_fee: udeai(10_000_000),
            topic_worker_min_stake: udeai(1_000_000),
            reputer_min_stake: udeai(1_000_000),
            reputer_slash_fraction: percent(10),
            max_topic_workers: 64,
            max_topic_reputers: 32,
            max_adjudication_bytes: 1 << 20,
            topic_reward_fraction: percent(10),
            reputer_reward_share: percent(20),
            reputer_tolerance: percent(5),
            reputer_max_strikes: 3,
        }
    }
}

fn invalid(msg: impl Into<String>) -> InferenceError {
    InferenceError::InvalidParams(msg.into())
}

impl From<InvalidParam> for InferenceError {
    fn from(e: InvalidParam) -> Self {
        invalid(e.0)
    }
}

impl Params {
    pub fn from_proto(p: &pb::Params) -> Result<Self, InferenceError> {
        let params = Self {
            take_rate: fraction(&p.take_rate, "take_rate")?,
            royalty_rate: fraction(&p.royalty_rate, "royalty_rate")?,
            server_min_stake: coin(&p.server_min_stake, "server_min_stake")?,
            unbonding_blocks: within(p.unbonding_blocks, 1, u64::MAX / 4, "unbonding_blocks")?,
            miss_slash_fraction: fraction(&p.miss_slash_fraction, "miss_slash_fraction")?,
            min_deadline_blocks: within(
                p.min_deadline_blocks,
                1,
                u64::MAX / 4,
                "min_deadline_blocks",
            )?,
            max_deadline_blocks: within(
                p.max_deadline_blocks,
                1,
                u64::MAX / 4,
                "max_deadline_blocks",
            )?,
            verify_gas_base: p.verify_gas_base,
            verify_gas_per_public_input: p.verify_gas_per_public_input,
            max_verifying_key_bytes: within(
                p.max_verifying_key_bytes,
                1,
                MAX_VERIFYING_KEY_BYTES,
                "max_verifying_key_bytes",
            )?,
            max_servers_per_model: within(
                p.max_servers_per_model,
                1,
                MAX_SERVERS_PER_MODEL,
                "max_servers_per_model",
            )?,
            max_redundancy: within(p.max_redundancy, 1, MAX_REDUNDANCY, "max_redundancy")?,
            optimistic_server_bond: coin(&p.optimistic_server_bond, "optimistic_server_bond")?,
            challenge_window: within(p.challenge_window, 1, u64::MAX / 4, "challenge_window")?,
            challenge_bond: coin(&p.challenge_bond, "challenge_bond")?,
            response_window: within(p.response_window, 1, u64::MAX / 4, "response_window")?,
            fault_slash_fraction: fraction(&p.fault_slash_fraction, "fault_slash_fraction")?,
            max_adjudication_macs: p.max_adjudication_macs,
            adjudication_gas_per_mac: p.adjudication_gas_per_mac,
            topic_creation_fee: coin(&p.topic_creation_fee, "topic_creation_fee")?,
            topic_worker_min_stake: coin(&p.topic_worker_min_stake, "topic_worker_min_stake")?,
            reputer_min_stake: coin(&p.reputer_min_stake, "reputer_min_stake")?,
            reputer_slash_fraction: fraction(&p.reputer_slash_fraction, "reputer_slash_fraction")?,
            max_topic_workers: within(
                p.max_topic_workers,
                1,
                MAX_TOPIC_WORKERS,
                "max_topic_workers",
            )?,
            max_topic_reputers: within(
                p.max_topic_reputers,
                1,
                MAX_TOPIC_REPUTERS,
                "max_topic_reputers",
            )?,
            max_adjudication_bytes: within(
                p.max_adjudication_bytes,
                1,
                MAX_ADJUDICATION_BYTES,
                "max_adjudication_bytes",
            )?,
            topic_reward_fraction: fraction(&p.topic_reward_fraction, "topic_reward_fraction")?,
            reputer_reward_share: fraction(&p.reputer_reward_share, "reputer_reward_share")?,
            reputer_tolerance: fraction(&p.reputer_tolerance, "reputer_tolerance")?,
            reputer_max_strikes: within(p.reputer_max_strikes, 1, 1_000, "reputer_max_strikes")?,
        };
        if params.reputer_tolerance == Dec::ZERO {
            return Err(invalid("reputer_tolerance must be positive"));
        }
        let shares = params
            .take_rate
            .units()
            .checked_add(params.royalty_rate.units())
            .ok_or_else(|| invalid("take_rate + royalty_rate overflows"))?;
        if shares > Dec::ONE.units() {
            return Err(invalid("take_rate + royalty_rate must be at most 1"));
        }
        within(
            params.max_deadline_blocks,
            params.min_deadline_blocks,
            u64::MAX / 4,
            "max_deadline_blocks",
        )?;
        // A server that unbonds must stay slashable until every request assigned to it
        // before the unbonding has expired.
        if params.unbonding_blocks < params.max_deadline_blocks {
            return Err(invalid(
                "unbonding_blocks must be at least max_deadline_blocks",
            ));
        }
        Ok(params)
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            take_rate: self.take_rate.to_string(),
            royalty_rate: self.royalty_rate.to_string(),
            server_min_stake: Some(self.server_min_stake.to_proto()),
            unbonding_blocks: self.unbonding_blocks,
            miss_slash_fraction: self.miss_slash_fraction.to_string(),
            min_deadline_blocks: self.min_deadline_blocks,
            max_deadline_blocks: self.max_deadline_blocks,
            verify_gas_base: self.verify_gas_base,
            verify_gas_per_public_input: self.verify_gas_per_public_input,
            max_verifying_key_bytes: self.max_verifying_key_bytes,
            max_servers_per_model: self.max_servers_per_model,
            max_redundancy: self.max_redundancy,
            optimistic_server_bond: Some(self.optimistic_server_bond.to_proto()),
            challenge_window: self.challenge_window,
            challenge_bond: Some(self.challenge_bond.to_proto()),
            response_window: self.response_window,
            fault_slash_fraction: self.fault_slash_fraction.to_string(),
            max_adjudication_macs: self.max_adjudication_macs,
            adjudication_gas_per_mac: self.adjudication_gas_per_mac,
            topic_creation_fee: Some(self.topic_creation_fee.to_proto()),
            topic_worker_min_stake: Some(self.topic_worker_min_stake.to_proto()),
            reputer_min_stake: Some(self.reputer_min_stake.to_proto()),
            reputer_slash_fraction: self.reputer_slash_fraction.to_string(),
            max_topic_workers: self.max_topic_workers,
            max_topic_reputers: self.max_topic_reputers,
            max_adjudication_bytes: self.max_adjudication_bytes,
            topic_reward_fraction: self.topic_reward_fraction.to_string(),
            reputer_reward_share: self.reputer_reward_share.to_string(),
            reputer_tolerance: self.reputer_tolerance.to_string(),
            reputer_max_strikes: self.reputer_max_strikes,
        }
    }

    /// The gas of re-executing a model of `macs` multiply-accumulates on chain.
    pub fn adjudication_gas(&self, macs: u64) -> u64 {
        self.adjudication_gas_per_mac.saturating_mul(macs)
    }

    /// The gas of verifying (or decoding a key for) a statement of `n` public inputs.
    pub fn verify_gas(&self, n_public_inputs: usize) -> u64 {
        let n = u64::try_from(n_public_inputs).unwrap_or(u64::MAX);
        self.verify_gas_base
            .saturating_add(self.verify_gas_per_public_input.saturating_mul(n))
    }
}
