//! A round's commit-reveal messages: MsgCommitUpdate / MsgRevealUpdate (trainers) and
//! MsgCommitWeights / MsgRevealWeights (validators), each accepted only in its phase.

use cosmos_sdk_proto::Any;

use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::training::v1 as pb;

use super::{load_task, response, sender_event};
use crate::commits::{max_upscale, update_commit_hash, weights_commit_hash};
use crate::error::TrainingError;
use crate::keeper::{TrainingRead, TrainingWrite};
use crate::phases::{phase_at, window, Phase};
use crate::spec::{hash32, validate_uri};
use crate::{events, params::MIN_SALT_BYTES, MODULE_NAME};

/// The task, round and neuron of a participant acting in round `round`: the task is active
/// and in that round, the signer is registered with `role` and not jailed.
fn participant(
    ctx: &Ctx,
    task_id: u64,
    round: u64,
    owner: &Address,
    role: pb::Role,
) -> Result<(pb::Task, pb::Round, pb::Neuron), TxError> {
    let task = load_task(ctx, task_id)?;
    if task.state != pb::TaskState::Active as i32 {
        return Err(TrainingError::TaskFinished(task_id).into());
    }
    if task.round != round {
        return Err(TrainingError::WrongRound {
            task: task_id,
            current: task.round,
            got: round,
        }
        .into());
    }
    let n = ctx
        .neuron_of(task_id, owner)?
        .ok_or_else(|| TrainingError::NotRegistered {
            task: task_id,
            owner: owner.to_bech32(),
        })?;
    if n.role != role as i32 {
        let expected = if role == pb::Role::Validator {
            "validator"
        } else {
            "trainer"
        };
        return Err(TrainingError::WrongRole { expected }.into());
    }
    if n.jailed {
        return Err(TrainingError::Jailed(n.owner.clone()).into());
    }
    let r = ctx
        .get_round(task_id, round)?
        .ok_or(TrainingError::RoundNotFound {
            task: task_id,
            round,
        })?;
    Ok((task, r, n))
}

/// Refuses `action` outside phase `want` of the task's current round.
fn require_phase(
    task: &pb::Task,
    action: &'static str,
    want: Phase,
    height: u64,
) -> Result<(), TxError> {
    let spec = task.spec.clone().unwrap_or_default();
    let now = phase_at(&spec, task.round_start, height);
    if now == want {
        return Ok(());
    }
    let (opens, closes) = window(&spec, task.round_start, want);
    Err(TrainingError::WrongPhase {
        action,
        task: task.id,
        round: task.round,
        phase: now.name(),
        height,
        opens,
        closes,
    }
    .into())
}

/// [`participant`], acting in phase `want` of its round (`action` names the message).
fn participant_in(
    ctx: &Ctx,
    task_id: u64,
    round: u64,
    owner: &Address,
    role: pb::Role,
    (action, want): (&'static str, Phase),
) -> Result<(pb::Task, pb::Round, pb::Neuron), TxError> {
    let (task, r, n) = participant(ctx, task_id, round, owner, role)?;
    require_phase(&task, action, want, ctx.block.height)?;
    Ok((task, r, n))
}

/// What MsgCommitUpdate (a trainer's) and MsgCommitWeights (a validator's) carry: the 32-byte
/// commit hash of a participant's reveal in round `round`.
#[derive(Debug)]
pub struct Commit {
    pub owner: Address,
    pub task_id: u64,
    pub round: u64,
    pub commit_hash: Vec<u8>,
}

impl Commit {
    fn new(owner: &str, task_id: u64, round: u64, commit_hash: Vec<u8>) -> Result<Self, TxError> {
        hash32("commit_hash", &commit_hash)?;
        Ok(Self {
            owner: Address::from_bech32(owner)?,
            task_id,
            round,
            commit_hash,
        })
    }

    /// The committer's task, round and neuron (with `role`), in phase `want`.
    fn committer(
        &self,
        ctx: &Ctx,
        role: pb::Role,
        phase: (&'static str, Phase),
    ) -> Result<(pb::Task, pb::Round, pb::Neuron), TxError> {
        participant_in(ctx, self.task_id, self.round, &self.owner, role, phase)
    }
}

fn salt_ok(salt: &[u8], max: u32) -> Result<(), TxError> {
    if salt.len() < MIN_SALT_BYTES as usize || salt.len() > max as usize {
        return Err(TrainingError::BadSalt {
            got: salt.len(),
            min: MIN_SALT_BYTES,
            max,
        }
        .into());
    }
    Ok(())
}

#[derive(Debug)]
pub struct CommitUpdate(pub Commit);

impl TryFrom<pb::MsgCommitUpdate> for CommitUpdate {
    type Error = TxError;
    fn try_from(m: pb::MsgCommitUpdate) -> Result<Self, TxError> {
        Commit::new(&m.owner, m.task_id, m.round, m.commit_hash).map(Self)
    }
}

impl Message for CommitUpdate {
    fn signers(&self) -> Vec<Address> {
        vec![self.0.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let (task, round, n) = self.0.committer(
            ctx,
            pb::Role::Trainer,
            ("MsgCommitUpdate", Phase::CommitUpdates),
        )?;
        let now = ctx.block.height;
        if !round.base_ready {
            let a = task.spec.as_ref().map_or(0, |s| s.aggregate_window);
            return Err(TrainingError::BaseNotReady {
                task: task.id,
                round: task.round,
                ready_by: task.round_start.saturating_add(a),
            }
            .into());
        }
        // A commit may be replaced until the reveal phase (which is when it could be revealed).
        let u = pb::Update {
            task_id: task.id,
            round: task.round,
            uid: n.uid,
            commit_hash: self.0.commit_hash.clone(),
            committed_at: now,
            owner: n.owner.clone(),
            ..Default::default()
        };
        ctx.put_update(&u)?;
        ctx.emit(events::update_committed(task.id, task.round, n.uid));
        ctx.emit(sender_event(&self.0.owner));
        Ok(response(pb::MsgCommitUpdateResponse {}))
    }
}

#[derive(Debug)]
pub struct RevealUpdate {
    pub owner: Address,
    pub task_id: u64,
    pub round: u64,
    pub update_hash: Vec<u8>,
    pub salt: Vec<u8>,
    pub uri: String,
    pub checkpoint_hashes: Vec<Vec<u8>>,
}

impl TryFrom<pb::MsgRevealUpdate> for RevealUpdate {
    type Error = TxError;
    fn try_from(m: pb::MsgRevealUpdate) -> Result<Self, TxError> {
        hash32("update_hash", &m.update_hash)?;
        validate_uri(&m.uri)?;
        if m.checkpoint_hashes.iter().any(|h| h.len() != 32) {
            return Err(TrainingError::BadHashLength {
                field: "checkpoint_hashes",
                got: m
                    .checkpoint_hashes
                    .iter()
                    .map(Vec::len)
                    .find(|l| *l != 32)
                    .unwrap_or(0),
            }
            .into());
        }
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
            task_id: m.task_id,
            round: m.round,
            update_hash: m.update_hash,
            salt: m.salt,
            uri: m.uri,
            checkpoint_hashes: m.checkpoint_hashes,
        })
    }
}

impl Message for RevealUpdate {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let (task, _, n) = participant_in(
            ctx,
            self.task_id,
            self.round,
            &self.owner,
            pb::Role::Trainer,
            ("MsgRevealUpdate", Phase::RevealUpdates),
        )?;
        let params = ctx.training_params()?;
        salt_ok(&self.salt, params.max_salt_bytes)?;
        let count = self.checkpoint_hashes.len();
        if count < 2 || count > params.max_checkpoints as usize {
            return Err(TrainingError::BadCheckpoints {
                got: count,
                min: 2,
                max: params.max_checkpoints,
            }
            .into());
        }
        let mut u = ctx
            .get_update(task.id, task.round, n.uid)?
            .ok_or(TrainingError::NoCommit)?;
        if u.revealed {
            return Err(TrainingError::AlreadyRevealed.into());
        }
        if update_commit_hash(&self.update_hash, &self.salt, &self.owner)[..] != u.commit_hash[..] {
            return Err(TrainingError::CommitMismatch.into());
        }
        u.revealed = true;
        u.update_hash = self.update_hash.clone();
        u.uri = self.uri.clone();
        u.checkpoint_hashes = self.checkpoint_hashes.clone();
        ctx.put_update(&u)?;
        ctx.emit(events::update_revealed(&u));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgRevealUpdateResponse {}))
    }
}

#[derive(Debug)]
pub struct CommitWeights(pub Commit);

impl TryFrom<pb::MsgCommitWeights> for CommitWeights {
    type Error = TxError;
    fn try_from(m: pb::MsgCommitWeights) -> Result<Self, TxError> {
        Commit::new(&m.owner, m.task_id, m.round, m.commit_hash).map(Self)
    }
}

impl Message for CommitWeights {
    fn signers(&self) -> Vec<Address> {
        vec![self.0.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let (task, _, n) = self.0.committer(
            ctx,
            pb::Role::Validator,
            ("MsgCommitWeights", Phase::CommitWeights),
        )?;
        let now = ctx.block.height;
        let w = pb::WeightSet {
            task_id: task.id,
            round: task.round,
            uid: n.uid,
            commit_hash: self.0.commit_hash.clone(),
            committed_at: now,
            ..Default::default()
        };
        ctx.put_weights(&w)?;
        ctx.emit(events::weights_committed(task.id, task.round, n.uid));
        ctx.emit(sender_event(&self.0.owner));
        Ok(response(pb::MsgCommitWeightsResponse {}))
    }
}

#[derive(Debug)]
pub struct RevealWeights {
    pub owner: Address,
    pub task_id: u64,
    pub round: u64,
    pub uids: Vec<u16>,
    pub values: Vec<u16>,
    pub salt: Vec<u8>,
    pub version: u64,
}

fn to_u16s(v: &[u32], what: &str) -> Result<Vec<u16>, TxError> {
    v.iter()
        .map(|x| {
            u16::try_from(*x).map_err(|_| {
                TrainingError::BadWeights(format!("{what} must be at most 65535, got {x}")).into()
            })
        })
        .collect()
}

impl TryFrom<pb::MsgRevealWeights> for RevealWeights {
    type Error = TxError;
    fn try_from(m: pb::MsgRevealWeights) -> Result<Self, TxError> {
        if m.uids.len() != m.values.len() {
            return Err(TrainingError::BadWeights(format!(
                "{} uids but {} values",
                m.uids.len(),
                m.values.len()
            ))
            .into());
        }
        let uids = to_u16s(&m.uids, "uids")?;
        let mut sorted = uids.clone();
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(TrainingError::BadWeights("uids must be unique".into()).into());
        }
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
            task_id: m.task_id,
            round: m.round,
            uids,
            values: to_u16s(&m.values, "values")?,
            salt: m.salt,
            version: m.version,
        })
    }
}

impl Message for RevealWeights {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let (task, _, n) = participant_in(
            ctx,
            self.task_id,
            self.round,
            &self.owner,
            pb::Role::Validator,
            ("MsgRevealWeights", Phase::RevealWeights),
        )?;
        salt_ok(&self.salt, ctx.training_params()?.max_salt_bytes)?;
        let max_neurons = task.spec.as_ref().map_or(0, |s| s.max_neurons);
        if self.uids.len() > max_neurons as usize {
            return Err(TrainingError::BadWeights(format!(
                "at most {max_neurons} entries, got {}",
                self.uids.len()
            ))
            .into());
        }
        if let Some(u) = self.uids.iter().find(|u| u32::from(**u) >= max_neurons) {
            return Err(TrainingError::BadWeights(format!(
                "uid {u} is not below max_neurons {max_neurons}"
            ))
            .into());
        }
        let mut w = ctx
            .get_weights(task.id, task.round, n.uid)?
            .ok_or(TrainingError::NoCommit)?;
        if w.revealed {
            return Err(TrainingError::AlreadyRevealed.into());
        }
        let hash = weights_commit_hash(
            &self.owner,
            task.id,
            task.round,
            &self.uids,
            &self.values,
            &self.salt,
            self.version,
        );
        if hash[..] != w.commit_hash[..] {
            return Err(TrainingError::CommitMismatch.into());
        }
        w.revealed = true;
        w.uids = self.uids.iter().map(|u| u32::from(*u)).collect();
        w.values = max_upscale(&self.values)
            .into_iter()
            .map(u32::from)
            .collect();
        w.version = self.version;
        ctx.put_weights(&w)?;
        ctx.emit(events::weights_revealed(task.id, task.round, n.uid));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgRevealWeightsResponse {}))
    }
}
