//! Job types of the deai worker, free of libtorch so that the chain, verifiers and
//! the artifact client can use them: versioned job specs with validation, result
//! records, sha256 digests, the canonical weight digest and the checkpoint hash chain,
//! and the seeded RNG that fixes data splits and batch order.

pub mod audit;
pub mod digest;
pub mod fedavg;
pub mod init;
pub mod result;
pub mod rng;
pub mod round;
pub mod schedule;
pub mod spec;
pub mod tensors;
pub mod verdict;

pub use digest::{canonical_digest, CanonicalTensor, ChainHasher, Digest, DigestParseError};
pub use fedavg::{fedavg, FedAvgError};
pub use result::{
    CheckpointRecord, DatasetRecord, DeviceRecord, EvalReport, InferReport, Metrics, TrainResult,
};
pub use round::{round_job, score_u16};
pub use spec::{JobKind, JobSpec, ShardSpec, SpecError};
pub use verdict::Verdict;
