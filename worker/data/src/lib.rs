//! deai worker: the cryptography of the data market (docs/data.md, "Encrypted datasets").
//!
//! Pure functions and streaming I/O, no networking and no chain access:
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

pub mod keywrap;
pub mod request;
pub mod stream;

pub use keywrap::{unwrap_key, wrap_key, KeyWrapError, WRAPPED_KEY_LEN};
pub use request::{
    pubkey_address, verify, DownloadRequest, ReplayGuard, RequestError, SignedRequest,
    DOWNLOAD_HEADER,
};
pub use stream::{
    decrypt_file, encrypt_file, encrypt_file_with_chunk_size, generate_data_key, StreamError,
    Summary, DEFAULT_CHUNK_SIZE,
};
