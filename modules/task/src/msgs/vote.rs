//! MsgVoteTask: a stake-weighted vote, as gov's (one option; a new vote replaces the
//! voter's earlier one).

use cosmos_sdk_proto::Any;

use deai_framework::handler::{response, sender_event};
use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::task::v1 as pb;

use super::load_task;
use crate::error::TaskError;
use crate::keeper::TaskWrite;
use crate::{events, MODULE_NAME};

#[derive(Debug)]
pub struct VoteTask {
    pub voter: Address,
    pub task_id: u64,
    pub option: pb::VoteOption,
}

impl TryFrom<pb::MsgVoteTask> for VoteTask {
    type Error = TxError;
    fn try_from(m: pb::MsgVoteTask) -> Result<Self, TxError> {
        let option = pb::VoteOption::try_from(m.option)
            .ok()
            .filter(|o| *o != pb::VoteOption::Unspecified)
            .ok_or_else(|| {
                TaskError::InvalidVote(format!(
                    "option must be yes (1), abstain (2), no (3) or no_with_veto (4), got {}",
                    m.option
                ))
            })?;
        Ok(Self {
            voter: Address::from_bech32(&m.voter)?,
            task_id: m.task_id,
            option,
        })
    }
}

impl Message for VoteTask {
    fn signers(&self) -> Vec<Address> {
        vec![self.voter.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let t = load_task(ctx, self.task_id)?;
        // A voting period that has ended (its tally may wait for a later end block) takes
        // no more votes.
        if t.state != pb::TaskState::Verifying as i32 || ctx.block.height > t.voting_end {
            return Err(TaskError::NotInVotingPeriod(self.task_id).into());
        }
        let v = pb::Vote {
            task_id: self.task_id,
            voter: self.voter.to_bech32(),
            option: self.option as i32,
        };
        ctx.put_task_vote(&v, &self.voter)?;
        ctx.emit(events::voted(&v));
        ctx.emit(sender_event(&self.voter));
        Ok(response(pb::MsgVoteTaskResponse {}))
    }
}
