//! deaid: the deai node (ABCI 2.0 application) and its command-line interface.

pub mod cli;
/// The client crate under its old path, for callers outside app/ (the e2e tests).
pub use deai_client as client;
pub mod node;
pub mod store;
pub mod tx;
