//! Topics: creation (the fee into the topic's reward pool), worker and reputer registration
//! with stake, one inference per worker per epoch, one ground-truth report per reputer per
//! epoch after the lag. Settlement is in `topics`.

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::dec::Dec;
use deai_framework::{Address, Coin, Ctx, Message, StateRead, TxError};
use deai_proto::inference::v1::{self as pb, LossMethod};

use super::{coins_of, emit_all, required_coin, response, sender_event};
use crate::error::InferenceError;
use crate::fx::{Fx, MAX_TOPIC_VALUE};
use crate::keeper::{InferenceRead, InferenceWrite};
use crate::topics::{
    epoch_at, settle_height, MAX_EPOCH_LENGTH, MAX_GROUND_TRUTH_LAG, MAX_METRIC_BYTES,
};
use crate::{events, MODULE_NAME, TOPIC_SEQ};

fn invalid(msg: impl Into<String>) -> TxError {
    InferenceError::InvalidTopic(msg.into()).into()
}

/// A topic's fields as MsgCreateTopic and genesis accept them; returns alpha.
pub(crate) fn validate_topic(
    metric: &str,
    loss_method: i32,
    epoch_length: u64,
    ground_truth_lag: u64,
    alpha: &str,
) -> Result<Dec, TxError> {
    if metric.is_empty() || metric.len() > MAX_METRIC_BYTES {
        return Err(invalid(format!(
            "metric must be 1..={MAX_METRIC_BYTES} bytes"
        )));
    }
    if !matches!(
        LossMethod::try_from(loss_method),
        Ok(LossMethod::Abs | LossMethod::Squared)
    ) {
        return Err(invalid("loss_method must be abs or squared"));
    }
    if !(1..=MAX_EPOCH_LENGTH).contains(&epoch_length) {
        return Err(invalid(format!(
            "epoch_length must be 1..={MAX_EPOCH_LENGTH}"
        )));
    }
    if !(1..=MAX_GROUND_TRUTH_LAG).contains(&ground_truth_lag) {
        return Err(invalid(format!(
            "ground_truth_lag must be 1..={MAX_GROUND_TRUTH_LAG} epochs"
        )));
    }
    let a = Dec::parse(alpha).map_err(|e| invalid(format!("alpha: {e}")))?;
    if a == Dec::ZERO || a > Dec::ONE {
        return Err(invalid("alpha must be in (0, 1]"));
    }
    Ok(a)
}

fn check_value(v: i64) -> Result<(), TxError> {
    if !(-MAX_TOPIC_VALUE..=MAX_TOPIC_VALUE).contains(&v) {
        return Err(InferenceError::ValueOutOfRange(v).into());
    }
    Ok(())
}

fn topic(ctx: &Ctx, id: u64) -> Result<pb::Topic, TxError> {
    Ok(ctx
        .get_topic(id)?
        .ok_or(InferenceError::TopicNotFound(id))?)
}

/// A stake of `min`'s denom and at least its amount.
fn check_stake(stake: &Coin, min: &Coin) -> Result<(), TxError> {
    if stake.denom != min.denom {
        return Err(InferenceError::DenomMismatch(format!(
            "stake must be in {}, got {}",
            min.denom, stake.denom
        ))
        .into());
    }
    if stake.amount < min.amount {
        return Err(InferenceError::StakeTooLow {
            got: stake.to_string(),
            min: min.to_string(),
        }
        .into());
    }
    Ok(())
}

#[derive(Debug)]
pub struct CreateTopic {
    pub creator: Address,
    pub metric: String,
    pub loss_method: i32,
    pub epoch_length: u64,
    pub ground_truth_lag: u64,
    pub alpha: Dec,
    pub fee: Coin,
}

impl TryFrom<pb::MsgCreateTopic> for CreateTopic {
    type Error = TxError;
    fn try_from(m: pb::MsgCreateTopic) -> Result<Self, TxError> {
        let creator = Address::from_bech32(&m.creator)?;
        let alpha = validate_topic(
            &m.metric,
            m.loss_method,
            m.epoch_length,
            m.ground_truth_lag,
            &m.alpha,
        )?;
        Ok(Self {
            creator,
            metric: m.metric,
            loss_method: m.loss_method,
            epoch_length: m.epoch_length,
            ground_truth_lag: m.ground_truth_lag,
            alpha,
            fee: required_coin(m.fee, "fee")?,
        })
    }
}

impl Message for CreateTopic {
    fn signers(&self) -> Vec<Address> {
        vec![self.creator.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let min = &params.topic_creation_fee;
        if self.fee.denom != min.denom {
            return Err(InferenceError::DenomMismatch(format!(
                "fee must be in {}, got {}",
                min.denom, self.fee.denom
            ))
            .into());
        }
        if self.fee.amount < min.amount {
            return Err(InferenceError::FeeBelowPrice {
                fee: self.fee.to_string(),
                price: min.to_string(),
            }
            .into());
        }
        if self.fee.amount > 0 {
            let t = ctx.send_to_module(&self.creator, MODULE_NAME, &coins_of(&self.fee)?)?;
            emit_all(ctx, t);
        }
        let id = ctx.next_id(TOPIC_SEQ)?;
        let t = pb::Topic {
            id,
            creator: self.creator.to_bech32(),
            metric: self.metric.clone(),
            loss_method: self.loss_method,
            epoch_length: self.epoch_length,
            ground_truth_lag: self.ground_truth_lag,
            alpha: self.alpha.to_string(),
            pool: Some(self.fee.to_proto()),
            created_height: ctx.block.height,
            last_settled_epoch: 0,
            worker_count: 0,
            reputer_count: 0,
        };
        ctx.put_topic(&t)?;
        ctx.emit(events::topic_created(&t, &self.fee));
        ctx.emit(sender_event(&self.creator));
        Ok(response(pb::MsgCreateTopicResponse { topic_id: id }))
    }
}

fn staked(stake: Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>) -> Result<Coin, TxError> {
    let stake = required_coin(stake, "stake")?;
    if stake.amount == 0 {
        return Err(InferenceError::ZeroAmount("stake").into());
    }
    Ok(stake)
}

/// What a worker's and a reputer's joining of topic `t` share, up to escrowing the stake:
/// `who` is not yet registered in `role`, fewer than the role's `max` are (`count`), and the
/// stake is at least `min_stake`. Returns the denom of the topic's pool.
fn join_topic(
    ctx: &mut Ctx,
    t: &pb::Topic,
    (who, role, registered): (&Address, &'static str, bool),
    (count, max): (u32, u32),
    stake: &Coin,
    min_stake: &Coin,
) -> Result<String, TxError> {
    if registered {
        return Err(InferenceError::AlreadyRegistered {
            topic: t.id,
            role,
            who: who.to_bech32(),
        }
        .into());
    }
    if count >= max {
        return Err(InferenceError::TooManyParticipants {
            topic: t.id,
            role,
            max,
        }
        .into());
    }
    check_stake(stake, min_stake)?;
    let tr = ctx.send_to_module(who, MODULE_NAME, &coins_of(stake)?)?;
    emit_all(ctx, tr);
    Ok(crate::msgs::stored_coin(&t.pool, "topic pool")?.denom)
}

#[derive(Debug)]
pub struct RegisterTopicWorker {
    pub worker: Address,
    pub topic_id: u64,
    pub stake: Coin,
}

impl TryFrom<pb::MsgRegisterTopicWorker> for RegisterTopicWorker {
    type Error = TxError;
    fn try_from(m: pb::MsgRegisterTopicWorker) -> Result<Self, TxError> {
        Ok(Self {
            worker: Address::from_bech32(&m.worker)?,
            topic_id: m.topic_id,
            stake: staked(m.stake)?,
        })
    }
}

impl Message for RegisterTopicWorker {
    fn signers(&self) -> Vec<Address> {
        vec![self.worker.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let mut t = topic(ctx, self.topic_id)?;
        let registered = ctx.get_topic_worker(t.id, &self.worker)?.is_some();
        let pool_denom = join_topic(
            ctx,
            &t,
            (&self.worker, "worker", registered),
            (t.worker_count, params.max_topic_workers),
            &self.stake,
            &params.topic_worker_min_stake,
        )?;
        let who = self.worker.to_bech32();
        let w = pb::TopicWorker {
            topic_id: t.id,
            worker: who,
            stake: Some(self.stake.to_proto()),
            score: Fx::ZERO.to_string(),
            rewards: Some(Coin::new(pool_denom, 0)?.to_proto()),
        };
        ctx.put_topic_worker(&w)?;
        t.worker_count += 1;
        ctx.put_topic(&t)?;
        ctx.emit(events::topic_worker_registered(&w));
        ctx.emit(sender_event(&self.worker));
        Ok(response(pb::MsgRegisterTopicWorkerResponse {}))
    }
}

#[derive(Debug)]
pub struct RegisterReputer {
    pub reputer: Address,
    pub topic_id: u64,
    pub stake: Coin,
}

impl TryFrom<pb::MsgRegisterReputer> for RegisterReputer {
    type Error = TxError;
    fn try_from(m: pb::MsgRegisterReputer) -> Result<Self, TxError> {
        Ok(Self {
            reputer: Address::from_bech32(&m.reputer)?,
            topic_id: m.topic_id,
            stake: staked(m.stake)?,
        })
    }
}

impl Message for RegisterReputer {
    fn signers(&self) -> Vec<Address> {
        vec![self.reputer.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let mut t = topic(ctx, self.topic_id)?;
        let registered = ctx.get_reputer(t.id, &self.reputer)?.is_some();
        let pool_denom = join_topic(
            ctx,
            &t,
            (&self.reputer, "reputer", registered),
            (t.reputer_count, params.max_topic_reputers),
            &self.stake,
            &params.reputer_min_stake,
        )?;
        let who = self.reputer.to_bech32();
        let r = pb::Reputer {
            topic_id: t.id,
            reputer: who,
            stake: Some(self.stake.to_proto()),
            strikes: 0,
            rewards: Some(Coin::new(pool_denom, 0)?.to_proto()),
        };
        ctx.put_reputer(&r)?;
        t.reputer_count += 1;
        ctx.put_topic(&t)?;
        ctx.emit(events::reputer_registered(&r));
        ctx.emit(sender_event(&self.reputer));
        Ok(response(pb::MsgRegisterReputerResponse {}))
    }
}

/// Refuses a report by `who` unless it is `registered` in `role` in topic `t`.
fn require_registered(
    t: &pb::Topic,
    role: &'static str,
    who: &str,
    registered: bool,
) -> Result<(), TxError> {
    if !registered {
        return Err(InferenceError::NotRegistered {
            topic: t.id,
            role,
            who: who.to_string(),
        }
        .into());
    }
    Ok(())
}

/// Refuses a second report by `who` for `epoch` of topic `t` (`key`: where it would be).
fn require_unreported(
    ctx: &Ctx,
    t: &pb::Topic,
    epoch: u64,
    key: &[u8],
    who: &str,
) -> Result<(), TxError> {
    if ctx.get(key)?.is_some() {
        return Err(InferenceError::AlreadyReported {
            topic: t.id,
            epoch,
            who: who.to_string(),
        }
        .into());
    }
    Ok(())
}

#[derive(Debug)]
pub struct SubmitTopicInference {
    pub worker: Address,
    pub topic_id: u64,
    pub epoch: u64,
    pub value: i64,
}

impl TryFrom<pb::MsgSubmitTopicInference> for SubmitTopicInference {
    type Error = TxError;
    fn try_from(m: pb::MsgSubmitTopicInference) -> Result<Self, TxError> {
        check_value(m.value)?;
        Ok(Self {
            worker: Address::from_bech32(&m.worker)?,
            topic_id: m.topic_id,
            epoch: m.epoch,
            value: m.value,
        })
    }
}

impl Message for SubmitTopicInference {
    fn signers(&self) -> Vec<Address> {
        vec![self.worker.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let t = topic(ctx, self.topic_id)?;
        let who = self.worker.to_bech32();
        let registered = ctx.get_topic_worker(t.id, &self.worker)?.is_some();
        require_registered(&t, "worker", &who, registered)?;
        let current = epoch_at(&t, ctx.block.height);
        if self.epoch != current {
            return Err(InferenceError::WrongEpoch {
                topic: t.id,
                epoch: self.epoch,
                why: format!("inferences are for the current epoch, {current}"),
            }
            .into());
        }
        let key = crate::state_key::topic_inference(t.id, self.epoch, &self.worker);
        require_unreported(ctx, &t, self.epoch, &key, &who)?;
        let i = pb::TopicInference {
            topic_id: t.id,
            epoch: self.epoch,
            worker: who,
            value: self.value,
        };
        ctx.put_topic_inference(&i, settle_height(&t, self.epoch))?;
        ctx.emit(events::topic_inference_submitted(&i));
        ctx.emit(sender_event(&self.worker));
        Ok(response(pb::MsgSubmitTopicInferenceResponse {}))
    }
}

#[derive(Debug)]
pub struct SubmitGroundTruth {
    pub reputer: Address,
    pub topic_id: u64,
    pub epoch: u64,
    pub value: i64,
}

impl TryFrom<pb::MsgSubmitGroundTruth> for SubmitGroundTruth {
    type Error = TxError;
    fn try_from(m: pb::MsgSubmitGroundTruth) -> Result<Self, TxError> {
        check_value(m.value)?;
        Ok(Self {
            reputer: Address::from_bech32(&m.reputer)?,
            topic_id: m.topic_id,
            epoch: m.epoch,
            value: m.value,
        })
    }
}

impl Message for SubmitGroundTruth {
    fn signers(&self) -> Vec<Address> {
        vec![self.reputer.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let t = topic(ctx, self.topic_id)?;
        let who = self.reputer.to_bech32();
        let registered = ctx.get_reputer(t.id, &self.reputer)?.is_some();
        require_registered(&t, "reputer", &who, registered)?;
        let current = epoch_at(&t, ctx.block.height);
        if self.epoch == 0 || self.epoch.checked_add(t.ground_truth_lag) != Some(current) {
            return Err(InferenceError::WrongEpoch {
                topic: t.id,
                epoch: self.epoch,
                why: format!(
                    "in epoch {current} ground truth is reported for epoch {} only (lag {})",
                    current.saturating_sub(t.ground_truth_lag),
                    t.ground_truth_lag
                ),
            }
            .into());
        }
        let key = crate::state_key::ground_truth(t.id, self.epoch, &self.reputer);
        require_unreported(ctx, &t, self.epoch, &key, &who)?;
        let g = pb::GroundTruthReport {
            topic_id: t.id,
            epoch: self.epoch,
            reputer: who,
            value: self.value,
        };
        ctx.put_ground_truth(&g, settle_height(&t, self.epoch))?;
        ctx.emit(events::ground_truth_submitted(&g));
        ctx.emit(sender_event(&self.reputer));
        Ok(response(pb::MsgSubmitGroundTruthResponse {}))
    }
}
