//! The emission sink of a market whose recipients each hold their reward balance in one
//! record (data's pools, training's tasks, inference's topics): [`RewardPools`] says where
//! those records are and how to read them; [`PoolSink`] is the [`EmissionSink`] built on it,
//! and the free functions are what the market's own settlement and genesis code call. One
//! implementation of the crediting rules, so the three markets cannot drift apart:
//! - a credit adds the claim to the record's balance and to its emission part
//!   ([`PoolPart`], kept per recipient under [`RewardPools::part_key`]), or writes nothing
//!   when the recipient cannot take it (unknown, not taking emission, another denom);
//! - the rolling visit lists recipients by a bounded scan of the market's records.

use std::marker::PhantomData;

use deai_framework::keys::{prefix_end, trailing_id};
use deai_framework::{sdk, Coin, Ctx, StateRead, StateWrite, TxError};

use crate::{EmissionSink, PoolPart};

/// A market's reward-pool records, as [`PoolSink`] reads and credits them.
pub trait RewardPools: Send + Sync + 'static {
    /// The recipient's record (a pool, a task, a topic).
    type Record;
    /// The market's name in the emission split ([`crate::DATA`], …).
    const MARKET: &'static str;
    /// The module account that holds the market's reward balances.
    const ACCOUNT: &'static str;
    /// What a recipient is called in errors: "pool", "task", "topic".
    const NOUN: &'static str;
    /// Recipients the rolling visit looks at per block (see [`EmissionSink`]).
    const VISITS_PER_BLOCK: usize;

    /// The key of recipient `id`'s record; every record's key is
    /// `records_prefix() ‖ id as u64 BE`.
    fn record_key(id: u64) -> Vec<u8>;
    fn records_prefix() -> Vec<u8>;
    /// The key of recipient `id`'s emission part, under `parts_prefix()` likewise.
    fn part_key(id: u64) -> Vec<u8>;
    fn parts_prefix() -> Vec<u8>;

    /// Recipient `id`'s record, `None` when unknown.
    fn load(state: &dyn StateRead, id: u64) -> Result<Option<Self::Record>, TxError>;
    /// Writes the record back (with its indexes, as the market always does).
    fn store(ctx: &mut Ctx, record: &Self::Record) -> Result<(), TxError>;
    /// Whether the recipient can take emission now (open, active).
    fn takes_emission(record: &Self::Record) -> bool;
    /// Its reward balance (a corrupt one is an internal error).
    fn balance(record: &Self::Record) -> Result<Coin, TxError>;
    /// Replaces its reward balance.
    fn set_balance(record: &mut Self::Record, balance: &Coin);
    /// Its weight now (0 when it cannot receive).
    fn weight(state: &dyn StateRead, id: u64) -> Result<u128, TxError>;
}

/// The [`EmissionSink`] of a [`RewardPools`] market.
pub struct PoolSink<M>(PhantomData<fn() -> M>);

impl<M> PoolSink<M> {
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<M> Default for PoolSink<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: RewardPools> PoolSink<M> {
    /// The sink, boxed for [`crate::MintModule::new`].
    pub fn boxed() -> Box<dyn EmissionSink> {
        Box::new(Self::new())
    }
}

/// The emission part record of recipient `id`.
pub fn part_of<M: RewardPools>(state: &dyn StateRead, id: u64) -> Result<PoolPart, TxError> {
    PoolPart::decode(state.get(&M::part_key(id))?.as_deref())
}

/// The unspent emission in recipient `id`'s balance now (0 for an unknown recipient).
pub fn unspent_emission<M: RewardPools>(state: &dyn StateRead, id: u64) -> Result<u128, TxError> {
    let Some(record) = M::load(state, id)? else {
        return Ok(0);
    };
    part_of::<M>(state, id)?.now(M::balance(&record)?.amount)
}

/// The unspent emission in a balance of `balance` of recipient `id` (the balance not yet
/// stored).
pub fn unspent_in<M: RewardPools>(
    state: &dyn StateRead,
    id: u64,
    balance: u128,
) -> Result<u128, TxError> {
    part_of::<M>(state, id)?.now(balance)
}

/// Settles recipient `id` with the mint module's index (a pending claim is credited while
/// it can still take it, else it goes to the community pool) and re-reads its weight;
/// nothing before the market's first share.
pub fn settle<M: RewardPools>(ctx: &mut Ctx, id: u64) -> Result<(), TxError> {
    crate::touch(ctx, &PoolSink::<M>::new(), id)
}

/// Forgets the emission part of a recipient whose balance was paid out.
pub fn clear<M: RewardPools>(state: &mut dyn StateWrite, id: u64) -> Result<(), TxError> {
    state.delete(M::part_key(id))
}

/// Every emission part record, by recipient id, for genesis export.
pub fn export_parts<M: RewardPools>(
    state: &dyn StateRead,
) -> Result<Vec<(u64, PoolPart)>, TxError> {
    PoolPart::all_under(state, &M::parts_prefix())
}

/// Imports one genesis emission record (after the recipients): of a known recipient, once,
/// with a part at most the balance it was credited into.
pub fn import_part<M: RewardPools>(
    state: &mut dyn StateWrite,
    id: u64,
    part: &str,
    balance_after: &str,
    invalid: impl Fn(String) -> TxError,
) -> Result<(), TxError> {
    let bad = |why: String| invalid(format!("emission of {} {id}: {why}", M::NOUN));
    let p = PoolPart::parse(part, balance_after).map_err(bad)?;
    let key = M::part_key(id);
    if M::load(&*state, id)?.is_none() || state.get(&key)?.is_some() {
        return Err(bad(format!("unknown {} or duplicate", M::NOUN)));
    }
    state.put(key, p.encode())
}

impl<M: RewardPools> EmissionSink for PoolSink<M> {
    fn market(&self) -> &'static str {
        M::MARKET
    }

    fn account(&self) -> &'static str {
        M::ACCOUNT
    }

    fn visits_per_block(&self) -> usize {
        M::VISITS_PER_BLOCK
    }

    fn ids_from(&self, s: &dyn StateRead, from: u64, limit: usize) -> Result<Vec<u64>, TxError> {
        let end = prefix_end(&M::records_prefix());
        s.scan(&M::record_key(from), end.as_deref(), false, limit)?
            .iter()
            .map(|(k, _)| {
                trailing_id(k).ok_or_else(|| sdk::internal(format!("corrupt {} key", M::NOUN)))
            })
            .collect()
    }

    fn weight(&self, s: &dyn StateRead, id: u64) -> Result<u128, TxError> {
        M::weight(s, id)
    }

    fn credit(&self, ctx: &mut Ctx, id: u64, coin: &Coin) -> Result<bool, TxError> {
        let Some(mut record) = M::load(ctx, id)? else {
            return Ok(false);
        };
        if !M::takes_emission(&record) {
            return Ok(false);
        }
        let mut balance = M::balance(&record)?;
        if balance.denom != coin.denom {
            return Ok(false);
        }
        let part = part_of::<M>(ctx, id)?.credited(balance.amount, coin.amount)?;
        ctx.put(M::part_key(id), part.encode())?;
        balance.amount = balance
            .amount
            .checked_add(coin.amount)
            .ok_or_else(|| sdk::internal(format!("{} balance overflows", M::NOUN)))?;
        M::set_balance(&mut record, &balance);
        M::store(ctx, &record)?;
        Ok(true)
    }
}
