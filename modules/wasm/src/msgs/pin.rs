//! MsgPinCodes / MsgUnpinCodes (the authority only): which codes the vm keeps compiled in
//! memory (cheaper to load: `INSTANCE_COST_DISCOUNT`). Without the vm this records the flag
//! and charges wasmd's pin costs; the vm step also pins or unpins the code in its cache
//! (failure: wasm code 31) and pins every flagged code at start.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use cosmos_sdk_proto::Any;
use deai_framework::handler::{response, sender_event};
use deai_framework::{authority, sdk, Address, Ctx, Message, TxError};

use super::field_addr;
use crate::error::WasmError;
use crate::keeper::{WasmRead, WasmWrite};
use crate::{events, gas, state_key, MODULE_NAME};

/// wasmd's `maxCodeIDCount`: most code ids one message may name.
pub const MAX_CODE_ID_COUNT: usize = 50;

/// wasmd's `validateCodeIDs`: 1..=50 ids, no duplicates.
fn check_code_ids(ids: &[u64]) -> Result<(), TxError> {
    if ids.is_empty() {
        return Err(sdk::invalid_request("empty code ids"));
    }
    if ids.len() > MAX_CODE_ID_COUNT {
        return Err(sdk::invalid_request(format!(
            "total number of code ids is greater than {MAX_CODE_ID_COUNT}"
        )));
    }
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(sdk::invalid_request("duplicate code ids"));
    }
    Ok(())
}

/// Pins (or unpins) each code in order, as wasmd's `pinCode`/`unpinCode`.
fn set_pins(ctx: &mut Ctx, authority: &Address, ids: &[u64], pin: bool) -> Result<(), TxError> {
    authority::check(ctx, &state_key::authority(), authority)?;
    let (cost, what, kind) = if pin {
        (
            gas::PIN_CODE_COST,
            "Loading CosmWasm module: pin code",
            "pin_code",
        )
    } else {
        (
            gas::UNPIN_CODE_COST,
            "Loading CosmWasm module: unpin code",
            "unpin_code",
        )
    };
    for &id in ids {
        if ctx.get_code_info(id)?.is_none() {
            return Err(WasmError::NoSuchCode(id).into());
        }
        ctx.gas().consume(cost, what)?;
        ctx.set_pinned(id, pin)?;
        ctx.emit(events::pin(kind, id));
    }
    ctx.emit(sender_event(authority));
    Ok(())
}

#[derive(Debug)]
pub struct PinCodes {
    pub authority: Address,
    pub code_ids: Vec<u64>,
}

impl TryFrom<pb::MsgPinCodes> for PinCodes {
    type Error = TxError;
    fn try_from(m: pb::MsgPinCodes) -> Result<Self, TxError> {
        let authority = field_addr(&m.authority, "authority")?;
        check_code_ids(&m.code_ids)?;
        Ok(Self {
            authority,
            code_ids: m.code_ids,
        })
    }
}

impl Message for PinCodes {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        set_pins(ctx, &self.authority, &self.code_ids, true)?;
        Ok(response(pb::MsgPinCodesResponse {}))
    }
}

#[derive(Debug)]
pub struct UnpinCodes {
    pub authority: Address,
    pub code_ids: Vec<u64>,
}

impl TryFrom<pb::MsgUnpinCodes> for UnpinCodes {
    type Error = TxError;
    fn try_from(m: pb::MsgUnpinCodes) -> Result<Self, TxError> {
        let authority = field_addr(&m.authority, "authority")?;
        check_code_ids(&m.code_ids)?;
        Ok(Self {
            authority,
            code_ids: m.code_ids,
        })
    }
}

impl Message for UnpinCodes {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        set_pins(ctx, &self.authority, &self.code_ids, false)?;
        Ok(response(pb::MsgUnpinCodesResponse {}))
    }
}
