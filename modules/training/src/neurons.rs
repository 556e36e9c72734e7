//! Neuron bookkeeping shared by messages, epochs and audits: choosing a uid (pruning when the
//! task is full), deregistering, unbonding, and resetting a reused uid.

use deai_framework::{sdk, Address, Coin, Ctx, TxError};
use deai_proto::training::v1 as pb;

use crate::error::TrainingError;
use crate::events;
use crate::keeper::{stored_addr, TrainingRead, TrainingWrite};

/// The counter of unbonding entry ids.
pub const UNBONDING_SEQ: &str = "unbonding";

pub(crate) fn coin_of(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> Result<Coin, TxError> {
    Coin::from_proto(
        c.as_ref()
            .ok_or_else(|| sdk::internal(format!("training record without {what}")))?,
    )
}

/// A neuron's bonded stake amount.
pub(crate) fn stake_of(n: &pb::Neuron) -> Result<u128, TxError> {
    Ok(coin_of(&n.stake, "neuron stake")?.amount)
}

pub(crate) fn is_validator(n: &pb::Neuron) -> bool {
    n.role == pb::Role::Validator as i32
}

/// The uid a newcomer gets: the lowest free one, or, when the task is full, the uid of the
/// neuron to prune (the non-immune one with the lowest last emission; ties: the earliest
/// registered, then the lowest uid). `None`: full and every neuron is immune (or accused).
pub(crate) fn choose_uid(
    neurons: &[pb::Neuron],
    max_neurons: u32,
    now: u64,
    immunity_period: u64,
) -> (Option<u32>, Option<pb::Neuron>) {
    // neurons are in uid order: the first gap is the lowest free uid.
    let mut expected = 0u32;
    for n in neurons {
        if n.uid != expected {
            break;
        }
        expected = expected.saturating_add(1);
    }
    if expected < max_neurons {
        return (Some(expected), None);
    }
    let victim = neurons
        .iter()
        // An accused neuron stays until its audit settles (its stake answers for it).
        .filter(|n| now.saturating_sub(n.registered_at) > immunity_period && n.open_audits == 0)
        .min_by_key(|n| (n.last_emission, n.registered_at, n.uid))
        .cloned();
    (victim.as_ref().map(|v| v.uid), victim)
}

/// Starts unbonding `amount` of `owner`'s stake in `task_id`. `cap` bounds the owner's
/// entries in the task (voluntary removals); a pruned neuron's stake is always unbonded,
/// up to the hard bound.
pub(crate) fn start_unbonding(
    ctx: &mut Ctx,
    task_id: u64,
    owner: &Address,
    amount: &Coin,
    cap: Option<u32>,
) -> Result<pb::UnbondingEntry, TxError> {
    let params = ctx.training_params()?;
    let have = ctx.unbondings_of_neuron(task_id, owner)?.len();
    let limit = cap.map_or(crate::keeper::MAX_UNBONDING_PER_NEURON, |c| c as usize);
    if have >= limit {
        return Err(
            TrainingError::TooManyUnbonding(u32::try_from(limit).unwrap_or(u32::MAX)).into(),
        );
    }
    // Stake answers for every audit that can still be opened and settled against its
    // owner: the audits of a round close a tempo after the next round, then each takes at
    // most audit_window blocks per referee drawn.
    let tempo = ctx
        .get_task(task_id)?
        .and_then(|t| t.spec)
        .map_or(0, |s| s.tempo);
    let horizon = tempo.saturating_mul(2).saturating_add(
        params
            .audit_window
            .saturating_mul(u64::from(params.max_audit_draws)),
    );
    let entry = pb::UnbondingEntry {
        task_id,
        owner: owner.to_bech32(),
        amount: Some(amount.to_proto()),
        completes_at: ctx
            .block
            .height
            .saturating_add(params.unbonding_blocks.max(horizon)),
        id: ctx.next_id(UNBONDING_SEQ)?,
    };
    ctx.put_unbonding(&entry)?;
    ctx.emit(events::stake_unbonding(&entry));
    Ok(entry)
}

/// Removes a neuron: its whole stake starts unbonding, its uid is reset for a newcomer, and
/// the task's neuron count drops (the caller writes `task`).
pub(crate) fn deregister(
    ctx: &mut Ctx,
    task: &mut pb::Task,
    n: &pb::Neuron,
    reason: &str,
    cap: Option<u32>,
) -> Result<Option<pb::UnbondingEntry>, TxError> {
    let owner = stored_addr(&n.owner)?;
    let stake = coin_of(&n.stake, "neuron stake")?;
    let entry = if stake.amount > 0 {
        Some(start_unbonding(ctx, task.id, &owner, &stake, cap)?)
    } else {
        None
    };
    ctx.remove_neuron(n)?;
    reset_uid(ctx, task, n.uid)?;
    task.neuron_count = task.neuron_count.saturating_sub(1);
    ctx.emit(events::neuron_deregistered(n, reason));
    Ok(entry)
}

/// Resets uid `uid` of a task for a newcomer: its update and weights of the current round,
/// its bonds row, and its column in the other bonds rows and in this round's weight rows.
pub(crate) fn reset_uid(ctx: &mut Ctx, task: &pb::Task, uid: u32) -> Result<(), TxError> {
    ctx.delete_update(task.id, task.round, uid)?;
    ctx.delete_weights(task.id, task.round, uid)?;
    for mut w in ctx.weights_of(task.id, task.round)? {
        if let Some(i) = w.uids.iter().position(|u| *u == uid) {
            w.uids.remove(i);
            if i < w.values.len() {
                w.values.remove(i);
            }
            ctx.put_weights(&w)?;
        }
    }
    for mut b in ctx.bonds_of(task.id)? {
        if b.uid == uid {
            b.bonds.clear();
        } else if let Some(v) = b.bonds.get_mut(uid as usize) {
            *v = 0;
        }
        ctx.put_bond(&b)?;
    }
    Ok(())
}
