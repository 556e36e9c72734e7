//! Four equal validators, each in a network namespace of its own (see deai_e2e::netns):
//! - a 2|2 split leaves neither side the 2/3 of the power it needs, so the chain halts (at most
//!   the block already in flight commits) and no two nodes ever hold different blocks at one
//!   height;
//! - healing the split, the chain resumes on all four, still in agreement;
//! - with one validator cut off, the other three (3/4 of the power) go on without it, and once
//!   it is reconnected it catches up on the blocks it missed.
//!
//! Needs root (CAP_NET_ADMIN) for `ip netns`, as on the CI machine.

use std::time::Duration;

use deai_e2e::netns::PartitionNet;

/// How long heights must stay unchanged to call the chain halted: about ten block times
/// (timeout_commit 300 ms) plus a consensus round's timeouts.
const HALT_WINDOW: Duration = Duration::from_secs(6);

#[test]
fn network_partitions_halt_without_forking_and_heal() {
    let net = PartitionNet::start(4);

    // (a) 2|2: no side has more than 2/3 of the voting power.
    net.partition(&[&[0, 1], &[2, 3]]);
    let at_split = *net.heights().iter().max().unwrap();
    let halted = net.wait_halted(HALT_WINDOW, Duration::from_secs(60));
    let top = *halted.iter().max().unwrap();
    assert!(
        top <= at_split + 1,
        "the split chain committed past the block in flight: {at_split} at the split, now {halted:?}"
    );
    net.assert_no_fork();
    eprintln!("2|2 split at height {at_split}: halted at {halted:?}");

    // (b) Healed, all four move on together.
    net.heal();
    for i in 0..4 {
        net.wait_until(
            Duration::from_secs(120),
            &format!("node{i} resumes after the 2|2 split is healed"),
            |n| n.height(i) >= top + 3,
        );
    }
    eprintln!("healed: heights {:?}", net.heights());
    net.assert_no_fork();

    // (c) One validator isolated: the three others keep the chain going without it.
    net.partition(&[&[0, 1, 2], &[3]]);
    let alone = net.height(3);
    let ahead = *net.heights().iter().max().unwrap() + 5;
    for i in 0..3 {
        net.wait_until(
            Duration::from_secs(60),
            &format!("node{i} goes on without node3"),
            |n| n.height(i) >= ahead,
        );
    }
    let stuck = net.height(3);
    assert!(
        stuck <= alone + 1,
        "the isolated node3 went from {alone} to {stuck} on its own"
    );
    net.assert_no_fork();
    eprintln!(
        "node3 isolated at {alone}: now {stuck}, the others {:?}",
        net.heights()
    );

    net.heal();
    let target = *net.heights().iter().max().unwrap();
    net.wait_until(
        Duration::from_secs(120),
        "the isolated node3 catches up after healing",
        |n| n.height(3) >= target,
    );
    assert!(net.assert_no_fork() >= target);
    eprintln!("node3 caught up: heights {:?}", net.heights());
}
