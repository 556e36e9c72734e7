//! Neurons: MsgRegisterNeuron (pruning when the task is full), MsgAddStake, MsgRemoveStake
//! (unbonding; removing everything deregisters).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{draw, Address, Coin, Ctx, Message, TxError};
use deai_proto::training::v1 as pb;

use super::{coins_of, emit_all, load_task, required_coin, response, sender_event};
use crate::error::TrainingError;
use crate::keeper::{TrainingRead, TrainingWrite};
use crate::neurons::{choose_uid, coin_of, deregister, stake_of, start_unbonding};
use crate::{events, MODULE_ACCOUNT, MODULE_NAME};

pub const SHARD_DOMAIN: &str = "deai/training/shard";

/// The data shard of `uid`: `(uid + draw::below("deai/training/shard", seed, 0, shard_count))
/// mod shard_count`.
pub fn shard_of(seed: &[u8], uid: u32, shard_count: u32) -> u32 {
    let mut s = [0u8; 32];
    let n = seed.len().min(32);
    s[..n].copy_from_slice(&seed[..n]);
    // A seeded rotation of the uids rather than one draw per uid: trainers get distinct
    // shards while there are no more of them than shards (independent draws collide often,
    // and two trainers on one shard train the identical update).
    let offset = draw::below(SHARD_DOMAIN, &s, 0, u64::from(shard_count));
    let count = u64::from(shard_count.max(1));
    u32::try_from((u64::from(uid) + offset) % count).unwrap_or(0)
}

fn positive(c: Coin, what: &'static str) -> Result<Coin, TxError> {
    if c.amount == 0 {
        return Err(TrainingError::ZeroAmount(what).into());
    }
    Ok(c)
}

fn in_denom(c: &Coin, denom: &str, what: &str) -> Result<(), TxError> {
    if c.denom != denom {
        return Err(TrainingError::DenomMismatch(format!(
            "{what} must be in {denom}, got {}",
            c.denom
        ))
        .into());
    }
    Ok(())
}

/// The role's minimum stake of a task.
fn role_min(task: &pb::Task, role: i32) -> Result<Coin, TxError> {
    let spec = task.spec.clone().unwrap_or_default();
    if role == pb::Role::Validator as i32 {
        coin_of(&spec.min_validator_stake, "min_validator_stake")
    } else {
        coin_of(&spec.min_trainer_stake, "min_trainer_stake")
    }
}

fn registered(ctx: &Ctx, task: u64, owner: &Address) -> Result<pb::Neuron, TxError> {
    ctx.neuron_of(task, owner)?.ok_or_else(|| {
        TrainingError::NotRegistered {
            task,
            owner: owner.to_bech32(),
        }
        .into()
    })
}

#[derive(Debug)]
pub struct RegisterNeuron {
    pub owner: Address,
    pub task_id: u64,
    pub role: pb::Role,
    pub stake: Coin,
}

impl TryFrom<pb::MsgRegisterNeuron> for RegisterNeuron {
    type Error = TxError;
    fn try_from(m: pb::MsgRegisterNeuron) -> Result<Self, TxError> {
        let role = match pb::Role::try_from(m.role) {
            Ok(r @ (pb::Role::Trainer | pb::Role::Validator)) => r,
            _ => {
                return Err(deai_framework::sdk::invalid_request(
                    "role must be trainer or validator",
                ))
            }
        };
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
            task_id: m.task_id,
            role,
            stake: positive(required_coin(m.stake, "stake")?, "stake")?,
        })
    }
}

impl Message for RegisterNeuron {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut task = load_task(ctx, self.task_id)?;
        if task.state != pb::TaskState::Active as i32 {
            return Err(TrainingError::TaskFinished(task.id).into());
        }
        if ctx.uid_of(task.id, &self.owner)?.is_some() {
            return Err(TrainingError::AlreadyRegistered {
                task: task.id,
                owner: self.owner.to_bech32(),
            }
            .into());
        }
        let min = role_min(&task, self.role as i32)?;
        in_denom(&self.stake, &min.denom, "stake")?;
        if self.stake.amount < min.amount {
            return Err(TrainingError::StakeTooLow {
                got: self.stake.to_string(),
                min: min.to_string(),
            }
            .into());
        }
        let params = ctx.training_params()?;
        let spec = task.spec.clone().unwrap_or_default();
        let neurons = ctx.neurons_of(task.id)?;
        let now = ctx.block.height;
        let (uid, victim) = choose_uid(&neurons, spec.max_neurons, now, params.immunity_period);
        let uid = uid.ok_or(TrainingError::TaskFull(task.id))?;
        let mut pruned = String::new();
        if let Some(v) = victim {
            pruned = v.owner.clone();
            deregister(ctx, &mut task, &v, "pruned", None)?;
        }
        let transfers = ctx.send_to_module(&self.owner, MODULE_ACCOUNT, &coins_of(&self.stake)?)?;
        emit_all(ctx, transfers);
        let n = pb::Neuron {
            task_id: task.id,
            uid,
            owner: self.owner.to_bech32(),
            role: self.role as i32,
            stake: Some(self.stake.to_proto()),
            registered_at: now,
            shard: shard_of(&task.seed, uid, spec.shard_count),
            validator_permit: false,
            last_emission: 0,
            jailed: false,
            open_audits: 0,
        };
        ctx.put_neuron(&n)?;
        task.neuron_count = task.neuron_count.saturating_add(1);
        ctx.put_task(&task)?;
        ctx.emit(events::neuron_registered(&n));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgRegisterNeuronResponse { uid, pruned }))
    }
}

/// What MsgAddStake and MsgRemoveStake carry: the owner of a neuron of a task, and a positive
/// amount of its stake.
#[derive(Debug)]
pub struct StakeChange {
    pub owner: Address,
    pub task_id: u64,
    pub amount: Coin,
}

impl StakeChange {
    fn new(owner: &str, task_id: u64, amount: Option<ProtoCoin>) -> Result<Self, TxError> {
        Ok(Self {
            owner: Address::from_bech32(owner)?,
            task_id,
            amount: positive(required_coin(amount, "amount")?, "amount")?,
        })
    }
}

#[derive(Debug)]
pub struct AddStake(pub StakeChange);

impl TryFrom<pb::MsgAddStake> for AddStake {
    type Error = TxError;
    fn try_from(m: pb::MsgAddStake) -> Result<Self, TxError> {
        StakeChange::new(&m.owner, m.task_id, m.amount).map(Self)
    }
}

impl Message for AddStake {
    fn signers(&self) -> Vec<Address> {
        vec![self.0.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        load_task(ctx, self.0.task_id)?;
        let mut n = registered(ctx, self.0.task_id, &self.0.owner)?;
        let mut stake = coin_of(&n.stake, "neuron stake")?;
        in_denom(&self.0.amount, &stake.denom, "amount")?;
        let transfers =
            ctx.send_to_module(&self.0.owner, MODULE_ACCOUNT, &coins_of(&self.0.amount)?)?;
        emit_all(ctx, transfers);
        stake.amount = stake
            .amount
            .checked_add(self.0.amount.amount)
            .ok_or_else(|| deai_framework::sdk::overflow("stake overflows"))?;
        n.stake = Some(stake.to_proto());
        ctx.put_neuron(&n)?;
        ctx.emit(events::stake_added(&n, &self.0.amount));
        ctx.emit(sender_event(&self.0.owner));
        Ok(response(pb::MsgAddStakeResponse {}))
    }
}

#[derive(Debug)]
pub struct RemoveStake(pub StakeChange);

impl TryFrom<pb::MsgRemoveStake> for RemoveStake {
    type Error = TxError;
    fn try_from(m: pb::MsgRemoveStake) -> Result<Self, TxError> {
        StakeChange::new(&m.owner, m.task_id, m.amount).map(Self)
    }
}

impl Message for RemoveStake {
    fn signers(&self) -> Vec<Address> {
        vec![self.0.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut task = load_task(ctx, self.0.task_id)?;
        let mut n = registered(ctx, self.0.task_id, &self.0.owner)?;
        if n.open_audits > 0 {
            return Err(TrainingError::AccusedInOpenAudit(n.owner.clone()).into());
        }
        let mut stake = coin_of(&n.stake, "neuron stake")?;
        in_denom(&self.0.amount, &stake.denom, "amount")?;
        if self.0.amount.amount > stake_of(&n)? {
            return Err(TrainingError::InsufficientStake {
                have: stake.to_string(),
                want: self.0.amount.to_string(),
            }
            .into());
        }
        let cap = Some(ctx.training_params()?.max_unbonding_entries);
        let left = stake.amount - self.0.amount.amount;
        let entry = if left == 0 && n.jailed {
            // Its stake may go, its record stays: leaving and registering again must not
            // wash the jailing off (one neuron per owner per task).
            let e = start_unbonding(ctx, task.id, &self.0.owner, &self.0.amount, cap)?;
            stake.amount = 0;
            n.stake = Some(stake.to_proto());
            ctx.put_neuron(&n)?;
            Some(e)
        } else if left == 0 {
            let e = deregister(ctx, &mut task, &n, "unstaked", cap)?;
            ctx.put_task(&task)?;
            e
        } else {
            let min = role_min(&task, n.role)?;
            if left < min.amount {
                return Err(TrainingError::StakeTooLow {
                    got: Coin::new(stake.denom.clone(), left)?.to_string(),
                    min: min.to_string(),
                }
                .into());
            }
            let e = start_unbonding(ctx, task.id, &self.0.owner, &self.0.amount, cap)?;
            stake.amount = left;
            n.stake = Some(stake.to_proto());
            ctx.put_neuron(&n)?;
            Some(e)
        };
        ctx.emit(sender_event(&self.0.owner));
        Ok(response(pb::MsgRemoveStakeResponse {
            completes_at: entry.map_or(0, |e| e.completes_at),
        }))
    }
}
