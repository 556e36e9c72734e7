//! Helpers shared by the CLI tests: the digits dataset from the setup venv and running the
//! `deai-worker` binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The digits CSV shipped by scikit-learn in the venv that worker/setup-libtorch.sh makes.
/// `DEAI_DIGITS_CSV` overrides the path.
pub fn digits_path() -> PathBuf {
    let path = match std::env::var_os("DEAI_DIGITS_CSV") {
        Some(p) => PathBuf::from(p),
        None => {
            let cache = std::env::var("DEAI_CACHE").unwrap_or_else(|_| "/var/cache/deai".into());
            PathBuf::from(cache)
                .join("venv/lib/python3.11/site-packages/sklearn/datasets/data/digits.csv.gz")
        }
    };
    assert!(
        path.is_file(),
        "digits dataset not found at {}: run worker/setup-libtorch.sh (or set DEAI_DIGITS_CSV)",
        path.display()
    );
    path
}

/// Runs `deai-worker` quietly, with a test artifact store.
pub fn worker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_deai-worker"))
        .args(args)
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
