//! Answers. Optimistic: the output with the server's bond, opening the challenge window.
//! Redundant: each drawn server's output, settled when all are in (or at the deadline).
//! zk: the assigned server submits the output and a Groth16 proof; the chain
//! verifies it natively against the statement it builds itself (the model's layout and
//! commitment, the request's input and binding, the claimed output), charging
//! `verify_gas_base + verify_gas_per_public_input × n` on top of the store's gas. A valid
//! proof pays the fee out at once (see `settle::pay_out`); an invalid one fails the tx, which
//! then changes nothing.

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{sdk, Address, Ctx, Message, TxError};
use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode};

use super::{coins_of, emit_all, response, sender_event};
use crate::error::InferenceError;
use crate::keeper::{stored_addr, InferenceRead, InferenceWrite};
use crate::params::Params;
use crate::{events, settle, zk, MODULE_NAME};

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
        let model = ctx
            .get_model(r.model_id)?
            .ok_or_else(|| sdk::internal(format!("request {} names missing model", r.id)))?;
        if r.mode == VerificationMode::Optimistic as i32 {
            return self.submit_optimistic(ctx, &params, r, &model);
        }
        if r.mode == VerificationMode::Redundant as i32 {
            return self.submit_redundant(ctx, r, &model);
        }
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
            None,
        ));
        r.output = self.output.clone();
        settle::pay_out(
            ctx,
            &params,
            &mut r,
            &model,
            std::slice::from_ref(&self.server),
        )?;
        ctx.emit(sender_event(&self.server));
        Ok(response(pb::MsgSubmitInferenceResponse { state: r.state }))
    }
}

impl SubmitInference {
    /// Optimistic: the output is posted with `optimistic_server_bond` escrowed from the
    /// server, and the challenge window opens until `height + challenge_window`.
    fn submit_optimistic(
        &self,
        ctx: &mut Ctx,
        params: &Params,
        mut r: pb::Request,
        model: &pb::Model,
    ) -> Result<Any, TxError> {
        zk::check_answer(model, &self.output)?;
        let server = self.server.to_bech32();
        let bond = params.optimistic_server_bond.clone();
        if bond.amount > 0 {
            let t = ctx.send_to_module(&self.server, MODULE_NAME, &coins_of(&bond)?)?;
            emit_all(ctx, t);
        }
        ctx.put_submission(&pb::Submission {
            request_id: r.id,
            server: server.clone(),
            output: self.output.clone(),
            proof: Vec::new(),
            height: ctx.block.height,
            bond: Some(bond.to_proto()),
        })?;
        r.output = self.output.clone();
        r.state = RequestState::ChallengeWindow as i32;
        r.challenge_deadline = ctx.block.height.saturating_add(params.challenge_window);
        ctx.put_request(&r)?;
        ctx.emit(events::inference_submitted(
            r.id,
            &server,
            &self.output,
            false,
            0,
            Some(&bond),
        ));
        ctx.emit(sender_event(&self.server));
        Ok(response(pb::MsgSubmitInferenceResponse { state: r.state }))
    }

    /// Redundant: each drawn server answers once, without proof or bond; when all k have
    /// answered the request is settled at once (see `settle::settle_redundant`).
    fn submit_redundant(
        &self,
        ctx: &mut Ctx,
        r: pb::Request,
        model: &pb::Model,
    ) -> Result<Any, TxError> {
        zk::check_answer(model, &self.output)?;
        let server = self.server.to_bech32();
        if ctx.get_submission(r.id, &self.server)?.is_some() {
            return Err(InferenceError::AlreadySubmitted {
                request: r.id,
                server,
            }
            .into());
        }
        ctx.put_submission(&pb::Submission {
            request_id: r.id,
            server: server.clone(),
            output: self.output.clone(),
            proof: Vec::new(),
            height: ctx.block.height,
            bond: None,
        })?;
        ctx.emit(events::inference_submitted(
            r.id,
            &server,
            &self.output,
            false,
            0,
            None,
        ));
        let mut all = true;
        for s in &r.servers {
            all &= ctx.get_submission(r.id, &stored_addr(s)?)?.is_some();
        }
        let id = r.id;
        if all {
            settle::settle_redundant(ctx, r)?;
        }
        let state = ctx.get_request(id)?.map(|r| r.state).unwrap_or_default();
        ctx.emit(sender_event(&self.server));
        Ok(response(pb::MsgSubmitInferenceResponse { state }))
    }
}
