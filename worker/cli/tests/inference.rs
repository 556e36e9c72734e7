//! `model-info` on a digits MLP the worker trains and sets up itself: it prints what a model
//! is registered with (the architecture, the canonical weight digest, the sha256 of the
//! canonical quantized encoding, which it also writes), consistent with `zk-setup` and
//! `hash`. The daemons themselves are tested in deai-worker-inference (in-memory chain) and
//! in tests/ (a real chain).

use std::path::Path;

mod common;
use common::{stderr, worker};
use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(args: &[&str]) -> Value {
    let o = worker(args);
    assert!(o.status.success(), "{:?}: {}", args, stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn first_word(args: &[&str]) -> String {
    let o = worker(args);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn model_info_prints_the_registration_hashes_and_writes_the_quantized_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::example_spec(d, |v| v["training"]["epochs"] = 1.into());
    let o = worker(&[
        "--quiet",
        "train",
        "--spec",
        s(&d.join("spec.json")),
        "--out",
        s(&d.join("run")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let weights = d.join("run/weights.safetensors");
    let keys = d.join("keys");
    let setup = json(&[
        "--output",
        "json",
        "zk-setup",
        "--model",
        s(&weights),
        "--out",
        s(&keys),
    ]);
    let q = d.join("quantized.bin");
    let info = json(&[
        "--output",
        "json",
        "model-info",
        "--model",
        s(&weights),
        "--keys",
        s(&keys),
        "--quantized-out",
        s(&q),
    ]);
    assert_eq!(info["architecture"], serde_json::json!([64, 64, 10]));
    assert_eq!(
        info["weights_sha256"].as_str().unwrap(),
        first_word(&["hash", "--weights", s(&weights)])
    );
    assert_eq!(
        info["weights_file_sha256"].as_str().unwrap(),
        first_word(&["hash", s(&weights)])
    );
    assert_eq!(
        info["quantized_weights_sha256"],
        setup["quantized_weights_sha256"]
    );
    assert_eq!(
        info["quantized_weights_sha256"].as_str().unwrap(),
        first_word(&["hash", s(&q)])
    );
    assert_eq!(
        info["verifying_key_sha256"].as_str().unwrap(),
        first_word(&["hash", s(&keys.join("verifying_key.bin"))])
    );
    assert!(std::fs::read(&q)
        .unwrap()
        .starts_with(b"deai.quantized_mlp.v1"));

    // Weights other than the keys' are refused with one line.
    let o = worker(&["model-info", "--model", s(&weights), "--keys", s(d)]);
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
}
