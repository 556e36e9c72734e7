//! Disputes, settled on chain without a vote.
//!
//! - `MsgChallenge{request, bond}`: anyone, while an optimistic output's challenge window is
//!   open (up to and including `challenge_deadline`), escrowing exactly `challenge_bond`.
//!   The request becomes DISPUTED until `dispute_deadline = height + response_window`.
//! - `MsgRespondChallenge{request, proof}`: the challenged server, up to `dispute_deadline`,
//!   for a model with a verifying key: a Groth16 proof of its posted output for the
//!   request's input and binding (the zk-mode verification and gas schedule). Valid: the
//!   server wins; invalid: the tx fails and nothing changes. In a redundant tie any server
//!   that answered may prove its own output, which settles the tie.
//! - `MsgAdjudicate{request, quantized_weights}`: anyone, up to `dispute_deadline`. The
//!   chain refuses a model of more than `max_adjudication_macs` multiply-accumulates (from
//!   its architecture) and weights over `max_adjudication_bytes`, charges
//!   `adjudication_gas_per_mac × MACs`, then checks sha256(weights) against the model's
//!   `quantized_weights_sha256` (`ERR_WEIGHTS_MISMATCH`), decodes them with deai-zk's
//!   canonical decoder, requires the registered architecture and input range, runs deai-zk's
//!   integer reference inference on the request's input and compares.

use cosmos_sdk_proto::Any;
use sha2::{Digest, Sha256};

use deai_bank::BankWrite;
use deai_framework::{sdk, Address, Coin, Ctx, Message, TxError};
use deai_proto::inference::v1::{
    self as pb, ChallengeState, RequestState, Resolution, VerificationMode,
};
use deai_zk::{DecodeLimits, QuantizedModel};

use super::{coins_of, emit_all, required_coin, response, sender_event};
use crate::error::InferenceError;
use crate::keeper::{InferenceRead, InferenceWrite};
use crate::{events, settle, zk, MODULE_NAME};

/// A compressed Groth16 proof; anything longer is refused before decoding.
const MAX_PROOF_BYTES: usize = deai_zk::verifier::PROOF_BYTES;

fn request_of(ctx: &Ctx, id: u64) -> Result<pb::Request, TxError> {
    Ok(ctx
        .get_request(id)?
        .ok_or(InferenceError::RequestNotFound(id))?)
}

fn model_of(ctx: &Ctx, r: &pb::Request) -> Result<pb::Model, TxError> {
    ctx.get_model(r.model_id)?
        .ok_or_else(|| sdk::internal(format!("request {} names missing model", r.id)))
}

/// The open dispute of a request, still within its deadline.
fn open_dispute(ctx: &Ctx, r: &pb::Request) -> Result<pb::Challenge, TxError> {
    if r.state != RequestState::Disputed as i32 {
        return Err(InferenceError::NotDisputed(r.id).into());
    }
    if ctx.block.height > r.dispute_deadline {
        return Err(InferenceError::DisputeClosed {
            request: r.id,
            deadline: r.dispute_deadline,
        }
        .into());
    }
    let ch = ctx
        .get_challenge(r.id)?
        .ok_or_else(|| sdk::internal(format!("disputed request {} without challenge", r.id)))?;
    if ch.state != ChallengeState::Open as i32 {
        return Err(sdk::internal(format!(
            "disputed request {} with a closed challenge",
            r.id
        )));
    }
    Ok(ch)
}

#[derive(Debug)]
pub struct Challenge {
    pub challenger: Address,
    pub request_id: u64,
    pub bond: Coin,
}

impl TryFrom<pb::MsgChallenge> for Challenge {
    type Error = TxError;
    fn try_from(m: pb::MsgChallenge) -> Result<Self, TxError> {
        Ok(Self {
            challenger: Address::from_bech32(&m.challenger)?,
            request_id: m.request_id,
            bond: required_coin(m.bond, "bond")?,
        })
    }
}

impl Message for Challenge {
    fn signers(&self) -> Vec<Address> {
        vec![self.challenger.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let mut r = request_of(ctx, self.request_id)?;
        if r.state != RequestState::ChallengeWindow as i32 {
            return Err(InferenceError::NotChallengeable(r.id).into());
        }
        let h = ctx.block.height;
        if h > r.challenge_deadline {
            return Err(InferenceError::ChallengeWindowClosed {
                request: r.id,
                deadline: r.challenge_deadline,
            }
            .into());
        }
        if self.bond != params.challenge_bond {
            return Err(InferenceError::BadBond {
                want: params.challenge_bond.to_string(),
                got: self.bond.to_string(),
            }
            .into());
        }
        if self.bond.amount > 0 {
            let t = ctx.send_to_module(&self.challenger, MODULE_NAME, &coins_of(&self.bond)?)?;
            emit_all(ctx, t);
        }
        r.state = RequestState::Disputed as i32;
        r.dispute_deadline = h.saturating_add(params.response_window);
        ctx.put_request(&r)?;
        let mut ch = pb::Challenge {
            request_id: r.id,
            challenger: self.challenger.to_bech32(),
            bond: Some(self.bond.to_proto()),
            height: h,
            response_deadline: r.dispute_deadline,
            state: ChallengeState::Open as i32,
            resolution: Resolution::Unspecified as i32,
            recomputed_output: Vec::new(),
            attest_job_id: 0,
        };
        // A model without a key: the validators are asked to re-run it (crate::attest).
        crate::attest::request_replay(ctx, &model_of(ctx, &r)?, &r, &mut ch)?;
        ctx.put_challenge(&ch)?;
        ctx.emit(events::challenge_opened(&ch));
        ctx.emit(sender_event(&self.challenger));
        Ok(response(pb::MsgChallengeResponse {
            response_deadline: r.dispute_deadline,
        }))
    }
}

#[derive(Debug)]
pub struct RespondChallenge {
    pub server: Address,
    pub request_id: u64,
    pub proof: Vec<u8>,
}

impl TryFrom<pb::MsgRespondChallenge> for RespondChallenge {
    type Error = TxError;
    fn try_from(m: pb::MsgRespondChallenge) -> Result<Self, TxError> {
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
            proof: m.proof,
        })
    }
}

impl Message for RespondChallenge {
    fn signers(&self) -> Vec<Address> {
        vec![self.server.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let r = request_of(ctx, self.request_id)?;
        let ch = open_dispute(ctx, &r)?;
        let server = self.server.to_bech32();
        let sub = match ctx.get_submission(r.id, &self.server)? {
            Some(s) if r.servers.contains(&server) => s,
            _ => {
                return Err(InferenceError::NotAssigned {
                    request: r.id,
                    server,
                }
                .into())
            }
        };
        let model = model_of(ctx, &r)?;
        if !zk::has_key(&model) {
            return Err(InferenceError::ModelHasNoKey(model.id).into());
        }
        let layout = zk::layout_of(&model)
            .map_err(|e| sdk::internal(format!("stored model {}: {e}", model.id)))?;
        let vk = ctx.verifying_key(model.id)?;
        let verify_gas = params.verify_gas(layout.n_public_inputs());
        ctx.gas().consume(verify_gas, "VerifyGroth16")?;
        let pv = zk::prepared(model.id, &layout, &vk)
            .map_err(|e| sdk::internal(format!("stored key of model {}: {e}", model.id)))?;
        let context = zk::request_context(&ctx.block.chain_id, r.id, &server);
        zk::verify(&pv, &layout, &context, &r.input, &sub.output, &self.proof)?;
        ctx.put_submission(&pb::Submission {
            proof: self.proof.clone(),
            ..sub.clone()
        })?;
        ctx.emit(events::inference_submitted(
            r.id,
            &server,
            &sub.output,
            true,
            verify_gas,
            None,
        ));
        if r.mode == VerificationMode::Redundant as i32 {
            settle::resolve_tie(
                ctx,
                r,
                ch,
                sub.output,
                Resolution::Proof,
                Some(&self.server),
                0,
            )?;
        } else {
            settle::server_wins(ctx, r, ch, Resolution::Proof, 0)?;
        }
        ctx.emit(sender_event(&self.server));
        Ok(response(pb::MsgRespondChallengeResponse {}))
    }
}

#[derive(Debug)]
pub struct Adjudicate {
    pub sender: Address,
    pub request_id: u64,
    pub quantized_weights: Vec<u8>,
}

impl TryFrom<pb::MsgAdjudicate> for Adjudicate {
    type Error = TxError;
    fn try_from(m: pb::MsgAdjudicate) -> Result<Self, TxError> {
        Ok(Self {
            sender: Address::from_bech32(&m.sender)?,
            request_id: m.request_id,
            quantized_weights: m.quantized_weights,
        })
    }
}

/// Multiply-accumulates of one inference of an architecture (`[64, 32, 10]`: 64·32 + 32·10).
pub fn architecture_macs(arch: &[u32]) -> u64 {
    arch.windows(2).fold(0u64, |acc, w| {
        acc.saturating_add(u64::from(w[0]).saturating_mul(u64::from(w[1])))
    })
}

impl Message for Adjudicate {
    fn signers(&self) -> Vec<Address> {
        vec![self.sender.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let r = request_of(ctx, self.request_id)?;
        let ch = open_dispute(ctx, &r)?;
        let model = model_of(ctx, &r)?;
        // Bounds first, from the record: nothing is hashed, decoded or run above them.
        let macs = architecture_macs(&model.architecture);
        if macs > params.max_adjudication_macs {
            return Err(InferenceError::AdjudicationTooLarge(format!(
                "the model takes {macs} multiply-accumulates, at most {} are re-executed",
                params.max_adjudication_macs
            ))
            .into());
        }
        let n_bytes = self.quantized_weights.len() as u64;
        if n_bytes > params.max_adjudication_bytes {
            return Err(InferenceError::AdjudicationTooLarge(format!(
                "{n_bytes} bytes of weights, at most {}",
                params.max_adjudication_bytes
            ))
            .into());
        }
        let gas = params.adjudication_gas(macs);
        ctx.gas().consume(gas, "Adjudicate")?;
        let digest: [u8; 32] = Sha256::digest(&self.quantized_weights).into();
        if digest[..] != model.quantized_weights_sha256[..] {
            return Err(InferenceError::WeightsMismatch(format!(
                "sha256 {}, registered {}",
                hex::encode(digest),
                hex::encode(&model.quantized_weights_sha256)
            ))
            .into());
        }
        let limits = DecodeLimits {
            max_bytes: params.max_adjudication_bytes as usize,
            max_macs: params.max_adjudication_macs,
        };
        let qm = QuantizedModel::from_canonical_bytes(&self.quantized_weights, limits)
            .map_err(|e| InferenceError::InvalidWeights(e.to_string()))?;
        let arch: Vec<u32> = std::iter::once(qm.n_inputs())
            .chain(qm.layers.iter().map(|l| l.n_out))
            .map(|n| n as u32)
            .collect();
        if arch != model.architecture
            || qm.input_min != model.input_min
            || qm.input_max != model.input_max
        {
            return Err(InferenceError::InvalidWeights(format!(
                "architecture {arch:?} and input range [{}, {}], the model registered {:?} and [{}, {}]",
                qm.input_min, qm.input_max, model.architecture, model.input_min, model.input_max
            ))
            .into());
        }
        let logits = qm
            .infer(&r.input)
            .map_err(|e| InferenceError::InvalidWeights(e.to_string()))?;
        let truth = zk::answer_of(&model, logits);
        let resolution = Resolution::Reexecution;
        let mut ch = ch;
        ch.recomputed_output = truth.clone();
        if r.mode == VerificationMode::Redundant as i32 {
            settle::resolve_tie(
                ctx,
                r,
                ch,
                truth.clone(),
                resolution,
                Some(&self.sender),
                gas,
            )?;
        } else if truth == r.output {
            settle::server_wins(ctx, r, ch, resolution, gas)?;
        } else {
            settle::server_loses(ctx, r, ch, resolution, gas)?;
        }
        ctx.emit(sender_event(&self.sender));
        Ok(response(pb::MsgAdjudicateResponse {
            resolution: resolution as i32,
            recomputed_output: truth,
        }))
    }
}
