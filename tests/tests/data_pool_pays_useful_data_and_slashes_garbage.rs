//! A data pool end to end (proof of contribution) with real pool-validator daemons:
//! - demo1 creates a digits pool from the CLI whose schema names a 100-row base and a
//!   600-row validation file; demo8 and demo9 run `deai-worker data pool-validator start`;
//! - demo2 and demo3 contribute real digits rows, demo4 the same kind of rows with wrong
//!   labels; demo5's copy of demo2's file is refused (a content hash is paid once, ever);
//! - the validators' workers score each contribution by the validation-accuracy gain; at the
//!   epoch's end the garbage is below the threshold and slashed, the others get their stake
//!   back and the epoch's reward pro rata to their consensus scores;
//! - every balance, the pool's and the module account's reconcile to the unit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use deai_e2e::compute::{amount, fees_paid, typed_events};
use deai_e2e::data::*;
use deai_e2e::inference::mul_dec;
use deai_e2e::worker::{digits_csv, tail, Daemon};
use deai_e2e::*;
use deai_proto::data::v1 as pb;

const ARTIFACTS_PORT: u16 = 30390;
const REWARD: u128 = 1_000_000;
const FUNDS: u128 = 3_000_000;
const STAKE: u128 = 200_000;
const BOND: u128 = 1_000_000;
const EPOCH: u64 = 120;
const THRESHOLD: u32 = 1_000;

/// The digits rows (64 features and the label, CSV without a header).
fn digits_rows() -> Vec<String> {
    let csv = run_ok(Command::new("gzip").arg("-dc").arg(digits_csv()));
    csv.lines().map(str::to_string).collect()
}

/// Writes `rows` to `dir/name`, PUTs it to the artifact server: (sha256 hex, its URI).
fn host(dir: &Path, name: &str, rows: &[String]) -> (String, String) {
    let path = dir.join(name);
    std::fs::write(&path, rows.join("\n") + "\n").unwrap();
    let sha = file_sha256(&path);
    let uri = format!("http://127.0.0.1:{ARTIFACTS_PORT}/blobs/{sha}");
    run_ok(
        Command::new("curl")
            .args(["-sSf", "-X", "PUT", "--data-binary"])
            .arg(format!("@{}", path.display()))
            .arg(&uri),
    );
    (sha, uri)
}

/// The same rows with every label moved by 3 (mod 10): well-formed, and wrong.
fn mislabelled(rows: &[String]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let (features, label) = r.rsplit_once(',').unwrap();
            let l: u32 = label.trim().parse().unwrap();
            format!("{features},{}", (l + 3) % 10)
        })
        .collect()
}

fn pool_validator(dir: &Path, net: &Localnet, key: &str, pool: u64) -> Daemon {
    let keys = net.keys_home();
    let cache = dir.join(format!("cache-{key}"));
    Daemon::spawn(
        dir,
        &format!("pool-validator-{key}"),
        &[
            "data",
            "pool-validator",
            "start",
            "--node",
            &net.rpc(0),
            "--key",
            key,
            "--keyring-backend",
            "test",
            "--home",
            keys.to_str().unwrap(),
            "--pool",
            &pool.to_string(),
            "--bond",
            &format!("{BOND}udeai"),
            "--cache",
            cache.to_str().unwrap(),
            "--poll-secs",
            "1",
        ],
    )
}

#[test]
fn data_pool_pays_useful_data_and_slashes_garbage() {
    let net = Localnet::start(1, 30300);
    let dir: PathBuf = net.dir.path().to_path_buf();
    let demo = |i: usize| net.demo_key(i - 1).address();
    let bal = |i: usize| balance(&net, 0, &demo(i));
    let p = params(&net);

    // The files, on an artifact server.
    let store = dir.join("artifacts");
    let server_log = dir.join("artifacts.log");
    let log = std::fs::File::create(&server_log).unwrap();
    let _server = KillOnDrop(
        Command::new(deai_e2e::worker::worker_bin())
            .arg("serve-artifacts")
            .arg("--dir")
            .arg(&store)
            .args(["--port", &ARTIFACTS_PORT.to_string()])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let rows = digits_rows();
    assert!(rows.len() >= 1797, "{} rows", rows.len());
    let mut up = None;
    for _ in 0..100 {
        if Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{ARTIFACTS_PORT}/health")])
            .output()
            .unwrap()
            .status
            .success()
        {
            up = Some(());
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    up.unwrap_or_else(|| {
        panic!(
            "artifact server down:\n{}",
            std::fs::read_to_string(&server_log).unwrap_or_default()
        )
    });
    let (base_sha, base_uri) = host(&files, "base.csv", &rows[..100]);
    let (val_sha, val_uri) = host(&files, "validation.csv", &rows[1197..1797]);
    let (a_sha, a_uri) = host(&files, "a.csv", &rows[100..500]);
    let (b_sha, b_uri) = host(&files, "b.csv", &rows[500..700]);
    let (c_sha, c_uri) = host(&files, "garbage.csv", &mislabelled(&rows[700..1100]));
    let schema = serde_json::json!({
        "scorer": "accuracy-gain/v1",
        "model": {"type": "logistic", "inputs": 64, "classes": 10},
        "data": {"format": "csv", "header": false, "label_column": -1, "feature_scale": 0.0625},
        "base": {"sha256": base_sha, "uri": base_uri},
        "validation": {"sha256": val_sha, "uri": val_uri},
        "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 10, "batch_size": 32},
        "full_scale_gain_points": 40.0
    })
    .to_string();

    let before: Vec<u128> = (0..=9).map(|i| if i == 0 { 0 } else { bal(i) }).collect();
    let module = deai_auth::module_address("data");
    let module0 = balance(&net, 0, &module);
    let created = net.cli_tx(
        "data",
        "demo1",
        &[
            "create-pool",
            "--schema",
            &schema,
            "--reward-per-epoch",
            &format!("{REWARD}udeai"),
            "--epoch-length",
            &EPOCH.to_string(),
            "--min-contributor-stake",
            &format!("{STAKE}udeai"),
            "--score-threshold",
            &THRESHOLD.to_string(),
            "--validators",
            &format!("{},{}", demo(8).to_bech32(), demo(9).to_bech32()),
            "--funds",
            &format!("{FUNDS}udeai"),
        ],
    );
    let pool_id = typed_events::<pb::EventPoolCreated>(&created["events"])[0].pool_id;
    let mut validators = [
        pool_validator(&dir, &net, "demo8", pool_id),
        pool_validator(&dir, &net, "demo9", pool_id),
    ];
    let contribute = |key: &str, sha: &str, uri: &str| {
        net.cli_tx_raw(
            "data",
            key,
            &[
                "contribute",
                &pool_id.to_string(),
                "--content-sha256",
                sha,
                "--uri",
                uri,
                "--stake",
                &format!("{STAKE}udeai"),
            ],
        )
    };
    let mut ids = Vec::new();
    for (key, sha, uri) in [
        ("demo2", &a_sha, &a_uri),
        ("demo3", &b_sha, &b_uri),
        ("demo4", &c_sha, &c_uri),
    ] {
        let (out, all) = contribute(key, sha, uri);
        assert!(
            out.status.success(),
            "{all:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        ids.push(typed_events::<pb::EventContributed>(&v["events"])[0].contribution_id);
    }
    // The same data again, from someone else: refused, nothing moves but the fee.
    let (dup, _) = contribute("demo5", &a_sha, &a_uri);
    assert!(!dup.status.success());
    let err = String::from_utf8_lossy(&dup.stderr);
    assert!(err.contains("codespace data, code 28"), "{err}");

    let pool0 = pool(&net, pool_id).pool.unwrap();
    assert_eq!(pool0.epoch, 0);
    let log_files: Vec<PathBuf> = validators.iter().map(|v| v.log.clone()).collect();
    let logs = || {
        log_files
            .iter()
            .map(|l| tail(&std::fs::read_to_string(l).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    // Both validators score all three within the epoch.
    wait_for("six scores", Duration::from_secs(300), || {
        let c = contributions(&net, pool_id);
        (c.scores.len() == 6).then_some(())
    });
    let scored = contributions(&net, pool_id);
    let score_of = |id: u64| -> Vec<u32> {
        scored
            .scores
            .iter()
            .filter(|s| s.contribution_id == id)
            .map(|s| s.score_u16)
            .collect()
    };
    for id in &ids {
        let s = score_of(*id);
        assert_eq!(
            s[0],
            s[1],
            "deterministic scorers agree on {id}: {s:?}\n{}",
            logs()
        );
    }
    assert!(
        score_of(ids[0])[0] >= THRESHOLD && score_of(ids[1])[0] >= THRESHOLD,
        "{}",
        logs()
    );
    assert_eq!(
        score_of(ids[2])[0],
        0,
        "the mislabelled rows make the model worse"
    );

    // The epoch settles at its last height.
    net.wait_height(0, pool0.epoch_start + EPOCH + 1, Duration::from_secs(300));
    let settled = wait_for("settlement", Duration::from_secs(60), || {
        let c = contributions(&net, pool_id);
        c.contributions.iter().all(|c| c.settled).then_some(c)
    });
    for v in validators.iter_mut() {
        v.stop();
    }
    let by_id = |id: u64| {
        settled
            .contributions
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .clone()
    };
    let (a, b, c) = (by_id(ids[0]), by_id(ids[1]), by_id(ids[2]));
    assert_eq!(a.consensus_score_u16, score_of(ids[0])[0]);
    assert_eq!(c.consensus_score_u16, 0);
    let total = u128::from(a.consensus_score_u16) + u128::from(b.consensus_score_u16);
    let pro_rata = |s: u32| REWARD * u128::from(s) / total;
    assert_eq!(amount(&a.reward), pro_rata(a.consensus_score_u16));
    assert_eq!(amount(&b.reward), pro_rata(b.consensus_score_u16));
    assert_eq!(amount(&c.reward), 0);
    let slash = mul_dec(STAKE, &p.contribution_slash_fraction);
    assert!(slash > 0);
    assert_eq!(amount(&c.slashed), slash);
    assert_eq!(amount(&a.slashed) + amount(&b.slashed), 0);

    // To the unit.
    let fees = |i: usize| fees_paid(&net, &demo(i));
    assert_eq!(bal(1), before[1] - FUNDS - fees(1));
    assert_eq!(
        bal(2),
        before[2] - fees(2) + amount(&a.reward),
        "{}",
        logs()
    );
    assert_eq!(bal(3), before[3] - fees(3) + amount(&b.reward));
    assert_eq!(
        bal(4),
        before[4] - fees(4) - slash,
        "the garbage lost its slash"
    );
    assert_eq!(
        bal(5),
        before[5] - fees(5),
        "the refused duplicate cost only its fee"
    );
    for i in [8, 9] {
        assert_eq!(
            bal(i),
            before[i] - fees(i) - BOND,
            "demo{i} agreed: not slashed"
        );
    }
    let after = pool(&net, pool_id);
    let pool_balance = amount(&after.pool.as_ref().unwrap().balance);
    assert_eq!(
        pool_balance,
        FUNDS - amount(&a.reward) - amount(&b.reward) + slash
    );
    assert_eq!(after.validators.len(), 2);
    assert_eq!(
        balance(&net, 0, &module),
        module0 + pool_balance + 2 * BOND,
        "the module account holds the pool and the bonds"
    );
}

/// A child process killed when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
