//! Process-wide libtorch settings for bit-reproducible CPU execution, and the check that
//! they are in force.
//!
//! `init` is the only function here with process-wide effects; a daemon or the CLI calls
//! it once at start. Everything that must reproduce bits (training, replay) then asks for
//! a [`Deterministic`] token, which only reads the settings and the host, and refuses a
//! host or process that cannot honour them.

use std::sync::Once;

use deai_worker_jobs::audit::{Environment, DETERMINISTIC_MODE};
use deai_worker_jobs::spec::Device;
use deai_worker_jobs::DeviceRecord;

use crate::error::EngineError;

/// The worker's version, recorded in every result.
pub const WORKER_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The libtorch version read from `$LIBTORCH/version.py` at build time.
pub const LIBTORCH_VERSION: &str = env!("DEAI_LIBTORCH_VERSION");

const ENV: [(&str, &str); 5] = [
    // The thread count changes the reduction order, hence the bits.
    ("OMP_NUM_THREADS", "1"),
    // Pin MKL's and ATen's kernel choice, so every x86-64 CPU with AVX2 runs the same code.
    ("MKL_CBWR", "AVX2"),
    ("ATEN_CPU_CAPABILITY", "avx2"),
    // oneDNN (the CNN's convolutions) picks its own kernels by ISA; pin them as well.
    ("ONEDNN_MAX_CPU_ISA", "AVX2"),
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

/// Puts libtorch in deterministic CPU mode. Call it before the first torch call: the
/// settings only take effect then. Values already in the environment are overwritten: a
/// result must not depend on the caller's shell.
pub fn init() {
    INIT.call_once(|| {
        for (k, v) in ENV {
            std::env::set_var(k, v);
        }
        tch::set_num_threads(1);
        tch::set_num_interop_threads(1);
    });
}

/// Proof that this process computes bit-reproducibly on this host. Obtained only from
/// [`deterministic_cpu`].
#[derive(Clone, Copy, Debug)]
pub struct Deterministic(());

/// The host's architecture and the instruction sets deterministic mode relies on.
pub fn host_isa() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        let mut s = String::from("x86_64");
        for (name, on) in [
            ("avx2", std::is_x86_feature_detected!("avx2")),
            ("fma", std::is_x86_feature_detected!("fma")),
            ("avx512f", std::is_x86_feature_detected!("avx512f")),
        ] {
            if on {
                s.push(' ');
                s.push_str(name);
            }
        }
        s
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH.to_string()
    }
}

fn host_supports_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Checks, without changing anything, that deterministic CPU mode holds: an x86-64 host
/// with AVX2 and FMA, the pinned kernel settings in the environment, one intra-op thread.
pub fn deterministic_cpu() -> Result<Deterministic, EngineError> {
    if !host_supports_avx2() {
        return Err(EngineError::NotDeterministic(format!(
            "deterministic CPU mode needs an x86-64 CPU with AVX2 and FMA; this host is {}",
            host_isa()
        )));
    }
    if let Some((k, v)) = env_to_fix().into_iter().next() {
        return Err(EngineError::NotDeterministic(format!(
            "{k} is {:?}, deterministic mode needs {v:?} (runtime::init was not called first)",
            std::env::var(k).unwrap_or_default()
        )));
    }
    let threads = tch::get_num_threads();
    if threads != 1 {
        return Err(EngineError::NotDeterministic(format!(
            "libtorch runs {threads} intra-op threads, deterministic mode needs 1"
        )));
    }
    Ok(Deterministic(()))
}

/// Maps the spec's device to a tch device, failing early when CUDA is asked for but
/// absent, or when this host cannot run deterministic CPU mode.
pub fn device(spec: Device) -> Result<tch::Device, EngineError> {
    init();
    match spec {
        Device::Cpu => deterministic_cpu().map(|_| tch::Device::Cpu),
        Device::Cuda => {
            if tch::Cuda::is_available() {
                Ok(tch::Device::Cuda(0))
            } else {
                Err(EngineError::CudaUnavailable)
            }
        }
    }
}

/// libtorch's intra-op thread count, as in force.
pub fn intra_op_threads() -> u32 {
    u32::try_from(tch::get_num_threads()).unwrap_or(0)
}

fn env_value(key: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| "unset".into())
}

/// The settings in force, read from the process (not constants).
pub fn device_record(device: tch::Device) -> DeviceRecord {
    let (mode, name) = match device {
        tch::Device::Cuda(i) => ("cuda".to_string(), format!("cuda:{i}")),
        _ => (DETERMINISTIC_MODE.to_string(), "cpu".to_string()),
    };
    DeviceRecord {
        mode,
        name,
        intra_op_threads: intra_op_threads(),
        cpu_capability: env_value("ATEN_CPU_CAPABILITY"),
        mkl_cbwr: env_value("MKL_CBWR"),
        onednn_max_cpu_isa: env_value("ONEDNN_MAX_CPU_ISA"),
        cpu_isa: host_isa(),
    }
}

/// This verifier's build and settings, for `audit::check_claim`.
pub fn environment(_: Deterministic) -> Environment {
    Environment {
        worker_version: WORKER_VERSION.into(),
        libtorch_version: LIBTORCH_VERSION.into(),
        device: device_record(tch::Device::Cpu),
    }
}
