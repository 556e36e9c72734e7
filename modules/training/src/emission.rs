//! training's share of the chain's inflation (deai-mint's emission split): the
//! [`EmissionSink`] that the app hands to `deai_mint::MintModule::new`.
//!
//! - **Recipients**: tasks, by id.
//! - **Weight**: an active task's stake, the sum of its neurons' bonded stakes (jailed
//!   neurons, proven wrong by an audit, excluded); a finished task weighs 0, and so does a
//!   task whose last closed round was idle (no revealed update and no revealed weights:
//!   `idle_rounds > 0`), so that stake parked in a task nobody trains earns nothing. Reading it walks
//!   the task's neurons (at most `max_neurons` ≤ [`crate::MAX_NEURONS_CAP`]), so the rolling
//!   visit looks at [`VISITS_PER_BLOCK`] tasks a block.
//! - **Credit**: the claim is added to the task's reward pool (`Task.pool`), which its
//!   epochs pay to trainers and validators (`emission_per_tempo` a round), and the mint
//!   module moves the coins into the training module account: the account still holds
//!   exactly Σ pools + Σ stakes + Σ unbonding + Σ audit bonds. A finished or unknown task,
//!   or a pool of another denom, refuses (the claim goes to the community pool).
//! - **Unspent emission**: the emission part of each task's pool is recorded
//!   (`deai_mint::PoolPart`, `state_key::emission_task`); `reward_pools::unspent_in` reads
//!   it, so that the refund of a finished task sends it to the community pool rather than to
//!   the creator (`epoch.rs`: the task is settled with `reward_pools::settle` first, its
//!   record deleted once it finished). Genesis exports and imports the records
//!   (`TaskEmission`).
//!
//! deai-mint keeps the lazy index, moves every coin and credits by the rules all reward-pool
//! markets share (`deai_mint::reward_pools`); this file says where training's task pools
//! are and what they weigh.

use deai_framework::{sdk, Coin, Ctx, StateRead, StateWrite, TxError};
use deai_mint::reward_pools::{export_parts, import_part};
use deai_mint::{EmissionSink, PoolSink, RewardPools};
use deai_proto::training::v1 as pb;

use crate::keeper::{TrainingRead, TrainingWrite};
use crate::neurons::{coin_of, stake_of};
use crate::{state_key, MAX_NEURONS_CAP, MODULE_ACCOUNT};

/// Tasks visited per block (each reads up to `max_neurons` neurons).
pub const VISITS_PER_BLOCK: usize = 8;

/// training's task pools, as the mint module credits them.
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskPools;

/// training's emission sink.
pub type TrainingEmission = PoolSink<TaskPools>;

/// The sink, boxed for `deai_mint::MintModule::new`.
pub fn sink() -> Box<dyn EmissionSink> {
    TrainingEmission::boxed()
}

fn active(task: &pb::Task) -> bool {
    task.state == pb::TaskState::Active as i32
}

/// The stake of an active task: Σ of its non-jailed neurons' stakes.
pub fn task_weight<S: StateRead + ?Sized>(s: &S, id: u64) -> Result<u128, TxError> {
    let Some(task) = s.get_task(id)? else {
        return Ok(0);
    };
    if !active(&task) || task.idle_rounds > 0 {
        return Ok(0);
    }
    let mut sum: u128 = 0;
    for n in s.neurons_of(id)?.iter().take(MAX_NEURONS_CAP as usize) {
        if n.jailed {
            continue;
        }
        sum = sum
            .checked_add(stake_of(n)?)
            .ok_or_else(|| sdk::internal("task stake overflows"))?;
    }
    Ok(sum)
}

/// Every emission record, for genesis export.
pub(crate) fn export(s: &dyn StateRead) -> Result<Vec<pb::TaskEmission>, TxError> {
    Ok(export_parts::<TaskPools>(s)?
        .into_iter()
        .map(|(task_id, p)| pb::TaskEmission {
            task_id,
            part: p.part.to_string(),
            balance_after: p.balance_after.to_string(),
        })
        .collect())
}

/// Imports the emission records (after the tasks).
pub(crate) fn import(
    s: &mut dyn StateWrite,
    records: &[pb::TaskEmission],
    invalid: impl Fn(String) -> TxError,
) -> Result<(), TxError> {
    for r in records {
        import_part::<TaskPools>(s, r.task_id, &r.part, &r.balance_after, &invalid)?;
    }
    Ok(())
}

impl RewardPools for TaskPools {
    type Record = pb::Task;
    const MARKET: &'static str = deai_mint::TRAINING;
    const ACCOUNT: &'static str = MODULE_ACCOUNT;
    const NOUN: &'static str = "task";
    const VISITS_PER_BLOCK: usize = VISITS_PER_BLOCK;

    fn record_key(id: u64) -> Vec<u8> {
        state_key::task(id)
    }

    fn records_prefix() -> Vec<u8> {
        state_key::tasks()
    }

    fn part_key(id: u64) -> Vec<u8> {
        state_key::emission_task(id)
    }

    fn parts_prefix() -> Vec<u8> {
        state_key::emission_tasks()
    }

    fn load(s: &dyn StateRead, id: u64) -> Result<Option<pb::Task>, TxError> {
        s.get_task(id)
    }

    fn store(ctx: &mut Ctx, task: &pb::Task) -> Result<(), TxError> {
        ctx.put_task(task)
    }

    /// A finished task's pool is about to be refunded.
    fn takes_emission(task: &pb::Task) -> bool {
        active(task)
    }

    fn balance(task: &pb::Task) -> Result<Coin, TxError> {
        coin_of(&task.pool, "task pool")
    }

    fn set_balance(task: &mut pb::Task, pool: &Coin) {
        task.pool = Some(pool.to_proto());
    }

    fn weight(s: &dyn StateRead, id: u64) -> Result<u128, TxError> {
        task_weight(s, id)
    }
}

#[cfg(test)]
mod tests {
    use deai_bank::BankRead;
    use deai_framework::{Ctx, GasMeter, MemStore, Module};
    use deai_mint::{MintModule, MintRead};

    use super::*;
    use crate::tests::*;

    /// Mint's genesis on the training test store, with the whole provision to training.
    fn with_mint(mut s: MemStore) -> MemStore {
        MintModule::default()
            .init_genesis(
                &mut s,
                &serde_json::json!({"emission_split": {
                    "validators_bps": 0, "training_bps": 10000, "inference_bps": 0,
                    "data_bps": 0, "community_pool_bps": 0}}),
            )
            .unwrap();
        s
    }

    fn mint_block(s: &mut MemStore, m: &MintModule, h: u64) -> deai_mint::Minted {
        let gas = GasMeter::infinite();
        let snap = s.clone();
        let b = deai_framework::testing::block(h);
        let mut ctx = Ctx::new(&snap, &gas, &b);
        let out = deai_mint::begin_blocker(&mut ctx, m.sinks()).unwrap();
        let (w, _) = ctx.finish();
        s.apply(w);
        out
    }

    #[test]
    fn tasks_are_credited_pro_rata_to_their_stake_lazily() {
        let mut s = store();
        let t1 = create_task_at(&mut s, 1);
        let t2 = create_task_at(&mut s, 1);
        let t3 = create_task_at(&mut s, 1);
        exec_at(&mut s, 2, register_msg(1, t1, pb::Role::Trainer, 1_000)).unwrap();
        exec_at(&mut s, 2, register_msg(2, t2, pb::Role::Trainer, 2_000)).unwrap();
        exec_at(&mut s, 2, register_msg(3, t2, pb::Role::Validator, 1_000)).unwrap();
        // Task 3 has no neurons: weight 0, nothing credited.
        let mut s = with_mint(s);
        let m = MintModule::new(vec![sink()]);
        assert_eq!(
            (task_weight(&s, t1).unwrap(), task_weight(&s, t2).unwrap()),
            (1_000, 3_000)
        );
        let b1 = mint_block(&mut s, &m, 3);
        assert_eq!(b1.training, b1.minted);
        assert_eq!(
            (pool_of(&s, t1), pool_of(&s, t2)),
            (POOL, POOL),
            "lazy: nothing yet"
        );
        mint_block(&mut s, &m, 4);
        let (d1, d2) = (pool_of(&s, t1) - POOL, pool_of(&s, t2) - POOL);
        assert_eq!(d1, b1.minted / 4);
        assert_eq!(d2, b1.minted * 3 / 4);
        assert_eq!(pool_of(&s, t3), POOL);
        assert_eq!(
            deai_mint::reward_pools::unspent_emission::<TaskPools>(&s, t1).unwrap(),
            d1
        );
        assert_eq!(
            deai_mint::reward_pools::unspent_emission::<TaskPools>(&s, t3).unwrap(),
            0
        );
        assert_reconciles(&s);
        let st = s.market_state(deai_mint::TRAINING).unwrap().unwrap();
        assert_eq!(st.total_weight, 4_000);
        assert_eq!(
            s.module_balance(deai_mint::MODULE_ACCOUNT, "udeai")
                .unwrap(),
            st.unclaimed
        );
    }

    #[test]
    fn an_idle_task_weighs_nothing() {
        let mut s = store();
        let t = create_task_at(&mut s, 1);
        exec_at(&mut s, 2, register_msg(1, t, pb::Role::Trainer, 1_000)).unwrap();
        assert_eq!(task_weight(&s, t).unwrap(), 1_000);
        // A round closes with nothing revealed.
        blocks(&mut s, 1, 30);
        assert!(get_task(&s, t).idle_rounds > 0);
        assert_eq!(task_weight(&s, t).unwrap(), 0);
    }

    #[test]
    fn without_tasks_the_share_goes_to_the_community_pool() {
        let mut s = with_mint(store());
        let m = MintModule::new(vec![sink()]);
        let out = mint_block(&mut s, &m, 1);
        assert_eq!(out.training, 0);
        assert_eq!(
            s.module_balance(deai_bank::COMMUNITY_POOL, "udeai")
                .unwrap(),
            out.minted
        );
    }

    #[test]
    fn visits_per_block_are_bounded() {
        let mut s = store();
        for _ in 0..(VISITS_PER_BLOCK + 3) {
            let t = create_task_at(&mut s, 1);
            exec_at(&mut s, 2, register_msg(1, t, pb::Role::Trainer, 1_000)).unwrap();
        }
        let mut s = with_mint(s);
        let m = MintModule::new(vec![sink()]);
        mint_block(&mut s, &m, 3);
        let st = s.market_state(deai_mint::TRAINING).unwrap().unwrap();
        assert_eq!(st.total_weight, 1_000 * VISITS_PER_BLOCK as u128);
        mint_block(&mut s, &m, 4);
        let st = s.market_state(deai_mint::TRAINING).unwrap().unwrap();
        assert_eq!(st.total_weight, 1_000 * (VISITS_PER_BLOCK as u128 + 3));
        assert_reconciles(&s);
    }
}
