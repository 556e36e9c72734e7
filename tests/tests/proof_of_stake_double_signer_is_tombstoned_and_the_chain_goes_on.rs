//! A double sign on a real 4-validator localnet: node3's home is copied (state, consensus
//! key and all) to a second node on other loopback ports, and both run at once with the same
//! validator key. CometBFT's evidence reaches FinalizeBlock's `misbehavior`; the validator is
//! slashed by the double-sign fraction (5%), jailed forever and tombstoned; the supply drops
//! by exactly the burn (supply = before + minted − burned); and the chain keeps committing
//! blocks that the three honest validators agree on.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use deai_e2e::staking::{fast_pos_patch, wait_for};
use deai_e2e::*;

const BASE: u16 = 31300;

/// The second instance's processes, killed when the test ends, however it ends.
struct Twin(Vec<Child>);

impl Drop for Twin {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Copies a node's home: everything but its processes' pid files and logs, and CometBFT's
/// address book (the databases' own `*.log` journals are kept).
fn copy_dir(from: &Path, to: &Path, top: bool) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        let name = name.to_str().unwrap();
        let process_file = top && (name.ends_with(".pid") || name.ends_with(".log"));
        if process_file || name == "addrbook.json" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(name));
        if e.file_type().unwrap().is_dir() {
            copy_dir(&src, &dst, false);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Moves node3's listening ports (base+30..34) to node5's (base+50..54) in `file`, leaving
/// its peer list alone (the twin dials the real network, node3 included).
fn move_ports(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap();
    let moved: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("persistent_peers") {
                return l.to_string();
            }
            let mut l = l.to_string();
            for k in 0..5 {
                l = l.replace(
                    &format!("127.0.0.1:{}", BASE + 30 + k),
                    &format!("127.0.0.1:{}", BASE + 50 + k),
                );
            }
            l
        })
        .collect();
    std::fs::write(file, moved.join("\n") + "\n").unwrap();
}

fn start_twin(home: &Path) -> Twin {
    let log = |n: &str| std::fs::File::create(home.join(n)).unwrap();
    let deaid = Command::new(deaid_bin())
        .args(["start", "--home", home.to_str().unwrap()])
        .stdout(log("deaid.log"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut twin = Twin(vec![deaid]);
    std::thread::sleep(Duration::from_secs(2));
    let comet = Command::new(tool("cometbft"))
        .args(["node", "--home", home.to_str().unwrap()])
        .stdout(log("cometbft.log"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    twin.0.push(comet);
    twin
}

#[test]
fn proof_of_stake_double_signer_is_tombstoned_and_the_chain_goes_on() {
    let patch = fast_pos_patch(30, 100, 600);
    let mut net = Localnet::start_with(4, BASE, &["--app-state-patch", &patch]);
    net.wait_height(0, 3, Duration::from_secs(60));
    let op3 = net.valoper_of("val3");
    let val3 = net.cons_address(3);
    assert_eq!(net.validator(&op3)["tokens"], "10000000");

    // The twin: node3's home at the moment node3 stops, with its own node key and ports.
    net.kill9(3, "cometbft");
    net.kill9(3, "deaid");
    let twin_home = net.dir().join("node3-twin");
    copy_dir(&net.home(3), &twin_home, true);
    let fresh = net.dir().join("fresh-node-key");
    let out = net.deaid(
        &[
            "init",
            "twin",
            "--home",
            fresh.to_str().unwrap(),
            "--chain-id",
            "x",
            "-o",
            "json",
        ],
        "",
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::copy(
        fresh.join("config/node_key.json"),
        twin_home.join("config/node_key.json"),
    )
    .unwrap();
    move_ports(&twin_home.join("config/config.toml"));
    move_ports(&twin_home.join("config/app.toml"));

    let h_before = net.height(0);
    let supply_before = net.udeai_supply_at(h_before);
    net.restart();
    let _twin = start_twin(&twin_home);

    let tombstoned = wait_for(
        "val3 tombstoned for double signing",
        Duration::from_secs(240),
        || {
            let v = net.validator(&op3);
            (v["jailed"] == true).then_some(v)
        },
    );
    assert_eq!(tombstoned["tokens"], "9500000", "{tombstoned}");
    let infos = net.q(&["slashing", "signing-infos"]);
    let cons_bech = {
        let bytes = hex::decode(&val3).unwrap();
        bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("deaivalcons").unwrap(), &bytes)
            .unwrap()
    };
    let info = infos["info"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["address"] == cons_bech)
        .cloned()
        .unwrap_or_else(|| panic!("no signing info for {cons_bech}: {infos}"));
    assert_eq!(info["tombstoned"], true, "{info}");
    assert_eq!(info["jailed_until"], "9999-12-31T23:59:59Z", "{info}");

    // One double-sign slash, burned from the supply to the unit.
    let h_after = net.height(0);
    let slashes: Vec<_> = (h_before + 1..=h_after)
        .flat_map(|h| net.block_events(h, "slash"))
        .collect();
    assert_eq!(slashes.len(), 1, "{slashes:?}");
    assert_eq!(slashes[0]["reason"], "double_sign");
    assert_eq!(slashes[0]["burned_coins"], "500000");
    assert_eq!(
        net.udeai_supply_at(h_after),
        supply_before + net.minted_between(h_before, h_after) - 500_000
    );

    // The chain goes on without val3, and the honest validators agree.
    wait_for(
        "val3 out of CometBFT's set",
        Duration::from_secs(30),
        || (!net.comet_powers(0, None).contains_key(&val3)).then_some(()),
    );
    let h = net.height(0);
    net.wait_height(0, h + 5, Duration::from_secs(60));
    for n in 1..3 {
        net.wait_height(n, h + 4, Duration::from_secs(30));
    }
    for height in h..h + 4 {
        let hashes: Vec<String> = (0..3).map(|n| net.app_hash_after(n, height)).collect();
        assert!(
            hashes.iter().all(|x| x == &hashes[0]),
            "app hashes differ at height {height}: {hashes:?}"
        );
    }
    // A tombstoned validator can never unjail.
    let (out, _) = net.cli_tx_raw("slashing", "val3", &["unjail"]);
    assert!(!out.status.success(), "a tombstoned validator unjailed");
}
