//! compute-bench: the compute market's benchmark. Prints markdown tables (or `--json`):
//!
//! 1. gas and wall time of each compute message, each run on a fresh clone of a prepared
//!    state (see `scenario`);
//! 2. compute's `end_block` on states with L active leases and the same due work (see
//!    `endblock`), on the in-memory store and, with the `app-store` feature, on the node's
//!    storage (`--store`, fjall by default); the ratio of the largest L's median to the
//!    smallest's.
//!
//!   cargo run --release -p deai-bench-compute --bin compute-bench -- --leases 10,10000 --iterations 300

mod builders;
mod endblock;
mod measure;
mod scenario;
mod world;

use clap::Parser;
use deai_bench_common::{stats, table};

use deai_framework::MemStore;
use measure::{EndBlockCase, EndBlockRow, MsgRow};
use table::{duration, thousands, Table};

/// The target of `end_block`'s ratio between the largest and the smallest lease count.
const RATIO_TARGET: f64 = 1.5;

#[derive(Parser, Debug)]
#[command(
    name = "compute-bench",
    about = "Gas and time of compute's messages and end_block"
)]
struct Args {
    /// Active-lease counts of the end_block states (the ratio compares the largest to the smallest).
    #[arg(long, value_delimiter = ',', default_value = "10,10000")]
    leases: Vec<u32>,
    /// Timed runs of each message and of each end_block (after max(50, N/10) warm-up runs).
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Print JSON instead of markdown.
    #[arg(long)]
    json: bool,
    /// Skip the end_block runs on the node's storage.
    #[arg(long)]
    memstore_only: bool,
    /// The node's store backend for those runs: fjall (`deaid init`'s default) or sled.
    #[arg(long, default_value = "fjall", value_parser = ["fjall", "sled"])]
    store: String,
    /// Keys committed per version when loading a state into the node's storage (a chain
    /// writes its state over many blocks; one huge batch leaves sled much slower to read).
    #[arg(long, default_value_t = 1000)]
    store_block_writes: usize,
}

fn main() {
    let mut args = Args::parse();
    args.leases.sort_unstable();
    args.leases.dedup();
    assert!(!args.leases.is_empty(), "--leases needs at least one count");

    let scenario = scenario::build();
    let messages = measure::messages(&scenario.cases, args.iterations);
    let due = endblock::due_work(scenario.disputed);
    let height = endblock::END_BLOCK_HEIGHT;
    let states: Vec<(u32, MemStore)> = args
        .leases
        .iter()
        .map(|&l| (l, endblock::state_with(&due, l)))
        .collect();
    let stores: Vec<Option<NodeStore>> = states
        .iter()
        .map(|(_, state)| {
            if args.memstore_only {
                None
            } else {
                load_node_store(state, &args)
            }
        })
        .collect();
    // Every state's end_block runs in the same rounds, so the ratio compares like with like.
    let mut cases = Vec::new();
    for ((l, state), store) in states.iter().zip(&stores) {
        cases.push(EndBlockCase {
            leases: *l,
            keys: state.len(),
            store: "MemStore",
            run: Box::new(move || {
                world::run_end_block(state, height).map_err(|e| format!("{e:?}"))
            }),
        });
        cases.extend(
            store
                .as_ref()
                .map(|store| node_store_case(store, *l, height)),
        );
    }
    let rows = measure::end_blocks(cases, args.iterations);
    let ratios = ratios(&rows);
    if args.json {
        let out = json(&args, &messages, &rows, &ratios);
        println!("{}", serde_json::to_string_pretty(&out).expect("json"));
    } else {
        print!("{}", markdown(&args, &messages, &rows, &ratios));
    }
}

#[cfg(feature = "app-store")]
use deai_bench_common::node_store::NodeStore;

#[cfg(feature = "app-store")]
fn load_node_store(state: &MemStore, args: &Args) -> Option<NodeStore> {
    Some(
        NodeStore::load(state, args.store_block_writes, &args.store)
            .unwrap_or_else(|e| panic!("loading the node's storage: {e}")),
    )
}

#[cfg(feature = "app-store")]
fn node_store_case(store: &NodeStore, leases: u32, height: u64) -> EndBlockCase<'_> {
    EndBlockCase {
        leases,
        keys: store.keys(),
        store: store.label(),
        run: Box::new(move || {
            store
                .with_block_state(|s| world::run_end_block(s, height))
                .map_err(|e| format!("{e:?}"))
        }),
    }
}

/// Without the `app-store` feature there is no node store: only the MemStore rows.
#[cfg(not(feature = "app-store"))]
enum NodeStore {}

#[cfg(not(feature = "app-store"))]
fn load_node_store(_: &MemStore, _: &Args) -> Option<NodeStore> {
    None
}

#[cfg(not(feature = "app-store"))]
fn node_store_case(store: &NodeStore, _: u32, _: u64) -> EndBlockCase<'_> {
    match *store {}
}

/// Per store: (store, smallest L, largest L, median(largest) / median(smallest)).
fn ratios(rows: &[EndBlockRow]) -> Vec<(&'static str, u32, u32, f64)> {
    let mut stores: Vec<&'static str> = Vec::new();
    for r in rows {
        if !stores.contains(&r.store) {
            stores.push(r.store);
        }
    }
    stores
        .into_iter()
        .filter_map(|store| {
            let of: Vec<&EndBlockRow> = rows.iter().filter(|r| r.store == store).collect();
            let (lo, hi) = (of.first()?, of.last()?);
            if lo.leases == hi.leases {
                return None;
            }
            let r = stats::ratio(hi.time.median, lo.time.median)?;
            Some((store, lo.leases, hi.leases, r))
        })
        .collect()
}

fn markdown(
    args: &Args,
    messages: &[MsgRow],
    rows: &[EndBlockRow],
    ratios: &[(&'static str, u32, u32, f64)],
) -> String {
    let n = args.iterations;
    let mut t = Table::new(&[
        ("message", false),
        ("case", false),
        ("gas", true),
        ("msg bytes", true),
        ("writes", true),
        ("events", true),
        ("median", true),
        ("p90", true),
    ]);
    for m in messages {
        t.row(vec![
            m.name.clone(),
            m.case.to_string(),
            thousands(m.gas),
            thousands(m.msg_bytes as u64),
            m.writes.to_string(),
            m.events.to_string(),
            duration(m.time.median),
            duration(m.time.p90),
        ]);
    }
    let mut out =
        format!("## Compute messages: gas and wall time per execution ({n} runs each)\n\n");
    out.push_str(&t.to_markdown());
    let mut e = Table::new(&[
        ("active leases", true),
        ("state keys", true),
        ("store", false),
        ("gas", true),
        ("writes", true),
        ("events", true),
        ("median", true),
        ("p90", true),
    ]);
    for r in rows {
        e.row(vec![
            thousands(u64::from(r.leases)),
            thousands(r.keys as u64),
            r.store.to_string(),
            thousands(r.gas),
            r.writes.to_string(),
            r.events.to_string(),
            duration(r.time.median),
            duration(r.time.p90),
        ]);
    }
    out.push_str(&format!(
        "\n## compute end_block: 1 order at its bid deadline + 1 audit expiring, with L active leases ({n} runs each)\n\n"
    ));
    out.push_str(&e.to_markdown());
    out.push('\n');
    if rows.iter().any(|r| r.store != "MemStore") {
        out.push_str(&format!(
            "- {}+JMT: the state committed {} keys per version (`--store-block-writes`)\n",
            args.store,
            thousands(args.store_block_writes as u64)
        ));
    }
    for (store, lo, hi, r) in ratios {
        let verdict = if *r <= RATIO_TARGET {
            "ok"
        } else {
            "OVER TARGET"
        };
        out.push_str(&format!(
            "- {store}: median(L={}) / median(L={}) = {r:.2} (target ≤ {RATIO_TARGET}: {verdict})\n",
            thousands(u64::from(*hi)),
            thousands(u64::from(*lo))
        ));
    }
    out
}

fn json(
    args: &Args,
    messages: &[MsgRow],
    rows: &[EndBlockRow],
    ratios: &[(&'static str, u32, u32, f64)],
) -> serde_json::Value {
    let ns = |d: std::time::Duration| d.as_nanos() as u64;
    serde_json::json!({
        "iterations": args.iterations,
        "store": args.store,
        "store_block_writes": args.store_block_writes,
        "messages": messages.iter().map(|m| serde_json::json!({
            "message": m.name, "case": m.case, "gas": m.gas, "msg_bytes": m.msg_bytes,
            "writes": m.writes, "events": m.events,
            "median_ns": ns(m.time.median), "p90_ns": ns(m.time.p90),
        })).collect::<Vec<_>>(),
        "end_block": rows.iter().map(|r| serde_json::json!({
            "active_leases": r.leases, "state_keys": r.keys, "store": r.store, "gas": r.gas, "writes": r.writes,
            "events": r.events, "median_ns": ns(r.time.median), "p90_ns": ns(r.time.p90),
        })).collect::<Vec<_>>(),
        "ratios": ratios.iter().map(|(store, lo, hi, r)| serde_json::json!({
            "store": store, "from_leases": lo, "to_leases": hi, "median_ratio": r,
            "target": RATIO_TARGET, "ok": *r <= RATIO_TARGET,
        })).collect::<Vec<_>>(),
    })
}
