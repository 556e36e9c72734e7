//! task's params: the proto `deai.task.v1.Params`, validated into domain values. Gov owns
//! them (`MsgUpdateParams`). Periods are in blocks; the quorum and thresholds are gov's
//! 18-decimal fractions and mean what they mean in gov.

use deai_framework::dec::Dec;
use deai_framework::params::{fraction, within, InvalidParam};
use deai_framework::{Coins, TxError};
use deai_proto::task::v1 as pb;

use crate::error::TaskError;

/// Hard caps no param may exceed (they bound what one tx writes).
pub const MAX_TITLE_CAP: u32 = 1024;
pub const MAX_DESCRIPTION_CAP: u32 = 64 * 1024;
pub const MAX_EVAL_SPEC_CAP: u32 = 64 * 1024;
pub const MAX_SAMPLE_ROWS_CAP: u32 = 1_000_000;
/// Longest period (blocks): about a year at 5 s blocks.
pub const MAX_PERIOD_BLOCKS: u64 = 6_311_520;
/// Most denoms in min_deposit.
pub const MAX_DEPOSIT_DENOMS: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub min_deposit: Coins,
    pub max_deposit_period: u64,
    pub voting_period: u64,
    pub quorum: Dec,
    pub threshold: Dec,
    pub veto_threshold: Dec,
    pub sample_rows: u32,
    pub max_title_len: u32,
    pub max_description_len: u32,
    pub max_eval_spec_bytes: u32,
}

fn milli(m: u128) -> Dec {
    Dec::from_units(m * 1_000_000_000_000_000)
}

impl Default for Params {
    /// min deposit 10 DEAI (10,000,000 udeai), deposit period 17,280 blocks and voting
    /// period 17,280 blocks (a day at 5 s), gov's quorum 0.334, threshold 0.5 and veto
    /// 0.334, a 64-row code check, titles ≤ 140 bytes, descriptions ≤ 10 KiB, evaluation
    /// specs ≤ 16 KiB.
    fn default() -> Self {
        Self {
            min_deposit: Coins::new(vec![deai_bank::udeai(10_000_000)]).unwrap_or_default(),
            max_deposit_period: 17_280,
            voting_period: 17_280,
            quorum: milli(334),
            threshold: milli(500),
            veto_threshold: milli(334),
            sample_rows: 64,
            max_title_len: 140,
            max_description_len: 10 * 1024,
            max_eval_spec_bytes: 16 * 1024,
        }
    }
}

fn invalid(msg: impl Into<String>) -> TaskError {
    TaskError::InvalidParams(msg.into())
}

impl From<InvalidParam> for TaskError {
    fn from(e: InvalidParam) -> Self {
        invalid(e.0)
    }
}

impl Params {
    pub fn from_proto(p: &pb::Params) -> Result<Self, TaskError> {
        let min_deposit = Coins::from_proto(&p.min_deposit)
            .map_err(|e| invalid(format!("min_deposit: {}", e.log)))?;
        if min_deposit.is_empty() || min_deposit.iter().any(|c| c.amount == 0) {
            return Err(invalid("min_deposit must be positive"));
        }
        if min_deposit.len() > MAX_DEPOSIT_DENOMS {
            return Err(invalid(format!(
                "min_deposit may have at most {MAX_DEPOSIT_DENOMS} denoms"
            )));
        }
        let threshold = fraction(&p.threshold, "threshold")?;
        let veto_threshold = fraction(&p.veto_threshold, "veto_threshold")?;
        if threshold == Dec::ZERO || veto_threshold == Dec::ZERO {
            return Err(invalid("threshold and veto_threshold must be positive"));
        }
        Ok(Self {
            min_deposit,
            max_deposit_period: within(
                p.max_deposit_period,
                1,
                MAX_PERIOD_BLOCKS,
                "max_deposit_period",
            )?,
            voting_period: within(p.voting_period, 1, MAX_PERIOD_BLOCKS, "voting_period")?,
            quorum: fraction(&p.quorum, "quorum")?,
            threshold,
            veto_threshold,
            sample_rows: within(p.sample_rows, 1, MAX_SAMPLE_ROWS_CAP, "sample_rows")?,
            max_title_len: within(p.max_title_len, 1, MAX_TITLE_CAP, "max_title_len")?,
            max_description_len: within(
                p.max_description_len,
                0,
                MAX_DESCRIPTION_CAP,
                "max_description_len",
            )?,
            max_eval_spec_bytes: within(
                p.max_eval_spec_bytes,
                2,
                MAX_EVAL_SPEC_CAP,
                "max_eval_spec_bytes",
            )?,
        })
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            min_deposit: self.min_deposit.to_proto(),
            max_deposit_period: self.max_deposit_period,
            voting_period: self.voting_period,
            quorum: self.quorum.to_string(),
            threshold: self.threshold.to_string(),
            veto_threshold: self.veto_threshold.to_string(),
            sample_rows: self.sample_rows,
            max_title_len: self.max_title_len,
            max_description_len: self.max_description_len,
            max_eval_spec_bytes: self.max_eval_spec_bytes,
        }
    }

    /// Stored params are written only after [`Params::from_proto`] accepted them.
    pub fn validate(&self) -> Result<(), TxError> {
        Self::from_proto(&self.to_proto())
            .map(|_| ())
            .map_err(Into::into)
    }

    /// Whether `total` reaches min_deposit in every denom of it.
    pub fn deposit_reached(&self, total: &Coins) -> bool {
        self.min_deposit
            .iter()
            .all(|c| total.amount_of(&c.denom) >= c.amount)
    }

    /// Whether `denom` may be deposited (it is one of min_deposit's).
    pub fn deposit_denom(&self, denom: &str) -> bool {
        self.min_deposit.iter().any(|c| c.denom == denom)
    }
}
