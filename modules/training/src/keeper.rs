//! The training keeper, as extension traits on any state. Records are only written here, and
//! each record's secondary indexes only by its `put_*`/`remove_*` function.

use deai_framework::records::{self, u64_value};
use deai_framework::{sdk, Address, StateRead, StateWrite, TxError};
use deai_proto::training::v1 as pb;
use prost::Message;

use crate::params::{Params, MAX_NEURONS_CAP};
use crate::{state_key, MODULE_NAME};

/// Most unbonding entries one owner may hold in one task, pruning included (voluntary
/// removals are capped lower, by `max_unbonding_entries`); bounds slashing and queries.
pub const MAX_UNBONDING_PER_NEURON: usize = 128;
/// Most unbonding entries one owner's query returns.
pub const MAX_UNBONDING_QUERY: usize = 1000;

/// Schedule kinds: the end of a round's aggregate window (the base fallback), and an epoch.
pub const KIND_BASE_DEADLINE: u8 = 0;
pub const KIND_EPOCH: u8 = 1;

pub(crate) fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, TxError> {
    records::decode(MODULE_NAME, bytes)
}

fn get<M: Message + Default, S: StateRead + ?Sized>(
    s: &S,
    key: &[u8],
) -> Result<Option<M>, TxError> {
    records::get(MODULE_NAME, s, key)
}

fn all_under<M: Message + Default, S: StateRead + ?Sized>(
    s: &S,
    prefix: &[u8],
    limit: usize,
) -> Result<Vec<M>, TxError> {
    records::all_under(MODULE_NAME, s, prefix, limit)
}

pub(crate) use deai_framework::records::stored_addr;

pub trait TrainingRead: StateRead {
    fn training_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    /// A task without its base spec bytes, as the module's logic needs it.
    fn get_task(&self, id: u64) -> Result<Option<pb::Task>, TxError> {
        get(self, &state_key::task(id))
    }

    /// A task with its base spec bytes, as queries and genesis export show it.
    fn get_task_with_spec(&self, id: u64) -> Result<Option<pb::Task>, TxError> {
        self.get_task(id)?.map(|t| self.with_spec(t)).transpose()
    }

    fn with_spec(&self, mut task: pb::Task) -> Result<pb::Task, TxError> {
        let bytes = self
            .get(&state_key::task_spec(task.id))?
            .ok_or_else(|| sdk::internal(format!("task {} has no spec", task.id)))?;
        if let Some(spec) = task.spec.as_mut() {
            spec.base_spec = bytes;
        }
        Ok(task)
    }

    fn get_neuron(&self, task: u64, uid: u32) -> Result<Option<pb::Neuron>, TxError> {
        get(self, &state_key::neuron(task, uid))
    }

    fn uid_of(&self, task: u64, owner: &Address) -> Result<Option<u32>, TxError> {
        match self.get(&state_key::neuron_owner(task, owner))? {
            None => Ok(None),
            Some(b) => {
                let arr: [u8; 4] = b
                    .as_slice()
                    .try_into()
                    .map_err(|_| sdk::internal("corrupt neuron owner index"))?;
                Ok(Some(u32::from_be_bytes(arr)))
            }
        }
    }

    fn neuron_of(&self, task: u64, owner: &Address) -> Result<Option<pb::Neuron>, TxError> {
        match self.uid_of(task, owner)? {
            None => Ok(None),
            Some(uid) => Ok(Some(self.get_neuron(task, uid)?.ok_or_else(|| {
                sdk::internal(format!("owner index names missing neuron {uid}"))
            })?)),
        }
    }

    /// Every neuron of a task, in uid order (at most max_neurons ≤ MAX_NEURONS_CAP).
    fn neurons_of(&self, task: u64) -> Result<Vec<pb::Neuron>, TxError> {
        all_under(self, &state_key::neurons_of(task), MAX_NEURONS_CAP as usize)
    }

    fn get_round(&self, task: u64, round: u64) -> Result<Option<pb::Round>, TxError> {
        get(self, &state_key::round(task, round))
    }

    fn get_update(&self, task: u64, round: u64, uid: u32) -> Result<Option<pb::Update>, TxError> {
        get(self, &state_key::update(task, round, uid))
    }

    /// A round's updates in uid order (one per uid, so at most MAX_NEURONS_CAP).
    fn updates_of(&self, task: u64, round: u64) -> Result<Vec<pb::Update>, TxError> {
        all_under(
            self,
            &state_key::updates_of(task, round),
            MAX_NEURONS_CAP as usize,
        )
    }

    fn get_weights(
        &self,
        task: u64,
        round: u64,
        uid: u32,
    ) -> Result<Option<pb::WeightSet>, TxError> {
        get(self, &state_key::weights(task, round, uid))
    }

    fn weights_of(&self, task: u64, round: u64) -> Result<Vec<pb::WeightSet>, TxError> {
        all_under(
            self,
            &state_key::weights_of(task, round),
            MAX_NEURONS_CAP as usize,
        )
    }

    fn get_epoch(&self, task: u64, round: u64) -> Result<Option<pb::EpochResult>, TxError> {
        get(self, &state_key::epoch(task, round))
    }

    fn bonds_of(&self, task: u64) -> Result<Vec<pb::BondRow>, TxError> {
        all_under(self, &state_key::bonds_of(task), MAX_NEURONS_CAP as usize)
    }

    fn get_unbonding(&self, id: u64) -> Result<Option<pb::UnbondingEntry>, TxError> {
        get(self, &state_key::unbonding(id))
    }

    /// The unbonding entries of one owner in one task, by id.
    fn unbondings_of_neuron(
        &self,
        task: u64,
        owner: &Address,
    ) -> Result<Vec<pb::UnbondingEntry>, TxError> {
        records::indexed(
            self,
            &state_key::unbondings_by_neuron(task, owner),
            MAX_UNBONDING_PER_NEURON,
            |id| self.get_unbonding(id),
            "corrupt unbonding index",
            |id| format!("index names missing unbonding {id}"),
        )
    }

    fn get_audit(&self, id: u64) -> Result<Option<pb::Audit>, TxError> {
        get(self, &state_key::audit(id))
    }

    /// The pending audit of an accusation, if any.
    fn open_accusation(
        &self,
        task: u64,
        round: u64,
        target: i32,
        uid: u32,
    ) -> Result<Option<u64>, TxError> {
        self.get(&state_key::open_accusation(task, round, target, uid))?
            .map(|b| u64_value(&b, "accusation index"))
            .transpose()
    }

    /// The counter `name` as stored (0 if never set).
    fn sequence(&self, name: &str) -> Result<u64, TxError> {
        records::sequence(MODULE_NAME, self, &state_key::sequence(name))
    }
}

impl<T: StateRead + ?Sized> TrainingRead for T {}

pub trait TrainingWrite: StateWrite {
    fn set_training_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    /// Writes a task; non-empty base spec bytes go to their own key (once, at creation or
    /// genesis), the record itself is stored without them.
    fn put_task(&mut self, task: &pb::Task) -> Result<(), TxError> {
        let mut record = task.clone();
        if let Some(spec) = record.spec.as_mut() {
            if !spec.base_spec.is_empty() {
                self.put(
                    state_key::task_spec(task.id),
                    std::mem::take(&mut spec.base_spec),
                )?;
            }
        }
        self.put(state_key::task(task.id), record.encode_to_vec())
    }

    /// Writes a neuron and its owner index.
    fn put_neuron(&mut self, n: &pb::Neuron) -> Result<(), TxError> {
        let owner = stored_addr(&n.owner)?;
        self.put(
            state_key::neuron_owner(n.task_id, &owner),
            n.uid.to_be_bytes().to_vec(),
        )?;
        self.put(state_key::neuron(n.task_id, n.uid), n.encode_to_vec())
    }

    fn remove_neuron(&mut self, n: &pb::Neuron) -> Result<(), TxError> {
        let owner = stored_addr(&n.owner)?;
        self.delete(state_key::neuron_owner(n.task_id, &owner))?;
        self.delete(state_key::neuron(n.task_id, n.uid))
    }

    /// Writes a round, and its lineage index once its link is set.
    fn put_round(&mut self, r: &pb::Round) -> Result<(), TxError> {
        if !r.lineage.is_empty() {
            self.put(state_key::lineage(r.task_id, r.round), Vec::new())?;
        }
        self.put(state_key::round(r.task_id, r.round), r.encode_to_vec())
    }

    fn put_update(&mut self, u: &pb::Update) -> Result<(), TxError> {
        self.put(
            state_key::update(u.task_id, u.round, u.uid),
            u.encode_to_vec(),
        )
    }

    fn delete_update(&mut self, task: u64, round: u64, uid: u32) -> Result<(), TxError> {
        self.delete(state_key::update(task, round, uid))
    }

    fn put_weights(&mut self, w: &pb::WeightSet) -> Result<(), TxError> {
        self.put(
            state_key::weights(w.task_id, w.round, w.uid),
            w.encode_to_vec(),
        )
    }

    fn delete_weights(&mut self, task: u64, round: u64, uid: u32) -> Result<(), TxError> {
        self.delete(state_key::weights(task, round, uid))
    }

    fn put_epoch(&mut self, e: &pb::EpochResult) -> Result<(), TxError> {
        self.put(state_key::epoch(e.task_id, e.round), e.encode_to_vec())
    }

    /// Writes a bonds row, or deletes it when it is all zeros.
    fn put_bond(&mut self, b: &pb::BondRow) -> Result<(), TxError> {
        if b.bonds.iter().all(|v| *v == 0) {
            return self.delete(state_key::bond(b.task_id, b.uid));
        }
        self.put(state_key::bond(b.task_id, b.uid), b.encode_to_vec())
    }

    /// Writes an unbonding entry and its three indexes.
    fn put_unbonding(&mut self, e: &pb::UnbondingEntry) -> Result<(), TxError> {
        let owner = stored_addr(&e.owner)?;
        self.put(state_key::unbonding_at(e.completes_at, e.id), Vec::new())?;
        self.put(state_key::unbonding_by_owner(&owner, e.id), Vec::new())?;
        self.put(
            state_key::unbonding_by_neuron(e.task_id, &owner, e.id),
            Vec::new(),
        )?;
        self.put(state_key::unbonding(e.id), e.encode_to_vec())
    }

    fn remove_unbonding(&mut self, e: &pb::UnbondingEntry) -> Result<(), TxError> {
        let owner = stored_addr(&e.owner)?;
        self.delete(state_key::unbonding_at(e.completes_at, e.id))?;
        self.delete(state_key::unbonding_by_owner(&owner, e.id))?;
        self.delete(state_key::unbonding_by_neuron(e.task_id, &owner, e.id))?;
        self.delete(state_key::unbonding(e.id))
    }

    /// Writes an audit and keeps its indexes (by task, by task and referee, the deadline
    /// and accusation indexes of a pending audit) in step.
    fn put_audit(&mut self, a: &pb::Audit) -> Result<(), TxError> {
        if let Some(old) = self.get_audit(a.id)? {
            self.delete(state_key::audit_deadline(old.deadline, old.id))?;
            if !old.referee.is_empty() && old.referee != a.referee {
                let r = stored_addr(&old.referee)?;
                self.delete(state_key::audit_by_referee(old.task_id, &r, old.id))?;
            }
        }
        let accusation = state_key::open_accusation(a.task_id, a.round, a.target, a.accused_uid);
        if a.state == pb::AuditState::Pending as i32 {
            self.put(state_key::audit_deadline(a.deadline, a.id), Vec::new())?;
            self.put(accusation, a.id.to_be_bytes().to_vec())?;
        } else {
            self.delete(accusation)?;
        }
        if !a.referee.is_empty() {
            let r = stored_addr(&a.referee)?;
            self.put(state_key::audit_by_referee(a.task_id, &r, a.id), Vec::new())?;
        }
        self.put(state_key::audit_by_task(a.task_id, a.id), Vec::new())?;
        self.put(state_key::audit(a.id), a.encode_to_vec())
    }

    /// Schedules a boundary of `task` (an epoch or a base deadline of `round`) at `height`.
    fn schedule(&mut self, height: u64, task: u64, kind: u8, round: u64) -> Result<(), TxError> {
        self.put(
            state_key::schedule(height, task, kind),
            round.to_be_bytes().to_vec(),
        )
    }

    fn set_sequence(&mut self, name: &str, v: u64) -> Result<(), TxError> {
        self.put(state_key::sequence(name), v.to_be_bytes().to_vec())
    }

    /// Hands out the next id of counter `name` (ids start at 1).
    fn next_id(&mut self, name: &str) -> Result<u64, TxError> {
        records::next_id(MODULE_NAME, self, state_key::sequence(name), name)
    }
}

impl<T: StateWrite + ?Sized> TrainingWrite for T {}
