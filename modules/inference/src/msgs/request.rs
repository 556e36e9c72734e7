//! Requests: the fee (at least the model's price) is escrowed in the module account and the
//! server(s) are drawn (see `assign`): one in zk and optimistic mode (zk needs a model with
//! a verifying key), k distinct ones (2..=max_redundancy) in redundant mode.

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{Address, Coin, Ctx, Message, TxError};
use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode, ZkMode};

use super::{coins_of, emit_all, required_coin, response, sender_event, stored_coin};
use crate::error::InferenceError;
use crate::keeper::{InferenceRead, InferenceWrite};
use crate::{assign, events, MODULE_NAME, REQUEST_SEQ};

#[derive(Debug)]
pub struct RequestInference {
    pub requester: Address,
    pub model_id: u64,
    pub input: Vec<i64>,
    pub fee: Coin,
    pub mode: VerificationMode,
    pub k: u32,
    pub deadline_blocks: u64,
}

impl TryFrom<pb::MsgRequestInference> for RequestInference {
    type Error = TxError;
    fn try_from(m: pb::MsgRequestInference) -> Result<Self, TxError> {
        let fee = required_coin(m.fee, "fee")?;
        if fee.amount == 0 {
            return Err(InferenceError::ZeroAmount("fee").into());
        }
        let mode = match VerificationMode::try_from(m.mode) {
            Ok(VerificationMode::Unspecified) | Err(_) => {
                return Err(InferenceError::InvalidMode(format!(
                    "mode must be zk, optimistic or redundant, got {}",
                    m.mode
                ))
                .into())
            }
            Ok(mode) => mode,
        };
        if mode != VerificationMode::Redundant && m.k > 1 {
            return Err(InferenceError::BadRedundancy(format!(
                "k must be 0 or 1 outside redundant mode, got {}",
                m.k
            ))
            .into());
        }
        if m.input.len() > deai_zk::model::MAX_WIDTH {
            return Err(InferenceError::InvalidInput("too many values".into()).into());
        }
        Ok(Self {
            requester: Address::from_bech32(&m.requester)?,
            model_id: m.model_id,
            input: m.input,
            fee,
            mode,
            k: m.k.max(1),
            deadline_blocks: m.deadline_blocks,
        })
    }
}

impl Message for RequestInference {
    fn signers(&self) -> Vec<Address> {
        vec![self.requester.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        if self.mode == VerificationMode::Redundant
            && !(2..=params.max_redundancy).contains(&self.k)
        {
            return Err(InferenceError::BadRedundancy(format!(
                "k must be 2..={} in redundant mode, got {}",
                params.max_redundancy, self.k
            ))
            .into());
        }
        let model = ctx
            .get_model(self.model_id)?
            .ok_or(InferenceError::ModelNotFound(self.model_id))?;
        if !model.enabled {
            return Err(InferenceError::ModelDisabled(model.id).into());
        }
        if self.mode == VerificationMode::Zk && model.zk_mode == ZkMode::None as i32 {
            return Err(InferenceError::ModelHasNoKey(model.id).into());
        }
        let n_in = model.architecture.first().copied().unwrap_or(0) as usize;
        if self.input.len() != n_in {
            return Err(InferenceError::InvalidInput(format!(
                "{} values, the model takes {n_in}",
                self.input.len()
            ))
            .into());
        }
        if let Some((i, v)) = self
            .input
            .iter()
            .enumerate()
            .find(|(_, v)| **v < model.input_min || **v > model.input_max)
        {
            return Err(InferenceError::InvalidInput(format!(
                "input[{i}] = {v} outside [{}, {}]",
                model.input_min, model.input_max
            ))
            .into());
        }
        let price = stored_coin(&model.price, "model price")?;
        if self.fee.denom != price.denom {
            return Err(InferenceError::DenomMismatch(format!(
                "fee must be in {}, got {}",
                price.denom, self.fee.denom
            ))
            .into());
        }
        if self.fee.amount < price.amount {
            return Err(InferenceError::FeeBelowPrice {
                fee: self.fee.to_string(),
                price: price.to_string(),
            }
            .into());
        }
        let (min, max) = (params.min_deadline_blocks, params.max_deadline_blocks);
        if self.deadline_blocks < min || self.deadline_blocks > max {
            return Err(InferenceError::BadDeadline {
                got: self.deadline_blocks,
                min,
                max,
            }
            .into());
        }
        let id = ctx.next_id(REQUEST_SEQ)?;
        let drawn = assign::draw_servers(ctx, model.id, id, self.k, &params.server_min_stake)?;
        if drawn.is_empty() {
            return Err(InferenceError::NoServer(model.id).into());
        }
        let transfers = ctx.send_to_module(&self.requester, MODULE_NAME, &coins_of(&self.fee)?)?;
        emit_all(ctx, transfers);
        for mut s in drawn.clone() {
            s.pending_requests = s.pending_requests.saturating_add(1);
            ctx.put_server(&s)?;
        }
        let r = pb::Request {
            id,
            requester: self.requester.to_bech32(),
            model_id: model.id,
            input: self.input.clone(),
            fee: Some(self.fee.to_proto()),
            mode: self.mode as i32,
            k: self.k,
            deadline: ctx.block.height.saturating_add(self.deadline_blocks),
            servers: drawn.iter().map(|s| s.server.clone()).collect(),
            state: RequestState::Pending as i32,
            created_height: ctx.block.height,
            output: Vec::new(),
            completed_height: 0,
            challenge_deadline: 0,
            dispute_deadline: 0,
        };
        ctx.put_request(&r)?;
        ctx.emit(events::inference_requested(&r));
        ctx.emit(sender_event(&self.requester));
        Ok(response(pb::MsgRequestInferenceResponse {
            request_id: id,
            servers: r.servers.clone(),
            deadline: r.deadline,
        }))
    }
}
