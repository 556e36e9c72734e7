//! MsgClosePool: the pool's owner ends it. It takes no contributions or bonds from then on;
//! its current epoch settles at its end as usual, and that settlement refunds the balance
//! and returns every bond ([`crate::settle`]).

use cosmos_sdk_proto::Any;

use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::data::v1 as pb;

use super::pool::{check_open, load_pool};
use super::{response, sender_event, settle_height};
use crate::error::DataError;
use crate::keeper::{stored_addr, DataWrite};
use crate::{events, MODULE_NAME};

#[derive(Debug)]
pub struct ClosePool {
    pub owner: Address,
    pub pool_id: u64,
}

impl TryFrom<pb::MsgClosePool> for ClosePool {
    type Error = TxError;
    fn try_from(m: pb::MsgClosePool) -> Result<Self, TxError> {
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
            pool_id: m.pool_id,
        })
    }
}

impl Message for ClosePool {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut pool = load_pool(ctx, self.pool_id)?;
        if stored_addr(&pool.owner)? != self.owner {
            return Err(DataError::Unauthorized("pool's owner").into());
        }
        check_open(&pool)?;
        pool.status = pb::PoolStatus::Closing as i32;
        ctx.put_pool(&pool)?;
        // Its weight in the mint module's index drops to 0 now (a pending claim goes to the
        // community pool: a closing pool takes no emission).
        deai_mint::reward_pools::settle::<crate::emission::DataPools>(ctx, pool.id)?;
        // Already scheduled: the current epoch's settlement is the last.
        let at = settle_height(pool.epoch_start, pool.epoch_length)?;
        ctx.emit(events::pool_closing(&pool, at));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgClosePoolResponse {
            settles_at_height: at,
        }))
    }
}
