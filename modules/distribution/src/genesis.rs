//! distribution genesis in the Cosmos SDK's JSON shape (`app_state.distribution` as
//! `simd export` writes it: proto field names, 64-bit integers as strings, decimals with 18
//! places), so export → import → export is exact, F1 accumulators included.
//!
//! Two deai specifics: `fee_pool.community_pool` holds only the community pool's decimal dust
//! (its whole coins are the `community_pool` account's balance, in bank's genesis); and a
//! genesis with no validator records bootstraps them from staking's genesis, as the SDK's
//! staking InitGenesis calls the hooks when not `exported` (so staking's genesis must be
//! imported before this one). Import checks that the distribution account holds exactly the
//! outstanding rewards plus the dust.

use serde::{Deserialize, Serialize};

use deai_auth::AuthWrite;
use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::dec::Dec;
use deai_framework::{authority, records, Address, StateRead, StateWrite, TxError};
use deai_staking::address::{
    cons_from_bech32, cons_to_bech32, stored_val, val_from_bech32, val_to_bech32,
};
use deai_staking::StakingRead;

use crate::deccoins::{DecCoinJson, DecCoins};
use crate::error::DistributionError;
use crate::keeper::{Current, DistributionRead, DistributionWrite, Historical, StartingInfo};
use crate::params::Params;
use crate::{rewards, state_key, MODULE_ACCOUNT, MODULE_NAME};

/// Most records of each kind a genesis may hold or an export walks.
pub const MAX_GENESIS_RECORDS: usize = 1_000_000;

fn invalid(msg: impl Into<String>) -> TxError {
    DistributionError::InvalidGenesis(msg.into()).into()
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisJson {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub fee_pool: Option<FeePoolJson>,
    #[serde(default)]
    pub delegator_withdraw_infos: Vec<WithdrawInfoJson>,
    #[serde(default)]
    pub previous_proposer: String,
    #[serde(default)]
    pub outstanding_rewards: Vec<OutstandingJson>,
    #[serde(default)]
    pub validator_accumulated_commissions: Vec<CommissionRecordJson>,
    #[serde(default)]
    pub validator_historical_rewards: Vec<HistoricalRecordJson>,
    #[serde(default)]
    pub validator_current_rewards: Vec<CurrentRecordJson>,
    #[serde(default)]
    pub delegator_starting_infos: Vec<StartingRecordJson>,
    #[serde(default)]
    pub validator_slash_events: Vec<SlashRecordJson>,
    /// Who may change the params and spend the pool (deai's extension); default: gov.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsJson {
    pub community_tax: String,
    pub base_proposer_reward: String,
    pub bonus_proposer_reward: String,
    pub withdraw_addr_enabled: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeePoolJson {
    pub community_pool: Vec<DecCoinJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInfoJson {
    pub delegator_address: String,
    pub withdraw_address: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutstandingJson {
    pub validator_address: String,
    pub outstanding_rewards: Vec<DecCoinJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionRecordJson {
    pub validator_address: String,
    pub accumulated: CommissionJson,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionJson {
    pub commission: Vec<DecCoinJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoricalRecordJson {
    pub validator_address: String,
    pub period: String,
    pub rewards: HistoricalJson,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoricalJson {
    pub cumulative_reward_ratio: Vec<DecCoinJson>,
    pub reference_count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrentRecordJson {
    pub validator_address: String,
    pub rewards: CurrentJson,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrentJson {
    pub rewards: Vec<DecCoinJson>,
    pub period: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartingRecordJson {
    pub delegator_address: String,
    pub validator_address: String,
    pub starting_info: StartingJson,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartingJson {
    pub previous_period: String,
    pub stake: String,
    pub height: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashRecordJson {
    pub validator_address: String,
    pub height: String,
    pub period: String,
    pub validator_slash_event: SlashJson,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashJson {
    pub validator_period: String,
    pub fraction: String,
}

fn u64_of(s: &str, what: &str) -> Result<u64, TxError> {
    s.parse()
        .map_err(|_| invalid(format!("{what}: invalid integer {s:?}")))
}

fn dec_of(s: &str, what: &str) -> Result<Dec, TxError> {
    Dec::parse(s).map_err(|e| invalid(format!("{what}: {e}")))
}

fn coins_of(c: &[DecCoinJson], what: &str) -> Result<DecCoins, TxError> {
    DecCoins::from_json(c).map_err(|e| invalid(format!("{what}: {e}")))
}

fn val_of(s: &str) -> Result<Address, TxError> {
    val_from_bech32(s).map_err(|e| invalid(e.log))
}

fn acc_of(s: &str) -> Result<Address, TxError> {
    Address::from_bech32(s).map_err(|e| invalid(e.log))
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g: GenesisJson = if json.is_null() {
        GenesisJson::default()
    } else {
        serde_json::from_value(json.clone()).map_err(|e| invalid(format!("cannot parse: {e}")))?
    };
    let params = match &g.params {
        Some(p) => Params::from_json_fields(
            &p.community_tax,
            &p.base_proposer_reward,
            &p.bonus_proposer_reward,
            p.withdraw_addr_enabled,
        )
        .map_err(|e| invalid(e.0))?,
        None => Params::default(),
    };
    state.set_distribution_params(&params)?;
    authority::init(state, &state_key::authority(), g.authority.as_deref())?;
    state.ensure_module_account_with(MODULE_ACCOUNT, &[])?;
    state.ensure_module_account_with(COMMUNITY_POOL, &[])?;
    let dust = coins_of(
        &g.fee_pool.clone().unwrap_or_default().community_pool,
        "fee_pool",
    )?;
    state.set_pool_dust(&dust)?;
    if !g.previous_proposer.is_empty() {
        let cons = cons_from_bech32(&g.previous_proposer).map_err(|e| invalid(e.log))?;
        state.set_previous_proposer(cons.as_bytes())?;
    }
    for w in &g.delegator_withdraw_infos {
        state.set_withdraw_addr(
            &acc_of(&w.delegator_address)?,
            &acc_of(&w.withdraw_address)?,
        )?;
    }
    let mut held = dust;
    for o in &g.outstanding_rewards {
        let r = coins_of(&o.outstanding_rewards, "outstanding rewards")?;
        held.add(&r).map_err(|e| invalid(e.log))?;
        state.set_outstanding(&val_of(&o.validator_address)?, &r)?;
    }
    for c in &g.validator_accumulated_commissions {
        let r = coins_of(&c.accumulated.commission, "commission")?;
        state.set_accumulated_commission(&val_of(&c.validator_address)?, &r)?;
    }
    for h in &g.validator_historical_rewards {
        let r = Historical {
            ratio: coins_of(&h.rewards.cumulative_reward_ratio, "historical rewards")?,
            reference_count: h.rewards.reference_count,
        };
        let period = u64_of(&h.period, "period")?;
        state.set_historical(&val_of(&h.validator_address)?, period, &r)?;
    }
    for c in &g.validator_current_rewards {
        let r = Current {
            rewards: coins_of(&c.rewards.rewards, "current rewards")?,
            period: u64_of(&c.rewards.period, "period")?,
        };
        state.set_current(&val_of(&c.validator_address)?, &r)?;
    }
    for s in &g.delegator_starting_infos {
        let i = StartingInfo {
            previous_period: u64_of(&s.starting_info.previous_period, "previous period")?,
            stake: dec_of(&s.starting_info.stake, "stake")?,
            height: u64_of(&s.starting_info.height, "height")?,
        };
        let (val, del) = (val_of(&s.validator_address)?, acc_of(&s.delegator_address)?);
        state.set_starting_info(&val, &del, &i)?;
    }
    for e in &g.validator_slash_events {
        let val = val_of(&e.validator_address)?;
        let period = u64_of(&e.period, "period")?;
        if u64_of(
            &e.validator_slash_event.validator_period,
            "validator period",
        )? != period
        {
            return Err(invalid("slash event period differs from its key"));
        }
        let fraction = dec_of(&e.validator_slash_event.fraction, "slash fraction")?;
        if fraction > Dec::ONE {
            return Err(invalid("slash fraction above one"));
        }
        state.set_slash_event(&val, u64_of(&e.height, "height")?, period, fraction)?;
    }
    let no_records = g.outstanding_rewards.is_empty()
        && g.validator_current_rewards.is_empty()
        && g.validator_historical_rewards.is_empty()
        && g.delegator_starting_infos.is_empty();
    if no_records {
        bootstrap_from_staking(state)?;
    }
    check_holdings(&*state, &held)
}

/// The SDK's staking InitGenesis hooks (not `exported`): every validator initialized, every
/// delegation started at height 0.
fn bootstrap_from_staking(state: &mut dyn StateWrite) -> Result<(), TxError> {
    let mut scratch = Vec::new();
    for v in state.all_validators(MAX_GENESIS_RECORDS)? {
        rewards::initialize_validator(state, &stored_val(&v.operator_address)?)?;
    }
    for d in state.all_delegations(MAX_GENESIS_RECORDS)? {
        let val = stored_val(&d.validator_address)?;
        let del = records::stored_addr(&d.delegator_address)?;
        rewards::increment_period(state, &val, &mut scratch)?;
        rewards::initialize_delegation(state, &val, &del, 0)?;
    }
    Ok(())
}

/// The distribution account must hold exactly the outstanding rewards plus the dust.
fn check_holdings(state: &dyn StateRead, held: &DecCoins) -> Result<(), TxError> {
    let bal = state.balances(
        &Address::module(MODULE_ACCOUNT),
        deai_framework::coins::MAX_COINS_PER_SET,
    )?;
    let have = DecCoins::from_coins(&bal).map_err(|e| invalid(e.log))?;
    if &have != held {
        return Err(invalid(format!(
            "distribution account holds {have}, but outstanding rewards and dust are {held}"
        )));
    }
    Ok(())
}

fn rows(s: &dyn StateRead, prefix: &[u8]) -> Result<Vec<deai_framework::state::KvPair>, TxError> {
    let end = deai_framework::keys::prefix_end(prefix);
    let r = s.scan(prefix, end.as_deref(), false, MAX_GENESIS_RECORDS + 1)?;
    if r.len() > MAX_GENESIS_RECORDS {
        return Err(deai_framework::sdk::internal(
            "too many distribution records to export",
        ));
    }
    Ok(r)
}

fn key_parts(
    k: &[u8],
    prefix: &[u8],
    n_addrs: usize,
    n_ints: usize,
) -> Result<(Vec<Address>, Vec<u64>), TxError> {
    state_key::parse(&k[prefix.len()..], n_addrs, n_ints)
        .ok_or_else(|| deai_framework::sdk::internal("corrupt distribution key"))
}

pub fn export_json(s: &dyn StateRead) -> Result<GenesisJson, TxError> {
    use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;
    let p = s.distribution_params()?;
    let dec = |c: &DecCoins| c.to_json();
    let mut g = GenesisJson {
        params: Some(ParamsJson {
            community_tax: p.community_tax.to_string(),
            base_proposer_reward: p.base_proposer_reward.to_string(),
            bonus_proposer_reward: p.bonus_proposer_reward.to_string(),
            withdraw_addr_enabled: p.withdraw_addr_enabled,
        }),
        fee_pool: Some(FeePoolJson {
            community_pool: dec(&s.pool_dust()?),
        }),
        authority: Some(authority::get(s, &state_key::authority())?.to_bech32()),
        ..Default::default()
    };
    let proposer = s.previous_proposer()?;
    if !proposer.is_empty() {
        g.previous_proposer = cons_to_bech32(&Address::from_bytes(&proposer)?);
    }
    let prefix = state_key::withdraw_addrs();
    for (k, v) in rows(s, &prefix)? {
        let (a, _) = key_parts(&k, &prefix, 1, 0)?;
        g.delegator_withdraw_infos.push(WithdrawInfoJson {
            delegator_address: a[0].to_bech32(),
            withdraw_address: Address::from_bytes(&v)?.to_bech32(),
        });
    }
    let prefix = state_key::all_outstanding();
    for (k, _) in rows(s, &prefix)? {
        let (a, _) = key_parts(&k, &prefix, 1, 0)?;
        g.outstanding_rewards.push(OutstandingJson {
            validator_address: val_to_bech32(&a[0]),
            outstanding_rewards: dec(&s.outstanding(&a[0])?.unwrap_or_default()),
        });
    }
    let prefix = state_key::all_commission();
    for (k, _) in rows(s, &prefix)? {
        let (a, _) = key_parts(&k, &prefix, 1, 0)?;
        g.validator_accumulated_commissions
            .push(CommissionRecordJson {
                validator_address: val_to_bech32(&a[0]),
                accumulated: CommissionJson {
                    commission: dec(&s.accumulated_commission(&a[0])?),
                },
            });
    }
    let prefix = state_key::all_historical();
    for (k, v) in rows(s, &prefix)? {
        let (a, i) = key_parts(&k, &prefix, 1, 1)?;
        let h = Historical::from_stored(&records::decode::<pb::ValidatorHistoricalRewards>(
            MODULE_NAME,
            &v,
        )?)?;
        g.validator_historical_rewards.push(HistoricalRecordJson {
            validator_address: val_to_bech32(&a[0]),
            period: i[0].to_string(),
            rewards: HistoricalJson {
                cumulative_reward_ratio: dec(&h.ratio),
                reference_count: h.reference_count,
            },
        });
    }
    let prefix = state_key::all_current();
    for (k, _) in rows(s, &prefix)? {
        let (a, _) = key_parts(&k, &prefix, 1, 0)?;
        let c = s.must_current(&a[0])?;
        g.validator_current_rewards.push(CurrentRecordJson {
            validator_address: val_to_bech32(&a[0]),
            rewards: CurrentJson {
                rewards: dec(&c.rewards),
                period: c.period.to_string(),
            },
        });
    }
    let prefix = state_key::all_starting();
    for (k, v) in rows(s, &prefix)? {
        let (a, _) = key_parts(&k, &prefix, 2, 0)?;
        let i = StartingInfo::from_stored(&records::decode::<pb::DelegatorStartingInfo>(
            MODULE_NAME,
            &v,
        )?)?;
        g.delegator_starting_infos.push(StartingRecordJson {
            delegator_address: a[1].to_bech32(),
            validator_address: val_to_bech32(&a[0]),
            starting_info: StartingJson {
                previous_period: i.previous_period.to_string(),
                stake: i.stake.to_string(),
                height: i.height.to_string(),
            },
        });
    }
    let prefix = state_key::all_slash_events();
    for (k, v) in rows(s, &prefix)? {
        let (a, i) = key_parts(&k, &prefix, 1, 2)?;
        let e: pb::ValidatorSlashEvent = records::decode(MODULE_NAME, &v)?;
        let fraction = crate::deccoins::dec_from_stored(&e.fraction, "slash fraction")?;
        g.validator_slash_events.push(SlashRecordJson {
            validator_address: val_to_bech32(&a[0]),
            height: i[0].to_string(),
            period: i[1].to_string(),
            validator_slash_event: SlashJson {
                validator_period: e.validator_period.to_string(),
                fraction: fraction.to_string(),
            },
        });
    }
    Ok(g)
}

pub fn export(s: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    serde_json::to_value(export_json(s)?)
        .map_err(|e| deai_framework::sdk::internal(format!("cannot write genesis: {e}")))
}
