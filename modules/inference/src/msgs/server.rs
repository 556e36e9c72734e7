//! Servers: registration for one model (stake escrowed in the module account, slashable)
//! and unregistration, which starts an unbonding; `end_block` returns the stake when it ends
//! (see `expiry`). An unbonding server takes no new assignments.

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{Address, Coin, Ctx, Message, TxError};
use deai_proto::inference::v1::{self as pb, ServerState};

use super::{coins_of, emit_all, required_coin, response, sender_event};
use crate::error::InferenceError;
use crate::keeper::{InferenceRead, InferenceWrite};
use crate::{events, MODULE_NAME};

#[derive(Debug)]
pub struct RegisterServer {
    pub server: Address,
    pub model_id: u64,
    pub stake: Coin,
}

impl TryFrom<pb::MsgRegisterServer> for RegisterServer {
    type Error = TxError;
    fn try_from(m: pb::MsgRegisterServer) -> Result<Self, TxError> {
        let stake = required_coin(m.stake, "stake")?;
        if stake.amount == 0 {
            return Err(InferenceError::ZeroAmount("stake").into());
        }
        Ok(Self {
            server: Address::from_bech32(&m.server)?,
            model_id: m.model_id,
            stake,
        })
    }
}

impl Message for RegisterServer {
    fn signers(&self) -> Vec<Address> {
        vec![self.server.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let mut model = ctx
            .get_model(self.model_id)?
            .ok_or(InferenceError::ModelNotFound(self.model_id))?;
        if !model.enabled {
            return Err(InferenceError::ModelDisabled(model.id).into());
        }
        if ctx.get_server(self.model_id, &self.server)?.is_some() {
            return Err(InferenceError::ServerExists {
                model: self.model_id,
                server: self.server.to_bech32(),
            }
            .into());
        }
        if model.server_count >= params.max_servers_per_model {
            return Err(InferenceError::TooManyServers {
                model: model.id,
                max: params.max_servers_per_model,
            }
            .into());
        }
        let min = &params.server_min_stake;
        if self.stake.denom != min.denom {
            return Err(InferenceError::DenomMismatch(format!(
                "stake must be in {}, got {}",
                min.denom, self.stake.denom
            ))
            .into());
        }
        if self.stake.amount < min.amount {
            return Err(InferenceError::StakeTooLow {
                got: self.stake.to_string(),
                min: min.to_string(),
            }
            .into());
        }
        let transfers = ctx.send_to_module(&self.server, MODULE_NAME, &coins_of(&self.stake)?)?;
        emit_all(ctx, transfers);
        let s = pb::Server {
            server: self.server.to_bech32(),
            model_id: self.model_id,
            stake: Some(self.stake.to_proto()),
            state: ServerState::Active as i32,
            unbonding_end: 0,
            pending_requests: 0,
            served: 0,
            missed: 0,
            registered_height: ctx.block.height,
            faults: 0,
        };
        ctx.put_server(&s)?;
        model.server_count += 1;
        ctx.put_model(&model)?;
        ctx.emit(events::server_registered(&s));
        ctx.emit(sender_event(&self.server));
        Ok(response(pb::MsgRegisterServerResponse {}))
    }
}

#[derive(Debug)]
pub struct UnregisterServer {
    pub server: Address,
    pub model_id: u64,
}

impl TryFrom<pb::MsgUnregisterServer> for UnregisterServer {
    type Error = TxError;
    fn try_from(m: pb::MsgUnregisterServer) -> Result<Self, TxError> {
        Ok(Self {
            server: Address::from_bech32(&m.server)?,
            model_id: m.model_id,
        })
    }
}

impl Message for UnregisterServer {
    fn signers(&self) -> Vec<Address> {
        vec![self.server.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let mut s = ctx
            .get_server(self.model_id, &self.server)?
            .ok_or_else(|| InferenceError::ServerNotFound {
                model: self.model_id,
                server: self.server.to_bech32(),
            })?;
        if s.state != ServerState::Active as i32 {
            return Err(InferenceError::ServerUnbonding {
                model: self.model_id,
                server: self.server.to_bech32(),
            }
            .into());
        }
        s.state = ServerState::Unbonding as i32;
        s.unbonding_end = ctx.block.height.saturating_add(params.unbonding_blocks);
        ctx.put_server(&s)?;
        ctx.emit(events::server_unbonding(&s));
        ctx.emit(sender_event(&self.server));
        Ok(response(pb::MsgUnregisterServerResponse {
            unbonding_end: s.unbonding_end,
        }))
    }
}
