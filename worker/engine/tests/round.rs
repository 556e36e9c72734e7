//! A training market's round jobs on real libtorch training of digits: a trainer's shard
//! from the round's base weights trains deterministically, replays and audits like any
//! job, and the FedAvg of the updates loads as the next round's base weights.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{digits_path, digits_spec};
use deai_worker_engine::data::{self, Dataset};
use deai_worker_engine::eval::{accuracy_of, evaluate};
use deai_worker_engine::train::{checkpoint_file, WEIGHTS_FILE};
use deai_worker_engine::{
    replay_segment, runtime, segment_answer, train, verify_published, Budget, EngineError,
    Published, SegmentAnswer, Silent,
};
use deai_worker_jobs::init::{start_state_digest, weights_from_safetensors};
use deai_worker_jobs::spec::{ArtifactRef, JobKind, Subset};
use deai_worker_jobs::{fedavg, round_job, ChainHasher, Digest, JobSpec, TrainResult, Verdict};
use tempfile::TempDir;

/// The task's base spec: one epoch, a checkpoint every 10 steps (a 480-row shard of the
/// 1438 training rows takes 15 steps: checkpoints at 0, 10, 15).
fn base() -> JobSpec {
    digits_spec(|v| {
        v["training"]["epochs"] = 1.into();
        v["training"]["checkpoint_every"] = 10.into();
    })
}

struct Run {
    dir: TempDir,
    spec: JobSpec,
    result: TrainResult,
}

impl Run {
    fn file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(name)).unwrap()
    }
    fn weights_path(&self) -> std::path::PathBuf {
        self.dir.path().join(WEIGHTS_FILE)
    }
}

fn run(spec: &JobSpec) -> Run {
    let dir = TempDir::new().unwrap();
    let result = train(spec, &digits_path(), dir.path(), &mut Silent).unwrap();
    Run {
        dir,
        spec: spec.clone(),
        result,
    }
}

/// Round 0 (no base weights): shards 0 and 1 of 3.
fn round0() -> &'static [Run; 2] {
    static R: OnceLock<[Run; 2]> = OnceLock::new();
    R.get_or_init(|| [0, 1].map(|s| run(&round_job(&base(), None, s, 3, 0).unwrap())))
}

/// The round-1 job of shard 2 from `weights` (a file at `path`).
fn round1(weights: &Path) -> JobSpec {
    let sha = Digest::of_file(weights).unwrap();
    let mut spec = round_job(&base(), Some(sha), 2, 3, 1).unwrap();
    spec.training
        .as_mut()
        .unwrap()
        .init_weights
        .as_mut()
        .unwrap()
        .path = Some(weights.display().to_string());
    spec
}

fn from_round0() -> &'static Run {
    static R: OnceLock<Run> = OnceLock::new();
    R.get_or_init(|| run(&round1(&round0()[0].weights_path())))
}

fn dataset() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| data::load(&digits_path(), &base().dataset).unwrap())
}

fn rt() -> runtime::Deterministic {
    runtime::init();
    runtime::deterministic_cpu().unwrap()
}

fn replay(spec: &JobSpec, claim: &TrainResult, seg: usize, file: Option<&[u8]>) -> Verdict {
    replay_segment(
        rt(),
        spec,
        claim,
        seg,
        file,
        dataset(),
        &Budget::default(),
        &mut Silent,
    )
    .unwrap()
}

#[test]
fn a_round_job_trains_its_shard_deterministically() {
    let [a, b] = round0();
    let r = &a.result;
    assert_eq!(r.datasets[0].train_rows, 480);
    assert_eq!(r.datasets[0].test_rows, 359);
    assert_eq!(r.steps, 15);
    let steps: Vec<u64> = r.checkpoints.iter().map(|c| c.step).collect();
    assert_eq!(steps, vec![0, 10, 15]);
    // The same round job again: the same checkpoints and weights, bit for bit.
    let again = run(&a.spec);
    assert_eq!(again.result.checkpoints, r.checkpoints);
    assert_eq!(again.file(WEIGHTS_FILE), a.file(WEIGHTS_FILE));
    // Another shard of the same round starts alike (round 0: the seeded weights) but trains
    // on other rows.
    assert_eq!(
        b.result.checkpoints[0].state_sha256,
        r.checkpoints[0].state_sha256
    );
    assert_eq!(b.result.datasets[0].train_rows, 479);
    assert_ne!(b.result.final_weights_sha256, r.final_weights_sha256);
}

#[test]
fn a_job_from_init_weights_starts_from_them_and_replays() {
    let base_run = &round0()[0];
    let from = from_round0();
    let r = &from.result;
    // Checkpoint 0 holds the base weights with zeroed optimizer state.
    let params = weights_from_safetensors(&base_run.file(WEIGHTS_FILE), &from.spec.model).unwrap();
    let t = from.spec.training().unwrap();
    assert_eq!(
        r.checkpoints[0].state_sha256,
        start_state_digest(&params, &t.optimizer)
    );
    // It differs from the same job from the seeded weights.
    let mut seeded_spec = from.spec.clone();
    seeded_spec.training.as_mut().unwrap().init_weights = None;
    let seeded = run(&seeded_spec);
    assert_ne!(
        seeded.result.checkpoints[0].state_sha256,
        r.checkpoints[0].state_sha256
    );
    assert_ne!(seeded.result.final_weights_sha256, r.final_weights_sha256);
    // Trained twice: identical.
    let again = run(&from.spec);
    assert_eq!(again.result.checkpoints, r.checkpoints);
    assert_eq!(again.file(WEIGHTS_FILE), from.file(WEIGHTS_FILE));

    // Every segment replays, segment 0 from the init weights at the path hint.
    for seg in 0..r.checkpoints.len() - 1 {
        let file = from.file(&checkpoint_file(seg));
        let v = replay(&from.spec, r, seg, Some(&file));
        assert!(v.is_honest(), "segment {seg}: {v:?}");
    }
    let a = segment_answer(
        rt(),
        &from.spec,
        0,
        None,
        dataset(),
        &Budget::default(),
        &mut Silent,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        a,
        SegmentAnswer::Checkpoint {
            index: 1,
            step: 10,
            hash: r.checkpoints[1].hash
        }
    );
    let n = r.checkpoints.len();
    let published = verify_published(
        rt(),
        &from.spec,
        r,
        Some(&from.file(&checkpoint_file(n - 1))),
        Some(&from.file(WEIGHTS_FILE)),
        dataset(),
    )
    .unwrap();
    assert!(matches!(published, Published::Verified(_)), "{published:?}");

    // The seeded run relabelled as the init-weights job, with a consistent chain: only its
    // start is wrong, and the verifier, reading the init weights, says so.
    let mut forged = seeded.result.clone();
    forged.spec = from.spec.clone();
    forged.spec_sha256 = from.spec.hash();
    let mut chain = ChainHasher::new(&forged.spec_sha256, &[forged.spec.dataset.sha256]);
    for c in forged.checkpoints.iter_mut() {
        c.hash = chain.push(c.step, &c.state_sha256);
    }
    let v = replay(
        &from.spec,
        &forged,
        1,
        Some(&seeded.file(&checkpoint_file(1))),
    );
    assert!(
        matches!(
            v,
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
fn bad_init_weights_fail_with_precise_errors() {
    let out = TempDir::new().unwrap();
    let good = round0()[0].weights_path();
    // No local path.
    let mut spec = round1(&good);
    spec.training
        .as_mut()
        .unwrap()
        .init_weights
        .as_mut()
        .unwrap()
        .path = None;
    let e = train(&spec, &digits_path(), out.path(), &mut Silent).unwrap_err();
    assert!(
        matches!(&e, EngineError::Spec(s) if s.path == "training.init_weights.path"),
        "{e}"
    );
    // Other bytes than the spec names.
    let mut spec = round1(&good);
    spec.training
        .as_mut()
        .unwrap()
        .init_weights
        .as_mut()
        .unwrap()
        .sha256 = Digest::of(b"x");
    let e = train(&spec, &digits_path(), out.path(), &mut Silent).unwrap_err();
    assert!(matches!(e, EngineError::HashMismatch { .. }), "{e}");
    // Weights of another model: a clear error naming the tensor.
    let other = run(&round_job(
        &digits_spec(|v| {
            v["model"]["hidden"] = serde_json::json!([32]);
            v["training"]["epochs"] = 1.into();
            v["training"]["checkpoint_every"] = 10.into();
        }),
        None,
        0,
        3,
        0,
    )
    .unwrap());
    let spec = round1(&other.weights_path());
    let e = train(&spec, &digits_path(), out.path(), &mut Silent).unwrap_err();
    assert!(
        matches!(&e, EngineError::Weights { .. })
            && e.to_string()
                .contains("\"fc0.weight\" has shape [32, 64], the model expects [64, 64]"),
        "{e}"
    );
}

#[test]
fn fedavg_of_updates_loads_as_the_next_base_and_scores() {
    let [a, b] = round0();
    let (wa, wb) = (a.file(WEIGHTS_FILE), b.file(WEIGHTS_FILE));
    // A single input is its own file, byte for byte.
    assert_eq!(fedavg(&[(&wa, 480)]).unwrap(), wa);
    let agg = fedavg(&[(&wa, 480), (&wb, 479)]).unwrap();
    assert_eq!(agg, fedavg(&[(&wa, 480), (&wb, 479)]).unwrap());
    assert_ne!(agg, wa);
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("aggregate.safetensors");
    std::fs::write(&path, &agg).unwrap();
    // The aggregate is the next round's base: a round job trains from it.
    let next = run(&round1(&path));
    let t = next.spec.training().unwrap();
    let params = weights_from_safetensors(&agg, &next.spec.model).unwrap();
    assert_eq!(
        next.result.checkpoints[0].state_sha256,
        start_state_digest(&params, &t.optimizer)
    );

    // accuracy_of on all rows of a held-out set is evaluate's accuracy on subset "all".
    let held_out = base().dataset;
    let sha = Digest::of(&agg);
    let acc = accuracy_of(&base(), &path, &sha, &digits_path(), &held_out).unwrap();
    let mut eval_spec = base();
    eval_spec.kind = JobKind::Evaluate;
    eval_spec.training = None;
    eval_spec.subset = Subset::All;
    eval_spec.weights = Some(ArtifactRef {
        sha256: sha,
        path: None,
    });
    let report = evaluate(&eval_spec, &digits_path(), &path).unwrap();
    assert_eq!(report.samples, 1797);
    assert_eq!(acc, report.accuracy);
    assert!(acc > 0.2, "{acc}");
    // The weights are checked against the hash the caller names.
    let e = accuracy_of(&base(), &path, &Digest::of(&wa), &digits_path(), &held_out).unwrap_err();
    assert!(matches!(e, EngineError::HashMismatch { .. }), "{e}");
}
