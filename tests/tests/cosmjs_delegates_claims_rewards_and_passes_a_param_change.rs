//! Unmodified cosmjs (tests/cosmjs/pos.mjs) with its staking, distribution, gov, mint and
//! slashing extensions against a 1-validator localnet with the default economics: it reads
//! the validator set (shares as the SDK's wire units), delegates, claims the rewards that
//! mint's emission paid, submits a staking parameter change, votes it through as the
//! validator, and sees it take effect; every balance it touches reconciles to the unit.

use std::process::Command;

use deai_e2e::staking::fast_gov_patch;
use deai_e2e::{repo_root, run_ok, Localnet};

#[test]
fn cosmjs_delegates_claims_rewards_and_passes_a_param_change() {
    let dir = repo_root().join("tests/cosmjs");
    if !dir.join("node_modules/@cosmjs/stargate").exists() {
        run_ok(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir),
        );
    }
    let patch = fast_gov_patch(20, 1_000_000);
    let net = Localnet::start_with(1, 31700, &["--app-state-patch", &patch]);
    let out = run_ok(
        Command::new("node")
            .arg("pos.mjs")
            .arg(net.info_path())
            .current_dir(&dir),
    );
    let seen: serde_json::Value =
        serde_json::from_str(out.trim().lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("cosmjs printed no JSON ({e}): {out}"));
    assert_eq!(seen["maxValidators"], 64, "{seen}");
    assert!(seen["claimed"].as_str().unwrap().parse::<u128>().unwrap() > 0);
    // The node agrees: the param changed, the proposal passed.
    let params = net.q(&["staking", "params"]);
    assert_eq!(params["params"]["max_validators"], 64, "{params}");
}
