//! Runs one job in its own process: `<exe> attest run --kind K --spec FILE --inputs DIR
//! --out FILE`, started in the job's directory with a cleared environment, resource limits
//! (setrlimit), its own process group, killed with its group at the wall-clock timeout, and
//! (where the kernel allows it) in new user and network namespaces, so it has no network.
//!
//! What this does NOT do: no seccomp filter, no filesystem isolation (the process runs as
//! the same user and can read and write what that user can), no cgroup (RLIMIT_AS bounds
//! its address space, not its resident memory across processes it forks).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::job::Kind;

/// File names inside a job's directory.
pub const SPEC_FILE: &str = "spec.json";
pub const INPUTS_DIR: &str = "inputs";
pub const OUT_FILE: &str = "result.hex";
pub const LOG_FILE: &str = "job.log";

/// Environment variables the job process inherits from the sidecar (libtorch's library
/// path, the log filter, the deterministic-mode settings); everything else is cleared.
const KEEP_ENV: &[&str] = &[
    "LD_LIBRARY_PATH",
    "LIBTORCH",
    "DEAI_LOG",
    "OMP_NUM_THREADS",
    "MKL_CBWR",
    "ATEN_CPU_CAPABILITY",
    "ONEDNN_MAX_CPU_ISA",
    "OMP_WAIT_POLICY",
];

/// Limits of one job process.
#[derive(Debug, Clone)]
pub struct Limits {
    /// RLIMIT_AS, bytes.
    pub memory_bytes: u64,
    /// Wall-clock time; the process group is killed when it passes. RLIMIT_CPU is set a
    /// little above it.
    pub timeout: Duration,
    /// RLIMIT_FSIZE: the largest file the job may write, bytes.
    pub file_bytes: u64,
    /// RLIMIT_NOFILE.
    pub open_files: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 4096 << 20,
            timeout: Duration::from_secs(600),
            file_bytes: 1 << 30,
            open_files: 256,
        }
    }
}

/// How the job process is started.
#[derive(Debug, Clone)]
pub struct Runner {
    /// The `deai-worker` binary.
    pub exe: PathBuf,
    pub limits: Limits,
    /// Whether to unshare user and network namespaces (decided once by [`probe_isolation`]).
    pub isolate_network: bool,
    /// Extra arguments after `attest run ...` (bounds the child applies itself).
    pub extra_args: Vec<OsString>,
}

fn set_rlimit(resource: libc::__rlimit_resource_t, value: u64) -> std::io::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: value as libc::rlim_t,
        rlim_max: value as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the struct we pass; it is async-signal-safe.
    if unsafe { libc::setrlimit(resource, &lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn unshare_network() -> std::io::Result<()> {
    // SAFETY: unshare only changes this (single-threaded, forked) process's namespaces.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Whether this kernel lets an unprivileged process unshare user and network namespaces:
/// starts `exe --version` that way once. Logs a warning if not.
pub fn probe_isolation(exe: &Path) -> bool {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(exe);
    cmd.arg("--version")
        .env_clear()
        .envs(kept_env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: the closure only makes async-signal-safe syscalls.
    unsafe {
        cmd.pre_exec(unshare_network);
    }
    let ok = matches!(cmd.status(), Ok(s) if s.success());
    if !ok {
        static WARNED: AtomicBool = AtomicBool::new(false);
        if !WARNED.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "the kernel refuses unprivileged user+network namespaces: jobs run WITHOUT network isolation"
            );
        }
    }
    ok
}

fn kept_env() -> Vec<(String, OsString)> {
    KEEP_ENV
        .iter()
        .filter_map(|k| std::env::var_os(k).map(|v| (k.to_string(), v)))
        .collect()
}

/// The last line of the job's log (at most 4 KiB read), for the sidecar's own log.
fn log_tail(path: &Path) -> String {
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut buf = Vec::new();
    use std::io::Seek;
    if f.seek(std::io::SeekFrom::Start(len.saturating_sub(4096)))
        .is_err()
    {
        return String::new();
    }
    if f.take(4096).read_to_end(&mut buf).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&buf)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

impl Runner {
    /// Runs the job whose spec and inputs are in `dir` and returns its result hash. An
    /// error is the job's failure: a non-zero exit, a signal, the timeout, a bad result.
    pub fn run(&self, kind: Kind, dir: &Path) -> anyhow::Result<[u8; 32]> {
        use std::os::unix::process::CommandExt;
        let out = dir.join(OUT_FILE);
        let log_path = dir.join(LOG_FILE);
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let log2 = log.try_clone().context("job log")?;
        let mut cmd = Command::new(&self.exe);
        cmd.args(["attest", "run", "--kind", kind.as_str()])
            .arg("--spec")
            .arg(dir.join(SPEC_FILE))
            .arg("--inputs")
            .arg(dir.join(INPUTS_DIR))
            .arg("--out")
            .arg(&out)
            .args(&self.extra_args)
            .current_dir(dir)
            .env_clear()
            .envs(kept_env())
            .env("TMPDIR", dir)
            .env("HOME", dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .process_group(0);
        // libtorch's deterministic settings, as the CLI's re-exec would set them (so the
        // job process need not re-execute itself).
        for (k, v) in deai_worker_engine::runtime::env_to_fix() {
            cmd.env(k, v);
        }
        let limits = self.limits.clone();
        let cpu_secs = limits.timeout.as_secs().saturating_add(5);
        let isolate = self.isolate_network;
        // SAFETY: between fork and exec the closure makes only async-signal-safe syscalls
        // (prctl, setrlimit, unshare) and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                set_rlimit(libc::RLIMIT_AS, limits.memory_bytes)?;
                set_rlimit(libc::RLIMIT_CPU, cpu_secs)?;
                set_rlimit(libc::RLIMIT_FSIZE, limits.file_bytes)?;
                set_rlimit(libc::RLIMIT_NOFILE, limits.open_files)?;
                set_rlimit(libc::RLIMIT_CORE, 0)?;
                if isolate {
                    unshare_network()?;
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", self.exe.display()))?;
        let pid = child.id();
        let deadline = Instant::now() + self.limits.timeout;
        let status = loop {
            if let Some(s) = child.try_wait().context("waiting for the job process")? {
                break s;
            }
            if Instant::now() >= deadline {
                kill_group(pid);
                let _ = child.wait();
                bail!("timed out after {:?}", self.limits.timeout);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if !status.success() {
            bail!("job process {status}: {}", log_tail(&log_path));
        }
        read_result(&out)
    }
}

fn kill_group(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: signals the process group the child leads (process_group(0)).
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Reads a job's result file: 64 lower-case hex digits, optionally followed by a newline.
pub fn read_result(path: &Path) -> anyhow::Result<[u8; 32]> {
    let f = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut s = String::new();
    f.take(128)
        .read_to_string(&mut s)
        .with_context(|| format!("{}", path.display()))?;
    let d: deai_worker_jobs::Digest = s
        .trim_end()
        .parse()
        .map_err(|_| anyhow::anyhow!("{}: not a 32-byte hex hash", path.display()))?;
    Ok(d.0)
}

/// Writes a job's result file (the job process's last act).
pub fn write_result(path: &Path, hash: &[u8; 32]) -> anyhow::Result<()> {
    std::fs::write(path, format!("{}\n", hex::encode(hash)))
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip_and_junk_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("r");
        write_result(&p, &[0xab; 32]).unwrap();
        assert_eq!(read_result(&p).unwrap(), [0xab; 32]);
        std::fs::write(&p, "ABCD").unwrap();
        assert!(read_result(&p).is_err());
        std::fs::write(&p, "x".repeat(1000)).unwrap();
        assert!(read_result(&p).is_err());
        assert!(read_result(&d.path().join("none")).is_err());
    }

    #[test]
    fn the_log_tail_is_the_last_nonempty_line() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("log");
        std::fs::write(&p, "a\nerror: boom\n\n").unwrap();
        assert_eq!(log_tail(&p), "error: boom");
        assert_eq!(log_tail(&d.path().join("none")), "");
    }

    /// A stand-in for `deai-worker`: does what its spec.json says, using bash builtins only.
    const FAKE_WORKER: &str = r#"#!/bin/bash
[ "$1" = "--version" ] && exit 0
out=""
while [ $# -gt 0 ]; do [ "$1" = "--out" ] && out="$2"; shift; done
read -r mode port < spec.json
c=dd
case "$mode" in
  net) if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then c=aa; else c=bb; fi ;;
  env) if [ -n "${CARGO_MANIFEST_DIR:-}" ]; then c=aa; else c=bb; fi ;;
  spin) while :; do :; done ;;
  mem) s=$(printf "%*s" 100000000 x); c=ee ;;
  fail) echo "error: boom" >&2; exit 3 ;;
esac
h=""
for _ in {1..32}; do h="$h$c"; done
printf '%s\n' "$h" > "$out"
"#;

    fn runner(root: &Path, timeout: Duration) -> Runner {
        use std::os::unix::fs::PermissionsExt;
        let exe = root.join("fake-worker");
        std::fs::write(&exe, FAKE_WORKER).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let isolate_network = probe_isolation(&exe);
        Runner {
            exe,
            limits: Limits {
                timeout,
                ..Limits::default()
            },
            isolate_network,
            extra_args: Vec::new(),
        }
    }

    fn job_dir(root: &Path, name: &str, spec: &str) -> PathBuf {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join(INPUTS_DIR)).unwrap();
        std::fs::write(dir.join(SPEC_FILE), spec).unwrap();
        dir
    }

    #[test]
    fn a_job_process_has_a_cleared_environment_no_network_where_possible_and_a_timeout() {
        let root = tempfile::tempdir().unwrap();
        let r = runner(root.path(), Duration::from_secs(60));
        let kind = Kind::InferenceReplay;
        assert_eq!(
            r.run(kind, &job_dir(root.path(), "ok", "ok")).unwrap(),
            [0xdd; 32]
        );

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = r
            .run(kind, &job_dir(root.path(), "net", &format!("net {port}")))
            .unwrap();
        let expected = if r.isolate_network {
            [0xbb; 32]
        } else {
            [0xaa; 32]
        };
        assert_eq!(got, expected, "isolated: {}", r.isolate_network);

        if std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
            let got = r.run(kind, &job_dir(root.path(), "env", "env")).unwrap();
            assert_eq!(got, [0xbb; 32], "the environment is not cleared");
        }

        let e = r
            .run(kind, &job_dir(root.path(), "fail", "fail"))
            .unwrap_err();
        assert!(format!("{e:#}").contains("error: boom"), "{e:#}");

        // 100 MB of string fits the default limit; under a 64 MiB address-space limit the
        // process dies.
        assert_eq!(
            r.run(kind, &job_dir(root.path(), "mem-ok", "mem")).unwrap(),
            [0xee; 32]
        );
        let mut small = runner(root.path(), Duration::from_secs(60));
        small.limits.memory_bytes = 64 << 20;
        assert!(small
            .run(kind, &job_dir(root.path(), "mem", "mem"))
            .is_err());

        let quick = runner(root.path(), Duration::from_millis(300));
        let e = quick
            .run(kind, &job_dir(root.path(), "spin", "spin"))
            .unwrap_err();
        assert!(format!("{e:#}").contains("timed out"), "{e:#}");
    }
}
