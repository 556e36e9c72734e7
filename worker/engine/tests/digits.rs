//! Real libtorch training on scikit-learn's digits: accuracy, bit-identical runs, evaluate
//! and infer on the saved model, and bad inputs. (Replay and its attacks: tests/audit.rs.)

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{digits_path, digits_spec};
use deai_worker_engine::train::checkpoint_file;
use deai_worker_engine::{evaluate, infer, train, EngineError, Silent};
use deai_worker_jobs::spec::{ArtifactRef, JobKind};
use deai_worker_jobs::{Digest, TrainResult};
use tempfile::TempDir;

/// One training run shared by the tests that only read it.
fn trained() -> &'static (TempDir, TrainResult) {
    static RUN: OnceLock<(TempDir, TrainResult)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = TempDir::new().unwrap();
        let result = train(
            &digits_spec(|_| {}),
            &digits_path(),
            dir.path(),
            &mut Silent,
        )
        .unwrap();
        (dir, result)
    })
}

#[test]
fn an_mlp_on_digits_reaches_95_percent_and_writes_its_result() {
    let (dir, r) = trained();
    assert!(
        r.metrics.test_accuracy >= 0.95,
        "test accuracy {}",
        r.metrics.test_accuracy
    );
    assert_eq!(r.datasets[0].rows, 1797);
    assert_eq!(r.checkpoints[0].step, 0);
    assert_eq!(r.checkpoints.last().unwrap().step, r.steps);
    assert_eq!(r.device.mode, "cpu-deterministic");
    assert!(
        r.libtorch_version.starts_with("2.13.0"),
        "{}",
        r.libtorch_version
    );

    // result.json on disk is what the call returned, with the fields the chain reads.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("result.json")).unwrap()).unwrap();
    assert_eq!(
        json["final_weights_sha256"],
        r.final_weights_sha256.to_hex()
    );
    assert_eq!(json["checkpoints"][1]["step"], 100);
    assert!(json["metrics"]["test_accuracy"].as_f64().unwrap() >= 0.95);
    assert!(dir.path().join("weights.safetensors").is_file());
    // Checkpoints are kept under the conventional names and recorded by their hash.
    for (i, c) in r.checkpoints.iter().enumerate() {
        let bytes = std::fs::read(dir.path().join(checkpoint_file(i))).unwrap();
        assert_eq!(Digest::of(&bytes), c.file_sha256);
    }
    assert_eq!(json["version"], 2);
    assert!(json["checkpoints"][1].get("file").is_none());
}

#[test]
fn two_runs_of_one_spec_are_bit_identical() {
    let (dir_a, a) = trained();
    let dir_b = TempDir::new().unwrap();
    let b = train(
        &digits_spec(|_| {}),
        &digits_path(),
        dir_b.path(),
        &mut Silent,
    )
    .unwrap();
    assert_eq!(a, &b);
    let read = |d: &Path| std::fs::read(d.join("weights.safetensors")).unwrap();
    assert_eq!(read(dir_a.path()), read(dir_b.path()));
    assert_eq!(
        std::fs::read(dir_a.path().join("result.json")).unwrap(),
        std::fs::read(dir_b.path().join("result.json")).unwrap()
    );
}

#[test]
fn adam_and_a_cnn_train_deterministically_too() {
    let spec = digits_spec(|v| {
        v["model"] = serde_json::json!({"type": "cnn", "image_size": 8, "classes": 10});
        v["training"]["optimizer"] = serde_json::json!({"type": "adam", "lr": 0.01});
        v["training"]["epochs"] = 2.into();
    });
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let ra = train(&spec, &digits_path(), a.path(), &mut Silent).unwrap();
    let rb = train(&spec, &digits_path(), b.path(), &mut Silent).unwrap();
    assert_eq!(ra, rb);
    assert!(
        ra.metrics.test_accuracy > 0.8,
        "{}",
        ra.metrics.test_accuracy
    );
}

fn job_on_saved_model(kind: JobKind) -> deai_worker_jobs::JobSpec {
    let (dir, r) = trained();
    let mut spec = r.spec.clone();
    spec.kind = kind;
    spec.training = None;
    spec.weights = Some(ArtifactRef {
        sha256: r.weights_file_sha256,
        path: Some(dir.path().join("weights.safetensors").display().to_string()),
    });
    spec
}

#[test]
fn evaluate_and_infer_on_the_saved_model_reproduce_the_test_accuracy() {
    let (dir, r) = trained();
    let weights = dir.path().join("weights.safetensors");
    let spec = job_on_saved_model(JobKind::Evaluate);
    let eval = evaluate(&spec, &digits_path(), &weights).unwrap();
    assert_eq!(eval.accuracy, r.metrics.test_accuracy);
    assert_eq!(eval.samples, r.datasets[0].test_rows);

    let spec = job_on_saved_model(JobKind::Infer);
    let out = infer(&spec, &digits_path(), &weights).unwrap();
    let labels = deai_worker_engine::eval::labels(&spec, &digits_path()).unwrap();
    assert_eq!(out.predictions.len(), labels.len());
    let correct = out
        .predictions
        .iter()
        .zip(&labels)
        .filter(|(p, l)| p == l)
        .count();
    assert_eq!(correct as f64 / labels.len() as f64, eval.accuracy);
}

#[test]
fn bad_inputs_fail_with_precise_errors() {
    let dir = TempDir::new().unwrap();
    // Shape mismatch: the model takes 63 features, the data has 64.
    let spec = digits_spec(|v| v["model"]["inputs"] = 63.into());
    let e = train(&spec, &digits_path(), dir.path(), &mut Silent).unwrap_err();
    assert!(matches!(e, EngineError::Shape(_)), "{e}");
    assert!(e.to_string().contains("64 features"), "{e}");

    // Hash mismatch: the spec names other bytes.
    let spec = digits_spec(|v| v["dataset"]["sha256"] = "ab".repeat(32).into());
    let e = train(&spec, &digits_path(), dir.path(), &mut Silent).unwrap_err();
    assert!(matches!(e, EngineError::HashMismatch { .. }), "{e}");

    // A missing file.
    let e = train(
        &digits_spec(|_| {}),
        Path::new("/nonexistent/digits.csv"),
        dir.path(),
        &mut Silent,
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("/nonexistent/digits.csv: "),
        "{e}"
    );

    // Divergence: a huge learning rate drives the loss to inf/NaN.
    let spec = digits_spec(|v| {
        v["training"]["optimizer"] = serde_json::json!({"type": "sgd", "lr": 1e30})
    });
    let e = train(&spec, &digits_path(), dir.path(), &mut Silent).unwrap_err();
    assert!(matches!(e, EngineError::NonFiniteLoss { .. }), "{e}");

    // Weights that do not match the model.
    let (tdir, _) = trained();
    let mut spec = job_on_saved_model(JobKind::Evaluate);
    spec.model = deai_worker_jobs::spec::ModelSpec::Mlp {
        inputs: 64,
        hidden: vec![32],
        classes: 10,
    };
    let e = evaluate(
        &spec,
        &digits_path(),
        &tdir.path().join("weights.safetensors"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("shape"), "{e}");
}
