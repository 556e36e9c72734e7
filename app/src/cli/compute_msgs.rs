//! The arguments of `deaid tx compute …` commands other than create-order, and the messages
//! they make (see [`BuildMsg`]).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use deai_proto::compute::v1 as pb;

use super::compute_tx::{AttributeArgs, ResourceArgs};
use super::parse::{address, coin, distinct_attributes, hex32, hex32_or_empty, BuildMsg, Hash};

/// A command whose arguments are nothing but ids: `$args { $id… }` makes
/// `pb::$msg { $signer: <signer>, $id… }`.
macro_rules! ids_command {
    ($args:ident => $msg:ident { $signer:ident $(, $id:ident)* }) => {
        #[derive(clap::Args, Clone, Debug)]
        pub struct $args {
            $(pub $id: u64,)*
        }

        impl BuildMsg for $args {
            type Msg = pb::$msg;
            fn build(&self, signer: &str) -> anyhow::Result<pb::$msg> {
                Ok(pb::$msg {
                    $signer: signer.into(),
                    $($id: self.$id,)*
                })
            }
        }
    };
}

ids_command!(NoArgs => MsgDeleteProvider { owner });
ids_command!(OrderId => MsgCloseOrder { owner, order_id });
ids_command!(BidId => MsgCloseBid { provider, bid_id });
ids_command!(LeaseId => MsgWithdrawLease { provider, lease_id });

#[derive(clap::Args, Clone, Debug)]
pub struct ProviderArgs {
    /// Where the provider's worker serves artifacts (http:// or https://).
    #[arg(long)]
    pub host_uri: String,
    #[command(flatten)]
    pub attributes: AttributeArgs,
    #[command(flatten)]
    pub capacity: ResourceArgs,
}

impl BuildMsg for ProviderArgs {
    type Msg = pb::MsgUpdateProvider;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgUpdateProvider> {
        Ok(pb::MsgUpdateProvider {
            owner: signer.into(),
            host_uri: self.host_uri.clone(),
            attributes: distinct_attributes(&self.attributes.attributes)?,
            capacity: Some(self.capacity.to_proto()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct CreateProvider {
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// Stake escrowed in the module (slashable), e.g. 10000000udeai.
    #[arg(long, value_parser = coin)]
    pub stake: ProtoCoin,
}

impl BuildMsg for CreateProvider {
    type Msg = pb::MsgCreateProvider;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgCreateProvider> {
        let p = self.provider.build(signer)?;
        Ok(pb::MsgCreateProvider {
            owner: p.owner,
            host_uri: p.host_uri,
            attributes: p.attributes,
            capacity: p.capacity,
            stake: Some(self.stake.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct SignAttributes {
    /// The provider's address.
    #[arg(value_parser = address)]
    pub provider: String,
    #[command(flatten)]
    pub attributes: AttributeArgs,
}

impl BuildMsg for SignAttributes {
    type Msg = pb::MsgSignProviderAttributes;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgSignProviderAttributes> {
        anyhow::ensure!(
            !self.attributes.attributes.is_empty(),
            "give the --attributes to sign"
        );
        Ok(pb::MsgSignProviderAttributes {
            auditor: signer.into(),
            provider: self.provider.clone(),
            attributes: distinct_attributes(&self.attributes.attributes)?,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct DepositOrder {
    pub order_id: u64,
    /// The coin to add, e.g. 50000udeai.
    #[arg(value_parser = coin)]
    pub amount: ProtoCoin,
}

impl BuildMsg for DepositOrder {
    type Msg = pb::MsgDepositOrder;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgDepositOrder> {
        Ok(pb::MsgDepositOrder {
            depositor: signer.into(),
            order_id: self.order_id,
            amount: Some(self.amount.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct CreateBid {
    pub order_id: u64,
    /// Price per block, at most the order's max price per block, e.g. 8udeai.
    #[arg(long, value_parser = coin)]
    pub price: ProtoCoin,
    /// Deposit escrowed with the bid (at least the bid_min_deposit param).
    #[arg(long, value_parser = coin)]
    pub deposit: ProtoCoin,
}

impl BuildMsg for CreateBid {
    type Msg = pb::MsgCreateBid;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgCreateBid> {
        Ok(pb::MsgCreateBid {
            provider: signer.into(),
            order_id: self.order_id,
            price: Some(self.price.clone()),
            deposit: Some(self.deposit.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct CreateLease {
    pub order_id: u64,
    /// The bids to lease, comma-separated ids, e.g. 3,4.
    #[arg(long, value_delimiter = ',', required = true)]
    pub bids: Vec<u64>,
}

impl BuildMsg for CreateLease {
    type Msg = pb::MsgCreateLease;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgCreateLease> {
        Ok(pb::MsgCreateLease {
            owner: signer.into(),
            order_id: self.order_id,
            bid_ids: self.bids.clone(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct SubmitResult {
    pub lease_id: u64,
    /// The result's hash, 64 hex characters.
    #[arg(long, value_parser = hex32)]
    pub result_hash: Hash,
    /// sha256 of the trained weights, 64 hex characters.
    #[arg(long, value_parser = hex32)]
    pub weights_sha256: Hash,
    /// Checkpoint hashes in order, comma-separated 64-hex-character hashes.
    #[arg(long, value_delimiter = ',', value_parser = hex32)]
    pub checkpoint_hashes: Vec<Hash>,
    /// Where the artifacts can be fetched (http:// or https://).
    #[arg(long)]
    pub artifact_uri: String,
}

impl BuildMsg for SubmitResult {
    type Msg = pb::MsgSubmitResult;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgSubmitResult> {
        Ok(pb::MsgSubmitResult {
            provider: signer.into(),
            lease_id: self.lease_id,
            result_hash: self.result_hash.0.clone(),
            weights_sha256: self.weights_sha256.0.clone(),
            checkpoint_hashes: self.checkpoint_hashes.iter().map(|h| h.0.clone()).collect(),
            artifact_uri: self.artifact_uri.clone(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct SubmitAudit {
    pub order_id: u64,
    /// The segment replayed (its index among the checkpoints).
    #[arg(long)]
    pub segment: u32,
    /// The replayed checkpoint hash, 64 hex characters; "" when the replay produced none.
    #[arg(long, value_parser = hex32_or_empty)]
    pub checkpoint_hash: Hash,
}

impl BuildMsg for SubmitAudit {
    type Msg = pb::MsgSubmitAudit;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgSubmitAudit> {
        Ok(pb::MsgSubmitAudit {
            verifier: signer.into(),
            order_id: self.order_id,
            segment: self.segment,
            checkpoint_hash: self.checkpoint_hash.0.clone(),
        })
    }
}
