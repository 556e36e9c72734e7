//! Client-side pieces shared by the CLI, the tests, the benches and the worker:
//! key derivation, tx building and signing, the encrypted keyring, and the node RPC client.

pub mod keyring;
pub mod keys;
pub mod rpc;
pub mod txbuilder;
