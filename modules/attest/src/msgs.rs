//! attest's one message: MsgUpdateParams, signed by the module's authority (gov by default).

use cosmos_sdk_proto::Any;

use deai_framework::{authority, Address, Ctx, Message, TxError};
use deai_proto::attest::v1 as pb;

use crate::keeper::AttestWrite;
use crate::params::Params;
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
            |ctx| ctx.put_attest_params(&self.params),
            events::update_params(),
            pb::MsgUpdateParamsResponse {},
        )
    }
}
