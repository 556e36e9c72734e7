//! zk-mode answers: the assigned server submits the output and a Groth16 proof; the chain
//! verifies it natively against the statement it builds itself (the model's layout and
//! commitment, the request's input and binding, the claimed output), charging
//! `verify_gas_base + verify_gas_per_public_input × n` on top of the store's gas. A valid
//! proof pays the fee out at once (see [`pay_out`]); an invalid one fails the tx, which
//! then changes nothing.

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{sdk, Address, Coin, Ctx, Message, TxError};
use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode};

use super::{coins_of, emit_all, response, sender_event, stored_coin};
use crate::error::InferenceError;
use crate::keeper::{stored_addr, InferenceRead, InferenceWrite};
use crate::params::Params;
use crate::{events, zk, COMMUNITY_POOL, MODULE_NAME};

/// Largest output a submission carries (the widest layer).
const MAX_OUTPUT: usize = deai_zk::model::MAX_WIDTH;
/// A compressed Groth16 proof; anything longer is refused before decoding.
const MAX_PROOF_BYTES: usize = deai_zk::verifier::PROOF_BYTES;

#[derive(Debug)]
pub struct SubmitInference {
    pub server: Address,
    pub request_id: u64,
    pub output: Vec<i64>,
    pub proof: Vec<u8>,
}

impl TryFrom<pb::MsgSubmitInference> for SubmitInference {
    type Error = TxError;
    fn try_from(m: pb::MsgSubmitInference) -> Result<Self, TxError> {
        if m.output.is_empty() || m.output.len() > MAX_OUTPUT {
            return Err(InferenceError::InvalidOutput(format!(
                "1..={MAX_OUTPUT} values, got {}",
                m.output.len()
            ))
            .into());
        }
        if m.proof.len() > MAX_PROOF_BYTES {
            return Err(InferenceError::MalformedProof(format!(
                "{} bytes, a proof has {MAX_PROOF_BYTES}",
                m.proof.len()
            ))
            .into());
        }
        Ok(Self {
            server: Address::from_bech32(&m.server)?,
            request_id: m.request_id,
            output: m.output,
            proof: m.proof,
        })
    }
}

impl Message for SubmitInference {
    fn signers(&self) -> Vec<Address> {
        vec![self.server.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let mut r = ctx
            .get_request(self.request_id)?
            .ok_or(InferenceError::RequestNotFound(self.request_id))?;
        if r.state != RequestState::Pending as i32 {
            return Err(InferenceError::RequestNotPending(r.id).into());
        }
        let server = self.server.to_bech32();
        if !r.servers.contains(&server) {
            return Err(InferenceError::NotAssigned {
                request: r.id,
                server,
            }
            .into());
        }
        if ctx.block.height > r.deadline {
            return Err(InferenceError::DeadlinePassed {
                request: r.id,
                deadline: r.deadline,
            }
            .into());
        }
        if r.mode != VerificationMode::Zk as i32 {
            return Err(InferenceError::NotSupported("answers to non-zk requests".into()).into());
        }
        let model = ctx
            .get_model(r.model_id)?
            .ok_or_else(|| sdk::internal(format!("request {} names missing model", r.id)))?;
        let layout = zk::layout_of(&model)
            .map_err(|e| sdk::internal(format!("stored model {}: {e}", model.id)))?;
        zk::check_output(&layout, &self.output)?;
        let vk = ctx.verifying_key(model.id)?;
        let verify_gas = params.verify_gas(layout.n_public_inputs());
        ctx.gas().consume(verify_gas, "VerifyGroth16")?;
        let pv = zk::prepared(model.id, &layout, &vk)
            .map_err(|e| sdk::internal(format!("stored key of model {}: {e}", model.id)))?;
        let context = zk::request_context(&ctx.block.chain_id, r.id, &server);
        zk::verify(&pv, &layout, &context, &r.input, &self.output, &self.proof)?;

        ctx.put_submission(&pb::Submission {
            request_id: r.id,
            server: server.clone(),
            output: self.output.clone(),
            proof: self.proof.clone(),
            height: ctx.block.height,
            bond: None,
        })?;
        ctx.emit(events::inference_submitted(
            r.id,
            &server,
            &self.output,
            true,
            verify_gas,
        ));
        r.output = self.output.clone();
        pay_out(ctx, &params, &mut r, &model, &self.server)?;
        ctx.emit(sender_event(&self.server));
        Ok(response(pb::MsgSubmitInferenceResponse { state: r.state }))
    }
}

/// Pays a request's fee out: `take = floor(fee × take_rate)` to the community pool,
/// `royalty = floor(fee × royalty_rate)` to the model's owner, the rest to the server, so
/// `fee = to_server + take + royalty` exactly. Completes the request and credits the server.
pub(crate) fn pay_out(
    ctx: &mut Ctx,
    params: &Params,
    r: &mut pb::Request,
    model: &pb::Model,
    server: &Address,
) -> Result<(), TxError> {
    let fee = stored_coin(&r.fee, "request fee")?;
    let overflow = || sdk::internal("fee split overflows");
    let take = params
        .take_rate
        .mul_floor(fee.amount)
        .ok_or_else(overflow)?;
    let royalty = params
        .royalty_rate
        .mul_floor(fee.amount)
        .ok_or_else(overflow)?;
    let to_server = fee
        .amount
        .checked_sub(take)
        .and_then(|v| v.checked_sub(royalty))
        .ok_or_else(overflow)?;
    let owner = stored_addr(&model.owner)?;
    let coin = |amount| Coin::new(fee.denom.clone(), amount);
    if take > 0 {
        let t = ctx.send_module_to_module(MODULE_NAME, COMMUNITY_POOL, &coins_of(&coin(take)?)?)?;
        emit_all(ctx, t);
    }
    if royalty > 0 {
        let t = ctx.send_from_module(MODULE_NAME, &owner, &coins_of(&coin(royalty)?)?)?;
        emit_all(ctx, t);
    }
    if to_server > 0 {
        let t = ctx.send_from_module(MODULE_NAME, server, &coins_of(&coin(to_server)?)?)?;
        emit_all(ctx, t);
    }
    r.state = RequestState::Completed as i32;
    r.completed_height = ctx.block.height;
    ctx.put_request(r)?;
    if let Some(mut s) = ctx.get_server(r.model_id, server)? {
        s.pending_requests = s.pending_requests.saturating_sub(1);
        s.served = s.served.saturating_add(1);
        ctx.put_server(&s)?;
    }
    ctx.emit(events::request_completed(
        r,
        server,
        &coin(to_server)?,
        &coin(take)?,
        &owner,
        &coin(royalty)?,
    ));
    Ok(())
}
