//! The tempo boundary of a task (docs/training.md, "A round", epoch): one dense Yuma epoch
//! over the round's revealed weights, the emission paid from the pool, the aggregate inputs
//! and aggregator chosen, and the next round started (or the task finished). Also the end
//! of a round's lineage: its aggregate, or the base carried forward.

use deai_bank::{BankWrite, COMMUNITY_POOL};
use deai_framework::{draw, sdk, Coin, Coins, Ctx, TxError};
use deai_mint::reward_pools;
use deai_proto::training::v1 as pb;

use crate::emission::TaskPools;
use crate::keeper::{stored_addr, TrainingRead, TrainingWrite, KIND_BASE_DEADLINE, KIND_EPOCH};
use crate::msgs::emit_all;
use crate::neurons::{coin_of, is_validator, stake_of};
use crate::{events, lineage, phases, spec, MODULE_ACCOUNT};

pub const AGGREGATOR_DOMAIN: &str = "deai/training/aggregator";

fn u16_of(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

/// Consecutive rounds with no revealed update and no revealed weights after which a task
/// finishes and refunds its pool.
pub const MAX_IDLE_ROUNDS: u32 = 8;

/// The draw id of a round's aggregator: `task_id·2^32 + round` (mod 2^64).
pub fn aggregator_draw_id(task_id: u64, round: u64) -> u64 {
    task_id.wrapping_shl(32).wrapping_add(round)
}

/// The aggregate inputs of a round: the revealed updates with incentive > 0, the top
/// `max_inputs` by incentive (ties: lower uid), listed in uid order, weighted by incentive.
pub fn aggregate_inputs(
    updates: &[pb::Update],
    incentive_u16: &[u16],
    max_inputs: u32,
) -> Vec<pb::AggregateInput> {
    let mut chosen: Vec<(u16, &pb::Update)> = updates
        .iter()
        .filter(|u| u.revealed)
        .filter_map(|u| {
            let w = incentive_u16.get(u.uid as usize).copied().unwrap_or(0);
            (w > 0).then_some((w, u))
        })
        .collect();
    chosen.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.uid.cmp(&b.1.uid)));
    chosen.truncate(max_inputs as usize);
    chosen.sort_by_key(|(_, u)| u.uid);
    chosen
        .into_iter()
        .map(|(w, u)| pb::AggregateInput {
            uid: u.uid,
            update_hash: u.update_hash.clone(),
            uri: u.uri.clone(),
            weight: u32::from(w),
        })
        .collect()
}

/// Runs the epoch of the task's current round at the current height (see the module docs):
/// the Yuma inputs, the epoch, the payments and results, the bonds, the aggregate inputs
/// and aggregator, then the next round (or the end of the task).
pub(crate) fn run(ctx: &mut Ctx, mut task: pb::Task) -> Result<(), TxError> {
    // The task's pending emission first (credited to its pool while it is active), so that
    // this epoch pays from it and a refund knows all of it.
    reward_pools::settle::<TaskPools>(ctx, task.id)?;
    task.pool = ctx
        .get_task(task.id)?
        .ok_or_else(|| sdk::internal(format!("task {} vanished", task.id)))?
        .pool;
    let params = ctx.training_params()?;
    let spec = task.spec.clone().unwrap_or_default();
    let r = task.round;
    let now = ctx.block.height;
    let mut round = ctx
        .get_round(task.id, r)?
        .ok_or_else(|| sdk::internal(format!("task {} has no round {r}", task.id)))?;
    let mut neurons = ctx.neurons_of(task.id)?;
    let updates = ctx.updates_of(task.id, r)?;
    let weight_sets = ctx.weights_of(task.id, r)?;
    let stored_bonds = ctx.bonds_of(task.id)?;
    let mut pool = coin_of(&task.pool, "task pool")?;
    let per_tempo = coin_of(&spec.emission_per_tempo, "emission_per_tempo")?.amount;
    let rao = u64::try_from(per_tempo.min(pool.amount)).unwrap_or(u64::MAX);
    let mut yp = spec::yuma_params(&spec.yuma.clone().unwrap_or_default())
        .map_err(|e| sdk::internal(format!("stored task {} has bad yuma params: {e}", task.id)))?;
    yp.rao_emission = rao;

    let inputs = yuma_inputs(&spec, &yp, &neurons, &updates, &weight_sets, &stored_bonds)?;
    let stake = inputs.stake.clone();
    let out = deai_yuma::epoch(&yp, &inputs);
    let paid = pay(ctx, &task, r, &pool.denom, rao, &mut neurons, &stake, &out)?;
    store_bonds(ctx, task.id, spec.max_neurons as usize, &stored_bonds, &out)?;

    // Aggregate inputs (only eligible uids have incentive) and the aggregator.
    round.aggregate_inputs =
        aggregate_inputs(&updates, &out.incentive_u16, params.max_aggregate_inputs);
    round.aggregator = draw_aggregator(ctx, task.id, r, &neurons);
    round.weights_root = lineage::weights_root_of(&weight_sets).to_vec();
    round.closed = true;
    round.closed_at = now;
    round.emission = Some(Coin::new(pool.denom.clone(), paid)?.to_proto());
    ctx.put_round(&round)?;
    let emission = Coin::new(pool.denom.clone(), u128::from(rao))?;
    ctx.emit(events::epoch(
        &round,
        &emission,
        u64::try_from(paid).unwrap_or(u64::MAX),
    ));

    // The last tempo is the one that could pay all that was left; its rounding dust goes
    // back to the creator rather than lingering in a finished task. A task nobody works on
    // for MAX_IDLE_ROUNDS rounds finishes too, its whole pool refunded: a dead task must
    // not hold a share of every block's epoch budget forever. Never the emission the pool
    // received from the mint module's split: its unspent part goes to the community pool.
    let active = updates.iter().any(|u| u.revealed) || weight_sets.iter().any(|w| w.revealed);
    task.idle_rounds = if active {
        0
    } else {
        task.idle_rounds.saturating_add(1)
    };
    let last = u128::from(rao) == pool.amount || task.idle_rounds >= MAX_IDLE_ROUNDS;
    pool.amount -= paid;
    let mut refunded = Coin::new(pool.denom.clone(), 0)?;
    let mut to_community = Coin::new(pool.denom.clone(), 0)?;
    if last && pool.amount > 0 {
        to_community.amount = reward_pools::unspent_in::<TaskPools>(ctx, task.id, pool.amount)?;
        refunded.amount = pool.amount - to_community.amount;
        if refunded.amount > 0 {
            let creator = stored_addr(&task.creator)?;
            let t = ctx.send_from_module(
                MODULE_ACCOUNT,
                &creator,
                &Coins::new(vec![refunded.clone()])?,
            )?;
            emit_all(ctx, t);
        }
        if to_community.amount > 0 {
            let t = ctx.send_module_to_module(
                MODULE_ACCOUNT,
                COMMUNITY_POOL,
                &Coins::new(vec![to_community.clone()])?,
            )?;
            emit_all(ctx, t);
        }
        pool.amount = 0;
    }
    task.pool = Some(pool.to_proto());
    let finished = last || pool.amount == 0;
    if finished {
        task.state = pb::TaskState::Finished as i32;
        reward_pools::clear::<TaskPools>(ctx, task.id)?;
        ctx.emit(events::task_finished(task.id, r, &refunded, &to_community));
    } else {
        start_next_round(ctx, &mut task, &spec, now)?;
    }
    // Nothing to average (no inputs) or nobody to do it: the aggregate is the base, now.
    if round.aggregator.is_empty() || round.aggregate_inputs.is_empty() {
        finalize(ctx, &mut task, &mut round, None)?;
    } else {
        let (_, closes) = phases::aggregate_window(&spec, now);
        ctx.schedule(closes.saturating_sub(1), task.id, KIND_BASE_DEADLINE, r)?;
    }
    ctx.put_task(&task)?;
    if finished {
        // Its weight drops to 0 in the index now (its claim was settled above).
        reward_pools::settle::<TaskPools>(ctx, task.id)?;
    }
    Ok(())
}

/// The dense Yuma inputs of a round: validators' bonded stake (trainers' stake is
/// collateral, not voting weight; a jailed validator takes no part), the revealed rows
/// restricted to eligible columns, the top-k permits of that stake (granted now rather than
/// one epoch late, so that a task's first round has consensus; docs/training.md), the
/// stored bonds.
fn yuma_inputs(
    spec: &pb::TaskSpec,
    yp: &deai_yuma::Params,
    neurons: &[pb::Neuron],
    updates: &[pb::Update],
    weight_sets: &[pb::WeightSet],
    stored_bonds: &[pb::BondRow],
) -> Result<deai_yuma::Inputs, TxError> {
    let n = spec.max_neurons as usize;
    let mut stake = vec![0u64; n];
    for nr in neurons {
        let i = nr.uid as usize;
        if i >= n {
            return Err(sdk::internal(format!("neuron uid {i} out of range")));
        }
        if is_validator(nr) && !nr.jailed {
            if let Some(cell) = stake.get_mut(i) {
                *cell = u64::try_from(stake_of(nr)?).unwrap_or(u64::MAX);
            }
        }
    }
    // Only a uid that revealed an update this round and is not jailed can be weighted: a
    // row committed before its uid was reused, or a colluding validator's weight on a
    // trainer that submitted nothing (or was proven wrong), pays no one.
    let mut eligible = vec![false; n];
    for u in updates.iter().filter(|u| u.revealed) {
        let live = neurons
            .iter()
            .any(|nr| nr.uid == u.uid && nr.owner == u.owner && !nr.jailed);
        if let Some(cell) = eligible.get_mut(u.uid as usize) {
            *cell = live;
        }
    }
    let mut weights = vec![vec![0u16; n]; n];
    for w in weight_sets.iter().filter(|w| w.revealed) {
        if let Some(row) = weights.get_mut(w.uid as usize) {
            for (u, v) in w.uids.iter().zip(&w.values) {
                let j = *u as usize;
                if let (Some(cell), Some(true)) = (row.get_mut(j), eligible.get(j)) {
                    *cell = u16_of(*v);
                }
            }
        }
    }
    let mut bonds = vec![vec![0u16; n]; n];
    for b in stored_bonds {
        if let Some(row) = bonds.get_mut(b.uid as usize) {
            for (cell, v) in row.iter_mut().zip(&b.bonds) {
                *cell = u16_of(*v);
            }
        }
    }
    let validator_permit = deai_yuma::validator_permits(yp, &stake);
    Ok(deai_yuma::Inputs {
        n,
        stake,
        weights,
        validator_permit,
        bonds_prev: bonds,
        active: None,
    })
}

/// Pays every neuron its `combined_emission` (floored once: the miner and validator shares
/// floored apart would lose up to 2n units a tempo), capped at `rao` in all; stores the
/// epoch result, the new permits and the pruning scores. Returns what was paid.
#[allow(clippy::too_many_arguments)]
fn pay(
    ctx: &mut Ctx,
    task: &pb::Task,
    round: u64,
    denom: &str,
    rao: u64,
    neurons: &mut [pb::Neuron],
    stake: &[u64],
    out: &deai_yuma::Outputs,
) -> Result<u128, TxError> {
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    let at16 = |v: &[u16], i: usize| v.get(i).copied().unwrap_or(0);
    let mut budget = u128::from(rao);
    let mut results = Vec::with_capacity(neurons.len());
    for nr in neurons.iter_mut() {
        let i = nr.uid as usize;
        let want = u128::from(at(&out.combined_emission, i));
        let pay = want.min(budget);
        budget -= pay;
        if pay > 0 {
            let owner = stored_addr(&nr.owner)?;
            let c = Coins::new(vec![Coin::new(denom.to_string(), pay)?])?;
            let t = ctx.send_from_module(MODULE_ACCOUNT, &owner, &c)?;
            emit_all(ctx, t);
        }
        nr.validator_permit = out.new_validator_permit.get(i).copied().unwrap_or(false);
        nr.last_emission = u64::try_from(want).unwrap_or(u64::MAX);
        ctx.put_neuron(nr)?;
        results.push(pb::NeuronResult {
            uid: nr.uid,
            owner: nr.owner.clone(),
            stake: at(stake, i),
            validator_permit: nr.validator_permit,
            consensus: u32::from(at16(&out.consensus_u16, i)),
            incentive: u32::from(at16(&out.incentive_u16, i)),
            dividends: u32::from(at16(&out.dividends_u16, i)),
            validator_trust: u32::from(at16(&out.validator_trust_u16, i)),
            miner_emission: at(&out.miner_emission, i),
            validator_emission: at(&out.validator_emission, i),
            emission: u64::try_from(pay).unwrap_or(u64::MAX),
        });
    }
    ctx.put_epoch(&pb::EpochResult {
        task_id: task.id,
        round,
        height: ctx.block.height,
        neurons: results,
        unpaid: u64::try_from(budget).unwrap_or(u64::MAX),
    })?;
    Ok(u128::from(rao) - budget)
}

/// Stores the epoch's `bonds_stored_u16`: every row that is stored now or becomes non-zero.
fn store_bonds(
    ctx: &mut Ctx,
    task_id: u64,
    n: usize,
    stored: &[pb::BondRow],
    out: &deai_yuma::Outputs,
) -> Result<(), TxError> {
    let mut touched = vec![false; n];
    for b in stored {
        if let Some(t) = touched.get_mut(b.uid as usize) {
            *t = true;
        }
    }
    for (i, row) in out.bonds_stored_u16.iter().enumerate().take(n) {
        if touched.get(i).copied().unwrap_or(false) || row.iter().any(|v| *v != 0) {
            ctx.put_bond(&pb::BondRow {
                task_id,
                uid: u32::try_from(i).unwrap_or(u32::MAX),
                bonds: row.iter().map(|v| u32::from(*v)).collect(),
            })?;
        }
    }
    Ok(())
}

/// The round's aggregator, drawn among the permitted, unjailed validators (empty if none).
fn draw_aggregator(ctx: &Ctx, task_id: u64, round: u64, neurons: &[pb::Neuron]) -> String {
    let candidates: Vec<&pb::Neuron> = neurons
        .iter()
        .filter(|nr| is_validator(nr) && nr.validator_permit && !nr.jailed)
        .collect();
    if candidates.is_empty() {
        return String::new();
    }
    let count = u64::try_from(candidates.len()).unwrap_or(u64::MAX);
    let k = draw::below(
        AGGREGATOR_DOMAIN,
        &ctx.block.prev_block_hash,
        aggregator_draw_id(task_id, round),
        count,
    );
    candidates
        .get(usize::try_from(k).unwrap_or(0))
        .map(|c| c.owner.clone())
        .unwrap_or_default()
}

/// Opens the task's next round at the height after `now`, its base awaited, and schedules
/// its epoch.
fn start_next_round(
    ctx: &mut Ctx,
    task: &mut pb::Task,
    spec: &pb::TaskSpec,
    now: u64,
) -> Result<(), TxError> {
    let next = pb::Round {
        task_id: task.id,
        round: task.round.saturating_add(1),
        start: now.saturating_add(1),
        base_ready: false,
        ..Default::default()
    };
    task.round = next.round;
    task.round_start = next.start;
    ctx.put_round(&next)?;
    ctx.schedule(
        phases::epoch_height(spec, next.start),
        task.id,
        KIND_EPOCH,
        next.round,
    )?;
    ctx.emit(events::round_started(&next));
    Ok(())
}

/// Sets the aggregate of closed round `round` (`None`: its base carried forward) and its
/// lineage link, moves the task's lineage head, and makes the next round's base ready. The
/// caller writes `task`.
pub(crate) fn finalize(
    ctx: &mut Ctx,
    task: &mut pb::Task,
    round: &mut pb::Round,
    aggregate: Option<(Vec<u8>, String)>,
) -> Result<(), TxError> {
    match aggregate {
        Some((hash, uri)) => {
            round.aggregate_hash = hash;
            round.aggregate_uri = uri;
            ctx.emit(events::aggregate_submitted(round));
        }
        None => {
            round.aggregate_hash = round.base_hash.clone();
            round.aggregate_uri = round.base_uri.clone();
            // Nobody submitted an aggregate: nobody can be audited for one.
            round.aggregator.clear();
        }
    }
    let hashes: Vec<Vec<u8>> = ctx
        .updates_of(task.id, round.round)?
        .into_iter()
        .filter(|u| u.revealed)
        .map(|u| u.update_hash)
        .collect();
    let link = lineage::next(
        &task.lineage_head,
        &round.base_hash,
        &hashes,
        &round.weights_root,
        &round.aggregate_hash,
    );
    round.lineage = link.to_vec();
    task.lineage_head = link.to_vec();
    ctx.put_round(round)?;
    ctx.emit(events::lineage_extended(round));
    if let Some(mut next) = ctx.get_round(task.id, round.round.saturating_add(1))? {
        if !next.base_ready {
            next.base_hash = round.aggregate_hash.clone();
            next.base_uri = round.aggregate_uri.clone();
            next.base_ready = true;
            ctx.put_round(&next)?;
            ctx.emit(events::base_ready(&next));
        }
    }
    Ok(())
}

/// The end of a round's aggregate window: without an aggregate, the base is carried forward.
pub(crate) fn base_deadline(ctx: &mut Ctx, mut task: pb::Task, r: u64) -> Result<(), TxError> {
    let Some(mut round) = ctx.get_round(task.id, r)? else {
        return Err(sdk::internal(format!("base deadline of missing round {r}")));
    };
    if !round.lineage.is_empty() {
        return Ok(());
    }
    finalize(ctx, &mut task, &mut round, None)?;
    ctx.put_task(&task)
}
