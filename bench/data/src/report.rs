//! The figures as markdown tables or JSON.

use std::time::Duration;

use deai_bench_common::table::{duration, thousands, Table};

use crate::crypto::Throughput;
use crate::download::{self, Latency};
use crate::{gas, Args};

#[derive(Default)]
pub struct Out {
    pub gas: Option<gas::Report>,
    pub crypto: Option<Vec<Throughput>>,
    pub download: Option<download::Report>,
    /// (plaintext, ciphertext) bytes of parts 2 and 3.
    pub files: Option<(u64, u64)>,
}

fn ns(d: Duration) -> u64 {
    d.as_nanos() as u64
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

fn throughput_table(rows: &[Throughput]) -> String {
    let mut t = Table::new(&[
        ("operation", false),
        ("MB", true),
        ("passes", true),
        ("median", true),
        ("MB/s (median)", true),
        ("MB/s (best)", true),
    ]);
    for r in rows {
        t.row(vec![
            r.what.clone(),
            mb(r.bytes),
            r.time.runs.to_string(),
            duration(r.time.median),
            format!("{:.0}", r.median_mb_s()),
            format!("{:.0}", r.best_mb_s()),
        ]);
    }
    t.to_markdown()
}

fn latency_table(rows: &[Latency]) -> String {
    let mut t = Table::new(&[
        ("latency", false),
        ("samples", true),
        ("p50", true),
        ("p99", true),
    ]);
    for r in rows {
        t.row(vec![
            r.what.clone(),
            thousands(r.samples as u64),
            duration(r.p50),
            duration(r.p99),
        ]);
    }
    t.to_markdown()
}

fn throughput_json(rows: &[Throughput]) -> serde_json::Value {
    serde_json::json!(rows
        .iter()
        .map(|r| serde_json::json!({
            "operation": r.what, "bytes": r.bytes, "passes": r.time.runs,
            "median_ns": ns(r.time.median), "best_ns": ns(r.best),
            "median_mb_s": r.median_mb_s(), "best_mb_s": r.best_mb_s(),
        }))
        .collect::<Vec<_>>())
}

fn gas_rows_json(rows: &[gas::Row]) -> serde_json::Value {
    serde_json::json!(rows
        .iter()
        .map(|r| serde_json::json!({
            "operation": r.what, "n": r.n, "gas": r.gas, "writes": r.writes,
            "events": r.events, "runs": r.time.runs,
            "median_ns": ns(r.time.median), "p90_ns": ns(r.time.p90),
        }))
        .collect::<Vec<_>>())
}

impl Out {
    pub fn markdown(&self, args: &Args) -> String {
        let mut out = String::new();
        if let Some(g) = &self.gas {
            let mut t = Table::new(&[
                ("operation", false),
                ("n", true),
                ("gas", true),
                ("writes", true),
                ("events", true),
                ("median", true),
                ("p90", true),
            ]);
            for r in g.messages.iter().chain(&g.blocks) {
                t.row(vec![
                    r.what.clone(),
                    r.n.map(|n| thousands(n as u64)).unwrap_or_default(),
                    thousands(r.gas),
                    r.writes.to_string(),
                    r.events.to_string(),
                    duration(r.time.median),
                    duration(r.time.p90),
                ]);
            }
            out.push_str(&format!(
                "## Data module on chain (deai-data on a MemStore; {} runs per message, {} per end_block; pools of {} validators, each scoring every contribution)\n\n",
                args.iterations, args.block_iterations, gas::VALIDATORS
            ));
            out.push_str(&t.to_markdown());
            if g.refunds_capped {
                out.push_str(&format!(
                    "\n- refunds: one end_block refunds at most {} grants (the rest wait for the next blocks), so larger n are measured at {}\n",
                    deai_data::MAX_REFUNDS_PER_BLOCK,
                    deai_data::MAX_REFUNDS_PER_BLOCK
                ));
            }
            out.push('\n');
        }
        if let Some(c) = &self.crypto {
            out.push_str(&format!(
                "## Streamed container (deai_worker_data, XChaCha20-Poly1305, 64 KiB chunks; {} MB file to file in a temp dir, no fsync; MB/s of plaintext)\n\n",
                args.size_mb
            ));
            out.push_str(&throughput_table(c));
            out.push('\n');
        }
        if let Some(d) = &self.download {
            out.push_str(&format!(
                "## Download at the provider's artifact server (worker/artifacts on 127.0.0.1; {} MB ciphertext; MB/s of ciphertext)\n\n- check: {}\n\n",
                self.files.map(|(_, c)| mb(c)).unwrap_or_default(),
                d.check
            ));
            out.push_str(&throughput_table(&d.downloads));
            out.push('\n');
            out.push_str(&latency_table(&d.latency));
        }
        out
    }

    pub fn json(&self, args: &Args) -> serde_json::Value {
        let mut out = serde_json::json!({ "seed": args.seed });
        if let Some(g) = &self.gas {
            out["gas"] = serde_json::json!({
                "runs_per_message": args.iterations,
                "runs_per_end_block": args.block_iterations,
                "pool_validators": gas::VALIDATORS,
                "max_refunds_per_block": deai_data::MAX_REFUNDS_PER_BLOCK,
                "messages": gas_rows_json(&g.messages),
                "end_block": gas_rows_json(&g.blocks),
            });
        }
        if let Some((plain, cipher)) = self.files {
            out["file"] =
                serde_json::json!({ "plaintext_bytes": plain, "ciphertext_bytes": cipher });
        }
        if let Some(c) = &self.crypto {
            out["crypto"] = throughput_json(c);
        }
        if let Some(d) = &self.download {
            out["download"] = serde_json::json!({
                "check": d.check,
                "throughput": throughput_json(&d.downloads),
                "latency": d.latency.iter().map(|l| serde_json::json!({
                    "what": l.what, "samples": l.samples,
                    "p50_ns": ns(l.p50), "p99_ns": ns(l.p99),
                })).collect::<Vec<_>>(),
            });
        }
        out
    }
}
