//! `deaid tx task …`: proposing a training task, depositing on it and voting on it
//! (`deai.task.v1.Msg`, but UpdateParams, which only the module's authority signs), with
//! the conventions of `tx training …`: the signing key first, then the message's flags and
//! the common tx flags. `propose` takes the training task exactly as `tx training
//! create-task` does (the base job spec file and the same flags, `--pool` the reward pool),
//! plus the proposal's title and description and the evaluation job spec file
//! (docs/task.md).

use std::path::{Path, PathBuf};

use clap::Subcommand;

use deai_client::TxResponse;
use deai_proto::task::v1 as pb;

use super::distribution_tx::{coins, CoinList};
use super::gov_tx::vote_option;
use super::output::OutputFormat;
use super::parse::{send, send_annotated, BuildMsg, Signed};
use super::training_tx::{build_create_task, CreateTask};
use super::wasm_tx::event_attribute;

#[derive(Subcommand, Debug)]
pub enum TaskTx {
    /// Propose a training task, escrowing --pool and --deposit; with min_deposit, voting
    /// and the validators' code check start at once.
    Propose(Box<Signed<Propose>>),
    /// Add to a task's deposit in its deposit period (reaching min_deposit starts voting).
    Deposit(Signed<Deposit>),
    /// Vote on a task in its voting period (a new vote replaces the earlier one).
    Vote(Signed<Vote>),
}

pub fn run(home: &Path, cmd: TaskTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        TaskTx::Propose(s) => send_annotated(home, *s, out, new_task_id),
        TaskTx::Deposit(s) => send(home, s, out),
        TaskTx::Vote(s) => send(home, s, out),
    }
}

/// `propose`'s addition to the printed TxResponse: the `task_id` of EventTaskProposed.
fn new_task_id(resp: &TxResponse) -> Vec<(&'static str, serde_json::Value)> {
    match event_attribute(resp, "deai.task.v1.EventTaskProposed", "task_id") {
        Some(id) => vec![("task_id", id.trim_matches('"').into())],
        None => Vec::new(),
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Propose {
    /// The proposal's title (at most the max_title_len param, 140 bytes by default).
    #[arg(long)]
    pub title: String,
    /// The proposal's description.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Read the description from this file instead.
    #[arg(long, conflicts_with = "description")]
    pub description_file: Option<PathBuf>,
    /// The evaluation job spec file of the worker (a JSON object).
    #[arg(long)]
    pub eval_spec: PathBuf,
    /// The evaluation metric's name, e.g. accuracy.
    #[arg(long)]
    pub metric: String,
    /// The metric's target, a non-negative decimal such as 0.9.
    #[arg(long, value_parser = target)]
    pub target: String,
    /// The initial deposit, e.g. 10000000udeai (none by default).
    #[arg(long, value_parser = coins)]
    pub deposit: Option<CoinList>,
    #[command(flatten)]
    pub task: CreateTask,
}

/// A non-negative decimal (up to 18 decimals), kept as written.
pub fn target(s: &str) -> anyhow::Result<String> {
    deai_framework::dec::Dec::parse(s.trim())
        .map_err(|e| anyhow::anyhow!("--target: {e} (expected e.g. 0.9 or 42)"))?;
    Ok(s.trim().into())
}

/// The MsgProposeTask of `args`, given the base spec, evaluation spec and description.
pub fn build_propose(
    args: &Propose,
    proposer: &str,
    spec: Vec<u8>,
    eval_spec: Vec<u8>,
    description: String,
) -> anyhow::Result<pb::MsgProposeTask> {
    let create = build_create_task(&args.task, proposer, spec)?;
    let v: serde_json::Value = serde_json::from_slice(&eval_spec)
        .map_err(|e| anyhow::anyhow!("--eval-spec is not JSON: {e}"))?;
    anyhow::ensure!(
        v.is_object(),
        "--eval-spec must be a JSON object (a job spec)"
    );
    anyhow::ensure!(!args.title.trim().is_empty(), "--title must not be empty");
    anyhow::ensure!(!args.metric.is_empty(), "--metric must not be empty");
    Ok(pb::MsgProposeTask {
        proposer: proposer.into(),
        title: args.title.clone(),
        description,
        spec: create.spec,
        evaluation: Some(pb::EvaluationSpec {
            spec: eval_spec,
            metric: args.metric.clone(),
            target: args.target.clone(),
        }),
        reward_pool: create.reward_pool,
        initial_deposit: args.deposit.clone().map(|c| c.0).unwrap_or_default(),
    })
}

fn read(path: &Path, flag: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {flag} {}: {e}", path.display()))
}

impl BuildMsg for Propose {
    type Msg = pb::MsgProposeTask;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgProposeTask> {
        let spec = read(&self.task.spec, "--spec")?;
        let eval = read(&self.eval_spec, "--eval-spec")?;
        let description = match &self.description_file {
            Some(p) => String::from_utf8(read(p, "--description-file")?)
                .map_err(|_| anyhow::anyhow!("--description-file is not UTF-8"))?,
            None => self.description.clone(),
        };
        build_propose(self, signer, spec, eval, description)
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Deposit {
    pub task_id: u64,
    /// Coins, e.g. 10000000udeai (in min_deposit's denoms).
    #[arg(value_parser = coins)]
    pub amount: CoinList,
}

impl BuildMsg for Deposit {
    type Msg = pb::MsgDepositTask;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgDepositTask {
            depositor: signer.into(),
            task_id: self.task_id,
            amount: self.amount.0.clone(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Vote {
    pub task_id: u64,
    /// yes, no, abstain or no_with_veto.
    #[arg(value_parser = vote_option)]
    pub option: i32,
}

impl BuildMsg for Vote {
    type Msg = pb::MsgVoteTask;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgVoteTask {
            voter: signer.into(),
            task_id: self.task_id,
            option: self.option,
        })
    }
}

#[cfg(test)]
#[path = "task_tx_tests.rs"]
mod tests;
