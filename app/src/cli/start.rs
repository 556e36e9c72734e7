//! `deaid start` and `deaid export`.

use std::path::Path;
use std::sync::Arc;

use super::config::AppConfig;
use crate::node::{App, NodeSettings};
use crate::store::{open_backend, Storage, StorageConfig};
use crate::tx::fee::GasPrice;

#[derive(clap::Args)]
pub struct StartArgs {
    /// Overrides app.toml's abci_address.
    #[arg(long)]
    pub abci_address: Option<String>,
    /// Overrides app.toml's `[attest] sidecar` (host:port of `deai-worker attest serve`).
    #[arg(long)]
    pub attest_sidecar: Option<String>,
}

fn open_app(home: &Path, cfg: &AppConfig) -> anyhow::Result<App> {
    let path = cfg.data_path(home);
    let kv = open_backend(&cfg.db_backend, &path)?;
    let storage = Storage::open(
        kv,
        StorageConfig {
            keep_recent: cfg.pruning_keep_recent,
            node_cache_bytes: cfg.node_cache_bytes()?,
        },
    )?;
    cfg.query.check()?;
    let min_gas_price = GasPrice::parse(&cfg.minimum_gas_prices)
        .map_err(|e| anyhow::anyhow!("app.toml minimum_gas_prices: {e}"))?;
    App::new(
        storage,
        NodeSettings {
            min_gas_price,
            index_events: (!cfg.index_events.is_empty())
                .then(|| cfg.index_events.iter().cloned().collect()),
            // Beside the state database: <home>/data/wasm by default.
            wasm_dir: Some(path.parent().unwrap_or(home).join("wasm")),
            attest_sidecar: cfg.attest.sidecar()?,
            query_gas_limit: cfg.query.gas_limit,
            simulate_gas_cap: cfg.query.simulate_gas_cap,
            ..NodeSettings::default()
        },
    )
}

/// CometBFT's RPC address from its config.toml (`[rpc] laddr`), as an http URL.
fn comet_rpc_url(home: &Path) -> anyhow::Result<String> {
    let path = home.join("config").join("config.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let v: toml::Value = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("invalid {}: {}", path.display(), e.message()))?;
    let laddr = v
        .get("rpc")
        .and_then(|r| r.get("laddr"))
        .and_then(|l| l.as_str())
        .unwrap_or("tcp://127.0.0.1:26657");
    Ok(match laddr.strip_prefix("tcp://") {
        Some(rest) => format!("http://{}", rest.replace("0.0.0.0", "127.0.0.1")),
        None => laddr.to_string(),
    })
}

pub fn run(home: &Path, a: StartArgs) -> anyhow::Result<()> {
    let mut cfg = AppConfig::load(home)?;
    if let Some(s) = a.attest_sidecar.clone() {
        cfg.attest.sidecar = s;
    }
    let app = open_app(home, &cfg)?;
    let addr = a.abci_address.unwrap_or(cfg.abci_address.clone());
    // gRPC and REST run on their own tokio runtime next to the blocking ABCI server.
    let _servers = deai_api::spawn(
        Arc::new(app.clone()),
        deai_api::ApiConfig {
            grpc: cfg.grpc.listen("grpc")?,
            rest: cfg.api.listen("api")?,
            comet_rpc: comet_rpc_url(home)?,
            query_workers: cfg.query.workers,
        },
    )?;
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
