//! What an audit concludes about a worker's claimed result. A verdict is about the worker;
//! a failure of the verifier itself (its own I/O, a cancelled or over-budget replay) is an
//! error, never a verdict, so an honest worker is never blamed for the verifier's trouble.

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every checkpoint in the replayed range was re-derived bit for bit.
    Honest {
        from_checkpoint: usize,
        to_checkpoint: usize,
        from_step: u64,
        to_step: u64,
    },
    /// Re-execution (or the spec-derived start) disagrees with the record at `checkpoint`.
    Diverged {
        checkpoint: usize,
        step: u64,
        expected: Digest,
        actual: Digest,
        reason: String,
    },
    /// The claim contradicts itself or the spec: wrong step count or schedule, a broken
    /// hash chain, a file that does not hold the committed state, swapped weights, false
    /// metrics.
    Malformed { reason: String },
    /// An artifact the claim commits to was not delivered, or the bytes delivered are not
    /// the committed ones.
    Withheld { what: String },
    /// The result was produced in a mode this verifier cannot reproduce bit for bit
    /// (another libtorch, worker version, device mode or CPU kernel setting). Never
    /// evidence against the worker: the audit goes to a comparable referee.
    Incomparable { reason: String },
}

impl Verdict {
    pub fn is_honest(&self) -> bool {
        matches!(self, Verdict::Honest { .. })
    }

    /// Whether the verdict is evidence against the worker (grounds for slashing).
    pub fn against_worker(&self) -> bool {
        matches!(
            self,
            Verdict::Diverged { .. } | Verdict::Malformed { .. } | Verdict::Withheld { .. }
        )
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Honest {
                from_checkpoint,
                to_checkpoint,
                from_step,
                to_step,
            } => format!(
                "honest: checkpoints {from_checkpoint}..={to_checkpoint} (steps {from_step}..{to_step}) re-derived"
            ),
            Verdict::Diverged {
                checkpoint,
                step,
                expected,
                actual,
                reason,
            } => format!(
                "diverged at checkpoint {checkpoint} (step {step}): {reason}; recorded {expected}, re-derived {actual}"
            ),
            Verdict::Malformed { reason } => format!("malformed: {reason}"),
            Verdict::Withheld { what } => format!("withheld: {what}"),
            Verdict::Incomparable { reason } => format!("incomparable: {reason}"),
        }
    }

    pub fn malformed(reason: impl Into<String>) -> Verdict {
        Verdict::Malformed {
            reason: reason.into(),
        }
    }

    pub fn withheld(what: impl Into<String>) -> Verdict {
        Verdict::Withheld { what: what.into() }
    }
}
