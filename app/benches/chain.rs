//! Benchmarks of the state machine, in process, on real stores on disk. Prints tables.
//!
//!   cargo bench -p deaid --bench chain            # full run
//!   cargo bench -p deaid --bench chain -- --quick # smaller sizes
//!   ... -- --only a|c                              # one part
//!   ... -- --only c --store sled --node-cache-mb 1536  # (c) on sled, bigger node cache
//!
//! Both parts run on fjall, the node's default store, unless `--store sled`.
//! (a) throughput of signed bank sends through CheckTx + FinalizeBlock + Commit;
//! (c) commit time of a block of transfers as the state grows to 1M accounts.

use std::sync::Arc;
use std::time::Instant;

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use prost::bytes::Bytes;
use tendermint_proto::v0_38::abci as pb;

use deai_client::keys::AccountKey;
use deai_client::txbuilder::{coin, sign_tx, to_any, TxParams};
use deai_framework::state::WriteSet;
use deai_framework::{Address, Coins, StateRead};
use deaid::node::{App, NodeSettings};
use deaid::store::{open_backend, KvStore, Storage, StorageConfig};

const CHAIN: &str = "deai-bench";

/// The node's allocator (see `src/main.rs`), so that the figures are the node's: with
/// glibc's malloc the bench spent a fifth of its time allocating and freeing.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn new_app(keys: &[AccountKey], dir: &std::path::Path, store: &str) -> App {
    let storage = Storage::open(open_store(store, dir), StorageConfig::default()).unwrap();
    let app = App::new(storage, NodeSettings::default()).unwrap();
    let accounts: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            serde_json::json!({"@type": "/cosmos.auth.v1beta1.BaseAccount",
            "address": k.address().to_bech32(), "pub_key": null,
            "account_number": i.to_string(), "sequence": "0"})
        })
        .collect();
    let balances: Vec<_> = keys
        .iter()
        .map(|k| {
            serde_json::json!({"address": k.address().to_bech32(),
            "coins": [{"denom": "udeai", "amount": "1000000000000"}]})
        })
        .collect();
    let state = serde_json::json!({"auth": {"accounts": accounts}, "bank": {"balances": balances}});
    app.init_chain(pb::RequestInitChain {
        chain_id: CHAIN.into(),
        app_state_bytes: Bytes::from(serde_json::to_vec(&state).unwrap()),
        ..Default::default()
    });
    app
}

fn signed_sends(keys: &[AccountKey], per_sender: u64) -> Vec<Bytes> {
    let mut txs = Vec::new();
    for seq in 0..per_sender {
        for (i, k) in keys.iter().enumerate() {
            let to = keys[(i + 1 + seq as usize) % keys.len()].address();
            let msg = to_any(&MsgSend {
                from_address: k.address().to_bech32(),
                to_address: to.to_bech32(),
                amount: vec![coin("udeai", 1)],
            });
            let p = TxParams {
                chain_id: CHAIN.into(),
                account_number: i as u64,
                sequence: seq,
                fee: Coins::parse("2500udeai").unwrap(),
                gas_limit: 100_000,
                memo: String::new(),
                timeout_height: 0,
            };
            txs.push(Bytes::from(sign_tx(k, vec![msg], &p)));
        }
    }
    txs
}

fn run_blocks(app: &App, txs: &[Bytes], block_size: usize) -> f64 {
    let start = Instant::now();
    for (h, chunk) in txs.chunks(block_size).enumerate() {
        let res = app.finalize_block(pb::RequestFinalizeBlock {
            txs: chunk.to_vec(),
            height: h as i64 + 1,
            ..Default::default()
        });
        assert!(
            res.tx_results.iter().all(|r| r.code == 0),
            "a tx failed: {:?}",
            res.tx_results.iter().find(|r| r.code != 0)
        );
        app.commit();
    }
    start.elapsed().as_secs_f64()
}

/// The store `--store` names, as the node opens it.
fn open_store(store: &str, dir: &std::path::Path) -> Arc<dyn KvStore> {
    match store {
        "sled" | "fjall" => open_backend(store, dir).unwrap(),
        other => {
            eprintln!("--store {other}: expected sled or fjall");
            std::process::exit(2)
        }
    }
}

fn bench_throughput(senders: usize, per_sender: u64, block_size: usize, store: &str) {
    let keys: Vec<AccountKey> = (0..senders)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            AccountKey::from_bytes(&seed).unwrap()
        })
        .collect();
    let txs = signed_sends(&keys, per_sender);
    let n = txs.len() as f64;
    println!(
        "\n(a) signed MsgSend throughput, in process, {store} on disk, {} txs, blocks of {block_size}",
        txs.len()
    );
    println!("{:<58} {:>10} {:>10}", "phase", "seconds", "tx/s");

    // Pipeline as a node runs it: every tx through CheckTx, then blocks.
    let dir = tempfile::tempdir().unwrap();
    let app = new_app(&keys, dir.path(), store);
    // Two mempool clients, each sending its own senders' txs in sequence order: check_tx
    // verifies signatures outside the mempool lock, so they verify in parallel.
    let t = Instant::now();
    std::thread::scope(|s| {
        for part in 0..2usize {
            let (app, txs) = (&app, &txs);
            s.spawn(move || {
                for tx in txs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (i % senders) % 2 == part)
                    .map(|(_, t)| t)
                {
                    let r = app.check_tx(pb::RequestCheckTx {
                        tx: tx.clone(),
                        r#type: 0,
                    });
                    assert_eq!(r.code, 0, "{}", r.log);
                }
            });
        }
    });
    let check = t.elapsed().as_secs_f64();
    let deliver = run_blocks(&app, &txs, block_size);
    println!(
        "{:<58} {:>10.3} {:>10.0}",
        "CheckTx, 2 clients (verifies each signature once)",
        check,
        n / check
    );
    println!(
        "{:<58} {:>10.3} {:>10.0}",
        "FinalizeBlock + Commit (signatures cached by CheckTx)",
        deliver,
        n / deliver
    );
    println!(
        "{:<58} {:>10.3} {:>10.0}",
        "CheckTx + FinalizeBlock + Commit",
        check + deliver,
        n / (check + deliver)
    );

    // Blocks from another proposer: nothing cached, signatures verified in parallel.
    let dir = tempfile::tempdir().unwrap();
    let cold = new_app(&keys, dir.path(), store);
    let t = run_blocks(&cold, &txs, block_size);
    println!(
        "{:<58} {:>10.3} {:>10.0}",
        format!(
            "FinalizeBlock + Commit, cold cache ({} verify threads)",
            NodeSettings::default().verify_threads
        ),
        t,
        n / t
    );
}

/// Writes `count` accounts with a balance each, as bank and auth store them.
fn account_writes(from: u64, count: u64) -> WriteSet {
    let mut w = WriteSet::new();
    for i in from..from + count {
        let mut b = [0u8; 20];
        b[..8].copy_from_slice(&i.to_be_bytes());
        let addr = Address::from_bytes(&b).unwrap();
        let acct = deai_auth::Account::new(addr.clone(), i);
        w.insert(deai_auth::state_key::account(&addr), Some(acct.encode()));
        w.insert(deai_auth::state_key::account_by_number(i), Some(b.to_vec()));
        w.insert(
            deai_bank::state_key::balance(&addr, "udeai"),
            Some(1_000_000u128.to_be_bytes().to_vec()),
        );
    }
    w
}

/// Blocks measured at each state size (after one that is not counted).
const TRANSFER_BLOCKS: usize = 5;

/// One transfer block's timings (ms) and the tree's own work in it.
struct BlockCost {
    reads: f64,
    hash: f64,
    write: f64,
    work: TreeWork,
}

/// What a version's tree update makes: nodes written, their encoded bytes, and the sha256
/// calls that hash them (jmt 0.12 hashes a leaf once and rebuilds an internal node's
/// 16-way binary subtree: a full node costs 15 calls, a node with one leaf child none).
#[derive(Clone, Copy, Default)]
struct TreeWork {
    nodes: usize,
    bytes: usize,
    sha256: usize,
}

impl TreeWork {
    fn of<'a>(nodes: impl Iterator<Item = &'a jmt::storage::Node>) -> Self {
        let mut w = TreeWork::default();
        for node in nodes {
            w.nodes += 1;
            w.bytes += borsh::to_vec(node).map_or(0, |b| b.len());
            w.sha256 += match node {
                jmt::storage::Node::Internal(n) => internal_hashes(n.generate_bitmaps(), 0, 16),
                _ => 1,
            };
        }
        w
    }
}

/// sha256 calls of jmt's `merkle_hash` over children `start..start + width` of an internal
/// node with these (existence, leaf) bitmaps.
fn internal_hashes((exists, leaves): (u16, u16), start: u32, width: u32) -> usize {
    let mask = (((1u32 << width) - 1) << start) as u16;
    let (e, l) = (exists & mask, leaves & mask);
    if e == 0 || (e.count_ones() == 1 && (width == 1 || l == e)) {
        return 0;
    }
    let half = width / 2;
    1 + internal_hashes((exists, leaves), start, half)
        + internal_hashes((exists, leaves), start + half, half)
}

/// Commits one block of 1,000 transfers at `version` (1,000 senders and 1,000 receivers
/// change balance, 1,000 sequences).
fn transfer_block(storage: &Storage, version: u64, accounts: u64) -> BlockCost {
    let mut w = WriteSet::new();
    for j in 0..1000u64 {
        let i = (j * 7919 + version * 13) % accounts;
        let mut b = [0u8; 20];
        b[..8].copy_from_slice(&i.to_be_bytes());
        let addr = Address::from_bytes(&b).unwrap();
        w.insert(
            deai_bank::state_key::balance(&addr, "udeai"),
            Some((version as u128).to_be_bytes().to_vec()),
        );
        let mut acct = deai_auth::Account::new(addr.clone(), i);
        acct.sequence = version;
        w.insert(deai_auth::state_key::account(&addr), Some(acct.encode()));
        let k = (i + accounts / 2) % accounts;
        let mut b2 = [0u8; 20];
        b2[..8].copy_from_slice(&k.to_be_bytes());
        let to = Address::from_bytes(&b2).unwrap();
        w.insert(
            deai_bank::state_key::balance(&to, "udeai"),
            Some((version as u128 + 1).to_be_bytes().to_vec()),
        );
    }
    // Executing the transfers reads every key they write (both balances, the sender's
    // account) through the block's view, as FinalizeBlock does; Commit then takes those
    // rows' versions from it instead of reading them again. Timed apart: it is execution.
    let t0 = Instant::now();
    let view = storage.latest_for_block();
    for key in w.keys() {
        view.get(key).unwrap();
    }
    let reads = view.take_read_versions();
    let read_ms = t0.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let p = storage.prepare_after(version, w, reads).unwrap();
    let hash = t.elapsed().as_secs_f64() * 1e3;
    let work = TreeWork::of(p.new_nodes());
    let t2 = Instant::now();
    storage.commit(p).unwrap();
    BlockCost {
        reads: read_ms,
        hash,
        write: t2.elapsed().as_secs_f64() * 1e3,
        work,
    }
}

fn bench_commit_growth(max_accounts: u64, step: u64, store: &str, node_cache_mb: usize) {
    println!("\n(c) commit time of a 1,000-transfer block (≈3,000 changed keys) as state grows");
    println!(
        "{:>12} {:>14} {:>14} {:>14} {:>14} {:>14} {:>8} {:>9} {:>8}",
        "accounts",
        "app hash (ms)",
        "write (ms)",
        "total (ms)",
        "first (ms)",
        "exec reads",
        "nodes",
        "node KiB",
        "sha256"
    );
    println!("  (median of {TRANSFER_BLOCKS} blocks; \"first\" is the block right after the bulk load, not counted;");
    println!("   \"exec reads\": execution's reads of the written keys before the commit, not in the total;");
    println!("   nodes, node KiB, sha256: the tree nodes the median block writes, their bytes, the hashing of them)");
    let dir = tempfile::tempdir().unwrap();
    // A node that prunes (app.toml pruning_keep_recent = 100): without it, 1M accounts
    // leave over 12 GB of stale tree nodes on disk.
    let kv = open_store(store, dir.path());
    println!("  (store: {store}, node cache {node_cache_mb} MiB)");
    let config = StorageConfig {
        keep_recent: 100,
        node_cache_bytes: node_cache_mb << 20,
    };
    let storage = Storage::open(kv, config).unwrap();
    let mut version = 0u64;
    let mut accounts = 0u64;
    let mut next_report = step.min(10_000);
    while accounts < max_accounts {
        // Stop the build steps exactly at each reporting point.
        let n = step
            .min(max_accounts - accounts)
            .min(next_report.saturating_sub(accounts).max(1));
        let p = storage
            .prepare(version, account_writes(accounts, n))
            .unwrap();
        storage.commit(p).unwrap();
        version += 1;
        accounts += n;
        if accounts >= next_report || accounts == max_accounts {
            // Steady state: the first transfer block after a bulk load of 60,000 keys pays for
            // sled's write-back of that load, so it is run but not counted; the figure is the
            // median of the next TRANSFER_BLOCKS blocks.
            let first = transfer_block(&storage, version, accounts);
            version += 1;
            let mut samples = Vec::with_capacity(TRANSFER_BLOCKS);
            for _ in 0..TRANSFER_BLOCKS {
                samples.push(transfer_block(&storage, version, accounts));
                version += 1;
            }
            samples.sort_by(|a, b| (a.hash + a.write).total_cmp(&(b.hash + b.write)));
            let m = &samples[samples.len() / 2];
            println!(
                "{accounts:>12} {:>14.1} {:>14.1} {:>14.1} {:>14.1} {:>14.1} {:>8} {:>9} {:>8}",
                m.hash,
                m.write,
                m.hash + m.write,
                first.hash + first.write,
                m.reads,
                m.work.nodes,
                m.work.bytes / 1024,
                m.work.sha256
            );
            next_report = (next_report * 10).min(max_accounts).max(accounts + 1);
            if next_report > 10_000 && next_report < max_accounts {
                next_report = next_report.min(accounts * 2);
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--only a` or `--only c` runs one part.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    // `--store sled` runs on sled instead of fjall, the default store of a new node.
    let store = args
        .iter()
        .position(|a| a == "--store")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "fjall".into());
    // `--node-cache-mb N` sizes the JMT node cache for (c) (app.toml `node_cache_mb`).
    let node_cache_mb = args
        .iter()
        .position(|a| a == "--node-cache-mb")
        .and_then(|i| args.get(i + 1))
        .map_or(deaid::store::NODE_CACHE_BYTES >> 20, |s| {
            s.parse().unwrap_or_else(|_| {
                eprintln!("--node-cache-mb {s}: expected a number of MiB");
                std::process::exit(2)
            })
        });
    if run("a") {
        if quick {
            bench_throughput(500, 4, 1000, &store);
        } else {
            bench_throughput(2000, 10, 5000, &store);
        }
    }
    if run("c") {
        if quick {
            bench_commit_growth(50_000, 10_000, &store, node_cache_mb);
        } else {
            bench_commit_growth(1_000_000, 20_000, &store, node_cache_mb);
        }
    }
}
