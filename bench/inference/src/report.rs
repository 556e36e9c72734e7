//! The results as markdown tables or JSON.

use std::time::Duration;

use serde_json::{json, Value};

use crate::block::{auto_gas_limit, per_block};
use crate::measure::{BatchRow, SubmitRow};
use crate::scenario::{ModelState, DEADLINE_BLOCKS};
use crate::table::{duration, thousands, Table};
use crate::{Args, Results, RATE_TARGET};

fn label(m: &ModelState) -> (String, String) {
    (m.prep.case.name.to_string(), m.prep.case.kind())
}

/// The gas used by one signed submission of model `i` (ante included), if measured.
fn tx_gas(r: &Results, i: usize) -> Option<u64> {
    r.batches
        .iter()
        .filter(|b| b.model == i && b.path == "tx")
        .map(|b| b.max_gas)
        .max()
}

/// The single submission's message gas of model `i` (the same on every store).
fn msg_gas(r: &Results, i: usize) -> u64 {
    r.submits.iter().find(|s| s.model == i).map_or(0, |s| s.gas)
}

/// CPU time per verification at the median round.
fn per_verification(b: &BatchRow) -> Duration {
    b.cpu.median / b.n.max(1) as u32
}

pub fn markdown(args: &Args, r: &Results) -> String {
    let mut out = String::new();
    let mut f = Table::new(&[
        ("model", false),
        ("zk mode, io", false),
        ("public inputs", true),
        ("vk bytes", true),
        ("register gas", true),
        ("setup", true),
        ("prove (median)", true),
    ]);
    for m in &r.models {
        let (name, kind) = label(m);
        f.row(vec![
            name,
            kind,
            m.prep.n_public_inputs().to_string(),
            thousands(m.prep.vk.len() as u64),
            thousands(m.register_gas),
            duration(m.prep.setup_time),
            duration(m.prove_time),
        ]);
    }
    out.push_str("## Models (real Groth16 keys and proofs, made at startup on both cores)\n\n");
    out.push_str(&f.to_markdown());

    let mut t = Table::new(&[
        ("model", false),
        ("zk mode, io", false),
        ("store", false),
        ("verifier", false),
        ("gas", true),
        ("msg bytes", true),
        ("writes", true),
        ("events", true),
        ("median", true),
        ("p90", true),
    ]);
    for s in &r.submits {
        let (name, kind) = label(&r.models[s.model]);
        t.row(vec![
            name,
            kind,
            s.store.into(),
            s.verifier.into(),
            thousands(s.gas),
            thousands(s.msg_bytes as u64),
            s.writes.to_string(),
            s.events.to_string(),
            duration(s.time.median),
            duration(s.time.p90),
        ]);
    }
    out.push_str(&format!(
        "\n## 1. MsgSubmitInference: on-chain verification, one core ({} runs each)\n\n",
        args.iterations
    ));
    out.push_str(&t.to_markdown());

    let mut b = Table::new(&[
        ("model", false),
        ("zk mode, io", false),
        ("msg gas", true),
        ("tx gas used", true),
        ("auto gas limit", true),
        ("per block at gas used", true),
        ("per block at auto limit", true),
    ]);
    for (i, m) in r.models.iter().enumerate() {
        let (name, kind) = label(m);
        let tx = tx_gas(r, i).unwrap_or(0);
        b.row(vec![
            name,
            kind,
            thousands(msg_gas(r, i)),
            thousands(tx),
            thousands(auto_gas_limit(tx)),
            thousands(per_block(r.block_gas, tx)),
            thousands(per_block(r.block_gas, auto_gas_limit(tx))),
        ]);
    }
    out.push_str(&format!(
        "\n## 2a. zk verifications per block at the default block gas {} (deaid init's DEFAULT_MAX_BLOCK_GAS)\n\n",
        thousands(r.block_gas)
    ));
    out.push_str(&b.to_markdown());

    let mut p = Table::new(&[
        ("model", false),
        ("zk mode, io", false),
        ("store", false),
        ("path", false),
        ("n", true),
        ("batch wall median", true),
        ("wall p90", true),
        ("batch CPU median", true),
        ("CPU per verification", true),
        ("per CPU-second", true),
        ("per wall second", true),
        ("≥ 200/s/core", false),
    ]);
    for x in &r.batches {
        let (name, kind) = label(&r.models[x.model]);
        p.row(vec![
            name,
            kind,
            x.store.into(),
            x.path.into(),
            x.n.to_string(),
            duration(x.time.median),
            duration(x.time.p90),
            duration(x.cpu.median),
            duration(per_verification(x)),
            format!("{:.0}", x.cpu_rate()),
            format!("{:.0}", x.rate()),
            if x.cpu_rate() >= RATE_TARGET {
                "yes"
            } else {
                "NO"
            }
            .into(),
        ]);
    }
    out.push_str(&format!(
        "\n## 2b. Distinct submissions back to back in one block state, one thread ({} rounds each)\n\n",
        args.rounds
    ));
    out.push_str(&p.to_markdown());

    let mut l = Table::new(&[("answer in block", false), ("module's answer", false)]);
    for (after, res) in &r.latency {
        l.row(vec![
            format!("h + {after}"),
            match res {
                Ok(()) => "accepted".into(),
                Err(e) => format!("refused: {e}"),
            },
        ]);
    }
    out.push_str(&format!(
        "\n## 3. Request (block h, deadline_blocks = {DEADLINE_BLOCKS}) → verified result\n\n"
    ));
    out.push_str(&l.to_markdown());

    let mut a = Table::new(&[
        ("model", false),
        ("server", false),
        ("resolution", false),
        ("weights bytes", true),
        ("MACs", true),
        ("msg gas", true),
        ("tx bytes", true),
        ("tx gas used", true),
        ("median", true),
        ("p90", true),
        ("infer alone", true),
    ]);
    for x in &r.adjudications {
        a.row(vec![
            r.models[x.model].prep.case.name.to_string(),
            if x.server_lied { "lied" } else { "honest" }.into(),
            x.resolution.clone(),
            thousands(x.weights_bytes as u64),
            thousands(x.macs),
            thousands(x.gas),
            thousands(x.tx_bytes as u64),
            thousands(x.tx_gas),
            duration(x.time.median),
            duration(x.time.p90),
            duration(x.infer.median),
        ]);
    }
    out.push_str(&format!(
        "\n## 4. MsgAdjudicate: an optimistic answer challenged, re-executed on chain with the canonical weights \
         (adjudication_gas_per_mac = {}, max_adjudication_macs = {}; {} runs each)\n\n",
        r.params.adjudication_gas_per_mac,
        thousands(r.params.max_adjudication_macs),
        args.iterations,
    ));
    out.push_str(&a.to_markdown());
    out
}

pub fn json(args: &Args, r: &Results) -> Value {
    let ns = |d: Duration| d.as_nanos() as u64;
    let name = |i: usize| {
        let (n, k) = label(&r.models[i]);
        format!("{n} {k}")
    };
    json!({
        "iterations": args.iterations, "batch": args.batch, "rounds": args.rounds,
        "block_gas": r.block_gas, "rate_target": RATE_TARGET,
        "models": r.models.iter().enumerate().map(|(i, m)| json!({
            "model": name(i), "public_inputs": m.prep.n_public_inputs(), "vk_bytes": m.prep.vk.len(),
            "register_gas": m.register_gas, "setup_ns": ns(m.prep.setup_time),
            "prove_median_ns": ns(m.prove_time), "msg_gas": msg_gas(r, i), "tx_gas": tx_gas(r, i),
            "tx_auto_gas_limit": tx_gas(r, i).map(auto_gas_limit),
            "per_block_at_gas_used": tx_gas(r, i).map(|g| per_block(r.block_gas, g)),
            "per_block_at_auto_limit": tx_gas(r, i).map(|g| per_block(r.block_gas, auto_gas_limit(g))),
        })).collect::<Vec<_>>(),
        "submissions": r.submits.iter().map(|s: &SubmitRow| json!({
            "model": name(s.model), "store": s.store, "verifier": s.verifier, "gas": s.gas,
            "msg_bytes": s.msg_bytes, "writes": s.writes, "events": s.events,
            "median_ns": ns(s.time.median), "p90_ns": ns(s.time.p90),
        })).collect::<Vec<_>>(),
        "batches": r.batches.iter().map(|b| json!({
            "model": name(b.model), "store": b.store, "path": b.path, "n": b.n,
            "max_gas": b.max_gas, "mean_gas": b.mean_gas,
            "median_ns": ns(b.time.median), "p90_ns": ns(b.time.p90),
            "cpu_median_ns": ns(b.cpu.median), "cpu_p90_ns": ns(b.cpu.p90),
            "per_cpu_second": b.cpu_rate(), "per_wall_second": b.rate(),
            "ok": b.cpu_rate() >= RATE_TARGET,
        })).collect::<Vec<_>>(),
        "latency": r.latency.iter().map(|(after, res)| json!({
            "blocks_after_request": after, "accepted": res.is_ok(), "error": res.as_ref().err(),
        })).collect::<Vec<_>>(),
        "adjudications": r.adjudications.iter().map(|x| json!({
            "model": name(x.model), "server_lied": x.server_lied, "resolution": x.resolution,
            "weights_bytes": x.weights_bytes, "macs": x.macs, "gas": x.gas,
            "tx_bytes": x.tx_bytes, "tx_gas": x.tx_gas,
            "median_ns": ns(x.time.median), "p90_ns": ns(x.time.p90),
            "infer_median_ns": ns(x.infer.median),
        })).collect::<Vec<_>>(),
        "adjudication_gas_per_mac": r.params.adjudication_gas_per_mac,
        "max_adjudication_macs": r.params.max_adjudication_macs,
    })
}
