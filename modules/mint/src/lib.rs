//! mint: inflation toward a bonded ratio with the Cosmos SDK v0.50 x/mint semantics and wire
//! types (`cosmos.mint.v1beta1`), and deai's emission split of each block's provision among
//! validators, the AI markets and the community pool (`deai.mint.v1`). See README.md.
//!
//! # What exists
//! - **Params** (`mint_denom` udeai, `inflation_rate_change` 0.13, `inflation_max` 0.20,
//!   `inflation_min` 0.07, `goal_bonded` 0.67, `blocks_per_year` 6,311,520) and the
//!   **Minter** with the SDK's defaults and checks ([`params`]).
//! - [`begin_blocker`]: the SDK's BeginBlocker on the framework's unsigned [`Dec`] with the
//!   SDK's roundings ([`math`]), then the split ([`split`]): validators' share to
//!   `fee_collector`, each market's share to its lazy reward index ([`index`]) through its
//!   [`EmissionSink`], the rest to `community_pool`.
//! - **Messages**: MsgUpdateParams (`cosmos.mint.v1beta1`), MsgUpdateEmissionSplit
//!   (`deai.mint.v1`). **Queries**: Params, Inflation, AnnualProvisions at the SDK paths;
//!   EmissionSplit and MarketIndex at `/deai.mint.v1.Query/…`.
//! - **Genesis** in the SDK's JSON shape plus `emission_split`, `markets` and `authority`;
//!   export → import → export is exact.
//!
//! # Wiring
//! `MintModule::new(vec![deai_training::emission::sink(), deai_inference::emission::sink(),
//! deai_data::emission::sink()])`; its begin block must run before distribution's (which
//! allocates `fee_collector`), and its genesis after bank's and staking's.

pub mod abci;
pub mod error;
pub mod events;
pub mod genesis;
pub mod index;
pub mod keeper;
pub mod math;
mod msgs;
pub mod params;
pub mod pool_part;
mod query;
pub mod reward_pools;
pub mod sink;
pub mod split;
pub mod state_key;

pub use abci::{begin_blocker, Minted};
pub use deai_framework::dec::Dec;
pub use error::*;
pub use index::touch;
pub use keeper::{MintRead, MintWrite};
pub use msgs::{UpdateEmissionSplit, UpdateParams};
pub use params::{EmissionSplit, Minter, Params};
pub use pool_part::PoolPart;
pub use reward_pools::{PoolSink, RewardPools};
pub use sink::EmissionSink;

use cosmos_sdk_proto::cosmos::mint::v1beta1 as pb;
use deai_framework::{Ctx, Module, Router, StateRead, StateWrite, TxError};
use deai_proto::mint::v1 as dpb;

pub const MODULE_NAME: &str = "mint";
/// The module account the provision is minted into (permission `minter`); it holds the
/// markets' unclaimed emission between blocks.
pub const MODULE_ACCOUNT: &str = MODULE_NAME;

/// The markets' names: the keys of their shares in the split, in the order they are served.
pub const TRAINING: &str = "training";
pub const INFERENCE: &str = "inference";
pub const DATA: &str = "data";
pub const MARKETS: [&str; 3] = [TRAINING, INFERENCE, DATA];

/// The mint module with the markets' sinks. `MintModule::default()` has none: every market's
/// share goes to the community pool.
#[derive(Default)]
pub struct MintModule {
    sinks: Vec<Box<dyn EmissionSink>>,
}

impl MintModule {
    /// The module with `sinks`; for each market the first sink with its name serves it, and
    /// sinks with other names are never called.
    pub fn new(sinks: Vec<Box<dyn EmissionSink>>) -> Self {
        Self { sinks }
    }

    pub fn sinks(&self) -> &[Box<dyn EmissionSink>] {
        &self.sinks
    }
}

impl Module for MintModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        router.add_msg::<dpb::MsgUpdateEmissionSplit, UpdateEmissionSplit>();
        query::register(router);
    }

    fn init_genesis(
        &self,
        state: &mut dyn StateWrite,
        genesis: &serde_json::Value,
    ) -> Result<(), TxError> {
        genesis::init(state, genesis)
    }

    fn export_genesis(&self, state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
        genesis::export(state)
    }

    /// Mints the block provision and splits it (see [`begin_blocker`]).
    fn begin_block(&self, ctx: &mut Ctx) -> Result<(), TxError> {
        begin_blocker(ctx, &self.sinks).map(|_| ())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_reward_pools;
#[cfg(test)]
mod tests_sink;
