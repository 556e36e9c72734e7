//! Round trips and tampering of the streamed container.

use deai_worker_data::stream::{HEADER_LEN, TAG_LEN};
use deai_worker_data::{
    decrypt_file, encrypt_file, encrypt_file_with_chunk_size, generate_data_key, StreamError,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const KEY: [u8; 32] = [7u8; 32];

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + i / 7) as u8).collect()
}

fn enc(plain: &[u8], chunk: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let s = encrypt_file_with_chunk_size(plain, &mut out, &KEY, chunk).expect("encrypt");
    assert_eq!(s.plaintext_len, plain.len() as u64);
    assert_eq!(s.ciphertext_len, out.len() as u64);
    assert_eq!(s.plaintext_sha256, <[u8; 32]>::from(Sha256::digest(plain)));
    assert_eq!(s.ciphertext_sha256, <[u8; 32]>::from(Sha256::digest(&out)));
    out
}

fn dec(ct: &[u8], key: &[u8; 32]) -> Result<Vec<u8>, StreamError> {
    let mut out = Vec::new();
    let s = decrypt_file(ct, &mut out, key)?;
    assert_eq!(s.plaintext_len, out.len() as u64);
    assert_eq!(s.ciphertext_len, ct.len() as u64);
    assert_eq!(s.plaintext_sha256, <[u8; 32]>::from(Sha256::digest(&out)));
    assert_eq!(s.ciphertext_sha256, <[u8; 32]>::from(Sha256::digest(ct)));
    Ok(out)
}

fn round_trip(n: usize, chunk: u32) {
    let plain = data(n);
    let ct = enc(&plain, chunk);
    let full_chunks = n / chunk as usize;
    assert_eq!(ct.len(), HEADER_LEN + n + (full_chunks + 1) * TAG_LEN);
    assert_eq!(dec(&ct, &KEY).expect("decrypt"), plain);
}

#[test]
fn round_trips() {
    round_trip(0, 16);
    round_trip(1, 16);
    round_trip(16, 16);
    round_trip(15, 16);
    round_trip(17, 16);
    round_trip(16 * 9 + 5, 16);
    round_trip(16 * 9, 16);
}

#[test]
fn default_chunks_and_random_key() {
    let key = generate_data_key();
    let plain = data(200_000);
    let mut ct = Vec::new();
    let s = encrypt_file(&plain[..], &mut ct, &key).expect("encrypt");
    assert_eq!(
        s.ciphertext_len as usize,
        HEADER_LEN + plain.len() + 4 * TAG_LEN
    );
    let mut out = Vec::new();
    let d = decrypt_file(&ct[..], &mut out, &key).expect("decrypt");
    assert_eq!(out, plain);
    assert_eq!(d, s);
}

#[test]
fn same_input_encrypts_differently() {
    assert_ne!(enc(b"hello", 16), enc(b"hello", 16));
}

#[test]
fn bad_chunk_size_rejected() {
    let mut out = Vec::new();
    assert!(matches!(
        encrypt_file_with_chunk_size(&b"x"[..], &mut out, &KEY, 0),
        Err(StreamError::ChunkSize(0))
    ));
}

#[test]
fn header_tampering() {
    let ct = enc(&data(100), 16);
    let mut t = ct.clone();
    t[0] ^= 1;
    assert!(matches!(dec(&t, &KEY), Err(StreamError::BadMagic)));
    let mut t = ct.clone();
    t[8] = 2;
    assert!(matches!(
        dec(&t, &KEY),
        Err(StreamError::UnsupportedVersion(2))
    ));
    let mut t = ct.clone();
    t[10] = 1;
    assert!(matches!(dec(&t, &KEY), Err(StreamError::BadHeader(_))));
    let mut t = ct.clone();
    t[12..16].copy_from_slice(&0u32.to_be_bytes());
    assert!(matches!(dec(&t, &KEY), Err(StreamError::BadHeader(_))));
    let mut t = ct.clone();
    t[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(dec(&t, &KEY), Err(StreamError::BadHeader(_))));
    // A different (valid) chunk size or nonce prefix: the header is every chunk's AAD.
    let mut t = ct.clone();
    t[15] = 17;
    assert!(matches!(
        dec(&t, &KEY),
        Err(StreamError::TamperedChunk { index: 0 })
    ));
    let mut t = ct.clone();
    t[20] ^= 0x40;
    assert!(matches!(
        dec(&t, &KEY),
        Err(StreamError::TamperedChunk { index: 0 })
    ));
    let mut t = ct.clone();
    t[40] ^= 1;
    assert!(matches!(dec(&t, &KEY), Err(StreamError::WrongKey)));
    assert!(matches!(dec(&ct[..5], &KEY), Err(StreamError::Truncated)));
    assert!(matches!(
        dec(&ct[..HEADER_LEN - 1], &KEY),
        Err(StreamError::Truncated)
    ));
    assert!(matches!(
        dec(&ct[..HEADER_LEN], &KEY),
        Err(StreamError::Truncated)
    ));
    assert!(matches!(dec(b"", &KEY), Err(StreamError::Truncated)));
    assert!(matches!(
        dec(b"not a dataset at all, no", &KEY),
        Err(StreamError::BadMagic)
    ));
}

#[test]
fn wrong_key() {
    let ct = enc(&data(100), 16);
    assert!(matches!(dec(&ct, &[8u8; 32]), Err(StreamError::WrongKey)));
}

#[test]
fn chunk_tampering() {
    let chunk = 16usize;
    let ct = enc(&data(16 * 5 + 3), chunk as u32);
    let block = chunk + TAG_LEN;
    let at = |i: usize| HEADER_LEN + i * block;
    // A middle chunk's ciphertext, and its tag.
    for off in [at(2), at(2) + chunk + 3] {
        let mut t = ct.clone();
        t[off] ^= 0x80;
        assert!(matches!(
            dec(&t, &KEY),
            Err(StreamError::TamperedChunk { index: 2 })
        ));
    }
    // The last chunk.
    let mut t = ct.clone();
    let n = t.len();
    t[n - 1] ^= 1;
    assert!(matches!(
        dec(&t, &KEY),
        Err(StreamError::TamperedChunk { index: 5 })
    ));
    // Two chunks swapped.
    let mut t = ct.clone();
    let (a, b) = (ct[at(1)..at(2)].to_vec(), ct[at(2)..at(3)].to_vec());
    t[at(1)..at(2)].copy_from_slice(&b);
    t[at(2)..at(3)].copy_from_slice(&a);
    assert!(matches!(
        dec(&t, &KEY),
        Err(StreamError::TamperedChunk { index: 1 })
    ));
    // A chunk dropped from the middle.
    let mut t = ct[..at(2)].to_vec();
    t.extend_from_slice(&ct[at(3)..]);
    assert!(matches!(
        dec(&t, &KEY),
        Err(StreamError::TamperedChunk { index: 2 })
    ));
}

#[test]
fn last_chunk_flag_truncation_and_trailing_bytes() {
    let chunk = 16usize;
    let block = chunk + TAG_LEN;
    // 4 full chunks + an empty last chunk.
    let ct = enc(&data(64), chunk as u32);
    assert_eq!(ct.len(), HEADER_LEN + 4 * block + TAG_LEN);
    // Cut at a chunk boundary: the stream ends on a chunk not flagged last.
    for cut in [HEADER_LEN + block, HEADER_LEN + 4 * block] {
        assert!(matches!(dec(&ct[..cut], &KEY), Err(StreamError::Truncated)));
    }
    // Cut inside a chunk: the short remainder would have to be a flagged last chunk.
    assert!(matches!(
        dec(&ct[..HEADER_LEN + 2 * block + 20], &KEY),
        Err(StreamError::TamperedChunk { index: 2 })
    ));
    assert!(matches!(
        dec(&ct[..HEADER_LEN + 2 * block + 5], &KEY),
        Err(StreamError::Truncated)
    ));
    // A cut that leaves a non-last full chunk posing as last (len < full): fails auth.
    let ct2 = enc(&data(16 * 3 + 8), chunk as u32);
    assert!(matches!(
        dec(&ct2[..HEADER_LEN + 2 * block + TAG_LEN], &KEY),
        Err(StreamError::TamperedChunk { index: 2 })
    ));
    // Anything after the last chunk (empty here): it joins the last chunk's block.
    for extra in [&[0u8][..], &[1, 2, 3], &ct[HEADER_LEN..HEADER_LEN + block]] {
        let mut t = ct.clone();
        t.extend_from_slice(extra);
        assert!(matches!(
            dec(&t, &KEY),
            Err(StreamError::TamperedChunk { index: 4 })
        ));
    }
    // After a partial last chunk (8 bytes): the same.
    let mut t = ct2.clone();
    t.push(0);
    assert!(matches!(
        dec(&t, &KEY),
        Err(StreamError::TamperedChunk { index: 3 })
    ));
    // Beyond a full block: the valid last chunk now reads as full (not last) and fails.
    let mut t = ct2.clone();
    t.extend_from_slice(&[0u8; 40]);
    assert!(matches!(
        dec(&t, &KEY),
        Err(StreamError::TamperedChunk { index: 3 })
    ));
}

/// A reader that returns one byte per call, to exercise short reads.
struct Trickle<'a>(&'a [u8]);
impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[0];
        self.0 = &self.0[1..];
        Ok(1)
    }
}

#[test]
fn short_reads() {
    let plain = data(100);
    let mut ct = Vec::new();
    encrypt_file_with_chunk_size(Trickle(&plain), &mut ct, &KEY, 16).expect("encrypt");
    let mut out = Vec::new();
    decrypt_file(Trickle(&ct), &mut out, &KEY).expect("decrypt");
    assert_eq!(out, plain);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn prop_round_trip(len in 0usize..2000, chunk in 1u32..300, seed in any::<u8>()) {
        let plain: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(seed)).collect();
        let ct = enc(&plain, chunk);
        prop_assert_eq!(ct.len(), HEADER_LEN + len + (len / chunk as usize + 1) * TAG_LEN);
        prop_assert_eq!(dec(&ct, &KEY).expect("decrypt"), plain);
    }

    #[test]
    fn prop_malformed_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), flip in any::<usize>()) {
        let _ = dec(&bytes, &KEY);
        let ct = enc(&bytes, 32);
        let mut t = ct.clone();
        let i = flip % t.len();
        t[i] ^= 1;
        prop_assert!(dec(&t, &KEY).is_err());
    }
}

/// A writer that only hashes and counts: nothing of the stream is kept.
#[derive(Default)]
struct HashSink(Sha256, u64);
impl std::io::Write for HashSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        self.1 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn streams_without_buffering_the_file() {
    use std::io::Read;
    // 8 MiB + 3 bytes through 64 KiB chunks, reader to sink; then decrypt a stored copy.
    let len = 8 * 1024 * 1024 + 3;
    let src = || std::io::repeat(0xab).take(len);
    let mut sink = HashSink::default();
    let s = encrypt_file(src(), &mut sink, &KEY).expect("encrypt");
    assert_eq!(s.plaintext_len, len);
    assert_eq!(s.ciphertext_len, sink.1);
    assert_eq!(s.ciphertext_sha256, <[u8; 32]>::from(sink.0.finalize()));
    let mut ct = Vec::new();
    let s = encrypt_file(src(), &mut ct, &KEY).expect("encrypt");
    let mut out = HashSink::default();
    let d = decrypt_file(&ct[..], &mut out, &KEY).expect("decrypt");
    assert_eq!(d, s);
    assert_eq!(out.1, len);
    assert_eq!(<[u8; 32]>::from(out.0.finalize()), s.plaintext_sha256);
}
