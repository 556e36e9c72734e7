//! compute's messages: decoding and stateless validation (`TryFrom` the proto), then
//! execution. Shared validation lives here.

mod audit;
mod bid;
mod lease;
mod order;
mod provider;
mod result;

pub use audit::SubmitAudit;
pub(crate) use bid::{close_bid, has_capacity};
pub use bid::{CloseBid, CreateBid};
pub use lease::{CreateLease, WithdrawLease};
pub(crate) use order::close_order_refunding;
pub use order::{CloseOrder, CreateOrder, DepositOrder};
pub use provider::{CreateProvider, DeleteProvider, SignProviderAttributes, UpdateProvider};
pub use result::{SubmitResult, RESULT_HASH_LEN};

use cosmos_sdk_proto::Any;

use deai_framework::authority;
use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::compute::v1 as pb;

pub(crate) use deai_framework::handler::{
    coins_of, emit_all, required_coin, response, sender_event,
};

use crate::error::ComputeError;
use crate::keeper::ComputeWrite;
use crate::params::Params;
use crate::{events, state_key, MODULE_NAME};

/// Longest `host_uri`.
pub const MAX_HOST_URI_LEN: usize = 256;
/// Most attributes of a provider, of an order's requirements or of one signature.
pub const MAX_ATTRIBUTES: usize = 32;
pub const MAX_ATTRIBUTE_KEY_LEN: usize = 64;
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 128;

/// `http://` or `https://`, a host, bounded, printable ASCII without spaces.
pub fn validate_host_uri(uri: &str) -> Result<(), ComputeError> {
    let bad = |why: &str| ComputeError::InvalidHostUri(format!("{why}: {uri:?}"));
    if uri.len() > MAX_HOST_URI_LEN {
        return Err(bad("too long"));
    }
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("must be printable ASCII without spaces"));
    }
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .ok_or_else(|| bad("scheme must be http or https"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') || host.contains('@') {
        return Err(bad("missing host"));
    }
    Ok(())
}

/// Checks a list of attributes and returns it sorted by key. Keys are unique,
/// `[A-Za-z0-9._/-]{1,64}`; values are 1..=128 printable ASCII bytes.
pub fn canonical_attributes(
    mut attrs: Vec<pb::Attribute>,
) -> Result<Vec<pb::Attribute>, ComputeError> {
    let bad = |s: String| ComputeError::InvalidAttributes(s);
    if attrs.len() > MAX_ATTRIBUTES {
        return Err(bad(format!("at most {MAX_ATTRIBUTES} attributes")));
    }
    for a in &attrs {
        let key_ok = (1..=MAX_ATTRIBUTE_KEY_LEN).contains(&a.key.len())
            && a.key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
        if !key_ok {
            return Err(bad(format!("invalid key {:?}", a.key)));
        }
        let value_ok = (1..=MAX_ATTRIBUTE_VALUE_LEN).contains(&a.value.len())
            && a.value.bytes().all(|b| (0x20..0x7f).contains(&b));
        if !value_ok {
            return Err(bad(format!("invalid value for {:?}", a.key)));
        }
    }
    attrs.sort_by(|a, b| a.key.cmp(&b.key));
    if attrs.windows(2).any(|w| w[0].key == w[1].key) {
        return Err(bad("duplicate key".into()));
    }
    Ok(attrs)
}

/// MsgUpdateParams: replaces every compute param; only the module's authority may sign it.
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
            |ctx| ctx.set_compute_params(&self.params),
            events::params_updated(&self.authority, &self.params),
            pb::MsgUpdateParamsResponse {},
        )
    }
}
