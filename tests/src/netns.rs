//! Network partitions of a 4-validator localnet in network namespaces the test creates and removes.
//!
//! Each node (its deaid and its CometBFT) runs in a namespace of its own, `deai-p-<pid>-<i>`,
//! whose only links are its loopback (deaid's ABCI, gRPC and REST, CometBFT's RPC) and `eth0`,
//! a veth to a "switch" namespace `deai-p-<pid>-sw` holding one bridge per possible group.
//! Nodes talk P2P over 10.77.0.<i+1>/24, an address that exists only inside these namespaces,
//! with no route anywhere else; the test reads each node's RPC on that node's own loopback
//! (`ip netns exec <ns> curl`). A partition moves switch ports between bridges: nodes on
//! different bridges share no link, so their packets are dropped, and healing moves every port
//! back to `br0` (open TCP connections resume; CometBFT drops a peer only after 45 s of silence).
//! [`PartitionNet`]'s drop kills every process and deletes the namespaces, and with them the
//! links, even when the test panics.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{deaid_bin, run_ok, tool};

/// Ports of node `i` inside its namespace: P2P, RPC, ABCI, gRPC, REST (from 33100, a range
/// no other test uses; in separate namespaces they could not collide anyway).
fn port(i: usize, k: u16) -> u16 {
    33100 + i as u16 * 10 + k
}

fn ip_of(i: usize) -> String {
    format!("10.77.0.{}", i + 1)
}

/// Runs `ip <args…>`, failing the test with its stderr.
fn ip(args: &[&str]) -> String {
    run_ok(Command::new("ip").args(args))
}

pub struct PartitionNet {
    pub dir: tempfile::TempDir,
    tag: String,
    nodes: usize,
    children: Vec<Child>,
    namespaces: Vec<String>,
}

impl PartitionNet {
    /// Creates the namespaces and the switch, initialises `nodes` validators (equal power) and
    /// starts them; returns once every node has committed block 2.
    pub fn start(nodes: usize) -> Self {
        let mut net = Self {
            dir: tempfile::Builder::new()
                .prefix("deai-partition-")
                .tempdir()
                .unwrap(),
            tag: format!("deai-p-{}", std::process::id()),
            nodes,
            children: Vec::new(),
            namespaces: Vec::new(),
        };
        net.create_namespaces();
        net.init_homes();
        net.launch();
        for i in 0..nodes {
            net.wait_until(
                Duration::from_secs(60),
                &format!("node{i} commits block 2"),
                |n| n.height(i) >= 2,
            );
        }
        net
    }

    pub fn ns(&self, i: usize) -> String {
        format!("{}-{i}", self.tag)
    }

    fn switch(&self) -> String {
        format!("{}-sw", self.tag)
    }

    pub fn home(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("node{i}"))
    }

    fn create_namespaces(&mut self) {
        let sw = self.switch();
        let probe = Command::new("ip").args(["netns", "add", &sw]).output();
        match probe {
            Ok(o) if o.status.success() => self.namespaces.push(sw.clone()),
            Ok(o) => panic!(
                "cannot create network namespace {sw} (the partition test needs root or \
                 CAP_NET_ADMIN and iproute2): {}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => panic!("cannot run `ip` (iproute2) to create namespaces: {e}"),
        }
        ip(&["-n", &sw, "link", "set", "lo", "up"]);
        // One bridge per group a partition may form; no addresses, and forwarding stays off.
        for b in 0..self.nodes {
            let br = format!("br{b}");
            ip(&["-n", &sw, "link", "add", &br, "type", "bridge"]);
            ip(&["-n", &sw, "link", "set", &br, "up"]);
        }
        for i in 0..self.nodes {
            let ns = self.ns(i);
            ip(&["netns", "add", &ns]);
            self.namespaces.push(ns.clone());
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            let port = format!("vp{i}");
            ip(&[
                "-n", &sw, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns",
                &ns,
            ]);
            ip(&["-n", &sw, "link", "set", &port, "master", "br0"]);
            ip(&["-n", &sw, "link", "set", &port, "up"]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{}/24", ip_of(i)),
                "dev",
                "eth0",
            ]);
            ip(&["-n", &ns, "link", "set", "eth0", "up"]);
        }
    }

    /// The validators' homes, as localnet/up.sh makes them (gentxs collected by node0), but
    /// with P2P on the namespace addresses. Nothing is started here.
    fn init_homes(&self) {
        let d = self.dir.path();
        let keys = d.join("keys");
        let deaid = |args: &[&str]| run_ok(Command::new(deaid_bin()).args(args));
        let s = |p: &Path| p.to_str().unwrap().to_string();
        for i in 0..self.nodes {
            let addr = |k| format!("127.0.0.1:{}", port(i, k));
            deaid(&[
                "init",
                &format!("node{i}"),
                "--home",
                &s(&self.home(i)),
                "--chain-id",
                "deai-partition",
                "--p2p-laddr",
                &format!("tcp://{}", addr(0)),
                "--rpc-laddr",
                &format!("tcp://{}", addr(1)),
                "--abci-addr",
                &addr(2),
                "--grpc-addr",
                &addr(3),
                "--api-addr",
                &addr(4),
                "--timeout-commit",
                "300ms",
                "-o",
                "json",
            ]);
            let out = deaid(&[
                "keys",
                "add",
                &format!("val{i}"),
                "--keyring-backend",
                "test",
                "--home",
                &s(&keys),
                "-o",
                "json",
            ]);
            let info: Value = serde_json::from_str(&out).unwrap();
            deaid(&[
                "genesis",
                "add-account",
                info["address"].as_str().unwrap(),
                "1000000000udeai",
                "--home",
                &s(&self.home(0)),
            ]);
        }
        let genesis = |i: usize| self.home(i).join("config/genesis.json");
        let gentx_dir = d.join("gentx");
        for i in 0..self.nodes {
            if i > 0 {
                std::fs::copy(genesis(0), genesis(i)).unwrap();
            }
            deaid(&[
                "genesis",
                "gentx",
                &format!("val{i}"),
                "10000000udeai",
                "--moniker",
                &format!("node{i}"),
                "--home",
                &s(&self.home(i)),
                "--keyring-dir",
                &s(&keys),
                "--keyring-backend",
                "test",
                "--output-document",
                &s(&gentx_dir.join(format!("gentx-node{i}.json"))),
                "-o",
                "json",
            ]);
        }
        deaid(&[
            "genesis",
            "collect-gentxs",
            "--gentx-dir",
            &s(&gentx_dir),
            "--home",
            &s(&self.home(0)),
            "-o",
            "json",
        ]);
        let peers: Vec<String> = (0..self.nodes)
            .map(|i| {
                let id = run_ok(
                    Command::new(tool("cometbft"))
                        .args(["show-node-id", "--home"])
                        .arg(self.home(i)),
                );
                format!("{}@{}:{}", id.trim(), ip_of(i), port(i, 0))
            })
            .collect();
        for i in 0..self.nodes {
            if i > 0 {
                std::fs::copy(genesis(0), genesis(i)).unwrap();
            }
            let path = self.home(i).join("config/config.toml");
            let config = std::fs::read_to_string(&path).unwrap();
            let p2p = format!("laddr = \"tcp://127.0.0.1:{}\"", port(i, 0));
            assert!(config.contains(&p2p), "config.toml layout changed: {p2p}");
            let others: Vec<&str> = (0..self.nodes)
                .filter(|&j| j != i)
                .map(|j| peers[j].as_str())
                .collect();
            let config = config
                .replace(
                    &p2p,
                    &format!("laddr = \"tcp://{}:{}\"", ip_of(i), port(i, 0)),
                )
                .replace(
                    "persistent_peers = \"\"",
                    &format!("persistent_peers = \"{}\"", others.join(",")),
                )
                // Only the persistent peers: no address book to dial from.
                .replace("pex = true", "pex = false");
            std::fs::write(&path, config).unwrap();
        }
    }

    /// `ip netns exec <ns of node i> <program> <args…>`, its output appended to `log`.
    fn spawn_in(&mut self, i: usize, program: &Path, args: &[&str], log: &str) {
        let log = std::fs::File::create(self.home(i).join(log)).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns(i)])
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children.push(child);
    }

    fn launch(&mut self) {
        for i in 0..self.nodes {
            let home = self.home(i).to_str().unwrap().to_string();
            self.spawn_in(i, &deaid_bin(), &["start", "--home", &home], "deaid.log");
        }
        // CometBFT gives up at once if the app is not listening yet.
        for i in 0..self.nodes {
            let filter = format!("sport = :{}", port(i, 2));
            self.wait_until(
                Duration::from_secs(30),
                &format!("node{i}'s deaid listens"),
                |n| {
                    !ip(&["netns", "exec", &n.ns(i), "ss", "-Hltn", &filter])
                        .trim()
                        .is_empty()
                },
            );
        }
        let cometbft = tool("cometbft");
        for i in 0..self.nodes {
            let home = self.home(i).to_str().unwrap().to_string();
            self.spawn_in(i, &cometbft, &["node", "--home", &home], "cometbft.log");
        }
    }

    /// GET `path` from node `i`'s CometBFT RPC, on that namespace's loopback; None if it does
    /// not answer.
    pub fn rpc(&self, i: usize, path: &str) -> Option<Value> {
        let url = format!("http://127.0.0.1:{}{path}", port(i, 1));
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns(i),
                "curl",
                "-s",
                "--max-time",
                "3",
                &url,
            ])
            .output()
            .ok()?;
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        v.get("result").cloned()
    }

    /// Node `i`'s latest committed height (0 if it does not answer).
    pub fn height(&self, i: usize) -> u64 {
        self.rpc(i, "/status")
            .and_then(|r| r["sync_info"]["latest_block_height"].as_str()?.parse().ok())
            .unwrap_or(0)
    }

    pub fn heights(&self) -> Vec<u64> {
        (0..self.nodes).map(|i| self.height(i)).collect()
    }

    /// Node `i`'s block hashes at heights `1..=to`, from `/blockchain` (20 per call).
    pub fn block_hashes(&self, i: usize, to: u64) -> Vec<String> {
        let mut out = vec![String::new(); to as usize];
        let mut min = 1;
        while min <= to {
            let max = (min + 19).min(to);
            let r = self
                .rpc(i, &format!("/blockchain?minHeight={min}&maxHeight={max}"))
                .unwrap_or_else(|| panic!("node{i} answers /blockchain"));
            for m in r["block_metas"].as_array().unwrap() {
                let h: u64 = m["header"]["height"].as_str().unwrap().parse().unwrap();
                out[h as usize - 1] = m["block_id"]["hash"].as_str().unwrap().to_string();
            }
            min = max + 1;
        }
        out
    }

    /// Asserts that every height any two nodes both have holds the same block on both (no
    /// fork); returns the lowest of the nodes' heights.
    pub fn assert_no_fork(&self) -> u64 {
        let heights = self.heights();
        let hashes: Vec<Vec<String>> = (0..self.nodes)
            .map(|i| self.block_hashes(i, heights[i]))
            .collect();
        for h in 0..*heights.iter().max().unwrap() as usize {
            let at: Vec<(usize, &String)> = hashes
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.get(h).map(|x| (i, x)))
                .collect();
            assert!(
                at.iter().all(|(_, x)| !x.is_empty() && *x == at[0].1),
                "fork at height {}: {at:?}",
                h + 1
            );
        }
        *heights.iter().min().unwrap()
    }

    /// Puts each group of nodes on a switch of its own; nodes in different groups can no
    /// longer reach each other. Nodes not named stay on `br0`.
    pub fn partition(&self, groups: &[&[usize]]) {
        for (g, nodes) in groups.iter().enumerate() {
            for &i in *nodes {
                self.attach(i, g);
            }
        }
    }

    /// Every node back on one switch.
    pub fn heal(&self) {
        for i in 0..self.nodes {
            self.attach(i, 0);
        }
    }

    fn attach(&self, node: usize, bridge: usize) {
        ip(&[
            "-n",
            &self.switch(),
            "link",
            "set",
            &format!("vp{node}"),
            "master",
            &format!("br{bridge}"),
        ]);
    }

    /// Polls `cond` every 250 ms until it holds; fails the test (with the nodes' heights) if
    /// it does not within `limit`.
    pub fn wait_until(&self, limit: Duration, what: &str, mut cond: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + limit;
        while !cond(self) {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {limit:?}; heights {:?}; logs in {}",
                self.heights(),
                self.dir.path().display()
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Waits until no node's height has changed for `window` (the chain is halted), and
    /// returns those heights; fails if the heights still change after `limit`.
    pub fn wait_halted(&self, window: Duration, limit: Duration) -> Vec<u64> {
        let deadline = Instant::now() + limit;
        let mut last = self.heights();
        let mut since = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let now = self.heights();
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() >= window {
                return last;
            }
            assert!(
                Instant::now() < deadline,
                "the chain did not halt: heights still changing after {limit:?}, now {last:?}"
            );
        }
    }
}

impl Drop for PartitionNet {
    fn drop(&mut self) {
        // CometBFT first, so that it does not log the app's death; then everything else that
        // may still run in the namespaces, then the namespaces (their veths go with them).
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in &self.namespaces {
            if let Ok(o) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
