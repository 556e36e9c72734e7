//! The step schedule of a training job, derived from the spec and the dataset's row count
//! alone: never from what a worker reports. A verifier recomputes it before trusting any
//! step count or checkpoint list in a result, and a worker checks it before allocating
//! anything, so a spec from a stranger cannot ask for unbounded work.

use crate::rng::test_rows;
use crate::spec::{JobSpec, SpecError};

/// Most optimizer steps a training job may take.
pub const MAX_TOTAL_STEPS: u64 = 100_000_000;
/// Most checkpoints a training job may record (step 0 and the last step included).
pub const MAX_CHECKPOINTS: u64 = 10_000;

/// What a training job over a dataset of `rows` rows must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub rows: u64,
    pub train_rows: u64,
    pub test_rows: u64,
    pub steps_per_epoch: u64,
    pub total_steps: u64,
    /// Steps at which a checkpoint is recorded: 0, every `checkpoint_every`, and the last.
    pub checkpoint_steps: Vec<u64>,
}

/// The plan of a training spec over `rows` rows, or why the job is refused.
pub fn plan(spec: &JobSpec, rows: u64) -> Result<Plan, SpecError> {
    let t = spec.training()?;
    let bad = |path: &str, message: String| SpecError {
        path: path.into(),
        message,
    };
    let n = usize::try_from(rows).map_err(|_| bad("dataset", format!("{rows} rows")))?;
    let test = test_rows(n, spec.split.test_fraction) as u64;
    let train = rows - test;
    if train == 0 || test == 0 {
        return Err(bad(
            "split.test_fraction",
            format!(
                "{rows} rows are too few for test_fraction {}",
                spec.split.test_fraction
            ),
        ));
    }
    let train = match &spec.split.shard {
        None => train,
        Some(shard) => match shard.rows(train) {
            0 => {
                return Err(bad(
                    "split.shard",
                    format!(
                        "shard {} of {} of the {train} training rows is empty",
                        shard.index, shard.count
                    ),
                ))
            }
            n => n,
        },
    };
    let steps_per_epoch = train.div_ceil(u64::from(t.batch_size));
    let total = steps_per_epoch
        .checked_mul(u64::from(t.epochs))
        .filter(|s| *s <= MAX_TOTAL_STEPS)
        .ok_or_else(|| {
            bad(
                "training.epochs",
                format!(
                    "{} epochs of {steps_per_epoch} steps exceed {MAX_TOTAL_STEPS} steps",
                    t.epochs
                ),
            )
        })?;
    let every = u64::from(t.checkpoint_every);
    let count = total / every + 2;
    if count > MAX_CHECKPOINTS {
        return Err(bad(
            "training.checkpoint_every",
            format!(
                "{total} steps with a checkpoint every {every} make over {MAX_CHECKPOINTS} checkpoints"
            ),
        ));
    }
    Ok(Plan {
        rows,
        train_rows: train,
        test_rows: test,
        steps_per_epoch,
        total_steps: total,
        checkpoint_steps: checkpoint_steps(total, every),
    })
}

/// 0, every `every` steps, and `total`. Callers bound `total / every` first (see `plan`).
fn checkpoint_steps(total: u64, every: u64) -> Vec<u64> {
    let every = every.max(1);
    let mut steps: Vec<u64> = (0..=total / every).map(|k| k * every).collect();
    if steps.last() != Some(&total) {
        steps.push(total);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(epochs: u32, batch: u32, every: u32) -> JobSpec {
        let text = serde_json::json!({
            "version": 1, "kind": "train",
            "model": {"type": "logistic", "inputs": 4, "classes": 2},
            "dataset": {"sha256": "00".repeat(32)},
            "split": {"test_fraction": 0.2, "seed": 1},
            "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": epochs,
                         "batch_size": batch, "checkpoint_every": every, "seed": 1}
        });
        JobSpec::from_json(&text.to_string()).unwrap()
    }

    #[test]
    fn digits_plan_matches_the_known_run() {
        // 1797 rows, 359 test, 1438 train, batch 32 -> 45 steps/epoch, 15 epochs = 675.
        let p = plan(&spec(15, 32, 100), 1797).unwrap();
        assert_eq!((p.train_rows, p.test_rows), (1438, 359));
        assert_eq!((p.steps_per_epoch, p.total_steps), (45, 675));
        assert_eq!(
            p.checkpoint_steps,
            vec![0, 100, 200, 300, 400, 500, 600, 675]
        );
        let p = plan(&spec(1, 10, 5), 50).unwrap();
        assert_eq!(p.checkpoint_steps, vec![0, 4]);
    }

    #[test]
    fn oversized_jobs_are_refused_before_allocating() {
        // 1e5 epochs over 1e9 rows in batches of 1: 8e13 steps.
        let e = plan(&spec(100_000, 1, 1), 1_000_000_000).unwrap_err();
        assert_eq!(e.path, "training.epochs");
        // Within the step cap but one checkpoint per step.
        let e = plan(&spec(1_000, 1, 1), 1_000).unwrap_err();
        assert_eq!(e.path, "training.checkpoint_every");
        let e = plan(&spec(1, 1, 1), 2).unwrap_err();
        assert_eq!(e.path, "split.test_fraction");
    }

    #[test]
    fn a_shard_plans_its_own_rows() {
        let mut s = spec(15, 32, 100);
        // 1438 training rows in 3 shards: 480, 479, 479.
        let sizes: Vec<u64> = (0..3)
            .map(|index| {
                s.split.shard = Some(crate::spec::ShardSpec { index, count: 3 });
                plan(&s, 1797).unwrap().train_rows
            })
            .collect();
        assert_eq!(sizes, vec![480, 479, 479]);
        assert_eq!(plan(&s, 1797).unwrap().steps_per_epoch, 15);
        assert_eq!(plan(&s, 1797).unwrap().test_rows, 359);
        // 8 training rows in 10 shards: shard 9 has none.
        s.split.shard = Some(crate::spec::ShardSpec {
            index: 9,
            count: 10,
        });
        let e = plan(&s, 10).unwrap_err();
        assert_eq!(e.path, "split.shard");
        assert!(e.message.contains("empty"), "{e}");
    }
}
