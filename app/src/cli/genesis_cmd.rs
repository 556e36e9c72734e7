//! `deaid genesis add-account`: funds an account in genesis.json before the chain starts;
//! `gentx` and `collect-gentxs` are in `gentx.rs`.

use std::path::Path;

use clap::Subcommand;

use deai_framework::{Address, Coins};

use super::output::{print, OutputFormat};
use super::KeyringArgs;
use deai_client::keyring::Keyring;

#[derive(Subcommand)]
pub enum GenesisCommand {
    /// Add a funded account: an address, or the name of a key in the keyring.
    AddAccount {
        address_or_key: String,
        /// Coins, e.g. 1000000000udeai.
        coins: String,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Sign this node's genesis validator: a MsgCreateValidator for its consensus key.
    Gentx(super::gentx::GentxArgs),
    /// Put the gentxs of config/gentx (or --gentx-dir) into genesis.json.
    CollectGentxs {
        #[arg(long)]
        gentx_dir: Option<std::path::PathBuf>,
    },
}

pub fn run(home: &Path, cmd: GenesisCommand, out: OutputFormat) -> anyhow::Result<()> {
    let (address_or_key, coins, keyring) = match cmd {
        GenesisCommand::AddAccount {
            address_or_key,
            coins,
            keyring,
        } => (address_or_key, coins, keyring),
        GenesisCommand::Gentx(a) => return super::gentx::gentx(home, a, out),
        GenesisCommand::CollectGentxs { gentx_dir } => {
            return super::gentx::collect(home, gentx_dir, out)
        }
    };
    let address = match Address::from_bech32(&address_or_key) {
        Ok(a) => a,
        Err(_) => {
            let info = Keyring::open(home, keyring.keyring_backend)
                .show(&address_or_key)
                .map_err(|e| {
                    anyhow::anyhow!("{address_or_key:?} is neither a deai address nor a key: {e}")
                })?;
            Address::from_bech32(&info.address).map_err(|e| anyhow::anyhow!(e.log))?
        }
    };
    let coins = Coins::parse(&coins).map_err(|e| anyhow::anyhow!(e.log))?;
    anyhow::ensure!(!coins.is_empty(), "no coins given");
    let path = home.join("config/genesis.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read {}: {e} (run `deaid init` first)",
            path.display()
        )
    })?;
    let mut genesis: serde_json::Value = serde_json::from_str(&text)?;
    add_account(&mut genesis["app_state"], &address, &coins)?;
    std::fs::write(&path, serde_json::to_string_pretty(&genesis)? + "\n")?;
    print(
        &serde_json::json!({"address": address.to_bech32(), "coins": coins.to_string()}),
        out,
    );
    Ok(())
}

/// Adds the account with the next free account number, its balance, and raises the supply.
pub fn add_account(
    app_state: &mut serde_json::Value,
    address: &Address,
    coins: &Coins,
) -> anyhow::Result<()> {
    let bech = address.to_bech32();
    let accounts = app_state["auth"]["accounts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let taken =
        |a: &serde_json::Value| a["address"] == bech || a["base_account"]["address"] == bech;
    anyhow::ensure!(
        !accounts.iter().any(taken),
        "account {bech} is already in genesis"
    );
    let number = |a: &serde_json::Value| -> u64 {
        let n = if a["account_number"].is_string() {
            &a["account_number"]
        } else {
            &a["base_account"]["account_number"]
        };
        n.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
    };
    let next = accounts.iter().map(|a| number(a) + 1).max().unwrap_or(0);
    let mut accounts = accounts;
    accounts.push(serde_json::json!({
        "@type": "/cosmos.auth.v1beta1.BaseAccount",
        "address": bech, "pub_key": null, "account_number": next.to_string(), "sequence": "0"
    }));
    app_state["auth"]["accounts"] = serde_json::Value::Array(accounts);

    let mut balances = app_state["bank"]["balances"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    balances.push(serde_json::json!({
        "address": bech,
        "coins": coins.iter().map(|c| serde_json::json!({"denom": c.denom, "amount": c.amount.to_string()})).collect::<Vec<_>>(),
    }));
    app_state["bank"]["balances"] = serde_json::Value::Array(balances);

    // Supply: recompute from the existing supply plus these coins.
    let mut supply = Coins::empty();
    for c in app_state["bank"]["supply"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let one = Coins::parse(&format!(
            "{}{}",
            c["amount"].as_str().unwrap_or("0"),
            c["denom"].as_str().unwrap_or("")
        ))
        .map_err(|e| anyhow::anyhow!("bad supply in genesis: {}", e.log))?;
        supply = supply
            .checked_add(&one)
            .map_err(|e| anyhow::anyhow!(e.log))?;
    }
    if app_state["bank"]["supply"]
        .as_array()
        .is_none_or(|a| a.is_empty())
    {
        // An empty supply means "sum of balances"; keep it that way.
        return Ok(());
    }
    supply = supply
        .checked_add(coins)
        .map_err(|e| anyhow::anyhow!(e.log))?;
    app_state["bank"]["supply"] = serde_json::Value::Array(
        supply
            .iter()
            .map(|c| serde_json::json!({"denom": c.denom, "amount": c.amount.to_string()}))
            .collect(),
    );
    Ok(())
}
