//! `deaid init`: a complete node home, CometBFT's files included, every address on loopback.

use std::fs;
use std::path::Path;

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use rand_core::OsRng;
use sha2::{Digest, Sha256};

use super::config::AppConfig;
use super::output::{print, OutputFormat};

#[derive(clap::Args)]
pub struct InitArgs {
    /// A human-readable name for this node.
    pub moniker: String,
    #[arg(long, default_value = "deai-local")]
    pub chain_id: String,
    /// Replace an existing genesis.json and keys.
    #[arg(long)]
    pub overwrite: bool,
    /// CometBFT RPC listen address.
    #[arg(long, default_value = "tcp://127.0.0.1:26657")]
    pub rpc_laddr: String,
    /// CometBFT P2P listen address.
    #[arg(long, default_value = "tcp://127.0.0.1:26656")]
    pub p2p_laddr: String,
    /// Where deaid serves ABCI and CometBFT connects.
    #[arg(long, default_value = "127.0.0.1:26658")]
    pub abci_addr: String,
    /// Where deaid serves gRPC (app.toml [grpc] address).
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub grpc_addr: String,
    /// Where deaid serves the LCD REST API (app.toml [api] address).
    #[arg(long, default_value = "127.0.0.1:1317")]
    pub api_addr: String,
    /// CometBFT consensus.timeout_commit (how long a committed block waits for more votes).
    #[arg(long, default_value = "1s")]
    pub timeout_commit: String,
    /// The state store (app.toml `db_backend`): fjall (an LSM tree), or sled.
    #[arg(long, default_value = "fjall", value_parser = clap::builder::PossibleValuesParser::new(crate::store::BACKENDS))]
    pub db_backend: String,
}

pub const DEFAULT_MAX_BLOCK_GAS: i64 = 1_000_000_000;

fn check_loopback(addr: &str) -> anyhow::Result<()> {
    let host = addr
        .trim_start_matches("tcp://")
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(addr);
    anyhow::ensure!(
        host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]",
        "address {addr} is not on loopback; deai localnets listen on 127.0.0.1 only"
    );
    Ok(())
}

fn ed25519_json(kind: &str, bytes: &[u8]) -> serde_json::Value {
    serde_json::json!({"type": format!("tendermint/{kind}"), "value": B64.encode(bytes)})
}

/// An ed25519 key as CometBFT stores it: the private value is seed || public key.
fn new_ed25519() -> (Vec<u8>, Vec<u8>) {
    let sk = ed25519_consensus::SigningKey::new(OsRng);
    let pk = sk.verification_key().to_bytes().to_vec();
    let mut private = sk.to_bytes().to_vec();
    private.extend_from_slice(&pk);
    (private, pk)
}

fn write_json(path: &Path, v: &serde_json::Value) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, serde_json::to_string_pretty(v)? + "\n")
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

/// A key file (or the signer's state): mode 0600 from its creation on, as CometBFT writes them.
fn write_private_json(path: &Path, v: &serde_json::Value) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| anyhow::anyhow!("bad path {}", path.display()))?;
    let text = deai_client::keyring::Zeroizing::new(serde_json::to_string_pretty(v)? + "\n");
    deai_client::keyring::write_private(dir, path, text.as_bytes())
}

pub fn run(home: &Path, a: InitArgs, out: OutputFormat) -> anyhow::Result<()> {
    for addr in [
        &a.rpc_laddr,
        &a.p2p_laddr,
        &a.abci_addr,
        &a.grpc_addr,
        &a.api_addr,
    ] {
        check_loopback(addr)?;
    }
    anyhow::ensure!(
        !a.chain_id.is_empty() && a.chain_id.len() <= 50,
        "chain id must be 1 to 50 characters"
    );
    let genesis_path = home.join("config/genesis.json");
    if genesis_path.exists() && !a.overwrite {
        anyhow::bail!(
            "{} already exists; use --overwrite to replace it",
            genesis_path.display()
        );
    }
    fs::create_dir_all(home.join("config"))?;
    fs::create_dir_all(home.join("data"))?;

    let (node_priv, node_pub) = new_ed25519();
    let node_id = hex::encode(&Sha256::digest(&node_pub)[..20]);
    write_private_json(
        &home.join("config/node_key.json"),
        &serde_json::json!({"priv_key": ed25519_json("PrivKeyEd25519", &node_priv)}),
    )?;
    let (val_priv, val_pub) = new_ed25519();
    let val_address = hex::encode_upper(&Sha256::digest(&val_pub)[..20]);
    write_private_json(
        &home.join("config/priv_validator_key.json"),
        &serde_json::json!({
            "address": val_address,
            "pub_key": ed25519_json("PubKeyEd25519", &val_pub),
            "priv_key": ed25519_json("PrivKeyEd25519", &val_priv),
        }),
    )?;
    write_private_json(
        &home.join("data/priv_validator_state.json"),
        &serde_json::json!({"height": "0", "round": 0, "step": 0}),
    )?;

    let genesis = serde_json::json!({
        "genesis_time": tendermint::Time::now().to_rfc3339(),
        "chain_id": a.chain_id,
        "initial_height": "1",
        "consensus_params": {
            "block": {"max_bytes": "22020096", "max_gas": DEFAULT_MAX_BLOCK_GAS.to_string()},
            "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
            "validator": {"pub_key_types": ["ed25519"]},
            "version": {"app": "0"},
            "abci": {"vote_extensions_enable_height": "0"}
        },
        "validators": [{
            "address": val_address,
            "pub_key": ed25519_json("PubKeyEd25519", &val_pub),
            "power": "10",
            "name": a.moniker,
        }],
        "app_hash": "",
        "app_state": crate::node::app_state_default(),
    });
    write_json(&genesis_path, &genesis)?;

    fs::write(home.join("config/config.toml"), cometbft_config(&a))?;
    let app = AppConfig {
        abci_address: a.abci_addr.clone(),
        grpc: super::config::ServerConfig {
            enable: true,
            address: a.grpc_addr.clone(),
        },
        api: super::config::ServerConfig {
            enable: true,
            address: a.api_addr.clone(),
        },
        db_backend: a.db_backend.clone(),
        ..AppConfig::default()
    };
    app.save(home)?;

    print(
        &serde_json::json!({
            "moniker": a.moniker,
            "chain_id": a.chain_id,
            "node_id": node_id,
            "home": home.display().to_string(),
        }),
        out,
    );
    Ok(())
}

/// CometBFT's config.toml: only what differs from CometBFT's defaults, which fill the rest.
fn cometbft_config(a: &InitArgs) -> String {
    format!(
        r#"# CometBFT configuration written by `deaid init`. Keys not set here take CometBFT's defaults.
proxy_app = "tcp://{abci}"
moniker = "{moniker}"
db_backend = "goleveldb"
log_level = "info"

[rpc]
laddr = "{rpc}"
pprof_laddr = ""
max_body_bytes = 4194304

[p2p]
laddr = "{p2p}"
external_address = ""
persistent_peers = ""
addr_book_strict = false
allow_duplicate_ip = true
pex = true

[mempool]
size = 20000
max_tx_bytes = 1048576

[consensus]
timeout_commit = "{timeout_commit}"

[tx_index]
indexer = "kv"

[instrumentation]
prometheus = false
"#,
        abci = a.abci_addr,
        moniker = a.moniker.replace('"', ""),
        rpc = a.rpc_laddr,
        p2p = a.p2p_laddr,
        timeout_commit = a.timeout_commit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::os::unix::fs::PermissionsExt;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        init: InitArgs,
    }

    const SECRET_FILES: [&str; 3] = [
        "config/node_key.json",
        "config/priv_validator_key.json",
        "data/priv_validator_state.json",
    ];

    /// Before the fix these took the umask's mode (0644: readable by every local user), and
    /// `--overwrite` kept whatever mode the old file had.
    #[test]
    fn init_creates_the_key_files_owner_only_also_over_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        run(
            &home,
            Cli::parse_from(["init", "n0"]).init,
            OutputFormat::Json,
        )
        .unwrap();
        for f in SECRET_FILES {
            let mode = fs::metadata(home.join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{f} has mode {mode:o}");
            fs::set_permissions(home.join(f), fs::Permissions::from_mode(0o644)).unwrap();
        }
        let again = Cli::parse_from(["init", "n0", "--overwrite"]).init;
        run(&home, again, OutputFormat::Json).unwrap();
        for f in SECRET_FILES {
            let mode = fs::metadata(home.join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{f} has mode {mode:o} after --overwrite");
        }
        let key: serde_json::Value =
            serde_json::from_slice(&fs::read(home.join(SECRET_FILES[1])).unwrap()).unwrap();
        assert_eq!(key["priv_key"]["type"], "tendermint/PrivKeyEd25519");
    }
}
