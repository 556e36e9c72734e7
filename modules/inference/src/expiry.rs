//! `end_block`: acts on the requests whose due height has come (expires a pending request,
//! or settles a redundant one that has answers; pays an optimistic output whose challenge
//! window closed; times out a dispute; see `settle`) and ends the unbondings whose time has
//! come. It reads only two height-ordered indexes (`deadline/<height><request>`,
//! written for pending requests only, and `unbonding/<height>…`, for unbonding servers
//! only), at most [`MAX_EXPIRIES_PER_BLOCK`] and [`MAX_UNBONDINGS_PER_BLOCK`] entries a
//! block, oldest first; the rest wait for the next blocks. Deadlines run first, so a server
//! whose unbonding ends in the same block is still slashable for what it missed.
//!
//! An expired request refunds its whole fee to the requester, and each assigned server that
//! did not answer loses `miss_slash_fraction` of its stake, routed by `deai_bank::route_slash`
//! to the requester first (up to the fee's amount, when the fee is in the stake denom) and
//! the rest to the community pool.

use deai_bank::BankWrite;
use deai_framework::{sdk, Address, Ctx, StateRead, TxError};
use deai_proto::inference::v1::{self as pb, RequestState, ServerState, VerificationMode};

use crate::keeper::{stored_addr, InferenceRead, InferenceWrite};
use crate::msgs::{coins_of, emit_all, stored_coin};
use crate::{events, settle, state_key, MODULE_NAME};

/// Most requests `end_block` expires in one block.
pub const MAX_EXPIRIES_PER_BLOCK: usize = 64;
/// Most unbondings `end_block` ends in one block.
pub const MAX_UNBONDINGS_PER_BLOCK: usize = 64;

pub(crate) fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    let now = ctx.block.height;
    let due = ctx.scan(
        &state_key::deadlines(),
        Some(&state_key::deadlines_through(now)),
        false,
        MAX_EXPIRIES_PER_BLOCK,
    )?;
    for (k, _) in due {
        let id = state_key::trailing_id(&k)
            .ok_or_else(|| sdk::internal("corrupt request deadline index"))?;
        let r = ctx
            .get_request(id)?
            .ok_or_else(|| sdk::internal(format!("deadline index names missing request {id}")))?;
        act_on(ctx, r)?;
    }
    let done = ctx.scan(
        &state_key::unbondings(),
        Some(&state_key::unbondings_through(now)),
        false,
        MAX_UNBONDINGS_PER_BLOCK,
    )?;
    for (_, v) in done {
        let (model_bytes, addr_bytes) = v
            .split_at_checked(8)
            .ok_or_else(|| sdk::internal("corrupt unbonding index"))?;
        let model_id = u64::from_be_bytes(
            model_bytes
                .try_into()
                .map_err(|_| sdk::internal("corrupt unbonding index"))?,
        );
        let addr = Address::from_bytes(addr_bytes)
            .map_err(|_| sdk::internal("corrupt unbonding index"))?;
        unbond(ctx, model_id, &addr)?;
    }
    Ok(())
}

/// Dispatches an entry of the due index by the request's state.
fn act_on(ctx: &mut Ctx, r: pb::Request) -> Result<(), TxError> {
    match RequestState::try_from(r.state) {
        Ok(RequestState::Pending) => {
            let redundant = r.mode == VerificationMode::Redundant as i32;
            let mut any = false;
            for s in &r.servers {
                any |= ctx.get_submission(r.id, &stored_addr(s)?)?.is_some();
            }
            if redundant && any {
                settle::settle_redundant(ctx, r)
            } else {
                expire(ctx, r)
            }
        }
        Ok(RequestState::ChallengeWindow) => settle::close_window(ctx, r),
        Ok(RequestState::Disputed) => settle::time_out_dispute(ctx, r),
        _ => Err(sdk::internal(format!(
            "deadline index names request {} in state {}",
            r.id, r.state
        ))),
    }
}

/// A request nobody answered: the fee refunded, every assigned server slashed by
/// `miss_slash_fraction` (to the requester first, up to the fee).
fn expire(ctx: &mut Ctx, mut r: pb::Request) -> Result<(), TxError> {
    let params = ctx.inference_params()?;
    let requester = stored_addr(&r.requester)?;
    let fee = stored_coin(&r.fee, "request fee")?;
    let mut missed = Vec::new();
    for server in r.servers.clone() {
        let addr = stored_addr(&server)?;
        if ctx.get_submission(r.id, &addr)?.is_some() {
            continue;
        }
        missed.push(server);
        settle::slash(
            ctx,
            &r,
            &addr,
            params.miss_slash_fraction,
            "missed_deadline",
            Some((&requester, &fee)),
            None,
        )?;
    }
    settle::refund(ctx, &mut r, RequestState::Expired)?;
    ctx.emit(events::request_expired(&r, &fee, missed));
    Ok(())
}

fn unbond(ctx: &mut Ctx, model_id: u64, addr: &Address) -> Result<(), TxError> {
    let s = ctx
        .get_server(model_id, addr)?
        .ok_or_else(|| sdk::internal("unbonding index names a missing server"))?;
    if s.state != ServerState::Unbonding as i32 {
        return Err(sdk::internal("unbonding index names an active server"));
    }
    // A server with an unsettled request (an optimistic answer in its window or disputed,
    // a redundant tie) stays slashable: its unbonding is pushed back by response_window.
    if s.pending_requests > 0 {
        let params = ctx.inference_params()?;
        let mut s = s;
        s.unbonding_end = ctx.block.height.saturating_add(params.response_window);
        ctx.put_server(&s)?;
        ctx.emit(events::server_unbonding(&s));
        return Ok(());
    }
    let stake = stored_coin(&s.stake, "server stake")?;
    if stake.amount > 0 {
        let t = ctx.send_from_module(MODULE_NAME, addr, &coins_of(&stake)?)?;
        emit_all(ctx, t);
    }
    ctx.remove_server(model_id, addr)?;
    let mut model = ctx
        .get_model(model_id)?
        .ok_or_else(|| sdk::internal(format!("server of missing model {model_id}")))?;
    model.server_count = model.server_count.saturating_sub(1);
    ctx.put_model(&model)?;
    ctx.emit(events::server_unbonded(&s, &stake));
    Ok(())
}
