//! Tests of job spec parsing and validation.
use super::*;
use crate::digest::Digest;

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

#[test]
fn specs_without_the_round_fields_hash_as_before() {
    // The canonical JSON of a spec that names neither `split.shard` nor
    // `training.init_weights` is the one older workers hashed: the new fields are absent.
    let s = JobSpec::from_json(DIGITS).unwrap();
    let mut canonical = s.clone();
    canonical.dataset.path = None;
    let json = serde_json::to_string(&canonical).unwrap();
    assert!(
        !json.contains("shard") && !json.contains("init_weights"),
        "{json}"
    );
    assert_eq!(s.hash(), Digest::of(json.as_bytes()));
    // Pinned: the canonical JSON (fields in declaration order) and hash of this spec
    // before the round fields existed.
    assert_eq!(
        json,
        concat!(
            r#"{"version":1,"kind":"train","model":{"type":"mlp","inputs":64,"hidden":[64],"#,
            r#""classes":10},"dataset":{"sha256":"#,
            r#""0000000000000000000000000000000000000000000000000000000000000000","#,
            r#""format":"csv","header":false,"label_column":-1,"features_key":"features","#,
            r#""labels_key":"labels","feature_scale":0.0625},"split":{"test_fraction":0.2,"#,
            r#""seed":1},"training":{"optimizer":{"type":"sgd","lr":0.1,"momentum":0.9,"#,
            r#""weight_decay":0.0},"epochs":20,"batch_size":32,"checkpoint_every":50,"seed":7},"#,
            r#""subset":"test","device":"cpu"}"#
        )
    );
    assert_eq!(
        s.hash().to_hex(),
        "c91e968fec8cf43befe8598590ce8a1c8677c2b3eadcff94ab46e31a2df4a50a"
    );
}

#[test]
fn shard_and_init_weights_parse_validate_and_hash() {
    let w = "11".repeat(32);
    let s = JobSpec::from_json(&with(|v| {
        v["split"]["shard"] = serde_json::json!({"index": 1, "count": 3});
        v["training"]["init_weights"] = serde_json::json!({"sha256": w, "path": "/tmp/w"});
    }))
    .unwrap();
    assert_eq!(s.split.shard, Some(ShardSpec { index: 1, count: 3 }));
    let iw = s.training().unwrap().init_weights.clone().unwrap();
    assert_eq!(
        (iw.sha256.to_hex(), iw.path.as_deref()),
        (w.clone(), Some("/tmp/w"))
    );
    // Each field is part of the hash; the weights' path hint is not.
    let plain = JobSpec::from_json(DIGITS).unwrap();
    assert_ne!(s.hash(), plain.hash());
    let moved = JobSpec::from_json(&with(|v| {
        v["split"]["shard"] = serde_json::json!({"index": 1, "count": 3});
        v["training"]["init_weights"] = serde_json::json!({"sha256": w, "path": "/elsewhere"});
    }))
    .unwrap();
    assert_eq!(s.hash(), moved.hash());
    let other_shard = JobSpec::from_json(&with(|v| {
        v["split"]["shard"] = serde_json::json!({"index": 2, "count": 3});
        v["training"]["init_weights"] = serde_json::json!({"sha256": w});
    }))
    .unwrap();
    assert_ne!(s.hash(), other_shard.hash());
    // The JSON round-trips.
    assert_eq!(
        JobSpec::from_json(&serde_json::to_string(&s).unwrap()).unwrap(),
        s
    );
}

#[test]
fn bad_shards_and_init_weights_name_the_field() {
    let shard = |index: i64, count: i64| {
        err(&with(|v| {
            v["split"]["shard"] = serde_json::json!({"index": index, "count": count})
        }))
    };
    let e = shard(0, 0);
    assert_eq!(e.path, "split.shard.count");
    let e = shard(3, 3);
    assert_eq!(e.path, "split.shard.index");
    assert!(e.message.contains("below count 3"), "{e}");
    let e = shard(-1, 3);
    assert_eq!(e.path, "split.shard.index");
    let e = err(&with(|v| {
        v["split"]["shard"] = serde_json::json!({"index": 0, "count": 2, "of": 1})
    }));
    assert_eq!(e.path, "split.shard.of");
    let e = err(&with(|v| {
        v["training"]["init_weights"] = serde_json::json!({"sha256": "xyz"})
    }));
    assert_eq!(e.path, "training.init_weights.sha256");
    let e = err(&with(|v| {
        v["training"]["init_weights"] = serde_json::json!({"path": "/tmp/w"})
    }));
    assert_eq!(e.path, "training.init_weights");
}
