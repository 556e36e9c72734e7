//! The training market's per-round job and score (docs/training.md, "A round's job"): pure
//! functions of the task's base spec and the round, so trainers, validators and the chain
//! derive the same spec (and spec hash) without talking to each other.

use crate::digest::Digest;
use crate::spec::{ArtifactRef, JobSpec, ShardSpec, SpecError};

/// The job trainer `shard` of `shard_count` runs in round `round`: `base` with
/// - `training.init_weights = {sha256: base_weights}` (absent when `None`, as in round 0;
///   any `init_weights` of `base` is replaced), without a path hint: the caller sets
///   `training.init_weights.path` to its local copy, which does not change the spec hash;
/// - `split.shard = {index: shard, count: shard_count}` (replacing any shard of `base`);
/// - `training.seed = base seed XOR round`, so each round orders batches differently.
///
/// Errors if `base` is not a valid train spec or the shard is not one of `shard_count`.
pub fn round_job(
    base: &JobSpec,
    base_weights: Option<Digest>,
    shard: u32,
    shard_count: u32,
    round: u64,
) -> Result<JobSpec, SpecError> {
    base.validate()?;
    let mut spec = base.clone();
    let t = spec
        .training
        .as_mut()
        .ok_or_else(|| SpecError::new("training", "required for kind \"train\""))?;
    t.init_weights = base_weights.map(|sha256| ArtifactRef { sha256, path: None });
    t.seed ^= round;
    spec.split.shard = Some(ShardSpec {
        index: shard,
        count: shard_count,
    });
    spec.validate()?;
    Ok(spec)
}

/// A validator's score of a model, as a u16 weight: `round(65535 · max(0, acc − floor)
/// / (1 − floor))`, clamped to `0..=65535`, where the floor is a margin above chance
/// (`1/classes`): `floor = min(2/classes, (1 + 1/classes)/2)`. With 3 classes or more that
/// is twice chance (0.2 for 10 classes, 0.5 for 4); with 2 classes twice chance would be 1
/// (every model scoring 0), so the floor is half way from chance to perfect instead (0.75).
/// A model no better than the floor scores 0, a perfect one 65535. With one class (or none)
/// no model can beat chance: everything scores 0, as does a non-finite accuracy.
pub fn score_u16(accuracy: f64, classes: u64) -> u16 {
    let chance = 1.0 / classes.max(1) as f64;
    let floor = (2.0 * chance).min((1.0 + chance) / 2.0);
    if !accuracy.is_finite() || floor >= 1.0 {
        return 0;
    }
    let s = 65535.0 * (accuracy - floor).max(0.0) / (1.0 - floor);
    s.round().clamp(0.0, 65535.0) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> JobSpec {
        let text = serde_json::json!({
            "version": 1, "kind": "train",
            "model": {"type": "logistic", "inputs": 4, "classes": 10},
            "dataset": {"sha256": "00".repeat(32), "path": "/data/x.csv"},
            "split": {"test_fraction": 0.2, "seed": 1},
            "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 1,
                         "batch_size": 8, "checkpoint_every": 5, "seed": 0b1010}
        });
        JobSpec::from_json(&text.to_string()).unwrap()
    }

    #[test]
    fn a_round_job_is_the_base_with_weights_shard_and_seed() {
        let b = base();
        let w = Digest::of(b"base weights");
        let j = round_job(&b, Some(w), 2, 3, 0b0110).unwrap();
        let t = j.training().unwrap();
        assert_eq!(t.seed, 0b1100);
        assert_eq!(t.init_weights.as_ref().map(|a| a.sha256), Some(w));
        assert_eq!(t.init_weights.as_ref().and_then(|a| a.path.clone()), None);
        assert_eq!(j.split.shard, Some(ShardSpec { index: 2, count: 3 }));
        // Everything else is the base's.
        let mut back = j.clone();
        back.split.shard = None;
        let bt = back.training.as_mut().unwrap();
        bt.init_weights = None;
        bt.seed = 0b1010;
        assert_eq!(back, b);

        // Round 0 from no weights: no init_weights in the JSON at all.
        let j0 = round_job(&b, None, 0, 1, 0).unwrap();
        assert_eq!(j0.training().unwrap().seed, b.training().unwrap().seed);
        let json = serde_json::to_string(&j0).unwrap();
        assert!(!json.contains("init_weights"), "{json}");
        assert_ne!(j0.hash(), b.hash());
        // Pure: the same inputs give the same spec hash; each input changes it.
        assert_eq!(j.hash(), round_job(&b, Some(w), 2, 3, 6).unwrap().hash());
        assert_ne!(j.hash(), round_job(&b, Some(w), 1, 3, 6).unwrap().hash());
        assert_ne!(j.hash(), round_job(&b, Some(w), 2, 3, 7).unwrap().hash());
        assert_ne!(j.hash(), round_job(&b, None, 2, 3, 6).unwrap().hash());
        // A path hint on the weights does not change the hash.
        let mut hinted = j.clone();
        hinted
            .training
            .as_mut()
            .unwrap()
            .init_weights
            .as_mut()
            .unwrap()
            .path = Some("/tmp/base.safetensors".into());
        assert_eq!(hinted.hash(), j.hash());
        // Its JSON parses back to the same job.
        let text = serde_json::to_string(&hinted).unwrap();
        assert_eq!(JobSpec::from_json(&text).unwrap(), hinted);
    }

    #[test]
    fn a_bad_round_job_is_refused() {
        let b = base();
        assert_eq!(
            round_job(&b, None, 3, 3, 1).unwrap_err().path,
            "split.shard.index"
        );
        assert_eq!(
            round_job(&b, None, 0, 0, 1).unwrap_err().path,
            "split.shard.count"
        );
        let mut eval = b.clone();
        eval.kind = crate::spec::JobKind::Evaluate;
        assert!(round_job(&eval, None, 0, 1, 1).is_err());
    }

    #[test]
    fn scores_start_at_twice_chance() {
        assert_eq!(score_u16(1.0, 10), 65535);
        assert_eq!(score_u16(0.2, 10), 0);
        assert_eq!(score_u16(0.1, 10), 0);
        assert_eq!(score_u16(0.0, 10), 0);
        // (0.6 - 0.2) / 0.8 is 0.5 in reals, just under in f64: 32767.4999… -> 32767.
        assert_eq!(score_u16(0.6, 10), 32767);
        assert_eq!(score_u16(0.9, 10), 57343);
        assert_eq!(score_u16(1.5, 10), 65535);
        assert_eq!(score_u16(f64::NAN, 10), 0);
        assert_eq!(score_u16(1.0, 0), 0);
        assert_eq!(score_u16(1.0, 1), 0);
        // 4 classes: twice chance is 0.5; 0.75 is half way.
        assert_eq!(score_u16(0.75, 4), 32768);
        // 3 classes: twice chance, 2/3, is also half way from chance to perfect.
        assert_eq!(score_u16(2.0 / 3.0, 3), 0);
        assert_eq!(score_u16(1.0, 3), 65535);
    }

    #[test]
    fn a_binary_task_scores_above_its_floor() {
        // 2 classes: chance 0.5, floor 0.75 (not twice chance, 1, which nothing beats).
        assert_eq!(score_u16(1.0, 2), 65535);
        assert_eq!(score_u16(0.5, 2), 0);
        assert_eq!(score_u16(0.75, 2), 0);
        assert_eq!(score_u16(0.875, 2), 32768);
        assert!(score_u16(0.8, 2) > 0);
    }
}
