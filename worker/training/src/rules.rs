//! The chain's rules as the daemons need them (docs/training.md): a round's phases, the
//! commit hashes, and this worker's own deterministic choices (salts, audit picks).
//!
//! The commit encodings are the training module's (`deai_training::commits`); they are
//! restated here, byte for byte, only because the daemons must not link the state
//! machine's crate before it exists; the tests pin them to the documented encodings.

use deai_proto::training::v1 as pb;
use sha2::{Digest as _, Sha256};

/// Bytes of the salts this worker draws (the chain accepts 16..=64).
pub const SALT_BYTES: usize = 32;

/// Where a height falls in a round (see docs/training.md, "A round").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `o < tempo − 3W`: update commits (once the base is ready); the first `A` blocks are
    /// also the previous round's aggregate window.
    Commit,
    /// `tempo − 3W ≤ o < tempo − 2W`: update reveals.
    RevealUpdate,
    /// `tempo − 2W ≤ o < tempo − W`: weight commits.
    CommitWeights,
    /// `tempo − W ≤ o < tempo`: weight reveals.
    RevealWeights,
    /// Past the round's last block (the next round has not been read yet).
    Over,
}

/// The round's timing from its task's spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub start: u64,
    pub tempo: u64,
    pub reveal_window: u64,
    pub aggregate_window: u64,
}

impl Timing {
    pub fn of(task: &pb::Task) -> anyhow::Result<Timing> {
        let spec = task
            .spec
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("task {} has no spec", task.id))?;
        let t = Timing {
            start: task.round_start,
            tempo: spec.tempo,
            reveal_window: spec.reveal_window,
            aggregate_window: spec.aggregate_window,
        };
        // What the chain validates: W ≥ 1 and tempo > A + 3W + 1.
        anyhow::ensure!(
            t.reveal_window >= 1
                && t.reveal_window
                    .checked_mul(3)
                    .and_then(|w| w.checked_add(t.aggregate_window))
                    .and_then(|x| x.checked_add(1))
                    .is_some_and(|x| t.tempo > x),
            "task {}: tempo {} and windows W={} A={} are not a valid round layout",
            task.id,
            t.tempo,
            t.reveal_window,
            t.aggregate_window
        );
        Ok(t)
    }

    /// The phase at `height` (heights before the start count as the commit phase).
    pub fn phase_at(&self, height: u64) -> Phase {
        let o = height.saturating_sub(self.start);
        let w = self.reveal_window;
        let t = self.tempo;
        if o >= t {
            Phase::Over
        } else if o >= t - w {
            Phase::RevealWeights
        } else if o >= t - 2 * w {
            Phase::CommitWeights
        } else if o >= t - 3 * w {
            Phase::RevealUpdate
        } else {
            Phase::Commit
        }
    }

    /// Whether `height` is in the first `A` blocks of the round (the previous round's
    /// aggregate window).
    pub fn in_aggregate_window(&self, height: u64) -> bool {
        height >= self.start && height - self.start < self.aggregate_window
    }
}

fn address_bytes(bech32: &str) -> anyhow::Result<Vec<u8>> {
    deai_framework::Address::from_bech32(bech32)
        .map(|a| a.as_bytes().to_vec())
        .map_err(|e| anyhow::anyhow!("address {bech32:?}: {}", e.log))
}

/// `sha256(update_hash ‖ salt ‖ owner address bytes)`.
pub fn update_commit_hash(update_hash: &[u8], salt: &[u8], owner: &str) -> anyhow::Result<Vec<u8>> {
    let mut h = Sha256::new();
    h.update(update_hash);
    h.update(salt);
    h.update(address_bytes(owner)?);
    Ok(h.finalize().to_vec())
}

/// `sha256("deai/training/weights" ‖ owner address bytes ‖ task u64 BE ‖ round u64 BE ‖
/// count u32 BE ‖ uids u16 BE ‖ values u16 BE ‖ salt ‖ version u64 BE)`.
#[allow(clippy::too_many_arguments)]
pub fn weights_commit_hash(
    owner: &str,
    task_id: u64,
    round: u64,
    uids: &[u16],
    values: &[u16],
    salt: &[u8],
    version: u64,
) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(uids.len() == values.len(), "uids and values differ in length");
    let mut h = Sha256::new();
    h.update(b"deai/training/weights");
    h.update(address_bytes(owner)?);
    h.update(task_id.to_be_bytes());
    h.update(round.to_be_bytes());
    h.update((uids.len() as u32).to_be_bytes());
    for u in uids {
        h.update(u.to_be_bytes());
    }
    for v in values {
        h.update(v.to_be_bytes());
    }
    h.update(salt);
    h.update(version.to_be_bytes());
    Ok(h.finalize().to_vec())
}

/// A fresh random salt from the OS.
pub fn new_salt() -> anyhow::Result<Vec<u8>> {
    let mut s = vec![0u8; SALT_BYTES];
    getrandom::getrandom(&mut s).map_err(|e| anyhow::anyhow!("drawing a salt: {e}"))?;
    Ok(s)
}

/// Whether this validator audits `uid`'s update of `round` at `rate` (0..=1): a
/// deterministic draw from its own address, so a restart makes the same choice.
pub fn audit_pick(me: &str, task_id: u64, round: u64, uid: u32, rate: f64) -> bool {
    if !(rate > 0.0) {
        return false;
    }
    if rate >= 1.0 {
        return true;
    }
    let mut h = Sha256::new();
    h.update(b"deai/training/audit-pick");
    h.update(me.as_bytes());
    h.update(task_id.to_be_bytes());
    h.update(round.to_be_bytes());
    h.update(uid.to_be_bytes());
    let d = h.finalize();
    let mut x = [0u8; 8];
    x.copy_from_slice(&d[..8]);
    (u64::from_be_bytes(x) as f64) < rate * (u64::MAX as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(start: u64, tempo: u64, w: u64, a: u64) -> pb::Task {
        pb::Task {
            id: 1,
            round_start: start,
            spec: Some(pb::TaskSpec {
                tempo,
                reveal_window: w,
                aggregate_window: a,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn phases_follow_the_documented_layout() {
        // tempo 20, W 3, A 4: commit o<11, reveal 11..14, weights 14..17, reveal 17..20.
        let t = Timing::of(&task(100, 20, 3, 4)).unwrap();
        assert_eq!(t.phase_at(90), Phase::Commit);
        assert_eq!(t.phase_at(110), Phase::Commit);
        assert_eq!(t.phase_at(111), Phase::RevealUpdate);
        assert_eq!(t.phase_at(113), Phase::RevealUpdate);
        assert_eq!(t.phase_at(114), Phase::CommitWeights);
        assert_eq!(t.phase_at(117), Phase::RevealWeights);
        assert_eq!(t.phase_at(119), Phase::RevealWeights);
        assert_eq!(t.phase_at(120), Phase::Over);
        assert!(t.in_aggregate_window(103) && !t.in_aggregate_window(104));
        assert!(Timing::of(&task(0, 14, 3, 4)).is_err());
        assert!(Timing::of(&task(0, 20, 0, 4)).is_err());
        assert!(Timing::of(&task(0, u64::MAX, u64::MAX, 4)).is_err());
    }

    #[test]
    fn audit_picks_are_deterministic_and_follow_the_rate() {
        assert!(!audit_pick("a", 1, 2, 3, 0.0));
        assert!(audit_pick("a", 1, 2, 3, 1.0));
        assert!(!audit_pick("a", 1, 2, 3, f64::NAN));
        let picks = (0..1000).filter(|u| audit_pick("a", 1, 2, *u, 0.3)).count();
        assert!((200..400).contains(&picks), "{picks}");
        assert_eq!(audit_pick("a", 1, 2, 3, 0.5), audit_pick("a", 1, 2, 3, 0.5));
    }
}
