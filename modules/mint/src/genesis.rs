//! mint genesis in the Cosmos SDK's JSON shape (`app_state.mint` as `simd export` writes it:
//! `minter` and `params`, decimals with 18 places, `blocks_per_year` as a string), plus
//! deai's own fields next to them:
//! - `emission_split`: the five basis-point shares (proto3 JSON of `deai.mint.v1.EmissionSplit`);
//! - `markets`: each market's lazy reward index and its recorded items (integers as strings);
//! - `authority`: who may change the params and the split (default: gov).
//!
//! Export → import → export is exact. Import checks the SDK's params and minter, the split
//! sum, each market's `total_weight` against its items, and that the mint module account
//! holds exactly the markets' unclaimed emission (so bank's genesis must be imported first).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use deai_auth::{AuthWrite, FEE_COLLECTOR, MINTER};
use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::dec::Dec;
use deai_framework::{authority, sdk, StateRead, StateWrite, TxError};

use crate::error::MintError;
use crate::index::{Item, MarketState};
use crate::keeper::{MintRead, MintWrite};
use crate::params::{EmissionSplit, Minter, Params};
use crate::{state_key, MARKETS, MODULE_ACCOUNT};

/// Most recorded items a market may hold in a genesis, or an export walks.
pub const MAX_GENESIS_ITEMS: usize = 100_000;

fn invalid(msg: impl Into<String>) -> TxError {
    MintError::InvalidGenesis(msg.into()).into()
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisJson {
    #[serde(default)]
    pub minter: Option<MinterJson>,
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emission_split: Option<SplitJson>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markets: Vec<MarketJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinterJson {
    pub inflation: String,
    pub annual_provisions: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsJson {
    pub mint_denom: String,
    pub inflation_rate_change: String,
    pub inflation_max: String,
    pub inflation_min: String,
    pub goal_bonded: String,
    pub blocks_per_year: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitJson {
    pub validators_bps: u32,
    pub training_bps: u32,
    pub inference_bps: u32,
    pub data_bps: u32,
    pub community_pool_bps: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketJson {
    pub market: String,
    pub denom: String,
    pub index: String,
    pub total_weight: String,
    pub cursor: String,
    pub unclaimed: String,
    #[serde(default)]
    pub items: Vec<ItemJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemJson {
    pub id: String,
    pub weight: String,
    pub last_index: String,
}

fn parse_dec(s: &str, what: &str) -> Result<Dec, TxError> {
    Dec::parse(s).map_err(|e| invalid(format!("{what}: {e}")))
}

fn parse_u64(s: &str, what: &str) -> Result<u64, TxError> {
    s.parse::<u64>()
        .map_err(|_| invalid(format!("{what}: invalid integer {s:?}")))
}

fn parse_u128(s: &str, what: &str) -> Result<u128, TxError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("{what}: invalid integer {s:?}")));
    }
    s.parse::<u128>()
        .map_err(|_| invalid(format!("{what}: invalid integer {s:?}")))
}

fn params_from_json(j: &ParamsJson) -> Result<Params, TxError> {
    let p = Params {
        mint_denom: j.mint_denom.clone(),
        inflation_rate_change: parse_dec(&j.inflation_rate_change, "inflation_rate_change")?,
        inflation_max: parse_dec(&j.inflation_max, "inflation_max")?,
        inflation_min: parse_dec(&j.inflation_min, "inflation_min")?,
        goal_bonded: parse_dec(&j.goal_bonded, "goal_bonded")?,
        blocks_per_year: parse_u64(&j.blocks_per_year, "blocks_per_year")?,
    };
    p.validate()?;
    Ok(p)
}

fn params_to_json(p: &Params) -> ParamsJson {
    ParamsJson {
        mint_denom: p.mint_denom.clone(),
        inflation_rate_change: p.inflation_rate_change.to_string(),
        inflation_max: p.inflation_max.to_string(),
        inflation_min: p.inflation_min.to_string(),
        goal_bonded: p.goal_bonded.to_string(),
        blocks_per_year: p.blocks_per_year.to_string(),
    }
}

fn split_from_json(j: &SplitJson) -> Result<EmissionSplit, TxError> {
    let s = EmissionSplit {
        validators_bps: j.validators_bps,
        training_bps: j.training_bps,
        inference_bps: j.inference_bps,
        data_bps: j.data_bps,
        community_pool_bps: j.community_pool_bps,
    };
    s.validate()?;
    Ok(s)
}

fn split_to_json(s: &EmissionSplit) -> SplitJson {
    SplitJson {
        validators_bps: s.validators_bps,
        training_bps: s.training_bps,
        inference_bps: s.inference_bps,
        data_bps: s.data_bps,
        community_pool_bps: s.community_pool_bps,
    }
}

fn market_from_json(state: &mut dyn StateWrite, j: &MarketJson) -> Result<MarketState, TxError> {
    if !MARKETS.contains(&j.market.as_str()) {
        return Err(invalid(format!("unknown market {:?}", j.market)));
    }
    let st = MarketState {
        market: j.market.clone(),
        index: parse_u128(&j.index, "index")?,
        total_weight: parse_u128(&j.total_weight, "total_weight")?,
        cursor: parse_u64(&j.cursor, "cursor")?,
        unclaimed: parse_u128(&j.unclaimed, "unclaimed")?,
        denom: j.denom.clone(),
    };
    if st.unclaimed > 0 {
        deai_framework::coins::validate_denom(&st.denom).map_err(|e| invalid(e.log))?;
    }
    if j.items.len() > MAX_GENESIS_ITEMS {
        return Err(invalid(format!(
            "{}: more than {MAX_GENESIS_ITEMS} items",
            j.market
        )));
    }
    let mut sum: u128 = 0;
    let mut last: Option<u64> = None;
    for i in &j.items {
        let item = Item {
            id: parse_u64(&i.id, "item id")?,
            weight: parse_u128(&i.weight, "item weight")?,
            last_index: parse_u128(&i.last_index, "item last_index")?,
        };
        if last.is_some_and(|l| l >= item.id) {
            return Err(invalid(format!(
                "{}: items not in ascending id order",
                j.market
            )));
        }
        if item.weight == 0 {
            return Err(invalid(format!(
                "{}: item {} has no weight",
                j.market, item.id
            )));
        }
        last = Some(item.id);
        sum = sum
            .checked_add(item.weight)
            .ok_or_else(|| invalid("item weights overflow"))?;
        state.put_index_item(&st.market, &item)?;
    }
    if sum != st.total_weight {
        return Err(invalid(format!(
            "{}: total_weight {} is not the sum of its items' weights {sum}",
            j.market, st.total_weight
        )));
    }
    if st.total_weight == 0 && st.unclaimed > 0 {
        return Err(invalid(format!(
            "{}: unclaimed emission without weight",
            j.market
        )));
    }
    state.put_market_state(&st)?;
    Ok(st)
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g: GenesisJson = if json.is_null() {
        GenesisJson::default()
    } else {
        serde_json::from_value(json.clone()).map_err(|e| invalid(e.to_string()))?
    };
    authority::init(state, &state_key::authority(), g.authority.as_deref())?;
    state.ensure_module_account_with(MODULE_ACCOUNT, &[MINTER])?;
    state.ensure_module_account_with(COMMUNITY_POOL, &[])?;
    state.ensure_module_account(FEE_COLLECTOR)?;
    let params = match &g.params {
        Some(p) => params_from_json(p)?,
        None => Params::default(),
    };
    state.set_mint_params(&params)?;
    let minter = match &g.minter {
        Some(m) => Minter {
            inflation: parse_dec(&m.inflation, "minter.inflation")?,
            annual_provisions: parse_dec(&m.annual_provisions, "minter.annual_provisions")?,
        },
        None => Minter::default(),
    };
    state.set_minter(&minter)?;
    let split = match &g.emission_split {
        Some(s) => split_from_json(s)?,
        None => EmissionSplit::default(),
    };
    state.set_emission_split(&split)?;
    let mut held: BTreeMap<String, u128> = BTreeMap::new();
    let mut seen: Vec<&str> = Vec::new();
    for m in &g.markets {
        if seen.contains(&m.market.as_str()) {
            return Err(invalid(format!("duplicate market {:?}", m.market)));
        }
        seen.push(&m.market);
        let st = market_from_json(state, m)?;
        if st.unclaimed > 0 {
            let e = held.entry(st.denom.clone()).or_default();
            *e = e
                .checked_add(st.unclaimed)
                .ok_or_else(|| invalid("unclaimed emission overflows"))?;
        }
    }
    held.entry(params.mint_denom.clone()).or_default();
    for (denom, want) in &held {
        let have = state.module_balance(MODULE_ACCOUNT, denom)?;
        if have != *want {
            return Err(invalid(format!(
                "the mint module account holds {have}{denom}, the markets' unclaimed emission is {want}{denom}"
            )));
        }
    }
    Ok(())
}

pub fn export_json(s: &dyn StateRead) -> Result<GenesisJson, TxError> {
    let params = s.mint_params()?;
    let minter = s.minter()?;
    let mut markets = Vec::new();
    for st in s.market_states(MARKETS.len() + 1)? {
        let items = s.index_items_from(&st.market, 0, MAX_GENESIS_ITEMS + 1)?;
        if items.len() > MAX_GENESIS_ITEMS {
            return Err(sdk::internal(format!(
                "{}: more than {MAX_GENESIS_ITEMS} emission items to export",
                st.market
            )));
        }
        markets.push(MarketJson {
            market: st.market.clone(),
            denom: st.denom.clone(),
            index: st.index.to_string(),
            total_weight: st.total_weight.to_string(),
            cursor: st.cursor.to_string(),
            unclaimed: st.unclaimed.to_string(),
            items: items
                .iter()
                .map(|i| ItemJson {
                    id: i.id.to_string(),
                    weight: i.weight.to_string(),
                    last_index: i.last_index.to_string(),
                })
                .collect(),
        });
    }
    Ok(GenesisJson {
        minter: Some(MinterJson {
            inflation: minter.inflation.to_string(),
            annual_provisions: minter.annual_provisions.to_string(),
        }),
        params: Some(params_to_json(&params)),
        emission_split: Some(split_to_json(&s.emission_split()?)),
        markets,
        authority: Some(authority::get(s, &state_key::authority())?.to_bech32()),
    })
}

pub fn export(s: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    serde_json::to_value(export_json(s)?)
        .map_err(|e| sdk::internal(format!("mint genesis export: {e}")))
}
