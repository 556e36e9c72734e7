//! slashing genesis in the Cosmos SDK's JSON shape (`app_state.slashing` as `simd export`
//! writes it: proto field names, 64-bit integers as strings, decimals with 18 places,
//! durations as `"600s"`, times in RFC 3339), so export → import → export is exact. Every
//! signing info is exported with its list of missed blocks (only the missed indexes, as the
//! SDK's `GetValidatorMissedBlocks`).

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use serde::{Deserialize, Serialize};

use deai_framework::dec::Dec;
use deai_framework::{authority, records, StateRead, StateWrite, TxError};
use deai_staking::genesis::{fmt_time, parse_time};

use crate::error::SlashingError;
use crate::keeper::{cons_from_bech32, cons_to_bech32, ts, SlashingRead, SlashingWrite};
use crate::params::{Params, MAX_SIGNED_BLOCKS_WINDOW};
use crate::{state_key, MODULE_NAME};

/// Most signing infos a genesis may hold or an export walks.
pub const MAX_GENESIS_INFOS: usize = 100_000;

fn invalid(msg: impl Into<String>) -> TxError {
    SlashingError::InvalidGenesis(msg.into()).into()
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisJson {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub signing_infos: Vec<SigningInfoJson>,
    #[serde(default)]
    pub missed_blocks: Vec<MissedBlocksJson>,
    /// Who may change the params (deai's extension of the SDK shape); default: gov.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsJson {
    pub signed_blocks_window: String,
    pub min_signed_per_window: String,
    pub downtime_jail_duration: String,
    pub slash_fraction_double_sign: String,
    pub slash_fraction_downtime: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningInfoJson {
    pub address: String,
    pub validator_signing_info: InfoJson,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoJson {
    pub address: String,
    pub start_height: String,
    pub index_offset: String,
    pub jailed_until: String,
    pub tombstoned: bool,
    pub missed_blocks_counter: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedBlocksJson {
    pub address: String,
    pub missed_blocks: Vec<MissedBlockJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedBlockJson {
    pub index: String,
    pub missed: bool,
}

fn parse_i64(s: &str, what: &str) -> Result<i64, TxError> {
    s.parse::<i64>()
        .map_err(|_| invalid(format!("{what}: invalid integer {s:?}")))
}

fn parse_dec(s: &str, what: &str) -> Result<Dec, TxError> {
    Dec::parse(s).map_err(|e| invalid(format!("{what}: {e}")))
}

fn parse_secs(s: &str, what: &str) -> Result<i64, TxError> {
    let n = s
        .strip_suffix('s')
        .ok_or_else(|| invalid(format!("{what}: invalid duration {s:?}")))?;
    parse_i64(n, what)
}

fn params_to_json(p: &Params) -> ParamsJson {
    ParamsJson {
        signed_blocks_window: p.signed_blocks_window.to_string(),
        min_signed_per_window: p.min_signed_per_window.to_string(),
        downtime_jail_duration: format!("{}s", p.downtime_jail_secs),
        slash_fraction_double_sign: p.slash_fraction_double_sign.to_string(),
        slash_fraction_downtime: p.slash_fraction_downtime.to_string(),
    }
}

fn params_from_json(j: &ParamsJson) -> Result<Params, TxError> {
    let p = Params {
        signed_blocks_window: parse_i64(&j.signed_blocks_window, "signed_blocks_window")?,
        min_signed_per_window: parse_dec(&j.min_signed_per_window, "min_signed_per_window")?,
        downtime_jail_secs: parse_secs(&j.downtime_jail_duration, "downtime_jail_duration")?,
        slash_fraction_double_sign: parse_dec(
            &j.slash_fraction_double_sign,
            "slash_fraction_double_sign",
        )?,
        slash_fraction_downtime: parse_dec(&j.slash_fraction_downtime, "slash_fraction_downtime")?,
    };
    p.validate()?;
    Ok(p)
}

fn time(s: &str) -> Result<i64, TxError> {
    parse_time(s).map_err(|e| invalid(e.log))
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g: GenesisJson = if json.is_null() {
        GenesisJson::default()
    } else {
        serde_json::from_value(json.clone()).map_err(|e| invalid(e.to_string()))?
    };
    authority::init(state, &state_key::authority(), g.authority.as_deref())?;
    let params = match &g.params {
        Some(p) => params_from_json(p)?,
        None => Params::default(),
    };
    state.set_slashing_params(&params)?;
    if g.signing_infos.len() > MAX_GENESIS_INFOS || g.missed_blocks.len() > MAX_GENESIS_INFOS {
        return Err(invalid(format!(
            "more than {MAX_GENESIS_INFOS} signing infos"
        )));
    }
    for si in &g.signing_infos {
        let cons = cons_from_bech32(&si.address).map_err(|e| invalid(e.log))?;
        if state.signing_info(&cons)?.is_some() {
            return Err(invalid(format!("duplicate signing info {}", si.address)));
        }
        let j = &si.validator_signing_info;
        if j.address != si.address {
            return Err(invalid(format!(
                "signing info of {} names {}",
                si.address, j.address
            )));
        }
        let info = pb::ValidatorSigningInfo {
            address: cons_to_bech32(&cons),
            start_height: parse_i64(&j.start_height, "start_height")?,
            index_offset: parse_i64(&j.index_offset, "index_offset")?,
            jailed_until: Some(ts(time(&j.jailed_until)?)),
            tombstoned: j.tombstoned,
            missed_blocks_counter: parse_i64(&j.missed_blocks_counter, "missed_blocks_counter")?,
        };
        if info.index_offset < 0 || info.missed_blocks_counter < 0 {
            return Err(invalid(format!("negative counters in {}", si.address)));
        }
        state.set_signing_info(&cons, &info)?;
    }
    for m in &g.missed_blocks {
        let cons = cons_from_bech32(&m.address).map_err(|e| invalid(e.log))?;
        if state.signing_info(&cons)?.is_none() {
            return Err(invalid(format!(
                "missed blocks of {} without signing info",
                m.address
            )));
        }
        if m.missed_blocks.len() > MAX_SIGNED_BLOCKS_WINDOW as usize {
            return Err(invalid(format!("too many missed blocks for {}", m.address)));
        }
        for b in &m.missed_blocks {
            let i = parse_i64(&b.index, "missed block index")?;
            if !(0..MAX_SIGNED_BLOCKS_WINDOW).contains(&i) {
                return Err(invalid(format!("missed block index {i} out of range")));
            }
            state.set_missed(&cons, i as u64, b.missed)?;
        }
    }
    Ok(())
}

pub fn export_json(s: &dyn StateRead) -> Result<GenesisJson, TxError> {
    let params = s.slashing_params()?;
    let authority = authority::get(s, &state_key::authority())?;
    let infos: Vec<pb::ValidatorSigningInfo> = records::all_under(
        MODULE_NAME,
        s,
        &state_key::signing_infos(),
        MAX_GENESIS_INFOS,
    )?;
    let mut signing_infos = Vec::with_capacity(infos.len());
    let mut missed_blocks = Vec::with_capacity(infos.len());
    for i in infos {
        let cons = cons_from_bech32(&i.address)
            .map_err(|_| deai_framework::sdk::internal("corrupt signing info address"))?;
        signing_infos.push(SigningInfoJson {
            address: i.address.clone(),
            validator_signing_info: InfoJson {
                address: i.address.clone(),
                start_height: i.start_height.to_string(),
                index_offset: i.index_offset.to_string(),
                jailed_until: fmt_time(crate::keeper::secs(&i.jailed_until)),
                tombstoned: i.tombstoned,
                missed_blocks_counter: i.missed_blocks_counter.to_string(),
            },
        });
        missed_blocks.push(MissedBlocksJson {
            address: i.address.clone(),
            missed_blocks: s
                .missed_indexes(&cons)?
                .into_iter()
                .map(|index| MissedBlockJson {
                    index: index.to_string(),
                    missed: true,
                })
                .collect(),
        });
    }
    Ok(GenesisJson {
        params: Some(params_to_json(&params)),
        signing_infos,
        missed_blocks,
        authority: Some(authority.to_bech32()),
    })
}

pub fn export(s: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    serde_json::to_value(export_json(s)?)
        .map_err(|e| deai_framework::sdk::internal(format!("slashing genesis export: {e}")))
}
