//! The figures as markdown tables.

use deai_bench_common::table::{duration, thousands, Table};

use crate::vm;

pub fn vm(r: &vm::Report) -> String {
    let mut out = String::from(
        "## The vm (deai_wasm::vm::WasmVm on an in-memory store, one call per tx overlay)\n\n\
         ### Store (MsgStoreCode: deai's float refusal, cosmwasm-vm's checks, singlepass \
         compile, save to the cache dir)\n\n",
    );
    let mut t = Table::new(&[
        ("contract", false),
        ("wasm bytes", true),
        ("gas", true),
        ("median", true),
        ("p90", true),
        ("runs", true),
    ]);
    for s in &r.store {
        t.row(vec![
            s.contract.into(),
            thousands(s.bytes as u64),
            thousands(s.gas),
            duration(s.time.median),
            duration(s.time.p90),
            s.time.runs.to_string(),
        ]);
    }
    out.push_str(&t.to_markdown());

    out.push_str(
        "\n### The first instantiate of a stored code, by the state of the vm's cache\n\n",
    );
    let mut t = Table::new(&[
        ("contract", false),
        ("module", false),
        ("gas", true),
        ("median", true),
        ("p90", true),
        ("runs", true),
    ]);
    for c in &r.cache {
        t.row(vec![
            c.contract.into(),
            c.cache.into(),
            thousands(c.gas),
            duration(c.time.median),
            duration(c.time.p90),
            c.time.runs.to_string(),
        ]);
    }
    out.push_str(&t.to_markdown());

    out.push_str("\n### Executes (module in the memory cache; unpinned and pinned)\n\n");
    let mut t = Table::new(&[
        ("contract", false),
        ("execute", false),
        ("gas", true),
        ("median", true),
        ("p90", true),
        ("gas pinned", true),
        ("median pinned", true),
        ("p90 pinned", true),
    ]);
    for c in &r.calls {
        t.row(vec![
            c.contract.into(),
            c.call.clone(),
            thousands(c.unpinned.0),
            duration(c.unpinned.1.median),
            duration(c.unpinned.1.p90),
            thousands(c.pinned.0),
            duration(c.pinned.1.median),
            duration(c.pinned.1.p90),
        ]);
    }
    out.push_str(&t.to_markdown());

    out.push_str("\n### Smart queries (unpinned; wasmd's 3,000,000 gas limit)\n\n");
    let mut t = Table::new(&[
        ("contract", false),
        ("query", false),
        ("gas", true),
        ("median", true),
        ("p90", true),
    ]);
    for q in &r.queries {
        t.row(vec![
            q.contract.into(),
            q.query.clone(),
            thousands(q.gas),
            duration(q.time.median),
            duration(q.time.p90),
        ]);
    }
    out.push_str(&t.to_markdown());
    out.push('\n');
    out
}

#[cfg(feature = "app")]
pub fn block(r: &crate::block::Report) -> String {
    let mut out = format!(
        "## FinalizeBlock (deaid's App on {} + JMT, {} txs a block, one per sender, \
         signatures verified in the block; median of {} blocks each, gas the mean)\n\n",
        r.store, r.txs, r.rounds
    );
    let mut t = Table::new(&[
        ("block of", false),
        ("gas / tx", true),
        ("FinalizeBlock", true),
        ("Commit", true),
        ("tx/s (FinalizeBlock)", true),
        ("tx/s (+ Commit)", true),
    ]);
    for b in &r.blocks {
        let n = r.txs as f64;
        t.row(vec![
            b.what.clone(),
            thousands(b.gas_per_tx),
            duration(b.finalize),
            duration(b.commit),
            format!("{:.0}", n / b.finalize.as_secs_f64()),
            format!("{:.0}", n / (b.finalize + b.commit).as_secs_f64()),
        ]);
    }
    out.push_str(&t.to_markdown());
    out.push('\n');
    out
}
