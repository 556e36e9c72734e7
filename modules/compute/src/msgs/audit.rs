//! MsgSubmitAudit: the referee assigned to an order's pending audit answers the hash of
//! checkpoint `segment + 1` of its replay (empty: the true run has no such checkpoint); see
//! `crate::audits` for what the answer decides.

use cosmos_sdk_proto::Any;

use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::compute::v1 as pb;

use super::{response, sender_event};
use crate::audits::{pending_audit, resolve};
use crate::error::ComputeError;
use crate::keeper::ComputeRead;
use crate::{events, MODULE_NAME, RESULT_HASH_LEN};

#[derive(Debug)]
pub struct SubmitAudit {
    pub verifier: Address,
    pub order_id: u64,
    pub segment: u32,
    /// 32 bytes, or `None` for an empty answer.
    pub checkpoint_hash: Option<Vec<u8>>,
}

impl TryFrom<pb::MsgSubmitAudit> for SubmitAudit {
    type Error = TxError;
    fn try_from(m: pb::MsgSubmitAudit) -> Result<Self, TxError> {
        let checkpoint_hash = match m.checkpoint_hash.len() {
            0 => None,
            RESULT_HASH_LEN => Some(m.checkpoint_hash),
            got => {
                return Err(ComputeError::BadResultHash {
                    field: "checkpoint_hash",
                    got,
                }
                .into())
            }
        };
        Ok(Self {
            verifier: Address::from_bech32(&m.verifier)?,
            order_id: m.order_id,
            segment: m.segment,
            checkpoint_hash,
        })
    }
}

impl Message for SubmitAudit {
    fn signers(&self) -> Vec<Address> {
        vec![self.verifier.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        ctx.get_order(self.order_id)?
            .ok_or(ComputeError::OrderNotFound(self.order_id))?;
        let audit = pending_audit(ctx, self.order_id)?
            .ok_or(ComputeError::NoPendingAudit(self.order_id))?;
        let signer = self.verifier.to_bech32();
        if audit.verifier != signer {
            return Err(ComputeError::NotAssignedVerifier {
                signer,
                audit: audit.id,
            }
            .into());
        }
        if audit.segment != self.segment {
            return Err(ComputeError::AuditSegmentMismatch {
                expected: audit.segment,
                got: self.segment,
            }
            .into());
        }
        let answer = self.checkpoint_hash.clone().unwrap_or_default();
        ctx.emit(events::audit_submitted(&audit, &answer));
        resolve(ctx, audit, self.checkpoint_hash.clone())?;
        ctx.emit(sender_event(&self.verifier));
        Ok(response(pb::MsgSubmitAuditResponse {}))
    }
}
