//! Part 2: encrypt and decrypt throughput of worker/data's streamed container
//! (`deai_worker_data::encrypt_file` / `decrypt_file`, XChaCha20-Poly1305 in 64 KiB chunks,
//! sha256 of both sides), file to file in a temp dir. Writes go to the page cache (no
//! fsync), so the figures are the container's CPU cost plus buffered file I/O.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use deai_bench_common::rng::SplitMix64 as Rng;
use deai_bench_common::stats::Summary;

const IO_BUFFER: usize = 1 << 20;

/// A plaintext file and its encryption, on disk.
pub struct Files {
    pub plaintext: PathBuf,
    pub ciphertext: PathBuf,
    pub plaintext_len: u64,
    pub ciphertext_len: u64,
    pub key: [u8; 32],
}

/// Throughput of one operation over several passes.
pub struct Throughput {
    pub what: String,
    /// Bytes the throughput counts (the plaintext's).
    pub bytes: u64,
    pub time: Summary,
    pub best: Duration,
}

impl Throughput {
    pub fn of(what: impl Into<String>, bytes: u64, times: &[Duration]) -> Result<Self> {
        Ok(Self {
            what: what.into(),
            bytes,
            time: Summary::of(times).context("no timed pass")?,
            best: times.iter().copied().min().context("no timed pass")?,
        })
    }

    /// MB/s (10^6 bytes) at the median time.
    pub fn median_mb_s(&self) -> f64 {
        mb_s(self.bytes, self.time.median)
    }

    /// MB/s at the fastest pass.
    pub fn best_mb_s(&self) -> f64 {
        mb_s(self.bytes, self.best)
    }
}

pub fn mb_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64().max(1e-9)
}

/// Writes `len` seeded pseudo-random bytes to `path`.
fn write_plaintext(path: &Path, len: u64, seed: u64) -> Result<()> {
    let mut out = BufWriter::with_capacity(IO_BUFFER, File::create(path)?);
    let mut rng = Rng::new(seed);
    let mut block = vec![0u8; IO_BUFFER];
    let mut left = len;
    while left > 0 {
        for word in block.chunks_exact_mut(8) {
            word.copy_from_slice(&rng.next_u64().to_le_bytes());
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.flush()?;
    Ok(())
}

fn encrypt(from: &Path, to: &Path, key: &[u8; 32]) -> Result<deai_worker_data::Summary> {
    let reader = BufReader::with_capacity(IO_BUFFER, File::open(from)?);
    let writer = BufWriter::with_capacity(IO_BUFFER, File::create(to)?);
    deai_worker_data::encrypt_file(reader, writer, key).context("encrypt_file")
}

fn decrypt(from: &Path, to: &Path, key: &[u8; 32]) -> Result<deai_worker_data::Summary> {
    let reader = BufReader::with_capacity(IO_BUFFER, File::open(from)?);
    let writer = BufWriter::with_capacity(IO_BUFFER, File::create(to)?);
    deai_worker_data::decrypt_file(reader, writer, key).context("decrypt_file")
}

/// Writes a `len`-byte plaintext under `dir` and encrypts it once (untimed).
pub fn prepare(dir: &Path, len: u64, seed: u64) -> Result<Files> {
    let plaintext = dir.join("dataset.bin");
    let ciphertext = dir.join("dataset.bin.deai");
    write_plaintext(&plaintext, len, seed).context("writing the plaintext")?;
    let key = *deai_worker_data::generate_data_key();
    let s = encrypt(&plaintext, &ciphertext, &key)?;
    Ok(Files {
        plaintext,
        ciphertext,
        plaintext_len: s.plaintext_len,
        ciphertext_len: s.ciphertext_len,
        key,
    })
}

/// `passes` timed encryptions and decryptions of the prepared file (each output checked
/// against the first pass's sums).
pub fn measure(dir: &Path, files: &Files, passes: usize) -> Result<Vec<Throughput>> {
    let scratch_ct = dir.join("pass.deai");
    let scratch_pt = dir.join("pass.out");
    let mut enc = Vec::new();
    let mut dec = Vec::new();
    let mut reference: Option<[u8; 32]> = None;
    for i in 0..passes.max(1) {
        eprintln!("crypto: pass {}/{}…", i + 1, passes.max(1));
        let t = Instant::now();
        let e = encrypt(&files.plaintext, &scratch_ct, &files.key)?;
        enc.push(t.elapsed());
        let t = Instant::now();
        let d = decrypt(&scratch_ct, &scratch_pt, &files.key)?;
        dec.push(t.elapsed());
        if d.plaintext_sha256 != e.plaintext_sha256 || d.plaintext_len != files.plaintext_len {
            bail!("decryption does not give back the plaintext");
        }
        if *reference.get_or_insert(e.plaintext_sha256) != e.plaintext_sha256 {
            bail!("the plaintext changed between passes");
        }
    }
    std::fs::remove_file(&scratch_ct)?;
    std::fs::remove_file(&scratch_pt)?;
    Ok(vec![
        Throughput::of("encrypt_file", files.plaintext_len, &enc)?,
        Throughput::of("decrypt_file", files.plaintext_len, &dec)?,
    ])
}
