//! task's messages: decoding and stateless validation (`TryFrom` the proto), then
//! execution.

use cosmos_sdk_proto::Any;

use deai_bank::BankRead;
use deai_framework::authority;
use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::task::v1 as pb;

use crate::error::TaskError;
use crate::keeper::{TaskRead, TaskWrite};
use crate::params::Params;
use crate::{events, state_key, MODULE_NAME};

mod deposit;
mod propose;
mod vote;

pub use deposit::DepositTask;
pub use propose::{ProposeTask, MAX_METRIC_LEN, MAX_TARGET_LEN};
pub use vote::VoteTask;

/// A task (without its content), or TaskNotFound.
pub(crate) fn load_task(ctx: &Ctx, id: u64) -> Result<pb::Task, TxError> {
    ctx.task_record(id)?
        .ok_or_else(|| TaskError::TaskNotFound(id).into())
}

/// Module accounts cannot receive refunds (bank refuses blocked recipients), so they may
/// not propose or deposit.
pub(crate) fn not_blocked(ctx: &Ctx, a: &Address, role: &str) -> Result<(), TxError> {
    if ctx.is_blocked_address(a)? {
        return Err(TaskError::InvalidDeposit(format!(
            "the {role} {} is a module account and cannot be refunded",
            a.to_bech32()
        ))
        .into());
    }
    Ok(())
}

/// MsgUpdateParams: replaces every task param; only the module's authority may sign it.
#[derive(Debug)]
pub struct UpdateParams {
    pub authority: Address,
    pub params: Params,
}

impl TryFrom<pb::MsgUpdateParams> for UpdateParams {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateParams) -> Result<Self, TxError> {
        let (authority, params) =
            authority::update_params_from(&m.authority, m.params, Params::from_proto)?;
        Ok(Self { authority, params })
    }
}

impl Message for UpdateParams {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        authority::update_params(
            ctx,
            &state_key::authority(),
            &self.authority,
            |ctx| ctx.set_task_params(&self.params),
            events::params_updated(&self.params),
            pb::MsgUpdateParamsResponse {},
        )
    }
}
