//! `deaid start` and `deaid export`.

use std::path::Path;
use std::sync::Arc;

use super::config::AppConfig;
use crate::node::{App, NodeSettings};
use crate::store::{SledKv, Storage, StorageConfig};
use crate::tx::fee::GasPrice;

#[derive(clap::Args)]
pub struct StartArgs {
    /// Overrides app.toml's abci_address.
    #[arg(long)]
    pub abci_address: Option<String>,
}

fn open_app(home: &Path, cfg: &AppConfig) -> anyhow::Result<App> {
    let path = cfg.data_path(home);
    let kv = SledKv::open(&path).map_err(|e| {
        anyhow::anyhow!("{e:#} (is another deaid using this home?)")
    })?;
    let storage = Storage::open(
        Arc::new(kv),
        StorageConfig {
            keep_recent: cfg.pruning_keep_recent,
        },
    )?;
    let min_gas_price = GasPrice::parse(&cfg.minimum_gas_prices)
        .map_err(|e| anyhow::anyhow!("app.toml minimum_gas_prices: {e}"))?;
    App::new(
        storage,
        NodeSettings {
            min_gas_price,
            ..NodeSettings::default()
        },
    )
}

pub fn run(home: &Path, a: StartArgs) -> anyhow::Result<()> {
    let cfg = AppConfig::load(home)?;
    let app = open_app(home, &cfg)?;
    let addr = a.abci_address.unwrap_or(cfg.abci_address);
    tracing::info!(
        height = app.storage().latest_version().unwrap_or(0),
        chain_id = %app.chain_id(),
        "deaid starting"
    );
    crate::node::abci_server::serve(app, &addr)
}

pub fn export(home: &Path) -> anyhow::Result<()> {
    let cfg = AppConfig::load(home)?;
    let app = open_app(home, &cfg)?;
    let state = app.export_app_state()?;
    println!("{}", serde_json::to_string_pretty(&state)?);
    Ok(())
}
