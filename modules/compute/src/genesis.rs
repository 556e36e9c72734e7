//! compute genesis: `app_state.compute` is the proto3 JSON of `deai.compute.v1.GenesisState`
//! (proto field names, defaults written out, 64-bit integers as strings), read and written
//! through deai-proto's descriptors, so export → import → export is exact.
//!
//! Import checks every record and that the module account holds exactly Σ provider stakes +
//! Σ escrow balances + Σ deposits of open and active bids + Σ unwithdrawn lease earnings +
//! Σ deposits of pending audits (bank's genesis, which runs first, funds it).

use std::collections::BTreeMap;

use deai_auth::AuthWrite;
use deai_framework::genesis::Held;
use deai_framework::records;
use deai_framework::{Address, Coin, StateRead, StateWrite, TxError};
use deai_proto::compute::v1 as pb;
use sha2::{Digest, Sha256};

use crate::error::ComputeError;
use crate::keeper::{ComputeRead, ComputeWrite, MAX_AUDITORS_PER_PROVIDER};
use crate::msgs::{canonical_attributes, validate_host_uri};
use crate::params::{Params, MAX_ORDER_BIDS, MAX_REDUNDANCY, MAX_SPEC_BYTES};
use crate::{state_key, COMMUNITY_POOL, MODULE_ACCOUNT, MODULE_NAME};

const SEQUENCES: [&str; 4] = ["order", "bid", "lease", "audit"];

fn invalid(msg: impl Into<String>) -> TxError {
    ComputeError::InvalidGenesis(msg.into()).into()
}

/// Parses `app_state.compute`; `{}` or null is the default genesis.
pub fn import_proto(json: &serde_json::Value) -> Result<pb::GenesisState, TxError> {
    deai_framework::genesis::from_json(json, invalid)
}

/// The proto3 JSON of a genesis state.
pub fn export_proto(g: &pb::GenesisState) -> Result<serde_json::Value, TxError> {
    deai_framework::genesis::to_json(g)
}

fn coin(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> Result<Coin, TxError> {
    deai_framework::genesis::required_coin(c, what, invalid)
}

/// A compute-to-data order (dataset_id ≠ 0) has an access fee in its price's denom, the
/// terms of one (redundancy 1, verification none), and has paid the fee iff it was leased
/// (an open order has not; a leased, disputed or completed one has; a closed one either).
/// Any other order has neither fee nor payment.
fn check_access_fee(o: &pb::Order) -> Result<(), TxError> {
    let bad = |why: &str| invalid(format!("order {}: {why}", o.id));
    if o.dataset_id == 0 {
        if o.access_fee.is_some() || o.access_paid_at != 0 {
            return Err(bad("an access fee without a dataset"));
        }
        return Ok(());
    }
    let fee = coin(&o.access_fee, "access fee")?;
    if fee.denom != coin(&o.max_price_per_block, "max_price_per_block")?.denom {
        return Err(bad("access fee denom"));
    }
    crate::c2d::check_terms(o.redundancy, &o.verification.clone().unwrap_or_default())
        .map_err(|e| bad(&e.to_string()))?;
    let open = o.state == pb::OrderState::Open as i32;
    let closed = o.state == pb::OrderState::Closed as i32;
    if (open && o.access_paid_at != 0) || (!open && !closed && o.access_paid_at == 0) {
        return Err(bad("access fee paid out of step with its state"));
    }
    Ok(())
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g = import_proto(json)?;
    let params = deai_framework::genesis::params(&g.params, Params::from_proto)?;
    state.set_compute_params(&params)?;
    deai_framework::authority::init_proto(state, &state_key::authority(), &g.authority)?;
    let module = state.ensure_module_account_with(MODULE_ACCOUNT, &[])?;
    state.ensure_module_account_with(COMMUNITY_POOL, &[])?;

    let mut held = Held::default();
    for p in &g.providers {
        let owner = Address::from_bech32(&p.owner)?;
        if state.get_provider(&owner)?.is_some() {
            return Err(invalid(format!("duplicate provider {}", p.owner)));
        }
        validate_host_uri(&p.host_uri)?;
        if canonical_attributes(p.attributes.clone())? != p.attributes {
            return Err(invalid(format!("attributes of {} are not sorted", p.owner)));
        }
        held.add(&coin(&p.stake, "provider stake")?)?;
        state.put_provider(&owner, p)?;
    }
    for s in &g.signed_attributes {
        let provider = Address::from_bech32(&s.provider)?;
        let auditor = Address::from_bech32(&s.auditor)?;
        let p = state
            .get_provider(&provider)?
            .ok_or_else(|| invalid(format!("signature of unknown provider {}", s.provider)))?;
        if s.attributes.is_empty() || s.attributes.iter().any(|a| !p.attributes.contains(a)) {
            return Err(invalid(format!(
                "signature of {} by {} does not match",
                s.provider, s.auditor
            )));
        }
        if state.get_signed_attributes(&provider, &auditor)?.is_some()
            || state.signed_attributes_of(&provider)?.len() >= MAX_AUDITORS_PER_PROVIDER
        {
            return Err(invalid(format!(
                "duplicate or too many signatures of {}",
                s.provider
            )));
        }
        state.put_signed_attributes(&provider, &auditor, s)?;
    }
    let next_order = g.next_order_id.max(1);
    for o in &g.orders {
        Address::from_bech32(&o.owner)?;
        let known =
            pb::OrderState::try_from(o.state).is_ok_and(|s| s != pb::OrderState::Unspecified);
        if o.id == 0 || o.id >= next_order || !known || state.get_order(o.id)?.is_some() {
            return Err(invalid(format!(
                "order {}: bad id, state or duplicate",
                o.id
            )));
        }
        let digest: [u8; 32] = Sha256::digest(&o.spec).into();
        if o.spec.len() > MAX_SPEC_BYTES as usize
            || digest[..] != o.spec_sha256[..]
            || !(1..=MAX_REDUNDANCY).contains(&o.redundancy)
        {
            return Err(invalid(format!("order {}: bad spec or redundancy", o.id)));
        }
        check_access_fee(o)?;
        state.put_order(o)?;
    }
    for e in &g.escrow_accounts {
        let o = state
            .get_order(e.order_id)?
            .ok_or_else(|| invalid(format!("escrow of unknown order {}", e.order_id)))?;
        let known =
            pb::EscrowState::try_from(e.state).is_ok_and(|s| s != pb::EscrowState::Unspecified);
        if o.owner != e.owner || !known || state.get_escrow(e.order_id)?.is_some() {
            return Err(invalid(format!(
                "escrow of order {}: owner, state or duplicate",
                e.order_id
            )));
        }
        let balance = coin(&e.balance, "escrow balance")?;
        let price = coin(&o.max_price_per_block, "max_price_per_block")?;
        if balance.denom != price.denom {
            return Err(invalid(format!("escrow of order {}: denom", e.order_id)));
        }
        // An unpaid access fee is part of the balance until the order is leased.
        let unpaid = match (&o.access_fee, o.access_paid_at) {
            (Some(fee), 0) if o.dataset_id != 0 => coin(&Some(fee.clone()), "access fee")?.amount,
            _ => 0,
        };
        if o.state == pb::OrderState::Open as i32 && balance.amount < unpaid {
            return Err(invalid(format!(
                "escrow of order {}: below its unpaid access fee",
                e.order_id
            )));
        }
        held.add(&balance)?;
        state.put_escrow(e)?;
    }
    if g.escrow_accounts.len() != g.orders.len() {
        return Err(invalid("every order needs exactly one escrow account"));
    }
    import_bids(state, &g, &mut held)?;
    import_leases(state, &g, &mut held)?;
    import_results(state, &g)?;
    import_audits(state, &g, &mut held)?;
    let next = [
        g.next_order_id,
        g.next_bid_id,
        g.next_lease_id,
        g.next_audit_id,
    ];
    for (name, v) in SEQUENCES.iter().zip(next) {
        state.set_sequence(name, v)?;
    }
    deai_bank::check_module_holds(
        state,
        MODULE_ACCOUNT,
        &module.address,
        &held,
        "stakes and escrow",
        invalid,
    )
}

/// Bids: of a known order (whose `bid_count` is exactly its number of bids), in a known
/// state, ids below `next_bid_id`, at most one open bid per (order, provider); the deposits of
/// open and active bids are held by the module account.
fn import_bids(
    state: &mut dyn StateWrite,
    g: &pb::GenesisState,
    held: &mut Held,
) -> Result<(), TxError> {
    let next_bid = g.next_bid_id.max(1);
    let mut per_order: BTreeMap<u64, u32> = BTreeMap::new();
    for b in &g.bids {
        let provider = Address::from_bech32(&b.provider)?;
        let st = pb::BidState::try_from(b.state).ok();
        let known = st.is_some_and(|s| s != pb::BidState::Unspecified);
        if b.id == 0 || b.id >= next_bid || !known || state.get_bid(b.id)?.is_some() {
            return Err(invalid(format!("bid {}: bad id, state or duplicate", b.id)));
        }
        let o = state
            .get_order(b.order_id)?
            .ok_or_else(|| invalid(format!("bid {} of unknown order", b.id)))?;
        let price = coin(&b.price, "bid price")?;
        let max = coin(&o.max_price_per_block, "max_price_per_block")?;
        if price.denom != max.denom || price.amount > max.amount {
            return Err(invalid(format!("bid {}: price", b.id)));
        }
        let deposit = coin(&b.deposit, "bid deposit")?;
        if b.state == pb::BidState::Open as i32
            && state.open_bid_of(b.order_id, &provider)?.is_some()
        {
            return Err(invalid(format!("bid {}: second open bid", b.id)));
        }
        if matches!(st, Some(pb::BidState::Open | pb::BidState::Active)) {
            held.add(&deposit)?;
        }
        let n = per_order.entry(b.order_id).or_insert(0);
        *n = n.saturating_add(1);
        state.put_bid(b)?;
    }
    for o in &g.orders {
        if o.bid_count != per_order.get(&o.id).copied().unwrap_or(0) || o.bid_count > MAX_ORDER_BIDS
        {
            return Err(invalid(format!("order {}: bid_count", o.id)));
        }
    }
    Ok(())
}

/// Leases: of a known order, each on an active bid of that order with the same provider and
/// price, at most `redundancy` per order, ids below `next_lease_id`; each provider's
/// `active_leases` and `in_use` are exactly what its active leases add up to.
fn import_leases(
    state: &mut dyn StateWrite,
    g: &pb::GenesisState,
    held: &mut Held,
) -> Result<(), TxError> {
    let next_lease = g.next_lease_id.max(1);
    let mut use_of: BTreeMap<String, (u32, pb::Resources)> = BTreeMap::new();
    for l in &g.leases {
        let known =
            pb::LeaseState::try_from(l.state).is_ok_and(|s| s != pb::LeaseState::Unspecified);
        if l.id == 0 || l.id >= next_lease || !known || state.get_lease(l.id)?.is_some() {
            return Err(invalid(format!(
                "lease {}: bad id, state or duplicate",
                l.id
            )));
        }
        let bad = || invalid(format!("lease {}: order, bid, provider or price", l.id));
        let o = state.get_order(l.order_id)?.ok_or_else(bad)?;
        let b = state.get_bid(l.bid_id)?.ok_or_else(bad)?;
        if b.order_id != l.order_id || b.provider != l.provider || b.price != l.price {
            return Err(bad());
        }
        if state.leases_of_order(l.order_id)?.len() >= o.redundancy as usize {
            return Err(invalid(format!("order {}: too many leases", o.id)));
        }
        let active = l.state == pb::LeaseState::Active as i32;
        if active != (b.state == pb::BidState::Active as i32) {
            return Err(invalid(format!("lease {}: bid state", l.id)));
        }
        let unwithdrawn = coin(&l.unwithdrawn, "lease unwithdrawn")?;
        if !active && unwithdrawn.amount != 0 {
            return Err(invalid(format!("lease {}: ended with unwithdrawn", l.id)));
        }
        held.add(&unwithdrawn)?;
        coin(&l.withdrawn, "lease withdrawn")?;
        if active {
            let r = o.resources.unwrap_or_default();
            let u = use_of.entry(l.provider.clone()).or_default();
            let over = || invalid("resources in use overflow");
            u.0 = u.0.checked_add(1).ok_or_else(over)?;
            u.1.cpu_millis = u.1.cpu_millis.checked_add(r.cpu_millis).ok_or_else(over)?;
            u.1.memory_bytes =
                u.1.memory_bytes
                    .checked_add(r.memory_bytes)
                    .ok_or_else(over)?;
            u.1.gpus = u.1.gpus.checked_add(r.gpus).ok_or_else(over)?;
            u.1.storage_bytes =
                u.1.storage_bytes
                    .checked_add(r.storage_bytes)
                    .ok_or_else(over)?;
        }
        state.put_lease(l)?;
    }
    for p in &g.providers {
        let (n, r) = use_of.remove(&p.owner).unwrap_or_default();
        if p.active_leases != n || p.in_use.unwrap_or_default() != r {
            return Err(invalid(format!("provider {}: leases in use", p.owner)));
        }
    }
    if let Some(owner) = use_of.keys().next() {
        return Err(invalid(format!("active lease of unknown provider {owner}")));
    }
    Ok(())
}

/// Results: each of a known lease (same order and provider), at most one per lease, hashes
/// of 32 bytes, at most `max_checkpoints` checkpoints, a valid artifact URI.
fn import_results(state: &mut dyn StateWrite, g: &pb::GenesisState) -> Result<(), TxError> {
    let max = state.compute_params()?.max_checkpoints as usize;
    let h = |b: &[u8]| b.len() == crate::RESULT_HASH_LEN;
    for r in &g.results {
        let bad = || invalid(format!("result of lease {}", r.lease_id));
        let l = state.get_lease(r.lease_id)?.ok_or_else(bad)?;
        let ok = l.order_id == r.order_id
            && l.provider == r.provider
            && h(&r.result_hash)
            && h(&r.weights_sha256)
            && r.checkpoint_hashes.len() <= max
            && r.checkpoint_hashes.iter().all(|c| h(c))
            && crate::validate_host_uri(&r.artifact_uri).is_ok()
            && state.get_result(r.order_id, r.lease_id)?.is_none();
        if !ok {
            return Err(bad());
        }
        state.put_result(r)?;
    }
    Ok(())
}

/// Audits: of a known order, ids below `next_audit_id`, known state and reason, each judged
/// lease a lease of the order with a result, the referee of a pending audit a provider; a pending audit's
/// order is disputed and its deposit is held by the module account.
fn import_audits(
    state: &mut dyn StateWrite,
    g: &pb::GenesisState,
    held: &mut Held,
) -> Result<(), TxError> {
    let next = g.next_audit_id.max(1);
    for a in &g.audits {
        let bad = || invalid(format!("audit {}", a.id));
        let known_state =
            pb::AuditState::try_from(a.state).is_ok_and(|s| s != pb::AuditState::Unspecified);
        let known_reason =
            pb::AuditReason::try_from(a.reason).is_ok_and(|r| r != pb::AuditReason::Unspecified);
        if a.id == 0
            || a.id >= next
            || !known_state
            || !known_reason
            || state.get_audit(a.id)?.is_some()
        {
            return Err(bad());
        }
        let o = state.get_order(a.order_id)?.ok_or_else(bad)?;
        for id in &a.lease_ids {
            let l = state.get_lease(*id)?.ok_or_else(bad)?;
            if l.order_id != a.order_id || state.get_result(a.order_id, *id)?.is_none() {
                return Err(bad());
            }
        }
        // A pending audit's referee holds its deposit and is a provider; a finished audit may
        // name one that has since left.
        let pending = a.state == pb::AuditState::Pending as i32;
        if !a.verifier.is_empty() {
            let v = Address::from_bech32(&a.verifier)?;
            if pending && state.get_provider(&v)?.is_none() {
                return Err(bad());
            }
        }
        if a.state == pb::AuditState::Pending as i32 && o.state != pb::OrderState::Disputed as i32 {
            return Err(bad());
        }
        if let Some(d) = crate::audits::held_deposit(a)? {
            held.add(&d)?;
        }
        state.put_audit(a)?;
    }
    Ok(())
}

fn all<M: prost::Message + Default>(
    state: &dyn StateRead,
    prefix: Vec<u8>,
) -> Result<Vec<M>, TxError> {
    records::all_under(MODULE_NAME, state, &prefix, usize::MAX)
}

pub fn export(state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let authority = deai_framework::authority::get(state, &state_key::authority())?;
    let g = pb::GenesisState {
        params: Some(state.compute_params()?.to_proto()),
        authority: authority.to_bech32(),
        providers: all(state, state_key::providers())?,
        signed_attributes: all(state, state_key::all_signed_attributes())?,
        orders: all::<pb::Order>(state, state_key::orders())?
            .into_iter()
            .map(|o| state.with_spec(o))
            .collect::<Result<_, _>>()?,
        bids: all(state, state_key::bids())?,
        leases: all(state, state_key::leases())?,
        escrow_accounts: all(state, state_key::escrows())?,
        results: all(state, state_key::results())?,
        audits: all(state, state_key::audits())?,
        next_order_id: state.sequence(SEQUENCES[0])?,
        next_bid_id: state.sequence(SEQUENCES[1])?,
        next_lease_id: state.sequence(SEQUENCES[2])?,
        next_audit_id: state.sequence(SEQUENCES[3])?,
    };
    export_proto(&g)
}
