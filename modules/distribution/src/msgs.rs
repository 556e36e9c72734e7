//! distribution's messages with the SDK v0.50 msg server's checks and codes:
//! MsgSetWithdrawAddress, MsgWithdrawDelegatorReward, MsgWithdrawValidatorCommission,
//! MsgFundCommunityPool, MsgUpdateParams, MsgCommunityPoolSpend (both: the authority, gov by
//! default) and MsgDepositValidatorRewardsPool. Addresses and coins are checked when decoded.

use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;
use cosmos_sdk_proto::Any;

use deai_bank::{BankRead, BankWrite, COMMUNITY_POOL};
use deai_framework::handler::{emit_all, response, sender_event};
use deai_framework::{authority, sdk, Address, Coins, Ctx, Event, Message, TxError};
use deai_staking::address::val_from_bech32;
use deai_staking::StakingRead;

use crate::deccoins::DecCoins;
use crate::error::DistributionError;
use crate::keeper::{DistributionRead, DistributionWrite};
use crate::params::Params;
use crate::{events, rewards, state_key, MODULE_ACCOUNT, MODULE_NAME};

fn account(s: &str, what: &str) -> Result<Address, TxError> {
    Address::from_bech32(s)
        .map_err(|e| sdk::invalid_address(format!("invalid {what} address: {}", e.log)))
}

fn validator(s: &str) -> Result<Address, TxError> {
    val_from_bech32(s)
        .map_err(|e| sdk::invalid_address(format!("invalid validator address: {}", e.log)))
}

fn coins(c: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin]) -> Result<Coins, TxError> {
    Coins::from_proto(c).map_err(|e| sdk::invalid_coins(e.log))
}

fn coins_proto(c: &Coins) -> Vec<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
    c.to_proto()
}

#[derive(Clone, Debug)]
pub struct SetWithdrawAddress {
    pub delegator: Address,
    pub withdraw: Address,
}

impl TryFrom<pb::MsgSetWithdrawAddress> for SetWithdrawAddress {
    type Error = TxError;
    fn try_from(m: pb::MsgSetWithdrawAddress) -> Result<Self, TxError> {
        Ok(Self {
            delegator: account(&m.delegator_address, "delegator")?,
            withdraw: account(&m.withdraw_address, "withdraw")?,
        })
    }
}

impl Message for SetWithdrawAddress {
    fn signers(&self) -> Vec<Address> {
        vec![self.delegator.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        if !ctx.distribution_params()?.withdraw_addr_enabled {
            return Err(DistributionError::SetWithdrawAddrDisabled.into());
        }
        if ctx.is_blocked_address(&self.withdraw)? {
            return Err(sdk::unauthorized(format!(
                "{} is not allowed to receive external funds",
                self.withdraw
            )));
        }
        ctx.set_withdraw_addr(&self.delegator, &self.withdraw)?;
        ctx.emit(events::set_withdraw_address(&self.withdraw));
        ctx.emit(sender_event(&self.delegator));
        Ok(response(pb::MsgSetWithdrawAddressResponse {}))
    }
}

#[derive(Clone, Debug)]
pub struct WithdrawDelegatorReward {
    pub delegator: Address,
    pub validator: Address,
}

impl TryFrom<pb::MsgWithdrawDelegatorReward> for WithdrawDelegatorReward {
    type Error = TxError;
    fn try_from(m: pb::MsgWithdrawDelegatorReward) -> Result<Self, TxError> {
        Ok(Self {
            delegator: account(&m.delegator_address, "delegator")?,
            validator: validator(&m.validator_address)?,
        })
    }
}

impl Message for WithdrawDelegatorReward {
    fn signers(&self) -> Vec<Address> {
        vec![self.delegator.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    /// The SDK's `Keeper.WithdrawDelegationRewards`: withdraw, then start afresh.
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        if ctx.validator(&self.validator)?.is_none() {
            return Err(DistributionError::NoValidatorDistInfo.into());
        }
        if ctx.delegation(&self.delegator, &self.validator)?.is_none() {
            return Err(DistributionError::EmptyDelegationDistInfo.into());
        }
        let mut evs = Vec::new();
        let h = ctx.block.height;
        let amount = rewards::withdraw_rewards(ctx, &self.validator, &self.delegator, h, &mut evs)?;
        rewards::initialize_delegation(ctx, &self.validator, &self.delegator, h)?;
        evs.push(sender_event(&self.delegator));
        emit_all(ctx, evs);
        Ok(response(pb::MsgWithdrawDelegatorRewardResponse {
            amount: coins_proto(&amount),
        }))
    }
}

#[derive(Clone, Debug)]
pub struct WithdrawValidatorCommission {
    pub validator: Address,
}

impl TryFrom<pb::MsgWithdrawValidatorCommission> for WithdrawValidatorCommission {
    type Error = TxError;
    fn try_from(m: pb::MsgWithdrawValidatorCommission) -> Result<Self, TxError> {
        Ok(Self {
            validator: validator(&m.validator_address)?,
        })
    }
}

impl Message for WithdrawValidatorCommission {
    /// The operator's account (the same bytes as its `deaivaloper` address).
    fn signers(&self) -> Vec<Address> {
        vec![self.validator.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut evs = Vec::new();
        let amount = rewards::withdraw_commission(ctx, &self.validator, &mut evs)?;
        evs.push(sender_event(&self.validator));
        emit_all(ctx, evs);
        Ok(response(pb::MsgWithdrawValidatorCommissionResponse {
            amount: coins_proto(&amount),
        }))
    }
}

#[derive(Clone, Debug)]
pub struct FundCommunityPool {
    pub depositor: Address,
    pub amount: Coins,
}

impl TryFrom<pb::MsgFundCommunityPool> for FundCommunityPool {
    type Error = TxError;
    fn try_from(m: pb::MsgFundCommunityPool) -> Result<Self, TxError> {
        Ok(Self {
            depositor: account(&m.depositor, "depositor")?,
            amount: coins(&m.amount)?,
        })
    }
}

impl Message for FundCommunityPool {
    fn signers(&self) -> Vec<Address> {
        vec![self.depositor.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    /// Straight into the `community_pool` account (the SDK: into its own account, counted in
    /// the fee pool).
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut evs = ctx.send_to_module(&self.depositor, COMMUNITY_POOL, &self.amount)?;
        evs.push(sender_event(&self.depositor));
        emit_all(ctx, evs);
        Ok(response(pb::MsgFundCommunityPoolResponse {}))
    }
}

#[derive(Clone, Debug)]
pub struct UpdateParams {
    pub authority: Address,
    pub params: Params,
}

impl TryFrom<pb::MsgUpdateParams> for UpdateParams {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateParams) -> Result<Self, TxError> {
        let (authority, params) = authority::update_params_from(
            &m.authority,
            m.params,
            |p| -> Result<Params, TxError> {
                Ok(Params::from_proto(p).map_err(DistributionError::from)?)
            },
        )?;
        if params.base_proposer_reward != deai_framework::dec::Dec::ZERO
            || params.bonus_proposer_reward != deai_framework::dec::Dec::ZERO
        {
            return Err(sdk::invalid_request(
                "cannot update base or bonus proposer reward because these are deprecated fields",
            ));
        }
        Ok(Self { authority, params })
    }
}

impl Message for UpdateParams {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        authority::update_params(
            ctx,
            &state_key::authority(),
            &self.authority,
            |ctx| ctx.set_distribution_params(&self.params),
            Event::new("update_params").attr("module", MODULE_NAME),
            pb::MsgUpdateParamsResponse {},
        )
    }
}

#[derive(Clone, Debug)]
pub struct CommunityPoolSpend {
    pub authority: Address,
    pub recipient: Address,
    pub amount: Coins,
}

impl TryFrom<pb::MsgCommunityPoolSpend> for CommunityPoolSpend {
    type Error = TxError;
    fn try_from(m: pb::MsgCommunityPoolSpend) -> Result<Self, TxError> {
        let amount = coins(&m.amount)?;
        if amount.is_empty() {
            return Err(sdk::invalid_coins("amount cannot be empty"));
        }
        Ok(Self {
            authority: account(&m.authority, "authority")?,
            recipient: account(&m.recipient, "recipient")?,
            amount,
        })
    }
}

impl Message for CommunityPoolSpend {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    /// Pays whole coins out of the `community_pool` account (the dust is not spendable).
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        authority::check(ctx, &state_key::authority(), &self.authority)?;
        if ctx.is_blocked_address(&self.recipient)? {
            return Err(sdk::unauthorized(format!(
                "recipient is blocked: {}",
                self.recipient
            )));
        }
        for c in self.amount.iter() {
            if ctx.module_balance(COMMUNITY_POOL, &c.denom)? < c.amount {
                return Err(DistributionError::BadDistribution.into());
            }
        }
        let mut evs = ctx.send_from_module(COMMUNITY_POOL, &self.recipient, &self.amount)?;
        evs.push(sender_event(&self.authority));
        emit_all(ctx, evs);
        Ok(response(pb::MsgCommunityPoolSpendResponse {}))
    }
}

#[derive(Clone, Debug)]
pub struct DepositValidatorRewardsPool {
    pub depositor: Address,
    pub validator: Address,
    pub amount: Coins,
}

impl TryFrom<pb::MsgDepositValidatorRewardsPool> for DepositValidatorRewardsPool {
    type Error = TxError;
    fn try_from(m: pb::MsgDepositValidatorRewardsPool) -> Result<Self, TxError> {
        let amount = coins(&m.amount)?;
        if amount.is_empty() {
            return Err(sdk::invalid_coins("amount cannot be empty"));
        }
        Ok(Self {
            depositor: account(&m.depositor, "depositor")?,
            validator: validator(&m.validator_address)?,
            amount,
        })
    }
}

impl Message for DepositValidatorRewardsPool {
    fn signers(&self) -> Vec<Address> {
        vec![self.depositor.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    /// Rewards for one validator's delegators (and its commission), as if allocated.
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut evs = ctx.send_to_module(&self.depositor, MODULE_ACCOUNT, &self.amount)?;
        let v = ctx.validator(&self.validator)?.ok_or_else(|| {
            DistributionError::NoValidatorExists(deai_staking::address::val_to_bech32(
                &self.validator,
            ))
        })?;
        rewards::allocate_to_validator(ctx, &v, &DecCoins::from_coins(&self.amount)?, &mut evs)?;
        evs.push(sender_event(&self.depositor));
        emit_all(ctx, evs);
        Ok(response(pb::MsgDepositValidatorRewardsPoolResponse {}))
    }
}
