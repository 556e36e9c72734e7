//! Topics: epochs and their settlement (docs/inference.md, "Topics").
//!
//! Epoch `n ≥ 1` of a topic created at height `c` with `epoch_length` L covers heights
//! `[c + (n−1)·L, c + n·L − 1]`. Workers submit for the current epoch only; reputers report
//! the ground truth of epoch `e` during epoch `e + ground_truth_lag` only; `end_block` of
//! that epoch's last height, `c + (e + lag)·L − 1`, settles `e` (the `topic_due` index,
//! written with each submission). Settlement reads at most `MAX_TOPIC_WORKERS` inferences
//! and `MAX_TOPIC_REPUTERS` reports (and their workers' and reputers' records), and at most
//! [`MAX_TOPIC_SETTLEMENTS_PER_BLOCK`] epochs are settled a block, oldest first.

use deai_bank::{route_slash, BankWrite};
use deai_framework::dec::Dec;
use deai_framework::{sdk, Coin, Ctx, StateRead, StateWrite, TxError};
use deai_proto::inference::v1::{self as pb, LossMethod};

use crate::fx::{proportional, Fx};
use crate::keeper::{stored_addr, InferenceRead, InferenceWrite};
use crate::msgs::{coins_of, emit_all, stored_coin};
use crate::params::{MAX_TOPIC_REPUTERS, MAX_TOPIC_WORKERS};
use crate::settle::send_out;
use crate::topic_math::{self, Loss};
use crate::{events, state_key, COMMUNITY_POOL, MODULE_NAME};

/// Most topic epochs `end_block` settles in one block.
pub const MAX_TOPIC_SETTLEMENTS_PER_BLOCK: usize = 16;
/// Bounds of a topic's fields.
pub const MAX_EPOCH_LENGTH: u64 = 1_000_000;
pub const MAX_GROUND_TRUTH_LAG: u64 = 1_000;
pub const MAX_METRIC_BYTES: usize = 256;

pub(crate) fn loss_method(t: &pb::Topic) -> Result<Loss, TxError> {
    match LossMethod::try_from(t.loss_method) {
        Ok(LossMethod::Abs) => Ok(Loss::Abs),
        Ok(LossMethod::Squared) => Ok(Loss::Squared),
        _ => Err(sdk::internal(format!("topic {} has no loss method", t.id))),
    }
}

/// The epoch at height `h` (1 at the creation height).
pub(crate) fn epoch_at(t: &pb::Topic, h: u64) -> u64 {
    h.saturating_sub(t.created_height) / t.epoch_length.max(1) + 1
}

/// The height at whose `end_block` epoch `e` is settled: the last of epoch `e + lag`.
pub(crate) fn settle_height(t: &pb::Topic, e: u64) -> u64 {
    t.created_height
        .saturating_add(
            e.saturating_add(t.ground_truth_lag)
                .saturating_mul(t.epoch_length),
        )
        .saturating_sub(1)
}

fn parse_fx(s: &str, what: &str) -> Result<Fx, TxError> {
    Fx::parse(s).map_err(|e| sdk::internal(format!("corrupt {what}: {e}")))
}

fn parse_dec(s: &str, what: &str) -> Result<Dec, TxError> {
    Dec::parse(s).map_err(|e| sdk::internal(format!("corrupt {what}: {e}")))
}

fn add_coin(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    denom: &str,
    v: u128,
) -> Result<Coin, TxError> {
    let old = match c {
        Some(c) => Coin::from_proto(c)?,
        None => Coin::new(denom, 0)?,
    };
    Coin::new(
        old.denom,
        old.amount
            .checked_add(v)
            .ok_or_else(|| sdk::internal("reward total overflows"))?,
    )
}

pub(crate) fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    let now = ctx.block.height;
    let due = ctx.scan(
        &state_key::topic_dues(),
        Some(&state_key::topic_dues_through(now)),
        false,
        MAX_TOPIC_SETTLEMENTS_PER_BLOCK,
    )?;
    for (k, _) in due {
        let n = k.len();
        let ids = k
            .get(n.saturating_sub(16)..)
            .filter(|_| n >= 16)
            .ok_or_else(|| sdk::internal("corrupt topic due index"))?;
        let be = |r: &[u8]| {
            <[u8; 8]>::try_from(r)
                .map(u64::from_be_bytes)
                .map_err(|_| sdk::internal("corrupt topic due index"))
        };
        let (topic_id, epoch) = (be(&ids[..8])?, be(&ids[8..])?);
        ctx.delete(k)?;
        settle_epoch(ctx, topic_id, epoch)?;
    }
    Ok(())
}

/// Settles epoch `e` of a topic (see docs/inference.md for the formulas).
pub(crate) fn settle_epoch(ctx: &mut Ctx, topic_id: u64, e: u64) -> Result<(), TxError> {
    let params = ctx.inference_params()?;
    let mut t = ctx
        .get_topic(topic_id)?
        .ok_or_else(|| sdk::internal(format!("due index names missing topic {topic_id}")))?;
    let infs: Vec<pb::TopicInference> = ctx.records_under(
        &state_key::topic_inferences_of(topic_id, e),
        MAX_TOPIC_WORKERS as usize,
    )?;
    let reports: Vec<pb::GroundTruthReport> = ctx.records_under(
        &state_key::ground_truths_of(topic_id, e),
        MAX_TOPIC_REPUTERS as usize,
    )?;
    for i in &infs {
        ctx.delete(state_key::topic_inference(
            topic_id,
            e,
            &stored_addr(&i.worker)?,
        ))?;
    }
    for g in &reports {
        ctx.delete(state_key::ground_truth(
            topic_id,
            e,
            &stored_addr(&g.reputer)?,
        ))?;
    }
    t.last_settled_epoch = t.last_settled_epoch.max(e);
    // Reports of reputers removed since they reported do not count.
    let mut reps: Vec<(pb::Reputer, i64)> = Vec::new();
    for g in &reports {
        if let Some(r) = ctx.get_reputer(topic_id, &stored_addr(&g.reputer)?)? {
            reps.push((r, g.value));
        }
    }
    if infs.is_empty() || reps.is_empty() {
        // Nothing to score against (no truth) or nobody to score: the epoch passes.
        ctx.put_topic(&t)?;
        return Ok(());
    }
    let stakes: Vec<Coin> = reps
        .iter()
        .map(|(r, _)| stored_coin(&r.stake, "reputer stake"))
        .collect::<Result<_, _>>()?;
    let median_in: Vec<(i64, u128)> = reps
        .iter()
        .zip(&stakes)
        .map(|((_, v), s)| (*v, s.amount))
        .collect();
    let consensus = topic_math::weighted_median(&median_in)
        .ok_or_else(|| sdk::internal("median of no report"))?;

    let method = loss_method(&t)?;
    let alpha = parse_dec(&t.alpha, "topic alpha")?;
    let mut workers = Vec::with_capacity(infs.len());
    for i in &infs {
        let w = ctx
            .get_topic_worker(topic_id, &stored_addr(&i.worker)?)?
            .ok_or_else(|| sdk::internal(format!("inference of unknown worker {}", i.worker)))?;
        workers.push(w);
    }
    let prev: Vec<Fx> = workers
        .iter()
        .map(|w| parse_fx(&w.score, "worker score"))
        .collect::<Result<_, _>>()?;
    let values: Vec<i64> = infs.iter().map(|i| i.value).collect();
    let net = topic_math::network(&values, &prev, consensus, method)
        .ok_or_else(|| sdk::internal("network inference of no weight"))?;
    let scores: Vec<Fx> = prev
        .iter()
        .zip(&net.gains)
        .map(|(p, g)| topic_math::ema(*p, *g, alpha))
        .collect();

    // Rewards.
    let pool = stored_coin(&t.pool, "topic pool")?;
    let reward = params
        .topic_reward_fraction
        .mul_floor(pool.amount)
        .ok_or_else(|| sdk::internal("topic reward overflows"))?;
    let to_reputers = params
        .reputer_reward_share
        .mul_floor(reward)
        .ok_or_else(|| sdk::internal("topic reward overflows"))?;
    let to_workers = reward - to_reputers;
    let positive: Vec<u128> = scores.iter().map(|s| s.positive_units()).collect();
    let worker_shares = proportional(to_workers, &positive);
    let mut close = Vec::with_capacity(reps.len());
    let mut rep_weights = Vec::with_capacity(reps.len());
    for ((_, v), s) in reps.iter().zip(&stakes) {
        let (c, far) = topic_math::closeness(*v, consensus, params.reputer_tolerance);
        rep_weights.push(c.mul_floor(s.amount).unwrap_or(0));
        close.push((c, far));
    }
    let reputer_shares = proportional(to_reputers, &rep_weights);
    let paid_w: u128 = worker_shares.iter().sum();
    let paid_r: u128 = reputer_shares.iter().sum();
    // Dust of a split that happened; a split with no positive weight pays nothing and its
    // amount stays in the pool.
    let dust = if positive.iter().any(|p| *p > 0) {
        to_workers - paid_w
    } else {
        0
    } + if rep_weights.iter().any(|w| *w > 0) {
        to_reputers - paid_r
    } else {
        0
    };
    let denom = pool.denom.clone();
    let coin = |v: u128| Coin::new(denom.clone(), v);
    if dust > 0 {
        let tr =
            ctx.send_module_to_module(MODULE_NAME, COMMUNITY_POOL, &coins_of(&coin(dust)?)?)?;
        emit_all(ctx, tr);
    }
    t.pool = Some(coin(pool.amount - paid_w - paid_r - dust)?.to_proto());

    let mut worker_scores = Vec::with_capacity(workers.len());
    for (idx, mut w) in workers.into_iter().enumerate() {
        let share = worker_shares[idx];
        send_out(ctx, &stored_addr(&w.worker)?, &coin(share)?)?;
        w.score = scores[idx].to_string();
        w.rewards = Some(add_coin(&w.rewards, &denom, share)?.to_proto());
        ctx.put_topic_worker(&w)?;
        worker_scores.push(pb::WorkerScore {
            worker: w.worker.clone(),
            inference: values[idx],
            loss: topic_math::int_loss(values[idx], consensus, method),
            gain: net.gains[idx].to_string(),
            score: w.score.clone(),
            reward: Some(coin(share)?.to_proto()),
        });
    }

    let mut reputer_scores = Vec::with_capacity(reps.len());
    let mut slashes = Vec::new();
    for (idx, (mut r, report)) in reps.into_iter().enumerate() {
        let share = reputer_shares[idx];
        let addr = stored_addr(&r.reputer)?;
        send_out(ctx, &addr, &coin(share)?)?;
        r.rewards = Some(add_coin(&r.rewards, &denom, share)?.to_proto());
        let (c, far) = close[idx];
        r.strikes = if far { r.strikes.saturating_add(1) } else { 0 };
        let stake = stakes[idx].clone();
        let mut slashed = Coin::new(stake.denom.clone(), 0)?;
        if r.strikes >= params.reputer_max_strikes {
            let amount = params
                .reputer_slash_fraction
                .mul_floor(stake.amount)
                .ok_or_else(|| sdk::internal("slash overflows"))?;
            slashed = Coin::new(stake.denom.clone(), amount)?;
            if amount > 0 {
                let routed = route_slash(ctx, MODULE_NAME, &slashed, &[], COMMUNITY_POOL)?;
                emit_all(ctx, routed.events);
            }
            let rest = Coin::new(stake.denom.clone(), stake.amount - amount)?;
            send_out(ctx, &addr, &rest)?;
            ctx.delete(state_key::reputer(topic_id, &addr))?;
            // Its reports of later epochs (only when this settlement ran late) go with it, so
            // every stored report is a registered reputer's: at most MAX_TOPIC_REPUTERS an
            // epoch, all read by the settlement above.
            let open_until = epoch_at(&t, ctx.block.height).saturating_sub(t.ground_truth_lag);
            for later in e.saturating_add(1)..=open_until {
                ctx.delete(state_key::ground_truth(topic_id, later, &addr))?;
            }
            t.reputer_count = t.reputer_count.saturating_sub(1);
            slashes.push(events::reputer_slashed(&r, &slashed, &rest, e));
        } else {
            ctx.put_reputer(&r)?;
        }
        reputer_scores.push(pb::ReputerScore {
            reputer: r.reputer.clone(),
            report,
            stake: Some(stake.to_proto()),
            closeness: c.to_string(),
            reward: Some(coin(share)?.to_proto()),
            strikes: r.strikes,
            slashed: Some(slashed.to_proto()),
        });
    }

    let result = pb::EpochResult {
        topic_id,
        epoch: e,
        consensus_truth: consensus,
        network_inference: i64::try_from(net.inference.floor()).unwrap_or(i64::MAX),
        network_loss: i64::try_from(net.loss.floor()).unwrap_or(i64::MAX),
        scores: worker_scores,
        settled_height: ctx.block.height,
        network_inference_exact: net.inference.to_string(),
        network_loss_exact: net.loss.to_string(),
        reputers: reputer_scores,
        worker_rewards: Some(coin(paid_w)?.to_proto()),
        reputer_rewards: Some(coin(paid_r)?.to_proto()),
        dust: Some(coin(dust)?.to_proto()),
    };
    ctx.put_epoch_result(&result)?;
    ctx.put_topic(&t)?;
    ctx.emit(events::topic_epoch_settled(
        &result,
        &coin(paid_w + paid_r)?,
    ));
    for ev in slashes {
        ctx.emit(ev);
    }
    Ok(())
}
