//! MsgRedeemAccess (burn one datatoken → a grant) and MsgDeliverKey (the provider's wrapped
//! data key for an encrypted dataset's grantee).

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{sdk, Address, Coin, Ctx, Message, TxError};
use deai_proto::data::v1 as pb;

use super::{coins_of, emit_all, load_dataset, response, sender_event};
use crate::error::DataError;
use crate::keeper::{DataRead, DataWrite};
use crate::{events, MODULE_ACCOUNT, MODULE_NAME};

/// The counter of grant ids.
pub const GRANT_SEQ: &str = "grant";
/// Largest wrapped key (an ECIES envelope of a 32-byte key is far smaller).
pub const MAX_WRAPPED_KEY_BYTES: usize = 256;

#[derive(Debug)]
pub struct RedeemAccess {
    pub grantee: Address,
    pub dataset_id: u64,
}

impl TryFrom<pb::MsgRedeemAccess> for RedeemAccess {
    type Error = TxError;
    fn try_from(m: pb::MsgRedeemAccess) -> Result<Self, TxError> {
        Ok(Self {
            grantee: Address::from_bech32(&m.grantee)?,
            dataset_id: m.dataset_id,
        })
    }
}

impl Message for RedeemAccess {
    fn signers(&self) -> Vec<Address> {
        vec![self.grantee.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.data_params()?;
        // A disabled dataset still honours the tokens it sold.
        let d = load_dataset(ctx, self.dataset_id)?;
        if d.access == pb::Access::ComputeToData as i32 {
            return Err(DataError::ComputeToDataOnly(d.id).into());
        }
        let token = coins_of(&Coin::new(d.denom.clone(), 1)?)?;
        let moved = ctx.send_to_module(&self.grantee, MODULE_ACCOUNT, &token)?;
        emit_all(ctx, moved);
        let burned = ctx.burn(MODULE_ACCOUNT, &token)?;
        emit_all(ctx, burned);

        let now = ctx.block.height;
        let add = |n: u64| {
            now.checked_add(n)
                .ok_or_else(|| sdk::overflow("height overflows"))
        };
        let delivery_deadline = if d.access == pb::Access::Encrypted as i32 {
            add(params.delivery_window)?
        } else {
            0
        };
        let g = pb::Grant {
            id: ctx.next_id(GRANT_SEQ)?,
            dataset_id: d.id,
            grantee: self.grantee.to_bech32(),
            created_at: now,
            expires_at_height: add(params.grant_blocks)?,
            price: d.price.clone(),
            delivery_deadline,
            ..Default::default()
        };
        ctx.put_grant(&g)?;
        ctx.emit(events::access_redeemed(&g));
        ctx.emit(sender_event(&self.grantee));
        Ok(response(pb::MsgRedeemAccessResponse {
            grant_id: g.id,
            expires_at_height: g.expires_at_height,
        }))
    }
}

#[derive(Debug)]
pub struct DeliverKey {
    pub provider: Address,
    pub grant_id: u64,
    pub wrapped_key: Vec<u8>,
}

impl TryFrom<pb::MsgDeliverKey> for DeliverKey {
    type Error = TxError;
    fn try_from(m: pb::MsgDeliverKey) -> Result<Self, TxError> {
        if m.wrapped_key.is_empty() || m.wrapped_key.len() > MAX_WRAPPED_KEY_BYTES {
            return Err(DataError::BadWrappedKey {
                got: m.wrapped_key.len(),
                max: MAX_WRAPPED_KEY_BYTES,
            }
            .into());
        }
        Ok(Self {
            provider: Address::from_bech32(&m.provider)?,
            grant_id: m.grant_id,
            wrapped_key: m.wrapped_key,
        })
    }
}

impl Message for DeliverKey {
    fn signers(&self) -> Vec<Address> {
        vec![self.provider.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut g = ctx
            .get_grant(self.grant_id)?
            .ok_or(DataError::GrantNotFound(self.grant_id))?;
        let d = load_dataset(ctx, g.dataset_id)?;
        if d.provider.as_ref().map(|p| p.address.as_str()) != Some(&self.provider.to_bech32()) {
            return Err(DataError::Unauthorized("dataset's provider").into());
        }
        if g.delivery_deadline == 0 {
            return Err(DataError::NotEncrypted(d.id).into());
        }
        if g.delivered_at != 0 || g.refunded {
            return Err(DataError::AlreadyDelivered(g.id).into());
        }
        let height = ctx.block.height;
        if height >= g.delivery_deadline {
            return Err(DataError::DeliveryClosed {
                grant: g.id,
                deadline: g.delivery_deadline,
                height,
            }
            .into());
        }
        g.wrapped_key = self.wrapped_key.clone();
        g.delivered_at = height;
        ctx.put_grant(&g)?;
        ctx.emit(events::key_delivered(g.id, &self.provider));
        ctx.emit(sender_event(&self.provider));
        Ok(response(pb::MsgDeliverKeyResponse {}))
    }
}
