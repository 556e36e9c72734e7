//! A harness for end-to-end tests: a real localnet (deaid + CometBFT per validator) started
//! with `localnet/up.sh` in a temporary directory, and stopped with `down.sh` on drop.
//!
//! The tests need `deaid` built in the same profile (`cargo build -p deaid`) and `cometbft`
//! on PATH or installable with `go install` (see scripts/env.sh).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use deai_client::keys::AccountKey;
use deai_client::rpc::NodeClient;
use deai_rpc::HttpClient;
use serde_json::Value;
use tendermint_rpc::Client;

pub mod attest;
pub mod compute;
pub mod data;
pub mod inference;
pub mod netns;
pub mod random;
pub mod staking;
pub mod training;
pub mod wasm;
pub mod worker;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The deaid binary next to this test binary (target/<profile>/deaid).
pub fn deaid_bin() -> PathBuf {
    if let Ok(p) = std::env::var("DEAID_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("deaid");
    assert!(
        bin.exists(),
        "{} not found: build it first with `cargo build -p deaid` (scripts/test.sh does)",
        bin.display()
    );
    bin
}

pub struct Localnet {
    pub dir: tempfile::TempDir,
    pub info: Value,
    base_port: u16,
}

/// Calls gRPC query `method` of `service` (`deai.compute.v1.Query`) over ABCI on node 0.
pub fn query_service<Req: prost::Message, Res: prost::Message + Default>(
    net: &Localnet,
    service: &str,
    method: &str,
    req: &Req,
) -> Res {
    rt().block_on(net.client(0).query(&format!("/{service}/{method}"), req, 0))
        .expect("node reachable")
        .unwrap_or_else(|e| panic!("query {service}/{method}: {e}"))
}

/// A blocking runtime for the async RPC client.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

impl Localnet {
    /// Starts `validators` validators on free loopback ports; `base` spreads tests apart.
    /// Without inflation or community tax ([`staking::QUIET_ECONOMICS`]).
    pub fn start(validators: usize, base: u16) -> Self {
        Self::start_with(
            validators,
            base,
            &["--app-state-patch", staking::QUIET_ECONOMICS],
        )
    }

    /// [`Localnet::start`] with more `localnet/up.sh` flags (`--full-nodes`,
    /// `--app-state-patch`, …).
    pub fn start_with(validators: usize, base: u16, extra: &[&str]) -> Self {
        let (net, started) = Self::try_start_env(validators, base, extra, &[]);
        if let Err(e) = started {
            panic!("{e}");
        }
        net
    }

    /// [`Localnet::start_with`] with environment variables for up.sh and the processes it
    /// starts (the crash tests arm a failpoint this way). Whether up.sh saw every node
    /// commit comes back beside the localnet, which exists either way and can be restarted.
    pub fn try_start_env(
        validators: usize,
        base: u16,
        extra: &[&str],
        envs: &[(&str, &str)],
    ) -> (Self, Result<(), String>) {
        assert_below_ephemeral_ports(base);
        let dir = tempfile::Builder::new()
            .prefix("deai-e2e-")
            .tempdir()
            .unwrap();
        let mut net = Self {
            dir,
            info: Value::Null,
            base_port: base,
        };
        let (validators, base) = (validators.to_string(), base.to_string());
        let args = [
            "--validators",
            &validators,
            "--base-port",
            &base,
            "--timeout-commit",
            "300ms",
        ]
        .iter()
        .chain(extra)
        .copied()
        .collect::<Vec<_>>();
        let started = net.try_up(&args, envs);
        (net, started)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn up(&mut self, extra: &[&str]) {
        if let Err(e) = self.try_up(extra, &[]) {
            panic!("{e}");
        }
    }

    fn try_up(&mut self, extra: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
        let out = Command::new(repo_root().join("localnet/up.sh"))
            .arg("--home")
            .arg(self.dir.path())
            .args(extra)
            .env("DEAID_BIN", deaid_bin())
            .envs(envs.iter().copied())
            .output()
            .unwrap();
        // localnet.json is written before the nodes start, so it exists after a failed start.
        if let Ok(info) = std::fs::read(self.dir.path().join("localnet.json")) {
            self.info = serde_json::from_slice(&info).unwrap();
        }
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "localnet/up.sh failed:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Runs up.sh again on the same directory: restarts whatever is not running.
    pub fn restart(&mut self) {
        self.up(&[]);
    }

    pub fn home(&self, node: usize) -> PathBuf {
        self.dir.path().join(format!("node{node}"))
    }

    pub fn keys_home(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    pub fn rpc(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.base_port + node as u16 * 10 + 1)
    }

    pub fn node_flag(&self, node: usize) -> String {
        format!("tcp://127.0.0.1:{}", self.base_port + node as u16 * 10 + 1)
    }

    pub fn chain_id(&self) -> String {
        self.info["chain_id"].as_str().unwrap().to_string()
    }

    pub fn demo_mnemonic(&self, i: usize) -> String {
        self.info["accounts"][i]["mnemonic"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn demo_key(&self, i: usize) -> AccountKey {
        AccountKey::from_mnemonic(&self.demo_mnemonic(i)).unwrap()
    }

    pub fn client(&self, node: usize) -> NodeClient {
        NodeClient::new(&self.rpc(node)).unwrap()
    }

    /// Runs the deaid CLI with `stdin`.
    pub fn deaid(&self, args: &[&str], stdin: &str, envs: &[(&str, &str)]) -> Output {
        use std::io::Write;
        let mut child = Command::new(deaid_bin())
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn height(&self, node: usize) -> u64 {
        rt().block_on(async {
            match HttpClient::new(self.rpc(node).as_str())
                .unwrap()
                .status()
                .await
            {
                Ok(s) => s.sync_info.latest_block_height.value(),
                Err(_) => 0,
            }
        })
    }

    /// Waits until `node` reaches `height`.
    pub fn wait_height(&self, node: usize, height: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.height(node) < height {
            assert!(
                Instant::now() < deadline,
                "node{node} did not reach height {height} within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The app hash in the header of block `height + 1`, i.e. the state after `height`.
    pub fn app_hash_after(&self, node: usize, height: u64) -> String {
        rt().block_on(async {
            let c = HttpClient::new(self.rpc(node).as_str()).unwrap();
            let b = c
                .block(tendermint::block::Height::try_from(height + 1).unwrap())
                .await
                .unwrap();
            b.block.header.app_hash.to_string()
        })
    }

    fn pid(&self, node: usize, process: &str) -> Option<i32> {
        std::fs::read_to_string(self.home(node).join(format!("{process}.pid")))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// `kill -9` one of a node's processes ("deaid" or "cometbft") and waits for it to die.
    pub fn kill9(&self, node: usize, process: &str) {
        let pid = self.pid(node, process).expect("pid file");
        // The process may already be gone (CometBFT stops when its app dies); that is fine.
        let _ = Command::new("kill")
            .args(["-9", &pid.to_string()])
            .stderr(Stdio::null())
            .status();
        for _ in 0..100 {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Localnet {
    /// Stops every process of the localnet (down.sh); the homes stay.
    pub fn stop(&self) {
        let out = Command::new(repo_root().join("localnet/down.sh"))
            .arg("--home")
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `deaid export` of a stopped node: its latest committed app_state.
    pub fn export(&self, node: usize) -> Value {
        let out = Command::new(deaid_bin())
            .arg("export")
            .arg("--home")
            .arg(self.home(node))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("export prints JSON")
    }
}

impl Localnet {
    /// `deaid tx <module> <command> <key> <rest…> --gas auto --wait -o json`, signed by `key`
    /// of the localnet's test keyring: the committed TxResponse. Fails the test if the tx
    /// does (a tx the simulation refuses is never broadcast: its error is the module's).
    pub fn cli_tx(&self, module: &str, key: &str, args: &[&str]) -> Value {
        let (out, all) = self.cli_tx_raw(module, key, args);
        assert!(
            out.status.success(),
            "deaid {all:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// [`Localnet::cli_tx`] without the success check: the process output.
    pub fn cli_tx_raw(&self, module: &str, key: &str, args: &[&str]) -> (Output, Vec<String>) {
        let node = self.node_flag(0);
        let keys = self.keys_home();
        let mut all: Vec<String> = vec!["tx".into(), module.into(), args[0].into(), key.into()];
        all.extend(args[1..].iter().map(|a| a.to_string()));
        for a in [
            "--keyring-backend",
            "test",
            "--home",
            keys.to_str().unwrap(),
            "--node",
            &node,
        ] {
            all.push(a.into());
        }
        for a in ["--gas", "auto", "-y", "--wait", "-o", "json"] {
            all.push(a.into());
        }
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        (self.deaid(&refs, "", &[]), all)
    }
}

/// Imports `app_state` into a fresh in-process app (InitChain, as a new chain's genesis) and
/// exports it again.
pub fn reimport(app_state: &Value, chain_id: &str) -> Value {
    reimport_app(app_state, chain_id)
        .0
        .export_app_state()
        .unwrap()
}

/// A fresh in-process app started from `app_state` (InitChain, as a chain restarted from an
/// export), and its InitChain answer (the validator set it gives CometBFT).
pub fn reimport_app(
    app_state: &Value,
    chain_id: &str,
) -> (
    deaid::node::App,
    tendermint_proto::v0_38::abci::ResponseInitChain,
) {
    use deaid::node::{App, NodeSettings};
    use deaid::store::{SledKv, Storage, StorageConfig};
    let storage = Storage::open(
        std::sync::Arc::new(SledKv::temporary().unwrap()),
        StorageConfig::default(),
    )
    .unwrap();
    let app = App::new(storage, NodeSettings::default()).unwrap();
    let resp = app.init_chain(tendermint_proto::v0_38::abci::RequestInitChain {
        chain_id: chain_id.into(),
        app_state_bytes: serde_json::to_vec(app_state).unwrap().into(),
        consensus_params: Some(tendermint_proto::v0_38::types::ConsensusParams {
            block: Some(tendermint_proto::v0_38::types::BlockParams {
                max_bytes: 1 << 20,
                max_gas: 100_000_000,
            }),
            ..Default::default()
        }),
        ..Default::default()
    });
    assert!(!resp.app_hash.is_empty());
    (app, resp)
}

/// A localnet's ports (base .. base + 80: nodes, full nodes, sidecars) must lie below the
/// kernel's ephemeral range: a client socket of another test may hold any port in it, and
/// up.sh then refuses the base as in use (it happened to two crash tests at 334xx).
fn assert_below_ephemeral_ports(base: u16) {
    let range =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let low: u32 = range
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(32768);
    assert!(
        u32::from(base) + 80 < low,
        "base port {base}: a localnet's ports must stay below the ephemeral range (from {low})"
    );
}

impl Drop for Localnet {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("localnet/down.sh"))
            .arg("--home")
            .arg(self.dir.path())
            .output();
    }
}

/// A signed MsgSend of `amount` udeai from `key` (account 0..) with `sequence`.
pub fn signed_send(
    key: &AccountKey,
    chain_id: &str,
    account_number: u64,
    sequence: u64,
    to: &deai_framework::Address,
    amount: u128,
) -> Vec<u8> {
    use deai_client::txbuilder::{coin, sign_tx, to_any, TxParams};
    let msg = to_any(&cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: key.address().to_bech32(),
        to_address: to.to_bech32(),
        amount: vec![coin("udeai", amount)],
    });
    sign_tx(
        key,
        vec![msg],
        &TxParams {
            chain_id: chain_id.into(),
            account_number,
            sequence,
            fee: deai_framework::Coins::parse("2500udeai").unwrap(),
            gas_limit: 100_000,
            memo: String::new(),
            timeout_height: 0,
        },
    )
}

/// The account number and sequence of `key` on the chain.
pub fn account_of(net: &Localnet, node: usize, key: &AccountKey) -> (u64, u64) {
    let a = rt()
        .block_on(net.client(node).account(&key.address()))
        .unwrap()
        .expect("account exists");
    (a.account_number, a.sequence)
}

pub fn balance(net: &Localnet, node: usize, addr: &deai_framework::Address) -> u128 {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
    let r: QueryBalanceResponse = rt()
        .block_on(net.client(node).query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &QueryBalanceRequest {
                address: addr.to_bech32(),
                denom: "udeai".into(),
            },
            0,
        ))
        .unwrap()
        .unwrap();
    r.balance.unwrap().amount.parse().unwrap()
}

/// Addresses of the Cosmos client surface (gRPC, REST) from localnet.json.
impl Localnet {
    /// `http://127.0.0.1:<grpc port>` of `node`, for tonic clients.
    pub fn grpc_url(&self, node: usize) -> String {
        format!("http://{}", self.grpc_addr(node))
    }

    /// `127.0.0.1:<grpc port>` of `node`, for grpcurl.
    pub fn grpc_addr(&self, node: usize) -> String {
        self.info["nodes"][node]["grpc"]
            .as_str()
            .expect("localnet.json has grpc")
            .to_string()
    }

    /// `http://127.0.0.1:<rest port>` of `node`.
    pub fn rest_url(&self, node: usize) -> String {
        self.info["nodes"][node]["rest"]
            .as_str()
            .expect("localnet.json has rest")
            .to_string()
    }

    pub fn info_path(&self) -> PathBuf {
        self.dir.path().join("localnet.json")
    }
}

/// Where scripts/env.sh keeps what is expensive: $DEAI_CACHE, default /var/cache/deai.
pub fn deai_cache() -> PathBuf {
    std::env::var_os("DEAI_CACHE").map_or_else(|| "/var/cache/deai".into(), PathBuf::from)
}

/// A tool installed by scripts/setup.sh: on PATH, or in $GOBIN (default $DEAI_CACHE/bin).
pub fn tool(name: &str) -> PathBuf {
    let gobin = std::env::var_os("GOBIN").map_or_else(|| deai_cache().join("bin"), PathBuf::from);
    let candidate = gobin.join(name);
    if candidate.exists() {
        return candidate;
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for p in std::env::split_paths(&paths) {
            if p.join(name).exists() {
                return p.join(name);
            }
        }
    }
    panic!(
        "{name} not found on PATH or in {}: run scripts/setup.sh",
        gobin.display()
    );
}

/// Runs a command and returns its stdout, failing the test with its stderr if it fails.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An HTTP request with curl: (status, JSON body).
pub fn curl_json(method: &str, url: &str, body: Option<&str>, headers: &[&str]) -> (u16, Value) {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "--max-time",
        "20",
        "-X",
        method,
        "-w",
        "\n%{http_code}",
        url,
    ]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    if let Some(b) = body {
        cmd.args(["-H", "content-type: application/json", "--data-binary", b]);
    }
    let out = run_ok(&mut cmd);
    let (json, code) = out.trim_end().rsplit_once('\n').unwrap_or(("", out.trim()));
    let status: u16 = code
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no HTTP status from curl {url}: {out}"));
    let value = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("{method} {url} gave non-JSON ({e}): {json}"));
    (status, value)
}
