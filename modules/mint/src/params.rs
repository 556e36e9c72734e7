//! mint's params: the SDK's six (`x/mint/types/params.go`, v0.50) with its defaults and
//! checks, the Minter, and deai's emission split.
//!
//! On the wire (`cosmos.mint.v1beta1`) the decimals are the SDK's `LegacyDec` customtype:
//! the string of the 10^-18-unit integer ("130000000000000000" is 0.13), which is what
//! cosmjs's `decodeCosmosSdkDecFromProto` reads.

use cosmos_sdk_proto::cosmos::mint::v1beta1 as pb;
use deai_framework::coins::validate_denom;
use deai_framework::dec::Dec;
use deai_proto::mint::v1 as dpb;

use crate::error::MintError;

/// The SDK's default blocks per year: 60 × 60 × 8766 / 5 (5-second blocks).
pub const DEFAULT_BLOCKS_PER_YEAR: u64 = 60 * 60 * 8766 / 5;
/// Basis points of a whole.
pub const BPS: u32 = 10_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub mint_denom: String,
    pub inflation_rate_change: Dec,
    pub inflation_max: Dec,
    pub inflation_min: Dec,
    pub goal_bonded: Dec,
    pub blocks_per_year: u64,
}

fn dec(units: u128) -> Dec {
    Dec::from_units(units)
}

impl Default for Params {
    /// The SDK's `DefaultParams` with deai's bond denom: 0.13, 0.20, 0.07, 0.67, 6,311,520.
    fn default() -> Self {
        Self {
            mint_denom: deai_bank::BASE_DENOM.to_string(),
            inflation_rate_change: dec(130_000_000_000_000_000),
            inflation_max: dec(200_000_000_000_000_000),
            inflation_min: dec(70_000_000_000_000_000),
            goal_bonded: dec(670_000_000_000_000_000),
            blocks_per_year: DEFAULT_BLOCKS_PER_YEAR,
        }
    }
}

fn invalid(msg: String) -> MintError {
    MintError::InvalidParams(msg)
}

/// Parses a `LegacyDec` wire string (the 10^-18-unit integer); `name` is the SDK's wording.
pub fn dec_from_wire(s: &str, name: &str) -> Result<Dec, MintError> {
    if s.is_empty() {
        return Err(invalid(format!("{name} cannot be nil")));
    }
    if s.starts_with('-') {
        return Err(invalid(format!("{name} cannot be negative: {s}")));
    }
    if s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("{name}: invalid decimal {s:?}")));
    }
    s.parse::<u128>()
        .map(Dec::from_units)
        .map_err(|_| invalid(format!("{name}: invalid decimal {s:?}")))
}

/// The `LegacyDec` wire string of `d`.
pub fn dec_to_wire(d: Dec) -> String {
    d.units().to_string()
}

fn at_most_one(d: Dec, name: &str) -> Result<(), MintError> {
    if d > Dec::ONE {
        return Err(invalid(format!("{name} too large: {d}")));
    }
    Ok(())
}

impl Params {
    /// The SDK's `Params.Validate`, in its order.
    pub fn validate(&self) -> Result<(), MintError> {
        if self.mint_denom.trim().is_empty() {
            return Err(invalid("mint denom cannot be blank".into()));
        }
        validate_denom(&self.mint_denom).map_err(|e| invalid(e.log))?;
        at_most_one(self.inflation_rate_change, "inflation rate change")?;
        at_most_one(self.inflation_max, "max inflation")?;
        at_most_one(self.inflation_min, "min inflation")?;
        if self.goal_bonded == Dec::ZERO {
            return Err(invalid(format!(
                "goal bonded must be positive: {}",
                self.goal_bonded
            )));
        }
        at_most_one(self.goal_bonded, "goal bonded")?;
        if self.blocks_per_year == 0 {
            return Err(invalid("blocks per year must be positive: 0".into()));
        }
        if self.inflation_max < self.inflation_min {
            return Err(invalid(format!(
                "max inflation ({}) must be greater than or equal to min inflation ({})",
                self.inflation_max, self.inflation_min
            )));
        }
        Ok(())
    }

    pub fn from_proto(p: &pb::Params) -> Result<Self, MintError> {
        let out = Self {
            mint_denom: p.mint_denom.clone(),
            inflation_rate_change: dec_from_wire(
                &p.inflation_rate_change,
                "inflation rate change",
            )?,
            inflation_max: dec_from_wire(&p.inflation_max, "max inflation")?,
            inflation_min: dec_from_wire(&p.inflation_min, "min inflation")?,
            goal_bonded: dec_from_wire(&p.goal_bonded, "goal bonded")?,
            blocks_per_year: p.blocks_per_year,
        };
        out.validate()?;
        Ok(out)
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            mint_denom: self.mint_denom.clone(),
            inflation_rate_change: dec_to_wire(self.inflation_rate_change),
            inflation_max: dec_to_wire(self.inflation_max),
            inflation_min: dec_to_wire(self.inflation_min),
            goal_bonded: dec_to_wire(self.goal_bonded),
            blocks_per_year: self.blocks_per_year,
        }
    }
}

/// The SDK's Minter: the current annual inflation and annual provisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Minter {
    pub inflation: Dec,
    pub annual_provisions: Dec,
}

impl Default for Minter {
    /// The SDK's `DefaultInitialMinter`: inflation 0.13, no provisions yet.
    fn default() -> Self {
        Self {
            inflation: dec(130_000_000_000_000_000),
            annual_provisions: Dec::ZERO,
        }
    }
}

impl Minter {
    /// The SDK's `ValidateMinter` only refuses a negative inflation, which an unsigned
    /// decimal cannot be; the wire parse refuses the sign.
    pub fn from_proto(m: &pb::Minter) -> Result<Self, MintError> {
        Ok(Self {
            inflation: dec_from_wire(&m.inflation, "mint parameter Inflation")?,
            annual_provisions: dec_from_wire(&m.annual_provisions, "annual provisions")?,
        })
    }

    pub fn to_proto(&self) -> pb::Minter {
        pb::Minter {
            inflation: dec_to_wire(self.inflation),
            annual_provisions: dec_to_wire(self.annual_provisions),
        }
    }
}

/// deai's emission split (see the crate docs): five shares in basis points summing to
/// exactly [`BPS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmissionSplit {
    pub validators_bps: u32,
    pub training_bps: u32,
    pub inference_bps: u32,
    pub data_bps: u32,
    pub community_pool_bps: u32,
}

impl Default for EmissionSplit {
    /// Half to validators and delegators, 20% to training, 15% to inference, 10% to data
    /// and 5% to the community pool.
    fn default() -> Self {
        Self {
            validators_bps: 5_000,
            training_bps: 2_000,
            inference_bps: 1_500,
            data_bps: 1_000,
            community_pool_bps: 500,
        }
    }
}

impl EmissionSplit {
    pub fn validate(&self) -> Result<(), MintError> {
        let sum = [
            self.validators_bps,
            self.training_bps,
            self.inference_bps,
            self.data_bps,
            self.community_pool_bps,
        ]
        .iter()
        .map(|b| u64::from(*b))
        .sum::<u64>();
        if sum != u64::from(BPS) {
            return Err(MintError::InvalidSplit(format!(
                "shares must sum to {BPS} basis points, got {sum}"
            )));
        }
        Ok(())
    }

    /// The basis points of `market` ("training", "inference", "data"), if it is one.
    pub fn market_bps(&self, market: &str) -> Option<u32> {
        match market {
            crate::TRAINING => Some(self.training_bps),
            crate::INFERENCE => Some(self.inference_bps),
            crate::DATA => Some(self.data_bps),
            _ => None,
        }
    }

    pub fn from_proto(p: &dpb::EmissionSplit) -> Result<Self, MintError> {
        let s = Self {
            validators_bps: p.validators_bps,
            training_bps: p.training_bps,
            inference_bps: p.inference_bps,
            data_bps: p.data_bps,
            community_pool_bps: p.community_pool_bps,
        };
        s.validate()?;
        Ok(s)
    }

    pub fn to_proto(&self) -> dpb::EmissionSplit {
        dpb::EmissionSplit {
            validators_bps: self.validators_bps,
            training_bps: self.training_bps,
            inference_bps: self.inference_bps,
            data_bps: self.data_bps,
            community_pool_bps: self.community_pool_bps,
        }
    }
}
