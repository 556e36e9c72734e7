//! `deaid query bank balances`, `query auth account`, `query tx`, and [`querier`], the
//! client crate's `Querier` every query goes through (`query compute …` is in `compute_query.rs`,
//! `query inference …` in `inference_query.rs`, `query training …` in `training_query.rs`, `query data …` in `data_query.rs`,
//! `query wasm …` in `wasm_query.rs`, `query staking|slashing …` in `staking_query.rs`,
//! `query distribution …` in `distribution_query.rs`, `query gov …` in `gov_query.rs`,
//! `query mint …` in `mint_query.rs`).

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth_pb;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank_pb;

use deai_framework::Address;

use super::output::{print, OutputFormat};
use super::NodeArgs;
use deai_client::Querier;

/// The querier `node`'s flags select: its gRPC server with `--grpc-addr`, else CometBFT RPC.
pub async fn querier(node: &NodeArgs) -> anyhow::Result<Querier> {
    match &node.grpc_addr {
        None => Ok(Querier::rpc(node.client()?)),
        Some(addr) => Querier::grpc(addr)
            .await
            .map_err(|e| anyhow::anyhow!("--grpc-addr: {e}")),
    }
}

#[derive(Subcommand)]
pub enum QueryCommand {
    #[command(subcommand)]
    Bank(BankQuery),
    #[command(subcommand)]
    Auth(AuthQuery),
    /// The compute market (proto3 JSON, as the REST API answers).
    #[command(subcommand)]
    Compute(super::compute_query::ComputeQuery),
    /// The inference market (proto3 JSON, as the REST API answers).
    #[command(subcommand)]
    Inference(super::inference_query::InferenceQuery),
    /// The training market (proto3 JSON, as the REST API answers).
    #[command(subcommand)]
    Training(super::training_query::TrainingQuery),
    /// Task proposals (proto3 JSON, as the REST API answers).
    #[command(subcommand)]
    Task(super::task_query::TaskQuery),
    /// Consensus attestation jobs and each validator's attested result.
    #[command(subcommand)]
    Attest(super::attest_query::AttestQuery),
    /// The data market (proto3 JSON, as the REST API answers).
    #[command(subcommand)]
    Data(super::data_query::DataQuery),
    /// CosmWasm codes and contracts, as `wasmd query wasm …` prints them.
    #[command(subcommand)]
    Wasm(super::wasm_query::WasmQuery),
    /// Proof-of-stake: validators, delegations, unbondings, pool, params (Cosmos JSON).
    #[command(subcommand)]
    Staking(super::staking_query::StakingQuery),
    /// Validators' signing info and the slashing params (Cosmos JSON).
    #[command(subcommand)]
    Slashing(super::staking_query::SlashingQuery),
    /// Rewards, commission, slashes, the community pool, params (Cosmos JSON).
    #[command(subcommand)]
    Distribution(super::distribution_query::DistributionQuery),
    /// Proposals, votes, deposits, tallies, params (Cosmos JSON).
    #[command(subcommand)]
    Gov(super::gov_query::GovQuery),
    /// Inflation, annual provisions, params, and deai's emission split.
    #[command(subcommand)]
    Mint(super::mint_query::MintQuery),
    /// A committed tx by hash.
    Tx {
        hash: String,
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(Subcommand)]
pub enum BankQuery {
    /// All balances of an address, or one denom with --denom.
    Balances {
        address: String,
        #[arg(long)]
        denom: Option<String>,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The total supply of every denom.
    Total {
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(Subcommand)]
pub enum AuthQuery {
    /// An account by address.
    Account {
        address: String,
        #[command(flatten)]
        node: NodeArgs,
    },
}

fn coins_json(coins: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin]) -> serde_json::Value {
    serde_json::Value::Array(
        coins
            .iter()
            .map(|c| serde_json::json!({"denom": c.denom, "amount": c.amount}))
            .collect(),
    )
}

/// A PageResponse as Go's jsonpb writes it (`next_key` base64 or null, `total` a string).
pub(super) fn page_json(
    p: Option<cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse>,
) -> serde_json::Value {
    let p = p.unwrap_or_default();
    serde_json::json!({
        "next_key": if p.next_key.is_empty() { serde_json::Value::Null } else { serde_json::Value::String(base64_encode(&p.next_key)) },
        "total": p.total.to_string(),
    })
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn check_address(a: &str) -> anyhow::Result<()> {
    Address::from_bech32(a)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!(e.log))
}

pub fn run(cmd: QueryCommand, out: OutputFormat) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cmd {
            QueryCommand::Compute(c) => return super::compute_query::run(c, out).await,
            QueryCommand::Inference(c) => return super::inference_query::run(c, out).await,
            QueryCommand::Training(c) => return super::training_query::run(c, out).await,
            QueryCommand::Task(c) => return super::task_query::run(c, out).await,
            QueryCommand::Attest(c) => return super::attest_query::run(c, out).await,
            QueryCommand::Data(c) => return super::data_query::run(c, out).await,
            QueryCommand::Wasm(c) => return super::wasm_query::run(c, out).await,
            QueryCommand::Staking(c) => return super::staking_query::run(c, out).await,
            QueryCommand::Slashing(c) => return super::staking_query::run_slashing(c, out).await,
            QueryCommand::Distribution(c) => return super::distribution_query::run(c, out).await,
            QueryCommand::Gov(c) => return super::gov_query::run(c, out).await,
            QueryCommand::Mint(c) => return super::mint_query::run(c, out).await,
            QueryCommand::Bank(BankQuery::Balances { address, denom, node }) => {
                check_address(&address)?;
                let c = querier(&node).await?;
                let v = match denom {
                    Some(denom) => {
                        let r: bank_pb::QueryBalanceResponse = c
                            .query("/cosmos.bank.v1beta1.Query/Balance", &bank_pb::QueryBalanceRequest { address, denom }, node.height)
                            .await?;
                        let b = r.balance.unwrap_or_default();
                        serde_json::json!({"balance": {"denom": b.denom, "amount": b.amount}})
                    }
                    None => {
                        let r: bank_pb::QueryAllBalancesResponse = c
                            .query(
                                "/cosmos.bank.v1beta1.Query/AllBalances",
                                &bank_pb::QueryAllBalancesRequest { address, pagination: None, resolve_denom: false },
                                node.height,
                            )
                            .await?;
                        serde_json::json!({"balances": coins_json(&r.balances), "pagination": page_json(r.pagination)})
                    }
                };
                print(&v, out);
            }
            QueryCommand::Bank(BankQuery::Total { node }) => {
                let r: bank_pb::QueryTotalSupplyResponse = querier(&node)
                    .await?
                    .query("/cosmos.bank.v1beta1.Query/TotalSupply", &bank_pb::QueryTotalSupplyRequest { pagination: None }, node.height)
                    .await?;
                print(&serde_json::json!({"supply": coins_json(&r.supply), "pagination": page_json(r.pagination)}), out);
            }
            QueryCommand::Auth(AuthQuery::Account { address, node }) => {
                check_address(&address)?;
                let r: auth_pb::QueryAccountResponse = querier(&node)
                    .await?
                    .query("/cosmos.auth.v1beta1.Query/Account", &auth_pb::QueryAccountRequest { address }, node.height)
                    .await?;
                let any = r.account.ok_or_else(|| anyhow::anyhow!("empty account response"))?;
                let account = deai_auth::Account::from_any(&any).map_err(|e| anyhow::anyhow!(e.log))?;
                print(&serde_json::json!({"account": deai_auth::account_json(&account)}), out);
            }
            QueryCommand::Tx { hash, node } if node.grpc_addr.is_some() => {
                use cosmos_sdk_proto::cosmos::tx::v1beta1::{GetTxRequest, GetTxResponse};
                let r: GetTxResponse = querier(&node)
                    .await?
                    .query("/cosmos.tx.v1beta1.Service/GetTx", &GetTxRequest { hash: hash.clone() }, 0)
                    .await?;
                let t = r.tx_response.ok_or_else(|| anyhow::anyhow!("tx {hash} not found"))?;
                print(
                    &serde_json::json!({
                        "height": t.height.to_string(), "txhash": t.txhash, "codespace": t.codespace,
                        "code": t.code, "raw_log": t.raw_log, "gas_wanted": t.gas_wanted.to_string(),
                        "gas_used": t.gas_used.to_string(),
                    }),
                    out,
                );
            }
            QueryCommand::Tx { hash, node } => {
                let r = node
                    .client()?
                    .tx(&hash)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("tx {hash} not found"))?;
                print(&serde_json::to_value(r)?, out);
            }
        }
        Ok(())
    })
}
