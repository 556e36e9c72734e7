//! `deaid query compute …`: the methods of `deai.compute.v1.Query`, over ABCI query (or
//! `--grpc-addr`), printed as the response's proto3 JSON, exactly what the REST route
//! `/deai/compute/v1/…` answers.

use clap::Subcommand;

use deai_proto::compute::v1 as pb;

use super::output::OutputFormat;
use super::parse::{address, show, PageArgs};
use super::NodeArgs;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderState {
    Open,
    Leased,
    Completed,
    Disputed,
    Closed,
}

impl From<OrderState> for pb::OrderState {
    fn from(s: OrderState) -> Self {
        match s {
            OrderState::Open => Self::Open,
            OrderState::Leased => Self::Leased,
            OrderState::Completed => Self::Completed,
            OrderState::Disputed => Self::Disputed,
            OrderState::Closed => Self::Closed,
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseState {
    Active,
    Completed,
    #[value(name = "insufficient_funds", alias = "insufficient-funds")]
    InsufficientFunds,
    Closed,
    Slashed,
}

impl From<LeaseState> for pb::LeaseState {
    fn from(s: LeaseState) -> Self {
        match s {
            LeaseState::Active => Self::Active,
            LeaseState::Completed => Self::Completed,
            LeaseState::InsufficientFunds => Self::InsufficientFunds,
            LeaseState::Closed => Self::Closed,
            LeaseState::Slashed => Self::Slashed,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ComputeQuery {
    /// The module's params and its authority.
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A provider and the auditor signatures of its attributes.
    Provider {
        #[arg(value_parser = address)]
        address: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every provider.
    Providers {
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// An order by id.
    Order {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Orders, optionally of one owner and/or in one state.
    Orders {
        #[arg(long, value_parser = address)]
        owner: Option<String>,
        #[arg(long, value_enum)]
        state: Option<OrderState>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The bids on an order.
    Bids {
        order_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A lease by id.
    Lease {
        id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The leases of an order (--order) or of a provider (--provider, optionally --state).
    #[command(group = clap::ArgGroup::new("of").required(true).args(["order", "provider"]))]
    Leases {
        #[arg(long)]
        order: Option<u64>,
        #[arg(long, value_parser = address)]
        provider: Option<String>,
        /// Only with --provider.
        #[arg(long, value_enum, conflicts_with = "order")]
        state: Option<LeaseState>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// An order's escrow account.
    Escrow {
        order_id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The results submitted for an order.
    Results {
        order_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Audits, optionally of one order and/or assigned to one verifier.
    Audits {
        #[arg(long)]
        order: Option<u64>,
        #[arg(long, value_parser = address)]
        verifier: Option<String>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// The gRPC path of a `deai.compute.v1.Query` method.
fn path(method: &str) -> String {
    format!("/deai.compute.v1.Query/{method}")
}

pub async fn run(cmd: ComputeQuery, out: OutputFormat) -> anyhow::Result<()> {
    use ComputeQuery as Q;
    match cmd {
        Q::Params { node } => {
            show::<_, pb::QueryParamsResponse>(
                &node,
                &path("Params"),
                pb::QueryParamsRequest {},
                out,
            )
            .await
        }
        Q::Provider { address, node } => {
            let req = pb::QueryProviderRequest { owner: address };
            show::<_, pb::QueryProviderResponse>(&node, &path("Provider"), req, out).await
        }
        Q::Providers { page, node } => {
            let req = pb::QueryProvidersRequest {
                pagination: page.request()?,
            };
            show::<_, pb::QueryProvidersResponse>(&node, &path("Providers"), req, out).await
        }
        Q::Order { id, node } => {
            let req = pb::QueryOrderRequest { id };
            show::<_, pb::QueryOrderResponse>(&node, &path("Order"), req, out).await
        }
        Q::Orders {
            owner,
            state,
            page,
            node,
        } => {
            let req = pb::QueryOrdersRequest {
                owner: owner.unwrap_or_default(),
                state: state.map_or(pb::OrderState::Unspecified, Into::into) as i32,
                pagination: page.request()?,
            };
            show::<_, pb::QueryOrdersResponse>(&node, &path("Orders"), req, out).await
        }
        Q::Bids {
            order_id,
            page,
            node,
        } => {
            let req = pb::QueryBidsRequest {
                order_id,
                pagination: page.request()?,
            };
            show::<_, pb::QueryBidsResponse>(&node, &path("Bids"), req, out).await
        }
        Q::Lease { id, node } => {
            let req = pb::QueryLeaseRequest { id };
            show::<_, pb::QueryLeaseResponse>(&node, &path("Lease"), req, out).await
        }
        Q::Leases {
            order,
            provider,
            state,
            page,
            node,
        } => match (order, provider) {
            (Some(order_id), None) => {
                let req = pb::QueryLeasesByOrderRequest {
                    order_id,
                    pagination: page.request()?,
                };
                show::<_, pb::QueryLeasesResponse>(&node, &path("LeasesByOrder"), req, out).await
            }
            (None, Some(provider)) => {
                let req = pb::QueryLeasesByProviderRequest {
                    provider,
                    state: state.map_or(pb::LeaseState::Unspecified, Into::into) as i32,
                    pagination: page.request()?,
                };
                show::<_, pb::QueryLeasesResponse>(&node, &path("LeasesByProvider"), req, out).await
            }
            _ => anyhow::bail!("give one of --order or --provider"),
        },
        Q::Escrow { order_id, node } => {
            let req = pb::QueryEscrowAccountRequest { order_id };
            show::<_, pb::QueryEscrowAccountResponse>(&node, &path("EscrowAccount"), req, out).await
        }
        Q::Results {
            order_id,
            page,
            node,
        } => {
            let req = pb::QueryResultsRequest {
                order_id,
                pagination: page.request()?,
            };
            show::<_, pb::QueryResultsResponse>(&node, &path("Results"), req, out).await
        }
        Q::Audits {
            order,
            verifier,
            page,
            node,
        } => {
            let req = pb::QueryAuditsRequest {
                order_id: order.unwrap_or(0),
                verifier: verifier.unwrap_or_default(),
                pagination: page.request()?,
            };
            show::<_, pb::QueryAuditsResponse>(&node, &path("Audits"), req, out).await
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::output::proto_json;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<ComputeQuery, clap::Error> {
        let argv = ["deaid", "query", "compute"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Query(super::super::query_cmd::QueryCommand::Compute(c)) => Ok(c),
            _ => unreachable!("not a compute query"),
        }
    }

    #[test]
    fn arguments() {
        let p = deai_framework::Address::from_bytes(&[9; 20])
            .unwrap()
            .to_bech32();
        let q = parse(&[
            "leases",
            "--provider",
            &p,
            "--state",
            "insufficient_funds",
            "--limit",
            "5",
        ]);
        let Ok(ComputeQuery::Leases {
            provider,
            state,
            page,
            order,
            ..
        }) = q
        else {
            panic!("{q:?}")
        };
        assert_eq!((provider, order), (Some(p.clone()), None));
        assert_eq!(
            state.map(pb::LeaseState::from),
            Some(pb::LeaseState::InsufficientFunds)
        );
        assert_eq!(page.request().unwrap().unwrap().limit, 5);
        assert!(parse(&["leases", "--order", "3"]).is_ok());
        assert!(
            parse(&["leases"]).is_err(),
            "--order or --provider is required"
        );
        assert!(parse(&["leases", "--order", "3", "--provider", &p]).is_err());
        assert!(parse(&["leases", "--order", "3", "--state", "active"]).is_err());
        let q = parse(&[
            "orders",
            "--state",
            "disputed",
            "--owner",
            &p,
            "--grpc-addr",
            "127.0.0.1:9090",
        ]);
        let Ok(ComputeQuery::Orders { state, node, .. }) = q else {
            panic!("{q:?}")
        };
        assert_eq!(
            state.map(pb::OrderState::from),
            Some(pb::OrderState::Disputed)
        );
        assert_eq!(node.grpc_addr.as_deref(), Some("127.0.0.1:9090"));
        assert!(parse(&["orders", "--state", "pending"]).is_err());
        assert!(parse(&["provider", "nobody"]).is_err());
        assert!(parse(&["order", "x"]).is_err());
        assert!(matches!(
            parse(&["audits"]),
            Ok(ComputeQuery::Audits { order: None, .. })
        ));
        assert_eq!(
            path("EscrowAccount"),
            "/deai.compute.v1.Query/EscrowAccount"
        );
    }

    #[test]
    fn responses_are_proto3_json() {
        let res = pb::QueryOrderResponse {
            order: Some(pb::Order {
                id: 7,
                spec_sha256: vec![0xff; 32],
                state: pb::OrderState::Open as i32,
                max_price_per_block: Some(deai_client::coin("udeai", 10)),
                ..Default::default()
            }),
        };
        let v = proto_json(&res).unwrap();
        let o = &v["order"];
        assert_eq!(o["id"], "7", "u64 as a string");
        assert_eq!(o["state"], "ORDER_STATE_OPEN", "enums by name");
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode([0xff; 32]);
        assert_eq!(o["spec_sha256"], b64, "bytes as base64");
        assert_eq!(o["bid_count"], 0, "defaults included");
        assert_eq!(o["max_price_per_block"]["amount"], "10");
        assert_eq!(o["required_attributes"], serde_json::json!([]));
    }
}
