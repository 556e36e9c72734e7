//! data genesis: `app_state.data` is the proto3 JSON of `deai.data.v1.GenesisState`, read
//! and written through deai-proto's descriptors, so export → import → export is exact.
//!
//! Import creates the module account (minter and burner: datatokens are minted on purchase
//! and burned on redemption) and checks that it holds exactly what the records escrow (bank's
//! genesis, which runs first, funds it). The emission parts of pool balances (`emission`,
//! see `emission.rs`) travel too, each of a known pool; they hold no coin of their own.

use deai_auth::{AuthWrite, BURNER, MINTER};
use deai_bank::COMMUNITY_POOL;
use deai_framework::genesis::Held;
use deai_framework::{records, Address, Coin, StateRead, StateWrite, TxError};
use deai_proto::data::v1 as pb;

use crate::datasets::{check_access, check_hash, check_metadata, check_price, check_uri, denom};
use crate::error::DataError;
use crate::keeper::{DataRead, DataWrite};
use crate::msgs::{check_pool, settle_height};
use crate::params::Params;
use crate::params::{
    MAX_CONTRIBUTIONS_PER_EPOCH_CAP, MAX_METADATA_BYTES_CAP, MAX_POOL_VALIDATORS_CAP, MAX_SCORE,
};
use crate::{state_key, MODULE_ACCOUNT, MODULE_NAME};

/// The counters, in the order of the genesis fields next_dataset_id, next_grant_id,
/// next_pool_id, next_contribution_id.
pub const SEQUENCES: [&str; 4] = ["dataset", "grant", "pool", "contribution"];

fn invalid(msg: impl Into<String>) -> TxError {
    DataError::InvalidGenesis(msg.into()).into()
}

/// Parses `app_state.data`; `{}` or null is the default genesis.
pub fn import_proto(json: &serde_json::Value) -> Result<pb::GenesisState, TxError> {
    deai_framework::genesis::from_json(json, invalid)
}

/// The proto3 JSON of a genesis state.
pub fn export_proto(g: &pb::GenesisState) -> Result<serde_json::Value, TxError> {
    deai_framework::genesis::to_json(g)
}

/// A coin field a record must have; 0 allowed (a spent deposit, a free price).
fn coin(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> Result<Coin, TxError> {
    deai_framework::genesis::required_coin(c, what, invalid)
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g = import_proto(json)?;
    let params = deai_framework::genesis::params(&g.params, Params::from_proto)?;
    state.set_data_params(&params)?;
    deai_framework::authority::init_proto(state, &state_key::authority(), &g.authority)?;
    let module = state.ensure_module_account_with(MODULE_ACCOUNT, &[MINTER, BURNER])?;
    // The take rate (and the publish market's fee, by default) goes there.
    state.ensure_module_account_with(COMMUNITY_POOL, &[])?;
    let denom_of_bond = params.bond_denom().to_string();
    let mut held = Held::default();
    let mut add = |c: Coin, what: &str| -> Result<(), TxError> {
        if c.denom != denom_of_bond {
            return Err(invalid(format!("{what} is not in {denom_of_bond}")));
        }
        held.add(&c)
    };

    let next_dataset = g.next_dataset_id.max(1);
    for d in &g.datasets {
        let bad = |why: String| invalid(format!("dataset {}: {why}", d.id));
        if d.id == 0 || d.id >= next_dataset || state.get_dataset(d.id)?.is_some() {
            return Err(bad("bad id or duplicate".into()));
        }
        Address::from_bech32(&d.publisher)?;
        check_hash("content_sha256", &d.content_sha256).map_err(|e| bad(e.to_string()))?;
        // Checked against the widest bound: the params may have shrunk since publication.
        check_metadata(&d.metadata, MAX_METADATA_BYTES_CAP).map_err(|e| bad(e.to_string()))?;
        check_price(&params, &coin(&d.price, "price")?).map_err(|e| bad(e.to_string()))?;
        check_access(d.access).map_err(|e| bad(e.to_string()))?;
        let provider = d
            .provider
            .as_ref()
            .ok_or_else(|| bad("no provider".into()))?;
        Address::from_bech32(&provider.address)?;
        if d.access == pb::Access::ComputeToData as i32 && provider.address != d.publisher {
            return Err(bad(
                "a compute-to-data dataset's provider must be its publisher".into(),
            ));
        }
        check_uri(&provider.host_uri).map_err(|e| bad(e.to_string()))?;
        if d.size == 0 || d.denom != denom(d.id) {
            return Err(bad("size or denom".into()));
        }
        let deposit = coin(&d.deposit, "deposit")?;
        // Even a spent deposit keeps the bond denom: refunds compare it with grant prices.
        if deposit.denom != params.bond_denom() {
            return Err(bad("deposit is not in the bond denom".into()));
        }
        if deposit.amount > 0 {
            add(deposit, "deposit")?;
        }
        state.put_dataset(d)?;
    }

    for x in &g.dispensed {
        let who = Address::from_bech32(&x.address)?;
        if state.get_dataset(x.dataset_id)?.is_none()
            || x.count == 0
            || state.dispensed(x.dataset_id, &who)? != 0
        {
            return Err(invalid(format!("dispensed of dataset {}", x.dataset_id)));
        }
        state.set_dispensed(x.dataset_id, &who, x.count)?;
    }

    let next_grant = g.next_grant_id.max(1);
    for x in &g.grants {
        let bad = || invalid(format!("grant {}", x.id));
        let d = state.get_dataset(x.dataset_id)?.ok_or_else(bad)?;
        Address::from_bech32(&x.grantee)?;
        let price = coin(&x.price, "grant price")?;
        let encrypted = d.access == pb::Access::Encrypted as i32;
        if x.id == 0
            || x.id >= next_grant
            || state.get_grant(x.id)?.is_some()
            || price.denom != params.bond_denom()
            || encrypted != (x.delivery_deadline > 0)
            || (x.delivered_at > 0 && (x.refunded || x.wrapped_key.is_empty()))
        {
            return Err(bad());
        }
        state.put_grant(x)?;
    }

    import_pools(state, &params, &g, &mut add)?;
    crate::emission::import(state, &g.emission, invalid)?;

    let next = [
        g.next_dataset_id,
        g.next_grant_id,
        g.next_pool_id,
        g.next_contribution_id,
    ];
    for (name, v) in SEQUENCES.iter().zip(next) {
        state.set_sequence(name, v)?;
    }
    deai_bank::check_module_holds(
        state,
        MODULE_ACCOUNT,
        &module.address,
        &held,
        "deposits, pool balances, contribution stakes and validator bonds",
        invalid,
    )
}

/// Pools (with the settlement schedule of those not closed), validator bonds, contributions
/// (with the content and epoch indexes and the current epochs' counts) and scores. A closed
/// pool holds nothing: no balance, no bond, no unsettled contribution.
fn import_pools(
    state: &mut dyn StateWrite,
    params: &Params,
    g: &pb::GenesisState,
    add: &mut dyn FnMut(Coin, &str) -> Result<(), TxError>,
) -> Result<(), TxError> {
    // Terms are checked against the widest bounds: the params may have shrunk since.
    let wide = Params {
        max_pool_validators: MAX_POOL_VALIDATORS_CAP,
        ..params.clone()
    };
    let next_pool = g.next_pool_id.max(1);
    for p in &g.pools {
        let bad = || invalid(format!("pool {}", p.id));
        if p.id == 0 || p.id >= next_pool || state.get_pool(p.id)?.is_some() {
            return Err(bad());
        }
        Address::from_bech32(&p.owner)?;
        check_pool(&wide, p, MAX_METADATA_BYTES_CAP)?;
        let status = pb::PoolStatus::try_from(p.status).map_err(|_| bad())?;
        let closed = status == pb::PoolStatus::Closed;
        let balance = coin(&p.balance, "pool balance")?;
        // A closed pool paid everything out and is settled no more.
        if closed != (p.closed_at > 0) || (closed && balance.amount > 0) {
            return Err(bad());
        }
        if balance.amount > 0 {
            add(balance, "pool balance")?;
        }
        state.put_pool(p)?;
        if !closed {
            state.schedule_pool(settle_height(p.epoch_start, p.epoch_length)?, p.id)?;
        }
    }
    for v in &g.pool_validators {
        let bad = || invalid(format!("validator {} of pool {}", v.address, v.pool_id));
        let p = state.get_pool(v.pool_id)?.ok_or_else(bad)?;
        let who = Address::from_bech32(&v.address)?;
        if !p.validators.contains(&v.address) || state.get_pool_validator(p.id, &who)?.is_some() {
            return Err(bad());
        }
        let stake = coin(&v.stake, "validator bond")?;
        if is_closed(&p) && stake.amount > 0 {
            return Err(bad());
        }
        if stake.amount > 0 {
            add(stake, "validator bond")?;
        }
        state.put_pool_validator(v)?;
    }
    let next_contribution = g.next_contribution_id.max(1);
    for c in &g.contributions {
        let bad = || invalid(format!("contribution {}", c.id));
        let p = state.get_pool(c.pool_id)?.ok_or_else(bad)?;
        Address::from_bech32(&c.contributor)?;
        check_hash("content_sha256", &c.content_sha256).map_err(|_| bad())?;
        check_uri(&c.uri).map_err(|_| bad())?;
        let current = !c.settled && c.epoch == p.epoch;
        if c.id == 0
            || c.id >= next_contribution
            || state.get_contribution(c.id)?.is_some()
            || state.content_owner(&c.content_sha256)?.is_some()
            || c.epoch > p.epoch
            || (!c.settled && (!current || is_closed(&p)))
        {
            return Err(bad());
        }
        let stake = coin(&c.stake, "contribution stake")?;
        if current {
            let n = state.epoch_count(p.id)?.saturating_add(1);
            if n > u64::from(MAX_CONTRIBUTIONS_PER_EPOCH_CAP) {
                return Err(bad());
            }
            state.set_epoch_count(p.id, n)?;
            add(stake, "contribution stake")?;
        }
        state.put_contribution(c)?;
    }
    for sc in &g.scores {
        let bad = || invalid(format!("score of contribution {}", sc.contribution_id));
        let c = state
            .get_contribution(sc.contribution_id)?
            .ok_or_else(bad)?;
        let p = state.get_pool(c.pool_id)?.ok_or_else(bad)?;
        let who = Address::from_bech32(&sc.validator)?;
        if !p.validators.contains(&sc.validator)
            || sc.score_u16 > MAX_SCORE
            || state.get_score(c.id, &who)?.is_some()
        {
            return Err(bad());
        }
        state.put_score(sc)?;
    }
    Ok(())
}

fn is_closed(p: &pb::Pool) -> bool {
    p.status == pb::PoolStatus::Closed as i32
}

fn all<M: prost::Message + Default>(
    state: &dyn StateRead,
    prefix: Vec<u8>,
) -> Result<Vec<M>, TxError> {
    records::all_under(MODULE_NAME, state, &prefix, usize::MAX)
}

pub fn export(state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let authority = deai_framework::authority::get(state, &state_key::authority())?;
    let g = pb::GenesisState {
        params: Some(state.data_params()?.to_proto()),
        authority: authority.to_bech32(),
        datasets: all(state, state_key::datasets())?,
        dispensed: all(state, state_key::all_dispensed())?,
        grants: all(state, state_key::grants())?,
        pools: all(state, state_key::pools())?,
        pool_validators: all(state, state_key::all_pool_validators())?,
        contributions: all(state, state_key::contributions())?,
        scores: all(state, state_key::all_scores())?,
        next_dataset_id: state.sequence(SEQUENCES[0])?,
        next_grant_id: state.sequence(SEQUENCES[1])?,
        next_pool_id: state.sequence(SEQUENCES[2])?,
        next_contribution_id: state.sequence(SEQUENCES[3])?,
        emission: crate::emission::export(state)?,
    };
    export_proto(&g)
}
