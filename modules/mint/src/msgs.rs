//! mint's messages: the SDK's MsgUpdateParams and deai's MsgUpdateEmissionSplit, both signed
//! by the module's authority (gov by default; see `deai_framework::authority`).

use cosmos_sdk_proto::cosmos::mint::v1beta1 as pb;
use cosmos_sdk_proto::Any;

use deai_framework::{authority, Address, Ctx, Message, TxError};
use deai_proto::mint::v1 as dpb;

use crate::keeper::MintWrite;
use crate::params::{EmissionSplit, Params};
use crate::{events, state_key, MODULE_NAME};

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
            |ctx| ctx.set_mint_params(&self.params),
            events::update_params(),
            pb::MsgUpdateParamsResponse {},
        )
    }
}

#[derive(Clone, Debug)]
pub struct UpdateEmissionSplit {
    pub authority: Address,
    pub split: EmissionSplit,
}

impl TryFrom<dpb::MsgUpdateEmissionSplit> for UpdateEmissionSplit {
    type Error = TxError;
    fn try_from(m: dpb::MsgUpdateEmissionSplit) -> Result<Self, TxError> {
        let (authority, split) = authority::update_params_from(
            &m.authority,
            m.split,
            |s| -> Result<EmissionSplit, TxError> { Ok(EmissionSplit::from_proto(s)?) },
        )?;
        Ok(Self { authority, split })
    }
}

impl Message for UpdateEmissionSplit {
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
            |ctx| ctx.set_emission_split(&self.split),
            events::update_emission_split(),
            dpb::MsgUpdateEmissionSplitResponse {},
        )
    }
}
