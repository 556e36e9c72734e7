//! `deaid query inference …`: the methods of `deai.inference.v1.Query`, over ABCI query (or
//! `--grpc-addr`), printed as the response's proto3 JSON, exactly what the REST route
//! `/deai/inference/v1/…` answers.

use clap::Subcommand;

use deai_proto::inference::v1 as pb;

use super::output::OutputFormat;
use super::parse::{address, show, PageArgs};
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum InferenceQuery {
    /// The module's params and its authority.
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A model by id (with its verifying key).
    Model {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Models, optionally of one owner.
    Models {
        #[arg(long, value_parser = address)]
        owner: Option<String>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// One server of a model.
    Server {
        model_id: u64,
        #[arg(value_parser = address)]
        address: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The servers of a model.
    Servers {
        #[arg(long)]
        model: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A request by id.
    Request {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Requests: all, or those of one requester, or those assigned to one server.
    Requests {
        #[arg(long, value_parser = address, conflicts_with = "server")]
        requester: Option<String>,
        #[arg(long, value_parser = address)]
        server: Option<String>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The answers submitted to a request.
    Submissions {
        request_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The challenge of an optimistic request.
    Challenge {
        request_id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A topic by id.
    Topic {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every topic.
    Topics {
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A topic's network inference of the latest settled epoch (or of --epoch).
    NetworkInference {
        topic_id: u64,
        /// 0: the latest settled epoch.
        #[arg(long, default_value_t = 0)]
        epoch: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The workers' scores and rewards of a topic's latest settled epoch (or of --epoch).
    Scores {
        topic_id: u64,
        /// 0: the latest settled epoch.
        #[arg(long, default_value_t = 0)]
        epoch: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// The gRPC path of a `deai.inference.v1.Query` method.
fn path(method: &str) -> String {
    format!("/deai.inference.v1.Query/{method}")
}

pub async fn run(cmd: InferenceQuery, out: OutputFormat) -> anyhow::Result<()> {
    use InferenceQuery as Q;
    match cmd {
        Q::Params { node } => {
            let req = pb::QueryParamsRequest {};
            show::<_, pb::QueryParamsResponse>(&node, &path("Params"), req, out).await
        }
        Q::Model { id, node } => {
            let req = pb::QueryModelRequest { id };
            show::<_, pb::QueryModelResponse>(&node, &path("Model"), req, out).await
        }
        Q::Models { owner, page, node } => {
            let req = pb::QueryModelsRequest {
                owner: owner.unwrap_or_default(),
                pagination: page.request()?,
            };
            show::<_, pb::QueryModelsResponse>(&node, &path("Models"), req, out).await
        }
        Q::Server {
            model_id,
            address,
            node,
        } => {
            let req = pb::QueryServerRequest {
                model_id,
                server: address,
            };
            show::<_, pb::QueryServerResponse>(&node, &path("Server"), req, out).await
        }
        Q::Servers { model, page, node } => {
            let req = pb::QueryServersRequest {
                model_id: model,
                pagination: page.request()?,
            };
            show::<_, pb::QueryServersResponse>(&node, &path("Servers"), req, out).await
        }
        Q::Request { id, node } => {
            let req = pb::QueryRequestRequest { id };
            show::<_, pb::QueryRequestResponse>(&node, &path("Request"), req, out).await
        }
        Q::Requests {
            requester,
            server,
            page,
            node,
        } => {
            let req = pb::QueryRequestsRequest {
                requester: requester.unwrap_or_default(),
                server: server.unwrap_or_default(),
                pagination: page.request()?,
            };
            show::<_, pb::QueryRequestsResponse>(&node, &path("Requests"), req, out).await
        }
        Q::Submissions {
            request_id,
            page,
            node,
        } => {
            let req = pb::QuerySubmissionsRequest {
                request_id,
                pagination: page.request()?,
            };
            show::<_, pb::QuerySubmissionsResponse>(&node, &path("Submissions"), req, out).await
        }
        Q::Challenge { request_id, node } => {
            let req = pb::QueryChallengeRequest { request_id };
            show::<_, pb::QueryChallengeResponse>(&node, &path("Challenge"), req, out).await
        }
        Q::Topic { id, node } => {
            let req = pb::QueryTopicRequest { id };
            show::<_, pb::QueryTopicResponse>(&node, &path("Topic"), req, out).await
        }
        Q::Topics { page, node } => {
            let req = pb::QueryTopicsRequest {
                pagination: page.request()?,
            };
            show::<_, pb::QueryTopicsResponse>(&node, &path("Topics"), req, out).await
        }
        Q::NetworkInference {
            topic_id,
            epoch,
            node,
        } => {
            let req = pb::QueryNetworkInferenceRequest { topic_id, epoch };
            let p = path("NetworkInference");
            show::<_, pb::QueryNetworkInferenceResponse>(&node, &p, req, out).await
        }
        Q::Scores {
            topic_id,
            epoch,
            node,
        } => {
            let req = pb::QueryScoresRequest { topic_id, epoch };
            show::<_, pb::QueryScoresResponse>(&node, &path("Scores"), req, out).await
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::output::proto_json;
    use crate::cli::query_cmd::QueryCommand;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<InferenceQuery, clap::Error> {
        let argv = ["deaid", "query", "inference"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Query(QueryCommand::Inference(c)) => Ok(c),
            _ => unreachable!("not an inference query"),
        }
    }

    #[test]
    fn arguments() {
        let a = deai_framework::Address::from_bytes(&[9; 20])
            .unwrap()
            .to_bech32();
        let q = parse(&["requests", "--server", &a, "--limit", "5", "--reverse"]);
        let Ok(InferenceQuery::Requests {
            requester,
            server,
            page,
            ..
        }) = q
        else {
            panic!("{q:?}")
        };
        assert_eq!((requester, server), (None, Some(a.clone())));
        let p = page.request().unwrap().unwrap();
        assert_eq!((p.limit, p.reverse), (5, true));
        assert!(parse(&["requests", "--server", &a, "--requester", &a]).is_err());
        assert!(matches!(
            parse(&["requests"]),
            Ok(InferenceQuery::Requests {
                requester: None,
                server: None,
                ..
            })
        ));
        let q = parse(&["server", "3", &a, "--grpc-addr", "127.0.0.1:9090"]);
        let Ok(InferenceQuery::Server {
            model_id,
            address,
            node,
        }) = q
        else {
            panic!("{q:?}")
        };
        assert_eq!((model_id, address), (3, a.clone()));
        assert_eq!(node.grpc_addr.as_deref(), Some("127.0.0.1:9090"));
        assert!(parse(&["server", "3", "nobody"]).is_err());
        assert!(parse(&["servers"]).is_err(), "--model is required");
        assert!(matches!(
            parse(&["servers", "--model", "2", "--count-total"]),
            Ok(InferenceQuery::Servers { model: 2, .. })
        ));
        assert!(matches!(
            parse(&["models", "--owner", &a]),
            Ok(InferenceQuery::Models { owner: Some(_), .. })
        ));
        assert!(parse(&["models", "--owner", "x"]).is_err());
        assert!(matches!(
            parse(&["scores", "4"]),
            Ok(InferenceQuery::Scores {
                topic_id: 4,
                epoch: 0,
                ..
            })
        ));
        assert!(matches!(
            parse(&["network-inference", "4", "--epoch", "7"]),
            Ok(InferenceQuery::NetworkInference {
                topic_id: 4,
                epoch: 7,
                ..
            })
        ));
        for args in [
            &["params"][..],
            &["model", "1"],
            &["request", "1"],
            &["submissions", "1", "--page-key", "AAE="],
            &["challenge", "1"],
            &["topic", "1"],
            &["topics", "--offset", "2"],
        ] {
            assert!(parse(args).is_ok(), "{args:?}");
        }
        assert!(parse(&["model", "x"]).is_err());
        assert_eq!(
            path("NetworkInference"),
            "/deai.inference.v1.Query/NetworkInference"
        );
    }

    #[test]
    fn responses_are_proto3_json() {
        let res = pb::QueryRequestResponse {
            request: Some(pb::Request {
                id: 7,
                input: vec![-3, 5],
                mode: pb::VerificationMode::Zk as i32,
                state: pb::RequestState::Completed as i32,
                fee: Some(deai_client::coin("udeai", 10)),
                ..Default::default()
            }),
        };
        let v = proto_json(&res).unwrap();
        let r = &v["request"];
        assert_eq!(r["id"], "7", "u64 as a string");
        assert_eq!(
            r["input"],
            serde_json::json!(["-3", "5"]),
            "sint64 as strings"
        );
        assert_eq!(r["mode"], "VERIFICATION_MODE_ZK");
        assert_eq!(r["state"], "REQUEST_STATE_COMPLETED");
        assert_eq!(r["fee"]["amount"], "10");
        assert_eq!(r["servers"], serde_json::json!([]), "defaults included");
    }
}
