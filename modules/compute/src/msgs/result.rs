//! MsgSubmitResult: the lessee of an active lease of a leased order submits its one result
//! before the lease runs out (`created_at + max_blocks`); see `crate::results` for how the
//! results conclude the order.

use cosmos_sdk_proto::Any;

use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::compute::v1::{self as pb, LeaseState, OrderState};

use super::{response, sender_event, validate_host_uri};
use crate::error::ComputeError;
use crate::keeper::{ComputeRead, ComputeWrite};
use crate::results::{conclude, lease_end};
use crate::settle::settle_order;
use crate::{events, MODULE_NAME};

/// Length of every hash a result carries (sha256).
pub const RESULT_HASH_LEN: usize = 32;

#[derive(Debug)]
pub struct SubmitResult {
    pub provider: Address,
    pub lease_id: u64,
    pub result_hash: Vec<u8>,
    pub weights_sha256: Vec<u8>,
    /// Each 32 bytes; their number is checked against params in `execute`.
    pub checkpoint_hashes: Vec<Vec<u8>>,
    pub artifact_uri: String,
}

fn check_hash(field: &'static str, h: &[u8]) -> Result<(), ComputeError> {
    if h.len() != RESULT_HASH_LEN {
        return Err(ComputeError::BadResultHash {
            field,
            got: h.len(),
        });
    }
    Ok(())
}

impl TryFrom<pb::MsgSubmitResult> for SubmitResult {
    type Error = TxError;
    fn try_from(m: pb::MsgSubmitResult) -> Result<Self, TxError> {
        check_hash("result_hash", &m.result_hash)?;
        check_hash("weights_sha256", &m.weights_sha256)?;
        if m.checkpoint_hashes.len() > crate::MAX_CHECKPOINTS as usize {
            return Err(ComputeError::TooManyCheckpoints {
                got: m.checkpoint_hashes.len(),
                max: crate::MAX_CHECKPOINTS,
            }
            .into());
        }
        for h in &m.checkpoint_hashes {
            check_hash("checkpoint hash", h)?;
        }
        // The chain head commits to every checkpoint, so results are compared by it and an
        // audit can always find where two results part.
        match m.checkpoint_hashes.last() {
            None => return Err(ComputeError::NoCheckpoints.into()),
            Some(head) if *head != m.result_hash => {
                return Err(ComputeError::ResultHashNotChainHead.into())
            }
            Some(_) => {}
        }
        validate_host_uri(&m.artifact_uri)
            .map_err(|e| ComputeError::InvalidArtifactUri(e.to_string()))?;
        Ok(Self {
            provider: Address::from_bech32(&m.provider)?,
            lease_id: m.lease_id,
            result_hash: m.result_hash,
            weights_sha256: m.weights_sha256,
            checkpoint_hashes: m.checkpoint_hashes,
            artifact_uri: m.artifact_uri,
        })
    }
}

impl Message for SubmitResult {
    fn signers(&self) -> Vec<Address> {
        vec![self.provider.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let max = ctx.compute_params()?.max_checkpoints;
        if self.checkpoint_hashes.len() > max as usize {
            return Err(ComputeError::TooManyCheckpoints {
                got: self.checkpoint_hashes.len(),
                max,
            }
            .into());
        }
        let lease = ctx
            .get_lease(self.lease_id)?
            .ok_or(ComputeError::LeaseNotFound(self.lease_id))?;
        if lease.provider != self.provider.to_bech32() {
            return Err(ComputeError::NotLessee {
                signer: self.provider.to_bech32(),
                lease: self.lease_id,
            }
            .into());
        }
        if lease.state != LeaseState::Active as i32 {
            return Err(ComputeError::LeaseNotActive(self.lease_id).into());
        }
        if ctx.get_result(lease.order_id, lease.id)?.is_some() {
            return Err(ComputeError::DuplicateResult(self.lease_id).into());
        }
        let order = ctx
            .get_order(lease.order_id)?
            .ok_or_else(|| deai_framework::sdk::internal("lease of a missing order"))?;
        if order.state != OrderState::Leased as i32 {
            return Err(ComputeError::OrderNotLeased(order.id).into());
        }
        let end = lease_end(&order, &lease);
        if ctx.block.height >= end {
            return Err(ComputeError::LeaseExpired {
                lease: self.lease_id,
                end,
            }
            .into());
        }
        settle_order(ctx, order.id)?;
        // An overdraft ends the lease; the error reverts the settlement, which happens again
        // at the next touch.
        let lease = ctx
            .get_lease(self.lease_id)?
            .ok_or_else(|| deai_framework::sdk::internal("lease vanished"))?;
        if lease.state != LeaseState::Active as i32 {
            return Err(ComputeError::LeaseNotActive(self.lease_id).into());
        }
        let result = pb::Result {
            lease_id: lease.id,
            order_id: lease.order_id,
            provider: lease.provider.clone(),
            result_hash: self.result_hash.clone(),
            weights_sha256: self.weights_sha256.clone(),
            checkpoint_hashes: self.checkpoint_hashes.clone(),
            artifact_uri: self.artifact_uri.clone(),
            submitted_at: ctx.block.height,
        };
        ctx.put_result(&result)?;
        ctx.emit(events::result_submitted(&result));
        conclude(ctx, order.id)?;
        ctx.emit(sender_event(&self.provider));
        Ok(response(pb::MsgSubmitResultResponse {}))
    }
}
