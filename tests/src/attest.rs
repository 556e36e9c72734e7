//! Consensus attestation over a real localnet: `localnet/up.sh --with-attest` (vote
//! extensions from height 1, one `deai-worker attest serve` sidecar per validator), task
//! proposals through the `deaid tx task` CLI, the attestation records through `deaid query
//! task attestations`, and control of the sidecar processes (kill -9, a dishonest restart,
//! a barrier that makes every sidecar's result reach the chain before its job settles).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::staking::{wait_for, QUIET_ECONOMICS};
use crate::{deaid_bin, repo_root, Localnet};

pub use crate::worker::digits_spec;

/// `file://` URI of the digits dataset (inside the sidecars' dataset roots).
pub fn digits_dataset_uri() -> String {
    format!("file://{}", crate::worker::digits_csv().display())
}

/// An `--app-state-patch`: [`QUIET_ECONOMICS`] plus task params with a `voting_period`-block
/// vote (quorum, thresholds and bounds at their defaults) and a `min_deposit` udeai deposit,
/// and attest params with an `attestation_window`-block window (1% penalty, the defaults).
pub fn attest_patch(voting_period: u64, attestation_window: u64, min_deposit: u128) -> String {
    let mut patch: Value = serde_json::from_str(QUIET_ECONOMICS).unwrap();
    let extra = json!({
        "task": {"params": {
            "min_deposit": [{"denom": "udeai", "amount": min_deposit.to_string()}],
            "max_deposit_period": "1000", "voting_period": voting_period.to_string(),
            "quorum": "0.334000000000000000", "threshold": "0.500000000000000000",
            "veto_threshold": "0.334000000000000000", "sample_rows": 64,
            "max_title_len": 140, "max_description_len": 10240, "max_eval_spec_bytes": 16384}},
        "attest": {"params": {
            "attestation_window": attestation_window.to_string(), "max_pending_jobs": 32,
            "disagreement_slash_fraction": "0.010000000000000000", "max_spec_bytes": 16384}}
    });
    for (k, v) in extra.as_object().unwrap() {
        patch[k] = v.clone();
    }
    patch.to_string()
}

/// Starts `validators` validators with `--with-attest` (and `extra` up.sh flags): up.sh gets
/// the worker binary next to this test's (`WORKER_BIN`).
pub fn start_with_attest(validators: usize, base: u16, extra: &[&str]) -> Localnet {
    std::env::set_var("WORKER_BIN", crate::worker::worker_bin());
    let mut flags = vec!["--with-attest"];
    flags.extend_from_slice(extra);
    Localnet::start_with(validators, base, &flags)
}

/// The fee (udeai) a committed tx paid, from its `tx` event.
pub fn fee_of(resp: &Value) -> u128 {
    let fees: Vec<u128> = resp["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "tx")
        .flat_map(|e| e["attributes"].as_array().cloned().unwrap_or_default())
        .filter(|a| a["key"] == "fee")
        .map(|a| {
            let v = a["value"].as_str().expect("a string");
            v.strip_suffix("udeai")
                .unwrap_or_else(|| panic!("fee {v} not in udeai"))
                .parse()
                .expect("an integer fee")
        })
        .collect();
    assert_eq!(fees.len(), 1, "one fee event in {resp}");
    fees[0]
}

/// A u64/u128 JSON field written as a string (proto JSON) or a number.
pub fn num(v: &Value) -> u128 {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a number: {v}")),
        Value::Number(n) => n.as_u64().unwrap_or_else(|| panic!("not a u64: {v}")) as u128,
        _ => panic!("not a number: {v}"),
    }
}

/// What a task proposal escrows.
pub const POOL: u128 = 10_000_000;

impl Localnet {
    /// The pid of validator `node`'s sidecar (localnet.json's `nodes[i].attest.pid_file`).
    pub fn sidecar_pid(&self, node: usize) -> Option<i32> {
        let file = self.info["nodes"][node]["attest"]["pid_file"].as_str()?;
        std::fs::read_to_string(file).ok()?.trim().parse().ok()
    }

    /// The sidecar's address (host:port).
    pub fn sidecar_addr(&self, node: usize) -> String {
        self.info["nodes"][node]["attest"]["addr"]
            .as_str()
            .expect("localnet.json has nodes[i].attest")
            .to_string()
    }

    /// `kill -9` validator `node`'s sidecar and waits until it is gone (its job processes die
    /// with it: PR_SET_PDEATHSIG).
    pub fn kill9_sidecar(&self, node: usize) {
        let pid = self.sidecar_pid(node).expect("sidecar pid file");
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        wait_for(
            &format!("sidecar {pid} to die"),
            Duration::from_secs(10),
            || (!alive(pid)).then_some(()),
        );
    }

    /// Runs up.sh again with `--with-attest` (and `--attest-dishonest` for `dishonest`):
    /// starts the sidecars that do not run (a killed one comes back, lying if listed).
    pub fn restart_sidecars(&mut self, dishonest: &[usize]) {
        let list = dishonest
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let mut cmd = Command::new(repo_root().join("localnet/up.sh"));
        cmd.arg("--home").arg(self.dir()).arg("--with-attest");
        if !list.is_empty() {
            cmd.args(["--attest-dishonest", &list]);
        }
        let out = cmd
            .env("DEAID_BIN", deaid_bin())
            .env("WORKER_BIN", crate::worker::worker_bin())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "localnet/up.sh --with-attest failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.info = serde_json::from_slice(&std::fs::read(self.info_path()).unwrap()).unwrap();
    }

    /// `deaid tx task propose` by `key` of the digits task shape with base spec `spec`, a
    /// [`POOL`] pool and a `deposit` udeai deposit: (task id, the tx's fee, its height).
    pub fn propose_task(
        &self,
        key: &str,
        title: &str,
        spec: &Path,
        deposit: u128,
    ) -> (u64, u128, u64) {
        let eval = self.dir().join("eval-spec.json");
        std::fs::write(&eval, r#"{"kind":"eval","metric":"accuracy"}"#).unwrap();
        let uri = digits_dataset_uri();
        let r = self.cli_tx(
            "task",
            key,
            &[
                "propose",
                "--title",
                title,
                "--eval-spec",
                eval.to_str().unwrap(),
                "--metric",
                "accuracy",
                "--target",
                "0.9",
                "--deposit",
                &format!("{deposit}udeai"),
                "--spec",
                spec.to_str().unwrap(),
                "--dataset-uri",
                &uri,
                "--tempo",
                "60",
                "--reveal-window",
                "8",
                "--aggregate-window",
                "12",
                "--max-neurons",
                "16",
                "--shard-count",
                "1",
                "--pool",
                &format!("{POOL}udeai"),
                "--emission-per-tempo",
                "1000000udeai",
                "--min-trainer-stake",
                "1000000udeai",
                "--min-validator-stake",
                "1000000udeai",
            ],
        );
        assert_eq!(r["code"], 0, "{r}");
        let id = r["task_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no task_id printed: {r}"))
            .parse()
            .unwrap();
        (id, fee_of(&r), num(&r["height"]) as u64)
    }

    /// Validators `val<i>` for each `i` vote `option` on each of `tasks`, each validator in
    /// its own thread (its votes in order, one signer's sequence at a time).
    pub fn validators_vote(&self, validators: &[usize], tasks: &[u64], option: &str) {
        std::thread::scope(|s| {
            for &v in validators {
                s.spawn(move || {
                    for t in tasks {
                        let r = self.cli_tx(
                            "task",
                            &format!("val{v}"),
                            &["vote", &t.to_string(), option],
                        );
                        assert_eq!(r["code"], 0, "val{v} vote on task {t}: {r}");
                    }
                });
            }
        });
    }

    /// `deaid query task task ID`: the task.
    pub fn task(&self, id: u64) -> Value {
        self.q(&["task", "task", &id.to_string()])["task"].clone()
    }

    /// `deaid query task attestations ID`: {job, attestations}.
    pub fn task_attestations(&self, id: u64) -> Value {
        self.q(&["task", "attestations", &id.to_string()])
    }

    /// Waits until task `id`'s attest job is settled; the attestations answer.
    pub fn wait_task_job_settled(&self, id: u64, timeout: Duration) -> Value {
        wait_for(
            &format!("task {id}'s attestation to settle"),
            timeout,
            || {
                let a = self.task_attestations(id);
                let state = a["job"]["state"].as_str().unwrap_or_default().to_string();
                assert_ne!(state, "JOB_STATE_EXPIRED", "task {id}'s job expired: {a}");
                (state == "JOB_STATE_SETTLED").then_some(a)
            },
        )
    }

    /// Waits until task `id` leaves VERIFYING (its voting end); the task.
    pub fn wait_task_final(&self, id: u64, timeout: Duration) -> Value {
        wait_for(&format!("task {id} to be tallied"), timeout, || {
            let t = self.task(id);
            let s = t["state"].as_str().unwrap_or_default();
            (s != "TASK_STATE_VERIFYING" && s != "TASK_STATE_DEPOSIT").then_some(t)
        })
    }

    /// The consensus address of validator `node` as the attest records write it
    /// (`deaivalcons1…`).
    pub fn valcons(&self, node: usize) -> String {
        let bytes = hex::decode(self.cons_address(node)).unwrap();
        bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("deaivalcons").unwrap(), &bytes)
            .unwrap()
    }

    /// The bonded tokens of genesis validator `val<node>`.
    pub fn validator_tokens(&self, node: usize) -> u128 {
        let v = self.validator(&self.valoper_of(&format!("val{node}")));
        num(&v["tokens"])
    }

    /// The time of block `height` (RFC 3339, from /block).
    pub fn block_time(&self, height: u64) -> String {
        let url = format!("{}/block?height={height}", self.rpc(0));
        let (status, v) = crate::curl_json("GET", &url, None, &[]);
        assert_eq!(status, 200, "{v}");
        v["result"]["block"]["header"]["time"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Block `height`'s txs, base64-decoded.
    pub fn block_txs(&self, height: u64) -> Vec<Vec<u8>> {
        use base64::Engine;
        let url = format!("{}/block?height={height}", self.rpc(0));
        let (status, v) = crate::curl_json("GET", &url, None, &[]);
        assert_eq!(status, 200, "{v}");
        v["result"]["block"]["data"]["txs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|t| {
                base64::engine::general_purpose::STANDARD
                    .decode(t.as_str().unwrap())
                    .unwrap()
            })
            .collect()
    }
}

/// Seconds since the epoch of an RFC 3339 time as CometBFT writes it.
pub fn rfc3339_secs(t: &str) -> f64 {
    tendermint::Time::parse_from_rfc3339(t)
        .map(|t| t.unix_timestamp_nanos() as f64 / 1e9)
        .unwrap_or_else(|e| panic!("bad time {t}: {e}"))
}

/// Whether `pid` is a live (not zombie) process.
fn alive(pid: i32) -> bool {
    proc_state(pid).is_some_and(|s| s != 'Z' && s != 'X')
}

/// The state letter of `pid` in /proc (None: gone).
fn proc_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// The `/v1/attest` request deaid sends, for the attest job `job` (as `query task
/// attestations` prints it) at `height`.
pub fn attest_request(chain_id: &str, height: u64, job: &Value) -> Value {
    use base64::Engine;
    let b64 = |v: &Value| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap()
    };
    let kind = match job["kind"].as_str().unwrap() {
        "JOB_KIND_TASK_CODE" => "task_code",
        "JOB_KIND_INFERENCE_REPLAY" => "inference_replay",
        "JOB_KIND_COMPUTE_REPLAY" => "compute_replay",
        k => panic!("unknown job kind {k}"),
    };
    json!({"chain_id": chain_id, "height": height, "jobs": [{
        "id": num(&job["id"]) as u64, "kind": kind,
        "spec": String::from_utf8(b64(&job["spec"])).unwrap(),
        "spec_sha256": hex::encode(b64(&job["spec_sha256"]))}]})
}

/// Continues (SIGCONT) the stopped CometBFT processes when dropped.
struct Halted(Vec<i32>);

impl Drop for Halted {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = Command::new("kill")
                .args(["-CONT", &p.to_string()])
                .status();
        }
    }
}

/// Makes every sidecar's result for task `task`'s attest job reach the chain before the job
/// can settle, so that its attestation records hold all of them (the chain records an
/// attestation only while its job is pending, and settles a job on the first 3 of 4
/// matching hashes, whatever the 4th sidecar is about to say): stops (SIGSTOP) the CometBFT
/// processes of validators 2 and 3, so that no block commits; asks every sidecar in
/// `sidecars` for the job itself (deaid's own request) until each answers with its result;
/// then lets consensus go on (SIGCONT). Votes cast from then on all carry the result.
/// Returns each sidecar's answer (hex).
pub fn attest_barrier(
    net: &Localnet,
    task: u64,
    sidecars: &[usize],
    timeout: Duration,
) -> Vec<String> {
    let job = net.task_attestations(task)["job"].clone();
    assert_eq!(job["state"], "JOB_STATE_PENDING", "{job}");
    let pids: Vec<i32> = [2usize, 3]
        .iter()
        .map(|&n| {
            std::fs::read_to_string(net.home(n).join("cometbft.pid"))
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        })
        .collect();
    let _halted = Halted(pids.clone());
    for p in &pids {
        let _ = Command::new("kill")
            .args(["-STOP", &p.to_string()])
            .status();
    }
    let height = net.height(0);
    let body = attest_request(&net.chain_id(), height + 1, &job).to_string();
    let id = num(&job["id"]) as u64;
    sidecars
        .iter()
        .map(|&n| {
            let url = format!("http://{}/v1/attest", net.sidecar_addr(n));
            wait_for(
                &format!("sidecar {n}'s result for job {id}"),
                timeout,
                || {
                    let (status, v) = crate::curl_json("POST", &url, Some(&body), &[]);
                    assert_eq!(status, 200, "{url}: {v}");
                    v["results"]
                        .as_array()
                        .and_then(|r| r.iter().find(|r| r["job_id"].as_u64() == Some(id)))
                        .map(|r| r["result_hash"].as_str().unwrap().to_string())
                },
            )
        })
        .collect()
}

/// Prints the intervals between consecutive blocks in `from..=to` (never asserted on).
pub fn print_block_intervals(net: &Localnet, from: u64, to: u64, what: &str) {
    let times: Vec<f64> = (from..=to)
        .map(|h| rfc3339_secs(&net.block_time(h)))
        .collect();
    let gaps: Vec<String> = times
        .windows(2)
        .map(|w| format!("{:.2}", w[1] - w[0]))
        .collect();
    let mean = if times.len() > 1 {
        (times[times.len() - 1] - times[0]) / (times.len() - 1) as f64
    } else {
        0.0
    };
    eprintln!(
        "{what}: blocks {from}..={to}, mean {mean:.3} s, intervals [{}]",
        gaps.join(" ")
    );
}
