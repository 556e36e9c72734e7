//! The arguments of `deaid tx training …` commands other than create-task, the messages they
//! make (see [`BuildMsg`]), and the parsers of their values (salts, URIs, weight rows).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use deai_framework::Address;
use deai_proto::training::v1 as pb;

use super::parse::{coin, hex32, BuildMsg, Hash};

/// Shortest and longest commit salt, in bytes (docs/training.md; the longest is the default
/// `max_salt_bytes` param).
pub const MIN_SALT_BYTES: usize = deai_training::MIN_SALT_BYTES as usize;
pub const MAX_SALT_BYTES: usize = 64;

/// A commit salt: 16 to 64 bytes in hex (an optional `0x` prefix is allowed).
pub fn salt(s: &str) -> anyhow::Result<Hash> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    let bytes = hex::decode(h).map_err(|_| {
        anyhow::anyhow!(
            "expected {MIN_SALT_BYTES} to {MAX_SALT_BYTES} bytes in hex, got {s:?} \
             (e.g. from `openssl rand -hex 32`)"
        )
    })?;
    anyhow::ensure!(
        (MIN_SALT_BYTES..=MAX_SALT_BYTES).contains(&bytes.len()),
        "a salt is {MIN_SALT_BYTES} to {MAX_SALT_BYTES} bytes ({} to {} hex characters), got {} bytes",
        2 * MIN_SALT_BYTES,
        2 * MAX_SALT_BYTES,
        bytes.len()
    );
    Ok(Hash(bytes))
}

/// A URI as the chain takes it: 1 to 512 printable ASCII bytes, no spaces
/// (`deai_training::validate_uri`), e.g. `http://127.0.0.1:8080/blobs/<sha256>`.
pub fn uri(s: &str) -> anyhow::Result<String> {
    deai_training::validate_uri(s).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(s.into())
}

/// A referee's answer: a 32-byte hash in hex, or `none` (the true run has no such hash).
pub fn answer(s: &str) -> anyhow::Result<Hash> {
    if s.eq_ignore_ascii_case("none") {
        Ok(Hash(Vec::new()))
    } else {
        hex32(s).map_err(|e| anyhow::anyhow!("{e}, or none"))
    }
}

/// The signer's address, which commits bind.
fn signer_address(signer: &str) -> anyhow::Result<Address> {
    Address::from_bech32(signer).map_err(|e| anyhow::anyhow!(e.log))
}

/// `sha256(update_hash ‖ salt ‖ owner address bytes)`.
pub fn update_commit(update_hash: &[u8], salt: &[u8], owner: &str) -> anyhow::Result<Vec<u8>> {
    let owner = signer_address(owner)?;
    Ok(deai_training::commits::update_commit_hash(update_hash, salt, &owner).to_vec())
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    /// Trains updates (a miner): its stake is collateral.
    Trainer,
    /// Evaluates updates and sets weights: its stake is its voting weight.
    Validator,
}

#[derive(clap::Args, Clone, Debug)]
pub struct Register {
    #[arg(long)]
    pub task: u64,
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// Stake bonded (at least the task's minimum for the role), e.g. 1000000udeai.
    #[arg(long, value_parser = coin)]
    pub stake: ProtoCoin,
}

impl BuildMsg for Register {
    type Msg = pb::MsgRegisterNeuron;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgRegisterNeuron> {
        let role = match self.role {
            RoleArg::Trainer => pb::Role::Trainer,
            RoleArg::Validator => pb::Role::Validator,
        };
        Ok(pb::MsgRegisterNeuron {
            owner: signer.into(),
            task_id: self.task,
            role: role as i32,
            stake: Some(self.stake.clone()),
        })
    }
}

/// `$args { --task, --amount }` makes `pb::$msg { owner, task_id, amount }`.
macro_rules! stake_command {
    ($args:ident => $msg:ident) => {
        #[derive(clap::Args, Clone, Debug)]
        pub struct $args {
            #[arg(long)]
            pub task: u64,
            /// The stake, e.g. 500000udeai.
            #[arg(long, value_parser = coin)]
            pub amount: ProtoCoin,
        }

        impl BuildMsg for $args {
            type Msg = pb::$msg;
            fn build(&self, signer: &str) -> anyhow::Result<pb::$msg> {
                Ok(pb::$msg {
                    owner: signer.into(),
                    task_id: self.task,
                    amount: Some(self.amount.clone()),
                })
            }
        }
    };
}

stake_command!(AddStake => MsgAddStake);
stake_command!(RemoveStake => MsgRemoveStake);

#[derive(clap::Args, Clone, Debug)]
pub struct CommitUpdate {
    #[arg(long)]
    pub task: u64,
    #[arg(long)]
    pub round: u64,
    /// sha256 of the update's weights file, 64 hex characters.
    #[arg(long, value_parser = hex32, required_unless_present = "commit_hash")]
    pub update_hash: Option<Hash>,
    /// The salt the reveal will show, 16 to 64 bytes in hex.
    #[arg(long, value_parser = salt, required_unless_present = "commit_hash")]
    pub salt: Option<Hash>,
    /// The commit hash itself, computed elsewhere (instead of --update-hash and --salt).
    #[arg(long, value_parser = hex32, conflicts_with_all = ["update_hash", "salt"])]
    pub commit_hash: Option<Hash>,
}

impl BuildMsg for CommitUpdate {
    type Msg = pb::MsgCommitUpdate;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgCommitUpdate> {
        let commit_hash = match (&self.commit_hash, &self.update_hash, &self.salt) {
            (Some(c), None, None) => c.0.clone(),
            (None, Some(u), Some(s)) => update_commit(&u.0, &s.0, signer)?,
            _ => anyhow::bail!("give --update-hash and --salt, or --commit-hash"),
        };
        Ok(pb::MsgCommitUpdate {
            owner: signer.into(),
            task_id: self.task,
            round: self.round,
            commit_hash,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct RevealUpdate {
    #[arg(long)]
    pub task: u64,
    #[arg(long)]
    pub round: u64,
    /// sha256 of the update's weights file, 64 hex characters.
    #[arg(long, value_parser = hex32)]
    pub update_hash: Hash,
    /// The salt of the commit.
    #[arg(long, value_parser = salt)]
    pub salt: Hash,
    /// Where validators fetch the update.
    #[arg(long, value_parser = uri)]
    pub uri: String,
    /// The run's checkpoint hashes in order, comma-separated (at least 2).
    #[arg(long, value_delimiter = ',', value_parser = hex32, required = true)]
    pub checkpoints: Vec<Hash>,
}

impl BuildMsg for RevealUpdate {
    type Msg = pb::MsgRevealUpdate;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgRevealUpdate> {
        anyhow::ensure!(
            self.checkpoints.len() >= 2,
            "--checkpoints needs at least 2 hashes, got {}",
            self.checkpoints.len()
        );
        Ok(pb::MsgRevealUpdate {
            owner: signer.into(),
            task_id: self.task,
            round: self.round,
            update_hash: self.update_hash.0.clone(),
            salt: self.salt.0.clone(),
            uri: self.uri.clone(),
            checkpoint_hashes: self.checkpoints.iter().map(|h| h.0.clone()).collect(),
        })
    }
}

/// A validator's weight row, as committed and revealed.
#[derive(clap::Args, Clone, Debug)]
pub struct WeightsRow {
    #[arg(long)]
    pub task: u64,
    #[arg(long)]
    pub round: u64,
    /// The uids weighted, comma-separated and distinct, e.g. 0,1,2.
    #[arg(long, value_delimiter = ',', required = true)]
    pub uids: Vec<u16>,
    /// Their u16 weights in the same order, e.g. 65535,100,0 (the chain max-upscales them).
    #[arg(long, value_delimiter = ',', required = true)]
    pub values: Vec<u16>,
    /// 16 to 64 bytes in hex; the same for the commit and the reveal.
    #[arg(long, value_parser = salt)]
    pub salt: Hash,
    /// The weights version key.
    #[arg(long, default_value_t = 0)]
    pub version: u64,
}

impl WeightsRow {
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.uids.len() == self.values.len(),
            "--uids has {} entries but --values has {}",
            self.uids.len(),
            self.values.len()
        );
        let mut sorted = self.uids.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            anyhow::bail!("uid {} is given twice in --uids", w[0]);
        }
        Ok(())
    }

    /// The commit hash of this row by `owner` (docs/training.md's encoding).
    pub fn commit_hash(&self, owner: &str) -> anyhow::Result<Vec<u8>> {
        self.check()?;
        let owner = signer_address(owner)?;
        Ok(deai_training::commits::weights_commit_hash(
            &owner,
            self.task,
            self.round,
            &self.uids,
            &self.values,
            &self.salt.0,
            self.version,
        )
        .to_vec())
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct CommitWeights {
    #[command(flatten)]
    pub row: WeightsRow,
}

impl BuildMsg for CommitWeights {
    type Msg = pb::MsgCommitWeights;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgCommitWeights> {
        Ok(pb::MsgCommitWeights {
            owner: signer.into(),
            task_id: self.row.task,
            round: self.row.round,
            commit_hash: self.row.commit_hash(signer)?,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct RevealWeights {
    #[command(flatten)]
    pub row: WeightsRow,
}

impl BuildMsg for RevealWeights {
    type Msg = pb::MsgRevealWeights;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgRevealWeights> {
        let r = &self.row;
        r.check()?;
        Ok(pb::MsgRevealWeights {
            owner: signer.into(),
            task_id: r.task,
            round: r.round,
            uids: r.uids.iter().map(|&u| u.into()).collect(),
            values: r.values.iter().map(|&v| v.into()).collect(),
            salt: r.salt.0.clone(),
            version: r.version,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct SubmitAggregate {
    #[arg(long)]
    pub task: u64,
    #[arg(long)]
    pub round: u64,
    /// sha256 of the aggregate's safetensors file, 64 hex characters.
    #[arg(long, value_parser = hex32)]
    pub aggregate_hash: Hash,
    /// Where trainers fetch the aggregate.
    #[arg(long, value_parser = uri)]
    pub uri: String,
}

impl BuildMsg for SubmitAggregate {
    type Msg = pb::MsgSubmitAggregate;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgSubmitAggregate> {
        Ok(pb::MsgSubmitAggregate {
            aggregator: signer.into(),
            task_id: self.task,
            round: self.round,
            aggregate_hash: self.aggregate_hash.0.clone(),
            uri: self.uri.clone(),
        })
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetArg {
    /// A trainer's update (give its --uid).
    Update,
    /// The round's aggregate (its aggregator is the accused).
    Aggregate,
}

#[derive(clap::Args, Clone, Debug)]
pub struct OpenAudit {
    #[arg(long)]
    pub task: u64,
    #[arg(long)]
    pub round: u64,
    #[arg(long, value_enum)]
    pub target: TargetArg,
    /// The accused trainer's uid; only with --target update.
    #[arg(long)]
    pub uid: Option<u16>,
}

impl BuildMsg for OpenAudit {
    type Msg = pb::MsgOpenAudit;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgOpenAudit> {
        let (target, accused_uid) = match (self.target, self.uid) {
            (TargetArg::Update, Some(uid)) => (pb::AuditTarget::Update, uid.into()),
            (TargetArg::Update, None) => anyhow::bail!("--target update needs --uid"),
            (TargetArg::Aggregate, None) => (pb::AuditTarget::Aggregate, 0),
            (TargetArg::Aggregate, Some(_)) => anyhow::bail!(
                "--uid is only for --target update (an aggregate's accused is its aggregator)"
            ),
        };
        Ok(pb::MsgOpenAudit {
            auditor: signer.into(),
            task_id: self.task,
            round: self.round,
            target: target as i32,
            accused_uid,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct SubmitAudit {
    #[arg(long)]
    pub audit: u64,
    /// The hash the replay computed at the claim's index segment + 1 (64 hex characters), or
    /// `none` when the true run has no such hash.
    #[arg(long, value_parser = answer)]
    pub answer: Hash,
}

impl BuildMsg for SubmitAudit {
    type Msg = pb::MsgSubmitAudit;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgSubmitAudit> {
        Ok(pb::MsgSubmitAudit {
            referee: signer.into(),
            audit_id: self.audit,
            answer: self.answer.0.clone(),
        })
    }
}
