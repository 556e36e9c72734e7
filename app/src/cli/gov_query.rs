//! `deaid query gov …`: simd v0.50's commands, calling `cosmos.gov.v1.Query` over ABCI query
//! (or `--grpc-addr`) and printing the answers as the REST API does (Cosmos JSON).

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::gov::v1 as pb;

use super::output::OutputFormat;
use super::parse::{address, show_sdk, PageArgs};
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum GovQuery {
    /// A proposal by id.
    Proposal {
        proposal_id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Proposals, optionally only those of one --status, or voted on by --voter, or
    /// deposited on by --depositor.
    Proposals {
        /// deposit_period, voting_period, passed, rejected or failed.
        #[arg(long, value_parser = proposal_status)]
        status: Option<i32>,
        #[arg(long, value_parser = address)]
        voter: Option<String>,
        #[arg(long, value_parser = address)]
        depositor: Option<String>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// VOTER's vote on a proposal (while it is in its voting period).
    Vote {
        proposal_id: u64,
        #[arg(value_parser = address)]
        voter: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every vote on a proposal (while it is in its voting period).
    Votes {
        proposal_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// DEPOSITOR's deposit on a proposal.
    Deposit {
        proposal_id: u64,
        #[arg(value_parser = address)]
        depositor: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every deposit on a proposal.
    Deposits {
        proposal_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A proposal's tally: the current one in its voting period, the final one after.
    Tally {
        proposal_id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The module's params (deposits, periods, quorum and thresholds, burns).
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The chain's constitution.
    Constitution {
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// A proposal status as simd reads it (`voting_period`, `VotingPeriod`, or the enum's name).
pub fn proposal_status(s: &str) -> anyhow::Result<i32> {
    use pb::ProposalStatus as S;
    let st = match s.trim() {
        "deposit_period" | "DepositPeriod" | "PROPOSAL_STATUS_DEPOSIT_PERIOD" => S::DepositPeriod,
        "voting_period" | "VotingPeriod" | "PROPOSAL_STATUS_VOTING_PERIOD" => S::VotingPeriod,
        "passed" | "Passed" | "PROPOSAL_STATUS_PASSED" => S::Passed,
        "rejected" | "Rejected" | "PROPOSAL_STATUS_REJECTED" => S::Rejected,
        "failed" | "Failed" | "PROPOSAL_STATUS_FAILED" => S::Failed,
        _ => anyhow::bail!(
            "unknown proposal status {s:?} (expected deposit_period, voting_period, passed, \
             rejected or failed)"
        ),
    };
    Ok(st as i32)
}

fn path(m: &str) -> String {
    format!("/cosmos.gov.v1.Query/{m}")
}

pub async fn run(cmd: GovQuery, out: OutputFormat) -> anyhow::Result<()> {
    use GovQuery as Q;
    match cmd {
        Q::Proposal { proposal_id, node } => {
            let req = pb::QueryProposalRequest { proposal_id };
            show_sdk::<_, pb::QueryProposalResponse>(&node, &path("Proposal"), req, out).await
        }
        Q::Proposals {
            status,
            voter,
            depositor,
            page,
            node,
        } => {
            let req = pb::QueryProposalsRequest {
                proposal_status: status.unwrap_or_default(),
                voter: voter.unwrap_or_default(),
                depositor: depositor.unwrap_or_default(),
                pagination: page.request()?,
            };
            show_sdk::<_, pb::QueryProposalsResponse>(&node, &path("Proposals"), req, out).await
        }
        Q::Vote {
            proposal_id,
            voter,
            node,
        } => {
            let req = pb::QueryVoteRequest { proposal_id, voter };
            show_sdk::<_, pb::QueryVoteResponse>(&node, &path("Vote"), req, out).await
        }
        Q::Votes {
            proposal_id,
            page,
            node,
        } => {
            let req = pb::QueryVotesRequest {
                proposal_id,
                pagination: page.request()?,
            };
            show_sdk::<_, pb::QueryVotesResponse>(&node, &path("Votes"), req, out).await
        }
        Q::Deposit {
            proposal_id,
            depositor,
            node,
        } => {
            let req = pb::QueryDepositRequest {
                proposal_id,
                depositor,
            };
            show_sdk::<_, pb::QueryDepositResponse>(&node, &path("Deposit"), req, out).await
        }
        Q::Deposits {
            proposal_id,
            page,
            node,
        } => {
            let req = pb::QueryDepositsRequest {
                proposal_id,
                pagination: page.request()?,
            };
            show_sdk::<_, pb::QueryDepositsResponse>(&node, &path("Deposits"), req, out).await
        }
        Q::Tally { proposal_id, node } => {
            let req = pb::QueryTallyResultRequest { proposal_id };
            show_sdk::<_, pb::QueryTallyResultResponse>(&node, &path("TallyResult"), req, out).await
        }
        Q::Params { node } => {
            let req = pb::QueryParamsRequest {
                params_type: String::new(),
            };
            show_sdk::<_, pb::QueryParamsResponse>(&node, &path("Params"), req, out).await
        }
        Q::Constitution { node } => {
            let req = pb::QueryConstitutionRequest {};
            let p = path("Constitution");
            show_sdk::<_, pb::QueryConstitutionResponse>(&node, &p, req, out).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(
            proposal_status("voting_period").unwrap(),
            pb::ProposalStatus::VotingPeriod as i32
        );
        assert_eq!(
            proposal_status("PROPOSAL_STATUS_PASSED").unwrap(),
            pb::ProposalStatus::Passed as i32
        );
        assert_eq!(
            proposal_status("Rejected").unwrap(),
            pb::ProposalStatus::Rejected as i32
        );
        let e = proposal_status("done").unwrap_err().to_string();
        assert!(e.contains("unknown proposal status \"done\""), "{e}");
    }
}
