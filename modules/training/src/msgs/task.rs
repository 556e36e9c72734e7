//! MsgCreateTask, and [`create_task`], the one creation path (a task-proposal module calls it
//! too).

use cosmos_sdk_proto::Any;
use sha2::{Digest, Sha256};

use deai_bank::BankWrite;
use deai_framework::{sdk, Address, Coin, Ctx, Message, TxError};
use deai_proto::training::v1 as pb;

use super::{coins_of, emit_all, required_coin, response, sender_event};
use crate::keeper::{TrainingRead, TrainingWrite, KIND_EPOCH};
use crate::{events, lineage, phases, spec, MODULE_ACCOUNT, MODULE_NAME};

/// The counter of task ids.
pub const TASK_SEQ: &str = "task";
pub const TASK_SEED_DOMAIN: &[u8] = b"deai/training/task-seed";

/// `sha256("deai/training/task-seed" ‖ id u64 BE ‖ previous block hash at creation)`.
pub fn task_seed(id: u64, prev_block_hash: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(TASK_SEED_DOMAIN);
    h.update(id.to_be_bytes());
    h.update(prev_block_hash);
    h.finalize().into()
}

/// Validates `spec` and `pool`, escrows the pool from `creator` in the module account and
/// starts round 0 at the current height (its base, the spec's seeded initialisation, is
/// ready at once). Returns the task id.
pub fn create_task(
    ctx: &mut Ctx,
    creator: &Address,
    spec: pb::TaskSpec,
    pool: &Coin,
) -> Result<u64, TxError> {
    let params = ctx.training_params()?;
    spec::validate(&params, &spec, pool)?;
    let transfers = ctx.send_to_module(creator, MODULE_ACCOUNT, &coins_of(pool)?)?;
    emit_all(ctx, transfers);
    let id = ctx.next_id(TASK_SEQ)?;
    let now = ctx.block.height;
    let genesis = lineage::genesis(id, &spec.base_spec_sha256, &spec.dataset_sha256);
    let epoch_at = phases::epoch_height(&spec, now);
    let task = pb::Task {
        id,
        creator: creator.to_bech32(),
        spec: Some(spec),
        pool: Some(pool.to_proto()),
        state: pb::TaskState::Active as i32,
        created_at: now,
        seed: task_seed(id, &ctx.block.prev_block_hash).to_vec(),
        round: 0,
        round_start: now,
        neuron_count: 0,
        lineage_head: genesis.to_vec(),
        idle_rounds: 0,
    };
    ctx.put_task(&task)?;
    let round = pb::Round {
        task_id: id,
        round: 0,
        start: now,
        base_ready: true,
        ..Default::default()
    };
    ctx.put_round(&round)?;
    ctx.schedule(epoch_at, id, KIND_EPOCH, 0)?;
    ctx.emit(events::task_created(&task));
    ctx.emit(events::round_started(&round));
    Ok(id)
}

#[derive(Debug)]
pub struct CreateTask {
    pub creator: Address,
    pub spec: pb::TaskSpec,
    pub reward_pool: Coin,
}

impl TryFrom<pb::MsgCreateTask> for CreateTask {
    type Error = TxError;
    fn try_from(m: pb::MsgCreateTask) -> Result<Self, TxError> {
        Ok(Self {
            creator: Address::from_bech32(&m.creator)?,
            spec: m
                .spec
                .ok_or_else(|| sdk::invalid_request("spec is required"))?,
            reward_pool: required_coin(m.reward_pool, "reward_pool")?,
        })
    }
}

impl Message for CreateTask {
    fn signers(&self) -> Vec<Address> {
        vec![self.creator.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let task_id = create_task(ctx, &self.creator, self.spec.clone(), &self.reward_pool)?;
        ctx.emit(sender_event(&self.creator));
        Ok(response(pb::MsgCreateTaskResponse { task_id }))
    }
}
