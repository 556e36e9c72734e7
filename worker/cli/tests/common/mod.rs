//! Helpers shared by the CLI tests: the digits dataset from the setup venv and running the
//! `deai-worker` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Runs `deai-worker` quietly, with a test artifact store.
pub fn worker(args: &[&str]) -> Output {
    worker_with_env(args, &[])
}

/// `worker` with extra environment variables.
pub fn worker_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deai-worker"))
        .args(args)
        .envs(env.iter().copied())
        .env("DEAI_LOG", "warn")
        .env(
            "DEAI_STORE",
            std::env::temp_dir().join("deai-cli-test-store"),
        )
        .output()
        .expect("run deai-worker")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The shipped example (examples/digits-mlp.json) pointed at this machine's digits file,
/// changed by `edit`, written to `dir/spec.json`.
pub fn example_spec(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/digits-mlp.json"
    ))
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let digits = digits_path();
    let o = worker(&["hash", digits.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sha = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    v["dataset"]["sha256"] = sha.into();
    v["dataset"]["path"] = digits.display().to_string().into();
    edit(&mut v);
    let path = dir.join("spec.json");
    std::fs::write(&path, v.to_string()).unwrap();
    path
}
