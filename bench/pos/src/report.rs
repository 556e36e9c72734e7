//! The figures as markdown tables.

use deai_bench_common::stats::ratio;
use deai_bench_common::table::{duration, thousands, Table};

use crate::measure::SizeReport;

fn ratio_text(a: std::time::Duration, b: std::time::Duration) -> String {
    ratio(a, b).map_or("-".into(), |r| format!("{r:.2}×"))
}

/// Begin/end block times of both sizes (and the control) and their ratios.
pub fn blocks(small: &SizeReport, large: &SizeReport, control: Option<&SizeReport>) -> String {
    let mut out = format!(
        "## Begin and end block ({} validators, all signing; {} timed blocks from height {} \
         each; every module's hook on a Ctx over the block's overlay, as FinalizeBlock runs \
         them)\n\n",
        large.validators, large.begin.runs, large.first_height
    );
    let mut t = Table::new(&[
        ("delegations", false),
        ("store keys", true),
        ("setup (fund + MsgDelegate txs)", true),
        ("begin median", true),
        ("begin p90", true),
        ("begin gas", true),
        ("end median", true),
        ("end p90", true),
        ("end gas", true),
    ]);
    for r in [Some(small), Some(large), control].into_iter().flatten() {
        let label = if r.ballast > 0 {
            format!(
                "{} + {} unrelated keys (control)",
                thousands(r.delegations),
                thousands(r.ballast)
            )
        } else {
            thousands(r.delegations)
        };
        t.row(vec![
            label,
            thousands(r.keys as u64),
            duration(r.setup),
            duration(r.begin.median),
            duration(r.begin.p90),
            thousands(r.begin_gas),
            duration(r.end.median),
            duration(r.end.p90),
            thousands(r.end_gas),
        ]);
    }
    out.push_str(&t.to_markdown());
    let ratios = |a: &SizeReport, b: &SizeReport| {
        format!(
            "begin {}, end {}, begin + end {}",
            ratio_text(a.begin.median, b.begin.median),
            ratio_text(a.end.median, b.end.median),
            ratio_text(a.begin.median + a.end.median, b.begin.median + b.end.median),
        )
    };
    out.push_str(&format!(
        "\nRatio {} / {} delegations (medians): {} (target: within 1.5×).\n",
        thousands(large.delegations),
        thousands(small.delegations),
        ratios(large, small)
    ));
    if let Some(c) = control {
        out.push_str(&format!(
            "Ratio {} delegations / the control (same store size): {}.\n\
             Ratio the control / {} delegations (same delegations, larger store): {}.\n",
            thousands(large.delegations),
            ratios(large, c),
            thousands(small.delegations),
            ratios(c, small)
        ));
    }
    out.push_str("\n### By module (medians)\n\n");
    let mut cols: Vec<String> = vec!["module".into()];
    let all: Vec<&SizeReport> = [Some(small), Some(large), control]
        .into_iter()
        .flatten()
        .collect();
    let name = |r: &SizeReport| {
        if r.ballast > 0 {
            "control".to_string()
        } else {
            thousands(r.delegations)
        }
    };
    for r in &all {
        cols.push(format!("begin, {}", name(r)));
    }
    for r in &all {
        cols.push(format!("end, {}", name(r)));
    }
    let spec: Vec<(&str, bool)> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i > 0))
        .collect();
    let mut t = Table::new(&spec);
    for (i, (m, _, _)) in small.per_module.iter().enumerate() {
        let b: Vec<_> = all.iter().map(|r| r.per_module[i].1).collect();
        let e: Vec<_> = all.iter().map(|r| r.per_module[i].2).collect();
        if b.iter().chain(&e).all(|d| d.as_micros() < 1) {
            continue;
        }
        let mut row = vec![(*m).to_string()];
        row.extend(b.iter().map(|d| duration(*d)));
        row.extend(e.iter().map(|d| duration(*d)));
        t.row(row);
    }
    out.push_str(&t.to_markdown());
    out.push('\n');
    out
}

/// The gas of every message on the small chain.
pub fn gas(r: &SizeReport) -> String {
    let mut out = format!(
        "## Gas of each message ({} validators, {} delegations; a tx context with a gas \
         meter and the default GasConfig, as the app runs a tx's messages: the message's own \
         gas, without the tx's signature, size and fee gas)\n\n",
        r.validators,
        thousands(r.delegations)
    );
    let mut t = Table::new(&[
        ("message", false),
        ("case", false),
        ("gas", true),
        ("median", true),
        ("p90", true),
    ]);
    for g in &r.gas {
        t.row(vec![
            g.msg.into(),
            g.what.clone(),
            thousands(g.gas),
            duration(g.time.median),
            duration(g.time.p90),
        ]);
    }
    out.push_str(&t.to_markdown());
    out.push('\n');
    out
}

/// The delegation messages' gas on both chains.
pub fn gas_by_size(small: &SizeReport, large: &SizeReport) -> String {
    let mut out = format!(
        "## Delegation messages by number of delegations ({} vs {})\n\n",
        thousands(small.delegations),
        thousands(large.delegations)
    );
    let s = thousands(small.delegations);
    let l = thousands(large.delegations);
    let cols = [
        format!("gas, {s}"),
        format!("gas, {l}"),
        format!("median, {s}"),
        format!("median, {l}"),
    ];
    let mut t = Table::new(&[
        ("message", false),
        ("case", false),
        (cols[0].as_str(), true),
        (cols[1].as_str(), true),
        (cols[2].as_str(), true),
        (cols[3].as_str(), true),
    ]);
    for g in &large.gas {
        let Some(a) = small
            .gas
            .iter()
            .find(|x| x.msg == g.msg && x.what == g.what)
        else {
            continue;
        };
        t.row(vec![
            g.msg.into(),
            g.what.clone(),
            thousands(a.gas),
            thousands(g.gas),
            duration(a.time.median),
            duration(g.time.median),
        ]);
    }
    out.push_str(&t.to_markdown());
    out.push('\n');
    out
}
