//! training genesis: `app_state.training` is the proto3 JSON of
//! `deai.training.v1.GenesisState`, read and written through deai-proto's descriptors, so
//! export → import → export is exact.
//!
//! Import checks every record, rebuilds the schedule (each active task's epoch, each closed
//! round's base deadline), and checks that the module account holds exactly Σ task pools +
//! Σ neuron stakes + Σ unbonding entries + Σ bonds of pending audits (bank's genesis, which
//! runs first, funds it). The emission parts of task pools (`emission`, see `emission.rs`)
//! travel too, each of a known task; they hold no coin of their own (the pools do).

use std::collections::{BTreeMap, BTreeSet};

use deai_auth::AuthWrite;
use deai_framework::genesis::Held;
use deai_framework::records;
use deai_framework::{Address, Coin, StateRead, StateWrite, TxError};
use deai_proto::training::v1 as pb;

use crate::error::TrainingError;
use crate::keeper::{TrainingRead, TrainingWrite, KIND_BASE_DEADLINE, KIND_EPOCH};
use crate::params::{Params, MAX_NEURONS_CAP, MAX_SPEC_BYTES_CAP};
use crate::{phases, spec, state_key, MODULE_ACCOUNT, MODULE_NAME};

/// The counters, in the order of the genesis fields next_task_id, next_audit_id,
/// next_unbonding_id.
const SEQUENCES: [&str; 3] = ["task", "audit", "unbonding"];

fn invalid(msg: impl Into<String>) -> TxError {
    TrainingError::InvalidGenesis(msg.into()).into()
}

/// Parses `app_state.training`; `{}` or null is the default genesis.
pub fn import_proto(json: &serde_json::Value) -> Result<pb::GenesisState, TxError> {
    deai_framework::genesis::from_json(json, invalid)
}

/// The proto3 JSON of a genesis state.
pub fn export_proto(g: &pb::GenesisState) -> Result<serde_json::Value, TxError> {
    deai_framework::genesis::to_json(g)
}

fn coin(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> Result<Coin, TxError> {
    deai_framework::genesis::required_coin(c, what, invalid)
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g = import_proto(json)?;
    let params = deai_framework::genesis::params(&g.params, Params::from_proto)?;
    state.set_training_params(&params)?;
    deai_framework::authority::init_proto(state, &state_key::authority(), &g.authority)?;
    let module = state.ensure_module_account_with(MODULE_ACCOUNT, &[])?;
    let denom = params.bond_denom().to_string();
    let mut held = Held::default();
    let mut add = |c: Coin, what: &str| -> Result<(), TxError> {
        if c.denom != denom {
            return Err(invalid(format!("{what} is not in {denom}")));
        }
        held.add(&c)
    };

    // A task's spec is checked against the widest params: the params may have changed
    // since it was created.
    let wide = Params {
        min_tempo: 6,
        max_tempo: u64::MAX,
        max_neurons_limit: MAX_NEURONS_CAP,
        max_spec_bytes: MAX_SPEC_BYTES_CAP,
        ..params.clone()
    };
    let next_task = g.next_task_id.max(1);
    for t in &g.tasks {
        let bad = |why: &str| invalid(format!("task {}: {why}", t.id));
        let known = pb::TaskState::try_from(t.state).is_ok_and(|s| s != pb::TaskState::Unspecified);
        if t.id == 0 || t.id >= next_task || !known || state.get_task(t.id)?.is_some() {
            return Err(bad("bad id, state or duplicate"));
        }
        Address::from_bech32(&t.creator)?;
        let s = t.spec.as_ref().ok_or_else(|| bad("no spec"))?;
        spec::validate_spec(&wide, s).map_err(|e| bad(&e.to_string()))?;
        if t.seed.len() != 32 || t.lineage_head.len() != 32 {
            return Err(bad("seed and lineage_head must be 32 bytes"));
        }
        add(coin(&t.pool, "task pool")?, "task pool")?;
        state.put_task(t)?;
    }

    let mut counts: BTreeMap<u64, u32> = BTreeMap::new();
    for n in &g.neurons {
        let bad = || invalid(format!("neuron {} of task {}", n.uid, n.task_id));
        let t = state.get_task(n.task_id)?.ok_or_else(bad)?;
        let max = t.spec.as_ref().map_or(0, |s| s.max_neurons);
        let owner = Address::from_bech32(&n.owner)?;
        let role_ok = matches!(
            pb::Role::try_from(n.role),
            Ok(pb::Role::Trainer | pb::Role::Validator)
        );
        if n.uid >= max
            || !role_ok
            || state.get_neuron(n.task_id, n.uid)?.is_some()
            || state.uid_of(n.task_id, &owner)?.is_some()
        {
            return Err(bad());
        }
        add(coin(&n.stake, "neuron stake")?, "neuron stake")?;
        *counts.entry(n.task_id).or_insert(0) += 1;
        state.put_neuron(n)?;
    }
    for t in &g.tasks {
        if t.neuron_count != counts.get(&t.id).copied().unwrap_or(0) {
            return Err(invalid(format!("task {}: neuron_count", t.id)));
        }
    }

    let next_unbonding = g.next_unbonding_id.max(1);
    for e in &g.unbonding {
        Address::from_bech32(&e.owner)?;
        if e.id == 0
            || e.id >= next_unbonding
            || state.get_unbonding(e.id)?.is_some()
            || state.get_task(e.task_id)?.is_none()
        {
            return Err(invalid(format!("unbonding {}", e.id)));
        }
        add(coin(&e.amount, "unbonding amount")?, "unbonding amount")?;
        state.put_unbonding(e)?;
    }

    import_rounds(state, &g)?;

    let next_audit = g.next_audit_id.max(1);
    for a in &g.audits {
        let bad = || invalid(format!("audit {}", a.id));
        let st = pb::AuditState::try_from(a.state).ok();
        let target_ok = matches!(
            pb::AuditTarget::try_from(a.target),
            Ok(pb::AuditTarget::Update | pb::AuditTarget::Aggregate)
        );
        if a.id == 0
            || a.id >= next_audit
            || st.is_none_or(|s| s == pb::AuditState::Unspecified)
            || !target_ok
            || state.get_audit(a.id)?.is_some()
            || state.get_task(a.task_id)?.is_none()
        {
            return Err(bad());
        }
        Address::from_bech32(&a.auditor)?;
        Address::from_bech32(&a.accused)?;
        if st == Some(pb::AuditState::Pending) {
            Address::from_bech32(&a.referee)?;
            add(coin(&a.bond, "audit bond")?, "audit bond")?;
        }
        state.put_audit(a)?;
    }

    crate::emission::import(state, &g.emission, invalid)?;

    let next = [g.next_task_id, g.next_audit_id, g.next_unbonding_id];
    for (name, v) in SEQUENCES.iter().zip(next) {
        state.set_sequence(name, v)?;
    }
    deai_bank::check_module_holds(
        state,
        MODULE_ACCOUNT,
        &module.address,
        &held,
        "pools, stakes, unbonding and audit bonds",
        invalid,
    )
}

/// Rounds, updates, weights, epochs and bonds; rebuilds the schedule.
fn import_rounds(state: &mut dyn StateWrite, g: &pb::GenesisState) -> Result<(), TxError> {
    let mut seen = BTreeSet::new();
    for r in &g.rounds {
        let t = state
            .get_task(r.task_id)?
            .ok_or_else(|| invalid(format!("round of unknown task {}", r.task_id)))?;
        if r.round > t.round || !seen.insert((r.task_id, r.round)) {
            return Err(invalid(format!("round {} of task {}", r.round, r.task_id)));
        }
        state.put_round(r)?;
        let spec = t.spec.clone().unwrap_or_default();
        if r.closed && r.lineage.is_empty() {
            let (_, closes) = phases::aggregate_window(&spec, r.closed_at);
            state.schedule(closes.saturating_sub(1), t.id, KIND_BASE_DEADLINE, r.round)?;
        }
    }
    for t in &g.tasks {
        let current = state.get_round(t.id, t.round)?;
        let Some(current) = current else {
            return Err(invalid(format!("task {}: no current round", t.id)));
        };
        if t.state == pb::TaskState::Active as i32 {
            if current.closed {
                return Err(invalid(format!("task {}: current round closed", t.id)));
            }
            let spec = t.spec.clone().unwrap_or_default();
            state.schedule(
                phases::epoch_height(&spec, t.round_start),
                t.id,
                KIND_EPOCH,
                t.round,
            )?;
        }
    }
    let in_range = |state: &dyn StateWrite, task: u64, uid: u32| -> Result<bool, TxError> {
        Ok(state
            .get_task(task)?
            .is_some_and(|t| uid < t.spec.as_ref().map_or(0, |s| s.max_neurons)))
    };
    for u in &g.updates {
        if !seen.contains(&(u.task_id, u.round)) || !in_range(state, u.task_id, u.uid)? {
            return Err(invalid(format!(
                "update of uid {} round {}",
                u.uid, u.round
            )));
        }
        state.put_update(u)?;
    }
    for w in &g.weights {
        if !seen.contains(&(w.task_id, w.round))
            || !in_range(state, w.task_id, w.uid)?
            || w.uids.len() != w.values.len()
        {
            return Err(invalid(format!(
                "weights of uid {} round {}",
                w.uid, w.round
            )));
        }
        state.put_weights(w)?;
    }
    for e in &g.epochs {
        if !seen.contains(&(e.task_id, e.round)) {
            return Err(invalid(format!("epoch of round {}", e.round)));
        }
        state.put_epoch(e)?;
    }
    for b in &g.bonds {
        if !in_range(state, b.task_id, b.uid)? || b.bonds.len() > MAX_NEURONS_CAP as usize {
            return Err(invalid(format!("bonds of uid {}", b.uid)));
        }
        state.put_bond(b)?;
    }
    Ok(())
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
        params: Some(state.training_params()?.to_proto()),
        authority: authority.to_bech32(),
        tasks: all::<pb::Task>(state, state_key::tasks())?
            .into_iter()
            .map(|t| state.with_spec(t))
            .collect::<Result<_, _>>()?,
        neurons: all(state, state_key::all_neurons())?,
        unbonding: all(state, state_key::all_unbonding())?,
        rounds: all(state, state_key::all_rounds())?,
        updates: all(state, state_key::all_updates())?,
        weights: all(state, state_key::all_weights())?,
        epochs: all(state, state_key::all_epochs())?,
        bonds: all(state, state_key::all_bonds())?,
        audits: all(state, state_key::all_audits())?,
        next_task_id: state.sequence(SEQUENCES[0])?,
        next_audit_id: state.sequence(SEQUENCES[1])?,
        next_unbonding_id: state.sequence(SEQUENCES[2])?,
        emission: crate::emission::export(state)?,
    };
    export_proto(&g)
}
