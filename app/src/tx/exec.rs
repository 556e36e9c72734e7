//! Runs one tx against a parent state and reports its result and writes.

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData;
use prost::Message as _;

use deai_framework::context::BlockInfo;
use deai_framework::state::WriteSet;
use deai_framework::{Ctx, Delta, Event, GasMeter, Router, StateRead, TxError};

use super::ante::{self, AnteEnv};
use super::decode::{decode_tx, DecodedTx};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecMode {
    /// CheckTx: ante only, minimum gas price enforced.
    Check,
    /// Re-checking mempool txs after a block.
    ReCheck,
    /// Simulate: no signatures required, unlimited gas, runs the messages, writes nothing.
    Simulate,
    /// FinalizeBlock: ante and messages.
    Finalize,
}

/// The result of one tx; `writes` is what the block state must apply (empty on ante failure,
/// the ante's writes only on message failure).
#[derive(Debug, Default)]
pub struct TxOutcome {
    pub code: u32,
    pub codespace: &'static str,
    pub log: String,
    pub data: Vec<u8>,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
    pub writes: WriteSet,
}

impl TxOutcome {
    pub fn failed(
        err: TxError,
        gas_wanted: u64,
        gas_used: u64,
        events: Vec<Event>,
        writes: WriteSet,
    ) -> Self {
        Self {
            code: err.code,
            codespace: err.codespace,
            log: err.log,
            data: Vec::new(),
            gas_wanted,
            gas_used,
            events,
            writes,
        }
    }

    pub fn is_ok(&self) -> bool {
        self.code == 0
    }
}

/// Decodes and runs a tx.
pub fn run_tx(
    router: &Router,
    env: &AnteEnv,
    parent: &dyn StateRead,
    bytes: &[u8],
    mode: ExecMode,
    block: &BlockInfo,
) -> TxOutcome {
    match decode_tx(router, bytes, mode == ExecMode::Simulate) {
        Ok(tx) => run_decoded(env, parent, &tx, mode, block),
        Err(e) => TxOutcome::failed(e, 0, 0, Vec::new(), WriteSet::new()),
    }
}

pub fn run_decoded(
    env: &AnteEnv,
    parent: &dyn StateRead,
    tx: &DecodedTx,
    mode: ExecMode,
    block: &BlockInfo,
) -> TxOutcome {
    let gas = if mode == ExecMode::Simulate {
        GasMeter::new(env.simulate_gas_limit)
    } else {
        GasMeter::new(tx.gas_limit)
    };
    let wanted = tx.gas_limit;

    let mut ante_ctx = Ctx::new(parent, &gas, block);
    if let Err(e) = ante::run(&mut ante_ctx, tx, mode, env) {
        return TxOutcome::failed(e, wanted, gas.consumed(), Vec::new(), WriteSet::new());
    }
    let (ante_writes, ante_events) = ante_ctx.finish();
    if matches!(mode, ExecMode::Check | ExecMode::ReCheck) {
        return TxOutcome {
            gas_wanted: wanted,
            gas_used: gas.consumed(),
            events: ante_events,
            writes: ante_writes,
            ..Default::default()
        };
    }

    let after_ante = Delta::with_writes(parent, ante_writes);
    let mut ctx = Ctx::new(&after_ante, &gas, block);
    if let Some(router) = env.router {
        ctx = ctx.with_router(router);
    }
    let sender = tx.fee_payer().to_string();
    let mut responses = Vec::with_capacity(tx.msgs.len());
    for (type_url, msg) in &tx.msgs {
        ctx.emit(
            Event::new("message")
                .attr("action", type_url)
                .attr("sender", &sender)
                .attr("module", msg.module()),
        );
        match msg.execute(&mut ctx) {
            Ok(resp) => responses.push(resp),
            Err(e) => {
                let used = gas.consumed();
                drop(ctx);
                return TxOutcome::failed(e, wanted, used, ante_events, after_ante.into_writes());
            }
        }
    }
    let (msg_writes, msg_events) = ctx.finish();
    let mut writes = after_ante.into_writes();
    writes.extend(msg_writes);
    let mut events = ante_events;
    events.extend(msg_events);
    TxOutcome {
        code: 0,
        codespace: "",
        log: String::new(),
        data: TxMsgData {
            msg_responses: responses,
            ..Default::default()
        }
        .encode_to_vec(),
        gas_wanted: wanted,
        gas_used: gas.consumed(),
        events,
        writes,
    }
}
