//! The messages of a later slice of the inference market (topics). Their types are registered so that clients get a clear answer, but
//! every one fails with `ERR_NOT_SUPPORTED` and changes nothing.

use std::marker::PhantomData;

use cosmos_sdk_proto::Any;
use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::inference::v1 as pb;

use crate::error::InferenceError;
use crate::MODULE_NAME;

/// A message that is decoded (its signer checked) but not executed yet.
pub struct NotYetSupported<P> {
    signer: Address,
    what: &'static str,
    _p: PhantomData<fn() -> P>,
}

/// Each message not built yet: its signer (the first field) and what it is.
macro_rules! pending {
    ($($ty:ident . $field:ident => $what:literal),* $(,)?) => {
        $(impl TryFrom<pb::$ty> for NotYetSupported<pb::$ty> {
            type Error = TxError;
            fn try_from(m: pb::$ty) -> Result<Self, TxError> {
                Ok(Self {
                    signer: Address::from_bech32(&m.$field)?,
                    what: $what,
                    _p: PhantomData,
                })
            }
        })*
    };
}

pending! {
    MsgCreateTopic.creator => "topics (MsgCreateTopic)",
    MsgRegisterTopicWorker.worker => "topics (MsgRegisterTopicWorker)",
    MsgRegisterReputer.reputer => "topics (MsgRegisterReputer)",
    MsgSubmitTopicInference.worker => "topics (MsgSubmitTopicInference)",
    MsgSubmitGroundTruth.reputer => "topics (MsgSubmitGroundTruth)",
}

impl<P: Send + 'static> Message for NotYetSupported<P> {
    fn signers(&self) -> Vec<Address> {
        vec![self.signer.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, _ctx: &mut Ctx) -> Result<Any, TxError> {
        Err(InferenceError::NotSupported(self.what.to_string()).into())
    }
}
