//! `deaid tx compute …`: one command per message of `deai.compute.v1.Msg` (but UpdateParams,
//! which only the module's authority signs). Every command takes the signing key first, as
//! `tx bank send` does, then its own arguments and the common tx flags.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use sha2::{Digest, Sha256};

use deai_proto::compute::v1 as pb;

pub use super::compute_msgs::*;
use super::output::OutputFormat;
use super::parse::{address, attribute, coin, distinct_attributes, rate};
pub use super::parse::{send, BuildMsg, Signed};

#[derive(Subcommand, Debug)]
pub enum ComputeTx {
    /// Register the signer as a provider, escrowing --stake.
    CreateProvider(Signed<CreateProvider>),
    /// Replace the signer's host URI, attributes and capacity (the stake is unchanged).
    UpdateProvider(Signed<ProviderArgs>),
    /// Remove the signer's provider and refund its stake (refused while it holds leases).
    DeleteProvider(Signed<NoArgs>),
    /// As an auditor, vouch for attributes of a provider.
    SignAttributes(Signed<SignAttributes>),
    /// Open an order for a job spec, escrowing --deposit.
    CreateOrder(Signed<CreateOrder>),
    /// Top up an order's escrow.
    DepositOrder(Signed<DepositOrder>),
    /// Close one of the signer's orders: leases settled and closed, unspent escrow refunded.
    CloseOrder(Signed<OrderId>),
    /// As a provider, bid on an open order at --price per block.
    CreateBid(Signed<CreateBid>),
    /// Withdraw an open bid and refund its deposit.
    CloseBid(Signed<BidId>),
    /// As the order's owner, lease the chosen bids.
    CreateLease(Signed<CreateLease>),
    /// As a provider, settle a lease and withdraw what it earned.
    WithdrawLease(Signed<LeaseId>),
    /// As a lessee, submit a lease's result.
    SubmitResult(Signed<SubmitResult>),
    /// As an assigned verifier, submit the replayed checkpoint hash of a segment.
    SubmitAudit(Signed<SubmitAudit>),
}

pub fn run(home: &Path, cmd: ComputeTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        ComputeTx::CreateProvider(s) => send(home, s, out),
        ComputeTx::UpdateProvider(s) => send(home, s, out),
        ComputeTx::DeleteProvider(s) => send(home, s, out),
        ComputeTx::SignAttributes(s) => send(home, s, out),
        ComputeTx::CreateOrder(s) => send(home, s, out),
        ComputeTx::DepositOrder(s) => send(home, s, out),
        ComputeTx::CloseOrder(s) => send(home, s, out),
        ComputeTx::CreateBid(s) => send(home, s, out),
        ComputeTx::CloseBid(s) => send(home, s, out),
        ComputeTx::CreateLease(s) => send(home, s, out),
        ComputeTx::WithdrawLease(s) => send(home, s, out),
        ComputeTx::SubmitResult(s) => send(home, s, out),
        ComputeTx::SubmitAudit(s) => send(home, s, out),
    }
}

/// Resources a provider offers or an order needs.
#[derive(clap::Args, Clone, Debug)]
pub struct ResourceArgs {
    /// CPU in thousandths of a core.
    #[arg(long, default_value_t = 0)]
    pub cpu_millis: u64,
    #[arg(long, default_value_t = 0)]
    pub memory_bytes: u64,
    #[arg(long, default_value_t = 0)]
    pub gpus: u32,
    #[arg(long, default_value_t = 0)]
    pub storage_bytes: u64,
}

impl ResourceArgs {
    pub fn to_proto(&self) -> pb::Resources {
        pb::Resources {
            cpu_millis: self.cpu_millis,
            memory_bytes: self.memory_bytes,
            gpus: self.gpus,
            storage_bytes: self.storage_bytes,
        }
    }
}

/// `key=value` attributes, comma-separated or the flag repeated.
#[derive(clap::Args, Clone, Debug)]
pub struct AttributeArgs {
    /// Attributes, e.g. region=eu,gpu=a100.
    #[arg(long, value_delimiter = ',', value_parser = attribute)]
    pub attributes: Vec<pb::Attribute>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditorMatch {
    /// Every listed auditor must have signed the required attributes.
    All,
    /// At least one listed auditor must have signed them.
    Any,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    /// The first result completes the order.
    None,
    /// Every lessee's result is compared.
    Redundant,
    /// One segment of an accepted result is audited with probability --spot-check-rate.
    #[value(name = "spot_check", alias = "spot-check")]
    SpotCheck,
}

#[derive(clap::Args, Clone, Debug)]
pub struct CreateOrder {
    /// The job spec file; sent inline with its sha256.
    #[arg(long)]
    pub spec: PathBuf,
    /// Attributes a provider must offer (and the auditors must have signed), e.g. region=eu.
    #[command(flatten)]
    pub attributes: AttributeArgs,
    /// Auditors whose signatures of the attributes count, comma-separated addresses.
    #[arg(long, value_delimiter = ',', value_parser = address)]
    pub auditors: Vec<String>,
    #[arg(long, value_enum, default_value = "all")]
    pub auditor_match: AuditorMatch,
    #[command(flatten)]
    pub resources: ResourceArgs,
    /// The highest price per block a bid may ask, e.g. 10udeai.
    #[arg(long, value_parser = coin)]
    pub max_price_per_block: ProtoCoin,
    /// Escrowed to pay the leases, e.g. 100000udeai.
    #[arg(long, value_parser = coin)]
    pub deposit: ProtoCoin,
    /// How many providers run the job (k).
    #[arg(long, default_value_t = 1)]
    pub redundancy: u32,
    #[arg(long, value_enum, default_value = "none")]
    pub verification: Verification,
    /// Probability in (0, 1] that a result is audited; only with --verification spot_check.
    #[arg(long, value_parser = rate)]
    pub spot_check_rate: Option<String>,
    /// Blocks during which bids are taken.
    #[arg(long)]
    pub bid_window: u64,
    /// Blocks the job may run at most.
    #[arg(long)]
    pub max_blocks: u64,
    /// Compute-to-data: the id of a compute_to_data dataset (the spec's dataset). Only its
    /// provider may bid; one access (its price) is escrowed on top of --deposit. Needs
    /// redundancy 1 and verification none.
    #[arg(long = "dataset", value_name = "ID", value_parser = clap::value_parser!(u64).range(1..))]
    pub dataset: Option<u64>,
    /// Compute-to-data: the most you pay for the access, e.g. 300000udeai (required with
    /// --dataset; the order fails if the dataset's price is above it).
    #[arg(long, value_parser = coin, requires = "dataset")]
    pub max_access_fee: Option<ProtoCoin>,
}

/// The MsgCreateOrder of `args` for the spec bytes `spec`.
pub fn build_create_order(
    args: &CreateOrder,
    owner: &str,
    spec: Vec<u8>,
) -> anyhow::Result<pb::MsgCreateOrder> {
    let mode = match args.verification {
        Verification::None => pb::VerificationMode::None,
        Verification::Redundant => pb::VerificationMode::Redundant,
        Verification::SpotCheck => pb::VerificationMode::SpotCheck,
    };
    let spot_check_rate = match (mode, &args.spot_check_rate) {
        (pb::VerificationMode::SpotCheck, Some(r)) => r.clone(),
        (pb::VerificationMode::SpotCheck, None) => {
            anyhow::bail!("--verification spot_check needs --spot-check-rate")
        }
        (_, Some(_)) => anyhow::bail!("--spot-check-rate is only for --verification spot_check"),
        (_, None) => String::new(),
    };
    // The chain refuses these too (compute code 61); say so before a fee is spent.
    if args.dataset.is_some() && (args.redundancy != 1 || mode != pb::VerificationMode::None) {
        anyhow::bail!(
            "--dataset (compute-to-data) needs --redundancy 1 and --verification none: \
             only the dataset's provider can bid and no referee can replay without the data"
        );
    }
    if args.dataset.is_some() && args.max_access_fee.is_none() {
        anyhow::bail!("--dataset (compute-to-data) needs --max-access-fee COIN");
    }
    let auditor_match = match args.auditor_match {
        AuditorMatch::All => pb::AuditorMatch::AllOf,
        AuditorMatch::Any => pb::AuditorMatch::AnyOf,
    };
    Ok(pb::MsgCreateOrder {
        owner: owner.into(),
        spec_sha256: Sha256::digest(&spec).to_vec(),
        spec,
        required_attributes: distinct_attributes(&args.attributes.attributes)?,
        auditors: Some(pb::AuditorRequirement {
            auditors: args.auditors.clone(),
            r#match: auditor_match as i32,
        }),
        resources: Some(args.resources.to_proto()),
        max_price_per_block: Some(args.max_price_per_block.clone()),
        deposit: Some(args.deposit.clone()),
        redundancy: args.redundancy,
        verification: Some(pb::Verification {
            mode: mode as i32,
            spot_check_rate,
        }),
        bid_window: args.bid_window,
        max_blocks: args.max_blocks,
        dataset_id: args.dataset.unwrap_or(0),
        max_access_fee: args.max_access_fee.clone(),
    })
}

impl BuildMsg for CreateOrder {
    type Msg = pb::MsgCreateOrder;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgCreateOrder> {
        let spec = std::fs::read(&self.spec)
            .map_err(|e| anyhow::anyhow!("cannot read --spec {}: {e}", self.spec.display()))?;
        build_create_order(self, signer, spec)
    }
}

#[cfg(test)]
#[path = "compute_tx_tests.rs"]
mod tests;
