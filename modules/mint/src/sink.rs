//! The one interface between the mint module and the markets: [`EmissionSink`].
//!
//! Each market crate (training, inference, data) provides it in its `emission.rs`, as a
//! [`crate::PoolSink`] over its [`crate::RewardPools`]; the app hands the sinks to
//! [`crate::MintModule::new`]. deai-mint never depends on a market crate.
//!
//! A sink only answers questions about its own state and credits its own records; the mint
//! module keeps the lazy reward index (see [`crate::index`]) and moves every coin itself, so
//! a sink can neither create nor lose a unit:
//! - [`EmissionSink::ids_from`] lists the market's recipients (tasks, topics, pools) by id,
//!   a bounded number at a time, for the rolling visit;
//! - [`EmissionSink::weight`] is one recipient's weight now (0 when it cannot receive:
//!   finished, closed, unknown), computed from a bounded set of its records;
//! - [`EmissionSink::credit`] adds a settled claim to the recipient's reward pool record;
//!   the mint module then moves exactly that coin into [`EmissionSink::account`]. When it
//!   answers `Ok(false)` (the recipient cannot take it: gone, finished, another denom) it must
//!   have written nothing, and the coin goes to the community pool instead.

use deai_framework::{Coin, Ctx, StateRead, TxError};

/// How many recipients a market's rolling visit looks at per block unless the sink says
/// otherwise.
pub const DEFAULT_VISITS_PER_BLOCK: usize = 16;
/// The most recipients any sink may visit per block.
pub const MAX_VISITS_PER_BLOCK: usize = 256;

pub trait EmissionSink: Send + Sync {
    /// The market's name: [`crate::TRAINING`], [`crate::INFERENCE`] or [`crate::DATA`], the
    /// key of its share in the emission split. A sink with another name is never called.
    fn market(&self) -> &'static str;

    /// The module account that holds the market's reward pools (its escrow); credited coins
    /// are moved there.
    fn account(&self) -> &'static str;

    /// Recipients visited per block (clamped to 1..=[`MAX_VISITS_PER_BLOCK`]). Each visit
    /// calls [`EmissionSink::weight`] once, so a market whose weight reads many records
    /// visits fewer.
    fn visits_per_block(&self) -> usize {
        DEFAULT_VISITS_PER_BLOCK
    }

    /// Up to `limit` recipient ids ≥ `from`, ascending (a bounded scan of the market's own
    /// records).
    fn ids_from(&self, state: &dyn StateRead, from: u64, limit: usize)
        -> Result<Vec<u64>, TxError>;

    /// The weight of recipient `id` now; 0 when it cannot receive.
    fn weight(&self, state: &dyn StateRead, id: u64) -> Result<u128, TxError>;

    /// Adds `coin` to recipient `id`'s reward pool record; the caller then moves the coin
    /// into [`EmissionSink::account`]. `Ok(false)`: the recipient cannot take it, nothing was
    /// written, and the coin goes to the community pool.
    fn credit(&self, ctx: &mut Ctx, id: u64, coin: &Coin) -> Result<bool, TxError>;
}
