//! Process-wide libtorch settings for bit-reproducible CPU execution.

use std::sync::Once;

use deai_worker_jobs::spec::Device;
use deai_worker_jobs::DeviceRecord;

use crate::error::EngineError;

/// The worker's version, recorded in every result.
pub const WORKER_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The libtorch version read from `$LIBTORCH/version.py` at build time.
pub const LIBTORCH_VERSION: &str = env!("DEAI_LIBTORCH_VERSION");

const ENV: [(&str, &str); 4] = [
    // The thread count changes the reduction order, hence the bits.
    ("OMP_NUM_THREADS", "1"),
    // Pin MKL's and ATen's kernel choice, so every x86-64 CPU with AVX2 runs the same code.
    ("MKL_CBWR", "AVX2"),
    ("ATEN_CPU_CAPABILITY", "avx2"),
    // Spinning OpenMP threads made training 15x slower on a busy 2-core machine.
    ("OMP_WAIT_POLICY", "PASSIVE"),
];

static INIT: Once = Once::new();

/// The variables `init` sets whose current value differs, if any. OpenMP reads
/// `OMP_*` when libgomp loads, before `main`, so a binary that wants them honoured
/// re-executes itself with them set (see the CLI).
pub fn env_to_fix() -> Vec<(&'static str, &'static str)> {
    ENV.iter()
        .copied()
        .filter(|(k, v)| std::env::var(k).ok().as_deref() != Some(*v))
        .collect()
}

/// Puts libtorch in deterministic CPU mode. Every engine entry point calls it, and the
/// CLI calls it first thing, because the settings only take effect before the first
/// torch call. Values already in the environment are overwritten: a result must not
/// depend on the caller's shell.
pub fn init() {
    INIT.call_once(|| {
        for (k, v) in ENV {
            std::env::set_var(k, v);
        }
        tch::set_num_threads(1);
        tch::set_num_interop_threads(1);
    });
}

/// Maps the spec's device to a tch device, failing early when CUDA is asked for but
/// absent.
pub fn device(spec: Device) -> Result<tch::Device, EngineError> {
    init();
    match spec {
        Device::Cpu => Ok(tch::Device::Cpu),
        Device::Cuda => {
            if tch::Cuda::is_available() {
                Ok(tch::Device::Cuda(0))
            } else {
                Err(EngineError::CudaUnavailable)
            }
        }
    }
}

pub fn intra_op_threads() -> u32 {
    init();
    u32::try_from(tch::get_num_threads()).unwrap_or(0)
}

pub fn device_record(device: tch::Device) -> DeviceRecord {
    let (mode, name) = match device {
        tch::Device::Cuda(i) => ("cuda".to_string(), format!("cuda:{i}")),
        _ => ("cpu-deterministic".to_string(), "cpu".to_string()),
    };
    DeviceRecord {
        mode,
        name,
        intra_op_threads: intra_op_threads(),
        cpu_capability: "avx2".into(),
        mkl_cbwr: "AVX2".into(),
    }
}
