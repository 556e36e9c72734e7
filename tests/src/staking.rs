//! Proof-of-stake helpers: genesis params short enough for a test, CometBFT's validator set
//! at a height, and staking/slashing/bank answers through the CLI.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use deai_rpc::HttpClient;
use serde_json::{json, Value};
use tendermint_rpc::{Client, Paging};

use crate::{deaid_bin, rt, Localnet};

/// The `--app-state-patch` of [`Localnet::start`]: no inflation and no community tax, so that
/// a market test's balances (the community pool's take, a task's pool) move only by what the
/// market did. The proof-of-stake tests start with the real defaults instead.
pub const QUIET_ECONOMICS: &str = r#"{
  "mint": {"minter": {"inflation": "0.000000000000000000", "annual_provisions": "0.000000000000000000"},
           "params": {"mint_denom": "udeai", "inflation_rate_change": "0.000000000000000000",
                      "inflation_max": "0.000000000000000000", "inflation_min": "0.000000000000000000",
                      "goal_bonded": "0.670000000000000000", "blocks_per_year": "6311520"}},
  "distribution": {"params": {"community_tax": "0.000000000000000000", "base_proposer_reward": "0.000000000000000000",
                              "bonus_proposer_reward": "0.000000000000000000", "withdraw_addr_enabled": true}}
}"#;

/// An `--app-state-patch` with a short unbonding time, a short slashing window and jail.
pub fn fast_pos_patch(unbonding_secs: u64, window: u64, jail_secs: u64) -> String {
    json!({
        "staking": {"params": {
            "unbonding_time": format!("{unbonding_secs}s"), "max_validators": 100,
            "max_entries": 7, "historical_entries": 1000, "bond_denom": "udeai",
            "min_commission_rate": "0.000000000000000000"}},
        "slashing": {"params": {
            "signed_blocks_window": window.to_string(),
            "min_signed_per_window": "0.500000000000000000",
            "downtime_jail_duration": format!("{jail_secs}s"),
            "slash_fraction_double_sign": "0.050000000000000000",
            "slash_fraction_downtime": "0.010000000000000000"}}
    })
    .to_string()
}

/// An `--app-state-patch` for gov: a `voting_secs` voting period (expedited: half), a
/// minimum deposit of `min_deposit` udeai (expedited: twice that), the SDK's other defaults.
pub fn fast_gov_patch(voting_secs: u64, min_deposit: u128) -> String {
    let coins = |n: u128| json!([{"denom": "udeai", "amount": n.to_string()}]);
    json!({"gov": {"params": {
        "min_deposit": coins(min_deposit), "max_deposit_period": "60s",
        "voting_period": format!("{voting_secs}s"), "quorum": "0.334000000000000000",
        "threshold": "0.500000000000000000", "veto_threshold": "0.334000000000000000",
        "min_initial_deposit_ratio": "0.000000000000000000",
        "proposal_cancel_ratio": "0.500000000000000000", "proposal_cancel_dest": "",
        "expedited_voting_period": format!("{}s", (voting_secs / 2).max(1)),
        "expedited_threshold": "0.667000000000000000",
        "expedited_min_deposit": coins(2 * min_deposit), "burn_vote_quorum": false,
        "burn_proposal_deposit_prevote": false, "burn_vote_veto": true,
        "min_deposit_ratio": "0.010000000000000000"}}})
    .to_string()
}

impl Localnet {
    /// `deaid query <args…> -o json` against node 0; fails the test if the query does.
    pub fn q(&self, args: &[&str]) -> Value {
        let node = self.node_flag(0);
        let mut all: Vec<&str> = vec!["query"];
        all.extend(args);
        all.extend(["--node", &node, "-o", "json"]);
        let out = self.deaid(&all, "", &[]);
        assert!(
            out.status.success(),
            "deaid {all:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The consensus address (upper-case hex, as CometBFT prints it) of node `node`.
    pub fn cons_address(&self, node: usize) -> String {
        let key: Value = serde_json::from_slice(
            &std::fs::read(self.home(node).join("config/priv_validator_key.json")).unwrap(),
        )
        .unwrap();
        key["address"].as_str().unwrap().to_string()
    }

    /// CometBFT's validator set (address → voting power) at `height` (None: latest).
    pub fn comet_powers(&self, node: usize, height: Option<u64>) -> BTreeMap<String, i64> {
        rt().block_on(async {
            let c = HttpClient::new(self.rpc(node).as_str()).unwrap();
            let h = match height {
                Some(h) => tendermint::block::Height::try_from(h).unwrap(),
                None => c.status().await.unwrap().sync_info.latest_block_height,
            };
            c.validators(h, Paging::All)
                .await
                .unwrap()
                .validators
                .into_iter()
                .map(|v| (v.address.to_string(), v.power.value() as i64))
                .collect()
        })
    }

    /// The address of key `name` (a demo account or a genesis validator's operator).
    pub fn address_of(&self, name: &str) -> String {
        let info = &self.info;
        ["accounts", "validator_accounts"]
            .iter()
            .flat_map(|k| info[*k].as_array().cloned().unwrap_or_default())
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no key {name} in localnet.json"))["address"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The operator address (`deaivaloper1…`) of key `name`'s account.
    pub fn valoper_of(&self, name: &str) -> String {
        let a = deai_framework::Address::from_bech32(&self.address_of(name)).unwrap();
        deai_staking_valoper(&a)
    }

    /// `query staking validator` of `valoper`: the validator JSON.
    pub fn validator(&self, valoper: &str) -> Value {
        self.q(&["staking", "validator", valoper])["validator"].clone()
    }

    /// The udeai balance of `address`, by the CLI.
    pub fn udeai(&self, address: &str) -> u128 {
        let v = self.q(&["bank", "balances", address, "--denom", "udeai"]);
        v["balance"]["amount"].as_str().unwrap().parse().unwrap()
    }

    /// The total supply of udeai after block `height`.
    pub fn udeai_supply_at(&self, height: u64) -> u128 {
        let v = self.q(&["bank", "total", "--height", &height.to_string()]);
        v["supply"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["denom"] == "udeai")
            .map_or(0, |c| c["amount"].as_str().unwrap().parse().unwrap())
    }

    /// `deaid comet show-validator` of node `node`: its consensus key as
    /// `tx staking create-validator` reads it.
    pub fn show_validator(&self, node: usize) -> Value {
        let home = self.home(node);
        let out = std::process::Command::new(deaid_bin())
            .args([
                "comet",
                "show-validator",
                "--home",
                home.to_str().unwrap(),
                "-o",
                "json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Localnet {
    /// The block events (FinalizeBlock's own, not its txs') of type `kind` at `height`, each
    /// as its attributes.
    pub fn block_events(&self, height: u64, kind: &str) -> Vec<BTreeMap<String, String>> {
        let url = format!("{}/block_results?height={height}", self.rpc(0));
        let (status, v) = crate::curl_json("GET", &url, None, &[]);
        assert_eq!(status, 200, "{v}");
        v["result"]["finalize_block_events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["type"] == kind)
            .map(|e| {
                e["attributes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| {
                        let s = |k: &str| a[k].as_str().unwrap_or_default().to_string();
                        (s("key"), s("value"))
                    })
                    .collect()
            })
            .collect()
    }

    /// What mint minted in blocks `from + 1 ..= to` (its `mint` events' amounts).
    pub fn minted_between(&self, from: u64, to: u64) -> u128 {
        (from + 1..=to)
            .flat_map(|h| self.block_events(h, "mint"))
            .map(|e| e["amount"].parse::<u128>().unwrap())
            .sum()
    }
}

fn deai_staking_valoper(a: &deai_framework::Address) -> String {
    bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("deaivaloper").unwrap(), a.as_bytes())
        .unwrap()
}

/// Polls `check` every 300 ms until it returns Some, or fails the test after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(t) = check() {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Fails the test if CometBFT's total power ever changed by a third or more from one height to
/// the next in `from..=to` (the clamp staking applies).
pub fn assert_power_changes_clamped(net: &Localnet, from: u64, to: u64) {
    let mut prev = net.comet_powers(0, Some(from));
    for h in from + 1..=to {
        let cur = net.comet_powers(0, Some(h));
        let total: i64 = prev.values().sum();
        let moved: i64 = prev
            .keys()
            .chain(cur.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|k| (cur.get(k).unwrap_or(&0) - prev.get(k).unwrap_or(&0)).abs())
            .sum();
        assert!(
            3 * moved < total,
            "power moved by {moved} of {total} between heights {} and {h}: {prev:?} -> {cur:?}",
            h - 1
        );
        prev = cur;
    }
}
