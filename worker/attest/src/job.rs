//! A job as the sidecar knows it: the wire job checked (known kind, spec_sha256 matching the
//! spec text, bounded size) and keyed by (id, spec_sha256).

use deai_attest::wire::{
    spec_sha256_hex, WireJob, KIND_COMPUTE_REPLAY, KIND_INFERENCE_REPLAY, KIND_TASK_CODE,
};

/// Longest spec text accepted (the request body limit bounds it too).
pub const MAX_SPEC_BYTES: usize = 256 << 10;

/// The job kinds the sidecar runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    TaskCode,
    InferenceReplay,
    ComputeReplay,
}

impl Kind {
    /// The wire name (`task_code`, ...); `None` for a kind this sidecar does not know.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            KIND_TASK_CODE => Some(Kind::TaskCode),
            KIND_INFERENCE_REPLAY => Some(Kind::InferenceReplay),
            KIND_COMPUTE_REPLAY => Some(Kind::ComputeReplay),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TaskCode => KIND_TASK_CODE,
            Kind::InferenceReplay => KIND_INFERENCE_REPLAY,
            Kind::ComputeReplay => KIND_COMPUTE_REPLAY,
        }
    }

    /// Whether running it loads libtorch (the engine): inference replay is integer-only.
    pub fn uses_torch(self) -> bool {
        !matches!(self, Kind::InferenceReplay)
    }
}

/// Results are cached per job id and spec hash: a job id reused with another spec is
/// another job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub id: u64,
    pub spec_sha256: String,
}

/// A checked job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub key: Key,
    pub kind: Kind,
    pub spec: String,
}

/// Why a wire job is refused outright (it is then left out of the answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    UnknownKind(String),
    SpecTooLarge(usize),
    SpecHashMismatch { claimed: String, actual: String },
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::UnknownKind(k) => write!(f, "unknown job kind {k:?}"),
            Refused::SpecTooLarge(n) => {
                write!(f, "spec of {n} bytes, at most {MAX_SPEC_BYTES}")
            }
            Refused::SpecHashMismatch { claimed, actual } => {
                write!(f, "spec_sha256 {claimed:?}, the spec hashes to {actual}")
            }
        }
    }
}

impl Job {
    /// Checks a wire job: a known kind, a bounded spec whose sha256 (lower-case hex) is
    /// `spec_sha256`.
    pub fn check(w: &WireJob) -> Result<Job, Refused> {
        let kind = Kind::parse(&w.kind).ok_or_else(|| Refused::UnknownKind(w.kind.clone()))?;
        if w.spec.len() > MAX_SPEC_BYTES {
            return Err(Refused::SpecTooLarge(w.spec.len()));
        }
        let actual = spec_sha256_hex(w.spec.as_bytes());
        if actual != w.spec_sha256 {
            return Err(Refused::SpecHashMismatch {
                claimed: w.spec_sha256.clone(),
                actual,
            });
        }
        Ok(Job {
            key: Key {
                id: w.id,
                spec_sha256: actual,
            },
            kind,
            spec: w.spec.clone(),
        })
    }
}

/// Checks that `text` hashes to `sha256_hex` (lower-case hex), for the specs nested in a
/// job spec (`base_spec`, `job_spec`).
pub fn check_nested(what: &str, text: &str, sha256_hex: &str) -> anyhow::Result<()> {
    let actual = spec_sha256_hex(text.as_bytes());
    anyhow::ensure!(
        actual == sha256_hex,
        "{what}: sha256 {sha256_hex:?} claimed, the text hashes to {actual}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(kind: &str, spec: &str, sha: &str) -> WireJob {
        WireJob {
            id: 7,
            kind: kind.into(),
            spec: spec.into(),
            spec_sha256: sha.into(),
        }
    }

    #[test]
    fn a_job_is_checked_against_its_spec_hash_and_kind() {
        let spec = r#"{"x":1}"#;
        let sha = spec_sha256_hex(spec.as_bytes());
        let j = Job::check(&wire("inference_replay", spec, &sha)).unwrap();
        assert_eq!(j.kind, Kind::InferenceReplay);
        assert_eq!(
            j.key,
            Key {
                id: 7,
                spec_sha256: sha.clone()
            }
        );

        assert!(matches!(
            Job::check(&wire("mystery", spec, &sha)),
            Err(Refused::UnknownKind(_))
        ));
        assert!(matches!(
            Job::check(&wire("task_code", r#"{"x":2}"#, &sha)),
            Err(Refused::SpecHashMismatch { .. })
        ));
        // Upper-case hex is another spelling: refused.
        assert!(matches!(
            Job::check(&wire("task_code", spec, &sha.to_uppercase())),
            Err(Refused::SpecHashMismatch { .. })
        ));
        let big = "x".repeat(MAX_SPEC_BYTES + 1);
        let big_sha = spec_sha256_hex(big.as_bytes());
        assert!(matches!(
            Job::check(&wire("task_code", &big, &big_sha)),
            Err(Refused::SpecTooLarge(_))
        ));
    }

    #[test]
    fn nested_specs_are_checked() {
        let t = "abc";
        assert!(check_nested("base_spec", t, &spec_sha256_hex(t.as_bytes())).is_ok());
        assert!(check_nested("base_spec", t, &"00".repeat(32)).is_err());
    }

    #[test]
    fn kinds_round_trip() {
        for k in [Kind::TaskCode, Kind::InferenceReplay, Kind::ComputeReplay] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert!(!Kind::InferenceReplay.uses_torch());
        assert!(Kind::TaskCode.uses_torch());
    }
}
