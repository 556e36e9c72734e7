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
//!   (`deai_mint::PoolPart`, `state_key::emission_task`); [`unspent_emission`] reads it, so
//!   that the refund of a finished task sends it to the community pool rather than to the
//!   creator (`epoch.rs`: the task is settled with `deai_mint::touch` first, its record
//!   deleted once it finished). Genesis exports and imports the records (`TaskEmission`).
//!
//! deai-mint keeps the lazy index and moves every coin; this file only reads and credits
//! training's own records (see `deai_mint::index`).

use deai_framework::keys::{prefix_end, trailing_id};
use deai_framework::{sdk, Coin, Ctx, StateRead, StateWrite, TxError};
use deai_mint::{EmissionSink, PoolPart};
use deai_proto::training::v1 as pb;

use crate::keeper::{TrainingRead, TrainingWrite};
use crate::neurons::{coin_of, stake_of};
use crate::{state_key, MAX_NEURONS_CAP, MODULE_ACCOUNT};

/// Tasks visited per block (each reads up to `max_neurons` neurons).
pub const VISITS_PER_BLOCK: usize = 8;

/// training's emission sink.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrainingEmission;

/// The sink, boxed for `deai_mint::MintModule::new`.
pub fn sink() -> Box<dyn EmissionSink> {
    Box::new(TrainingEmission)
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

fn part_record<S: StateRead + ?Sized>(s: &S, id: u64) -> Result<PoolPart, TxError> {
    PoolPart::decode(s.get(&state_key::emission_task(id))?.as_deref())
}

/// The unspent emission in task `id`'s pool now (0 for an unknown task).
pub fn unspent_emission<S: StateRead + ?Sized>(s: &S, id: u64) -> Result<u128, TxError> {
    let Some(task) = s.get_task(id)? else {
        return Ok(0);
    };
    part_record(s, id)?.now(coin_of(&task.pool, "task pool")?.amount)
}

/// The unspent emission in a pool of `balance` of task `id` (the balance not yet stored).
pub(crate) fn unspent_in<S: StateRead + ?Sized>(
    s: &S,
    id: u64,
    balance: u128,
) -> Result<u128, TxError> {
    part_record(s, id)?.now(balance)
}

/// Settles task `id` with the mint module's index (its pending claim credited to its pool
/// while it can still take it) and re-reads its weight; nothing before the market's first
/// share.
pub(crate) fn settle(ctx: &mut Ctx, id: u64) -> Result<(), TxError> {
    deai_mint::touch(ctx, &TrainingEmission, id)
}

/// Forgets the emission record of a task whose pool was emptied.
pub(crate) fn clear<S: StateWrite + ?Sized>(s: &mut S, id: u64) -> Result<(), TxError> {
    s.delete(state_key::emission_task(id))
}

/// Every emission record, for genesis export.
pub(crate) fn export(s: &dyn StateRead) -> Result<Vec<pb::TaskEmission>, TxError> {
    Ok(PoolPart::all_under(s, &state_key::emission_tasks())?
        .into_iter()
        .map(|(task_id, p)| pb::TaskEmission {
            task_id,
            part: p.part.to_string(),
            balance_after: p.balance_after.to_string(),
        })
        .collect())
}

/// Imports the emission records (after the tasks): each of a known task, once, with a
/// part at most the balance it was credited into.
pub(crate) fn import(
    s: &mut dyn StateWrite,
    records: &[pb::TaskEmission],
    invalid: impl Fn(String) -> TxError,
) -> Result<(), TxError> {
    for r in records {
        let bad = |why: String| invalid(format!("emission of task {}: {why}", r.task_id));
        let p = PoolPart::parse(&r.part, &r.balance_after).map_err(bad)?;
        let key = state_key::emission_task(r.task_id);
        if s.get_task(r.task_id)?.is_none() || s.get(&key)?.is_some() {
            return Err(bad("unknown task or duplicate".into()));
        }
        s.put(key, p.encode())?;
    }
    Ok(())
}

impl EmissionSink for TrainingEmission {
    fn market(&self) -> &'static str {
        deai_mint::TRAINING
    }

    fn account(&self) -> &'static str {
        MODULE_ACCOUNT
    }

    fn visits_per_block(&self) -> usize {
        VISITS_PER_BLOCK
    }

    fn ids_from(&self, s: &dyn StateRead, from: u64, limit: usize) -> Result<Vec<u64>, TxError> {
        let end = prefix_end(&state_key::tasks());
        s.scan(&state_key::task(from), end.as_deref(), false, limit)?
            .iter()
            .map(|(k, _)| trailing_id(k).ok_or_else(|| sdk::internal("corrupt task key")))
            .collect()
    }

    fn weight(&self, s: &dyn StateRead, id: u64) -> Result<u128, TxError> {
        task_weight(s, id)
    }

    fn credit(&self, ctx: &mut Ctx, id: u64, coin: &Coin) -> Result<bool, TxError> {
        let Some(mut task) = ctx.get_task(id)? else {
            return Ok(false);
        };
        if !active(&task) {
            return Ok(false);
        }
        let mut pool = coin_of(&task.pool, "task pool")?;
        if pool.denom != coin.denom {
            return Ok(false);
        }
        let part = part_record(ctx, id)?.credited(pool.amount, coin.amount)?;
        ctx.put(state_key::emission_task(id), part.encode())?;
        pool.amount = pool
            .amount
            .checked_add(coin.amount)
            .ok_or_else(|| sdk::internal("task pool overflows"))?;
        task.pool = Some(pool.to_proto());
        ctx.put_task(&task)?;
        Ok(true)
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
        assert_eq!(unspent_emission(&s, t1).unwrap(), d1);
        assert_eq!(unspent_emission(&s, t3).unwrap(), 0);
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
