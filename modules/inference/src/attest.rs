//! Attestation: the last-resort arbiter of a dispute on a model without a verifying key
//! (docs/inference.md, "Attestation").
//!
//! - **Request.** `MsgChallenge` of an optimistic output of such a model, or a redundant tie
//!   on one, asks deai-attest for a `JOB_KIND_INFERENCE_REPLAY` job (requester
//!   [`REQUESTER`], subject the request id, spec `deai_attest::wire::InferenceReplaySpec` of
//!   the model and the request's input); the job id is stored on the challenge
//!   (`attest_job_id`). A refused request (too many pending jobs, a spec too large) or a
//!   chain without the attest module (no attest params in state) requests nothing: the
//!   dispute goes on as before (re-execution or timeout), and `EventDisputeAttestation`
//!   says why. The challenge (or the tie) itself never fails for it.
//! - **Outcome** ([`on_attested`], called by the app's attest hooks for requester
//!   "inference"): only while the request is still disputed, within its `dispute_deadline`,
//!   with its challenge open and naming this job; anything else (a dispute already settled by
//!   a proof or `MsgAdjudicate`, timed out, another job) is ignored. Settled, optimistic: the
//!   attested hash is compared with `deai_attest::wire::inference_output_hash` of the posted
//!   output: equal, the server wins; different, the server loses (the challenger is the
//!   reporter). Settled, a tie: the answer with the attested hash is the truth (none: every
//!   answer was wrong), settled as a proof or re-execution would, without a reporter. Both
//!   with resolution `RESOLUTION_ATTESTATION`. Expired: nothing; the timeout rule applies at
//!   `dispute_deadline`.

use deai_framework::{typed_event, Ctx, StateRead, TxError};
use deai_proto::attest::v1 as apb;
use deai_proto::inference::v1::{self as pb, ChallengeState, RequestState, Resolution};

use crate::keeper::InferenceRead;
use crate::settle;

/// The requester name of this module's attestation jobs (the app dispatches on it).
pub const REQUESTER: &str = crate::MODULE_NAME;

/// Whether the attest module runs on this chain (its genesis stored its params).
pub(crate) fn attest_live(ctx: &Ctx) -> Result<bool, TxError> {
    Ok(ctx.get(&deai_attest::state_key::params())?.is_some())
}

/// The replay spec of a request's model and input (JSON of `InferenceReplaySpec`).
pub fn replay_spec(model: &pb::Model, r: &pb::Request) -> Result<Vec<u8>, TxError> {
    let spec = deai_attest::wire::InferenceReplaySpec {
        model_id: model.id,
        architecture: model.architecture.clone(),
        quantized_weights_sha256: hex::encode(&model.quantized_weights_sha256),
        input: r.input.clone(),
    };
    serde_json::to_vec(&spec)
        .map_err(|e| deai_framework::sdk::internal(format!("replay spec: {e}")))
}

/// Asks for the attestation of a fresh dispute (a challenge or a tie) on a model without a
/// key and records the job on `ch` (the caller writes it). Never fails on a refusal.
pub(crate) fn request_replay(
    ctx: &mut Ctx,
    model: &pb::Model,
    r: &pb::Request,
    ch: &mut pb::Challenge,
) -> Result<(), TxError> {
    if crate::zk::has_key(model) || !attest_live(ctx)? {
        return Ok(());
    }
    let spec = replay_spec(model, r)?;
    let (job_id, error) =
        match deai_attest::request(ctx, apb::JobKind::InferenceReplay, REQUESTER, r.id, spec) {
            Ok(id) => (id, String::new()),
            Err(e) if e.code == deai_framework::sdk::INTERNAL => return Err(e),
            Err(e) => (0, e.log),
        };
    ch.attest_job_id = job_id;
    ctx.emit(typed_event(&pb::EventDisputeAttestation {
        request_id: r.id,
        job_id,
        error,
    }));
    Ok(())
}

/// The outcome of an attestation job this module asked for (see the module docs). Errors
/// only on corrupt state.
pub fn on_attested(ctx: &mut Ctx, job: &apb::Job) -> Result<(), TxError> {
    if job.requester != REQUESTER || job.kind != apb::JobKind::InferenceReplay as i32 {
        return Ok(());
    }
    let Some(r) = ctx.get_request(job.subject_id)? else {
        return Ok(());
    };
    if r.state != RequestState::Disputed as i32 || ctx.block.height > r.dispute_deadline {
        return Ok(());
    }
    let Some(ch) = ctx.get_challenge(r.id)? else {
        return Ok(());
    };
    if ch.state != ChallengeState::Open as i32 || ch.attest_job_id != job.id {
        return Ok(());
    }
    if job.state != apb::JobState::Settled as i32 {
        // Expired: the dispute goes on; its timeout applies at dispute_deadline.
        return Ok(());
    }
    if r.mode == pb::VerificationMode::Redundant as i32 {
        // A tie: the truth is the answer whose hash was attested (empty: none was right).
        let mut truth = Vec::new();
        for server in &r.servers {
            let addr = crate::keeper::stored_addr(server)?;
            if let Some(sub) = ctx.get_submission(r.id, &addr)? {
                if deai_attest::wire::inference_output_hash(&sub.output)[..] == job.result_hash[..]
                {
                    truth = sub.output;
                    break;
                }
            }
        }
        return settle::resolve_tie(ctx, r, ch, truth, Resolution::Attestation, None, 0);
    }
    let posted = deai_attest::wire::inference_output_hash(&r.output);
    if job.result_hash[..] == posted[..] {
        settle::server_wins(ctx, r, ch, Resolution::Attestation, 0)
    } else {
        settle::server_loses(ctx, r, ch, Resolution::Attestation, 0)
    }
}
