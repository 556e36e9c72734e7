//! `deaid query data …`: the methods of `deai.data.v1.Query`, over ABCI query (or
//! `--grpc-addr`), printed as the response's proto3 JSON, exactly what the REST route
//! `/deai/data/v1/…` answers.

use clap::Subcommand;

use deai_proto::data::v1 as pb;

use super::output::OutputFormat;
use super::parse::{address, show, PageArgs};
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum DataQuery {
    /// The module's params and its authority.
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A dataset by id: its hash, metadata, price, provider, access and denom.
    Dataset {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every dataset, or one publisher's.
    Datasets {
        #[arg(long, value_parser = address)]
        publisher: Option<String>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// An access grant by id (with its wrapped key once delivered).
    Grant {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A grantee's grants, a dataset's grants, or a grantee's grants of one dataset (that
    /// filter applies within each page of the grantee's).
    #[command(group(clap::ArgGroup::new("grants_of").args(["grantee", "dataset"]).required(true).multiple(true)))]
    Grants {
        #[arg(long, value_parser = address)]
        grantee: Option<String>,
        #[arg(long)]
        dataset: Option<u64>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A pool by id, with its validators' bonds.
    Pool {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A pool's contributions with their scores.
    Contributions {
        pool_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// The gRPC path of a `deai.data.v1.Query` method.
fn path(method: &str) -> String {
    format!("/deai.data.v1.Query/{method}")
}

pub async fn run(cmd: DataQuery, out: OutputFormat) -> anyhow::Result<()> {
    use DataQuery as Q;
    match cmd {
        Q::Params { node } => {
            let req = pb::QueryParamsRequest {};
            show::<_, pb::QueryParamsResponse>(&node, &path("Params"), req, out).await
        }
        Q::Dataset { id, node } => {
            let req = pb::QueryDatasetRequest { id };
            show::<_, pb::QueryDatasetResponse>(&node, &path("Dataset"), req, out).await
        }
        Q::Datasets {
            publisher,
            page,
            node,
        } => {
            let req = pb::QueryDatasetsRequest {
                publisher: publisher.unwrap_or_default(),
                pagination: page.request()?,
            };
            show::<_, pb::QueryDatasetsResponse>(&node, &path("Datasets"), req, out).await
        }
        Q::Grant { id, node } => {
            let req = pb::QueryGrantRequest { id };
            show::<_, pb::QueryGrantResponse>(&node, &path("Grant"), req, out).await
        }
        Q::Grants {
            grantee,
            dataset,
            page,
            node,
        } => {
            let req = pb::QueryGrantsRequest {
                grantee: grantee.unwrap_or_default(),
                dataset_id: dataset.unwrap_or_default(),
                pagination: page.request()?,
            };
            show::<_, pb::QueryGrantsResponse>(&node, &path("Grants"), req, out).await
        }
        Q::Pool { id, node } => {
            let req = pb::QueryPoolRequest { id };
            show::<_, pb::QueryPoolResponse>(&node, &path("Pool"), req, out).await
        }
        Q::Contributions {
            pool_id,
            page,
            node,
        } => {
            let req = pb::QueryContributionsRequest {
                pool_id,
                pagination: page.request()?,
            };
            show::<_, pb::QueryContributionsResponse>(&node, &path("Contributions"), req, out).await
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::output::proto_json;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<DataQuery, clap::Error> {
        let argv = ["deaid", "query", "data"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Query(super::super::query_cmd::QueryCommand::Data(c)) => Ok(c),
            _ => unreachable!("not a data query"),
        }
    }

    #[test]
    fn arguments() {
        let a = deai_framework::Address::from_bytes(&[9; 20])
            .unwrap()
            .to_bech32();
        let q = parse(&["grants", "--grantee", &a, "--dataset", "4", "--limit", "5"]);
        let Ok(DataQuery::Grants {
            grantee,
            dataset,
            page,
            ..
        }) = q
        else {
            panic!("{q:?}")
        };
        assert_eq!((grantee, dataset), (Some(a.clone()), Some(4)));
        assert_eq!(page.request().unwrap().unwrap().limit, 5);
        assert!(matches!(
            parse(&["grants", "--dataset", "2"]),
            Ok(DataQuery::Grants {
                grantee: None,
                dataset: Some(2),
                ..
            })
        ));
        assert!(parse(&["grants", "--grantee", &a]).is_ok());
        let e = parse(&["grants"]).unwrap_err().to_string();
        assert!(e.contains("--grantee") || e.contains("--dataset"), "{e}");
        assert!(parse(&["grants", "--grantee", "deai1nope"]).is_err());
        assert!(parse(&["grants", "--dataset", "x"]).is_err());

        let q = parse(&["datasets", "--publisher", &a, "--reverse"]);
        let Ok(DataQuery::Datasets {
            publisher, page, ..
        }) = q
        else {
            panic!("{q:?}")
        };
        assert_eq!(publisher, Some(a.clone()));
        assert!(page.request().unwrap().unwrap().reverse);
        assert!(matches!(
            parse(&["datasets"]),
            Ok(DataQuery::Datasets {
                publisher: None,
                ..
            })
        ));
        assert!(parse(&["datasets", "--publisher", "nobody"]).is_err());

        let q = parse(&["dataset", "3", "--grpc-addr", "127.0.0.1:9090"]);
        let Ok(DataQuery::Dataset { id, node }) = q else {
            panic!("{q:?}")
        };
        assert_eq!(id, 3);
        assert_eq!(node.grpc_addr.as_deref(), Some("127.0.0.1:9090"));
        assert!(parse(&["dataset"]).is_err(), "the id is required");
        assert!(parse(&["grant", "x"]).is_err());

        let q = parse(&["contributions", "7", "--page-key", "AAE=", "--count-total"]);
        let Ok(DataQuery::Contributions { pool_id, page, .. }) = q else {
            panic!("{q:?}")
        };
        let r = page.request().unwrap().unwrap();
        assert_eq!((pool_id, r.key, r.count_total), (7, vec![0, 1], true));
        assert!(
            parse(&["contributions"]).is_err(),
            "the pool id is required"
        );
        for ok in [&["params"][..], &["grant", "1"], &["pool", "1"]] {
            assert!(parse(ok).is_ok(), "{ok:?}");
        }
        assert_eq!(path("Contributions"), "/deai.data.v1.Query/Contributions");
    }

    #[test]
    fn responses_are_proto3_json() {
        let res = pb::QueryDatasetResponse {
            dataset: Some(pb::Dataset {
                id: 3,
                content_sha256: vec![0xff; 32],
                price: Some(deai_client::coin("udeai", 10)),
                access: pb::Access::ComputeToData as i32,
                denom: "data/3".into(),
                ..Default::default()
            }),
        };
        let v = proto_json(&res).unwrap();
        let d = &v["dataset"];
        assert_eq!(d["id"], "3", "u64 as a string");
        assert_eq!(d["access"], "ACCESS_COMPUTE_TO_DATA", "enums by name");
        assert_eq!(d["price"]["amount"], "10");
        assert_eq!(d["disabled"], false, "defaults included");
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode([0xff; 32]);
        assert_eq!(d["content_sha256"], b64, "bytes as base64");
        let res = pb::QueryContributionsResponse {
            scores: vec![pb::Score {
                contribution_id: 1,
                score_u16: 65535,
                ..Default::default()
            }],
            ..Default::default()
        };
        let v = proto_json(&res).unwrap();
        assert_eq!(v["scores"][0]["score_u16"], 65535, "u32 as a number");
        assert_eq!(v["contributions"], serde_json::json!([]));
    }
}
