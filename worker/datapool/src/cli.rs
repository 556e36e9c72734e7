//! `deai-worker data pool-validator start`: the flags ([`PoolValidatorArgs`], the same
//! node and key flags as the other daemons) and [`run_cli`], which connects the key to the
//! node and runs [`run_pool_validator`] until SIGTERM / SIGINT.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use deai_client::{AccountKey, Backend, GasPrice, Keyring, SendOptions};
use deai_worker_daemon::node::{cancel_on_signals, connect_sender, node_url, passphrase};
use deai_worker_daemon::parse_coin;
use tokio_util::sync::CancellationToken;

use crate::chain::NodeChain;
use crate::daemon::{run_pool_validator, Config};

/// Default largest contribution downloaded and read, in bytes.
pub const DEFAULT_MAX_CONTRIBUTION_BYTES: u64 = 64 << 20;

fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".deai")
}

fn default_cache() -> PathBuf {
    std::env::var_os("DEAI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/var/cache/deai".into())
        .join("datapool")
}

/// Run a data pool's validator: bond the key if it has no bond yet, then score each
/// contribution of the pool's current epoch by the validation-accuracy gain it brings and
/// send MsgScoreContribution. The key must be one of the pool's named validators.
#[derive(Args, Clone, Debug)]
pub struct PoolValidatorArgs {
    /// CometBFT RPC address of a node.
    #[arg(long, default_value = "tcp://127.0.0.1:26657")]
    pub node: String,
    /// Name of the key in the keyring.
    #[arg(long)]
    pub key: String,
    #[arg(long, value_enum, default_value = "file")]
    pub keyring_backend: Backend,
    /// deaid's home, where the keyring lives (`file` passphrase: DEAI_KEYRING_PASSPHRASE).
    #[arg(long, env = "DEAI_HOME", default_value_os_t = default_home())]
    pub home: PathBuf,
    /// Gas price of its txs.
    #[arg(long, default_value = "0.025udeai")]
    pub gas_prices: String,
    /// The pool's id.
    #[arg(long)]
    pub pool: u64,
    /// Stake bonded (MsgBondPoolValidator) when the key has no bond in the pool, e.g.
    /// 1000udeai; without it the key must be bonded already.
    #[arg(long)]
    pub bond: Option<String>,
    /// State directory (default <home>/pool-validator-<pool>-<key>).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Where downloaded pool files and contributions are kept, by sha256 (default
    /// $DEAI_CACHE/datapool).
    #[arg(long, default_value_os_t = default_cache())]
    pub cache: PathBuf,
    /// Seconds between looks at the chain.
    #[arg(long, default_value_t = 5)]
    pub poll_secs: u64,
    /// Largest contribution downloaded and read (also once decompressed), in bytes; a
    /// larger one scores 0.
    #[arg(long, default_value_t = DEFAULT_MAX_CONTRIBUTION_BYTES)]
    pub max_contribution_bytes: u64,
}

impl PoolValidatorArgs {
    fn account_key(&self) -> anyhow::Result<AccountKey> {
        Keyring::open(&self.home, self.keyring_backend).get(&self.key, passphrase)
    }

    fn send_options(&self) -> anyhow::Result<SendOptions> {
        Ok(SendOptions {
            gas_price: GasPrice::parse(&self.gas_prices).context("--gas-prices")?,
            ..SendOptions::default()
        })
    }

    /// The daemon's configuration from the flags.
    pub fn config(&self) -> anyhow::Result<Config> {
        anyhow::ensure!(
            self.max_contribution_bytes > 0,
            "--max-contribution-bytes must be positive"
        );
        let bond = self
            .bond
            .as_deref()
            .map(parse_coin)
            .transpose()
            .context("--bond")?;
        Ok(Config {
            pool_id: self.pool,
            bond,
            state_dir: self.state_dir.clone().unwrap_or_else(|| {
                self.home
                    .join(format!("pool-validator-{}-{}", self.pool, self.key))
            }),
            cache: self.cache.clone(),
            poll: Duration::from_secs(self.poll_secs.max(1)),
            max_contribution_bytes: self.max_contribution_bytes,
        })
    }
}

/// Runs the pool validator of `args` until SIGTERM / SIGINT (call it on a tokio runtime).
pub async fn run_cli(args: PoolValidatorArgs) -> anyhow::Result<()> {
    let cfg = args.config()?;
    let key = args.account_key()?;
    let opts = args.send_options()?;
    let cancel = CancellationToken::new();
    cancel_on_signals(cancel.clone());
    let url = node_url(&args.node);
    let Some(sender) = connect_sender(&url, &key, &opts, &cancel).await else {
        return Ok(());
    };
    tracing::info!(pool = cfg.pool_id, node = %url, state_dir = %cfg.state_dir.display(), cache = %cfg.cache.display(), "pool validator starting");
    run_pool_validator(cfg, NodeChain::new(sender)?, cancel).await
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        a: PoolValidatorArgs,
    }

    #[test]
    fn the_flags_are_the_other_daemons_with_the_pools() {
        let longs: Vec<String> = Cmd::command()
            .get_arguments()
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect();
        assert_eq!(
            longs,
            [
                "node",
                "key",
                "keyring-backend",
                "home",
                "gas-prices",
                "pool",
                "bond",
                "state-dir",
                "cache",
                "poll-secs",
                "max-contribution-bytes"
            ]
        );
        let c = Cmd::try_parse_from([
            "c", "--key", "v", "--pool", "7", "--home", "/h", "--bond", "5udeai",
        ])
        .unwrap();
        let cfg = c.a.config().unwrap();
        assert_eq!(cfg.pool_id, 7);
        assert_eq!(cfg.state_dir, Path::new("/h/pool-validator-7-v"));
        assert_eq!(cfg.bond.unwrap().to_string(), "5udeai");
        assert_eq!(cfg.max_contribution_bytes, DEFAULT_MAX_CONTRIBUTION_BYTES);
        assert!(matches!(c.a.keyring_backend, Backend::File));
        assert_eq!(c.a.node, "tcp://127.0.0.1:26657");
        assert!(
            Cmd::try_parse_from(["c", "--key", "v"]).is_err(),
            "--pool is required"
        );
        let bad = Cmd::try_parse_from(["c", "--key", "v", "--pool", "1", "--bond", "x"]).unwrap();
        assert!(bad.a.config().is_err());
    }
}
