//! attest-bench: what consensus attestation (issue 16, ABCI 2.0 vote extensions) costs on a
//! real 4-validator localnet (`localnet/up.sh`, CometBFT 0.38, timeout_commit 300 ms):
//!
//! 1. the mean block time with vote extensions off (a localnet without `--with-attest`);
//! 2. with them on (`--with-attest`: enabled from height 1, a sidecar per validator) and no
//!    attestation job pending: every vote carries an empty, signed extension and every block
//!    starts with the injected extended commit;
//! 3. with them on and 10 attestation jobs pending at every height, each in every vote's
//!    extension: 10 proposed tasks whose code check cannot settle because two sidecars are
//!    restarted with `--dishonest` (2 × 10 power against 2 × 10, neither above 2/3), so the
//!    jobs stay pending for the whole window and the sidecars answer them from their caches;
//! 4. the size of the extension per validator (from the injected tx of each block: the tx
//!    bytes / 4, and each vote's `vote_extension` bytes);
//! 5. the blocks from a task's attestation request (the proposal's height) to its settlement
//!    (`settled_at`), with 4 honest sidecars.
//!
//! Nothing is asserted about speed. Needs `deaid` and `deai-worker` next to this binary
//! (`cargo build [--release] -p deaid -p deai-worker -p deai-attest-bench`), or DEAID_BIN and
//! WORKER_BIN.
//!
//!   cargo run -p deai-attest-bench -- --blocks 60

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use deai_e2e::attest::*;
use deai_e2e::staking::wait_for;
use deai_e2e::Localnet;
use prost::Message;

const PREFIX: &[u8] = b"\x00deai/extended-commit/v1\x00";

#[derive(Parser, Debug)]
#[command(
    name = "attest-bench",
    about = "Block time, extension size and settlement time of deai's consensus attestation"
)]
struct Args {
    /// Timed blocks of each block-time figure.
    #[arg(long, default_value_t = 60)]
    blocks: u64,
    /// Blocks left out at the start of each figure.
    #[arg(long, default_value_t = 5)]
    warm_up: u64,
    /// Pending attestation jobs of the loaded figure.
    #[arg(long, default_value_t = 10)]
    jobs: usize,
    /// Task attestations timed for the settlement figure.
    #[arg(long, default_value_t = 3)]
    settles: usize,
    /// First port of the localnets (each uses base..base+99; the second base+100..).
    #[arg(long, default_value_t = 32300)]
    base_port: u16,
}

/// Per block of a range: its interval to the previous block (s), and the injected extended
/// commit's tx size, vote count and extension sizes.
#[derive(Default, Debug)]
struct Window {
    blocks: u64,
    seconds: f64,
    injected: Vec<usize>,
    votes: Vec<usize>,
    ext_bytes: Vec<usize>,
    results: Vec<usize>,
}

impl Window {
    fn mean_block_s(&self) -> f64 {
        self.seconds / self.blocks as f64
    }
}

fn mean(v: &[usize]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<usize>() as f64 / v.len() as f64
    }
}

/// The injected extended commit of block `h`, if any.
fn injected(
    net: &Localnet,
    h: u64,
) -> Option<(usize, tendermint_proto::v0_38::abci::ExtendedCommitInfo)> {
    let txs = net.block_txs(h);
    let first = txs.first()?;
    let body = first.strip_prefix(PREFIX)?;
    let info = tendermint_proto::v0_38::abci::ExtendedCommitInfo::decode(body)
        .expect("an ExtendedCommitInfo");
    Some((first.len(), info))
}

/// Measures `blocks` blocks from the current height + `warm_up`.
fn measure(net: &Localnet, warm_up: u64, blocks: u64) -> Window {
    let from = net.height(0) + warm_up;
    let to = from + blocks;
    net.wait_height(0, to + 1, Duration::from_secs(blocks * 10 + 60));
    let t = |h: u64| rfc3339_secs(&net.block_time(h));
    let mut w = Window {
        blocks,
        seconds: t(to) - t(from),
        ..Default::default()
    };
    for h in from + 1..=to {
        if let Some((len, info)) = injected(net, h) {
            w.injected.push(len);
            w.votes.push(info.votes.len());
            for v in &info.votes {
                if v.block_id_flag == 2 {
                    w.ext_bytes.push(v.vote_extension.len());
                    w.results.push(deai_proto_results(&v.vote_extension));
                }
            }
        }
    }
    w
}

/// The results in a `deai.attest.v1.VoteExtension` (field 1, repeated, length-delimited):
/// counted from the wire, without the message type.
fn deai_proto_results(mut b: &[u8]) -> usize {
    let mut n = 0;
    while !b.is_empty() {
        let key = prost::encoding::decode_varint(&mut b).expect("a key");
        assert_eq!(key, (1 << 3) | 2, "VoteExtension has only field 1");
        let len = prost::encoding::decode_varint(&mut b).expect("a length") as usize;
        b = &b[len..];
        n += 1;
    }
    n
}

fn binaries() {
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let find = |var: &str, name: &str| -> PathBuf {
        std::env::var(var)
            .map(PathBuf::from)
            .unwrap_or_else(|_| dir.join(name))
    };
    let deaid = find("DEAID_BIN", "deaid");
    let worker = find("WORKER_BIN", "deai-worker");
    for b in [&deaid, &worker] {
        assert!(
            b.exists(),
            "{} not found: cargo build -p deaid -p deai-worker (same profile)",
            b.display()
        );
    }
    std::env::set_var("DEAID_BIN", &deaid);
    std::env::set_var("DEAI_WORKER_BIN", &worker);
    eprintln!(
        "deaid {}, deai-worker {}",
        deaid.display(),
        worker.display()
    );
}

fn row(name: &str, w: &Window) -> String {
    format!(
        "| {name} | {} | {:.3} s | {} | {:.0} | {:.0} | {:.1} | {:.1} |",
        w.blocks,
        w.mean_block_s(),
        if w.injected.is_empty() {
            "no".to_string()
        } else {
            format!("{}/{}", w.injected.len(), w.blocks)
        },
        mean(&w.injected),
        mean(&w.injected) / 4.0,
        mean(&w.ext_bytes),
        mean(&w.results),
    )
}

fn main() {
    let a = Args::parse();
    binaries();
    let t0 = Instant::now();
    // Long enough for the loaded figure: the jobs must stay pending while it is measured.
    let patch = attest_patch(2_000, 1_500, 1_000);

    eprintln!("1/3 vote extensions off…");
    let off = {
        let net = Localnet::start_with(4, a.base_port, &["--app-state-patch", &patch]);
        measure(&net, a.warm_up, a.blocks)
    };

    eprintln!("2/3 vote extensions on, no job…");
    let mut net = start_with_attest(4, a.base_port + 100, &["--app-state-patch", &patch]);
    let empty = measure(&net, a.warm_up, a.blocks);

    eprintln!("   settlement of {} task attestations…", a.settles);
    let mut settle = Vec::new();
    for i in 0..a.settles {
        let (id, _, h) = net.propose_task("demo1", &format!("settle {i}"), &digits_spec(), 1_000);
        let job = net.wait_task_job_settled(id, Duration::from_secs(180));
        let settled = num(&job["job"]["settled_at"]) as u64;
        let requested = num(&job["job"]["requested_at"]) as u64;
        assert_eq!(requested, h);
        settle.push((requested, settled, hashes_len(&job)));
    }

    eprintln!(
        "3/3 {} pending jobs at every height (sidecars 2 and 3 lie: no job settles)…",
        a.jobs
    );
    for s in [2, 3] {
        net.kill9_sidecar(s);
    }
    net.restart_sidecars(&[2, 3]);
    for i in 0..a.jobs {
        net.propose_task("demo5", &format!("pending {i}"), &digits_spec(), 1_000);
    }
    // Until every vote of a block carries all the jobs' results (the sidecars ran them).
    wait_for(
        "every extension to carry every job",
        Duration::from_secs(600),
        || {
            let h = net.height(0);
            let (_, info) = injected(&net, h)?;
            let full = info
                .votes
                .iter()
                .filter(|v| v.block_id_flag == 2)
                .all(|v| deai_proto_results(&v.vote_extension) == a.jobs);
            (full && info.votes.len() == 4).then_some(())
        },
    );
    let loaded = measure(&net, a.warm_up, a.blocks);
    let url = format!(
        "{}/deai/attest/v1/jobs?state=JOB_STATE_PENDING",
        net.rest_url(0)
    );
    let (_, pending) = deai_e2e::curl_json("GET", &url, None, &[]);
    let still = pending["jobs"].as_array().map_or(0, Vec::len);
    drop(net);

    println!(
        "## Consensus attestation, 4 validators (timeout_commit 300 ms), {} timed blocks each\n",
        a.blocks
    );
    println!("| vote extensions | blocks | mean block time | injected commit | injected tx bytes | / 4 validators | vote_extension bytes per validator | results per extension |");
    println!("| --- | --: | --: | --: | --: | --: | --: | --: |");
    println!("{}", row("off", &off));
    println!("{}", row("on, no job pending", &empty));
    println!(
        "{}",
        row(
            &format!("on, {} jobs pending (results cached)", a.jobs),
            &loaded
        )
    );
    println!();
    println!(
        "Overhead of the block time: empty extensions {:+.1}%, {} pending jobs {:+.1}% (against off). Jobs still pending after the loaded run: {still}.",
        100.0 * (empty.mean_block_s() / off.mean_block_s() - 1.0),
        a.jobs,
        100.0 * (loaded.mean_block_s() / off.mean_block_s() - 1.0),
    );
    println!();
    println!("## Task attestation: request height → settled height (4 honest sidecars)\n");
    println!("| task | requested at | settled at | blocks | records |");
    println!("| --: | --: | --: | --: | --: |");
    for (i, (r, s, n)) in settle.iter().enumerate() {
        println!("| {} | {r} | {s} | {} | {n} |", i + 1, s - r);
    }
    let m = settle.iter().map(|(r, s, _)| (s - r) as f64).sum::<f64>() / settle.len().max(1) as f64;
    println!(
        "\nMean: {m:.1} blocks. Bench wall time {:.0} s.",
        t0.elapsed().as_secs_f64()
    );
}

fn hashes_len(a: &serde_json::Value) -> usize {
    a["attestations"].as_array().map_or(0, Vec::len)
}
