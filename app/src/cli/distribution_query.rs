//! `deaid query distribution …`: simd's commands, calling `cosmos.distribution.v1beta1.Query`
//! over ABCI query (or `--grpc-addr`) and printing the answers as the REST API does (Cosmos
//! JSON).

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;

use super::distribution_tx::valoper;
use super::output::OutputFormat;
use super::parse::{address, show_sdk, PageArgs};
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum DistributionQuery {
    /// The module's params (community tax, withdraw addresses enabled).
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A validator's self-bond rewards and commission.
    ValidatorDistributionInfo {
        #[arg(value_parser = valoper)]
        validator: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A validator's outstanding (not yet withdrawn) rewards, its delegators' and its own.
    ValidatorOutstandingRewards {
        #[arg(value_parser = valoper)]
        validator: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A validator's accumulated commission.
    Commission {
        #[arg(value_parser = valoper)]
        validator: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A validator's slash events between --start-height and --end-height.
    Slashes {
        #[arg(value_parser = valoper)]
        validator: String,
        #[arg(long, default_value_t = 0)]
        start_height: u64,
        /// Last height (by default: the latest).
        #[arg(long, default_value_t = u64::MAX)]
        end_height: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A delegator's rewards from every validator (with their total), or from VALIDATOR.
    Rewards {
        #[arg(value_parser = address)]
        delegator: String,
        #[arg(value_parser = valoper)]
        validator: Option<String>,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A delegator's rewards from one validator (simd's `rewards-by-validator`).
    RewardsByValidator {
        #[arg(value_parser = address)]
        delegator: String,
        #[arg(value_parser = valoper)]
        validator: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The validators a delegator delegates to.
    DelegatorValidators {
        #[arg(value_parser = address)]
        delegator: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The address a delegator's rewards are paid to.
    WithdrawAddr {
        #[arg(value_parser = address)]
        delegator: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The community pool's coins.
    CommunityPool {
        #[command(flatten)]
        node: NodeArgs,
    },
}

fn path(m: &str) -> String {
    format!("/cosmos.distribution.v1beta1.Query/{m}")
}

async fn rewards_by_validator(
    node: &NodeArgs,
    delegator: String,
    validator: String,
    out: OutputFormat,
) -> anyhow::Result<()> {
    let req = pb::QueryDelegationRewardsRequest {
        delegator_address: delegator,
        validator_address: validator,
    };
    let p = path("DelegationRewards");
    show_sdk::<_, pb::QueryDelegationRewardsResponse>(node, &p, req, out).await
}

pub async fn run(cmd: DistributionQuery, out: OutputFormat) -> anyhow::Result<()> {
    use DistributionQuery as Q;
    match cmd {
        Q::Params { node } => {
            let req = pb::QueryParamsRequest {};
            show_sdk::<_, pb::QueryParamsResponse>(&node, &path("Params"), req, out).await
        }
        Q::ValidatorDistributionInfo { validator, node } => {
            let req = pb::QueryValidatorDistributionInfoRequest {
                validator_address: validator,
            };
            let p = path("ValidatorDistributionInfo");
            show_sdk::<_, pb::QueryValidatorDistributionInfoResponse>(&node, &p, req, out).await
        }
        Q::ValidatorOutstandingRewards { validator, node } => {
            let req = pb::QueryValidatorOutstandingRewardsRequest {
                validator_address: validator,
            };
            let p = path("ValidatorOutstandingRewards");
            show_sdk::<_, pb::QueryValidatorOutstandingRewardsResponse>(&node, &p, req, out).await
        }
        Q::Commission { validator, node } => {
            let req = pb::QueryValidatorCommissionRequest {
                validator_address: validator,
            };
            let p = path("ValidatorCommission");
            show_sdk::<_, pb::QueryValidatorCommissionResponse>(&node, &p, req, out).await
        }
        Q::Slashes {
            validator,
            start_height,
            end_height,
            page,
            node,
        } => {
            anyhow::ensure!(
                start_height <= end_height,
                "--start-height {start_height} is after --end-height {end_height}"
            );
            let req = pb::QueryValidatorSlashesRequest {
                validator_address: validator,
                starting_height: start_height,
                ending_height: end_height,
                pagination: page.request()?,
            };
            let p = path("ValidatorSlashes");
            show_sdk::<_, pb::QueryValidatorSlashesResponse>(&node, &p, req, out).await
        }
        Q::Rewards {
            delegator,
            validator: Some(validator),
            node,
        }
        | Q::RewardsByValidator {
            delegator,
            validator,
            node,
        } => rewards_by_validator(&node, delegator, validator, out).await,
        Q::Rewards {
            delegator,
            validator: None,
            node,
        } => {
            let req = pb::QueryDelegationTotalRewardsRequest {
                delegator_address: delegator,
            };
            let p = path("DelegationTotalRewards");
            show_sdk::<_, pb::QueryDelegationTotalRewardsResponse>(&node, &p, req, out).await
        }
        Q::DelegatorValidators { delegator, node } => {
            let req = pb::QueryDelegatorValidatorsRequest {
                delegator_address: delegator,
            };
            let p = path("DelegatorValidators");
            show_sdk::<_, pb::QueryDelegatorValidatorsResponse>(&node, &p, req, out).await
        }
        Q::WithdrawAddr { delegator, node } => {
            let req = pb::QueryDelegatorWithdrawAddressRequest {
                delegator_address: delegator,
            };
            let p = path("DelegatorWithdrawAddress");
            show_sdk::<_, pb::QueryDelegatorWithdrawAddressResponse>(&node, &p, req, out).await
        }
        Q::CommunityPool { node } => {
            let req = pb::QueryCommunityPoolRequest {};
            let p = path("CommunityPool");
            show_sdk::<_, pb::QueryCommunityPoolResponse>(&node, &p, req, out).await
        }
    }
}
