//! MsgSend and MsgMultiSend: decoding, stateless validation and execution.

use cosmos_sdk_proto::cosmos::bank::v1beta1 as pb;
use cosmos_sdk_proto::Any;

use deai_framework::handler::response;
use deai_framework::{sdk, Address, Coins, Ctx, Event, Message, TxError};

use crate::error::BankError;
use crate::events;
use crate::keeper::{BankRead, BankWrite};
use crate::params::Params;
use crate::{state_key, MODULE_NAME};

/// Most outputs of one MsgMultiSend.
pub const MAX_MULTI_SEND_OUTPUTS: usize = 256;

fn check_send_enabled(ctx: &Ctx, coins: &Coins) -> Result<(), TxError> {
    for c in coins.iter() {
        if !ctx.is_send_enabled(&c.denom)? {
            return Err(BankError::SendDisabled {
                denom: c.denom.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// Plain transfers may not pay a module account; only the module functions move its coins.
fn check_not_blocked(ctx: &Ctx, to: &Address) -> Result<(), TxError> {
    if ctx.is_blocked_address(to)? {
        return Err(BankError::BlockedRecipient {
            address: to.clone(),
        }
        .into());
    }
    Ok(())
}

#[derive(Debug)]
pub struct Send {
    pub from: Address,
    pub to: Address,
    pub amount: Coins,
}

impl TryFrom<pb::MsgSend> for Send {
    type Error = TxError;
    fn try_from(m: pb::MsgSend) -> Result<Self, TxError> {
        let amount = Coins::from_proto(&m.amount)?;
        if amount.is_empty() {
            return Err(sdk::invalid_coins("send amount must be positive"));
        }
        Ok(Self {
            from: Address::from_bech32(&m.from_address)?,
            to: Address::from_bech32(&m.to_address)?,
            amount,
        })
    }
}

impl Message for Send {
    fn signers(&self) -> Vec<Address> {
        vec![self.from.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        check_send_enabled(ctx, &self.amount)?;
        check_not_blocked(ctx, &self.to)?;
        let events = ctx.send_coins(&self.from, &self.to, &self.amount)?;
        events.into_iter().for_each(|e| ctx.emit(e));
        ctx.emit(Event::new("message").attr("sender", &self.from));
        Ok(response(pb::MsgSendResponse {}))
    }
}

#[derive(Debug)]
pub struct MultiSend {
    pub input: (Address, Coins),
    pub outputs: Vec<(Address, Coins)>,
}

impl TryFrom<pb::MsgMultiSend> for MultiSend {
    type Error = TxError;
    fn try_from(m: pb::MsgMultiSend) -> Result<Self, TxError> {
        // SDK v0.47+ allows exactly one input.
        let input = match m.inputs.as_slice() {
            [] => return Err(BankError::NoInputs.into()),
            [i] => (
                Address::from_bech32(&i.address)?,
                Coins::from_proto(&i.coins)?,
            ),
            _ => return Err(BankError::MultipleSenders.into()),
        };
        if m.outputs.is_empty() {
            return Err(BankError::NoOutputs.into());
        }
        if m.outputs.len() > MAX_MULTI_SEND_OUTPUTS {
            return Err(sdk::invalid_request(format!(
                "too many outputs: {} > {MAX_MULTI_SEND_OUTPUTS}",
                m.outputs.len()
            )));
        }
        let outputs = m
            .outputs
            .iter()
            .map(|o| {
                Ok((
                    Address::from_bech32(&o.address)?,
                    Coins::from_proto(&o.coins)?,
                ))
            })
            .collect::<Result<Vec<_>, TxError>>()?;
        if input.1.is_empty() || outputs.iter().any(|(_, c)| c.is_empty()) {
            return Err(sdk::invalid_coins("every input and output must send coins"));
        }
        let mut total = Coins::empty();
        for (_, c) in &outputs {
            total = total.checked_add(c)?;
        }
        if total != input.1 {
            return Err(BankError::InputOutputMismatch.into());
        }
        Ok(Self { input, outputs })
    }
}

impl Message for MultiSend {
    fn signers(&self) -> Vec<Address> {
        vec![self.input.0.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let (from, coins) = &self.input;
        check_send_enabled(ctx, coins)?;
        for (to, _) in &self.outputs {
            check_not_blocked(ctx, to)?;
        }
        ctx.sub_coins(from, coins)?;
        ctx.emit(events::coin_spent(from, coins));
        ctx.emit(Event::new("message").attr("sender", from));
        for (to, c) in &self.outputs {
            ctx.add_coins(to, c)?;
            deai_auth::AuthWrite::ensure_account(ctx, to)?;
            ctx.emit(events::coin_received(to, c));
            ctx.emit(events::transfer(to, None, c));
        }
        Ok(response(pb::MsgMultiSendResponse {}))
    }
}

/// MsgUpdateParams: replaces every bank param; only the module's authority may sign it.
#[derive(Debug)]
pub struct UpdateParams {
    pub authority: Address,
    pub params: Params,
}

impl TryFrom<pb::MsgUpdateParams> for UpdateParams {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateParams) -> Result<Self, TxError> {
        let p = m
            .params
            .ok_or_else(|| sdk::invalid_request("params must be supplied (all of them)"))?;
        #[allow(deprecated)] // reading it is how the deprecation is enforced
        let legacy_switches = !p.send_enabled.is_empty();
        if legacy_switches {
            // SDK v0.47+: per-denom switches are not params; use MsgSetSendEnabled.
            return Err(sdk::invalid_request(
                "params.send_enabled is deprecated and must be empty",
            ));
        }
        Ok(Self {
            authority: Address::from_bech32(&m.authority)?,
            params: Params {
                send_enabled: Vec::new(),
                default_send_enabled: p.default_send_enabled,
            },
        })
    }
}

impl Message for UpdateParams {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        deai_framework::authority::check(ctx, &state_key::authority(), &self.authority)?;
        ctx.set_bank_params(&self.params)?;
        ctx.emit(Event::new("message").attr("sender", &self.authority));
        Ok(response(pb::MsgUpdateParamsResponse {}))
    }
}
