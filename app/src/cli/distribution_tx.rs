//! `deaid tx distribution …`: simd's commands and arguments, with deai's convention for the
//! key (it comes first, where simd has `--from`). The messages are the SDK's
//! (`cosmos.distribution.v1beta1`); validator addresses are `deaivaloper1…`.

use std::path::Path;

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;
use cosmos_sdk_proto::Any;

use deai_client::txbuilder::to_any;
use deai_framework::Coins;

use super::output::OutputFormat;
use super::parse::{address, send, BuildMsg, Signed};
use super::tx_cmd::sign_and_send;
use super::NodeArgs;

/// Most delegations `withdraw-all-rewards` withdraws in one tx (simd chunks with
/// `--max-msgs`; past this, withdraw per validator with `withdraw-rewards`).
pub const MAX_WITHDRAW_MSGS: usize = 100;

#[derive(Subcommand, Debug)]
pub enum DistributionTx {
    /// Withdraw the signer's rewards from one validator (and, with --commission, that
    /// validator's commission, when the signer operates it).
    WithdrawRewards(Signed<WithdrawRewards>),
    /// Withdraw the signer's rewards from every validator it delegates to (one message per
    /// delegation, at most 100).
    WithdrawAllRewards(Signed<WithdrawAllRewards>),
    /// Set the address the signer's rewards are paid to.
    SetWithdrawAddr(Signed<SetWithdrawAddr>),
    /// Send coins from the signer to the community pool.
    FundCommunityPool(Signed<FundCommunityPool>),
    /// Add coins to a validator's rewards pool, shared by its delegators.
    FundValidatorRewardsPool(Signed<FundValidatorRewardsPool>),
}

/// A validator operator address argument.
pub fn valoper(s: &str) -> anyhow::Result<String> {
    deai_staking::address::val_from_bech32(s)
        .map(|a| deai_staking::address::val_to_bech32(&a))
        .map_err(|e| anyhow::anyhow!(e.log))
}

/// Coins of one argument (a newtype, so that clap does not take `Vec` for a list).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CoinList(pub Vec<ProtoCoin>);

/// One or more positive coins, e.g. `1000udeai` or `5udeai,2uatom`.
pub fn coins(s: &str) -> anyhow::Result<CoinList> {
    let c = Coins::parse(s).map_err(|e| anyhow::anyhow!("{} (expected e.g. 1000udeai)", e.log))?;
    anyhow::ensure!(
        !c.is_empty(),
        "expected positive coins such as 1000udeai, got {s:?}"
    );
    Ok(CoinList(c.to_proto()))
}

/// Messages made from a signer's address (commands whose tx holds several).
pub trait BuildMsgs {
    fn build_msgs(&self, signer: &str) -> anyhow::Result<Vec<Any>>;
}

#[derive(clap::Args, Clone, Debug)]
pub struct WithdrawRewards {
    #[arg(value_parser = valoper)]
    pub validator: String,
    /// Also withdraw the validator's commission (the signer must operate it).
    #[arg(long)]
    pub commission: bool,
}

impl BuildMsgs for WithdrawRewards {
    fn build_msgs(&self, signer: &str) -> anyhow::Result<Vec<Any>> {
        let mut msgs = vec![to_any(&pb::MsgWithdrawDelegatorReward {
            delegator_address: signer.into(),
            validator_address: self.validator.clone(),
        })];
        if self.commission {
            msgs.push(to_any(&pb::MsgWithdrawValidatorCommission {
                validator_address: self.validator.clone(),
            }));
        }
        Ok(msgs)
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct WithdrawAllRewards {}

/// One MsgWithdrawDelegatorReward per validator of `signer`, bounded.
pub fn withdraw_all_msgs(signer: &str, validators: &[String]) -> anyhow::Result<Vec<Any>> {
    anyhow::ensure!(
        !validators.is_empty(),
        "{signer} has no delegations to withdraw rewards from"
    );
    anyhow::ensure!(
        validators.len() <= MAX_WITHDRAW_MSGS,
        "{signer} delegates to {} validators, more than {MAX_WITHDRAW_MSGS} in one tx: \
         use withdraw-rewards per validator",
        validators.len()
    );
    Ok(validators
        .iter()
        .map(|v| {
            to_any(&pb::MsgWithdrawDelegatorReward {
                delegator_address: signer.into(),
                validator_address: v.clone(),
            })
        })
        .collect())
}

/// The validators `delegator` delegates to (DelegatorValidators).
fn delegator_validators(node: &NodeArgs, delegator: &str) -> anyhow::Result<Vec<String>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let req = pb::QueryDelegatorValidatorsRequest {
        delegator_address: delegator.into(),
    };
    let res: pb::QueryDelegatorValidatorsResponse = rt.block_on(async {
        super::query_cmd::querier(node)
            .await?
            .query(
                "/cosmos.distribution.v1beta1.Query/DelegatorValidators",
                &req,
                0,
            )
            .await
    })?;
    Ok(res.validators)
}

#[derive(clap::Args, Clone, Debug)]
pub struct SetWithdrawAddr {
    #[arg(value_parser = address)]
    pub withdraw_address: String,
}

impl BuildMsg for SetWithdrawAddr {
    type Msg = pb::MsgSetWithdrawAddress;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgSetWithdrawAddress {
            delegator_address: signer.into(),
            withdraw_address: self.withdraw_address.clone(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct FundCommunityPool {
    /// Coins, e.g. 1000udeai.
    #[arg(value_parser = coins)]
    pub amount: CoinList,
}

impl BuildMsg for FundCommunityPool {
    type Msg = pb::MsgFundCommunityPool;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgFundCommunityPool {
            amount: self.amount.0.clone(),
            depositor: signer.into(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct FundValidatorRewardsPool {
    #[arg(value_parser = valoper)]
    pub validator: String,
    /// Coins, e.g. 1000udeai.
    #[arg(value_parser = coins)]
    pub amount: CoinList,
}

impl BuildMsg for FundValidatorRewardsPool {
    type Msg = pb::MsgDepositValidatorRewardsPool;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgDepositValidatorRewardsPool {
            depositor: signer.into(),
            validator_address: self.validator.clone(),
            amount: self.amount.0.clone(),
        })
    }
}

pub fn run(home: &Path, cmd: DistributionTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        DistributionTx::WithdrawRewards(s) => {
            sign_and_send(home, &s.from, &s.tx, out, |signer| s.msg.build_msgs(signer))
        }
        DistributionTx::WithdrawAllRewards(s) => {
            let node = s.tx.node.clone();
            sign_and_send(home, &s.from, &s.tx, out, |signer| {
                withdraw_all_msgs(signer, &delegator_validators(&node, signer)?)
            })
        }
        DistributionTx::SetWithdrawAddr(s) => send(home, s, out),
        DistributionTx::FundCommunityPool(s) => send(home, s, out),
        DistributionTx::FundValidatorRewardsPool(s) => send(home, s, out),
    }
}

#[cfg(test)]
#[path = "distribution_tx_tests.rs"]
mod tests;
