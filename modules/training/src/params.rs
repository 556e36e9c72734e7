//! training's params: the proto `deai.training.v1.Params`, validated into domain values.
//! The bond denom of the market is the denom of `min_reward_pool`: every pool, stake,
//! emission and audit bond is in it.

use deai_bank::udeai;
use deai_framework::dec::Dec;
use deai_framework::params::{coin, fraction, within, InvalidParam};
use deai_framework::Coin;
use deai_proto::training::v1 as pb;

use crate::error::TrainingError;

/// Hard caps no param may exceed (they bound what one tx or one block can make the chain do).
pub const MAX_NEURONS_CAP: u32 = 1024;
pub const MAX_SPEC_BYTES_CAP: u32 = 64 * 1024;
pub const MAX_CHECKPOINTS_CAP: u32 = 256;
pub const MAX_TASKS_PER_BLOCK_CAP: u32 = 1024;
pub const MAX_UNBONDING_ENTRIES_CAP: u32 = 64;
pub const MAX_AUDIT_DRAWS_CAP: u32 = 16;
/// Salts are at least this long (docs/training.md: 16..=64 bytes by default).
pub const MIN_SALT_BYTES: u32 = 16;
pub const MAX_SALT_BYTES_CAP: u32 = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub min_reward_pool: Coin,
    pub min_tempo: u64,
    pub max_tempo: u64,
    pub max_neurons_limit: u32,
    pub unbonding_blocks: u64,
    pub max_unbonding_entries: u32,
    pub immunity_period: u64,
    pub max_spec_bytes: u32,
    pub max_checkpoints: u32,
    pub audit_bond: Coin,
    pub slash_fraction: Dec,
    pub auditor_reward_fraction: Dec,
    pub audit_window: u64,
    pub max_audit_draws: u32,
    pub max_tasks_per_block: u32,
    pub max_aggregate_inputs: u32,
    pub max_salt_bytes: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            min_reward_pool: udeai(1_000_000),
            min_tempo: 10,
            max_tempo: 100_000,
            max_neurons_limit: 256,
            unbonding_blocks: 100,
            max_unbonding_entries: 7,
            immunity_period: 100,
            max_spec_bytes: 16 * 1024,
            max_checkpoints: 64,
            audit_bond: udeai(1_000_000),
            slash_fraction: Dec::from_units(100_000_000_000_000_000), // 0.1
            auditor_reward_fraction: Dec::from_units(500_000_000_000_000_000), // 0.5
            audit_window: 50,
            max_audit_draws: 3,
            max_tasks_per_block: 16,
            max_aggregate_inputs: 8,
            max_salt_bytes: 64,
        }
    }
}

fn invalid(msg: impl Into<String>) -> TrainingError {
    TrainingError::InvalidParams(msg.into())
}

impl From<InvalidParam> for TrainingError {
    fn from(e: InvalidParam) -> Self {
        invalid(e.0)
    }
}

impl Params {
    pub fn from_proto(p: &pb::Params) -> Result<Self, TrainingError> {
        let params = Self {
            min_reward_pool: coin(&p.min_reward_pool, "min_reward_pool")?,
            min_tempo: within(p.min_tempo, 6, u64::MAX, "min_tempo")?,
            max_tempo: p.max_tempo,
            max_neurons_limit: within(
                p.max_neurons_limit,
                2,
                MAX_NEURONS_CAP,
                "max_neurons_limit",
            )?,
            unbonding_blocks: within(p.unbonding_blocks, 1, u64::MAX, "unbonding_blocks")?,
            max_unbonding_entries: within(
                p.max_unbonding_entries,
                1,
                MAX_UNBONDING_ENTRIES_CAP,
                "max_unbonding_entries",
            )?,
            immunity_period: p.immunity_period,
            max_spec_bytes: within(p.max_spec_bytes, 1, MAX_SPEC_BYTES_CAP, "max_spec_bytes")?,
            max_checkpoints: within(p.max_checkpoints, 2, MAX_CHECKPOINTS_CAP, "max_checkpoints")?,
            audit_bond: coin(&p.audit_bond, "audit_bond")?,
            slash_fraction: fraction(&p.slash_fraction, "slash_fraction")?,
            auditor_reward_fraction: fraction(
                &p.auditor_reward_fraction,
                "auditor_reward_fraction",
            )?,
            audit_window: within(p.audit_window, 1, u64::MAX, "audit_window")?,
            max_audit_draws: within(p.max_audit_draws, 1, MAX_AUDIT_DRAWS_CAP, "max_audit_draws")?,
            max_tasks_per_block: within(
                p.max_tasks_per_block,
                1,
                MAX_TASKS_PER_BLOCK_CAP,
                "max_tasks_per_block",
            )?,
            max_aggregate_inputs: within(
                p.max_aggregate_inputs,
                1,
                MAX_NEURONS_CAP,
                "max_aggregate_inputs",
            )?,
            max_salt_bytes: within(
                p.max_salt_bytes,
                MIN_SALT_BYTES,
                MAX_SALT_BYTES_CAP,
                "max_salt_bytes",
            )?,
        };
        within(params.max_tempo, params.min_tempo, u64::MAX, "max_tempo")?;
        if params.min_reward_pool.amount == 0 {
            return Err(invalid("min_reward_pool must be positive"));
        }
        if params.audit_bond.denom != params.min_reward_pool.denom {
            return Err(invalid(
                "audit_bond must be in the denom of min_reward_pool",
            ));
        }
        Ok(params)
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            min_reward_pool: Some(self.min_reward_pool.to_proto()),
            min_tempo: self.min_tempo,
            max_tempo: self.max_tempo,
            max_neurons_limit: self.max_neurons_limit,
            unbonding_blocks: self.unbonding_blocks,
            max_unbonding_entries: self.max_unbonding_entries,
            immunity_period: self.immunity_period,
            max_spec_bytes: self.max_spec_bytes,
            max_checkpoints: self.max_checkpoints,
            audit_bond: Some(self.audit_bond.to_proto()),
            slash_fraction: self.slash_fraction.to_string(),
            auditor_reward_fraction: self.auditor_reward_fraction.to_string(),
            audit_window: self.audit_window,
            max_audit_draws: self.max_audit_draws,
            max_tasks_per_block: self.max_tasks_per_block,
            max_aggregate_inputs: self.max_aggregate_inputs,
            max_salt_bytes: self.max_salt_bytes,
        }
    }

    /// The market's one denom.
    pub fn bond_denom(&self) -> &str {
        &self.min_reward_pool.denom
    }
}
