//! Settlement: every way a request's escrow leaves the module account. The fee is paid out
//! ([`pay_out`]) or refunded ([`refund`]); bonds go back to their owner or to the winner of
//! a dispute; slashes ([`slash`]) go through `deai_bank::route_slash` (the victim first, then
//! the reporter, the rest to the community pool). Each function leaves the module account
//! holding exactly Σ stakes + Σ fees of unsettled requests + Σ bonds of unsettled requests
//! and open challenges.
//!
//! Optimistic requests: an unchallenged output is paid at the end of its window
//! ([`close_window`]); a challenge ends with [`server_wins`] (its output stood: both bonds
//! and the fee to the server) or [`server_loses`] (both bonds to the challenger, the fee
//! refunded, the server slashed by `fault_slash_fraction`, requester then challenger first).
//! Redundant requests: [`settle_redundant`] once all k answered or at the deadline; a tie
//! opens a dispute settled by [`resolve_tie`] or timed out in [`time_out_dispute`].

use deai_bank::{route_slash, BankWrite, Claim};
use deai_framework::dec::Dec;
use deai_framework::{sdk, Address, Coin, Ctx, TxError};
use deai_proto::inference::v1::{
    self as pb, ChallengeState, RequestState, Resolution, VerificationMode,
};

use crate::keeper::{stored_addr, InferenceRead, InferenceWrite};
use crate::msgs::{coins_of, emit_all, stored_coin};
use crate::params::Params;
use crate::{events, COMMUNITY_POOL, MODULE_NAME};

/// Sends `c` from the module account to `to` (nothing when zero).
pub(crate) fn send_out(ctx: &mut Ctx, to: &Address, c: &Coin) -> Result<(), TxError> {
    if c.amount > 0 {
        let t = ctx.send_from_module(MODULE_NAME, to, &coins_of(c)?)?;
        emit_all(ctx, t);
    }
    Ok(())
}

/// Every assigned server still registered stops counting the request as pending.
fn release(ctx: &mut Ctx, r: &pb::Request) -> Result<(), TxError> {
    for server in &r.servers {
        let addr = stored_addr(server)?;
        if let Some(mut s) = ctx.get_server(r.model_id, &addr)? {
            s.pending_requests = s.pending_requests.saturating_sub(1);
            ctx.put_server(&s)?;
        }
    }
    Ok(())
}

/// Pays a request's fee out: `take = floor(fee × take_rate)` to the community pool,
/// `royalty = floor(fee × royalty_rate)` to the model's owner, the rest to the servers in
/// `payees` in equal shares (the first also gets the division's remainder), so
/// `fee = Σ shares + take + royalty` exactly. Completes the request (with `r.output`).
pub(crate) fn pay_out(
    ctx: &mut Ctx,
    params: &Params,
    r: &mut pb::Request,
    model: &pb::Model,
    payees: &[Address],
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
    let to_servers = fee
        .amount
        .checked_sub(take)
        .and_then(|v| v.checked_sub(royalty))
        .ok_or_else(overflow)?;
    let n = payees.len() as u128;
    if n == 0 {
        return Err(sdk::internal("pay_out without a payee"));
    }
    let share = to_servers / n;
    let owner = stored_addr(&model.owner)?;
    let coin = |amount| Coin::new(fee.denom.clone(), amount);
    if take > 0 {
        let t = ctx.send_module_to_module(MODULE_NAME, COMMUNITY_POOL, &coins_of(&coin(take)?)?)?;
        emit_all(ctx, t);
    }
    send_out(ctx, &owner, &coin(royalty)?)?;
    for (i, p) in payees.iter().enumerate() {
        let amount = if i == 0 {
            to_servers - share * (n - 1)
        } else {
            share
        };
        send_out(ctx, p, &coin(amount)?)?;
    }
    r.state = RequestState::Completed as i32;
    r.completed_height = ctx.block.height;
    ctx.put_request(r)?;
    release(ctx, r)?;
    for p in payees {
        if let Some(mut s) = ctx.get_server(r.model_id, p)? {
            s.served = s.served.saturating_add(1);
            ctx.put_server(&s)?;
        }
    }
    ctx.emit(events::request_completed(
        r,
        payees,
        &coin(to_servers)?,
        &coin(take)?,
        &owner,
        &coin(royalty)?,
    ));
    Ok(())
}

/// Refunds the whole fee to the requester and ends the request in `state` (expired or
/// refuted). Returns the fee.
pub(crate) fn refund(
    ctx: &mut Ctx,
    r: &mut pb::Request,
    state: RequestState,
) -> Result<Coin, TxError> {
    let requester = stored_addr(&r.requester)?;
    let fee = stored_coin(&r.fee, "request fee")?;
    send_out(ctx, &requester, &fee)?;
    r.state = state as i32;
    r.completed_height = ctx.block.height;
    ctx.put_request(r)?;
    release(ctx, r)?;
    Ok(fee)
}

/// A claim on a slash: who, and up to how much (0 when its denom is not the stake's).
pub(crate) fn claim(to: &Address, cap: &Coin, stake_denom: &str) -> Claim {
    Claim {
        to: to.clone(),
        cap: if cap.denom == stake_denom {
            cap.amount
        } else {
            0
        },
    }
}

/// Slashes `fraction` of a server's stake, routed to `victim` then `reporter` (each up to its
/// cap), the rest to the community pool. A server already removed has nothing to slash.
pub(crate) fn slash(
    ctx: &mut Ctx,
    r: &pb::Request,
    server: &Address,
    fraction: Dec,
    reason: &str,
    victim: Option<(&Address, &Coin)>,
    reporter: Option<(&Address, &Coin)>,
) -> Result<(), TxError> {
    let Some(mut s) = ctx.get_server(r.model_id, server)? else {
        return Ok(());
    };
    let stake = stored_coin(&s.stake, "server stake")?;
    let amount = fraction
        .mul_floor(stake.amount)
        .ok_or_else(|| sdk::internal("slash overflows"))?;
    s.stake = Some(Coin::new(stake.denom.clone(), stake.amount - amount)?.to_proto());
    if reason == "missed_deadline" {
        s.missed = s.missed.saturating_add(1);
    } else {
        s.faults = s.faults.saturating_add(1);
    }
    ctx.put_server(&s)?;
    let mut claims = Vec::new();
    if let Some((to, cap)) = victim {
        claims.push(claim(to, cap, &stake.denom));
    }
    if let Some((to, cap)) = reporter {
        claims.push(claim(to, cap, &stake.denom));
    }
    let slashed = Coin::new(stake.denom.clone(), amount)?;
    let routed = route_slash(ctx, MODULE_NAME, &slashed, &claims, COMMUNITY_POOL)?;
    emit_all(ctx, routed.events.clone());
    let name = |o: Option<(&Address, &Coin)>| o.map(|(a, _)| a.to_bech32()).unwrap_or_default();
    ctx.emit(events::server_slashed(
        &s,
        r.id,
        reason,
        &slashed,
        &name(victim),
        &name(reporter),
        &routed,
    )?);
    Ok(())
}

fn model_of(ctx: &Ctx, r: &pb::Request) -> Result<pb::Model, TxError> {
    ctx.get_model(r.model_id)?
        .ok_or_else(|| sdk::internal(format!("request {} names missing model", r.id)))
}

fn only_server(r: &pb::Request) -> Result<Address, TxError> {
    stored_addr(
        r.servers
            .first()
            .ok_or_else(|| sdk::internal(format!("request {} has no server", r.id)))?,
    )
}

/// The bond an optimistic server posted with its output.
fn server_bond(ctx: &Ctx, r: &pb::Request, server: &Address) -> Result<Coin, TxError> {
    let sub = ctx
        .get_submission(r.id, server)?
        .ok_or_else(|| sdk::internal(format!("optimistic request {} without output", r.id)))?;
    stored_coin(&sub.bond, "server bond")
}

/// An optimistic output whose window closed unchallenged: the bond back, the fee paid.
pub(crate) fn close_window(ctx: &mut Ctx, mut r: pb::Request) -> Result<(), TxError> {
    let params = ctx.inference_params()?;
    let server = only_server(&r)?;
    let bond = server_bond(ctx, &r, &server)?;
    send_out(ctx, &server, &bond)?;
    let model = model_of(ctx, &r)?;
    pay_out(ctx, &params, &mut r, &model, &[server])
}

/// The challenged output stood: the server gets its bond back, the challenger's bond and
/// the fee.
pub(crate) fn server_wins(
    ctx: &mut Ctx,
    mut r: pb::Request,
    mut ch: pb::Challenge,
    resolution: Resolution,
    adjudication_gas: u64,
) -> Result<(), TxError> {
    let params = ctx.inference_params()?;
    let server = only_server(&r)?;
    let bond = server_bond(ctx, &r, &server)?;
    let ch_bond = stored_coin(&ch.bond, "challenge bond")?;
    send_out(ctx, &server, &bond)?;
    send_out(ctx, &server, &ch_bond)?;
    let model = model_of(ctx, &r)?;
    pay_out(ctx, &params, &mut r, &model, std::slice::from_ref(&server))?;
    ch.state = ChallengeState::Rejected as i32;
    ch.resolution = resolution as i32;
    ctx.put_challenge(&ch)?;
    ctx.emit(events::challenge_resolved(
        &ch,
        &server.to_bech32(),
        Some(&ch_bond),
        adjudication_gas,
    ));
    Ok(())
}

/// The challenged output was wrong: both bonds to the challenger, the server slashed by
/// `fault_slash_fraction` (the requester up to the fee first, then the challenger up to the
/// challenge bond, the rest to the community pool), the fee refunded.
pub(crate) fn server_loses(
    ctx: &mut Ctx,
    mut r: pb::Request,
    mut ch: pb::Challenge,
    resolution: Resolution,
    adjudication_gas: u64,
) -> Result<(), TxError> {
    let params = ctx.inference_params()?;
    let server = only_server(&r)?;
    let challenger = stored_addr(&ch.challenger)?;
    let requester = stored_addr(&r.requester)?;
    let bond = server_bond(ctx, &r, &server)?;
    let ch_bond = stored_coin(&ch.bond, "challenge bond")?;
    let fee = stored_coin(&r.fee, "request fee")?;
    send_out(ctx, &challenger, &bond)?;
    send_out(ctx, &challenger, &ch_bond)?;
    slash(
        ctx,
        &r,
        &server,
        params.fault_slash_fraction,
        "wrong_output",
        Some((&requester, &fee)),
        Some((&challenger, &params.challenge_bond)),
    )?;
    let refunded = refund(ctx, &mut r, RequestState::Refuted)?;
    ch.state = ChallengeState::Upheld as i32;
    ch.resolution = resolution as i32;
    ctx.put_challenge(&ch)?;
    ctx.emit(events::challenge_resolved(
        &ch,
        &ch.challenger,
        Some(&bond),
        adjudication_gas,
    ));
    ctx.emit(events::request_refuted(
        &r,
        &refunded,
        vec![server.to_bech32()],
    ));
    Ok(())
}

/// The submissions of a redundant request, in draw order (`None`: not answered).
/// One assigned server and its answer, if any.
type Answer = (Address, Option<Vec<i64>>);

fn answers(ctx: &Ctx, r: &pb::Request) -> Result<Vec<Answer>, TxError> {
    r.servers
        .iter()
        .map(|s| {
            let a = stored_addr(s)?;
            let out = ctx.get_submission(r.id, &a)?.map(|x| x.output);
            Ok((a, out))
        })
        .collect()
}

/// A redundant request with every answer in, or at its deadline with at least one: servers
/// that did not answer are slashed by `miss_slash_fraction` (to the requester first); an
/// output given by more than k/2 servers wins: the fee is shared among them and every server
/// that answered otherwise is slashed by `fault_slash_fraction` ("minority", to the community
/// pool). Without such a majority the request becomes DISPUTED until
/// `height + response_window`, with a challenge record that has no challenger and no bond.
pub(crate) fn settle_redundant(ctx: &mut Ctx, mut r: pb::Request) -> Result<(), TxError> {
    let params = ctx.inference_params()?;
    let requester = stored_addr(&r.requester)?;
    let fee = stored_coin(&r.fee, "request fee")?;
    let answers = answers(ctx, &r)?;
    for (a, out) in &answers {
        if out.is_none() {
            slash(
                ctx,
                &r,
                a,
                params.miss_slash_fraction,
                "missed_deadline",
                Some((&requester, &fee)),
                None,
            )?;
        }
    }
    let k = r.servers.len();
    let winner = answers.iter().filter_map(|(_, o)| o.as_ref()).find(|o| {
        answers
            .iter()
            .filter(|(_, x)| x.as_ref() == Some(*o))
            .count()
            * 2
            > k
    });
    if let Some(win) = winner.cloned() {
        let mut payees = Vec::new();
        for (a, out) in &answers {
            match out {
                Some(o) if *o == win => payees.push(a.clone()),
                Some(_) => slash(
                    ctx,
                    &r,
                    a,
                    params.fault_slash_fraction,
                    "minority",
                    None,
                    None,
                )?,
                None => {}
            }
        }
        r.output = win;
        let model = model_of(ctx, &r)?;
        return pay_out(ctx, &params, &mut r, &model, &payees);
    }
    let h = ctx.block.height;
    r.state = RequestState::Disputed as i32;
    r.dispute_deadline = h.saturating_add(params.response_window);
    ctx.put_request(&r)?;
    let mut ch = pb::Challenge {
        request_id: r.id,
        challenger: String::new(),
        bond: None,
        height: h,
        response_deadline: r.dispute_deadline,
        state: ChallengeState::Open as i32,
        resolution: Resolution::Unspecified as i32,
        recomputed_output: Vec::new(),
        attest_job_id: 0,
    };
    // A model without a key: the validators are asked to re-run it (crate::attest).
    let model = model_of(ctx, &r)?;
    crate::attest::request_replay(ctx, &model, &r, &mut ch)?;
    ctx.put_challenge(&ch)?;
    let submitted = answers
        .iter()
        .filter(|(_, o)| o.is_some())
        .map(|(a, _)| a.to_bech32())
        .collect();
    ctx.emit(events::redundant_tie(&r, submitted));
    Ok(())
}

/// A redundant tie settled by the true output (`truth`, proven by one server, recomputed by
/// the chain, or the answer whose hash the validators attested; `reporter` is who settled
/// it, none for an attestation): the servers that answered `truth` share the fee; those that
/// answered otherwise are slashed by `fault_slash_fraction` (the reporter up to the
/// challenge bond first; the requester up to the fee before it when nobody was right, and
/// then the fee is refunded and the request refuted). An attested hash that no answer has
/// is passed as an empty `truth`, which no (shape-checked, non-empty) answer equals.
pub(crate) fn resolve_tie(
    ctx: &mut Ctx,
    mut r: pb::Request,
    mut ch: pb::Challenge,
    truth: Vec<i64>,
    resolution: Resolution,
    reporter: Option<&Address>,
    adjudication_gas: u64,
) -> Result<(), TxError> {
    let params = ctx.inference_params()?;
    let requester = stored_addr(&r.requester)?;
    let fee = stored_coin(&r.fee, "request fee")?;
    let answers = answers(ctx, &r)?;
    let right: Vec<Address> = answers
        .iter()
        .filter(|(_, o)| o.as_ref() == Some(&truth))
        .map(|(a, _)| a.clone())
        .collect();
    let mut wrong = Vec::new();
    for (a, out) in &answers {
        if matches!(out, Some(o) if *o != truth) {
            let victim = right.is_empty().then_some((&requester, &fee));
            slash(
                ctx,
                &r,
                a,
                params.fault_slash_fraction,
                "wrong_output",
                victim,
                reporter.map(|a| (a, &params.challenge_bond)),
            )?;
            wrong.push(a.to_bech32());
        }
    }
    ch.resolution = resolution as i32;
    if resolution == Resolution::Reexecution {
        ch.recomputed_output = truth.clone();
    }
    if right.is_empty() {
        let refunded = refund(ctx, &mut r, RequestState::Refuted)?;
        ch.state = ChallengeState::Upheld as i32;
        ctx.put_challenge(&ch)?;
        ctx.emit(events::challenge_resolved(
            &ch,
            &reporter.map(Address::to_bech32).unwrap_or_default(),
            None,
            adjudication_gas,
        ));
        ctx.emit(events::request_refuted(&r, &refunded, wrong));
    } else {
        r.output = truth;
        let model = model_of(ctx, &r)?;
        pay_out(ctx, &params, &mut r, &model, &right)?;
        ch.state = ChallengeState::Rejected as i32;
        ctx.put_challenge(&ch)?;
        ctx.emit(events::challenge_resolved(
            &ch,
            &right[0].to_bech32(),
            None,
            adjudication_gas,
        ));
    }
    Ok(())
}

/// A dispute whose `dispute_deadline` came without a settlement. Optimistic: a model with a
/// verifying key required a proof, so the server loses; without a key nobody re-executed,
/// so the output stands. Redundant tie: nobody settled it: the fee is refunded, the request
/// expires, nobody is slashed for the outputs.
pub(crate) fn time_out_dispute(ctx: &mut Ctx, mut r: pb::Request) -> Result<(), TxError> {
    let mut ch = ctx
        .get_challenge(r.id)?
        .ok_or_else(|| sdk::internal(format!("disputed request {} without challenge", r.id)))?;
    if r.mode == VerificationMode::Redundant as i32 {
        let fee = refund(ctx, &mut r, RequestState::Expired)?;
        ch.state = ChallengeState::Upheld as i32;
        ch.resolution = Resolution::Timeout as i32;
        ctx.put_challenge(&ch)?;
        ctx.emit(events::challenge_resolved(&ch, "", None, 0));
        ctx.emit(events::request_expired(&r, &fee, Vec::new()));
        return Ok(());
    }
    let model = model_of(ctx, &r)?;
    if crate::zk::has_key(&model) {
        server_loses(ctx, r, ch, Resolution::Timeout, 0)
    } else {
        server_wins(ctx, r, ch, Resolution::Timeout, 0)
    }
}
