//! Progress for long jobs: a bar on a terminal, periodic log lines otherwise.

use std::io::IsTerminal;

use deai_worker_engine::Progress;
use deai_worker_jobs::Digest;
use indicatif::{ProgressBar, ProgressStyle};

pub fn for_terminal(quiet: bool) -> Box<dyn Progress> {
    if !quiet && std::io::stderr().is_terminal() {
        Box::new(Bar { bar: None })
    } else {
        Box::new(Log {
            what: String::new(),
            total: 0,
            next_report: 0,
        })
    }
}

struct Bar {
    bar: Option<ProgressBar>,
}

impl Progress for Bar {
    fn begin(&mut self, what: &str, total: u64) {
        let bar = ProgressBar::new(total);
        let style =
            ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} steps {msg} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(what.to_string());
        self.bar = Some(bar);
    }
    fn step(&mut self, done: u64, loss: f64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
            if loss != 0.0 {
                b.set_message(format!("loss {loss:.4}"));
            }
        }
    }
    fn checkpoint(&mut self, index: usize, step: u64, hash: &Digest) {
        if let Some(b) = &self.bar {
            b.println(format!(
                "checkpoint {index} at step {step}: {}",
                &hash.to_hex()[..16]
            ));
        }
    }
    fn end(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// Logs about every 10% of the steps, and every checkpoint at debug level.
struct Log {
    what: String,
    total: u64,
    next_report: u64,
}

impl Progress for Log {
    fn begin(&mut self, what: &str, total: u64) {
        self.what = what.to_string();
        self.total = total;
        self.next_report = (total / 10).max(1);
        tracing::info!(job = %self.what, total_steps = total, "started");
    }
    fn step(&mut self, done: u64, loss: f64) {
        if done >= self.next_report {
            tracing::info!(job = %self.what, step = done, total = self.total, loss, "progress");
            self.next_report = done + (self.total / 10).max(1);
        }
    }
    fn checkpoint(&mut self, index: usize, step: u64, hash: &Digest) {
        tracing::debug!(job = %self.what, index, step, %hash, "checkpoint");
    }
    fn end(&mut self) {
        tracing::info!(job = %self.what, "finished");
    }
}
