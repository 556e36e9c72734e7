//! Shared test fixtures: the real digits dataset from the setup venv, and a spec for it.

#![allow(dead_code)]

use std::path::PathBuf;

use deai_worker_jobs::{Digest, JobSpec};

/// The digits CSV from the setup venv (`deai_worker_engine::data::digits_path`).
pub fn digits_path() -> PathBuf {
    let path = deai_worker_engine::data::digits_path();
    assert!(
        path.is_file(),
        "digits dataset not found at {}: run worker/setup-libtorch.sh (or set DEAI_DIGITS_CSV)",
        path.display()
    );
    path
}

pub fn digits_sha256() -> Digest {
    Digest::of_file(&digits_path()).expect("read digits")
}

/// A train spec for an MLP on digits; `edit` adjusts the JSON before parsing.
pub fn digits_spec(edit: impl FnOnce(&mut serde_json::Value)) -> JobSpec {
    let mut v = serde_json::json!({
        "version": 1,
        "kind": "train",
        "model": {"type": "mlp", "inputs": 64, "hidden": [64], "classes": 10},
        "dataset": {
            "sha256": digits_sha256().to_hex(),
            "path": digits_path(),
            "format": "csv",
            "label_column": -1,
            "feature_scale": 0.0625
        },
        "split": {"test_fraction": 0.2, "seed": 1},
        "training": {
            "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
            "epochs": 15, "batch_size": 32, "checkpoint_every": 100, "seed": 7
        }
    });
    edit(&mut v);
    JobSpec::from_json(&v.to_string()).expect("valid spec")
}
