//! task genesis: `app_state.task` is the proto3 JSON of `deai.task.v1.GenesisState`, read
//! and written through deai-proto's descriptors, so export → import → export is exact.
//!
//! Import checks every record, rebuilds the deposit-end and voting-end queues and the
//! counts, and checks that the module account holds exactly Σ (pool + total deposit) of the
//! tasks still in their deposit or voting period (bank's genesis, which runs first, funds
//! it); each such task's total deposit must be the sum of its deposit records. Finished
//! tasks hold nothing and have no votes or deposits left.

use std::collections::BTreeMap;

use deai_auth::{AuthWrite, BURNER};
use deai_framework::genesis::Held;
use deai_framework::{Address, Coins, StateRead, StateWrite, TxError};
use deai_proto::task::v1 as pb;

use crate::error::TaskError;
use crate::keeper::{TaskRead, TaskWrite};
use crate::params::Params;
use crate::{state_key, MODULE_ACCOUNT, MODULE_NAME};

fn invalid(msg: impl Into<String>) -> TxError {
    TaskError::InvalidGenesis(msg.into()).into()
}

/// Parses `app_state.task`; `{}` or null is the default genesis.
pub fn import_proto(json: &serde_json::Value) -> Result<pb::GenesisState, TxError> {
    deai_framework::genesis::from_json(json, invalid)
}

/// The proto3 JSON of a genesis state.
pub fn export_proto(g: &pb::GenesisState) -> Result<serde_json::Value, TxError> {
    deai_framework::genesis::to_json(g)
}

const DEPOSIT: i32 = pb::TaskState::Deposit as i32;
const VERIFYING: i32 = pb::TaskState::Verifying as i32;

fn coins(
    c: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
    what: &str,
) -> Result<Coins, TxError> {
    Coins::from_proto(c).map_err(|e| invalid(format!("{what}: {}", e.log)))
}

fn import_task(
    state: &mut dyn StateWrite,
    t: &pb::Task,
    next: u64,
    held: &mut Held,
) -> Result<(), TxError> {
    let bad = |why: &str| invalid(format!("task {}: {why}", t.id));
    let known = pb::TaskState::try_from(t.state).is_ok_and(|s| s != pb::TaskState::Unspecified);
    if t.id == 0 || t.id >= next || !known || state.task_record(t.id)?.is_some() {
        return Err(bad("bad id, state or duplicate"));
    }
    Address::from_bech32(&t.proposer)?;
    if t.spec.is_none() || t.evaluation.is_none() {
        return Err(bad("no spec or evaluation"));
    }
    let pool = deai_framework::genesis::required_coin(&t.reward_pool, "reward_pool", invalid)?;
    let total = coins(&t.total_deposit, "total_deposit")?;
    match t.state {
        DEPOSIT => {
            state.put(state_key::deposit_end(t.deposit_end, t.id), Vec::new())?;
        }
        VERIFYING => {
            if t.attest_job_id == 0 {
                return Err(bad("verifying without a code-check job"));
            }
            state.put(state_key::voting_end(t.voting_end, t.id), Vec::new())?;
        }
        _ => {}
    }
    if matches!(t.state, DEPOSIT | VERIFYING) {
        held.add(&pool)?;
        for c in total.iter() {
            held.add(c)?;
        }
    }
    state.insert_task(t)
}

fn open_task(state: &dyn StateWrite, id: u64, what: &str) -> Result<pb::Task, TxError> {
    state
        .task_record(id)?
        .filter(|t| matches!(t.state, DEPOSIT | VERIFYING))
        .ok_or_else(|| invalid(format!("{what} of task {id}, which is not open")))
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g = import_proto(json)?;
    let params = deai_framework::genesis::params(&g.params, Params::from_proto)?;
    state.set_task_params(&params)?;
    deai_framework::authority::init_proto(state, &state_key::authority(), &g.authority)?;
    let module = state.ensure_module_account_with(MODULE_ACCOUNT, &[BURNER])?;
    let next = g.next_task_id.max(1);
    let mut held = Held::default();
    for t in &g.tasks {
        import_task(state, t, next, &mut held)?;
    }
    let mut sums: BTreeMap<u64, Coins> = BTreeMap::new();
    for d in &g.deposits {
        open_task(state, d.task_id, "deposit")?;
        let who = Address::from_bech32(&d.depositor)?;
        let amount = coins(&d.amount, "deposit")?;
        if amount.is_empty() || state.task_deposit(d.task_id, &who)?.is_some() {
            return Err(invalid(format!(
                "deposit of {} on task {}",
                d.depositor, d.task_id
            )));
        }
        let sum = sums.entry(d.task_id).or_default();
        *sum = sum.checked_add(&amount)?;
        state.put_task_deposit(d, &who)?;
    }
    for t in &g.tasks {
        if matches!(t.state, DEPOSIT | VERIFYING) {
            let total = coins(&t.total_deposit, "total_deposit")?;
            if sums.get(&t.id).cloned().unwrap_or_default() != total {
                return Err(invalid(format!(
                    "task {}: total_deposit is not the sum of its deposits",
                    t.id
                )));
            }
        }
    }
    for v in &g.votes {
        let t = open_task(state, v.task_id, "vote")?;
        let who = Address::from_bech32(&v.voter)?;
        let option_ok =
            pb::VoteOption::try_from(v.option).is_ok_and(|o| o != pb::VoteOption::Unspecified);
        if t.state != VERIFYING || !option_ok || state.task_vote(v.task_id, &who)?.is_some() {
            return Err(invalid(format!(
                "vote of {} on task {}",
                v.voter, v.task_id
            )));
        }
        state.put_task_vote(v, &who)?;
    }
    state.set_next_task_id(next)?;
    deai_bank::check_module_holds(
        state,
        MODULE_ACCOUNT,
        &module.address,
        &held,
        "pools and deposits of open tasks",
        invalid,
    )
}

fn all<M: prost::Message + Default>(
    state: &dyn StateRead,
    prefix: Vec<u8>,
) -> Result<Vec<M>, TxError> {
    deai_framework::records::all_under(MODULE_NAME, state, &prefix, usize::MAX)
}

pub fn export(state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let authority = deai_framework::authority::get(state, &state_key::authority())?;
    let g = pb::GenesisState {
        params: Some(state.task_params()?.to_proto()),
        tasks: all::<pb::Task>(state, state_key::tasks())?
            .into_iter()
            .map(|t| state.with_content(t))
            .collect::<Result<_, _>>()?,
        votes: all(state, state_key::all_votes())?,
        deposits: all(state, state_key::all_deposits())?,
        next_task_id: state.next_task_id()?,
        authority: authority.to_bech32(),
    };
    export_proto(&g)
}
