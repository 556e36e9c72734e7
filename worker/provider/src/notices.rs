//! The chain events a provider acts on, decoded from ABCI events. Typed events are named by
//! their proto full name (`deai.compute.v1.EventLeaseCreated`) and carry one proto3-JSON
//! attribute per field; they are decoded with `deai_framework::parse_typed_event`. An event
//! that does not decode is logged and skipped, never fatal.

use deai_client::events::{ChainEvent, Event as ClientEvent};
use deai_framework::events::{parse_typed_event, Event};
use deai_proto::compute::v1 as pb;
use prost::Name;

/// One thing that happened on chain that the provider may act on.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    OrderCreated(pb::EventOrderCreated),
    LeaseCreated(pb::EventLeaseCreated),
    LeaseCompleted(pb::EventLeaseCompleted),
    OrderCompleted(pb::EventOrderCompleted),
    AuditAssigned(pb::EventAuditAssigned),
}

impl Notice {
    /// A short description for logs.
    pub fn describe(&self) -> String {
        match self {
            Notice::OrderCreated(e) => format!("order created order={}", e.order_id),
            Notice::LeaseCreated(e) => format!(
                "lease created lease={} order={} provider={}",
                e.lease_id, e.order_id, e.provider
            ),
            Notice::LeaseCompleted(e) => format!("lease completed lease={}", e.lease_id),
            Notice::OrderCompleted(e) => format!("order completed order={}", e.order_id),
            Notice::AuditAssigned(e) => format!(
                "audit assigned audit={} order={} segment={} verifier={}",
                e.audit_id, e.order_id, e.segment, e.verifier
            ),
        }
    }
}

fn full_name<M: Name>() -> String {
    M::full_name()
}

fn to_framework(e: &ClientEvent) -> Event {
    Event {
        kind: e.kind.clone(),
        attributes: e
            .attributes
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect(),
    }
}

/// Decodes one ABCI event; `None` for events the provider does not watch.
pub fn decode(kind: &str, attributes: Vec<(String, String)>) -> Option<Result<Notice, String>> {
    let e = Event {
        kind: kind.to_string(),
        attributes,
    };
    let n = if kind == full_name::<pb::EventOrderCreated>() {
        parse_typed_event(&e).map(Notice::OrderCreated)
    } else if kind == full_name::<pb::EventLeaseCreated>() {
        parse_typed_event(&e).map(Notice::LeaseCreated)
    } else if kind == full_name::<pb::EventLeaseCompleted>() {
        parse_typed_event(&e).map(Notice::LeaseCompleted)
    } else if kind == full_name::<pb::EventOrderCompleted>() {
        parse_typed_event(&e).map(Notice::OrderCompleted)
    } else if kind == full_name::<pb::EventAuditAssigned>() {
        parse_typed_event(&e).map(Notice::AuditAssigned)
    } else {
        return None;
    };
    Some(n)
}

/// The notices in one delivery of a subscription, in emission order. Events that fail to
/// decode are logged and dropped.
pub fn notices(ev: &ChainEvent) -> Vec<Notice> {
    let mut out = Vec::new();
    for e in &ev.events {
        let f = to_framework(e);
        match decode(&f.kind, f.attributes) {
            None => {}
            Some(Ok(n)) => out.push(n),
            Some(Err(err)) => {
                tracing::warn!(height = ev.height, kind = %e.kind, error = %err, "skipping an undecodable event")
            }
        }
    }
    out
}

pub use deai_worker_daemon::events_of_kind;

/// The bid id of the `EventBidCreated` in a committed `MsgCreateBid` tx.
pub fn created_bid_id(events: &serde_json::Value) -> Option<u64> {
    let kind = full_name::<pb::EventBidCreated>();
    events_of_kind(events, &kind).into_iter().find_map(|attrs| {
        let e = Event {
            kind: kind.clone(),
            attributes: attrs,
        };
        parse_typed_event::<pb::EventBidCreated>(&e)
            .ok()
            .map(|b| b.bid_id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use deai_client::events::{Attribute, Source};
    use deai_framework::events::typed_event;

    fn client_event(e: Event) -> ClientEvent {
        ClientEvent {
            kind: e.kind,
            attributes: e
                .attributes
                .into_iter()
                .map(|(key, value)| Attribute { key, value })
                .collect(),
        }
    }

    #[test]
    fn typed_events_decode_into_notices_and_others_are_ignored() {
        let lease = pb::EventLeaseCreated {
            lease_id: 5,
            order_id: 2,
            bid_id: 3,
            provider: "deai1p".into(),
            price: None,
        };
        let audit = pb::EventAuditAssigned {
            audit_id: 1,
            order_id: 2,
            segment: 4,
            verifier: "deai1v".into(),
            reason: pb::AuditReason::Dispute as i32,
            deadline: 99,
        };
        let ev = ChainEvent {
            height: 10,
            source: Source::NewBlock,
            events: vec![
                client_event(Event::new("transfer").attr("amount", "1udeai")),
                client_event(typed_event(&lease)),
                // A forged event of a watched type that does not decode is skipped.
                client_event(Event::new("deai.compute.v1.EventOrderCreated").attr("order_id", "x")),
                client_event(typed_event(&audit)),
            ],
        };
        assert_eq!(
            notices(&ev),
            vec![Notice::LeaseCreated(lease), Notice::AuditAssigned(audit)]
        );
    }

    #[test]
    fn the_bid_id_is_read_from_a_committed_txs_events() {
        let bid = pb::EventBidCreated {
            bid_id: 42,
            order_id: 7,
            provider: "deai1p".into(),
            price: None,
        };
        let e = typed_event(&bid);
        let json = serde_json::json!([
            {"type": "message", "attributes": [{"key": "action", "value": "x", "index": true}]},
            {"type": e.kind, "attributes": e.attributes.iter()
                .map(|(k, v)| serde_json::json!({"key": k, "value": v, "index": true}))
                .collect::<Vec<_>>()},
        ]);
        assert_eq!(created_bid_id(&json), Some(42));
        assert_eq!(created_bid_id(&serde_json::json!([])), None);
    }
}
