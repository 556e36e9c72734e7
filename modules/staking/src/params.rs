//! staking params: the SDK's six, with the SDK's defaults (bond denom: deai's `udeai`).

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use tendermint_proto::google::protobuf::Duration;

use deai_framework::dec::Dec;
use deai_framework::params::{within, InvalidParam};

use crate::error::StakingError;

/// 21 days, the SDK's default unbonding time.
pub const DEFAULT_UNBONDING_SECS: i64 = 60 * 60 * 24 * 7 * 3;
/// Largest max_validators accepted: end_block reads the bonded set and the previous powers,
/// both bounded by it.
pub const MAX_MAX_VALIDATORS: u32 = 1000;
/// Largest max_entries accepted (entries are scanned when a pair is touched).
pub const MAX_MAX_ENTRIES: u32 = 100;
/// Longest unbonding time accepted: 10 years.
pub const MAX_UNBONDING_SECS: i64 = 60 * 60 * 24 * 3650;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Whole seconds (a proto duration's nanos are refused).
    pub unbonding_secs: i64,
    pub max_validators: u32,
    pub max_entries: u32,
    pub historical_entries: u32,
    pub bond_denom: String,
    pub min_commission_rate: Dec,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            unbonding_secs: DEFAULT_UNBONDING_SECS,
            max_validators: 100,
            max_entries: 7,
            historical_entries: 10_000,
            bond_denom: deai_bank::BASE_DENOM.to_string(),
            min_commission_rate: Dec::ZERO,
        }
    }
}

impl Params {
    pub fn from_proto(p: &pb::Params) -> Result<Self, StakingError> {
        let d = p
            .unbonding_time
            .as_ref()
            .ok_or_else(|| InvalidParam("unbonding_time is required".into()))?;
        if d.nanos != 0 {
            return Err(InvalidParam("unbonding_time must be whole seconds".into()).into());
        }
        let unbonding_secs = within(d.seconds, 1, MAX_UNBONDING_SECS, "unbonding_time")?;
        let max_validators = within(p.max_validators, 1, MAX_MAX_VALIDATORS, "max_validators")?;
        let max_entries = within(p.max_entries, 1, MAX_MAX_ENTRIES, "max_entries")?;
        deai_framework::coins::validate_denom(&p.bond_denom)
            .map_err(|e| InvalidParam(format!("bond_denom: {}", e.log)))?;
        if p.min_commission_rate.trim_start().starts_with('-') {
            return Err(InvalidParam("min_commission_rate cannot be negative".into()).into());
        }
        // The wire form is the SDK's (10^-18 units, as cosmjs, Keplr and gov proposals send
        // it); a decimal is accepted too (deai's CLI, records stored before).
        let min_commission_rate = crate::math::parse_wire_dec(&p.min_commission_rate)
            .map_err(|e| InvalidParam(format!("min_commission_rate: {e}")))?;
        if min_commission_rate > Dec::ONE {
            return Err(InvalidParam("min_commission_rate must be at most 1".into()).into());
        }
        Ok(Self {
            unbonding_secs,
            max_validators,
            max_entries,
            historical_entries: p.historical_entries,
            bond_denom: p.bond_denom.clone(),
            min_commission_rate,
        })
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            unbonding_time: Some(Duration {
                seconds: self.unbonding_secs,
                nanos: 0,
            }),
            max_validators: self.max_validators,
            max_entries: self.max_entries,
            historical_entries: self.historical_entries,
            bond_denom: self.bond_denom.clone(),
            min_commission_rate: self.min_commission_rate.units().to_string(),
        }
    }
}
