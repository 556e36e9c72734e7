//! staking genesis's JSON records (the SDK's shapes) and the time, duration and number
//! formats they use.

use serde::{Deserialize, Serialize};

use deai_framework::TxError;

use crate::error::StakingError;
use crate::math::Dec;

pub(crate) fn invalid(msg: impl Into<String>) -> TxError {
    StakingError::InvalidGenesis(msg.into()).into()
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisJson {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default = "zero")]
    pub last_total_power: String,
    #[serde(default)]
    pub last_validator_powers: Vec<LastPowerJson>,
    #[serde(default)]
    pub validators: Vec<ValidatorJson>,
    #[serde(default)]
    pub delegations: Vec<DelegationJson>,
    #[serde(default)]
    pub unbonding_delegations: Vec<UbdJson>,
    #[serde(default)]
    pub redelegations: Vec<RedJson>,
    #[serde(default)]
    pub exported: bool,
    /// Who may change the params (deai's extension of the SDK shape, as bank's); default: gov.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

pub(crate) fn zero() -> String {
    "0".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsJson {
    pub unbonding_time: String,
    pub max_validators: u32,
    pub max_entries: u32,
    pub historical_entries: u32,
    pub bond_denom: String,
    pub min_commission_rate: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastPowerJson {
    pub address: String,
    pub power: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PubKeyJson {
    #[serde(rename = "@type")]
    pub type_url: String,
    pub key: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptionJson {
    #[serde(default)]
    pub moniker: String,
    #[serde(default)]
    pub identity: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub security_contact: String,
    #[serde(default)]
    pub details: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatesJson {
    pub rate: String,
    pub max_rate: String,
    pub max_change_rate: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionJson {
    pub commission_rates: RatesJson,
    pub update_time: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorJson {
    pub operator_address: String,
    pub consensus_pubkey: PubKeyJson,
    #[serde(default)]
    pub jailed: bool,
    pub status: String,
    pub tokens: String,
    pub delegator_shares: String,
    #[serde(default)]
    pub description: DescriptionJson,
    #[serde(default = "zero")]
    pub unbonding_height: String,
    #[serde(default = "epoch")]
    pub unbonding_time: String,
    pub commission: CommissionJson,
    pub min_self_delegation: String,
    #[serde(default = "zero")]
    pub unbonding_on_hold_ref_count: String,
    #[serde(default)]
    pub unbonding_ids: Vec<String>,
}

pub(crate) fn epoch() -> String {
    fmt_time(0)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelegationJson {
    pub delegator_address: String,
    pub validator_address: String,
    pub shares: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UbdEntryJson {
    pub creation_height: String,
    pub completion_time: String,
    pub initial_balance: String,
    pub balance: String,
    #[serde(default = "zero")]
    pub unbonding_id: String,
    #[serde(default = "zero")]
    pub unbonding_on_hold_ref_count: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UbdJson {
    pub delegator_address: String,
    pub validator_address: String,
    pub entries: Vec<UbdEntryJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedEntryJson {
    pub creation_height: String,
    pub completion_time: String,
    pub initial_balance: String,
    pub shares_dst: String,
    #[serde(default = "zero")]
    pub unbonding_id: String,
    #[serde(default = "zero")]
    pub unbonding_on_hold_ref_count: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedJson {
    pub delegator_address: String,
    pub validator_src_address: String,
    pub validator_dst_address: String,
    pub entries: Vec<RedEntryJson>,
}

// ---- time ----------------------------------------------------------------------------------

pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Seconds since the epoch as RFC 3339 UTC (`2006-01-02T15:04:05Z`, as Go writes whole seconds).
pub fn fmt_time(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Parses RFC 3339 UTC with whole seconds (a zero fraction is accepted).
pub fn parse_time(s: &str) -> Result<i64, TxError> {
    let bad = || invalid(format!("invalid time {s:?}"));
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, TxError> {
        let t = s.get(r).ok_or_else(bad)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse::<i64>().map_err(|_| bad())
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let tail = s.get(19..).ok_or_else(bad)?;
    let frac_ok = match tail.strip_suffix('Z') {
        Some("") => true,
        Some(f) => f.len() > 1 && f.starts_with('.') && f[1..].bytes().all(|c| c == b'0'),
        None => false,
    };
    if !frac_ok || !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59
    {
        return Err(bad());
    }
    Ok(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

pub(crate) fn parse_i64(s: &str, what: &str) -> Result<i64, TxError> {
    s.parse::<i64>()
        .map_err(|_| invalid(format!("invalid {what} {s:?}")))
}

pub(crate) fn parse_u128(s: &str, what: &str) -> Result<u128, TxError> {
    deai_framework::coins::parse_amount(s).map_err(|_| invalid(format!("invalid {what} {s:?}")))
}

pub(crate) fn parse_dec(s: &str, what: &str) -> Result<Dec, TxError> {
    crate::math::parse_dec(s).map_err(|_| invalid(format!("invalid {what} {s:?}")))
}
