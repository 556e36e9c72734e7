//! The shared machinery of deai's modules: the module trait and message router, the
//! transactional state overlay with gas metering, errors with stable ABCI codes, events,
//! and the domain types every module speaks (addresses, coins).
//!
//! Modules depend on this crate only; the app (deaid) wires them together.

pub mod address;
pub mod audit;
pub mod authority;
pub mod coins;
pub mod context;
pub mod dec;
pub mod draw;
pub mod error;
pub mod events;
pub mod gas;
pub mod genesis;
pub mod handler;
pub mod keys;
pub mod module;
pub mod pagination;
pub mod params;
pub mod query;
pub mod records;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;

pub use address::Address;
pub use coins::{Coin, Coins};
pub use context::Ctx;
pub use error::{sdk, TxError};
pub use events::{parse_typed_event, typed_event, Event};
pub use gas::{GasConfig, GasMeter};
pub use module::{Message, Module, Router};
pub use state::{Delta, MemStore, StateRead, StateWrite};
