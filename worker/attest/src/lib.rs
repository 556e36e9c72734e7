//! The consensus-attestation sidecar (`deai-worker attest serve`): deaid asks it, at every
//! ExtendVote, for the result hashes of pending attestation jobs (`deai_attest::wire`); it
//! answers at once with what it has, and runs the jobs it has not run yet, one sandboxed
//! process each (`deai-worker attest run`). A job it could not run is never attested.
//! See docs/attestation-sidecar.md.

pub mod book;
pub mod fetch;
pub mod job;
pub mod kinds;
pub mod sandbox;
pub mod service;

use std::path::Path;

use anyhow::Context;

pub use book::{Book, Bounds};
/// The wire types and job specs deaid sends (re-exported for tests and tools).
pub use deai_attest::wire;
pub use fetch::Sources;
pub use job::{Job, Key, Kind};
pub use kinds::ExecBounds;
pub use sandbox::{probe_isolation, Limits, Runner};
pub use service::{serve, Config};

/// The job process's work (`deai-worker attest run`): reads the spec at `spec` (at most
/// [`job::MAX_SPEC_BYTES`]), computes the result from `inputs`, writes it to `out`. Its
/// working directory is the job's directory (the sidecar starts it there).
pub fn run_job(
    kind: Kind,
    spec: &Path,
    inputs: &Path,
    out: &Path,
    bounds: &ExecBounds,
) -> anyhow::Result<[u8; 32]> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(spec)
        .with_context(|| format!("{}", spec.display()))?
        .take(job::MAX_SPEC_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("{}", spec.display()))?;
    anyhow::ensure!(
        text.len() <= job::MAX_SPEC_BYTES,
        "{}: spec too large",
        spec.display()
    );
    let work = std::env::current_dir().context("the job directory")?;
    let hash = kinds::execute(kind, &text, inputs, &work, bounds)?;
    sandbox::write_result(out, &hash)?;
    Ok(hash)
}
