//! The chain's rules as the daemons need them (docs/training.md): a round's phases and the
//! commit hashes are the training module's own pure functions (`deai_training::phases`,
//! `deai_training::commits`), so the daemons time and hash exactly as the chain checks;
//! plus this worker's own choices (salts, audit picks).

use deai_framework::Address;
use deai_proto::training::v1 as pb;
use sha2::{Digest as _, Sha256};

pub use deai_training::phases::Phase;

/// Bytes of the salts this worker draws (the chain accepts 16..=64).
pub const SALT_BYTES: usize = 32;

/// A round's timing: its task's spec and its start.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    pub spec: pb::TaskSpec,
    pub start: u64,
}

impl Timing {
    /// The timing of the task's current round (its spec checked as the chain validates it:
    /// `W ≥ 1` and `tempo > A + 3W + 1`).
    pub fn of(task: &pb::Task) -> anyhow::Result<Timing> {
        let spec = task
            .spec
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("task {} has no spec", task.id))?;
        let (t, w, a) = (spec.tempo, spec.reveal_window, spec.aggregate_window);
        anyhow::ensure!(
            w >= 1
                && w.checked_mul(3)
                    .and_then(|x| x.checked_add(a))
                    .and_then(|x| x.checked_add(1))
                    .is_some_and(|x| t > x),
            "task {}: tempo {t} and windows W={w} A={a} are not a valid round layout",
            task.id
        );
        Ok(Timing {
            spec: spec.clone(),
            start: task.round_start,
        })
    }

    /// The phase at `height`.
    pub fn phase_at(&self, height: u64) -> Phase {
        deai_training::phases::phase_at(&self.spec, self.start, height)
    }

    /// The heights `[opens, closes)` of `phase`.
    pub fn window(&self, phase: Phase) -> (u64, u64) {
        deai_training::phases::window(&self.spec, self.start, phase)
    }

    /// The phase a tx sent when the chain is at `height` lands in: the next block's at the
    /// earliest.
    pub fn phase_for_tx(&self, height: u64) -> Phase {
        self.phase_at(height.saturating_add(1))
    }
}

/// The aggregate window `[opens, closes)` of a round closed at `closed_at`.
pub fn aggregate_window(spec: &pb::TaskSpec, closed_at: u64) -> (u64, u64) {
    deai_training::phases::aggregate_window(spec, closed_at)
}

fn address(bech32: &str) -> anyhow::Result<Address> {
    Address::from_bech32(bech32).map_err(|e| anyhow::anyhow!("address {bech32:?}: {}", e.log))
}

/// `sha256(update_hash ‖ salt ‖ owner address bytes)` (`deai_training::commits`).
pub fn update_commit_hash(update_hash: &[u8], salt: &[u8], owner: &str) -> anyhow::Result<Vec<u8>> {
    Ok(deai_training::commits::update_commit_hash(update_hash, salt, &address(owner)?).to_vec())
}

/// The weights commit of `deai_training::commits` (over the row as sent, before the chain
/// max-upscales it).
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
    anyhow::ensure!(
        uids.len() == values.len(),
        "uids and values differ in length"
    );
    Ok(deai_training::commits::weights_commit_hash(
        &address(owner)?,
        task_id,
        round,
        uids,
        values,
        salt,
        version,
    )
    .to_vec())
}

/// A fresh random salt from the OS.
pub fn new_salt() -> anyhow::Result<Vec<u8>> {
    let mut s = vec![0u8; SALT_BYTES];
    getrandom::getrandom(&mut s).map_err(|e| anyhow::anyhow!("drawing a salt: {e}"))?;
    Ok(s)
}

/// Bytes of a validator's secret audit seed.
pub const AUDIT_SEED_BYTES: usize = 32;

/// A fresh secret audit seed from the OS.
pub fn new_audit_seed() -> anyhow::Result<[u8; AUDIT_SEED_BYTES]> {
    let mut s = [0u8; AUDIT_SEED_BYTES];
    getrandom::getrandom(&mut s).map_err(|e| anyhow::anyhow!("drawing an audit seed: {e}"))?;
    Ok(s)
}

/// Whether this validator audits `uid`'s update of `round` at `rate` (0..=1): a draw from
/// its secret `seed` (kept in its state file, so a restart makes the same choice) and its
/// address. Without the seed nobody can tell which updates it will audit: a trainer that
/// could would fake exactly the rounds nobody checks.
pub fn audit_pick(
    seed: &[u8; AUDIT_SEED_BYTES],
    me: &str,
    task_id: u64,
    round: u64,
    uid: u32,
    rate: f64,
) -> bool {
    if rate.is_nan() || rate <= 0.0 {
        return false;
    }
    if rate >= 1.0 {
        return true;
    }
    let mut h = Sha256::new();
    h.update(b"deai/training/audit-pick");
    h.update(seed);
    h.update((me.len() as u64).to_be_bytes());
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
        assert_eq!(t.phase_at(90), Phase::NotStarted);
        assert_eq!(t.phase_at(110), Phase::CommitUpdates);
        assert_eq!(t.phase_at(111), Phase::RevealUpdates);
        assert_eq!(t.phase_at(113), Phase::RevealUpdates);
        assert_eq!(t.phase_at(114), Phase::CommitWeights);
        assert_eq!(t.phase_at(117), Phase::RevealWeights);
        assert_eq!(t.phase_at(119), Phase::RevealWeights);
        assert_eq!(t.phase_at(120), Phase::Over);
        assert!(Timing::of(&task(0, 14, 3, 4)).is_err());
        assert!(Timing::of(&task(0, 20, 0, 4)).is_err());
        assert!(Timing::of(&task(0, u64::MAX, u64::MAX, 4)).is_err());
    }

    #[test]
    fn commits_are_the_documented_encodings() {
        let owner = Address::from_hash20([5; 20]).to_bech32();
        let raw = Address::from_hash20([5; 20]).as_bytes().to_vec();
        let h = update_commit_hash(b"u", b"salt", &owner).unwrap();
        assert_eq!(
            h,
            Sha256::digest([&b"u"[..], b"salt", &raw].concat()).to_vec()
        );
        let mut m = b"deai/training/weights".to_vec();
        m.extend(&raw);
        m.extend(7u64.to_be_bytes());
        m.extend(2u64.to_be_bytes());
        m.extend(1u32.to_be_bytes());
        m.extend(3u16.to_be_bytes());
        m.extend(9u16.to_be_bytes());
        m.extend(b"s");
        m.extend(1u64.to_be_bytes());
        let w = weights_commit_hash(&owner, 7, 2, &[3], &[9], b"s", 1).unwrap();
        assert_eq!(w, Sha256::digest(&m).to_vec());
        assert!(weights_commit_hash(&owner, 7, 2, &[3], &[], b"s", 1).is_err());
        assert!(update_commit_hash(b"u", b"s", "nonsense").is_err());
    }

    #[test]
    fn audit_picks_are_deterministic_and_follow_the_rate() {
        let k = [7u8; AUDIT_SEED_BYTES];
        assert!(!audit_pick(&k, "a", 1, 2, 3, 0.0));
        assert!(audit_pick(&k, "a", 1, 2, 3, 1.0));
        assert!(!audit_pick(&k, "a", 1, 2, 3, f64::NAN));
        let picks = (0..1000)
            .filter(|u| audit_pick(&k, "a", 1, 2, *u, 0.3))
            .count();
        assert!((200..400).contains(&picks), "{picks}");
        assert_eq!(
            audit_pick(&k, "a", 1, 2, 3, 0.5),
            audit_pick(&k, "a", 1, 2, 3, 0.5)
        );
    }

    #[test]
    fn audit_picks_depend_on_the_secret_seed() {
        // The same validator, task and round with another seed picks other updates: what
        // it audits cannot be computed from public data.
        let (a, b) = (new_audit_seed().unwrap(), new_audit_seed().unwrap());
        assert_ne!(a, b);
        let picks = |k: &[u8; AUDIT_SEED_BYTES]| {
            (0..256)
                .map(|u| audit_pick(k, "a", 1, 2, u, 0.5))
                .collect::<Vec<_>>()
        };
        assert_ne!(picks(&a), picks(&b));
        assert_eq!(picks(&a), picks(&a));
    }
}
