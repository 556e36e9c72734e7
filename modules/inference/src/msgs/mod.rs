//! inference's messages: decoding and stateless validation (`TryFrom` the proto), then
//! execution. Shared helpers live here.

mod dispute;
mod model;
mod request;
mod server;
mod submit;
mod topic;

pub use dispute::{architecture_macs, Adjudicate, Challenge, RespondChallenge};
pub use model::{validate_model, RegisterModel, UpdateModel};
pub use request::RequestInference;
pub use server::{RegisterServer, UnregisterServer};
pub use submit::SubmitInference;
pub(crate) use topic::validate_topic;
pub use topic::{
    CreateTopic, RegisterReputer, RegisterTopicWorker, SubmitGroundTruth, SubmitTopicInference,
};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;

use deai_framework::authority;
use deai_framework::{sdk, Address, Coin, Ctx, Message, TxError};
use deai_proto::inference::v1 as pb;

pub(crate) use deai_framework::handler::{
    coins_of, emit_all, required_coin, response, sender_event,
};

use crate::keeper::InferenceWrite;
use crate::params::Params;
use crate::{events, state_key, MODULE_NAME};

/// A coin of a record the module wrote itself.
pub(crate) fn stored_coin(c: &Option<ProtoCoin>, what: &str) -> Result<Coin, TxError> {
    Coin::from_proto(
        c.as_ref()
            .ok_or_else(|| sdk::internal(format!("inference record without {what}")))?,
    )
}

/// MsgUpdateParams: replaces every inference param; only the module's authority may sign it.
#[derive(Debug)]
pub struct UpdateParams {
    pub authority: Address,
    pub params: Params,
}

impl TryFrom<pb::MsgUpdateParams> for UpdateParams {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateParams) -> Result<Self, TxError> {
        let (authority, params) =
            authority::update_params_from(&m.authority, m.params, Params::from_proto)?;
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
            |ctx| ctx.set_inference_params(&self.params),
            events::params_updated(&self.authority, &self.params),
            pb::MsgUpdateParamsResponse {},
        )
    }
}
