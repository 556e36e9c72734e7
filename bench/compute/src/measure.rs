//! Timed runs: each message N times on a fresh clone of its prepared state, and `end_block`
//! N times on a prepared state.

use deai_bench_common::exec::repeat;
use deai_framework::StateRead;

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

/// Times `end_block` at `height` on `state`. The overlay leaves `state` untouched, so every
/// run starts from the same prepared state without cloning it.
pub fn end_block(
    leases: u32,
    keys: usize,
    store: &'static str,
    state: &dyn StateRead,
    height: u64,
    iterations: usize,
) -> EndBlockRow {
    let what = format!("end_block with {leases} leases on {store}");
    let (first, time) = repeat(&what, WARM_UP, iterations, || {
        world::run_end_block(state, height).map_err(|e| format!("{e:?}"))
    });
    EndBlockRow {
        leases,
        keys,
        store,
        gas: first.gas,
        writes: first.writes.len(),
        events: first.events,
        time,
    }
}
