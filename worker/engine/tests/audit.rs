//! Replay and the publication check against a dishonest worker, on real libtorch training
//! of digits: each test forges a claim the way a cheating worker would and shows the
//! verdict it gets. An honest claim passes every check.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use common::{digits_path, digits_spec};
use deai_worker_engine::data::{self, Dataset};
use deai_worker_engine::train::{checkpoint_file, WEIGHTS_FILE};
use deai_worker_engine::{
    replay_range, replay_segment, runtime, segment_answer, train, verify_published, Budget,
    EngineError, Published, SegmentAnswer, SegmentStart, Silent,
};
use deai_worker_jobs::{ChainHasher, JobSpec, TrainResult, Verdict};
use tempfile::TempDir;

struct Run {
    dir: TempDir,
    spec: JobSpec,
    result: TrainResult,
}

impl Run {
    fn checkpoint(&self, i: usize) -> Vec<u8> {
        std::fs::read(self.dir.path().join(checkpoint_file(i))).unwrap()
    }
    fn weights(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join(WEIGHTS_FILE)).unwrap()
    }
}

fn run_with_seed(seed: u64) -> Run {
    let spec = digits_spec(|v| v["training"]["seed"] = seed.into());
    let dir = TempDir::new().unwrap();
    let result = train(&spec, &digits_path(), dir.path(), &mut Silent).unwrap();
    Run { dir, spec, result }
}

/// The honest run (seed 7: 675 steps, checkpoints every 100) shared by the tests.
fn honest() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run_with_seed(7))
}

fn dataset() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| data::load(&digits_path(), &honest().spec.dataset).unwrap())
}

fn rt() -> runtime::Deterministic {
    runtime::init();
    runtime::deterministic_cpu().unwrap()
}

fn segment(claim: &TrainResult, seg: usize, bytes: Option<&[u8]>) -> Verdict {
    let spec = &honest().spec;
    replay_segment(
        rt(),
        spec,
        claim,
        seg,
        bytes,
        dataset(),
        &Budget::default(),
        &mut Silent,
    )
    .unwrap()
}

/// Recomputes every link after a change to the records, as a forger would.
fn relink(claim: &mut TrainResult) {
    let mut chain = ChainHasher::new(&claim.spec_sha256, &[claim.spec.dataset.sha256]);
    for c in claim.checkpoints.iter_mut() {
        c.hash = chain.push(c.step, &c.state_sha256);
    }
}

#[test]
fn an_honest_run_passes_every_segment_and_the_publication_check() {
    let h = honest();
    let r = &h.result;
    let n = r.checkpoints.len();
    assert_eq!((r.steps, n), (675, 8));
    // Segment 0 needs no file: the verifier recomputes the seeded start.
    assert!(segment(r, 0, None).is_honest());
    for seg in [2, n - 2] {
        let v = segment(r, seg, Some(&h.checkpoint(seg)));
        assert_eq!(
            v,
            Verdict::Honest {
                from_checkpoint: seg,
                to_checkpoint: seg + 1,
                from_step: r.checkpoints[seg].step,
                to_step: r.checkpoints[seg + 1].step,
            }
        );
    }
    let published = verify_published(
        rt(),
        &h.spec,
        r,
        Some(&h.checkpoint(n - 1)),
        Some(&h.weights()),
        dataset(),
    )
    .unwrap();
    let Published::Verified(m) = published else {
        panic!("{published:?}")
    };
    assert_eq!(m.test_accuracy, r.metrics.test_accuracy);
    assert_eq!(m.train_accuracy, r.metrics.train_accuracy);
}

#[test]
fn a_shortened_run_is_malformed_whatever_steps_it_reports() {
    // The worker ran 100 of 675 steps and says so consistently.
    let mut claim = honest().result.clone();
    claim.steps = 100;
    claim.checkpoints.truncate(2);
    let v = segment(&claim, 0, None);
    assert!(
        matches!(&v, Verdict::Malformed { reason } if reason.contains("claims 100 steps") && reason.contains("requires 675")),
        "{v:?}"
    );
    assert!(v.against_worker());
}

#[test]
fn a_pretrained_start_diverges_at_checkpoint_zero() {
    // A run from other weights (seed 8's init), relabelled as the job's run with a
    // consistent chain: every record adds up, only the start is wrong.
    let other = run_with_seed(8);
    let mut claim = other.result.clone();
    claim.spec = honest().spec.clone();
    claim.spec_sha256 = honest().spec.hash();
    relink(&mut claim);
    let v = segment(&claim, 3, Some(&other.checkpoint(3)));
    assert!(
        matches!(
            &v,
            Verdict::Diverged {
                checkpoint: 0,
                step: 0,
                ..
            }
        ),
        "{v:?}"
    );
}

#[test]
fn a_withheld_or_substituted_checkpoint_is_a_verdict_against_the_worker() {
    let h = honest();
    let v = segment(&h.result, 2, None);
    assert!(
        matches!(&v, Verdict::Withheld { what } if what.contains("checkpoint 2")),
        "{v:?}"
    );
    let v = segment(&h.result, 2, Some(&h.checkpoint(3)));
    assert!(matches!(v, Verdict::Withheld { .. }), "{v:?}");
    // The bytes are what the record names, but the record's file does not hold its state.
    let mut claim = h.result.clone();
    claim.checkpoints[2].file_sha256 = claim.checkpoints[3].file_sha256;
    let v = segment(&claim, 2, Some(&h.checkpoint(3)));
    assert!(
        matches!(&v, Verdict::Malformed { reason } if reason.contains("committed state")),
        "{v:?}"
    );
}

#[test]
fn replay_names_the_first_checkpoint_whose_state_was_not_computed() {
    // A consistent chain over a forged state at checkpoint 3.
    let mut claim = honest().result.clone();
    claim.checkpoints[3].state_sha256.0[0] ^= 1;
    relink(&mut claim);
    let spec = &honest().spec;
    let v = replay_range(
        rt(),
        spec,
        &claim,
        1,
        5,
        Some(&honest().checkpoint(1)),
        dataset(),
        &Budget::default(),
        &mut Silent,
    )
    .unwrap();
    assert!(
        matches!(
            v,
            Verdict::Diverged {
                checkpoint: 3,
                step: 300,
                ..
            }
        ),
        "{v:?}"
    );
    // An altered link without a consistent chain is malformed on its face.
    let mut claim = honest().result.clone();
    claim.checkpoints[5].hash.0[0] ^= 1;
    let v = segment(&claim, 0, None);
    assert!(
        matches!(&v, Verdict::Malformed { reason } if reason.contains("checkpoint 5")),
        "{v:?}"
    );
}

#[test]
fn a_swapped_weights_file_or_false_metrics_are_caught() {
    let h = honest();
    let n = h.result.checkpoints.len();
    let other = run_with_seed(9);
    let check = |claim: &TrainResult, weights: &[u8]| {
        verify_published(
            rt(),
            &h.spec,
            claim,
            Some(&h.checkpoint(n - 1)),
            Some(weights),
            dataset(),
        )
        .unwrap()
    };
    // The worker publishes other weights under the hash it reports for the file.
    let mut claim = h.result.clone();
    claim.weights_file_sha256 = other.result.weights_file_sha256;
    let p = check(&claim, &other.weights());
    assert!(
        matches!(&p, Published::Rejected(Verdict::Malformed { reason }) if reason.contains("does not hold the audited weights")),
        "{p:?}"
    );
    // Not delivering the file, or other bytes, is withholding it.
    let p = verify_published(
        rt(),
        &h.spec,
        &h.result,
        Some(&h.checkpoint(n - 1)),
        None,
        dataset(),
    )
    .unwrap();
    assert!(
        matches!(p, Published::Rejected(Verdict::Withheld { .. })),
        "{p:?}"
    );
    assert!(matches!(
        check(&h.result, &other.weights()),
        Published::Rejected(Verdict::Withheld { .. })
    ));
    // An inflated accuracy.
    let mut claim = h.result.clone();
    claim.metrics.test_accuracy = 0.999;
    let p = check(&claim, &h.weights());
    assert!(
        matches!(&p, Published::Rejected(Verdict::Malformed { reason }) if reason.contains("claimed accuracies")),
        "{p:?}"
    );
}

#[test]
fn another_build_or_mode_is_incomparable_not_divergent() {
    let mut claim = honest().result.clone();
    claim.libtorch_version = "2.12.0+cpu".into();
    let v = segment(&claim, 0, None);
    assert!(
        matches!(&v, Verdict::Incomparable { reason } if reason.contains("libtorch")),
        "{v:?}"
    );
    assert!(!v.against_worker());
    let mut claim = honest().result.clone();
    claim.device.mode = "cuda".into();
    assert!(matches!(
        segment(&claim, 0, None),
        Verdict::Incomparable { .. }
    ));
}

#[test]
fn replay_stops_at_its_budget_and_when_cancelled() {
    let h = honest();
    let run = |budget: Budget| {
        replay_segment(
            rt(),
            &h.spec,
            &h.result,
            1,
            Some(&h.checkpoint(1)),
            dataset(),
            &budget,
            &mut Silent,
        )
    };
    let e = run(Budget {
        max_steps: 10,
        ..Budget::default()
    })
    .unwrap_err();
    assert!(
        matches!(&e, EngineError::Budget(m) if m.contains("100 steps")),
        "{e}"
    );
    let e = run(Budget {
        max_memory_bytes: 1 << 10,
        ..Budget::default()
    })
    .unwrap_err();
    assert!(matches!(e, EngineError::Budget(_)), "{e}");
    let cancel = Arc::new(AtomicBool::new(true));
    let e = run(Budget {
        cancel: Some(cancel),
        ..Budget::default()
    })
    .unwrap_err();
    assert!(matches!(e, EngineError::Cancelled), "{e}");
    // A range outside the run is the verifier's mistake, not a verdict.
    let e = replay_segment(
        rt(),
        &h.spec,
        &h.result,
        7,
        None,
        dataset(),
        &Budget::default(),
        &mut Silent,
    )
    .unwrap_err();
    assert!(matches!(e, EngineError::Request(_)), "{e}");
}

fn answer(
    seg: usize,
    claim: Option<&TrainResult>,
    file: Option<&[u8]>,
) -> Result<SegmentAnswer, Verdict> {
    let start = claim.map(|claimed| SegmentStart { claimed, file });
    segment_answer(
        rt(),
        &honest().spec,
        seg,
        start,
        dataset(),
        &Budget::default(),
        &mut Silent,
    )
    .unwrap()
}

#[test]
fn an_audit_answer_is_the_hash_of_the_next_checkpoint_of_the_true_run() {
    let h = honest();
    let r = &h.result;
    let n = r.checkpoints.len();
    // Segment 0 is recomputed from the seed; later ones start from a delivered file.
    for seg in [0, 3, n - 2] {
        let file = h.checkpoint(seg);
        let a = answer(seg, Some(r), Some(&file)).unwrap();
        assert_eq!(
            a,
            SegmentAnswer::Checkpoint {
                index: seg + 1,
                step: r.checkpoints[seg + 1].step,
                hash: r.checkpoints[seg + 1].hash,
            }
        );
        assert_eq!(
            a.checkpoint_hash_bytes(),
            r.checkpoints[seg + 1].hash.0.to_vec()
        );
    }
    assert!(matches!(
        answer(0, None, None),
        Ok(SegmentAnswer::Checkpoint { index: 1, .. })
    ));
    // After the last checkpoint the true run has none: the answer is empty.
    let none = answer(n - 1, Some(r), None).unwrap();
    assert_eq!(none, SegmentAnswer::NoSuchCheckpoint { checkpoints: n });
    assert!(none.checkpoint_hash_bytes().is_empty());
    // The answer does not depend on the rest of the claim: a result that forged every
    // checkpoint after 3 still yields the true checkpoint 4 from its honest checkpoint 3.
    let mut forged = r.clone();
    for c in forged.checkpoints.iter_mut().skip(4) {
        c.state_sha256 = deai_worker_jobs::Digest::of(b"forged");
    }
    relink(&mut forged);
    let a = answer(3, Some(&forged), Some(&h.checkpoint(3))).unwrap();
    assert!(matches!(a, SegmentAnswer::Checkpoint { hash, .. } if hash == r.checkpoints[4].hash));
}

#[test]
fn an_unusable_start_is_a_verdict_against_its_result_not_an_answer() {
    let h = honest();
    let r = &h.result;
    // Withheld, or other bytes.
    assert!(matches!(
        answer(2, Some(r), None),
        Err(Verdict::Withheld { .. })
    ));
    let other = h.checkpoint(3);
    assert!(matches!(
        answer(2, Some(r), Some(&other)),
        Err(Verdict::Withheld { .. })
    ));
    // A record that does not follow from the previous link.
    let mut bad = r.clone();
    bad.checkpoints[2].state_sha256 = deai_worker_jobs::Digest::of(b"x");
    assert!(matches!(
        answer(2, Some(&bad), Some(&h.checkpoint(2))),
        Err(Verdict::Malformed { .. })
    ));
    // A record off the schedule.
    let mut off = r.clone();
    off.checkpoints[2].step += 1;
    relink(&mut off);
    assert!(matches!(
        answer(2, Some(&off), Some(&h.checkpoint(2))),
        Err(Verdict::Malformed { .. })
    ));
}
