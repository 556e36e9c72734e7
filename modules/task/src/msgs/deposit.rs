//! MsgDepositTask: adds to a task's deposit in its deposit period; reaching min_deposit
//! starts voting and the code check (whose refusal fails the tx).

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::handler::{emit_all, response, sender_event};
use deai_framework::{Address, Coins, Ctx, Message, TxError};
use deai_proto::task::v1 as pb;

use super::{load_task, not_blocked};
use crate::error::TaskError;
use crate::keeper::{TaskRead, TaskWrite};
use crate::lifecycle::{start_voting, total_of};
use crate::params::Params;
use crate::{events, MODULE_ACCOUNT, MODULE_NAME};

#[derive(Debug)]
pub struct DepositTask {
    pub depositor: Address,
    pub task_id: u64,
    pub amount: Coins,
}

impl TryFrom<pb::MsgDepositTask> for DepositTask {
    type Error = TxError;
    fn try_from(m: pb::MsgDepositTask) -> Result<Self, TxError> {
        let amount = Coins::from_proto(&m.amount)?;
        if amount.is_empty() {
            return Err(TaskError::InvalidDeposit("amount must not be empty".into()).into());
        }
        Ok(Self {
            depositor: Address::from_bech32(&m.depositor)?,
            task_id: m.task_id,
            amount,
        })
    }
}

/// Deposits must be in min_deposit's denoms.
pub(crate) fn check_denoms(params: &Params, amount: &Coins) -> Result<(), TxError> {
    if let Some(c) = amount.iter().find(|c| !params.deposit_denom(&c.denom)) {
        return Err(TaskError::InvalidDeposit(format!(
            "{} is not a deposit denom (min_deposit is {})",
            c.denom, params.min_deposit
        ))
        .into());
    }
    Ok(())
}

/// Escrows `amount` from `depositor` on task `t` (its record and total), and starts voting
/// if the deposit is reached; writes the task.
pub(crate) fn add_deposit(
    ctx: &mut Ctx,
    t: &mut pb::Task,
    depositor: &Address,
    amount: &Coins,
    params: &Params,
) -> Result<(), TxError> {
    let ev = ctx.send_to_module(depositor, MODULE_ACCOUNT, amount)?;
    emit_all(ctx, ev);
    let before = match ctx.task_deposit(t.id, depositor)? {
        Some(d) => Coins::from_proto(&d.amount)?,
        None => Coins::empty(),
    };
    let d = pb::Deposit {
        task_id: t.id,
        depositor: depositor.to_bech32(),
        amount: before.checked_add(amount)?.to_proto(),
    };
    ctx.put_task_deposit(&d, depositor)?;
    let total = total_of(t)?.checked_add(amount)?;
    t.total_deposit = total.to_proto();
    ctx.emit(events::deposited(t, &d.depositor, amount));
    if params.deposit_reached(&total) {
        start_voting(ctx, t, params)
    } else {
        ctx.put_task_record(t)
    }
}

impl Message for DepositTask {
    fn signers(&self) -> Vec<Address> {
        vec![self.depositor.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let t = load_task(ctx, self.task_id)?;
        if t.state != pb::TaskState::Deposit as i32 || ctx.block.height > t.deposit_end {
            return Err(TaskError::NotInDepositPeriod(self.task_id).into());
        }
        let params = ctx.task_params()?;
        check_denoms(&params, &self.amount)?;
        not_blocked(ctx, &self.depositor, "depositor")?;
        // start_voting needs the spec.
        let mut t = ctx.with_content(t)?;
        add_deposit(ctx, &mut t, &self.depositor, &self.amount, &params)?;
        ctx.emit(sender_event(&self.depositor));
        Ok(response(pb::MsgDepositTaskResponse {}))
    }
}
