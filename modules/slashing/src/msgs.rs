//! slashing's messages: MsgUnjail (the validator's operator) and MsgUpdateParams (the
//! authority), with the SDK's checks and codes.

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use cosmos_sdk_proto::Any;

use deai_framework::authority;
use deai_framework::handler::{response, sender_event};
use deai_framework::{sdk, Address, Ctx, Event, Message, TxError};
use deai_staking::address::val_from_bech32;
use deai_staking::keeper::{
    consensus_address, consensus_key, delegation_shares, min_self_delegation, shares, tokens,
};
use deai_staking::{StakingRead, StakingWrite};

use crate::error::SlashingError;
use crate::keeper::{cons_addr, secs, SlashingRead, SlashingWrite};
use crate::params::Params;
use crate::{events, state_key, MODULE_NAME};

#[derive(Clone, Debug)]
pub struct Unjail {
    pub operator: Address,
}

impl TryFrom<pb::MsgUnjail> for Unjail {
    type Error = TxError;
    fn try_from(m: pb::MsgUnjail) -> Result<Self, TxError> {
        if m.validator_addr.is_empty() {
            return Err(sdk::invalid_address("empty validator address"));
        }
        Ok(Self {
            operator: val_from_bech32(&m.validator_addr)?,
        })
    }
}

impl Message for Unjail {
    fn signers(&self) -> Vec<Address> {
        vec![self.operator.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    /// The SDK's `Keeper.Unjail`, in its order of checks.
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let op = &self.operator;
        let v = ctx
            .validator(op)?
            .ok_or(SlashingError::NoValidatorForAddress)?;
        let d = ctx
            .delegation(op, op)?
            .ok_or(SlashingError::MissingSelfDelegation)?;
        let (t, s) = (tokens(&v)?, shares(&v)?);
        let self_tokens = if s == deai_framework::dec::Dec::ZERO {
            0
        } else {
            deai_staking::math::tokens_for_shares(t, s, delegation_shares(&d)?)?
        };
        if self_tokens < min_self_delegation(&v)? {
            return Err(SlashingError::SelfDelegationTooLowToUnjail.into());
        }
        if !v.jailed {
            return Err(SlashingError::ValidatorNotJailed.into());
        }
        let cons = cons_addr(&consensus_address(&consensus_key(&v)?))?;
        if let Some(info) = ctx.signing_info(&cons)? {
            if info.tombstoned {
                return Err(SlashingError::ValidatorJailed.into());
            }
            if ctx.block.time_unix < secs(&info.jailed_until) {
                return Err(SlashingError::ValidatorJailed.into());
            }
        }
        ctx.unjail(op)?;
        ctx.emit(events::unjail(&v.operator_address));
        ctx.emit(sender_event(op));
        Ok(response(pb::MsgUnjailResponse {}))
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
            |p| -> Result<Params, TxError> { Ok(Params::from_proto(p)?) },
        )?;
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
            |ctx| ctx.set_slashing_params(&self.params),
            Event::new("update_params").attr("module", MODULE_NAME),
            pb::MsgUpdateParamsResponse {},
        )
    }
}
