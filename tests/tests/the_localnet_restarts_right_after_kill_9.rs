//! `localnet/up.sh` restarts a node whose processes were just killed with -9, even while
//! they linger as zombies (not yet reaped), which `kill -0` reports as alive.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use deai_e2e::*;

extern "C" {
    fn prctl(option: i32, ...) -> i32;
}
const PR_SET_CHILD_SUBREAPER: i32 = 36;

fn pid_of(net: &Localnet, process: &str) -> i32 {
    std::fs::read_to_string(net.home(0).join(format!("{process}.pid")))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn state(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("State:").map(|s| s.trim().to_string()))
        .unwrap_or_else(|| "gone".into())
}

#[test]
fn the_localnet_restarts_right_after_kill_9() {
    // Orphans of this test (the nodes up.sh starts in the background) become our
    // children, and we do not reap them: a killed node stays a zombie, as it does for a
    // while under a container's init.
    assert_eq!(
        unsafe { prctl(PR_SET_CHILD_SUBREAPER, 1u64, 0u64, 0u64, 0u64) },
        0
    );
    let mut net = Localnet::start(1, 28550);
    let before = net.height(0);
    let pids = [pid_of(&net, "deaid"), pid_of(&net, "cometbft")];
    for pid in pids {
        let ok = Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }
    for pid in pids {
        for _ in 0..100 {
            if state(pid).starts_with('Z') {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The precondition that broke up.sh: the process is a zombie, and `kill -0` says
        // it is alive.
        assert!(state(pid).starts_with('Z'), "pid {pid}: {}", state(pid));
        assert!(Path::new(&format!("/proc/{pid}")).exists());
    }
    net.restart();
    net.wait_height(0, before + 2, Duration::from_secs(60));
    let new = [pid_of(&net, "deaid"), pid_of(&net, "cometbft")];
    assert_ne!(new, pids);
}
