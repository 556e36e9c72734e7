//! The deai-worker binary end to end: train the shipped example, replay it, catch a
//! tampered result, and fail cleanly on bad input.

use std::path::{Path, PathBuf};

mod common;
use common::{digits_path, stderr, worker};

/// The shipped example, pointed at this machine's digits file.
fn example_spec(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/digits-mlp.json"
    ))
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let digits = digits_path();
    let sha = deai_worker_jobs_sha(&digits);
    v["dataset"]["sha256"] = sha.into();
    v["dataset"]["path"] = digits.display().to_string().into();
    let path = dir.join("spec.json");
    std::fs::write(&path, v.to_string()).unwrap();
    path
}

fn deai_worker_jobs_sha(path: &Path) -> String {
    let o = worker(&["hash", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn train_replay_and_tamper_detection_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let spec = example_spec(dir.path());
    let out = dir.path().join("run");
    let o = worker(&[
        "--output",
        "json",
        "train",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let result = out.join("result.json");
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&result).unwrap()).unwrap();
    assert_eq!(printed, on_disk);
    assert!(on_disk["metrics"]["test_accuracy"].as_f64().unwrap() >= 0.95);
    assert_eq!(on_disk["checkpoints"][0]["step"], 0);
    assert_eq!(
        on_disk["checkpoints"][0]["hash"].as_str().unwrap().len(),
        64
    );

    let r = result.to_str().unwrap();
    let o = worker(&[
        "replay",
        "--result",
        r,
        "--from-checkpoint",
        "1",
        "--to-checkpoint",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("replay passed"));

    let mut bad = on_disk.clone();
    let h = bad["checkpoints"][2]["hash"].as_str().unwrap().to_string();
    let flipped = format!(
        "{}{}",
        if h.starts_with('0') { '1' } else { '0' },
        h.get(1..).unwrap()
    );
    bad["checkpoints"][2]["hash"] = flipped.into();
    let bad_path = out.join("tampered.json");
    std::fs::write(&bad_path, bad.to_string()).unwrap();
    let o = worker(&[
        "replay",
        "--result",
        bad_path.to_str().unwrap(),
        "--from-checkpoint",
        "0",
        "--to-checkpoint",
        "4",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("checkpoint 2 (step 200) diverges"), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
}

#[test]
fn bad_input_is_one_line_and_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let spec = example_spec(dir.path());
    let bad_spec = dir.path().join("bad.json");
    let text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("\"hidden\":[64]", "\"hidden\":[0]");
    std::fs::write(&bad_spec, text).unwrap();
    let nan_spec = dir.path().join("nan.json");
    let text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("\"lr\":0.05", "\"lr\":1e30");
    std::fs::write(&nan_spec, text).unwrap();
    let junk = dir.path().join("junk.csv");
    std::fs::write(&junk, "1,2,3\n").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["train", "--spec", "/nonexistent/spec.json", "--out", out],
            "No such file",
        ),
        (
            vec!["train", "--spec", bad_spec.to_str().unwrap(), "--out", out],
            "model.hidden[0]",
        ),
        (
            vec!["train", "--spec", nan_spec.to_str().unwrap(), "--out", out],
            "training diverged",
        ),
        (
            vec![
                "train",
                "--spec",
                spec.to_str().unwrap(),
                "--out",
                out,
                "--data",
                junk.to_str().unwrap(),
            ],
            "sha256 is",
        ),
        (
            vec![
                "replay",
                "--result",
                "/nonexistent/result.json",
                "--from-checkpoint",
                "0",
                "--to-checkpoint",
                "1",
            ],
            "No such file",
        ),
        (vec!["hash", "/nonexistent"], "No such file"),
    ];
    for (args, needle) in cases {
        let o = worker(&args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {e}");
        assert!(
            e.starts_with("error: ") && e.contains(needle),
            "{args:?}: {e}"
        );
        assert_eq!(e.trim_end().lines().count(), 1, "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
}
