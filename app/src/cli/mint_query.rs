//! `deaid query mint …`: simd's `params`, `inflation` and `annual-provisions`
//! (`cosmos.mint.v1beta1.Query`, printed as Cosmos JSON as the REST API does), and deai's
//! `emission-split` and `market-index` (`deai.mint.v1.Query`, proto3 JSON).

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::mint::v1beta1 as pb;
use deai_proto::mint::v1 as deai_pb;

use super::output::OutputFormat;
use super::parse::{show, show_sdk};
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum MintQuery {
    /// The module's params (mint denom, inflation bounds and rate of change, goal bonded,
    /// blocks per year).
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The current inflation rate.
    Inflation {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The current annual provisions (what a year mints at the current inflation).
    AnnualProvisions {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// deai's split of each block's provision among validators, the markets and the
    /// community pool (basis points).
    EmissionSplit {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A market's emission index (training, inference or data).
    MarketIndex {
        market: String,
        #[command(flatten)]
        node: NodeArgs,
    },
}

fn path(m: &str) -> String {
    format!("/cosmos.mint.v1beta1.Query/{m}")
}

pub async fn run(cmd: MintQuery, out: OutputFormat) -> anyhow::Result<()> {
    use MintQuery as Q;
    match cmd {
        Q::Params { node } => {
            let req = pb::QueryParamsRequest {};
            show_sdk::<_, pb::QueryParamsResponse>(&node, &path("Params"), req, out).await
        }
        Q::Inflation { node } => {
            let req = pb::QueryInflationRequest {};
            show_sdk::<_, pb::QueryInflationResponse>(&node, &path("Inflation"), req, out).await
        }
        Q::AnnualProvisions { node } => {
            let req = pb::QueryAnnualProvisionsRequest {};
            let p = path("AnnualProvisions");
            show_sdk::<_, pb::QueryAnnualProvisionsResponse>(&node, &p, req, out).await
        }
        Q::EmissionSplit { node } => {
            let req = deai_pb::QueryEmissionSplitRequest {};
            let p = "/deai.mint.v1.Query/EmissionSplit";
            show::<_, deai_pb::QueryEmissionSplitResponse>(&node, p, req, out).await
        }
        Q::MarketIndex { market, node } => {
            let req = deai_pb::QueryMarketIndexRequest { market };
            let p = "/deai.mint.v1.Query/MarketIndex";
            show::<_, deai_pb::QueryMarketIndexResponse>(&node, p, req, out).await
        }
    }
}
