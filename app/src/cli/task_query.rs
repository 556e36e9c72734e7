//! `deaid query task …`: the methods of `deai.task.v1.Query`, over ABCI query (or
//! `--grpc-addr`), printed as the response's proto3 JSON, exactly what the REST route
//! `/deai/task/v1/…` answers.

use clap::Subcommand;

use deai_proto::task::v1 as pb;

use super::output::OutputFormat;
use super::parse::{show, PageArgs};
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum TaskQuery {
    /// The module's params and its authority.
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A proposed task in full: spec, evaluation, deposits, voting, code check (attest job,
    /// status, result hash), outcome and the training task it launched.
    Task {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Proposed tasks by id (without description, spec and evaluation), optionally of one
    /// state: deposit, verifying, launched, rejected or vetoed.
    Tasks {
        #[arg(long, value_parser = task_state)]
        state: Option<i32>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The votes of a task in its voting period.
    Votes {
        task_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The deposits of a task not yet finished.
    Deposits {
        task_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A task's code-check job and each validator's attested result.
    Attestations {
        task_id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// A task state by its short name (`verifying`) or the enum's (`TASK_STATE_VERIFYING`).
pub fn task_state(s: &str) -> anyhow::Result<i32> {
    let name = s.trim().to_ascii_uppercase();
    let full = if name.starts_with("TASK_STATE_") {
        name
    } else {
        format!("TASK_STATE_{name}")
    };
    pb::TaskState::from_str_name(&full)
        .filter(|s| *s != pb::TaskState::Unspecified)
        .map(|s| s as i32)
        .ok_or_else(|| {
            anyhow::anyhow!("expected deposit, verifying, launched, rejected or vetoed, got {s:?}")
        })
}

/// The gRPC path of a `deai.task.v1.Query` method.
fn path(method: &str) -> String {
    format!("/deai.task.v1.Query/{method}")
}

pub async fn run(cmd: TaskQuery, out: OutputFormat) -> anyhow::Result<()> {
    use TaskQuery as Q;
    match cmd {
        Q::Params { node } => {
            let req = pb::QueryParamsRequest {};
            show::<_, pb::QueryParamsResponse>(&node, &path("Params"), req, out).await
        }
        Q::Task { id, node } => {
            let req = pb::QueryTaskRequest { id };
            show::<_, pb::QueryTaskResponse>(&node, &path("Task"), req, out).await
        }
        Q::Tasks { state, page, node } => {
            let req = pb::QueryTasksRequest {
                state: state.unwrap_or_default(),
                pagination: page.request()?,
            };
            show::<_, pb::QueryTasksResponse>(&node, &path("Tasks"), req, out).await
        }
        Q::Votes {
            task_id,
            page,
            node,
        } => {
            let req = pb::QueryVotesRequest {
                task_id,
                pagination: page.request()?,
            };
            show::<_, pb::QueryVotesResponse>(&node, &path("Votes"), req, out).await
        }
        Q::Deposits {
            task_id,
            page,
            node,
        } => {
            let req = pb::QueryDepositsRequest {
                task_id,
                pagination: page.request()?,
            };
            show::<_, pb::QueryDepositsResponse>(&node, &path("Deposits"), req, out).await
        }
        Q::Attestations { task_id, node } => {
            let req = pb::QueryAttestationsRequest { task_id };
            show::<_, pb::QueryAttestationsResponse>(&node, &path("Attestations"), req, out).await
        }
    }
}
