use cosmos_sdk_proto::cosmos::bank::v1beta1::{DenomUnit, Metadata};
use serde::{Deserialize, Serialize};

use deai_framework::coins::validate_denom;
use deai_framework::{sdk, TxError};

/// Denom metadata in the Cosmos genesis JSON shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenomMetadata {
    #[serde(default)]
    pub description: String,
    pub denom_units: Vec<JsonDenomUnit>,
    pub base: String,
    pub display: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub symbol: String,
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub uri_hash: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonDenomUnit {
    pub denom: String,
    pub exponent: u32,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// `udeai`, displayed as `deai` with exponent 6.
pub fn default_metadata() -> DenomMetadata {
    DenomMetadata {
        description: "The native token of deai".into(),
        denom_units: vec![
            JsonDenomUnit {
                denom: "udeai".into(),
                exponent: 0,
                aliases: vec!["microdeai".into()],
            },
            JsonDenomUnit {
                denom: "deai".into(),
                exponent: 6,
                aliases: vec![],
            },
        ],
        base: "udeai".into(),
        display: "deai".into(),
        name: "deai".into(),
        symbol: "DEAI".into(),
        uri: String::new(),
        uri_hash: String::new(),
    }
}

impl DenomMetadata {
    /// The SDK's rules: the base unit has exponent 0, exponents strictly increase, and the
    /// display unit is one of the units.
    pub fn validate(&self) -> Result<(), TxError> {
        validate_denom(&self.base)?;
        let bad =
            |m: &str| sdk::invalid_request(format!("invalid metadata for {}: {m}", self.base));
        let first = self
            .denom_units
            .first()
            .ok_or_else(|| bad("no denom units"))?;
        if first.denom != self.base || first.exponent != 0 {
            return Err(bad("the first unit must be the base with exponent 0"));
        }
        if self
            .denom_units
            .windows(2)
            .any(|w| w[1].exponent <= w[0].exponent)
        {
            return Err(bad("exponents must strictly increase"));
        }
        if !self.denom_units.iter().any(|u| u.denom == self.display) {
            return Err(bad("the display denom must be one of the units"));
        }
        Ok(())
    }

    pub fn to_proto(&self) -> Metadata {
        Metadata {
            description: self.description.clone(),
            denom_units: self
                .denom_units
                .iter()
                .map(|u| DenomUnit {
                    denom: u.denom.clone(),
                    exponent: u.exponent,
                    aliases: u.aliases.clone(),
                })
                .collect(),
            base: self.base.clone(),
            display: self.display.clone(),
            name: self.name.clone(),
            symbol: self.symbol.clone(),
            uri: self.uri.clone(),
            uri_hash: self.uri_hash.clone(),
        }
    }

    pub fn from_proto(m: Metadata) -> Self {
        Self {
            description: m.description,
            denom_units: m
                .denom_units
                .into_iter()
                .map(|u| JsonDenomUnit {
                    denom: u.denom,
                    exponent: u.exponent,
                    aliases: u.aliases,
                })
                .collect(),
            base: m.base,
            display: m.display,
            name: m.name,
            symbol: m.symbol,
            uri: m.uri,
            uri_hash: m.uri_hash,
        }
    }
}
