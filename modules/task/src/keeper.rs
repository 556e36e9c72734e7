//! The task keeper, as extension traits on any state. Other modules use these traits and
//! never build a task key.

use prost::Message;

use deai_framework::keys::prefix_end;
use deai_framework::{records, sdk, Address, StateRead, StateWrite, TxError};
use deai_proto::task::v1 as pb;

use crate::error::TaskError;
use crate::params::Params;
use crate::{state_key, MODULE_NAME};

/// Most voters a task accepts: gov's bound (a tally reads each voter's delegation to every
/// bonded validator).
pub const MAX_VOTERS: u32 = 20_000;
/// Most distinct depositors a task accepts (the bound of the refund and burn loops).
pub const MAX_DEPOSITORS: u32 = 1_000;

/// The task without its content (description, spec, evaluation).
pub fn light(t: &pb::Task) -> pb::Task {
    pb::Task {
        description: String::new(),
        spec: None,
        evaluation: None,
        ..t.clone()
    }
}

fn content_of(t: &pb::Task) -> pb::Task {
    pb::Task {
        id: t.id,
        description: t.description.clone(),
        spec: t.spec.clone(),
        evaluation: t.evaluation.clone(),
        ..Default::default()
    }
}

pub trait TaskRead: StateRead {
    fn task_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    /// A task without its content.
    fn task_record(&self, id: u64) -> Result<Option<pb::Task>, TxError> {
        records::get(MODULE_NAME, self, &state_key::task(id))
    }

    /// A task in full.
    fn task_full(&self, id: u64) -> Result<Option<pb::Task>, TxError> {
        self.task_record(id)?
            .map(|t| self.with_content(t))
            .transpose()
    }

    /// `t` with its stored content.
    fn with_content(&self, t: pb::Task) -> Result<pb::Task, TxError> {
        let c: pb::Task = records::get(MODULE_NAME, self, &state_key::content(t.id))?
            .ok_or_else(|| sdk::internal(format!("task {} has no content", t.id)))?;
        Ok(pb::Task {
            description: c.description,
            spec: c.spec,
            evaluation: c.evaluation,
            ..t
        })
    }

    fn next_task_id(&self) -> Result<u64, TxError> {
        Ok(records::sequence(MODULE_NAME, self, &state_key::task_seq())?.max(1))
    }

    fn task_vote(&self, id: u64, voter: &Address) -> Result<Option<pb::Vote>, TxError> {
        records::get(MODULE_NAME, self, &state_key::vote(id, voter))
    }

    /// The votes of a task (at most [`MAX_VOTERS`]), in key order.
    fn task_votes(&self, id: u64) -> Result<Vec<pb::Vote>, TxError> {
        records::all_under(
            MODULE_NAME,
            self,
            &state_key::votes_of(id),
            MAX_VOTERS as usize,
        )
    }

    fn task_deposit(&self, id: u64, depositor: &Address) -> Result<Option<pb::Deposit>, TxError> {
        records::get(MODULE_NAME, self, &state_key::deposit(id, depositor))
    }

    /// The deposits of a task (at most [`MAX_DEPOSITORS`]), in key order.
    fn task_deposits(&self, id: u64) -> Result<Vec<pb::Deposit>, TxError> {
        records::all_under(
            MODULE_NAME,
            self,
            &state_key::deposits_of(id),
            MAX_DEPOSITORS as usize,
        )
    }

    /// (voters, depositors) of a task.
    fn task_counts(&self, id: u64) -> Result<(u32, u32), TxError> {
        let Some(b) = self.get(&state_key::counts(id))? else {
            return Ok((0, 0));
        };
        let arr: [u8; 8] = b
            .as_slice()
            .try_into()
            .map_err(|_| sdk::internal("corrupt task counts"))?;
        let [a0, a1, a2, a3, b0, b1, b2, b3] = arr;
        Ok((
            u32::from_be_bytes([a0, a1, a2, a3]),
            u32::from_be_bytes([b0, b1, b2, b3]),
        ))
    }

    /// Up to `limit` ids in the queue under `prefix` due through the key `through`.
    fn due_ids(&self, prefix: &[u8], through: &[u8], limit: usize) -> Result<Vec<u64>, TxError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.scan(prefix, Some(through), false, limit)?
            .iter()
            .map(|(k, _)| {
                deai_framework::keys::trailing_id(k)
                    .ok_or_else(|| sdk::internal("corrupt task queue key"))
            })
            .collect()
    }
}

impl<T: StateRead + ?Sized> TaskRead for T {}

pub trait TaskWrite: StateWrite + TaskRead {
    fn set_task_params(&mut self, p: &Params) -> Result<(), TxError> {
        p.validate()?;
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    fn set_next_task_id(&mut self, next: u64) -> Result<(), TxError> {
        self.put(state_key::task_seq(), next.max(1).to_be_bytes().to_vec())
    }

    /// Hands out the next task id.
    fn take_task_id(&mut self) -> Result<u64, TxError> {
        records::next_id(MODULE_NAME, self, state_key::task_seq(), "task")
    }

    /// Writes a new task: its content once, then its record.
    fn insert_task(&mut self, t: &pb::Task) -> Result<(), TxError> {
        self.put(state_key::content(t.id), content_of(t).encode_to_vec())?;
        self.put_task_record(t)
    }

    /// Writes a task's record (its content is not rewritten) and its state index.
    fn put_task_record(&mut self, t: &pb::Task) -> Result<(), TxError> {
        if let Some(old) = self.task_record(t.id)? {
            if old.state != t.state {
                self.delete(state_key::by_state(old.state, t.id))?;
            }
        }
        self.put(state_key::by_state(t.state, t.id), Vec::new())?;
        self.put(state_key::task(t.id), light(t).encode_to_vec())
    }

    fn set_task_counts(&mut self, id: u64, voters: u32, depositors: u32) -> Result<(), TxError> {
        let key = state_key::counts(id);
        if voters == 0 && depositors == 0 {
            return self.delete(key);
        }
        let mut v = voters.to_be_bytes().to_vec();
        v.extend_from_slice(&depositors.to_be_bytes());
        self.put(key, v)
    }

    /// Stores a vote (replacing the voter's earlier one), within [`MAX_VOTERS`].
    fn put_task_vote(&mut self, v: &pb::Vote, voter: &Address) -> Result<(), TxError> {
        if self.task_vote(v.task_id, voter)?.is_none() {
            let (voters, depositors) = self.task_counts(v.task_id)?;
            if voters >= MAX_VOTERS {
                return Err(TaskError::LimitExceeded(format!(
                    "task {} already has {MAX_VOTERS} voters",
                    v.task_id
                ))
                .into());
            }
            self.set_task_counts(v.task_id, voters + 1, depositors)?;
        }
        self.put(state_key::vote(v.task_id, voter), v.encode_to_vec())
    }

    /// Stores a deposit (replacing the depositor's earlier record), within
    /// [`MAX_DEPOSITORS`].
    fn put_task_deposit(&mut self, d: &pb::Deposit, depositor: &Address) -> Result<(), TxError> {
        if self.task_deposit(d.task_id, depositor)?.is_none() {
            let (voters, depositors) = self.task_counts(d.task_id)?;
            if depositors >= MAX_DEPOSITORS {
                return Err(TaskError::LimitExceeded(format!(
                    "task {} already has {MAX_DEPOSITORS} depositors",
                    d.task_id
                ))
                .into());
            }
            self.set_task_counts(d.task_id, voters, depositors + 1)?;
        }
        self.put(state_key::deposit(d.task_id, depositor), d.encode_to_vec())
    }

    /// Deletes every vote and deposit record of a task, and its counts.
    fn clear_votes_and_deposits(&mut self, id: u64) -> Result<(), TxError> {
        for prefix in [state_key::votes_of(id), state_key::deposits_of(id)] {
            let end = prefix_end(&prefix);
            let keys = self.scan(&prefix, end.as_deref(), false, MAX_VOTERS as usize)?;
            for (k, _) in keys {
                self.delete(k)?;
            }
        }
        self.delete(state_key::counts(id))
    }
}

impl<T: StateWrite + ?Sized> TaskWrite for T {}
