//! Attestation: the last-resort referee of an audit (docs/compute.md, "Audits").
//!
//! - **Request.** When the last of an order's [`crate::MAX_AUDITS_PER_ORDER`] audits expires
//!   unanswered (its referee was silent, or no referee could be drawn: an unassigned audit
//!   expires and counts the same), the chain asks deai-attest for a
//!   `JOB_KIND_COMPUTE_REPLAY` job (requester [`REQUESTER`], subject the expired audit's id,
//!   spec `deai_attest::wire::ComputeReplaySpec`: the order's job spec, the audit's segment
//!   and the hash of its start checkpoint) and stores the job id on that audit
//!   (`attest_job_id`). The order stays `disputed` (no audit pending) until the outcome. A
//!   refused request (too many pending jobs, a spec too large or not UTF-8) or a chain
//!   without the attest module (no attest params in state) abandons the dispute at once, as
//!   before; `EventAuditAttestation` says which.
//! - **Outcome** ([`on_attested`], called by the app's attest hooks for requester
//!   "compute"): only for the audit and job recorded, while the order is still disputed.
//!   Settled: the attested hash is the answer, judged exactly as a referee's
//!   `MsgSubmitAudit` (faulty leases slashed, their providers jailed, the order completed
//!   on the honest results or closed, the escrow refunded); no referee fee is paid and no
//!   deposit returns (the expired referee forfeited it). Expired: the dispute is abandoned.

use sha2::{Digest, Sha256};

use deai_framework::{sdk, typed_event, Ctx, StateRead, TxError};
use deai_proto::attest::v1 as apb;
use deai_proto::compute::v1::{self as pb, AuditState, OrderState};

use crate::audits::{abandon, judge_and_close, pending_audit};
use crate::keeper::ComputeRead;

/// The requester name of this module's attestation jobs (the app dispatches on it).
pub const REQUESTER: &str = crate::MODULE_NAME;

/// Whether the attest module runs on this chain (its genesis stored its params).
fn attest_live(ctx: &Ctx) -> Result<bool, TxError> {
    Ok(ctx.get(&deai_attest::state_key::params())?.is_some())
}

/// The replay spec of an audit's segment (JSON of `ComputeReplaySpec`) from the order read
/// with its spec; `Err` with a reason when the spec is not UTF-8 text.
pub fn replay_spec(order: &pb::Order, audit: &pb::Audit) -> Result<Vec<u8>, String> {
    let job_spec = String::from_utf8(order.spec.clone())
        .map_err(|_| format!("the job spec of order {} is not UTF-8 text", order.id))?;
    let start = if audit.segment == 0 {
        String::new()
    } else {
        hex::encode(&audit.start_checkpoint_hash)
    };
    let spec = deai_attest::wire::ComputeReplaySpec {
        order_id: order.id,
        job_spec_sha256: hex::encode(Sha256::digest(job_spec.as_bytes())),
        job_spec,
        segment: audit.segment,
        start_checkpoint_sha256: start,
    };
    serde_json::to_vec(&spec).map_err(|e| format!("replay spec: {e}"))
}

/// Asks for the attestation of an order's last audit (just expired) and records the job on
/// it (the caller writes it). Returns whether a job was requested; never fails on a refusal.
pub(crate) fn request_replay(ctx: &mut Ctx, audit: &mut pb::Audit) -> Result<bool, TxError> {
    if !attest_live(ctx)? {
        return Ok(false);
    }
    let order = ctx
        .get_order_with_spec(audit.order_id)?
        .ok_or_else(|| sdk::internal(format!("audit {} of a missing order", audit.id)))?;
    let (job_id, error) = match replay_spec(&order, audit) {
        Err(reason) => (0, reason),
        Ok(spec) => {
            match deai_attest::request(ctx, apb::JobKind::ComputeReplay, REQUESTER, audit.id, spec)
            {
                Ok(id) => (id, String::new()),
                Err(e) if e.code == sdk::INTERNAL => return Err(e),
                Err(e) => (0, e.log),
            }
        }
    };
    audit.attest_job_id = job_id;
    ctx.emit(typed_event(&pb::EventAuditAttestation {
        audit_id: audit.id,
        order_id: audit.order_id,
        job_id,
        error,
    }));
    Ok(job_id != 0)
}

/// The outcome of an attestation job this module asked for (see the module docs). Errors
/// only on corrupt state.
pub fn on_attested(ctx: &mut Ctx, job: &apb::Job) -> Result<(), TxError> {
    if job.requester != REQUESTER || job.kind != apb::JobKind::ComputeReplay as i32 {
        return Ok(());
    }
    let Some(audit) = ctx.get_audit(job.subject_id)? else {
        return Ok(());
    };
    if job.id == 0 || audit.attest_job_id != job.id || audit.state != AuditState::Expired as i32 {
        return Ok(());
    }
    let Some(order) = ctx.get_order(audit.order_id)? else {
        return Ok(());
    };
    if order.state != OrderState::Disputed as i32 || pending_audit(ctx, order.id)?.is_some() {
        return Ok(());
    }
    match apb::JobState::try_from(job.state) {
        Ok(apb::JobState::Settled) if job.result_hash.len() == crate::RESULT_HASH_LEN => {
            judge_and_close(ctx, audit, Some(job.result_hash.clone()), None)
        }
        Ok(apb::JobState::Expired) => abandon(
            ctx,
            order.id,
            "audit abandoned: no referee answered and the attestation expired",
        ),
        _ => Ok(()),
    }
}
