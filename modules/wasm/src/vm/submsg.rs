//! Sub-messages and replies, as wasmd's `DispatchSubmessages`: each sub-message runs on a
//! child context (kept on success, dropped on failure), on its own gas meter when it names a
//! gas limit; then, as `reply_on` asks, the contract's `reply` entry point gets the result.
//!
//! - A failure with `reply_on` never / success fails the whole call; with error / always the
//!   sub-message's writes are dropped and the reply gets `codespace: C, code: N` (wasmd's
//!   redacted error: deterministic, no log text).
//! - Running out of the tx's gas, and any internal error (a storage fault), fail the whole
//!   call whatever `reply_on` says: they are not the sub-message's to catch. Out of gas on a
//!   sub-message's own limit is an ordinary error (sdk 11): the parent pays the whole limit,
//!   as wasmd. A limit at or above the gas left is ignored (wasmd's rule), so a sub-message
//!   never gets more gas than its tx.
//! - A reply runs at one level deeper than its caller, so a chain of replies that each send
//!   another sub-message is bounded by `MAX_CALL_DEPTH` (wasmd bounds it by gas only; here
//!   the bound also bounds the node's stack).

use cosmwasm_std::{
    ContractResult, Empty, Event as VmEvent, MsgResponse, Reply, ReplyOn, SubMsg, SubMsgResponse,
    SubMsgResult,
};
use cosmwasm_vm::call_reply;
use deai_framework::{sdk, Address, Event, GasMeter, TxError};

use super::backend::Host;
use super::exec::{env, TxInfo};
use super::WasmVm;
use crate::keeper::WasmRead;
use crate::{ERR_EXECUTE_FAILED, MODULE_NAME};

fn is_out_of_gas(e: &TxError) -> bool {
    e.codespace == sdk::CODESPACE && e.code == sdk::OUT_OF_GAS
}

/// A sub-message's events as the reply shows them: without the SDK's `message` events.
fn reply_events(events: &[Event]) -> Vec<VmEvent> {
    events
        .iter()
        .filter(|e| e.kind != "message")
        .map(|e| {
            // `add_attribute`, not `Attribute::new`: the latter asserts against the reserved
            // `_contract_address` key in debug builds, which the host itself sets.
            e.attributes
                .iter()
                .fold(VmEvent::new(e.kind.clone()), |ev, (k, v)| {
                    ev.add_attribute(k.clone(), v.clone())
                })
        })
        .collect()
}

impl WasmVm {
    /// Runs one sub-message of `contract` (at `depth`, the contract's own) and its reply.
    /// Returns the reply's data, which replaces the response's data when present.
    pub(crate) fn sub_message(
        &self,
        h: &mut dyn Host,
        tx: TxInfo,
        contract: &Address,
        sub: &SubMsg<Empty>,
        depth: u32,
    ) -> Result<Option<Vec<u8>>, TxError> {
        // As wasmd: a limit at or above what is left is no limit (the shared meter bounds
        // the call), so a sub-message can never get more gas than its tx has.
        let remaining = h.meter().limit().saturating_sub(h.meter().consumed());
        let limited = sub.gas_limit.filter(|&l| l < remaining).map(GasMeter::new);
        let before = h.meter().consumed();
        let (result, events) = h.in_child(limited.as_ref(), &mut |c| {
            self.dispatch(c, tx, contract, &sub.msg, depth + 1)
        });
        let gas_used = match &limited {
            Some(meter) => {
                let spent = meter.consumed().min(meter.limit());
                h.meter().consume(spent, "From limited Sub-Message")?;
                spent
            }
            None => h.meter().consumed().saturating_sub(before),
        };
        let result = match result {
            // The tx's own gas gone (not a sub-message's limit, which may have been hit deeper
            // down and reported as an error) or a node fault: not the contract's to catch.
            Err(e)
                if e.is_internal()
                    || (is_out_of_gas(&e) && h.meter().consumed() >= h.meter().limit()) =>
            {
                return Err(e)
            }
            r => r,
        };
        let result = match (result, &sub.reply_on) {
            (Ok(_), ReplyOn::Never | ReplyOn::Error) => return Ok(None),
            (Err(e), ReplyOn::Never | ReplyOn::Success) => return Err(e),
            (Ok(out), _) => {
                #[allow(deprecated)] // `data` is kept for contracts that still read it
                let response = SubMsgResponse {
                    events: reply_events(&events),
                    data: Some(out.value.clone().into()),
                    msg_responses: vec![MsgResponse {
                        type_url: out.type_url,
                        value: out.value.into(),
                    }],
                };
                SubMsgResult::Ok(response)
            }
            (Err(e), _) => {
                SubMsgResult::Err(format!("codespace: {}, code: {}", e.codespace, e.code))
            }
        };
        let reply = Reply {
            id: sub.id,
            payload: sub.payload.clone(),
            gas_used,
            result,
        };
        self.reply(h, tx, contract, &reply, depth + 1)
    }

    /// Calls the contract's `reply` entry point and handles its response.
    fn reply(
        &self,
        h: &mut dyn Host,
        tx: TxInfo,
        contract: &Address,
        reply: &Reply,
        depth: u32,
    ) -> Result<Option<Vec<u8>>, TxError> {
        let info = h
            .get_contract_info(contract)?
            .ok_or_else(|| crate::WasmError::NoSuchContract(contract.to_bech32()))?;
        let e = env(h, tx, contract);
        let r = self.run_call(h, info.code_id, contract, 0, depth, true, |i| {
            call_reply::<_, _, _, Empty>(i, &e, reply)
        })?;
        match r {
            ContractResult::Ok(resp) => self.handle_response_data(h, tx, contract, resp, depth),
            ContractResult::Err(msg) => Err(TxError::new(
                MODULE_NAME,
                ERR_EXECUTE_FAILED,
                format!("{msg}: reply wasm contract failed"),
            )),
        }
    }
}
