//! `deaid query training …`: the methods of `deai.training.v1.Query`, over ABCI query (or
//! `--grpc-addr`), printed as the response's proto3 JSON, exactly what the REST route
//! `/deai/training/v1/…` answers.

use clap::Subcommand;

use deai_proto::training::v1 as pb;

use super::output::OutputFormat;
use super::parse::{address, show, PageArgs};
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum TrainingQuery {
    /// The module's params and its authority.
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A task by id: its spec, pool, state, current round and lineage head.
    Task {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every task.
    Tasks {
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A task's neurons in uid order.
    Neurons {
        task_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The neuron of an owner in a task.
    Neuron {
        task_id: u64,
        #[arg(value_parser = address)]
        owner: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A round of a task with its updates (commits, and the updates once revealed).
    Round {
        task_id: u64,
        round: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A round's validator weight sets (commits, and the rows once revealed).
    Weights {
        task_id: u64,
        round: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A closed round's epoch results: consensus, incentive, dividends, trust, emission.
    Incentives {
        task_id: u64,
        round: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A task's lineage: its genesis link and the rounds whose link is set, oldest first.
    Lineage {
        task_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The stored Yuma bonds rows of a task's validators.
    Bonds {
        task_id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A task's audits, optionally only those assigned to one referee.
    Audits {
        task_id: u64,
        #[arg(long, value_parser = address)]
        referee: Option<String>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The unbonding stake entries of an owner, in every task.
    Unbonding {
        #[arg(value_parser = address)]
        owner: String,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// The gRPC path of a `deai.training.v1.Query` method.
fn path(method: &str) -> String {
    format!("/deai.training.v1.Query/{method}")
}

pub async fn run(cmd: TrainingQuery, out: OutputFormat) -> anyhow::Result<()> {
    use TrainingQuery as Q;
    match cmd {
        Q::Params { node } => {
            let req = pb::QueryParamsRequest {};
            show::<_, pb::QueryParamsResponse>(&node, &path("Params"), req, out).await
        }
        Q::Task { id, node } => {
            let req = pb::QueryTaskRequest { id };
            show::<_, pb::QueryTaskResponse>(&node, &path("Task"), req, out).await
        }
        Q::Tasks { page, node } => {
            let req = pb::QueryTasksRequest {
                pagination: page.request()?,
            };
            show::<_, pb::QueryTasksResponse>(&node, &path("Tasks"), req, out).await
        }
        Q::Neurons {
            task_id,
            page,
            node,
        } => {
            let req = pb::QueryNeuronsRequest {
                task_id,
                pagination: page.request()?,
            };
            show::<_, pb::QueryNeuronsResponse>(&node, &path("Neurons"), req, out).await
        }
        Q::Neuron {
            task_id,
            owner,
            node,
        } => {
            let req = pb::QueryNeuronRequest { task_id, owner };
            show::<_, pb::QueryNeuronResponse>(&node, &path("Neuron"), req, out).await
        }
        Q::Round {
            task_id,
            round,
            node,
        } => {
            let req = pb::QueryRoundRequest { task_id, round };
            show::<_, pb::QueryRoundResponse>(&node, &path("Round"), req, out).await
        }
        Q::Weights {
            task_id,
            round,
            node,
        } => {
            let req = pb::QueryWeightsRequest { task_id, round };
            show::<_, pb::QueryWeightsResponse>(&node, &path("Weights"), req, out).await
        }
        Q::Incentives {
            task_id,
            round,
            node,
        } => {
            let req = pb::QueryIncentivesRequest { task_id, round };
            show::<_, pb::QueryIncentivesResponse>(&node, &path("Incentives"), req, out).await
        }
        Q::Lineage {
            task_id,
            page,
            node,
        } => {
            let req = pb::QueryLineageRequest {
                task_id,
                pagination: page.request()?,
            };
            show::<_, pb::QueryLineageResponse>(&node, &path("Lineage"), req, out).await
        }
        Q::Bonds { task_id, node } => {
            let req = pb::QueryBondsRequest { task_id };
            show::<_, pb::QueryBondsResponse>(&node, &path("Bonds"), req, out).await
        }
        Q::Audits {
            task_id,
            referee,
            page,
            node,
        } => {
            let req = pb::QueryAuditsRequest {
                task_id,
                referee: referee.unwrap_or_default(),
                pagination: page.request()?,
            };
            show::<_, pb::QueryAuditsResponse>(&node, &path("Audits"), req, out).await
        }
        Q::Unbonding { owner, node } => {
            let req = pb::QueryUnbondingRequest { owner };
            show::<_, pb::QueryUnbondingResponse>(&node, &path("Unbonding"), req, out).await
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::output::proto_json;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<TrainingQuery, clap::Error> {
        let argv = ["deaid", "query", "training"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Query(super::super::query_cmd::QueryCommand::Training(c)) => Ok(c),
            _ => unreachable!("not a training query"),
        }
    }

    #[test]
    fn arguments() {
        let a = deai_framework::Address::from_bytes(&[9; 20])
            .unwrap()
            .to_bech32();
        let q = parse(&["audits", "4", "--referee", &a, "--limit", "5"]);
        let Ok(TrainingQuery::Audits {
            task_id,
            referee,
            page,
            ..
        }) = q
        else {
            panic!("{q:?}")
        };
        assert_eq!((task_id, referee), (4, Some(a.clone())));
        assert_eq!(page.request().unwrap().unwrap().limit, 5);
        assert!(matches!(
            parse(&["audits", "4"]),
            Ok(TrainingQuery::Audits { referee: None, .. })
        ));
        assert!(parse(&["audits"]).is_err(), "the task id is required");
        assert!(parse(&["audits", "4", "--referee", "deai1nope"]).is_err());
        let q = parse(&["round", "1", "3", "--grpc-addr", "127.0.0.1:9090"]);
        let Ok(TrainingQuery::Round {
            task_id,
            round,
            node,
        }) = q
        else {
            panic!("{q:?}")
        };
        assert_eq!((task_id, round), (1, 3));
        assert_eq!(node.grpc_addr.as_deref(), Some("127.0.0.1:9090"));
        assert!(parse(&["round", "1"]).is_err(), "the round is required");
        assert!(matches!(
            parse(&["neuron", "2", &a]),
            Ok(TrainingQuery::Neuron { task_id: 2, .. })
        ));
        assert!(parse(&["neuron", "2", "nobody"]).is_err());
        assert!(parse(&["unbonding", &a]).is_ok());
        assert!(parse(&["task", "x"]).is_err());
        let q = parse(&["lineage", "7", "--page-key", "AAE=", "--count-total"]);
        let Ok(TrainingQuery::Lineage { page, .. }) = q else {
            panic!("{q:?}")
        };
        let r = page.request().unwrap().unwrap();
        assert_eq!((r.key, r.count_total), (vec![0, 1], true));
        for ok in [
            &["params"][..],
            &["tasks", "--reverse"],
            &["neurons", "1"],
            &["weights", "1", "0"],
            &["incentives", "1", "0"],
            &["bonds", "1"],
        ] {
            assert!(parse(ok).is_ok(), "{ok:?}");
        }
        assert_eq!(path("Incentives"), "/deai.training.v1.Query/Incentives");
    }

    #[test]
    fn responses_are_proto3_json() {
        let res = pb::QueryNeuronResponse {
            neuron: Some(pb::Neuron {
                task_id: 3,
                uid: 2,
                role: pb::Role::Validator as i32,
                stake: Some(deai_client::coin("udeai", 10)),
                ..Default::default()
            }),
        };
        let v = proto_json(&res).unwrap();
        let n = &v["neuron"];
        assert_eq!(n["task_id"], "3", "u64 as a string");
        assert_eq!(n["uid"], 2, "u32 as a number");
        assert_eq!(n["role"], "ROLE_VALIDATOR", "enums by name");
        assert_eq!(n["stake"]["amount"], "10");
        assert_eq!(n["jailed"], false, "defaults included");
        let res = pb::QueryLineageResponse {
            genesis: vec![0xff; 32],
            ..Default::default()
        };
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode([0xff; 32]);
        assert_eq!(proto_json(&res).unwrap()["genesis"], b64, "bytes as base64");
    }
}
