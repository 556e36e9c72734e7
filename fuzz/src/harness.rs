//! The run loop: draw an input, run it under `catch_unwind`, and on a panic (on this thread
//! or any thread it started) save the input as hex with the panic's message, then go on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::rng::Rng;

/// A fuzz target: makes inputs (from its seed corpus, mutated or generated) and runs them.
/// Every input must be handled without a panic; errors are the expected outcome.
pub trait Target {
    fn name(&self) -> &'static str;
    /// The next input to run.
    fn next_input(&mut self, rng: &mut Rng) -> Vec<u8>;
    /// Runs one input. The harness counts a panic as a bug.
    fn run(&mut self, input: &[u8]);
    /// How deep the inputs got (e.g. how many were accepted), for the report.
    fn stats(&self) -> String {
        String::new()
    }
    /// Where a dependency panics on hostile input that deai's own code catches on purpose
    /// (part of a source path, such as `/subtle-encoding-0.5.1/src/`). Such a panic is counted
    /// as contained, not as a bug, as long as it does not escape the input.
    fn contained_panics(&self) -> &'static [&'static str] {
        &[]
    }
}

/// Panics seen by the hook, on any thread, since start.
static PANICS: AtomicU64 = AtomicU64::new(0);
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());
/// Panics at a location of the running target's `contained_panics`, since start.
static CONTAINED: AtomicU64 = AtomicU64::new(0);
static CONTAINED_AT: Mutex<&'static [&'static str]> = Mutex::new(&[]);
/// True while the harness runs an input: its panics are reported by the harness, any other
/// (setup, a bug of the fuzzer itself) by the hook.
static IN_HARNESS: AtomicBool = AtomicBool::new(false);

/// Replaces the default panic hook (which prints every panic) with one that records it for
/// the harness; installed once per process.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let file = info.location().map(|l| l.file()).unwrap_or_default();
        let contained_at = *CONTAINED_AT.lock().unwrap_or_else(|p| p.into_inner());
        // A contained panic that escapes the input still counts: the harness catches it.
        match contained_at.iter().any(|at| file.contains(at)) {
            true => CONTAINED.fetch_add(1, Ordering::SeqCst),
            false => PANICS.fetch_add(1, Ordering::SeqCst),
        };
        let msg = format!("{info}\n{}", std::backtrace::Backtrace::force_capture());
        if !IN_HARNESS.load(Ordering::SeqCst) {
            eprintln!("deai-fuzz: panic outside an input: {msg}");
        }
        *LAST_PANIC.lock().unwrap_or_else(|p| p.into_inner()) = msg;
    }));
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub target: &'static str,
    pub inputs: u64,
    pub panics: u64,
    /// Panics of `Target::contained_panics` that deai's code caught.
    pub contained: u64,
    pub elapsed: Duration,
    /// Files written for the panicking inputs.
    pub saved: Vec<PathBuf>,
    pub stats: String,
}

impl Report {
    pub fn per_sec(&self) -> f64 {
        self.inputs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Panicking inputs saved per distinct panic location; the run counts the rest and goes on.
pub const SAVED_PER_LOCATION: usize = 3;
/// Distinct panic locations after which the run of a target stops.
pub const MAX_LOCATIONS: usize = 50;

/// Where a panic message says it panicked (its first line, `panicked at <file:line:col>:`).
fn location(msg: &str) -> String {
    msg.lines().next().unwrap_or_default().to_string()
}

/// Runs `iters` inputs of `target`, saving panicking inputs under `out`.
pub fn run(target: &mut dyn Target, rng: &mut Rng, iters: u64, out: &Path) -> Report {
    let start = Instant::now();
    let mut report = Report {
        target: target.name(),
        ..Report::default()
    };
    let mut last_print = Instant::now();
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    *CONTAINED_AT.lock().unwrap_or_else(|p| p.into_inner()) = target.contained_panics();
    let contained_before = CONTAINED.load(Ordering::SeqCst);
    for i in 0..iters {
        let before = PANICS.load(Ordering::SeqCst);
        IN_HARNESS.store(true, Ordering::SeqCst);
        // Making an input may run the node's code too (a target keeps inputs that decode).
        let mut input = Vec::new();
        let caught = catch_unwind(AssertUnwindSafe(|| {
            input = target.next_input(rng);
            target.run(&input);
        }))
        .is_err();
        IN_HARNESS.store(false, Ordering::SeqCst);
        report.inputs += 1;
        if caught || PANICS.load(Ordering::SeqCst) != before {
            report.panics += 1;
            let msg = LAST_PANIC.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let n = seen.entry(location(&msg)).or_default();
            *n += 1;
            if *n <= SAVED_PER_LOCATION {
                match save(out, target.name(), i, &input, &msg) {
                    Ok(p) => {
                        eprintln!(
                            "PANIC in {} at input {i}: saved {}\n{msg}",
                            target.name(),
                            p.display()
                        );
                        report.saved.push(p);
                    }
                    Err(e) => eprintln!(
                        "PANIC in {} at input {i} (not saved: {e})\n{msg}",
                        target.name()
                    ),
                }
            }
            if seen.len() >= MAX_LOCATIONS {
                break;
            }
        }
        if last_print.elapsed() > Duration::from_secs(30) {
            last_print = Instant::now();
            let rate = report.inputs as f64 / start.elapsed().as_secs_f64();
            eprintln!(
                "  {}: {} inputs, {rate:.0}/s, {} panics",
                target.name(),
                report.inputs,
                report.panics
            );
        }
    }
    report.elapsed = start.elapsed();
    report.contained = CONTAINED.load(Ordering::SeqCst) - contained_before;
    *CONTAINED_AT.lock().unwrap_or_else(|p| p.into_inner()) = &[];
    report.stats = target.stats();
    for (at, n) in &seen {
        eprintln!("{}: {n} inputs {at}", target.name());
    }
    report
}

/// Writes `<out>/<target>-<index>.hex` (the input) and `.txt` (the panic).
fn save(out: &Path, target: &str, index: u64, input: &[u8], msg: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    let path = out.join(format!("{target}-{index}.hex"));
    std::fs::write(&path, hex::encode(input))?;
    std::fs::write(path.with_extension("txt"), msg)?;
    Ok(path)
}

/// Runs one saved input (hex) of `target`: Err with the panic's message if it panics.
pub fn replay(target: &mut dyn Target, hex_input: &str) -> anyhow::Result<()> {
    let input = hex::decode(hex_input.trim())?;
    let before = PANICS.load(Ordering::SeqCst);
    *CONTAINED_AT.lock().unwrap_or_else(|p| p.into_inner()) = target.contained_panics();
    IN_HARNESS.store(true, Ordering::SeqCst);
    let caught = catch_unwind(AssertUnwindSafe(|| target.run(&input))).is_err();
    IN_HARNESS.store(false, Ordering::SeqCst);
    *CONTAINED_AT.lock().unwrap_or_else(|p| p.into_inner()) = &[];
    if caught || PANICS.load(Ordering::SeqCst) != before {
        let msg = LAST_PANIC.lock().unwrap_or_else(|p| p.into_inner()).clone();
        anyhow::bail!("{} panicked: {msg}", target.name());
    }
    Ok(())
}

/// The panic counters are process-wide: tests that run the harness take turns, so that one
/// test's planted panics are not counted against another's inputs.
#[cfg(test)]
pub(crate) static TEST_SERIAL: Mutex<()> = Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    /// A target with a planted bug: it panics on inputs starting with 0xff.
    struct Planted;

    impl Target for Planted {
        fn name(&self) -> &'static str {
            "planted"
        }
        fn next_input(&mut self, rng: &mut Rng) -> Vec<u8> {
            rng.bytes(2)
        }
        fn run(&mut self, input: &[u8]) {
            if input.first() == Some(&0xff) {
                panic!("planted bug");
            }
        }
    }

    #[test]
    fn a_panicking_input_is_caught_saved_and_replays() {
        let _turn = TEST_SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        install_panic_hook();
        let dir = tempfile::tempdir().unwrap();
        let r = run(&mut Planted, &mut Rng::new(1), 5000, dir.path());
        assert!(r.panics > 0 && r.inputs > 0);
        let saved = std::fs::read_to_string(&r.saved[0]).unwrap();
        assert!(saved.starts_with("ff"));
        let txt = std::fs::read_to_string(r.saved[0].with_extension("txt")).unwrap();
        assert!(txt.contains("planted bug"), "{txt}");
        assert!(replay(&mut Planted, &saved).is_err());
        assert!(replay(&mut Planted, "00").is_ok());
    }

    /// Catches its own panics (as deai_rpc::decode does a dependency's) on inputs starting
    /// with 0x01, and lets those on 0xff escape.
    struct Contains;

    impl Target for Contains {
        fn name(&self) -> &'static str {
            "contains"
        }
        fn next_input(&mut self, rng: &mut Rng) -> Vec<u8> {
            rng.bytes(1)
        }
        fn run(&mut self, input: &[u8]) {
            match input.first() {
                Some(1) => assert!(catch_unwind(|| panic!("caught")).is_err()),
                Some(0xff) => panic!("escapes"),
                _ => {}
            }
        }
        fn contained_panics(&self) -> &'static [&'static str] {
            &["fuzz/src/harness.rs"]
        }
    }

    #[test]
    fn a_contained_panic_is_counted_apart_and_an_escaping_one_is_still_a_bug() {
        let _turn = TEST_SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        install_panic_hook();
        let dir = tempfile::tempdir().unwrap();
        let r = run(&mut Contains, &mut Rng::new(3), 3000, dir.path());
        assert!(r.contained > 0, "{r:?}");
        assert!(r.panics > 0 && r.panics < 3000, "{r:?}");
        let txt = std::fs::read_to_string(r.saved[0].with_extension("txt")).unwrap();
        assert!(txt.contains("escapes"), "{txt}");
        assert!(replay(&mut Contains, "01").is_ok());
        assert!(replay(&mut Contains, "ff").is_err());
    }
}
