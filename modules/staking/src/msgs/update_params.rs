//! MsgUpdateParams.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use cosmos_sdk_proto::Any;

use deai_framework::authority;
use deai_framework::{Address, Ctx, Event, Message, StateRead, TxError};

use crate::error::StakingError;
use crate::keeper::{StakingRead, StakingWrite};
use crate::params::Params;
use crate::{state_key, MODULE_NAME};

/// MsgUpdateParams: replaces every staking param; only the module's authority may sign it.
#[derive(Debug)]
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
        let old = ctx.staking_params()?;
        if old.bond_denom != self.params.bond_denom
            && (ctx.last_total_power()? > 0 || shares_exist(ctx)?)
        {
            return Err(StakingError::InvalidParams(
                "bond_denom cannot change while tokens are bonded".into(),
            )
            .into());
        }
        authority::update_params(
            ctx,
            &state_key::authority(),
            &self.authority,
            |ctx| ctx.set_staking_params(&self.params),
            Event::new(crate::events::UPDATE_PARAMS).attr("module", MODULE_NAME),
            pb::MsgUpdateParamsResponse {},
        )
    }
}

/// Whether any validator exists (the bond denom is then fixed).
fn shares_exist(ctx: &Ctx) -> Result<bool, TxError> {
    let prefix = state_key::validators();
    let end = deai_framework::keys::prefix_end(&prefix);
    Ok(!ctx.scan(&prefix, end.as_deref(), false, 1)?.is_empty())
}
