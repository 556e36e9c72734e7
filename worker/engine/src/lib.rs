//! The deai worker's libtorch engine: train, evaluate, infer and replay jobs on the model
//! zoo, bit-reproducible on CPU. A library, so that the CLI today and the chain client
//! later drive the same code.

pub mod answer;
pub mod checkpoint;
pub mod data;
pub mod error;
pub mod eval;
pub mod model;
pub mod optim;
pub mod publish;
pub mod replay;
pub mod runtime;
pub mod state;
pub mod train;

pub use answer::{segment_answer, SegmentAnswer, SegmentStart};
pub use error::EngineError;
pub use eval::{evaluate, infer};
pub use publish::{verify_published, Published, VerifiedMetrics};
pub use replay::{replay_range, replay_segment, Budget};
pub use runtime::Deterministic;
pub use train::train;

use deai_worker_jobs::Digest;

/// Observes long-running work: the CLI draws progress bars or logs from it.
pub trait Progress {
    fn begin(&mut self, _what: &str, _total_steps: u64) {}
    fn step(&mut self, _done: u64, _loss: f64) {}
    fn checkpoint(&mut self, _index: usize, _step: u64, _hash: &Digest) {}
    fn end(&mut self) {}
    /// Polled between training steps: `true` stops the job there with
    /// `EngineError::Cancelled` (a daemon's shutdown).
    fn cancelled(&self) -> bool {
        false
    }
}

/// A `Progress` that ignores everything.
pub struct Silent;
impl Progress for Silent {}
