//! deai worker: the data market (docs/data.md, "Encrypted datasets").
//!
//! The cryptography, pure (no networking, no chain access):
//!
//! - [`stream`]: a dataset file encrypted with XChaCha20-Poly1305 under a random 32-byte data
//!   key, in fixed-size chunks (a 100 MB file never sits in memory); [`encrypt_file`] and
//!   [`decrypt_file`] return byte counts and sha256s ([`Summary`]).
//! - [`keywrap`]: the data key wrapped to a grantee's secp256k1 account key (ECIES:
//!   ephemeral key, ECDH, HKDF-SHA256 with info `deai/data/key-wrap/v1`, XChaCha20-Poly1305);
//!   [`wrap_key`] / [`unwrap_key`], 106 bytes (≤ 256, the chain's `MsgDeliverKey` bound).
//! - [`request`]: download requests signed by the grantee's account key over
//!   `("deai/data/download/v1", chain id, dataset, grant, height)`, verified to the signer's
//!   Cosmos address, with a bounded [`ReplayGuard`] and an HTTP header encoding.
//!
//! The worker's side of the market, on top:
//!
//! - [`catalog`]: the provider's datasets and their data keys, sealed at rest ([`Catalog`]);
//! - [`chain`]: the queries it reads ([`NodeQueries`], [`GrantSource`]);
//! - [`policy`]: the artifact server's grant check ([`GrantPolicy`], 401 / 403 / 503);
//! - [`provider`]: the key delivery loop of `data provider start` ([`Provider`]);
//! - [`publish`]: `data publish` ([`publish()`], [`store_dataset`], host URIs);
//! - [`fetch`]: `data fetch` ([`fetch()`], its decision [`fetch::next_step`]).

pub mod catalog;
pub mod chain;
pub mod fetch;
pub mod keywrap;
pub mod policy;
pub mod provider;
pub mod publish;
pub mod request;
pub mod stream;

pub use catalog::{AccessKind, Catalog, Entry};
pub use chain::{GrantSource, NodeQueries};
/// Prices and coins, as the chain's messages take them.
pub use deai_framework::Coin;
pub use fetch::{fetch, FetchSpec, Fetched};
pub use keywrap::{unwrap_key, wrap_key, KeyWrapError, WRAPPED_KEY_LEN};
pub use policy::{Admitted, GrantPolicy, PolicyConfig};
pub use provider::{
    run_provider, NodeProviderChain, Provider, ProviderChain, ProviderState, PROVIDER_FILE,
};
pub use publish::{
    host_uri, parse_host_uri, publish, store_dataset, Metadata, PublishSpec, Published, StoredBlob,
};
pub use request::{
    pubkey_address, verify, DownloadRequest, ReplayGuard, RequestError, SignedRequest,
    DOWNLOAD_HEADER,
};
pub use stream::{
    decrypt_file, encrypt_file, encrypt_file_with_chunk_size, generate_data_key, StreamError,
    Summary, DEFAULT_CHUNK_SIZE,
};
