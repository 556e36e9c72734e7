//! Tests of job spec parsing and validation.
use super::*;

const DIGITS: &str = r#"{
    "version": 1,
    "kind": "train",
    "model": {"type": "mlp", "inputs": 64, "hidden": [64], "classes": 10},
    "dataset": {"sha256": "0000000000000000000000000000000000000000000000000000000000000000",
                "path": "/tmp/digits.csv.gz", "feature_scale": 0.0625},
    "split": {"test_fraction": 0.2, "seed": 1},
    "training": {"optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9},
                 "epochs": 20, "batch_size": 32, "checkpoint_every": 50, "seed": 7}
}"#;

fn with(f: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(DIGITS).unwrap();
    f(&mut v);
    v.to_string()
}

fn err(text: &str) -> SpecError {
    JobSpec::from_json(text).unwrap_err()
}

#[test]
fn a_good_spec_parses_with_defaults() {
    let s = JobSpec::from_json(DIGITS).unwrap();
    assert_eq!(s.kind, JobKind::Train);
    assert_eq!(s.dataset.label_column, -1);
    assert_eq!(s.device, Device::Cpu);
    assert_eq!(s.model.inputs(), 64);
}

#[test]
fn errors_name_the_field() {
    let e = err(&with(|v| v["training"]["batch_size"] = 0.into()));
    assert_eq!(e.path, "training.batch_size");
    let e = err(&with(|v| v["training"]["optimizer"]["lr"] = (-1.0).into()));
    assert_eq!(e.path, "training.optimizer.lr");
    let e = err(&with(|v| v["model"]["hidden"] = serde_json::json!([64, 0])));
    assert_eq!(e.path, "model.hidden[1]");
    let e = err(&with(|v| v["model"]["colour"] = "red".into()));
    assert_eq!(e.path, "model");
    assert!(e.message.contains("colour"), "{e}");
    let e = err(&with(|v| v["dataset"]["sha256"] = "abc".into()));
    assert_eq!(e.path, "dataset.sha256");
    let e = err(&with(|v| v["version"] = 2.into()));
    assert_eq!(e.path, "version");
    let e = err(&with(|v| v["kind"] = "evaluate".into()));
    assert_eq!(e.path, "weights");
    let e = err(&with(|v| v["model"]["type"] = "transformer".into()));
    assert_eq!(e.path, "model.type");
    assert!(err("{").message.contains("not valid JSON"));
}

#[test]
fn an_oversized_model_is_refused_before_anything_is_allocated() {
    // 16 hidden layers 65,536 wide: 6.9e10 parameters, about 275 GB of f32.
    let e = err(&with(|v| {
        v["model"]["inputs"] = 65_536.into();
        v["model"]["hidden"] = serde_json::json!(vec![65_536; 16]);
    }));
    assert_eq!(e.path, "model");
    assert!(e.message.contains("parameters, at most"), "{e}");
    // A wide CNN is counted too.
    let e = err(&with(|v| {
        v["model"] = serde_json::json!({"type": "cnn", "image_size": 28,
            "conv_channels": [256, 256], "classes": 65_536});
    }));
    assert_eq!(e.path, "model");
}

#[test]
fn the_hash_ignores_path_hints_only() {
    let a = JobSpec::from_json(DIGITS).unwrap();
    let b = JobSpec::from_json(&with(|v| v["dataset"]["path"] = "/elsewhere".into())).unwrap();
    assert_eq!(a.hash(), b.hash());
    let c = JobSpec::from_json(&with(|v| v["training"]["seed"] = 8.into())).unwrap();
    assert_ne!(a.hash(), c.hash());
}
