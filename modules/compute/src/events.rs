//! compute's typed events (`deai.compute.v1.Event*`), emitted as the SDK's `EmitTypedEvent`
//! does. Bank's transfer events of each escrow movement are emitted beside them.

use deai_framework::{typed_event, Address, Coin, Event};
use deai_proto::compute::v1 as pb;

use crate::params::Params;

pub fn params_updated(authority: &Address, params: &Params) -> Event {
    typed_event(&pb::EventParamsUpdated {
        authority: authority.to_bech32(),
        params: Some(params.to_proto()),
    })
}

pub fn provider_created(p: &pb::Provider) -> Event {
    typed_event(&pb::EventProviderCreated {
        owner: p.owner.clone(),
        host_uri: p.host_uri.clone(),
        stake: p.stake.clone(),
    })
}

pub fn provider_updated(p: &pb::Provider) -> Event {
    typed_event(&pb::EventProviderUpdated {
        owner: p.owner.clone(),
        host_uri: p.host_uri.clone(),
    })
}

pub fn provider_deleted(owner: &Address, refunded: &Coin) -> Event {
    typed_event(&pb::EventProviderDeleted {
        owner: owner.to_bech32(),
        refunded: Some(refunded.to_proto()),
    })
}

pub fn attributes_signed(s: &pb::SignedAttributes) -> Event {
    typed_event(&pb::EventProviderAttributesSigned {
        provider: s.provider.clone(),
        auditor: s.auditor.clone(),
        attributes: s.attributes.clone(),
    })
}

pub fn order_created(o: &pb::Order, deposit: &Coin) -> Event {
    typed_event(&pb::EventOrderCreated {
        order_id: o.id,
        owner: o.owner.clone(),
        spec_sha256: o.spec_sha256.clone(),
        max_price_per_block: o.max_price_per_block.clone(),
        deposit: Some(deposit.to_proto()),
        redundancy: o.redundancy,
        verification: o.verification.as_ref().map_or(0, |v| v.mode),
        bid_deadline: o.bid_deadline,
    })
}

/// A compute-to-data order's access fee, split as a data purchase (no consume market).
pub fn access_fee_paid(o: &pb::Order, fee: &Coin, s: &deai_data::split::Split) -> Event {
    let c = |amount: u128| {
        Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: fee.denom.clone(),
            amount: amount.to_string(),
        })
    };
    typed_event(&pb::EventAccessFeePaid {
        order_id: o.id,
        dataset_id: o.dataset_id,
        amount: Some(fee.to_proto()),
        to_publisher: c(s.to_publisher),
        to_provider: c(s.to_provider),
        to_publish_market: c(s.to_publish_market),
        to_community_pool: c(s.to_community_pool),
    })
}

pub fn order_deposited(order_id: u64, depositor: &Address, amount: &Coin, balance: &Coin) -> Event {
    typed_event(&pb::EventOrderDeposited {
        order_id,
        depositor: depositor.to_bech32(),
        amount: Some(amount.to_proto()),
        balance: Some(balance.to_proto()),
    })
}

pub fn order_closed(order_id: u64, reason: &str, refunded: &Coin) -> Event {
    typed_event(&pb::EventOrderClosed {
        order_id,
        reason: reason.to_string(),
        refunded: Some(refunded.to_proto()),
    })
}

pub fn bid_created(b: &pb::Bid) -> Event {
    typed_event(&pb::EventBidCreated {
        bid_id: b.id,
        order_id: b.order_id,
        provider: b.provider.clone(),
        price: b.price.clone(),
    })
}

/// A bid closed by its provider (`BID_STATE_CLOSED`) or lost at leasing (`BID_STATE_LOST`).
pub fn bid_closed(b: &pb::Bid, refunded: &Coin) -> Event {
    typed_event(&pb::EventBidClosed {
        bid_id: b.id,
        order_id: b.order_id,
        provider: b.provider.clone(),
        state: b.state,
        refunded: Some(refunded.to_proto()),
    })
}

pub fn lease_created(l: &pb::Lease) -> Event {
    typed_event(&pb::EventLeaseCreated {
        lease_id: l.id,
        order_id: l.order_id,
        bid_id: l.bid_id,
        provider: l.provider.clone(),
        price: l.price.clone(),
    })
}

pub fn order_leased(order_id: u64, lease_ids: Vec<u64>, automatic: bool) -> Event {
    typed_event(&pb::EventOrderLeased {
        order_id,
        lease_ids,
        automatic,
    })
}

/// One settlement of a lease: `amount` to the provider and `take` to the community pool, for
/// blocks `from_height..to_height`.
pub fn lease_settled(
    l: &pb::Lease,
    from_height: u64,
    to_height: u64,
    amount: u128,
    take: u128,
    denom: &str,
) -> Result<Event, deai_framework::TxError> {
    Ok(typed_event(&pb::EventLeaseSettled {
        lease_id: l.id,
        order_id: l.order_id,
        provider: l.provider.clone(),
        from_height,
        to_height,
        amount: Some(Coin::new(denom.to_string(), amount)?.to_proto()),
        take: Some(Coin::new(denom.to_string(), take)?.to_proto()),
    }))
}

pub fn lease_withdrawn(l: &pb::Lease, amount: &Coin) -> Event {
    typed_event(&pb::EventLeaseWithdrawn {
        lease_id: l.id,
        provider: l.provider.clone(),
        amount: Some(amount.to_proto()),
    })
}

pub fn lease_closed(l: &pb::Lease) -> Event {
    typed_event(&pb::EventLeaseClosed {
        lease_id: l.id,
        order_id: l.order_id,
        provider: l.provider.clone(),
    })
}

pub fn lease_insufficient_funds(l: &pb::Lease) -> Event {
    typed_event(&pb::EventLeaseInsufficientFunds {
        lease_id: l.id,
        order_id: l.order_id,
        provider: l.provider.clone(),
    })
}

pub fn lease_completed(l: &pb::Lease) -> Event {
    typed_event(&pb::EventLeaseCompleted {
        lease_id: l.id,
        order_id: l.order_id,
        provider: l.provider.clone(),
    })
}

pub fn result_submitted(r: &pb::Result) -> Event {
    typed_event(&pb::EventResultSubmitted {
        lease_id: r.lease_id,
        order_id: r.order_id,
        provider: r.provider.clone(),
        result_hash: r.result_hash.clone(),
        artifact_uri: r.artifact_uri.clone(),
    })
}

pub fn order_completed(order_id: u64, result_hash: Vec<u8>) -> Event {
    typed_event(&pb::EventOrderCompleted {
        order_id,
        result_hash,
    })
}

pub fn order_disputed(order_id: u64, segment: u32) -> Event {
    typed_event(&pb::EventOrderDisputed { order_id, segment })
}

pub fn audit_assigned(a: &pb::Audit) -> Event {
    typed_event(&pb::EventAuditAssigned {
        audit_id: a.id,
        order_id: a.order_id,
        segment: a.segment,
        verifier: a.verifier.clone(),
        reason: a.reason,
        deadline: a.deadline,
    })
}

pub fn audit_submitted(a: &pb::Audit, checkpoint_hash: &[u8]) -> Event {
    typed_event(&pb::EventAuditSubmitted {
        audit_id: a.id,
        order_id: a.order_id,
        segment: a.segment,
        verifier: a.verifier.clone(),
        checkpoint_hash: checkpoint_hash.to_vec(),
    })
}

pub fn audit_resolved(a: &pb::Audit, honest: Vec<u64>, faulty: Vec<u64>, fee: &Coin) -> Event {
    typed_event(&pb::EventAuditResolved {
        audit_id: a.id,
        order_id: a.order_id,
        honest_lease_ids: honest,
        faulty_lease_ids: faulty,
        verifier_fee: Some(fee.to_proto()),
    })
}

pub fn audit_expired(a: &pb::Audit, forfeited: &Coin) -> Event {
    typed_event(&pb::EventAuditExpired {
        audit_id: a.id,
        order_id: a.order_id,
        verifier: a.verifier.clone(),
        forfeited: Some(forfeited.to_proto()),
    })
}

pub fn lease_slashed(l: &pb::Lease, audit_id: u64) -> Event {
    typed_event(&pb::EventLeaseSlashed {
        lease_id: l.id,
        order_id: l.order_id,
        provider: l.provider.clone(),
        audit_id,
    })
}

/// The slash of a faulty lease's provider and where it went (claims: the victim only).
pub fn provider_slashed(
    l: &pb::Lease,
    order: &pb::Order,
    audit_id: u64,
    slashed: &Coin,
    routed: &deai_bank::Routed,
) -> Result<Event, deai_framework::TxError> {
    let part = |a: u128| Coin::new(slashed.denom.clone(), a).map(|c| Some(c.to_proto()));
    Ok(typed_event(&pb::EventProviderSlashed {
        provider: l.provider.clone(),
        order_id: order.id,
        audit_id,
        amount: Some(slashed.to_proto()),
        victim: order.owner.clone(),
        to_victim: part(routed.paid.first().copied().unwrap_or(0))?,
        reporter: String::new(),
        to_reporter: part(0)?,
        to_community_pool: part(routed.to_pool)?,
    }))
}

pub fn provider_jailed(provider: &str, audit_id: u64) -> Event {
    typed_event(&pb::EventProviderJailed {
        provider: provider.to_string(),
        audit_id,
    })
}
