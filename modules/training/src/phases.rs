//! A round's phases (docs/training.md, "A round"). With `S` the round's start, `W` the reveal
//! window and `A` the aggregate window, the offset `o = height − S` decides what is accepted:
//! update commits while `o < tempo − 3W` (once the base is ready), update reveals in
//! `[tempo − 3W, tempo − 2W)`, weight commits in `[tempo − 2W, tempo − W)`, weight reveals in
//! `[tempo − W, tempo)`; the previous round's aggregate while `o < A`. Pure: the workers time
//! their transactions with these functions.

use deai_proto::training::v1 as pb;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Before the round's start.
    NotStarted,
    CommitUpdates,
    RevealUpdates,
    CommitWeights,
    RevealWeights,
    /// At or past `S + tempo`: the epoch ran (or is carried to a later block).
    Over,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::NotStarted => "not-started",
            Phase::CommitUpdates => "commit-updates",
            Phase::RevealUpdates => "reveal-updates",
            Phase::CommitWeights => "commit-weights",
            Phase::RevealWeights => "reveal-weights",
            Phase::Over => "over",
        }
    }
}

/// The phase offsets of a spec: (tempo − 3W, tempo − 2W, tempo − W, tempo), saturating (a
/// validated spec has tempo > A + 3W + 1, so none saturates).
fn bounds(spec: &pb::TaskSpec) -> [u64; 4] {
    let t = spec.tempo;
    let w = spec.reveal_window;
    [
        t.saturating_sub(w.saturating_mul(3)),
        t.saturating_sub(w.saturating_mul(2)),
        t.saturating_sub(w),
        t,
    ]
}

/// The phase of the round that started at `round_start` at `height`.
pub fn phase_at(spec: &pb::TaskSpec, round_start: u64, height: u64) -> Phase {
    let Some(o) = height.checked_sub(round_start) else {
        return Phase::NotStarted;
    };
    let [reveal, commit_w, reveal_w, end] = bounds(spec);
    if o < reveal {
        Phase::CommitUpdates
    } else if o < commit_w {
        Phase::RevealUpdates
    } else if o < reveal_w {
        Phase::CommitWeights
    } else if o < end {
        Phase::RevealWeights
    } else {
        Phase::Over
    }
}

/// The heights `[opens, closes)` of `phase` in the round that started at `round_start`
/// (`NotStarted` and `Over` are empty ranges at the round's ends).
pub fn window(spec: &pb::TaskSpec, round_start: u64, phase: Phase) -> (u64, u64) {
    let [reveal, commit_w, reveal_w, end] = bounds(spec);
    let at = |o: u64| round_start.saturating_add(o);
    match phase {
        Phase::NotStarted => (round_start, round_start),
        Phase::CommitUpdates => (at(0), at(reveal)),
        Phase::RevealUpdates => (at(reveal), at(commit_w)),
        Phase::CommitWeights => (at(commit_w), at(reveal_w)),
        Phase::RevealWeights => (at(reveal_w), at(end)),
        Phase::Over => (at(end), at(end)),
    }
}

/// The height whose `end_block` runs the epoch of the round that started at `round_start`.
pub fn epoch_height(spec: &pb::TaskSpec, round_start: u64) -> u64 {
    round_start.saturating_add(spec.tempo.saturating_sub(1))
}

/// The heights `[opens, closes)` in which the aggregate of a round closed at `closed_at` is
/// accepted: the first `A` blocks of the next round. At the `end_block` of `closes − 1`
/// the previous base is carried forward if no aggregate came.
pub fn aggregate_window(spec: &pb::TaskSpec, closed_at: u64) -> (u64, u64) {
    let opens = closed_at.saturating_add(1);
    (opens, opens.saturating_add(spec.aggregate_window))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_partition_the_round() {
        let spec = pb::TaskSpec {
            tempo: 20,
            reveal_window: 3,
            aggregate_window: 4,
            ..Default::default()
        };
        let s = 100;
        assert_eq!(phase_at(&spec, s, 99), Phase::NotStarted);
        assert_eq!(phase_at(&spec, s, 100), Phase::CommitUpdates);
        assert_eq!(phase_at(&spec, s, 110), Phase::CommitUpdates);
        assert_eq!(phase_at(&spec, s, 111), Phase::RevealUpdates);
        assert_eq!(phase_at(&spec, s, 114), Phase::CommitWeights);
        assert_eq!(phase_at(&spec, s, 117), Phase::RevealWeights);
        assert_eq!(phase_at(&spec, s, 119), Phase::RevealWeights);
        assert_eq!(phase_at(&spec, s, 120), Phase::Over);
        assert_eq!(window(&spec, s, Phase::RevealUpdates), (111, 114));
        assert_eq!(epoch_height(&spec, s), 119);
        assert_eq!(aggregate_window(&spec, 119), (120, 124));
        for h in 100..120 {
            let p = phase_at(&spec, s, h);
            let (o, c) = window(&spec, s, p);
            assert!(o <= h && h < c);
        }
    }
}
