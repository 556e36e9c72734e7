//! attest's params (gov owns them through MsgUpdateParams).

use deai_framework::dec::Dec;
use deai_proto::attest::v1 as pb;

use crate::error::AttestError;

/// The hard cap of `max_pending_jobs`: a vote extension carries at most this many results.
pub const MAX_PENDING_JOBS_CAP: u32 = 256;
/// The hard cap of `max_spec_bytes`.
pub const MAX_SPEC_BYTES_CAP: u32 = 256 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub attestation_window: u64,
    pub max_pending_jobs: u32,
    pub disagreement_slash_fraction: Dec,
    pub max_spec_bytes: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            // Shorter than inference's response window (50), so that a dispute's
            // attestation settles or expires before the dispute times out.
            attestation_window: 40,
            max_pending_jobs: 32,
            // 1%: a wrong attestation costs more than the work of an honest one.
            disagreement_slash_fraction: Dec::from_units(10_000_000_000_000_000),
            // 32 pending × 16 KiB stays under the sidecar's 1 MiB request limit.
            max_spec_bytes: 16 * 1024,
        }
    }
}

impl Params {
    pub fn from_proto(p: &pb::Params) -> Result<Self, AttestError> {
        let bad = |m: String| AttestError::InvalidParams(m);
        if p.attestation_window == 0 || p.attestation_window > 1_000_000 {
            return Err(bad(format!(
                "attestation_window must be in 1..=1000000, got {}",
                p.attestation_window
            )));
        }
        if p.max_pending_jobs == 0 || p.max_pending_jobs > MAX_PENDING_JOBS_CAP {
            return Err(bad(format!(
                "max_pending_jobs must be in 1..={MAX_PENDING_JOBS_CAP}, got {}",
                p.max_pending_jobs
            )));
        }
        if p.max_spec_bytes == 0 || p.max_spec_bytes > MAX_SPEC_BYTES_CAP {
            return Err(bad(format!(
                "max_spec_bytes must be in 1..={MAX_SPEC_BYTES_CAP}, got {}",
                p.max_spec_bytes
            )));
        }
        let fraction = deai_framework::params::fraction(
            &p.disagreement_slash_fraction,
            "disagreement_slash_fraction",
        )
        .map_err(|e| bad(e.0))?;
        Ok(Self {
            attestation_window: p.attestation_window,
            max_pending_jobs: p.max_pending_jobs,
            disagreement_slash_fraction: fraction,
            max_spec_bytes: p.max_spec_bytes,
        })
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            attestation_window: self.attestation_window,
            max_pending_jobs: self.max_pending_jobs,
            disagreement_slash_fraction: self.disagreement_slash_fraction.to_string(),
            max_spec_bytes: self.max_spec_bytes,
        }
    }
}
