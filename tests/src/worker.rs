//! Real `deai-worker` processes for end-to-end tests: daemons started against a localnet,
//! logging to a file, stopped with SIGTERM (killed on drop if still running).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The deai-worker binary next to this test binary (target/<profile>/deai-worker).
pub fn worker_bin() -> PathBuf {
    if let Ok(p) = std::env::var("DEAI_WORKER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("deai-worker");
    assert!(
        bin.exists(),
        "{} not found: build it first with `cargo build -p deai-worker` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// The dataset path the shipped examples (worker/cli/examples) name: the default cache's.
const EXAMPLES_DIGITS: &str =
    "/var/cache/deai/venv/lib/python3.11/site-packages/sklearn/datasets/data/digits.csv.gz";

/// scikit-learn's digits file on this machine, as scripts/env.sh finds it: $DEAI_DIGITS_CSV,
/// else the venv that worker/setup-libtorch.sh makes under $DEAI_CACHE.
pub fn digits_csv() -> PathBuf {
    if let Some(p) = std::env::var_os("DEAI_DIGITS_CSV") {
        return PathBuf::from(p);
    }
    crate::deai_cache()
        .join("venv/lib/python3.11/site-packages/sklearn/datasets/data/digits.csv.gz")
}

/// The worker's example spec `name` (worker/cli/examples/NAME.json) with its dataset path
/// hint at [`digits_csv`]: the example itself where that is the path it names, else a copy
/// under $DEAI_CACHE/specs (scripts/env.sh's `example_spec` does the same for the scripts).
pub fn example_spec(name: &str) -> PathBuf {
    let example = crate::repo_root().join(format!("worker/cli/examples/{name}.json"));
    let digits = digits_csv();
    if digits == Path::new(EXAMPLES_DIGITS) {
        return example;
    }
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&example).unwrap()).unwrap();
    assert_eq!(
        spec["dataset"]["path"],
        EXAMPLES_DIGITS,
        "{}",
        example.display()
    );
    spec["dataset"]["path"] = digits.to_str().unwrap().into();
    let dir = crate::deai_cache().join("specs");
    std::fs::create_dir_all(&dir).unwrap();
    // Written whole under a name of this process, then renamed: a test running beside this
    // one reads the old file or the new, never half of one.
    let out = dir.join(format!("{name}.e2e.json"));
    let tmp = dir.join(format!("{name}.e2e.json.{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    out
}

/// The digits MLP example (`example_spec("digits-mlp")`), the spec the market tests train.
pub fn digits_spec() -> PathBuf {
    example_spec("digits-mlp")
}

/// A running deai-worker daemon (`provider start`, `inference-server start`).
pub struct Daemon {
    child: Option<Child>,
    pub log: PathBuf,
    pub state_dir: PathBuf,
}

impl Daemon {
    /// Starts `deai-worker <args…> --state-dir DIR/<name>` logging to `DIR/<name>.log`.
    pub fn spawn(dir: &Path, name: &str, args: &[&str]) -> Self {
        let state_dir = dir.join(name);
        std::fs::create_dir_all(&state_dir).unwrap();
        let log = dir.join(format!("{name}.log"));
        // Appended to: a restarted daemon keeps one log.
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new(worker_bin())
            .args(args)
            .arg("--state-dir")
            .arg(&state_dir)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("deai-worker starts");
        Self {
            child: Some(child),
            log,
            state_dir,
        }
    }

    /// A compute provider for `key` (in the test keyring at `keys_home`) on `node` (an RPC
    /// URL), serving artifacts on 127.0.0.1:`port`, with `extra` flags.
    pub fn provider(
        dir: &Path,
        node: &str,
        keys_home: &Path,
        key: &str,
        port: u16,
        extra: &[&str],
    ) -> Self {
        let addr = format!("127.0.0.1:{port}");
        let keys = keys_home.to_str().unwrap();
        let mut args = vec!["provider", "start", "--node", node, "--key", key];
        args.extend_from_slice(&[
            "--keyring-backend",
            "test",
            "--home",
            keys,
            "--artifact-addr",
            &addr,
        ]);
        args.extend_from_slice(&["--reconcile-secs", "2", "--withdraw-secs", "5"]);
        args.extend_from_slice(extra);
        Self::spawn(dir, &format!("provider-{key}"), &args)
    }

    /// An inference server for `key` serving the models in `model_dir`.
    pub fn inference_server(
        dir: &Path,
        node: &str,
        keys_home: &Path,
        key: &str,
        model_dir: &Path,
    ) -> Self {
        let keys = keys_home.to_str().unwrap();
        let models = model_dir.to_str().unwrap();
        let mut args = vec!["inference-server", "start", "--node", node, "--key", key];
        args.extend_from_slice(&[
            "--keyring-backend",
            "test",
            "--home",
            keys,
            "--model-dir",
            models,
        ]);
        args.extend_from_slice(&["--reconcile-secs", "2"]);
        Self::spawn(dir, &format!("inference-{key}"), &args)
    }

    /// The daemon's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log contains `needle`; panics with the log after `timeout`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) {
        let start = Instant::now();
        while !self.log_text().contains(needle) {
            assert!(
                start.elapsed() < timeout,
                "no {needle:?} in {} after {timeout:?}:\n{}",
                self.log.display(),
                tail(&self.log_text())
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Kills the daemon with SIGKILL (a crash: no state is flushed beyond what it wrote).
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Sends SIGTERM and waits (up to 60 s) for the exit.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!(
                    "the daemon did not stop on SIGTERM:\n{}",
                    tail(&self.log_text())
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The last 60 lines of a log.
pub fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}
