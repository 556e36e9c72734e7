//! `deaid tx data …`: one command per message of `deai.data.v1.Msg` (but UpdateParams, which
//! only the module's authority signs), with the conventions of `tx training …`: the signing
//! key first, then the message's ids and flags, then the common tx flags. The dataset and
//! grant commands are in `data_msgs.rs`; the pool commands are here (docs/data.md).

use std::path::Path;

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use deai_proto::data::v1 as pb;

pub use super::data_msgs::*;
use super::output::OutputFormat;
use super::parse::{address, coin, hex32, Hash};
pub use super::parse::{send, BuildMsg, Signed};
use super::training_msgs::uri;

#[derive(Subcommand, Debug)]
pub enum DataTx {
    /// Publish a dataset (its token is the denom data/{id}), escrowing the publisher deposit.
    Publish(Box<Signed<Publish>>),
    /// As its publisher, change a dataset's metadata, price or host, or disable it.
    Update(Box<Signed<Update>>),
    /// Buy --count access tokens of a dataset at its price (at most --max-price each).
    Buy(Signed<Buy>),
    /// Burn one access token of a dataset for an access grant.
    Redeem(Signed<Redeem>),
    /// As an encrypted dataset's provider, deliver a grant's wrapped data key.
    DeliverKey(Signed<DeliverKey>),
    /// Create a data pool, escrowing --funds as its reward balance.
    CreatePool(Signed<CreatePool>),
    /// As a validator the pool names, bond (add) stake so that its scores count.
    BondValidator(Signed<BondValidator>),
    /// Contribute data to a pool, staking --stake.
    Contribute(Signed<Contribute>),
    /// As a bonded validator of its pool, score a contribution (once, in its epoch).
    Score(Signed<Score>),
    /// As its owner, close a pool: no contributions or bonds from now; its current epoch
    /// settles at its end, then its balance returns to the owner and every bond to its
    /// validator.
    ClosePool(Signed<ClosePool>),
}

pub fn run(home: &Path, cmd: DataTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        DataTx::Publish(s) => send(home, *s, out),
        DataTx::Update(s) => send(home, *s, out),
        DataTx::Buy(s) => send(home, s, out),
        DataTx::Redeem(s) => send(home, s, out),
        DataTx::DeliverKey(s) => send(home, s, out),
        DataTx::CreatePool(s) => send(home, s, out),
        DataTx::BondValidator(s) => send(home, s, out),
        DataTx::Contribute(s) => send(home, s, out),
        DataTx::Score(s) => send(home, s, out),
        DataTx::ClosePool(s) => send(home, s, out),
    }
}

/// A pool's schema: any JSON document (the chain bounds its size).
fn schema(s: &str) -> anyhow::Result<String> {
    serde_json::from_str::<serde_json::Value>(s)
        .map_err(|e| anyhow::anyhow!("--schema must be JSON: {e}"))?;
    Ok(s.into())
}

#[derive(clap::Args, Clone, Debug)]
pub struct CreatePool {
    /// The data schema contributions follow, as JSON, e.g. '{"columns":["x","y"]}'.
    #[arg(long, value_parser = schema)]
    pub schema: String,
    /// Paid to the epoch's accepted contributions, e.g. 1000000udeai.
    #[arg(long, value_parser = coin)]
    pub reward_per_epoch: ProtoCoin,
    /// Blocks of each epoch.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=deai_data::MAX_EPOCH_LENGTH))]
    pub epoch_length: u64,
    /// Least stake of a contribution.
    #[arg(long, value_parser = coin)]
    pub min_contributor_stake: ProtoCoin,
    /// Consensus score (u16-scaled, 0 to 65535) at which a contribution is paid, not slashed.
    #[arg(long)]
    pub score_threshold: u16,
    /// The pool's validators, comma-separated and distinct.
    #[arg(long, value_delimiter = ',', value_parser = address, required = true)]
    pub validators: Vec<String>,
    /// The reward pool escrowed from the signer now, e.g. 100000000udeai.
    #[arg(long, value_parser = coin)]
    pub funds: ProtoCoin,
}

impl BuildMsg for CreatePool {
    type Msg = pb::MsgCreatePool;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgCreatePool> {
        let mut sorted = self.validators.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            anyhow::bail!("validator {} is given twice in --validators", w[0]);
        }
        let cap = deai_data::MAX_POOL_VALIDATORS_CAP as usize;
        anyhow::ensure!(
            sorted.len() <= cap,
            "--validators names {} validators, above the chain's cap of {cap}",
            sorted.len()
        );
        // Every amount of a pool is in the bond denom: one denom, the funds'.
        for (flag, c) in [
            ("--reward-per-epoch", &self.reward_per_epoch),
            ("--min-contributor-stake", &self.min_contributor_stake),
        ] {
            anyhow::ensure!(
                c.denom == self.funds.denom,
                "{flag} must be in the denom of --funds, {} (the bond denom), got {}",
                self.funds.denom,
                c.denom
            );
        }
        Ok(pb::MsgCreatePool {
            owner: signer.into(),
            schema: self.schema.clone(),
            reward_per_epoch: Some(self.reward_per_epoch.clone()),
            epoch_length: self.epoch_length,
            min_contributor_stake: Some(self.min_contributor_stake.clone()),
            score_threshold_u16: self.score_threshold.into(),
            validators: self.validators.clone(),
            funds: Some(self.funds.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct BondValidator {
    /// The pool's id.
    pub pool_id: u64,
    /// Stake added to the signer's bond, e.g. 1000000udeai.
    #[arg(long, value_parser = coin)]
    pub amount: ProtoCoin,
}

impl BuildMsg for BondValidator {
    type Msg = pb::MsgBondPoolValidator;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgBondPoolValidator> {
        Ok(pb::MsgBondPoolValidator {
            validator: signer.into(),
            pool_id: self.pool_id,
            stake: Some(self.amount.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Contribute {
    /// The pool's id.
    pub pool_id: u64,
    /// sha256 of the contributed file, 64 hex characters (unique across all pools).
    #[arg(long, value_parser = hex32)]
    pub content_sha256: Hash,
    /// Where the pool's validators fetch it.
    #[arg(long, value_parser = uri)]
    pub uri: String,
    /// At least the pool's min contributor stake, e.g. 1000udeai.
    #[arg(long, value_parser = coin)]
    pub stake: ProtoCoin,
}

impl BuildMsg for Contribute {
    type Msg = pb::MsgContribute;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgContribute> {
        Ok(pb::MsgContribute {
            contributor: signer.into(),
            pool_id: self.pool_id,
            content_sha256: self.content_sha256.0.clone(),
            uri: self.uri.clone(),
            stake: Some(self.stake.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Score {
    /// The contribution's id.
    pub contribution_id: u64,
    /// The score, u16-scaled: 0 to 65535.
    #[arg(long)]
    pub score: u16,
}

impl BuildMsg for Score {
    type Msg = pb::MsgScoreContribution;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgScoreContribution> {
        Ok(pb::MsgScoreContribution {
            validator: signer.into(),
            contribution_id: self.contribution_id,
            score_u16: self.score.into(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct ClosePool {
    /// The pool's id.
    pub pool_id: u64,
}

impl BuildMsg for ClosePool {
    type Msg = pb::MsgClosePool;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgClosePool> {
        Ok(pb::MsgClosePool {
            owner: signer.into(),
            pool_id: self.pool_id,
        })
    }
}

#[cfg(test)]
#[path = "data_tx_tests.rs"]
mod tests;
