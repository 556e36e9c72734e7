//! deaid: the deai node (ABCI 2.0 application) and its command-line interface.

pub mod cli;
pub mod failpoint;
pub mod node;
pub mod store;
pub mod tx;
