//! `deaid tx training …`: one command per message of `deai.training.v1.Msg` (but
//! UpdateParams, which only the module's authority signs), with the conventions of
//! `tx compute …`: the signing key first, then the message's flags and the common tx flags.
//! `create-task` reads the base job spec file; the commit commands compute their commit hash
//! from the revealed values and the signer's address (docs/training.md).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use sha2::{Digest, Sha256};

use deai_proto::training::v1 as pb;

use super::output::OutputFormat;
use super::parse::{coin, hex32, Hash};
pub use super::parse::{send, BuildMsg, Signed};
pub use super::training_msgs::*;

#[derive(Subcommand, Debug)]
pub enum TrainingTx {
    /// Create a task from a base job spec (kind "train"), escrowing --pool.
    CreateTask(Box<Signed<CreateTask>>),
    /// Register the signer in a task as a trainer or a validator, bonding --stake.
    Register(Signed<Register>),
    /// Add to the signer's bonded stake in a task.
    AddStake(Signed<AddStake>),
    /// Start unbonding part of the signer's stake (all of it deregisters the neuron).
    RemoveStake(Signed<RemoveStake>),
    /// As a trainer, commit the hash of a round's update (before the reveal phase).
    CommitUpdate(Signed<CommitUpdate>),
    /// As a trainer, reveal a committed update: its hash, salt, URI and checkpoint hashes.
    RevealUpdate(Signed<RevealUpdate>),
    /// As a validator, commit the hash of a round's weight row.
    CommitWeights(Signed<CommitWeights>),
    /// As a validator, reveal the committed weight row (the same flags as commit-weights).
    RevealWeights(Signed<RevealWeights>),
    /// As the round's drawn aggregator, submit the FedAvg aggregate's hash and URI.
    SubmitAggregate(Signed<SubmitAggregate>),
    /// As a validator of the task, accuse a trainer's update or a round's aggregate,
    /// escrowing the audit bond.
    OpenAudit(Signed<OpenAudit>),
    /// As an audit's drawn referee, answer the replayed hash.
    SubmitAudit(Signed<SubmitAudit>),
}

pub fn run(home: &Path, cmd: TrainingTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        TrainingTx::CreateTask(s) => send(home, *s, out),
        TrainingTx::Register(s) => send(home, s, out),
        TrainingTx::AddStake(s) => send(home, s, out),
        TrainingTx::RemoveStake(s) => send(home, s, out),
        TrainingTx::CommitUpdate(s) => send(home, s, out),
        TrainingTx::RevealUpdate(s) => send(home, s, out),
        TrainingTx::CommitWeights(s) => send(home, s, out),
        TrainingTx::RevealWeights(s) => send(home, s, out),
        TrainingTx::SubmitAggregate(s) => send(home, s, out),
        TrainingTx::OpenAudit(s) => send(home, s, out),
        TrainingTx::SubmitAudit(s) => send(home, s, out),
    }
}

/// subtensor's u16-scaled Yuma parameters of a task; the defaults are subtensor's runtime
/// defaults (docs/yuma.md).
#[derive(clap::Args, Clone, Debug)]
pub struct YumaArgs {
    /// Consensus majority, u16-scaled (32767: kappa = 0.49999).
    #[arg(long, default_value_t = 32767)]
    pub kappa_u16: u16,
    /// Bonds EMA: alpha = 1 − this / 1000000.
    #[arg(long, default_value_t = 900_000)]
    pub bonds_moving_average: u64,
    /// How far bonds follow clipped rather than raw weights, u16-scaled (65535: clipped).
    #[arg(long, default_value_t = 65535)]
    pub bonds_penalty_u16: u16,
    /// Use Yuma3 bonds.
    #[arg(long)]
    pub yuma3: bool,
    /// Liquid alpha (per-cell bond EMA rate; takes effect with --yuma3).
    #[arg(long)]
    pub liquid_alpha: bool,
    #[arg(long, default_value_t = 45875)]
    pub alpha_low_u16: u16,
    #[arg(long, default_value_t = 58982)]
    pub alpha_high_u16: u16,
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    pub alpha_sigmoid_steepness: i16,
    /// k of the top-k validator permits.
    #[arg(long, default_value_t = 128)]
    pub max_allowed_validators: u16,
}

impl YumaArgs {
    pub fn to_proto(&self) -> anyhow::Result<pb::YumaParams> {
        anyhow::ensure!(
            self.bonds_moving_average <= 1_000_000,
            "--bonds-moving-average must be at most 1000000, got {}",
            self.bonds_moving_average
        );
        anyhow::ensure!(
            self.alpha_low_u16 <= self.alpha_high_u16,
            "--alpha-low-u16 ({}) must not exceed --alpha-high-u16 ({})",
            self.alpha_low_u16,
            self.alpha_high_u16
        );
        anyhow::ensure!(
            self.max_allowed_validators > 0,
            "--max-allowed-validators must be positive"
        );
        Ok(pb::YumaParams {
            kappa_u16: self.kappa_u16.into(),
            bonds_moving_average: self.bonds_moving_average,
            bonds_penalty_u16: self.bonds_penalty_u16.into(),
            yuma3: self.yuma3,
            liquid_alpha: self.liquid_alpha,
            alpha_low_u16: self.alpha_low_u16.into(),
            alpha_high_u16: self.alpha_high_u16.into(),
            alpha_sigmoid_steepness: self.alpha_sigmoid_steepness.into(),
            max_allowed_validators: self.max_allowed_validators.into(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct CreateTask {
    /// The base model's job spec file (JSON, "kind": "train"); sent inline with its sha256.
    #[arg(long)]
    pub spec: PathBuf,
    /// sha256 of the training dataset, 64 hex characters; by default the spec's
    /// dataset.sha256 (when both are given they must agree).
    #[arg(long, value_parser = hex32)]
    pub dataset_sha256: Option<Hash>,
    /// Where workers fetch the dataset.
    #[arg(long, value_parser = uri)]
    pub dataset_uri: String,
    /// Round length in blocks (more than aggregate-window + 3 × reveal-window + 1).
    #[arg(long)]
    pub tempo: u64,
    /// Blocks of each reveal phase (update reveal, weight commit, weight reveal).
    #[arg(long)]
    pub reveal_window: u64,
    /// Blocks at the start of a round for the previous round's aggregate.
    #[arg(long)]
    pub aggregate_window: u64,
    /// Most neurons (trainers and validators) of the task, at least 2 (and at most the
    /// max_neurons_limit param).
    #[arg(long)]
    pub max_neurons: u16,
    /// Number of data shards of the training split.
    #[arg(long, default_value_t = 1)]
    pub shard_count: u32,
    /// The reward pool escrowed from the signer, e.g. 100000000udeai.
    #[arg(long, value_parser = coin)]
    pub pool: ProtoCoin,
    /// Paid from the pool at each tempo boundary, e.g. 1000000udeai.
    #[arg(long, value_parser = coin)]
    pub emission_per_tempo: ProtoCoin,
    /// Least stake a trainer registers with.
    #[arg(long, value_parser = coin)]
    pub min_trainer_stake: ProtoCoin,
    /// Least stake a validator registers with.
    #[arg(long, value_parser = coin)]
    pub min_validator_stake: ProtoCoin,
    #[command(flatten)]
    pub yuma: YumaArgs,
}

/// The dataset sha256 a job spec names (`dataset.sha256`), if it is one; errors if the spec is
/// not a JSON object of kind "train".
fn spec_dataset(spec: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
    let v: serde_json::Value =
        serde_json::from_slice(spec).map_err(|e| anyhow::anyhow!("--spec is not JSON: {e}"))?;
    anyhow::ensure!(v.is_object(), "--spec must be a JSON object (a job spec)");
    anyhow::ensure!(
        v["kind"] == "train",
        "--spec must be a training job spec (\"kind\": \"train\"), got kind {}",
        v["kind"]
    );
    Ok(v["dataset"]["sha256"]
        .as_str()
        .and_then(|h| hex32(h).ok())
        .map(|h| h.0))
}

/// The MsgCreateTask of `args` for the spec bytes `spec`.
pub fn build_create_task(
    args: &CreateTask,
    creator: &str,
    spec: Vec<u8>,
) -> anyhow::Result<pb::MsgCreateTask> {
    let dataset_sha256 = match (spec_dataset(&spec)?, &args.dataset_sha256) {
        (Some(s), Some(f)) if s != f.0 => anyhow::bail!(
            "--dataset-sha256 {} differs from the spec's dataset.sha256 {}",
            hex::encode(&f.0),
            hex::encode(s)
        ),
        (_, Some(f)) => f.0.clone(),
        (Some(s), None) => s,
        (None, None) => {
            anyhow::bail!("give --dataset-sha256 (the spec names no dataset.sha256)")
        }
    };
    let (w, a) = (args.reveal_window, args.aggregate_window);
    anyhow::ensure!(w >= 1, "--reveal-window must be at least 1");
    anyhow::ensure!(a >= 1, "--aggregate-window must be at least 1");
    let least = a
        .checked_add(w.saturating_mul(3))
        .and_then(|x| x.checked_add(1))
        .ok_or_else(|| anyhow::anyhow!("--reveal-window and --aggregate-window overflow"))?;
    anyhow::ensure!(
        args.tempo > least,
        "--tempo must exceed aggregate-window + 3 × reveal-window + 1 = {least}, got {}",
        args.tempo
    );
    anyhow::ensure!(args.max_neurons >= 2, "--max-neurons must be at least 2");
    anyhow::ensure!(args.shard_count >= 1, "--shard-count must be at least 1");
    anyhow::ensure!(
        args.emission_per_tempo.denom == args.pool.denom,
        "--emission-per-tempo is paid from --pool: use its denom {}",
        args.pool.denom
    );
    for (flag, c) in [
        ("--min-trainer-stake", &args.min_trainer_stake),
        ("--min-validator-stake", &args.min_validator_stake),
    ] {
        anyhow::ensure!(
            c.denom == args.pool.denom,
            "{flag} must be in the pool's denom {} (the bond denom), got {}",
            args.pool.denom,
            c.denom
        );
    }
    Ok(pb::MsgCreateTask {
        creator: creator.into(),
        spec: Some(pb::TaskSpec {
            base_spec_sha256: Sha256::digest(&spec).to_vec(),
            base_spec: spec,
            dataset_sha256,
            dataset_uri: args.dataset_uri.clone(),
            tempo: args.tempo,
            reveal_window: w,
            aggregate_window: a,
            max_neurons: args.max_neurons.into(),
            shard_count: args.shard_count,
            yuma: Some(args.yuma.to_proto()?),
            min_trainer_stake: Some(args.min_trainer_stake.clone()),
            min_validator_stake: Some(args.min_validator_stake.clone()),
            emission_per_tempo: Some(args.emission_per_tempo.clone()),
        }),
        reward_pool: Some(args.pool.clone()),
    })
}

impl BuildMsg for CreateTask {
    type Msg = pb::MsgCreateTask;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgCreateTask> {
        let spec = std::fs::read(&self.spec)
            .map_err(|e| anyhow::anyhow!("cannot read --spec {}: {e}", self.spec.display()))?;
        build_create_task(self, signer, spec)
    }
}

#[cfg(test)]
#[path = "training_tx_tests.rs"]
mod tests;
