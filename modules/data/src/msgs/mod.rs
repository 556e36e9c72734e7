//! data's messages: decoding and stateless validation (`TryFrom` the proto), then execution.

use cosmos_sdk_proto::Any;

use deai_framework::authority;
use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::data::v1 as pb;

pub(crate) use deai_framework::handler::{
    coins_of, emit_all, required_coin, response, sender_event,
};

use crate::error::DataError;
use crate::keeper::{DataRead, DataWrite};
use crate::params::Params;
use crate::{events, state_key, MODULE_NAME};

mod buy;
mod close;
mod dataset;
mod grant;
mod pool;

pub use buy::BuyAccess;
pub use close::ClosePool;
pub use dataset::{PublishDataset, UpdateDataset, DATASET_SEQ};
pub use grant::{DeliverKey, RedeemAccess, GRANT_SEQ, MAX_WRAPPED_KEY_BYTES};
pub(crate) use pool::{check_pool, settle_height};
pub use pool::{
    BondPoolValidator, Contribute, CreatePool, ScoreContribution, CONTRIBUTION_SEQ,
    MAX_EPOCH_LENGTH, POOL_SEQ,
};

pub(crate) fn load_dataset(ctx: &Ctx, id: u64) -> Result<pb::Dataset, TxError> {
    ctx.get_dataset(id)?
        .ok_or_else(|| DataError::DatasetNotFound(id).into())
}

/// MsgUpdateParams: replaces every data param; only the module's authority may sign it.
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
            |ctx| {
                // Deposits, pools, stakes and bonds are held in the bond denom: changing it
                // would strand them (and genesis import would refuse the state).
                let current = ctx.data_params()?.publisher_deposit.denom;
                if self.params.publisher_deposit.denom != current {
                    return Err(DataError::InvalidParams(format!(
                        "the bond denom is {current} and cannot change"
                    ))
                    .into());
                }
                ctx.set_data_params(&self.params)
            },
            events::params_updated(&self.params),
            pb::MsgUpdateParamsResponse {},
        )
    }
}
