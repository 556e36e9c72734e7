//! distribution params: the SDK's four with its defaults (community tax 2 %, withdraw
//! addresses enabled). SDK v0.50 dropped the proposer bonus: `base_proposer_reward` and
//! `bonus_proposer_reward` are deprecated, kept on the wire and in genesis but never used, and
//! MsgUpdateParams refuses to set them to anything but zero (as the SDK's msg server does).
//! Decimals travel as the SDK's LegacyDec strings: units on the wire, 18 places in JSON.

use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;

use deai_framework::dec::Dec;
use deai_framework::params::{fraction, InvalidParam};

use crate::deccoins::dec_wire;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub community_tax: Dec,
    /// Deprecated (SDK v0.50); stored, never used.
    pub base_proposer_reward: Dec,
    /// Deprecated (SDK v0.50); stored, never used.
    pub bonus_proposer_reward: Dec,
    pub withdraw_addr_enabled: bool,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            community_tax: Dec::from_units(20_000_000_000_000_000),
            base_proposer_reward: Dec::ZERO,
            bonus_proposer_reward: Dec::ZERO,
            withdraw_addr_enabled: true,
        }
    }
}

/// A LegacyDec wire string (units) in [0, 1]; empty is the SDK's nil (zero).
fn wire_fraction(s: &str, name: &str) -> Result<Dec, InvalidParam> {
    if s.is_empty() {
        return Ok(Dec::ZERO);
    }
    let units = deai_framework::coins::parse_amount(s)
        .map_err(|_| InvalidParam(format!("{name}: invalid decimal {s:?}")))?;
    let d = Dec::from_units(units);
    if d > Dec::ONE {
        return Err(InvalidParam(format!("{name} too large: {d}")));
    }
    Ok(d)
}

impl Params {
    /// The wire form (LegacyDec units).
    #[allow(deprecated)] // the proposer rewards: kept on the wire, as the SDK does
    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            community_tax: dec_wire(self.community_tax),
            base_proposer_reward: dec_wire(self.base_proposer_reward),
            bonus_proposer_reward: dec_wire(self.bonus_proposer_reward),
            withdraw_addr_enabled: self.withdraw_addr_enabled,
        }
    }

    /// From the wire, with the SDK's `Params.ValidateBasic`: fractions in [0, 1]. The SDK
    /// refuses a nil community tax; an empty string here is that nil.
    #[allow(deprecated)]
    pub fn from_proto(p: &pb::Params) -> Result<Self, InvalidParam> {
        if p.community_tax.is_empty() {
            return Err(InvalidParam("community tax must be not nil".into()));
        }
        Ok(Self {
            community_tax: wire_fraction(&p.community_tax, "community tax")?,
            base_proposer_reward: wire_fraction(&p.base_proposer_reward, "base proposer reward")?,
            bonus_proposer_reward: wire_fraction(
                &p.bonus_proposer_reward,
                "bonus proposer reward",
            )?,
            withdraw_addr_enabled: p.withdraw_addr_enabled,
        })
    }

    /// From genesis JSON strings (decimal form).
    pub fn from_json_fields(
        community_tax: &str,
        base: &str,
        bonus: &str,
        withdraw_addr_enabled: bool,
    ) -> Result<Self, InvalidParam> {
        Ok(Self {
            community_tax: fraction(community_tax, "community tax")?,
            base_proposer_reward: fraction(base, "base proposer reward")?,
            bonus_proposer_reward: fraction(bonus, "bonus proposer reward")?,
            withdraw_addr_enabled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_bounds() {
        let p = Params::default();
        assert_eq!(p.to_proto().community_tax, "20000000000000000");
        assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
        let mut bad = p.to_proto();
        bad.community_tax = "1000000000000000001".into();
        assert!(Params::from_proto(&bad).is_err());
        bad.community_tax = String::new();
        assert!(Params::from_proto(&bad).is_err());
        bad.community_tax = "-1".into();
        assert!(Params::from_proto(&bad).is_err());
    }
}
