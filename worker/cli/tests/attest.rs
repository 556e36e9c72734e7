//! `deai-worker attest serve` end to end: the real sidecar on an ephemeral loopback port,
//! asked over HTTP as deaid asks it. An inference replay is answered with the hash of the
//! chain's integer reference output; a task code check gives the same hash on every run
//! and the canonical digest `train` gives on the same sample; broken jobs never appear; a
//! `--dishonest` sidecar attests another hash.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use deai_worker_attest::wire::{
    inference_output_hash, spec_sha256_hex, AttestRequest, AttestResponse, ComputeReplaySpec,
    InferenceReplaySpec, TaskCodeSpec, WireJob,
};
use deai_zk::{QuantLayer, QuantizedModel};
use serde_json::Value;

mod common;
use common::{stderr, worker};

/// A give-up bound for polling, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(300);

struct Sidecar {
    child: Child,
    addr: String,
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, extra: &[&str]) -> Sidecar {
    let work = dir.join("work");
    let mut child = Command::new(env!("CARGO_BIN_EXE_deai-worker"))
        .args(["attest", "serve", "--listen", "127.0.0.1:0", "--work-dir"])
        .arg(&work)
        .arg("--store")
        .arg(dir.join("store"))
        .args(extra)
        .env("DEAI_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the sidecar");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    Sidecar {
        child,
        addr: url.trim_start_matches("http://").to_string(),
    }
}

/// One HTTP/1.1 exchange (the sidecar closes every connection after its answer).
fn http(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status_line = String::from_utf8_lossy(&resp[..split]).to_string();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    (status, resp[split + 4..].to_vec())
}

fn ask(sc: &Sidecar, jobs: &[WireJob]) -> AttestResponse {
    let req = AttestRequest {
        chain_id: "deai-test".into(),
        height: 5,
        jobs: jobs.to_vec(),
    };
    let (status, body) = http(
        &sc.addr,
        "POST",
        "/v1/attest",
        &serde_json::to_vec(&req).unwrap(),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

fn health(sc: &Sidecar) -> Value {
    let (status, body) = http(&sc.addr, "GET", "/healthz", b"");
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

/// Asks until every job has finished (done or failed: `cached` counts both), then returns
/// the answer.
fn settle(sc: &Sidecar, jobs: &[WireJob], finished: u64) -> AttestResponse {
    let t0 = Instant::now();
    loop {
        let ans = ask(sc, jobs);
        let h = health(sc);
        if h["cached"].as_u64() == Some(finished) && h["queued"].as_u64() == Some(0) {
            return ask(sc, jobs);
        }
        assert!(t0.elapsed() < PATIENCE, "jobs never finished: {h} {ans:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn job(id: u64, kind: &str, spec: &str) -> WireJob {
    WireJob {
        id,
        kind: kind.into(),
        spec: spec.into(),
        spec_sha256: spec_sha256_hex(spec.as_bytes()),
    }
}

fn result_of(ans: &AttestResponse, id: u64) -> Option<String> {
    ans.results
        .iter()
        .find(|r| r.job_id == id)
        .map(|r| r.result_hash.clone())
}

/// A 3-4-2 quantized MLP, built directly.
fn small_model() -> QuantizedModel {
    let w1: Vec<i64> = (0..12).map(|i| (i * 37 % 61) - 30).collect();
    let w2: Vec<i64> = (0..8).map(|i| (i * 23 % 41) - 20).collect();
    QuantizedModel {
        layers: vec![
            QuantLayer {
                n_in: 3,
                n_out: 4,
                weight: w1,
                bias: vec![5, -7, 100, 0],
                shift: 4,
            },
            QuantLayer {
                n_in: 4,
                n_out: 2,
                weight: w2,
                bias: vec![1, -1],
                shift: 0,
            },
        ],
        input_min: -128,
        input_max: 127,
        weight_bits: 8,
        input_frac_bits: 4,
        output_frac_bits: 8,
    }
}

#[test]
fn an_inference_replay_is_answered_with_the_hash_of_the_chains_reference_output() {
    let dir = tempfile::tempdir().unwrap();
    let qm = small_model();
    let bytes = qm.canonical_bytes();
    let store = deai_worker_artifacts::Store::open(dir.path().join("store"), 1 << 20).unwrap();
    let sha = store.put_bytes(None, &bytes).unwrap().digest;
    let input = vec![17, -40, 99];
    // The chain side: MsgAdjudicate's integer reference inference, then the output hash.
    let expected = hex::encode(inference_output_hash(&qm.infer(&input).unwrap()));

    let spec = |input: Vec<i64>, sha: String, arch: Vec<u32>| {
        serde_json::to_string(&InferenceReplaySpec {
            model_id: 1,
            architecture: arch,
            quantized_weights_sha256: sha,
            input,
        })
        .unwrap()
    };
    let good = job(
        1,
        "inference_replay",
        &spec(input.clone(), sha.to_hex(), vec![3, 4, 2]),
    );
    let missing = job(
        2,
        "inference_replay",
        &spec(input.clone(), "ab".repeat(32), vec![3, 4, 2]),
    );
    let wrong_arch = job(
        3,
        "inference_replay",
        &spec(input.clone(), sha.to_hex(), vec![3, 5, 2]),
    );
    let bad_input = job(
        4,
        "inference_replay",
        &spec(vec![1, 2], sha.to_hex(), vec![3, 4, 2]),
    );
    let mut bad_sha = job(
        5,
        "inference_replay",
        &spec(input.clone(), sha.to_hex(), vec![3, 4, 2]),
    );
    bad_sha.spec_sha256 = "00".repeat(32);
    let unknown = job(6, "mystery", "{}");
    let all = [
        good.clone(),
        missing,
        wrong_arch,
        bad_input,
        bad_sha,
        unknown,
    ];

    let sc = start(dir.path(), &[]);
    let h = health(&sc);
    assert_eq!(h["ok"], true);
    assert!(h["network_isolated"].is_boolean());
    // Nothing is known yet: the answer is at once, and empty.
    assert!(ask(&sc, &all).results.is_empty());
    // Four jobs are run (refused ones are not queued); only the good one is attested.
    let ans = settle(&sc, &all, 4);
    assert_eq!(ans.results.len(), 1, "{ans:?}");
    assert_eq!(result_of(&ans, 1).as_deref(), Some(expected.as_str()));
    // Only the jobs asked about are answered.
    let other = job(
        9,
        "inference_replay",
        &spec(vec![0, 0, 0], sha.to_hex(), vec![3, 4, 2]),
    );
    let ans = ask(&sc, &[other]);
    assert!(result_of(&ans, 1).is_none());
    // A malformed request is refused.
    let (status, _) = http(&sc.addr, "POST", "/v1/attest", b"{\"jobs\":1}");
    assert_eq!(status, 400);
}

/// A small two-class CSV: 4 features, the label last.
fn tiny_csv(rows: usize) -> String {
    let mut s = String::new();
    for i in 0..rows {
        let f: Vec<f64> = (0..4)
            .map(|j| ((i * 7 + j * 13) % 17) as f64 / 8.0)
            .collect();
        let label = usize::from(f[0] + f[1] > f[2] + f[3]);
        s.push_str(&format!("{},{},{},{},{label}\n", f[0], f[1], f[2], f[3]));
    }
    s
}

fn tiny_spec(dataset_sha: &str, path: Option<&Path>) -> String {
    tiny_spec_every(dataset_sha, path, 100)
}

fn tiny_spec_every(dataset_sha: &str, path: Option<&Path>, every: u32) -> String {
    let mut v = serde_json::json!({
        "version": 1,
        "kind": "train",
        "model": { "type": "mlp", "inputs": 4, "hidden": [8], "classes": 2 },
        "dataset": { "sha256": dataset_sha, "format": "csv", "label_column": -1 },
        "split": { "test_fraction": 0.25, "seed": 1 },
        "training": {
            "optimizer": { "type": "sgd", "lr": 0.1, "momentum": 0.9 },
            "epochs": 2, "batch_size": 8, "checkpoint_every": every, "seed": 3
        },
        "device": "cpu"
    });
    if let Some(p) = path {
        v["dataset"]["path"] = p.to_str().unwrap().into();
    }
    v.to_string()
}

fn sha_hex(bytes: &[u8]) -> String {
    spec_sha256_hex(bytes)
}

#[test]
fn a_task_code_check_is_reproducible_and_broken_or_dishonest_ones_are_not_attested() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = tiny_csv(60);
    let data_path = d.join("tiny.csv");
    std::fs::write(&data_path, &data).unwrap();
    let data_sha = sha_hex(data.as_bytes());
    let base = tiny_spec(&data_sha, None);
    let code_spec = |base: &str, base_sha: &str, dataset_sha: &str| {
        serde_json::to_string(&TaskCodeSpec {
            base_spec: base.into(),
            base_spec_sha256: base_sha.into(),
            dataset_sha256: dataset_sha.into(),
            dataset_uri: format!("file://{}", data_path.display()),
            sample_rows: 40,
        })
        .unwrap()
    };
    let good = code_spec(&base, &sha_hex(base.as_bytes()), &data_sha);
    let jobs = [
        job(1, "task_code", &good),
        // The same check under another id: run again.
        job(2, "task_code", &good),
        job(
            3,
            "task_code",
            &code_spec(&base, &"00".repeat(32), &data_sha),
        ),
        job(
            4,
            "task_code",
            &code_spec(&base, &sha_hex(base.as_bytes()), &"11".repeat(32)),
        ),
    ];
    let roots = d.to_str().unwrap();
    let honest_dir = d.join("honest");
    let sc = start(&honest_dir, &["--dataset-roots", roots]);
    let ans = settle(&sc, &jobs, 4);
    assert_eq!(ans.results.len(), 2, "{ans:?}");
    let h1 = result_of(&ans, 1).unwrap();
    assert_eq!(result_of(&ans, 2).as_deref(), Some(h1.as_str()));

    // The canonical weight digest of `train` on the first 40 rows is the attested hash.
    let sample: String = data.lines().take(40).map(|l| format!("{l}\n")).collect();
    let sample_path = d.join("sample.csv");
    std::fs::write(&sample_path, &sample).unwrap();
    std::fs::write(
        d.join("sample-spec.json"),
        tiny_spec(&sha_hex(sample.as_bytes()), Some(&sample_path)),
    )
    .unwrap();
    let o = worker(&[
        "--output",
        "json",
        "train",
        "--spec",
        d.join("sample-spec.json").to_str().unwrap(),
        "--out",
        d.join("run").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["final_weights_sha256"].as_str(), Some(h1.as_str()));

    // A dishonest sidecar attests a consistent lie: sha256 of the honest hash.
    let liar = start(&d.join("liar"), &["--dataset-roots", roots, "--dishonest"]);
    let ans = settle(&liar, &jobs[..1], 1);
    let lie = result_of(&ans, 1).unwrap();
    assert_ne!(lie, h1);
    assert_eq!(lie, sha_hex(&hex::decode(&h1).unwrap()));
}

#[test]
fn a_compute_replay_attests_the_true_runs_next_checkpoint_hash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = tiny_csv(60);
    let data_path = d.join("tiny.csv");
    std::fs::write(&data_path, &data).unwrap();
    let spec = tiny_spec_every(&sha_hex(data.as_bytes()), Some(&data_path), 5);
    std::fs::write(d.join("spec.json"), &spec).unwrap();
    let o = worker(&[
        "--output",
        "json",
        "train",
        "--spec",
        d.join("spec.json").to_str().unwrap(),
        "--out",
        d.join("run").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ck = r["checkpoints"].as_array().unwrap();
    assert_eq!(ck.len(), 4, "{r}");
    let field = |i: usize, f: &str| ck[i][f].as_str().unwrap().to_string();
    // The dataset is found by its sha256 in the sidecar's store.
    let store = deai_worker_artifacts::Store::open(d.join("sc/store"), 1 << 20).unwrap();
    store.put_bytes(None, data.as_bytes()).unwrap();

    let replay = |id: u64, segment: u32, start: String| {
        let s = serde_json::to_string(&ComputeReplaySpec {
            order_id: 1,
            job_spec: spec.clone(),
            job_spec_sha256: sha_hex(spec.as_bytes()),
            segment,
            start_checkpoint_sha256: start,
        })
        .unwrap();
        job(id, "compute_replay", &s)
    };
    let jobs = [
        replay(1, 0, String::new()),
        replay(2, 1, field(1, "file_sha256")),
        replay(3, 2, field(2, "hash")),
        // A start that is not the true run's, and a segment past the last checkpoint.
        replay(4, 1, "22".repeat(32)),
        replay(5, 3, String::new()),
    ];
    let sc = start(&d.join("sc"), &[]);
    let ans = settle(&sc, &jobs, 5);
    assert_eq!(ans.results.len(), 3, "{ans:?}");
    assert_eq!(result_of(&ans, 1), Some(field(1, "hash")));
    assert_eq!(result_of(&ans, 2), Some(field(2, "hash")));
    assert_eq!(result_of(&ans, 3), Some(field(3, "hash")));
}
