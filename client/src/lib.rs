//! deai-client: what a program needs to act on a deai chain without linking the node.
//!
//! Shared by the `deaid` CLI and the `deai-worker` daemons. It never depends on `deaid`, its
//! ABCI server or its store (sled, jmt); `cargo tree -p deai-client` shows what it pulls in.
//!
//! - [`keys`]: secp256k1 account keys ([`AccountKey`]) from BIP39 mnemonics on the Cosmos
//!   HD path `m/44'/118'/0'/0/0` (the same addresses as cosmjs and Keplr).
//! - [`keyring`]: named keys on disk ([`Keyring`]); the `file` backend encrypts them at rest
//!   (scrypt + XChaCha20-Poly1305), the `test` backend does not.
//! - [`txbuilder`]: Cosmos txs signed in SIGN_MODE_DIRECT ([`sign_tx`], [`unsigned_tx`] for
//!   Simulate, [`to_any`], [`coin`], [`TxParams`], [`tx_hash`]).
//! - [`rpc`]: a CometBFT RPC client for a node ([`NodeClient`]): ABCI queries on gRPC
//!   paths, accounts, chain id and height, `broadcast_tx_sync`, tx lookup and waiting.
//! - [`sender`]: one way to send txs ([`TxSender`]): Simulate for gas, fee from a
//!   [`GasPrice`], sign, broadcast, retry once on a sequence mismatch, wait for the commit.
//!
//! - [`query`]: gRPC query methods over CometBFT RPC or the node's gRPC server ([`Querier`]).
//! - [`events`]: event subscriptions for daemons ([`events::subscribe`]): CometBFT events
//!   selected by a query (`tm.event='Tx' AND message.action='...'`, or NewBlock), each
//!   delivered once and in chain order, over the node's `/websocket` with a polling fallback
//!   (`block_results` per height) that resumes where the websocket stopped.

pub mod events;
pub mod gas;
pub mod keyring;
pub mod keys;
pub mod query;
pub mod rpc;
pub mod sender;
pub mod txbuilder;

pub use keyring::{Backend, KeyInfo, Keyring};
pub use keys::AccountKey;
pub use query::Querier;
pub use rpc::{NodeClient, QueryError, TxResponse};
pub use sender::{GasPrice, GasSetting, Prepared, SendOptions, TxSender};
pub use txbuilder::{coin, sign_tx, to_any, tx_hash, unsigned_tx, TxParams};
