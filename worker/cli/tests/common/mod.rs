//! Helpers shared by the CLI tests: the digits dataset from the setup venv and running the
//! `deai-worker` binary.

#![allow(dead_code)]

use std::path::PathBuf;
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
