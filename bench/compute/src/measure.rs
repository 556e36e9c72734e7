//! Timed runs: each message N times on a fresh clone of its prepared state, and `end_block`
//! N times on each prepared state, the states' runs interleaved.

use deai_bench_common::exec::{interleave, repeat, RunFn};

use crate::scenario::MsgCase;
use crate::stats::Summary;
use crate::world;

/// Fewest untimed runs before the timed ones.
pub const WARM_UP: usize = 50;

/// What a message costs.
#[derive(Clone, Debug)]
pub struct MsgRow {
    pub name: String,
    pub case: &'static str,
    /// Gas the message's execution consumed (the same on every run, or the bench panics).
    pub gas: u64,
    /// The encoded `Any`: each byte of a tx costs `tx_size_cost_per_byte` (10) more in ante.
    pub msg_bytes: usize,
    pub writes: usize,
    pub events: usize,
    pub time: Summary,
}

/// What one `end_block` costs on one state.
#[derive(Clone, Debug)]
pub struct EndBlockRow {
    pub leases: u32,
    /// Keys in the state (every module's).
    pub keys: usize,
    pub store: &'static str,
    pub gas: u64,
    pub writes: usize,
    pub events: usize,
    pub time: Summary,
}

pub fn messages(cases: &[MsgCase], iterations: usize) -> Vec<MsgRow> {
    let router = world::router();
    cases
        .iter()
        .map(|c| {
            let what = format!("{} ({})", c.name, c.case);
            let (first, time) = repeat(&what, WARM_UP, iterations, || {
                let fresh = c.state.clone();
                world::run_msg(&router, &fresh, c.height, &c.msg).map_err(|e| format!("{e:?}"))
            });
            MsgRow {
                name: c.name.clone(),
                case: c.case,
                gas: first.gas,
                msg_bytes: prost::Message::encoded_len(&c.msg),
                writes: first.writes.len(),
                events: first.events,
                time,
            }
        })
        .collect()
}

/// One state's `end_block`, to time: `run` runs it once.
pub struct EndBlockCase<'a> {
    pub leases: u32,
    pub keys: usize,
    pub store: &'static str,
    pub run: RunFn<'a>,
}

/// Times every case's `end_block`, interleaved round by round (`interleave`), so that a
/// ratio between two of them is not moved by the machine's load drifting. Each run is on an
/// overlay that leaves its state untouched, so every run starts from the same prepared state
/// without cloning it.
pub fn end_blocks(cases: Vec<EndBlockCase<'_>>, iterations: usize) -> Vec<EndBlockRow> {
    let names: Vec<String> = cases
        .iter()
        .map(|c| format!("end_block with {} leases on {}", c.leases, c.store))
        .collect();
    let what: Vec<&str> = names.iter().map(String::as_str).collect();
    let (meta, mut runs): (Vec<_>, Vec<_>) = cases
        .into_iter()
        .map(|c| ((c.leases, c.keys, c.store), c.run))
        .unzip();
    interleave(&what, WARM_UP, iterations, &mut runs)
        .into_iter()
        .zip(meta)
        .map(|((first, time), (leases, keys, store))| EndBlockRow {
            leases,
            keys,
            store,
            gas: first.gas,
            writes: first.writes.len(),
            events: first.events,
            time,
        })
        .collect()
}
