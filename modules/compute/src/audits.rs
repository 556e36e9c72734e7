//! Audits: refereed delegation of one segment (see `deai_framework::audit`).
//!
//! - **Opening.** Results of a `redundant` or `spot_check` order that disagree open a dispute
//!   audit of the segment before their first divergent checkpoint. Results that agree on a
//!   `spot_check` order are audited with probability `spot_check_rate`, on a segment drawn
//!   at random; both draws come from the previous block's hash (`deai_framework::draw`). The
//!   order becomes `disputed`: its leases stay active (their providers stay busy), nothing
//!   accrues, and its escrow is held.
//! - **Assignment.** A referee is drawn from the verifier index (providers with
//!   `verifier=true`, not jailed): the scan starts at a key drawn from the previous block's
//!   hash and the audit id and takes the first of at most [`MAX_VERIFIER_SCAN`] candidates
//!   (wrapping around) that is not a lessee of the order, was not assigned an earlier audit of
//!   it, and has `audit_deposit` of stake. The deposit moves from its stake into the audit.
//!   Without a candidate the audit waits unassigned and is retried at its deadline.
//! - **Answer** (MsgSubmitAudit): the referee's hash of checkpoint `segment + 1`. Its deposit
//!   returns to its stake and it is paid `verifier_fee` out of the order's escrow (the
//!   requester buys the verification it asked for; less if the escrow holds less). Results
//!   whose checkpoint `segment + 1` differs are faulty: each such lease ends `slashed` (its
//!   unwithdrawn earnings go back to the escrow), its provider loses `slash_fraction` of its
//!   stake, all of it paid to the requester (the victim), and is jailed. The order completes
//!   on the honest results, or closes if none is left; either way the escrow is refunded.
//! - **Expiry.** `end_block` reads the audit-deadline index (at most
//!   [`MAX_AUDIT_DEADLINES_PER_BLOCK`] a block). A referee that did not answer forfeits its
//!   deposit to the community pool and a new audit of the same segment is drawn; after
//!   [`MAX_AUDITS_PER_ORDER`] audits the validators are asked to re-run the segment
//!   (`crate::attest`): the attested hash judges the results as a referee's answer would.
//!   If that cannot be requested, or the attestation expires, the dispute is abandoned: every
//!   active lease ends `closed` (paid for its work), and the order closes with its escrow
//!   refunded.

use deai_bank::{route_slash, BankWrite, Claim};
use deai_framework::audit::{first_divergence, judge, segment_for};
use deai_framework::keys::prefix_end;
use deai_framework::{draw, sdk, Address, Coin, Ctx, StateRead, TxError};
use deai_proto::compute::v1::{self as pb, AuditReason, AuditState, LeaseState, OrderState};

use crate::events;
use crate::keeper::{stored_addr, ComputeRead, ComputeWrite, MAX_AUDITS_PER_ORDER};
use crate::msgs::{close_order_refunding, coins_of, emit_all};
use crate::results::complete;
use crate::settle::end_lease;
use crate::{state_key, MODULE_NAME};
use deai_framework::dec::Dec;

/// Most candidates one referee draw looks at.
pub const MAX_VERIFIER_SCAN: usize = 64;
/// Most audit deadlines `end_block` handles in one block; the rest wait for the next blocks.
pub const MAX_AUDIT_DEADLINES_PER_BLOCK: usize = 64;
/// The counter of audit ids.
pub const AUDIT_SEQ: &str = "audit";

const DRAW_REFEREE: &str = "deai/compute/referee";
const DRAW_SPOT_CHECK: &str = "deai/compute/spot-check";
const DRAW_SPOT_SEGMENT: &str = "deai/compute/spot-check-segment";

fn coin(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> Result<Coin, TxError> {
    Coin::from_proto(
        c.as_ref()
            .ok_or_else(|| sdk::internal(format!("compute record without {what}")))?,
    )
}

/// Opens the dispute audit of results that disagree.
pub(crate) fn open_dispute(
    ctx: &mut Ctx,
    order: pb::Order,
    results: &[pb::Result],
) -> Result<(), TxError> {
    let claims: Vec<&[Vec<u8>]> = results
        .iter()
        .map(|r| r.checkpoint_hashes.as_slice())
        .collect();
    // Results are compared by their chain heads, so lists that differ there differ somewhere.
    let index = first_divergence(&claims).unwrap_or(0);
    open(
        ctx,
        order,
        results,
        segment_for(index),
        AuditReason::Dispute,
    )
}

/// Draws whether results that agree on a `spot_check` order are audited, and which segment;
/// opens the audit if so. Returns whether it did.
pub(crate) fn maybe_spot_check(
    ctx: &mut Ctx,
    order: &pb::Order,
    results: &[pb::Result],
    rate: Dec,
) -> Result<bool, TxError> {
    let checkpoints = results.first().map_or(0, |r| r.checkpoint_hashes.len());
    let prev = ctx.block.prev_block_hash;
    if checkpoints < 2 || !draw::hits(DRAW_SPOT_CHECK, &prev, order.id, rate) {
        return Ok(false);
    }
    let segments = u64::try_from(checkpoints - 1).unwrap_or(u64::MAX);
    let segment = u32::try_from(draw::below(DRAW_SPOT_SEGMENT, &prev, order.id, segments))
        .map_err(|_| sdk::internal("segment out of range"))?;
    open(ctx, order.clone(), results, segment, AuditReason::SpotCheck)?;
    Ok(true)
}

fn open(
    ctx: &mut Ctx,
    mut order: pb::Order,
    results: &[pb::Result],
    segment: u32,
    reason: AuditReason,
) -> Result<(), TxError> {
    order.state = OrderState::Disputed as i32;
    ctx.put_order(&order)?;
    ctx.emit(events::order_disputed(order.id, segment));
    let start = results
        .first()
        .and_then(|r| r.checkpoint_hashes.get(segment as usize))
        .cloned()
        .unwrap_or_default();
    let mut audit = pb::Audit {
        id: ctx.next_id(AUDIT_SEQ)?,
        order_id: order.id,
        segment,
        reason: reason as i32,
        state: AuditState::Pending as i32,
        lease_ids: results.iter().map(|r| r.lease_id).collect(),
        start_checkpoint_hash: start,
        ..Default::default()
    };
    assign(ctx, &mut audit)?;
    ctx.put_audit(&audit)
}

/// Draws a referee for `audit` and reserves its deposit; leaves the audit unassigned if no
/// candidate qualifies. Sets the audit's window either way (the caller writes the audit).
fn assign(ctx: &mut Ctx, audit: &mut pb::Audit) -> Result<(), TxError> {
    let params = ctx.compute_params()?;
    let now = ctx.block.height;
    audit.assigned_at = now;
    audit.deadline = now.saturating_add(params.audit_window);
    audit.verifier.clear();
    audit.deposit = None;
    let mut excluded: Vec<String> = ctx
        .leases_of_order(audit.order_id)?
        .into_iter()
        .map(|l| l.provider)
        .collect();
    excluded.extend(
        ctx.audits_of_order(audit.order_id)?
            .into_iter()
            .map(|a| a.verifier)
            .filter(|v| !v.is_empty()),
    );
    let deposit = params.audit_deposit;
    let Some((owner, mut p)) = pick_referee(ctx, audit.id, &deposit, &excluded)? else {
        return Ok(());
    };
    let mut stake = coin(&p.stake, "provider stake")?;
    stake.amount = stake.amount.saturating_sub(deposit.amount);
    p.stake = Some(stake.to_proto());
    ctx.put_provider(&owner, &p)?;
    audit.verifier = owner.to_bech32();
    audit.deposit = Some(deposit.to_proto());
    ctx.emit(events::audit_assigned(audit));
    Ok(())
}

/// The first eligible candidate of the verifier index at or after a key drawn for
/// `audit_id`, wrapping around, among at most [`MAX_VERIFIER_SCAN`] entries.
fn pick_referee(
    ctx: &Ctx,
    audit_id: u64,
    deposit: &Coin,
    excluded: &[String],
) -> Result<Option<(Address, pb::Provider)>, TxError> {
    let seed = draw::draw(DRAW_REFEREE, &ctx.block.prev_block_hash, audit_id);
    let start = state_key::verifier(&Address::from_bytes(&seed[..20])?);
    let prefix = state_key::verifiers();
    let end = prefix_end(&prefix);
    let mut entries = ctx.scan(&start, end.as_deref(), false, MAX_VERIFIER_SCAN)?;
    let left = MAX_VERIFIER_SCAN.saturating_sub(entries.len());
    if left > 0 {
        entries.extend(ctx.scan(&prefix, Some(&start), false, left)?);
    }
    for (_, value) in entries {
        let owner =
            Address::from_bytes(&value).map_err(|_| sdk::internal("corrupt verifier index"))?;
        let bech = owner.to_bech32();
        if excluded.contains(&bech) {
            continue;
        }
        let p = ctx.get_provider(&owner)?.ok_or_else(|| {
            sdk::internal(format!("verifier index names missing provider {bech}"))
        })?;
        let stake = coin(&p.stake, "provider stake")?;
        if stake.denom == deposit.denom && stake.amount >= deposit.amount {
            return Ok(Some((owner, p)));
        }
    }
    Ok(None)
}

/// The pending audit of a disputed order, if any (an order has at most one at a time).
pub(crate) fn pending_audit(ctx: &Ctx, order_id: u64) -> Result<Option<pb::Audit>, TxError> {
    Ok(ctx
        .audits_of_order(order_id)?
        .into_iter()
        .find(|a| a.state == AuditState::Pending as i32))
}

/// Settles an audit on the referee's answer (`None`: the true run has no checkpoint
/// `segment + 1`). The caller checked that the signer is the audit's referee.
pub(crate) fn resolve(
    ctx: &mut Ctx,
    audit: pb::Audit,
    answer: Option<Vec<u8>>,
) -> Result<(), TxError> {
    let verifier = stored_addr(&audit.verifier)?;
    // The deposit goes back to the referee's stake.
    let mut p = ctx
        .get_provider(&verifier)?
        .ok_or_else(|| sdk::internal("assigned referee without provider record"))?;
    let mut stake = coin(&p.stake, "provider stake")?;
    if let Some(d) = &audit.deposit {
        let d = Coin::from_proto(d)?;
        stake.amount = stake
            .amount
            .checked_add(d.amount)
            .ok_or_else(|| sdk::overflow("stake overflows"))?;
    }
    p.stake = Some(stake.to_proto());
    ctx.put_provider(&verifier, &p)?;
    judge_and_close(ctx, audit, answer, Some(&verifier))
}

/// Judges an audit's results on `answer` (the hash of checkpoint `segment + 1`; `None`: the
/// true run has none), slashes the faulty leases, pays the referee its fee if there is one
/// (`None`: an attested answer, see `crate::attest`), resolves the audit and completes or
/// closes the order.
pub(crate) fn judge_and_close(
    ctx: &mut Ctx,
    mut audit: pb::Audit,
    answer: Option<Vec<u8>>,
    referee: Option<&Address>,
) -> Result<(), TxError> {
    let order = ctx
        .get_order(audit.order_id)?
        .ok_or_else(|| sdk::internal(format!("audit {} of a missing order", audit.id)))?;
    let mut leases = Vec::with_capacity(audit.lease_ids.len());
    let mut claims = Vec::with_capacity(audit.lease_ids.len());
    for id in &audit.lease_ids {
        let lease = ctx
            .get_lease(*id)?
            .ok_or_else(|| sdk::internal(format!("audit names missing lease {id}")))?;
        let result = ctx
            .get_result(order.id, *id)?
            .ok_or_else(|| sdk::internal(format!("audit names lease {id} without a result")))?;
        claims.push(result.checkpoint_hashes.clone());
        leases.push((lease, result.result_hash));
    }
    let faulty = judge(&claims, audit.segment, answer.as_deref());
    let (mut honest_ids, mut faulty_ids, mut honest) = (Vec::new(), Vec::new(), Vec::new());
    let mut accepted = None;
    for ((lease, result_hash), bad) in leases.into_iter().zip(faulty) {
        if bad {
            faulty_ids.push(lease.id);
            slash_lease(ctx, &order, lease, audit.id)?;
        } else {
            honest_ids.push(lease.id);
            accepted.get_or_insert(result_hash);
            honest.push(lease);
        }
    }
    // After the faulty leases' earnings went back to the escrow.
    let fee = match referee {
        Some(v) => pay_verifier(ctx, order.id, v)?,
        None => Coin::new(ctx.compute_params()?.verifier_fee.denom, 0)?,
    };
    audit.state = AuditState::Resolved as i32;
    audit.checkpoint_hash = answer.unwrap_or_default();
    ctx.put_audit(&audit)?;
    ctx.emit(events::audit_resolved(&audit, honest_ids, faulty_ids, &fee));
    let order = ctx
        .get_order(order.id)?
        .ok_or_else(|| sdk::internal("audited order vanished"))?;
    match accepted {
        Some(hash) => complete(ctx, order, honest, hash),
        None => close_order_refunding(ctx, order, "every audited result was wrong").map(|_| ()),
    }
}

/// Pays `verifier_fee` (at most what the escrow holds, in its denom) to the referee.
fn pay_verifier(ctx: &mut Ctx, order_id: u64, verifier: &Address) -> Result<Coin, TxError> {
    let want = ctx.compute_params()?.verifier_fee;
    let mut escrow = ctx
        .get_escrow(order_id)?
        .ok_or_else(|| sdk::internal(format!("order {order_id} has no escrow account")))?;
    let mut balance = coin(&escrow.balance, "escrow balance")?;
    let amount = if balance.denom == want.denom {
        want.amount.min(balance.amount)
    } else {
        0
    };
    let fee = Coin::new(balance.denom.clone(), amount)?;
    if amount > 0 {
        let t = ctx.send_from_module(MODULE_NAME, verifier, &coins_of(&fee)?)?;
        emit_all(ctx, t);
        balance.amount -= amount;
        escrow.balance = Some(balance.to_proto());
        ctx.put_escrow(&escrow)?;
    }
    Ok(fee)
}

/// Ends a faulty lease `slashed`: its unwithdrawn earnings return to the escrow, and its
/// provider is slashed (all of it to the requester) and jailed.
fn slash_lease(
    ctx: &mut Ctx,
    order: &pb::Order,
    mut lease: pb::Lease,
    audit_id: u64,
) -> Result<(), TxError> {
    let mut unwithdrawn = coin(&lease.unwithdrawn, "lease unwithdrawn")?;
    if unwithdrawn.amount > 0 {
        let mut escrow = ctx
            .get_escrow(order.id)?
            .ok_or_else(|| sdk::internal(format!("order {} has no escrow account", order.id)))?;
        let mut balance = coin(&escrow.balance, "escrow balance")?;
        balance.amount = balance
            .amount
            .checked_add(unwithdrawn.amount)
            .ok_or_else(|| sdk::overflow("escrow balance overflows"))?;
        escrow.balance = Some(balance.to_proto());
        // It was counted as paid out to the lease; it came back.
        let mut transferred = coin(&escrow.transferred, "escrow transferred")?;
        transferred.amount = transferred.amount.saturating_sub(unwithdrawn.amount);
        escrow.transferred = Some(transferred.to_proto());
        ctx.put_escrow(&escrow)?;
        unwithdrawn.amount = 0;
        lease.unwithdrawn = Some(unwithdrawn.to_proto());
    }
    end_lease(ctx, order, lease.clone(), LeaseState::Slashed)?;
    ctx.emit(events::lease_slashed(&lease, audit_id));

    let owner = stored_addr(&lease.provider)?;
    let mut p = ctx
        .get_provider(&owner)?
        .ok_or_else(|| sdk::internal("slashed lease without provider"))?;
    let mut stake = coin(&p.stake, "provider stake")?;
    let fraction = ctx.compute_params()?.slash_fraction;
    let amount = fraction
        .mul_floor(stake.amount)
        .ok_or_else(|| sdk::overflow("slash overflows"))?;
    stake.amount -= amount;
    p.stake = Some(stake.to_proto());
    p.jailed = true;
    ctx.put_provider(&owner, &p)?;
    let victim = stored_addr(&order.owner)?;
    let slashed = Coin::new(stake.denom.clone(), amount)?;
    let claims = [Claim {
        to: victim,
        cap: amount,
    }];
    let routed = route_slash(ctx, MODULE_NAME, &slashed, &claims, crate::COMMUNITY_POOL)?;
    emit_all(ctx, routed.events.clone());
    ctx.emit(events::provider_slashed(
        &lease, order, audit_id, &slashed, &routed,
    )?);
    ctx.emit(events::provider_jailed(&lease.provider, audit_id));
    Ok(())
}

/// Expires or retries the audits whose deadline has come (see the module docs).
pub(crate) fn end_block(ctx: &mut Ctx) -> Result<(), TxError> {
    let now = ctx.block.height;
    let start = state_key::audit_deadlines();
    let end = state_key::audit_deadlines_through(now);
    let due = ctx.scan(&start, Some(&end), false, MAX_AUDIT_DEADLINES_PER_BLOCK)?;
    for (k, _) in due {
        let id = state_key::trailing_id(&k)
            .ok_or_else(|| sdk::internal("corrupt audit deadline index"))?;
        let audit = ctx
            .get_audit(id)?
            .ok_or_else(|| sdk::internal(format!("audit deadline names missing audit {id}")))?;
        expire(ctx, audit)?;
    }
    Ok(())
}

fn expire(ctx: &mut Ctx, mut audit: pb::Audit) -> Result<(), TxError> {
    // A referee that did not answer forfeits its deposit to the community pool; an audit
    // nobody could be assigned to forfeits nothing.
    let forfeited = match (&audit.deposit, audit.verifier.is_empty()) {
        (Some(d), false) => Coin::from_proto(d)?,
        _ => Coin::new(ctx.compute_params()?.audit_deposit.denom, 0)?,
    };
    if forfeited.amount > 0 {
        let t =
            ctx.send_module_to_module(MODULE_NAME, crate::COMMUNITY_POOL, &coins_of(&forfeited)?)?;
        emit_all(ctx, t);
    }
    audit.state = AuditState::Expired as i32;
    ctx.put_audit(&audit)?;
    ctx.emit(events::audit_expired(&audit, &forfeited));
    if ctx.audits_of_order(audit.order_id)?.len() >= MAX_AUDITS_PER_ORDER as usize {
        // The last resort: the validators re-run the segment (crate::attest).
        if crate::attest::request_replay(ctx, &mut audit)? {
            return ctx.put_audit(&audit);
        }
        return abandon(ctx, audit.order_id, "audit abandoned: no referee answered");
    }
    let mut next = pb::Audit {
        id: ctx.next_id(AUDIT_SEQ)?,
        state: AuditState::Pending as i32,
        checkpoint_hash: Vec::new(),
        ..audit
    };
    assign(ctx, &mut next)?;
    ctx.put_audit(&next)
}

/// Gives up on an order's audits: every active lease of the order ends `closed` (paid for
/// its work) and the order closes with its escrow refunded.
pub(crate) fn abandon(ctx: &mut Ctx, order_id: u64, reason: &str) -> Result<(), TxError> {
    let order = ctx
        .get_order(order_id)?
        .ok_or_else(|| sdk::internal("abandoned audit of a missing order"))?;
    for lease in ctx.leases_of_order(order.id)? {
        if lease.state == LeaseState::Active as i32 {
            end_lease(ctx, &order, lease, LeaseState::Closed)?;
        }
    }
    close_order_refunding(ctx, order, reason).map(|_| ())
}

/// For genesis: the audit deposits held by pending audits count in the module account.
pub(crate) fn held_deposit(a: &pb::Audit) -> Result<Option<Coin>, TxError> {
    if a.state != AuditState::Pending as i32 {
        return Ok(None);
    }
    a.deposit.as_ref().map(Coin::from_proto).transpose()
}
