//! `deaid query attest …`: the methods of `deai.attest.v1.Query` (consensus attestation
//! jobs and each validator's attested result), printed as proto3 JSON, exactly what the REST
//! routes `/deai/attest/v1/…` answer.

use clap::Subcommand;

use deai_proto::attest::v1 as pb;

use super::output::OutputFormat;
use super::parse::{show, PageArgs};
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum AttestQuery {
    /// The module's params (attestation window, pending jobs, penalty, spec size).
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// One attestation job: its kind, requester, spec, deadline and, once settled, the
    /// agreed result hash and the power behind it.
    Job {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Jobs by id, optionally of one state: pending, settled or expired.
    Jobs {
        #[arg(long, value_parser = job_state)]
        state: Option<i32>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Each validator's first attested result for a job, and whether it was penalised.
    Attestations {
        job_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// A job state by its short name (`pending`) or the enum's (`JOB_STATE_PENDING`).
pub fn job_state(s: &str) -> anyhow::Result<i32> {
    let name = s.trim().to_ascii_uppercase();
    let full = if name.starts_with("JOB_STATE_") {
        name
    } else {
        format!("JOB_STATE_{name}")
    };
    pb::JobState::from_str_name(&full)
        .filter(|s| *s != pb::JobState::Unspecified)
        .map(|s| s as i32)
        .ok_or_else(|| anyhow::anyhow!("expected pending, settled or expired, got {s:?}"))
}

fn path(method: &str) -> String {
    format!("/deai.attest.v1.Query/{method}")
}

pub async fn run(cmd: AttestQuery, out: OutputFormat) -> anyhow::Result<()> {
    use AttestQuery as Q;
    match cmd {
        Q::Params { node } => {
            let req = pb::QueryParamsRequest {};
            show::<_, pb::QueryParamsResponse>(&node, &path("Params"), req, out).await
        }
        Q::Job { id, node } => {
            let req = pb::QueryJobRequest { id };
            show::<_, pb::QueryJobResponse>(&node, &path("Job"), req, out).await
        }
        Q::Jobs { state, page, node } => {
            let req = pb::QueryJobsRequest {
                state: state.unwrap_or_default(),
                pagination: page.request()?,
            };
            show::<_, pb::QueryJobsResponse>(&node, &path("Jobs"), req, out).await
        }
        Q::Attestations { job_id, page, node } => {
            let req = pb::QueryAttestationsRequest {
                job_id,
                pagination: page.request()?,
            };
            show::<_, pb::QueryAttestationsResponse>(&node, &path("Attestations"), req, out).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_states_parse_by_short_or_full_name() {
        assert_eq!(job_state("settled").unwrap(), pb::JobState::Settled as i32);
        assert_eq!(
            job_state("JOB_STATE_PENDING").unwrap(),
            pb::JobState::Pending as i32
        );
        assert!(job_state("unspecified").is_err());
        assert!(job_state("done").is_err());
    }
}
