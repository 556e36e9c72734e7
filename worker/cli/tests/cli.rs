//! The deai-worker binary end to end: train the shipped example to its pinned hash (and
//! reproduce or refuse it under another environment), audit it with replay, catch forged
//! results, and fail cleanly on bad input.

use std::path::{Path, PathBuf};

mod common;
use common::{stderr, worker, worker_with_env};

/// The shipped example, pointed at this machine's digits file.
fn example_spec(dir: &Path) -> PathBuf {
    common::example_spec(dir, |_| {})
}

/// The final weights of the shipped example on the pinned libtorch wheel: any change to
/// initialisation, batch order, the optimizer or the kernel settings changes it.
const GOLDEN_FINAL_WEIGHTS: &str =
    "ff3b309c9cd434214a3e354db11a3d594fd1240ecad5c75570ff97e90a56693a";

fn train_example(dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let spec = example_spec(dir);
    let out = dir.join("run");
    let mut args = vec![
        "--output",
        "json",
        "train",
        "--spec",
        spec.to_str().unwrap(),
    ];
    args.extend(["--out", out.to_str().unwrap()]);
    worker_with_env(&args, env)
}

fn final_weights(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["final_weights_sha256"].as_str().unwrap().to_string()
}

#[test]
fn the_shipped_example_trains_to_its_pinned_hash_in_any_environment_or_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        final_weights(&train_example(dir.path(), &[])),
        GOLDEN_FINAL_WEIGHTS
    );
    // Another shell's settings: the worker re-executes itself with its own.
    let hostile = [
        ("OMP_NUM_THREADS", "2"),
        ("MKL_CBWR", "COMPATIBLE"),
        ("ATEN_CPU_CAPABILITY", "default"),
        ("ONEDNN_MAX_CPU_ISA", "SSE41"),
    ];
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        final_weights(&train_example(dir.path(), &hostile)),
        GOLDEN_FINAL_WEIGHTS
    );
    // Pretending the re-exec already happened does not smuggle them in: refused.
    let mut sneaky = hostile.to_vec();
    sneaky.push(("DEAI_WORKER_REEXEC", "1"));
    let o = train_example(dir.path(), &sneaky);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("deterministic mode is not in force"),
        "{}",
        stderr(&o)
    );
}

/// The pinned settings, given up front so that the worker needs no re-exec (a re-exec
/// would leave the emulator and run on the host's CPU).
const PINNED_ENV: [(&str, &str); 5] = [
    ("OMP_NUM_THREADS", "1"),
    ("MKL_CBWR", "AVX2"),
    ("ATEN_CPU_CAPABILITY", "avx2"),
    ("ONEDNN_MAX_CPU_ISA", "AVX2"),
    ("OMP_WAIT_POLICY", "PASSIVE"),
];

/// Another CPU gives the same bits: the example trained under QEMU's Haswell model (AVX2
/// and FMA, no AVX-512, other cache sizes and CPUID) ends on the golden weights. The
/// chain's audits compare hashes computed on different validators' machines, so a
/// kernel that picked its code by the host CPU would fail here. scripts/setup.sh
/// installs qemu-user.
#[test]
fn the_shipped_example_trains_to_its_pinned_hash_on_an_emulated_cpu_without_avx512() {
    let dir = tempfile::tempdir().unwrap();
    let spec = example_spec(dir.path());
    let out = dir.path().join("run");
    let o = std::process::Command::new("qemu-x86_64")
        .args(["-cpu", "Haswell-v4", env!("CARGO_BIN_EXE_deai-worker")])
        .args(["--output", "json", "train", "--spec"])
        .arg(&spec)
        .arg("--out")
        .arg(&out)
        .envs(PINNED_ENV)
        .env("DEAI_LOG", "warn")
        .output()
        .expect("qemu-x86_64 (apt package qemu-user; scripts/setup.sh installs it)");
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let isa = v["device"]["cpu_isa"].as_str().unwrap();
    assert!(
        isa.contains("avx2") && !isa.contains("avx512f"),
        "not the emulated CPU: {isa}"
    );
    assert_eq!(final_weights(&o), GOLDEN_FINAL_WEIGHTS);
}

fn replay(args: &[&str]) -> std::process::Output {
    let mut all = vec!["replay"];
    all.extend_from_slice(args);
    worker(&all)
}

fn write_json(path: &Path, v: &serde_json::Value) -> String {
    std::fs::write(path, v.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn replay_audits_the_run_and_gives_each_forgery_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    final_weights(&train_example(dir.path(), &[]));
    let out = dir.path().join("run");
    let result = out.join("result.json");
    let r = result.to_str().unwrap();
    let honest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&result).unwrap()).unwrap();

    let o = replay(&["--result", r, "--segment", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with("replay verdict: honest: checkpoints 1..=2"),
        "{text}"
    );
    // Through the last checkpoint, the published weights and accuracies are checked too.
    let o = replay(&[
        "--result",
        r,
        "--from-checkpoint",
        "5",
        "--to-checkpoint",
        "7",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("published weights verified"), "{text}");

    // A broken link: malformed (exit 3), one line.
    let mut bad = honest.clone();
    bad["checkpoints"][2]["hash"] = "00".repeat(32).into();
    let bad_path = write_json(&out.join("tampered.json"), &bad);
    let o = replay(&["--result", &bad_path, "--segment", "0"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("malformed: checkpoint 2's hash"), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");

    // A shortened run that reports its 100 steps honestly: malformed.
    let mut short = honest.clone();
    short["steps"] = 100.into();
    short["checkpoints"].as_array_mut().unwrap().truncate(2);
    let short_path = write_json(&out.join("short.json"), &short);
    let o = replay(&["--result", &short_path, "--segment", "0"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("requires 675"), "{}", stderr(&o));

    // A checkpoint nobody can deliver: withheld (exit 4), not an I/O error.
    std::fs::remove_file(out.join("checkpoints/00003.safetensors")).unwrap();
    let o = replay(&["--result", r, "--segment", "3"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("withheld: checkpoint 3"),
        "{}",
        stderr(&o)
    );
    // Another file in its place is not used.
    std::fs::copy(
        out.join("checkpoints/00004.safetensors"),
        out.join("checkpoints/00003.safetensors"),
    )
    .unwrap();
    let o = replay(&["--result", r, "--segment", "3"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));

    // Results that name paths are refused before anything is opened.
    let mut pathy = honest.clone();
    pathy["checkpoints"][1]["file"] = "/dev/zero".into();
    let pathy = write_json(&out.join("pathy.json"), &pathy);
    let o = replay(&["--result", &pathy, "--segment", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("unknown field `file`"),
        "{}",
        stderr(&o)
    );
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
                "--segment",
                "0",
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

/// A free port on 127.0.0.1 (bound, then released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Stops the artifact server when the test ends, whatever happens.
struct Server(std::process::Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_verifier_with_only_the_result_fetches_checkpoints_and_weights_by_hash_from_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let worker_store = dir.path().join("worker-store");
    let spec = example_spec(dir.path());
    let out = dir.path().join("run");
    let o = worker(&[
        "train",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--publish",
        "--store",
        worker_store.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let port = free_port();
    let server = Server(
        std::process::Command::new(env!("CARGO_BIN_EXE_deai-worker"))
            .args(["serve-artifacts", "--dir", worker_store.to_str().unwrap()])
            .args(["--port", &port.to_string()])
            .env("DEAI_LOG", "warn")
            .spawn()
            .unwrap(),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "artifact server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The verifier has result.json alone, in a directory of its own, and an empty store.
    let verifier = dir.path().join("verifier");
    std::fs::create_dir(&verifier).unwrap();
    std::fs::copy(out.join("result.json"), verifier.join("result.json")).unwrap();
    let r = verifier.join("result.json");
    let url = format!("http://127.0.0.1:{port}");
    let verifier_store = verifier.join("store");
    let audit = |range: &[&str]| {
        let mut args = vec!["replay", "--result", r.to_str().unwrap()];
        args.extend_from_slice(range);
        args.extend([
            "--store",
            verifier_store.to_str().unwrap(),
            "--artifact-server",
            &url,
        ]);
        worker(&args)
    };
    let o = audit(&["--from-checkpoint", "4", "--to-checkpoint", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("published weights verified"));
    // What it fetched is in its store under the committed hashes.
    let result: serde_json::Value = serde_json::from_slice(&std::fs::read(&r).unwrap()).unwrap();
    let ck4 = result["checkpoints"][4]["file_sha256"].as_str().unwrap();
    assert!(verifier_store
        .join("blobs")
        .join(&ck4[..2])
        .join(ck4)
        .is_file());
    drop(server);
    // With the worker gone, an uncached checkpoint is withheld.
    let o = audit(&["--segment", "2"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
}
