//! `end_block`: the due round boundaries of tasks (epochs and base deadlines), completed
//! unbondings and audit deadlines. Each is read from a height-ordered index, a bounded number
//! a block; what is left waits for the next blocks (nothing due is ever skipped).

use deai_bank::BankWrite;
use deai_framework::{sdk, Coins, Ctx, StateRead, StateWrite, TxError};
use deai_proto::training::v1 as pb;

use crate::keeper::{stored_addr, TrainingRead, TrainingWrite, KIND_BASE_DEADLINE, KIND_EPOCH};
use crate::msgs::emit_all;
use crate::neurons::coin_of;
use crate::{epoch, events, state_key, MODULE_ACCOUNT};

/// Most unbonding entries paid back in one block.
pub const MAX_UNBONDINGS_PER_BLOCK: usize = 256;

pub(crate) fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    boundaries(ctx)?;
    unbondings(ctx)?;
    crate::audits::end_block(ctx)
}

/// (task, kind) of a schedule key: `…/<height u64><task u64><kind u8>`.
fn parse_key(k: &[u8]) -> Result<(u64, u8), TxError> {
    let bad = || sdk::internal("corrupt schedule key");
    let kind = *k.last().ok_or_else(bad)?;
    let end = k.len().checked_sub(1).ok_or_else(bad)?;
    let task = state_key::trailing_id(k.get(..end).ok_or_else(bad)?).ok_or_else(bad)?;
    Ok((task, kind))
}

fn boundaries(ctx: &mut Ctx) -> Result<(), TxError> {
    let limit = ctx.training_params()?.max_tasks_per_block as usize;
    let start = state_key::schedules();
    let end = state_key::schedules_through(ctx.block.height);
    for (k, v) in ctx.scan(&start, Some(&end), false, limit)? {
        ctx.delete(k.clone())?;
        let (task_id, kind) = parse_key(&k)?;
        let arr: [u8; 8] = v
            .as_slice()
            .try_into()
            .map_err(|_| sdk::internal("corrupt schedule value"))?;
        let round = u64::from_be_bytes(arr);
        let task = ctx
            .get_task(task_id)?
            .ok_or_else(|| sdk::internal(format!("schedule names missing task {task_id}")))?;
        match kind {
            KIND_EPOCH => {
                // A task's epoch entry is written once per round and only while it is
                // active; anything else is a bug.
                if task.state != pb::TaskState::Active as i32 || task.round != round {
                    return Err(sdk::internal(format!(
                        "stale epoch of task {task_id} round {round}"
                    )));
                }
                epoch::run(ctx, task)?;
            }
            KIND_BASE_DEADLINE => epoch::base_deadline(ctx, task, round)?,
            _ => return Err(sdk::internal("unknown schedule kind")),
        }
    }
    Ok(())
}

/// Pays back the unbonding entries that completed.
fn unbondings(ctx: &mut Ctx) -> Result<(), TxError> {
    let start = state_key::unbonding_queue();
    let end = state_key::unbonding_queue_through(ctx.block.height);
    for (k, _) in ctx.scan(&start, Some(&end), false, MAX_UNBONDINGS_PER_BLOCK)? {
        let id = state_key::trailing_id(&k).ok_or_else(|| sdk::internal("corrupt queue key"))?;
        let e = ctx
            .get_unbonding(id)?
            .ok_or_else(|| sdk::internal(format!("queue names missing unbonding {id}")))?;
        let amount = coin_of(&e.amount, "unbonding amount")?;
        if amount.amount > 0 {
            let owner = stored_addr(&e.owner)?;
            let t = ctx.send_from_module(MODULE_ACCOUNT, &owner, &Coins::new(vec![amount])?)?;
            emit_all(ctx, t);
        }
        ctx.remove_unbonding(&e)?;
        ctx.emit(events::unbonding_completed(&e));
    }
    Ok(())
}
