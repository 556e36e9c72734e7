//! `deaid tx gov …`: simd v0.50's commands and arguments (`cosmos.gov.v1` messages), with
//! deai's convention for the key (it comes first, where simd has `--from`).
//!
//! `submit-proposal` reads simd v0.50's proposal file: {"messages": [<each message's proto
//! JSON with its "@type">], "metadata", "deposit", "title", "summary", "expedited"}; each
//! message is decoded by its descriptor (any message the node's API knows), decimals written
//! as decimals (`"0.05"`) as the REST API writes them.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::Any;
use prost::Message as _;

use deai_client::TxResponse;
use deai_framework::dec::Dec;
use deai_framework::Coins;

use super::distribution_tx::{coins, CoinList};
use super::output::OutputFormat;
use super::parse::{send, send_annotated, BuildMsg, Signed};
use super::wasm_tx::event_attribute;

#[derive(Subcommand, Debug)]
pub enum GovTx {
    /// Submit a proposal from a JSON file (simd v0.50's: {"messages": [{"@type": …}, …],
    /// "metadata", "deposit", "title", "summary", "expedited"}). Messages must be signed by
    /// the gov account (their "authority"). With --wait, prints the new `proposal_id`.
    SubmitProposal(Signed<SubmitProposal>),
    /// Add a deposit to a proposal in its deposit or voting period.
    Deposit(Signed<Deposit>),
    /// Vote on a proposal: yes, no, abstain or no_with_veto.
    Vote(Signed<Vote>),
    /// Split a vote among options, e.g. "yes=0.6,no=0.4" (the weights sum to 1).
    WeightedVote(Signed<WeightedVote>),
    /// Cancel the signer's proposal (part of its deposits is burned or sent, by the params).
    CancelProposal(Signed<CancelProposal>),
}

#[derive(clap::Args, Clone, Debug)]
pub struct SubmitProposal {
    /// The proposal's JSON file (see the command's help).
    pub proposal_file: PathBuf,
}

/// simd v0.50's proposal file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ProposalFile {
    #[serde(default)]
    messages: Vec<serde_json::Value>,
    #[serde(default)]
    metadata: String,
    #[serde(default)]
    deposit: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    expedited: bool,
}

/// One proposal message, `{"@type": "/pkg.Msg", <its fields>}`, as an Any: its fields are
/// read by the message's descriptor (proto JSON, decimals as decimals).
pub fn message_any(
    pool: &prost_reflect::DescriptorPool,
    v: &serde_json::Value,
) -> anyhow::Result<Any> {
    let obj = v
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("not a JSON object"))?;
    let url = obj
        .get("@type")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| anyhow::anyhow!("no \"@type\" (e.g. \"/cosmos.bank.v1beta1.MsgSend\")"))?;
    let name = url
        .strip_prefix('/')
        .ok_or_else(|| anyhow::anyhow!("\"@type\" must start with '/', got {url:?}"))?;
    let desc = pool
        .get_message_by_name(name)
        .ok_or_else(|| anyhow::anyhow!("unknown message type {url}"))?;
    let mut body = obj.clone();
    body.remove("@type");
    let m = deai_api::rest::from_json(desc, &serde_json::to_vec(&body)?)
        .map_err(|s| anyhow::anyhow!("{url}: {}", s.message()))?;
    Ok(Any {
        type_url: url.to_string(),
        value: m.encode_to_vec(),
    })
}

/// The MsgSubmitProposal a proposal file's text makes, proposed by `signer`.
pub fn proposal_msg(text: &str, signer: &str) -> anyhow::Result<pb::MsgSubmitProposal> {
    let f: ProposalFile = serde_json::from_str(text)?;
    anyhow::ensure!(
        !f.title.trim().is_empty(),
        "the proposal needs a non-empty \"title\""
    );
    anyhow::ensure!(
        !f.summary.trim().is_empty(),
        "the proposal needs a non-empty \"summary\""
    );
    let pool = deai_api::descriptors::pool()?;
    let messages = f
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| message_any(&pool, m).map_err(|e| anyhow::anyhow!("messages[{i}]: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let deposit = Coins::parse(f.deposit.trim())
        .map_err(|e| anyhow::anyhow!("deposit: {} (expected e.g. 10000000udeai)", e.log))?;
    Ok(pb::MsgSubmitProposal {
        messages,
        initial_deposit: deposit.to_proto(),
        proposer: signer.into(),
        metadata: f.metadata,
        title: f.title,
        summary: f.summary,
        expedited: f.expedited,
    })
}

impl BuildMsg for SubmitProposal {
    type Msg = pb::MsgSubmitProposal;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        let path = &self.proposal_file;
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        proposal_msg(&text, signer).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

/// `submit-proposal`'s addition to the printed TxResponse: the `proposal_id` of the
/// `submit_proposal` event.
fn new_proposal_id(resp: &TxResponse) -> Vec<(&'static str, serde_json::Value)> {
    match event_attribute(resp, "submit_proposal", "proposal_id") {
        Some(id) => vec![("proposal_id", id.into())],
        None => Vec::new(),
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Deposit {
    pub proposal_id: u64,
    /// Coins, e.g. 10000000udeai.
    #[arg(value_parser = coins)]
    pub amount: CoinList,
}

impl BuildMsg for Deposit {
    type Msg = pb::MsgDeposit;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgDeposit {
            proposal_id: self.proposal_id,
            depositor: signer.into(),
            amount: self.amount.0.clone(),
        })
    }
}

/// A vote option as simd reads it (`yes`, `no`, `abstain`, `no_with_veto`, or the enum's
/// names).
pub fn vote_option(s: &str) -> anyhow::Result<i32> {
    let o = match s.trim() {
        "yes" | "Yes" | "VOTE_OPTION_YES" => pb::VoteOption::Yes,
        "no" | "No" | "VOTE_OPTION_NO" => pb::VoteOption::No,
        "abstain" | "Abstain" | "VOTE_OPTION_ABSTAIN" => pb::VoteOption::Abstain,
        "no_with_veto" | "no-with-veto" | "NoWithVeto" | "VOTE_OPTION_NO_WITH_VETO" => {
            pb::VoteOption::NoWithVeto
        }
        _ => anyhow::bail!("unknown vote option {s:?} (expected yes, no, abstain or no_with_veto)"),
    };
    Ok(o as i32)
}

#[derive(clap::Args, Clone, Debug)]
pub struct Vote {
    pub proposal_id: u64,
    /// yes, no, abstain or no_with_veto.
    #[arg(value_parser = vote_option)]
    pub option: i32,
    /// Metadata of the vote.
    #[arg(long, default_value = "")]
    pub metadata: String,
}

impl BuildMsg for Vote {
    type Msg = pb::MsgVote;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgVote {
            proposal_id: self.proposal_id,
            voter: signer.into(),
            option: self.option,
            metadata: self.metadata.clone(),
        })
    }
}

/// Weighted options (a newtype, so that clap does not take `Vec` for a list).
#[derive(Clone, Debug, PartialEq)]
pub struct WeightedOptions(pub Vec<pb::WeightedVoteOption>);

/// simd's weighted options, `yes=0.6,no=0.4`: known options, each once, weights in (0, 1]
/// summing to exactly 1 (written with 18 decimals, as simd sends them).
pub fn weighted_options(s: &str) -> anyhow::Result<WeightedOptions> {
    let mut out: Vec<pb::WeightedVoteOption> = Vec::new();
    let mut total: u128 = 0;
    for part in s.split(',') {
        let (o, w) = part
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("expected option=weight, got {part:?}"))?;
        let option = vote_option(o)?;
        anyhow::ensure!(
            out.iter().all(|x| x.option != option),
            "option {:?} is given twice",
            o.trim()
        );
        let weight =
            Dec::parse(w.trim()).map_err(|e| anyhow::anyhow!("weight of {:?}: {e}", o.trim()))?;
        anyhow::ensure!(
            weight != Dec::ZERO && weight <= Dec::ONE,
            "weight of {:?} must be in (0, 1], got {w:?}",
            o.trim()
        );
        total = total.saturating_add(weight.units());
        out.push(pb::WeightedVoteOption {
            option,
            weight: weight.to_string(),
        });
    }
    anyhow::ensure!(
        total == Dec::ONE.units(),
        "the weights must sum to 1, got {}",
        Dec::from_units(total)
    );
    Ok(WeightedOptions(out))
}

#[derive(clap::Args, Clone, Debug)]
pub struct WeightedVote {
    pub proposal_id: u64,
    /// Options and weights, e.g. "yes=0.6,no=0.3,abstain=0.1".
    #[arg(value_parser = weighted_options)]
    pub options: WeightedOptions,
    #[arg(long, default_value = "")]
    pub metadata: String,
}

impl BuildMsg for WeightedVote {
    type Msg = pb::MsgVoteWeighted;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgVoteWeighted {
            proposal_id: self.proposal_id,
            voter: signer.into(),
            options: self.options.0.clone(),
            metadata: self.metadata.clone(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct CancelProposal {
    pub proposal_id: u64,
}

impl BuildMsg for CancelProposal {
    type Msg = pb::MsgCancelProposal;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgCancelProposal {
            proposal_id: self.proposal_id,
            proposer: signer.into(),
        })
    }
}

pub fn run(home: &Path, cmd: GovTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        GovTx::SubmitProposal(s) => send_annotated(home, s, out, new_proposal_id),
        GovTx::Deposit(s) => send(home, s, out),
        GovTx::Vote(s) => send(home, s, out),
        GovTx::WeightedVote(s) => send(home, s, out),
        GovTx::CancelProposal(s) => send(home, s, out),
    }
}

#[cfg(test)]
#[path = "gov_tx_tests.rs"]
mod tests;
