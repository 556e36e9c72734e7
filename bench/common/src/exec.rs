//! Running a message or a block hook the way the app's FinalizeBlock does (decoded through
//! the `Router`, executed on a `Ctx` overlay of the state with a `GasMeter`), timed, and
//! repeating such a run to time it: what the compute, inference and training benches'
//! in-memory chains share.

use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use prost::Name;

use deai_framework::context::BlockInfo;
use deai_framework::state::WriteSet;
use deai_framework::{Ctx, GasMeter, MemStore, Router, StateRead, TxError};

use crate::stats::Summary;

/// The chain id of every bench block.
pub const CHAIN_ID: &str = "deai-bench";
/// The previous block's hash of every bench block (it seeds the draws).
pub const PREV_BLOCK_HASH: [u8; 32] = [0x5a; 32];
/// The bench chains' one denom.
pub const DENOM: &str = "udeai";

/// The bench block at `height` (6 s blocks).
pub fn block(height: u64) -> BlockInfo {
    BlockInfo {
        height,
        time_unix: 1_700_000_000 + 6 * height as i64,
        chain_id: CHAIN_ID.into(),
        prev_block_hash: PREV_BLOCK_HASH,
        ..Default::default()
    }
}

/// `amount` of [`DENOM`].
pub fn coin(amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: DENOM.into(),
        amount: amount.to_string(),
    }
}

pub fn any<P: prost::Message + Name>(p: &P) -> Any {
    Any {
        type_url: P::type_url(),
        value: p.encode_to_vec(),
    }
}

/// What one timed execution did.
pub struct Run {
    pub gas: u64,
    pub elapsed: Duration,
    pub writes: WriteSet,
    pub events: usize,
    /// The message's response (empty for a block hook).
    pub response: Any,
}

/// Decodes (stateless validation included) and executes `msg` at `height` on an overlay of
/// `state`, as the app's FinalizeBlock does; the time covers decode, execute and collecting
/// the writes. The parent state is only read.
pub fn run_msg(
    router: &Router,
    state: &dyn StateRead,
    height: u64,
    msg: &Any,
) -> Result<Run, TxError> {
    timed(state, height, |ctx| router.decode(msg)?.execute(ctx))
}

/// Runs `p` at `height` and applies its writes to `s`; panics on failure (a broken setup).
/// The run, its writes taken.
pub fn apply<P: prost::Message + Name>(
    router: &Router,
    s: &mut MemStore,
    height: u64,
    p: &P,
) -> Run {
    let mut run = run_msg(router, s, height, &any(p))
        .unwrap_or_else(|e| panic!("{} at {height}: {e:?}", P::type_url()));
    s.apply(std::mem::take(&mut run.writes));
    run
}

/// Runs a block hook (a module's `end_block`) at `height` on an overlay of `state` (an
/// infinite meter, as the app's block hooks; its count is still reported).
pub fn run_hook(
    state: &dyn StateRead,
    height: u64,
    hook: impl FnOnce(&mut Ctx) -> Result<(), TxError>,
) -> Result<Run, TxError> {
    timed(state, height, |ctx| hook(ctx).map(|()| Any::default()))
}

/// Runs `f` on a `Ctx` overlay of `state` at `height` with an infinite meter, timing it
/// and collecting the writes.
fn timed(
    state: &dyn StateRead,
    height: u64,
    f: impl FnOnce(&mut Ctx) -> Result<Any, TxError>,
) -> Result<Run, TxError> {
    let block = block(height);
    let gas = GasMeter::infinite();
    let start = Instant::now();
    let mut ctx = Ctx::new(state, &gas, &block);
    let response = f(&mut ctx)?;
    let (writes, events) = ctx.finish();
    let elapsed = start.elapsed();
    Ok(Run {
        gas: gas.consumed(),
        elapsed,
        writes,
        events: events.len(),
        response,
    })
}

/// One repeatable run, for [`interleave_times`].
pub type RunFn<'a> = Box<dyn FnMut() -> Result<Run, String> + 'a>;

/// Runs `run` `warm_up` times untimed (at least once: the first run is the one returned),
/// then `iterations` timed times (at least one); every run must consume the same gas, write
/// as many keys and emit as many events (the state machine is deterministic). The first
/// run and the timed runs' times.
pub fn repeat_times(
    what: &str,
    warm_up: usize,
    iterations: usize,
    run: impl FnMut() -> Result<Run, String>,
) -> (Run, Vec<Duration>) {
    let mut runs: [RunFn<'_>; 1] = [Box::new(run)];
    let mut out = interleave_times(&[what], warm_up, iterations, &mut runs);
    out.pop().expect("one run in, one out")
}

/// [`repeat_times`] for several runs at once, in rounds of one run of each: a bench that
/// compares them (a ratio of medians) then compares runs made under the same machine load,
/// where timing them one after the other lets the load drift between them (on a shared
/// 2-core machine, a ratio moved by up to 0.8 from run to run that way). `what[i]` names
/// `runs[i]`; one (first run, times) per run, in order.
pub fn interleave_times(
    what: &[&str],
    warm_up: usize,
    iterations: usize,
    runs: &mut [RunFn<'_>],
) -> Vec<(Run, Vec<Duration>)> {
    assert_eq!(what.len(), runs.len(), "a name for each run");
    let once = |i: usize, run: &mut RunFn<'_>| run().unwrap_or_else(|e| panic!("{}: {e}", what[i]));
    let firsts: Vec<Run> = runs
        .iter_mut()
        .enumerate()
        .map(|(i, r)| once(i, r))
        .collect();
    for _ in 1..warm_up {
        for (i, r) in runs.iter_mut().enumerate() {
            once(i, r);
        }
    }
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(iterations.max(1)); runs.len()];
    for _ in 0..iterations.max(1) {
        for (i, r) in runs.iter_mut().enumerate() {
            let run = once(i, r);
            let first = &firsts[i];
            assert_eq!(
                (run.gas, run.writes.len(), run.events),
                (first.gas, first.writes.len(), first.events),
                "{}: runs differ",
                what[i]
            );
            times[i].push(run.elapsed);
        }
    }
    firsts.into_iter().zip(times).collect()
}

/// [`interleave_times`] with at least `warm_up` untimed rounds (or a tenth of `iterations`,
/// when more: see [`repeat`]), and each run's summary.
pub fn interleave(
    what: &[&str],
    warm_up: usize,
    iterations: usize,
    runs: &mut [RunFn<'_>],
) -> Vec<(Run, Summary)> {
    interleave_times(what, warm_up.max(iterations / 10), iterations, runs)
        .into_iter()
        .map(|(first, times)| (first, Summary::of(&times).expect("at least one run")))
        .collect()
}

/// [`repeat_times`] with at least `warm_up` untimed runs (or a tenth of `iterations`, when
/// more: caches, and a store just loaded reads slower for its first few dozen runs), and
/// the timed runs' summary.
pub fn repeat(
    what: &str,
    warm_up: usize,
    iterations: usize,
    run: impl FnMut() -> Result<Run, String>,
) -> (Run, Summary) {
    let mut runs: [RunFn<'_>; 1] = [Box::new(run)];
    let mut out = interleave(&[what], warm_up, iterations, &mut runs);
    out.pop().expect("one run in, one out")
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn fake(gas: u64) -> Run {
        Run {
            gas,
            elapsed: Duration::from_micros(gas),
            writes: WriteSet::new(),
            events: 0,
            response: Any::default(),
        }
    }

    #[test]
    fn runs_alternate_round_by_round_and_each_keeps_its_own_times() {
        let order = RefCell::new(Vec::new());
        let mut runs: Vec<RunFn<'_>> = (0..3u64)
            .map(|i| {
                let order = &order;
                Box::new(move || {
                    order.borrow_mut().push(i);
                    Ok(fake(10 + i))
                }) as RunFn<'_>
            })
            .collect();
        let out = interleave_times(&["a", "b", "c"], 2, 4, &mut runs);
        // One first run each, one more warm-up round, then four timed rounds.
        let expected: Vec<u64> = (0..6).flat_map(|_| 0..3).collect();
        assert_eq!(*order.borrow(), expected);
        for (i, (first, times)) in out.iter().enumerate() {
            assert_eq!(first.gas, 10 + i as u64);
            assert_eq!(times, &vec![Duration::from_micros(10 + i as u64); 4]);
        }
    }

    #[test]
    #[should_panic(expected = "b: runs differ")]
    fn a_run_that_changes_its_gas_is_refused() {
        let calls = RefCell::new(0u64);
        let mut runs: Vec<RunFn<'_>> = vec![
            Box::new(|| Ok(fake(1))),
            Box::new(|| {
                *calls.borrow_mut() += 1;
                Ok(fake(*calls.borrow()))
            }),
        ];
        interleave_times(&["a", "b"], 1, 2, &mut runs);
    }
}
