//! Streamed file encryption: XChaCha20-Poly1305 under a 32-byte data key, in fixed chunks.
//!
//! # Container format (version 1)
//!
//! ```text
//! header (64 bytes):
//!   magic        8   b"DEAIDATA"
//!   version      1   0x01
//!   reserved     3   zero
//!   chunk_size   4   u32 BE, plaintext bytes per full chunk, 1 ..= 16 MiB
//!   nonce_prefix 16  random per file
//!   key_check    32  sha256("deai/data/key-check/v1" ‖ key)
//! chunks: chunk i = XChaCha20-Poly1305(key, nonce_i, aad = header, plaintext_i) ‖ tag (16)
//!   nonce_i = nonce_prefix (16) ‖ i as u32 BE (4) ‖ 0x00 0x00 0x00 ‖ last (0x01 or 0x00)
//! ```
//!
//! Every chunk but the last holds exactly `chunk_size` plaintext bytes; the last holds fewer
//! (possibly zero: an empty file, or a file whose length is a multiple of `chunk_size`, ends
//! with an empty last chunk of 16 bytes). So a reader knows a chunk is last from its length,
//! and the flag in the nonce binds that: a stream cut at a chunk boundary ends without a last
//! chunk ([`StreamError::Truncated`]); reordered, modified or cut-inside chunks fail
//! authentication ([`StreamError::TamperedChunk`]: a cut inside a chunk cannot be told from
//! tampering with it), and so do bytes appended after the last chunk (the reader takes them
//! as part of the last chunk's block, or as a further block after a full one). The header is the AAD of every chunk, so a modified header fails too.
//! `key_check` commits the file to its key (AEADs are not key-committing) and tells a wrong
//! key ([`StreamError::WrongKey`]) from tampering.
//!
//! Decryption writes each chunk's plaintext as soon as it authenticates: the output is only
//! complete and trustworthy once [`decrypt_file`] returns `Ok`.

use std::io::{self, Read, Write};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub const MAGIC: [u8; 8] = *b"DEAIDATA";
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 64;
pub const TAG_LEN: usize = 16;
/// The chunk size [`encrypt_file`] uses: 64 KiB.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// The largest chunk size a header may declare (bounds the decryptor's buffer).
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;
const KEY_CHECK_DOMAIN: &[u8] = b"deai/data/key-check/v1";

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("not an encrypted deai dataset (bad magic)")]
    BadMagic,
    #[error("unsupported container version {0}")]
    UnsupportedVersion(u8),
    #[error("malformed header: {0}")]
    BadHeader(&'static str),
    #[error("the data key does not match this file")]
    WrongKey,
    #[error("the ciphertext is truncated")]
    Truncated,
    #[error("chunk {index} failed authentication (tampered, reordered or cut)")]
    TamperedChunk { index: u32 },
    #[error("too many chunks for one file")]
    TooManyChunks,
    #[error("chunk size {0} out of range 1..={MAX_CHUNK_SIZE}")]
    ChunkSize(u32),
    #[error("encryption failed")]
    Encrypt,
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
}

/// What a pass over a file saw: lengths and sha256s of both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub plaintext_len: u64,
    pub ciphertext_len: u64,
    /// The dataset's `content_sha256`.
    pub plaintext_sha256: [u8; 32],
    /// What the provider serves (and a grantee can check before decrypting).
    pub ciphertext_sha256: [u8; 32],
}

/// A fresh random 32-byte data key.
pub fn generate_data_key() -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(key.as_mut());
    key
}

fn key_check(key: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(KEY_CHECK_DOMAIN);
    h.update(key);
    h.finalize().into()
}

fn nonce(prefix: &[u8], index: u32, last: bool) -> XNonce {
    let mut n = [0u8; 24];
    n[..16].copy_from_slice(prefix);
    n[16..20].copy_from_slice(&index.to_be_bytes());
    n[23] = u8::from(last);
    XNonce::from(n)
}

/// Reads until `buf` is full or the reader ends; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Encrypts `reader` into `writer` with [`DEFAULT_CHUNK_SIZE`] chunks.
pub fn encrypt_file<R: Read, W: Write>(
    reader: R,
    writer: W,
    key: &[u8; 32],
) -> Result<Summary, StreamError> {
    encrypt_file_with_chunk_size(reader, writer, key, DEFAULT_CHUNK_SIZE)
}

/// Encrypts with a given chunk size (1 ..= [`MAX_CHUNK_SIZE`]); tests use small ones.
pub fn encrypt_file_with_chunk_size<R: Read, W: Write>(
    mut reader: R,
    mut writer: W,
    key: &[u8; 32],
    chunk_size: u32,
) -> Result<Summary, StreamError> {
    if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
        return Err(StreamError::ChunkSize(chunk_size));
    }
    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(&MAGIC);
    header[8] = VERSION;
    header[12..16].copy_from_slice(&chunk_size.to_be_bytes());
    OsRng.fill_bytes(&mut header[16..32]);
    header[32..64].copy_from_slice(&key_check(key));

    let cipher = XChaCha20Poly1305::new(key.into());
    let mut plain_hash = Sha256::new();
    let mut cipher_hash = Sha256::new();
    writer.write_all(&header)?;
    cipher_hash.update(header);
    let mut summary_len = (0u64, HEADER_LEN as u64);

    let mut buf = Zeroizing::new(vec![0u8; chunk_size as usize]);
    let mut index: u32 = 0;
    loop {
        let n = read_full(&mut reader, &mut buf)?;
        let last = n < buf.len();
        let plain = &buf[..n];
        plain_hash.update(plain);
        let ct = cipher
            .encrypt(
                &nonce(&header[16..32], index, last),
                Payload {
                    msg: plain,
                    aad: &header,
                },
            )
            .map_err(|_| StreamError::Encrypt)?;
        writer.write_all(&ct)?;
        cipher_hash.update(&ct);
        summary_len.0 += n as u64;
        summary_len.1 += ct.len() as u64;
        if last {
            break;
        }
        index = index.checked_add(1).ok_or(StreamError::TooManyChunks)?;
    }
    writer.flush()?;
    Ok(Summary {
        plaintext_len: summary_len.0,
        ciphertext_len: summary_len.1,
        plaintext_sha256: plain_hash.finalize().into(),
        ciphertext_sha256: cipher_hash.finalize().into(),
    })
}

/// Decrypts a container written by [`encrypt_file`]; see the module docs for the errors.
pub fn decrypt_file<R: Read, W: Write>(
    mut reader: R,
    mut writer: W,
    key: &[u8; 32],
) -> Result<Summary, StreamError> {
    let mut header = [0u8; HEADER_LEN];
    let n = read_full(&mut reader, &mut header)?;
    if n < MAGIC.len() || header[..8] != MAGIC {
        return Err(if n < MAGIC.len() && header[..n] == MAGIC[..n] {
            StreamError::Truncated
        } else {
            StreamError::BadMagic
        });
    }
    if n > 8 && header[8] != VERSION {
        return Err(StreamError::UnsupportedVersion(header[8]));
    }
    if n < HEADER_LEN {
        return Err(StreamError::Truncated);
    }
    if header[9..12] != [0, 0, 0] {
        return Err(StreamError::BadHeader("reserved bytes are not zero"));
    }
    let mut cs = [0u8; 4];
    cs.copy_from_slice(&header[12..16]);
    let chunk_size = u32::from_be_bytes(cs);
    if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
        return Err(StreamError::BadHeader("chunk size out of range"));
    }
    if header[32..64] != key_check(key) {
        return Err(StreamError::WrongKey);
    }

    let cipher = XChaCha20Poly1305::new(key.into());
    let mut plain_hash = Sha256::new();
    let mut cipher_hash = Sha256::new();
    cipher_hash.update(header);
    let (mut plain_len, mut cipher_len) = (0u64, HEADER_LEN as u64);
    let full = chunk_size as usize + TAG_LEN;
    let mut buf = vec![0u8; full];
    let mut index: u32 = 0;
    loop {
        let n = read_full(&mut reader, &mut buf)?;
        if n < TAG_LEN {
            return Err(StreamError::Truncated);
        }
        let last = n < full;
        let ct = &buf[..n];
        cipher_hash.update(ct);
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    &nonce(&header[16..32], index, last),
                    Payload {
                        msg: ct,
                        aad: &header,
                    },
                )
                .map_err(|_| StreamError::TamperedChunk { index })?,
        );
        plain_hash.update(&plain[..]);
        writer.write_all(&plain)?;
        plain_len += plain.len() as u64;
        cipher_len += n as u64;
        if last {
            // `read_full` stopped short, so the reader is at its end: nothing trails.
            break;
        }
        index = index.checked_add(1).ok_or(StreamError::TooManyChunks)?;
    }
    writer.flush()?;
    Ok(Summary {
        plaintext_len: plain_len,
        ciphertext_len: cipher_len,
        plaintext_sha256: plain_hash.finalize().into(),
        ciphertext_sha256: cipher_hash.finalize().into(),
    })
}
