//! `deaid query staking …` and `deaid query slashing …`: simd's commands, calling the SDK's
//! query methods over ABCI query (or `--grpc-addr`) and printing the answers as the REST API
//! does (Cosmos JSON).

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slashing_pb;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;

use super::output::OutputFormat;
use super::parse::{address, show_sdk, PageArgs};
use super::NodeArgs;

fn valoper(s: &str) -> anyhow::Result<String> {
    deai_staking::address::val_from_bech32(s)
        .map(|a| deai_staking::address::val_to_bech32(&a))
        .map_err(|e| anyhow::anyhow!(e.log))
}

#[derive(Subcommand, Debug)]
pub enum StakingQuery {
    /// The module's params (unbonding time, max validators, bond denom, …).
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The bonded and not-bonded pools.
    Pool {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every validator (or those of one --status: bonded, unbonding, unbonded).
    Validators {
        #[arg(long, value_parser = ["bonded", "unbonding", "unbonded"])]
        status: Option<String>,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A validator by operator address.
    Validator {
        #[arg(value_parser = valoper)]
        validator: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A delegation of DELEGATOR to VALIDATOR.
    Delegation {
        #[arg(value_parser = address)]
        delegator: String,
        #[arg(value_parser = valoper)]
        validator: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every delegation of a delegator.
    Delegations {
        #[arg(value_parser = address)]
        delegator: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every delegation to a validator.
    DelegationsTo {
        #[arg(value_parser = valoper)]
        validator: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The unbonding entries of DELEGATOR at VALIDATOR.
    UnbondingDelegation {
        #[arg(value_parser = address)]
        delegator: String,
        #[arg(value_parser = valoper)]
        validator: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every unbonding of a delegator.
    UnbondingDelegations {
        #[arg(value_parser = address)]
        delegator: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every unbonding from a validator.
    UnbondingDelegationsFrom {
        #[arg(value_parser = valoper)]
        validator: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The redelegations of a delegator.
    Redelegations {
        #[arg(value_parser = address)]
        delegator: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The header and validator set staking recorded at HEIGHT (what IBC light clients read).
    HistoricalInfo {
        height: i64,
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum SlashingQuery {
    /// The module's params (window, min signed, jail time, slash fractions).
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A validator's signing info by consensus address (`deaivalcons1…`).
    SigningInfo {
        cons_address: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every validator's signing info.
    SigningInfos {
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
}

fn path(m: &str) -> String {
    format!("/cosmos.staking.v1beta1.Query/{m}")
}

fn status_name(s: Option<String>) -> String {
    match s.as_deref() {
        Some("bonded") => "BOND_STATUS_BONDED".into(),
        Some("unbonding") => "BOND_STATUS_UNBONDING".into(),
        Some("unbonded") => "BOND_STATUS_UNBONDED".into(),
        _ => String::new(),
    }
}

pub async fn run(cmd: StakingQuery, out: OutputFormat) -> anyhow::Result<()> {
    use StakingQuery as Q;
    match cmd {
        Q::Params { node } => {
            let req = pb::QueryParamsRequest {};
            show_sdk::<_, pb::QueryParamsResponse>(&node, &path("Params"), req, out).await
        }
        Q::Pool { node } => {
            let req = pb::QueryPoolRequest {};
            show_sdk::<_, pb::QueryPoolResponse>(&node, &path("Pool"), req, out).await
        }
        Q::Validators { status, page, node } => {
            let req = pb::QueryValidatorsRequest {
                status: status_name(status),
                pagination: page.request()?,
            };
            show_sdk::<_, pb::QueryValidatorsResponse>(&node, &path("Validators"), req, out).await
        }
        Q::Validator { validator, node } => {
            let req = pb::QueryValidatorRequest {
                validator_addr: validator,
            };
            show_sdk::<_, pb::QueryValidatorResponse>(&node, &path("Validator"), req, out).await
        }
        Q::Delegation {
            delegator,
            validator,
            node,
        } => {
            let req = pb::QueryDelegationRequest {
                delegator_addr: delegator,
                validator_addr: validator,
            };
            show_sdk::<_, pb::QueryDelegationResponse>(&node, &path("Delegation"), req, out).await
        }
        Q::Delegations {
            delegator,
            page,
            node,
        } => {
            let req = pb::QueryDelegatorDelegationsRequest {
                delegator_addr: delegator,
                pagination: page.request()?,
            };
            let p = path("DelegatorDelegations");
            show_sdk::<_, pb::QueryDelegatorDelegationsResponse>(&node, &p, req, out).await
        }
        Q::DelegationsTo {
            validator,
            page,
            node,
        } => {
            let req = pb::QueryValidatorDelegationsRequest {
                validator_addr: validator,
                pagination: page.request()?,
            };
            let p = path("ValidatorDelegations");
            show_sdk::<_, pb::QueryValidatorDelegationsResponse>(&node, &p, req, out).await
        }
        Q::UnbondingDelegation {
            delegator,
            validator,
            node,
        } => {
            let req = pb::QueryUnbondingDelegationRequest {
                delegator_addr: delegator,
                validator_addr: validator,
            };
            let p = path("UnbondingDelegation");
            show_sdk::<_, pb::QueryUnbondingDelegationResponse>(&node, &p, req, out).await
        }
        Q::UnbondingDelegations {
            delegator,
            page,
            node,
        } => {
            let req = pb::QueryDelegatorUnbondingDelegationsRequest {
                delegator_addr: delegator,
                pagination: page.request()?,
            };
            let p = path("DelegatorUnbondingDelegations");
            show_sdk::<_, pb::QueryDelegatorUnbondingDelegationsResponse>(&node, &p, req, out).await
        }
        Q::UnbondingDelegationsFrom {
            validator,
            page,
            node,
        } => {
            let req = pb::QueryValidatorUnbondingDelegationsRequest {
                validator_addr: validator,
                pagination: page.request()?,
            };
            let p = path("ValidatorUnbondingDelegations");
            show_sdk::<_, pb::QueryValidatorUnbondingDelegationsResponse>(&node, &p, req, out).await
        }
        Q::Redelegations {
            delegator,
            page,
            node,
        } => {
            let req = pb::QueryRedelegationsRequest {
                delegator_addr: delegator,
                src_validator_addr: String::new(),
                dst_validator_addr: String::new(),
                pagination: page.request()?,
            };
            let p = path("Redelegations");
            show_sdk::<_, pb::QueryRedelegationsResponse>(&node, &p, req, out).await
        }
        Q::HistoricalInfo { height, node } => {
            let req = pb::QueryHistoricalInfoRequest { height };
            let p = path("HistoricalInfo");
            show_sdk::<_, pb::QueryHistoricalInfoResponse>(&node, &p, req, out).await
        }
    }
}

pub async fn run_slashing(cmd: SlashingQuery, out: OutputFormat) -> anyhow::Result<()> {
    let p = |m: &str| format!("/cosmos.slashing.v1beta1.Query/{m}");
    match cmd {
        SlashingQuery::Params { node } => {
            let req = slashing_pb::QueryParamsRequest {};
            show_sdk::<_, slashing_pb::QueryParamsResponse>(&node, &p("Params"), req, out).await
        }
        SlashingQuery::SigningInfo { cons_address, node } => {
            let req = slashing_pb::QuerySigningInfoRequest { cons_address };
            let path = p("SigningInfo");
            show_sdk::<_, slashing_pb::QuerySigningInfoResponse>(&node, &path, req, out).await
        }
        SlashingQuery::SigningInfos { page, node } => {
            let req = slashing_pb::QuerySigningInfosRequest {
                pagination: page.request()?,
            };
            let path = p("SigningInfos");
            show_sdk::<_, slashing_pb::QuerySigningInfosResponse>(&node, &path, req, out).await
        }
    }
}
