//! Timed runs: one MsgSubmitInference many times (prepared verifier cached, or dropped before
//! each run), a block's worth of distinct submissions back to back (as messages, and as
//! signed txs through the node's ante handler), the latency rules, and the integer
//! re-execution that adjudication would run.

use std::time::{Duration, Instant};

use cosmos_sdk_proto::Any;

use deai_bench_common::exec::repeat;
use deai_framework::{Delta, Router, StateRead};
use deaid::tx::ante::AnteEnv;
use deaid::tx::exec::{run_tx, ExecMode};
use deaid::tx::fee::GasPrice;
use deaid::tx::sigcache::SigCache;

use crate::scenario::{ModelState, DEADLINE_BLOCKS, REQUEST_HEIGHT, SUBMIT_HEIGHT};
use crate::stats::Summary;
use crate::world::{self, CHAIN_ID};

/// Fewest untimed runs before the timed ones.
pub const WARM_UP: usize = 10;

/// One submission of one model on one store.
#[derive(Clone, Debug)]
pub struct SubmitRow {
    pub model: usize,
    pub store: &'static str,
    /// "cached" (the node's steady state) or "cold" (the verifier rebuilt from the key).
    pub verifier: &'static str,
    pub gas: u64,
    pub msg_bytes: usize,
    pub writes: usize,
    pub events: usize,
    pub time: Summary,
}

/// MsgSubmitInference of each model's first request, at the first height it can be
/// answered, on an overlay of `state` (left untouched, so every run starts from the same
/// pending request, as on a fresh clone).
pub fn submissions(
    router: &Router,
    models: &[ModelState],
    state: &dyn StateRead,
    store: &'static str,
    iterations: usize,
) -> Vec<SubmitRow> {
    let mut rows = Vec::new();
    for (i, m) in models.iter().enumerate() {
        let msg = &m.submissions[0];
        for verifier in ["cached", "cold"] {
            let what = format!(
                "submit {} {} on {store} ({verifier})",
                m.prep.case.name,
                m.prep.case.kind()
            );
            let (first, time) = repeat(&what, WARM_UP, iterations, || {
                if verifier == "cold" {
                    deai_inference::zk::forget(m.model_id);
                }
                world::run_msg(router, state, SUBMIT_HEIGHT, msg).map_err(|e| format!("{e:?}"))
            });
            rows.push(SubmitRow {
                model: i,
                store,
                verifier,
                gas: first.gas,
                msg_bytes: prost::Message::encoded_len(msg),
                writes: first.writes.len(),
                events: first.events,
                time,
            });
        }
    }
    rows
}

/// A block's worth of distinct submissions of one model, back to back on one thread.
#[derive(Clone, Debug)]
pub struct BatchRow {
    pub model: usize,
    pub store: &'static str,
    /// "msg" (message execution only) or "tx" (signed txs: decode, ante, signature, message).
    pub path: &'static str,
    pub n: usize,
    /// Largest gas of one submission (msg: the message; tx: the tx's gas used, ante included).
    pub max_gas: u64,
    pub mean_gas: f64,
    /// Wall time of the whole batch, per round.
    pub time: Summary,
    /// The process's CPU time of the whole batch, per round: on a shared machine a batch of
    /// hundreds of ms is preempted, and its wall time counts other processes' turns.
    pub cpu: Summary,
}

impl BatchRow {
    /// Verified submissions per wall-clock second at the median round.
    pub fn rate(&self) -> f64 {
        per_second(self.n, self.time.median)
    }
    /// Verified submissions per CPU second (one core busy) at the median round.
    pub fn cpu_rate(&self) -> f64 {
        per_second(self.n, self.cpu.median)
    }
}

/// CPU time used so far by this process, all threads (the measurements run on one thread
/// at a time: the caller, or the one-thread rayon pool while the caller waits).
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// `n` events in `d`, per second (0 for no time).
pub fn per_second(n: usize, d: Duration) -> f64 {
    if d.is_zero() {
        0.0
    } else {
        n as f64 / d.as_secs_f64()
    }
}

/// Runs `one(delta, k)` for every k in 0..n on one block Delta over `parent`, applying each
/// result's writes before the next (as FinalizeBlock does); one untimed round, then `rounds`
/// timed ones, each from a fresh Delta. Returns the per-item gases and the rounds' times.
fn rounds(
    what: &str,
    parent: &dyn StateRead,
    n: usize,
    rounds: usize,
    mut one: impl FnMut(&Delta, usize) -> Result<(u64, deai_framework::state::WriteSet), String>,
) -> (Vec<u64>, Summary, Summary) {
    let mut gases: Option<Vec<u64>> = None;
    let (mut times, mut cpus) = (Vec::new(), Vec::new());
    for round in 0..=rounds.max(1) {
        let mut delta = Delta::new(parent);
        let mut g = Vec::with_capacity(n);
        let (start, cpu) = (Instant::now(), process_cpu_time());
        for k in 0..n {
            let (gas, writes) = one(&delta, k).unwrap_or_else(|e| panic!("{what} #{k}: {e}"));
            delta.apply(writes);
            g.push(gas);
        }
        let (elapsed, cpu) = (start.elapsed(), process_cpu_time().saturating_sub(cpu));
        match &gases {
            None => gases = Some(g),
            Some(first) => assert_eq!(first, &g, "{what}: rounds differ in gas"),
        }
        if round > 0 {
            times.push(elapsed);
            cpus.push(cpu);
        }
    }
    (
        gases.expect("one round"),
        Summary::of(&times).expect("timed rounds"),
        Summary::of(&cpus).expect("timed rounds"),
    )
}

fn batch_row(
    model: usize,
    store: &'static str,
    path: &'static str,
    g: &[u64],
    (time, cpu): (Summary, Summary),
) -> BatchRow {
    BatchRow {
        model,
        store,
        path,
        n: g.len(),
        max_gas: g.iter().copied().max().unwrap_or(0),
        mean_gas: g.iter().sum::<u64>() as f64 / g.len().max(1) as f64,
        time,
        cpu,
    }
}

/// Every submission of `m` as messages, in one block at `SUBMIT_HEIGHT`.
pub fn batch_msgs(
    router: &Router,
    m: &ModelState,
    model: usize,
    parent: &dyn StateRead,
    store: &'static str,
    n_rounds: usize,
) -> BatchRow {
    let what = format!("batch of {} on {store}", m.prep.case.name);
    let (g, time, cpu) = rounds(&what, parent, m.submissions.len(), n_rounds, |delta, k| {
        let run = world::run_msg(router, delta, SUBMIT_HEIGHT, &m.submissions[k])
            .map_err(|e| format!("{e:?}"))?;
        Ok((run.gas, run.writes))
    });
    batch_row(model, store, "msg", &g, (time, cpu))
}

/// Every submission of `m` as a signed tx through deaid's `run_tx` (FinalizeBlock mode),
/// with a fresh signature cache each round (signatures verified, as on a node that did not
/// see the txs in CheckTx).
pub fn batch_txs(
    router: &Router,
    m: &ModelState,
    model: usize,
    parent: &dyn StateRead,
    store: &'static str,
    n_rounds: usize,
) -> BatchRow {
    let what = format!("tx batch of {} on {store}", m.prep.case.name);
    let price = GasPrice::default_price();
    let mut cache = SigCache::new(1);
    let block = world::block(SUBMIT_HEIGHT);
    let (g, time, cpu) = rounds(&what, parent, m.txs.len(), n_rounds, |delta, k| {
        if k == 0 {
            cache = SigCache::new(1);
        }
        let env = AnteEnv {
            chain_id: CHAIN_ID,
            min_gas_price: &price,
            sig_cache: &cache,
            simulate_gas_limit: deaid::tx::ante::SIMULATE_GAS_CAP,
            router: None,
        };
        let out = run_tx(router, &env, delta, &m.txs[k], ExecMode::Finalize, &block);
        if !out.is_ok() {
            return Err(format!(
                "code {} ({}): {}",
                out.code, out.codespace, out.log
            ));
        }
        Ok((out.gas_used, out.writes))
    });
    batch_row(model, store, "tx", &g, (time, cpu))
}

/// Whether a model's first request can be answered at each height around its window:
/// (blocks after the request, accepted, or the error's codespace and code).
pub fn latency(
    router: &Router,
    m: &ModelState,
    state: &dyn StateRead,
) -> Vec<(u64, Result<(), String>)> {
    let msg: &Any = &m.submissions[0];
    [0, 1, DEADLINE_BLOCKS, DEADLINE_BLOCKS + 1]
        .into_iter()
        .map(|after| {
            let r = world::run_msg(router, state, REQUEST_HEIGHT + after, msg)
                .map(|_| ())
                .map_err(|e| format!("{} {}: {}", e.codespace, e.code, e.log));
            (after, r)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_advances_with_work() {
        let a = process_cpu_time();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(process_cpu_time() > a);
    }

    #[test]
    fn rates() {
        assert_eq!(per_second(200, Duration::from_millis(500)), 400.0);
        assert_eq!(per_second(5, Duration::ZERO), 0.0);
    }

    #[test]
    fn batch_gas_summary() {
        let t = Summary::of(&[Duration::from_millis(10)]).unwrap();
        let c = Summary::of(&[Duration::from_millis(5)]).unwrap();
        let r = batch_row(0, "MemStore", "msg", &[100, 300, 200], (t, c));
        assert_eq!((r.n, r.max_gas), (3, 300));
        assert_eq!(r.mean_gas, 200.0);
        assert_eq!((r.rate(), r.cpu_rate()), (300.0, 600.0));
    }
}
