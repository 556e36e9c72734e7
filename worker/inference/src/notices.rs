//! The chain events the inference server acts on, decoded from ABCI events with
//! `deai_framework::parse_typed_event`. An event that does not decode is logged and
//! skipped, never fatal.

use deai_client::events::ChainEvent;
use deai_framework::events::{parse_typed_event, Event};
use deai_proto::inference::v1 as pb;
use prost::Name;

#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Requested(pb::EventInferenceRequested),
    Completed(pb::EventRequestCompleted),
    Expired(pb::EventRequestExpired),
    /// An answer (the watchdog checks optimistic ones: `bond` set, no proof).
    Submitted(pb::EventInferenceSubmitted),
    /// A challenge of an optimistic answer (ours: defended).
    ChallengeOpened(pb::EventChallengeOpened),
    /// A redundant request without strict majority: a dispute.
    Tie(pb::EventRedundantTie),
    /// A dispute found the output wrong.
    Refuted(pb::EventRequestRefuted),
}

/// Decodes one ABCI event; `None` for events the server does not watch.
pub fn decode(kind: &str, attributes: Vec<(String, String)>) -> Option<Result<Notice, String>> {
    let e = Event {
        kind: kind.to_string(),
        attributes,
    };
    let n = if kind == pb::EventInferenceRequested::full_name() {
        parse_typed_event(&e).map(Notice::Requested)
    } else if kind == pb::EventRequestCompleted::full_name() {
        parse_typed_event(&e).map(Notice::Completed)
    } else if kind == pb::EventRequestExpired::full_name() {
        parse_typed_event(&e).map(Notice::Expired)
    } else if kind == pb::EventInferenceSubmitted::full_name() {
        parse_typed_event(&e).map(Notice::Submitted)
    } else if kind == pb::EventChallengeOpened::full_name() {
        parse_typed_event(&e).map(Notice::ChallengeOpened)
    } else if kind == pb::EventRedundantTie::full_name() {
        parse_typed_event(&e).map(Notice::Tie)
    } else if kind == pb::EventRequestRefuted::full_name() {
        parse_typed_event(&e).map(Notice::Refuted)
    } else {
        return None;
    };
    Some(n)
}

/// The notices of one delivery, in emission order.
pub fn notices(ev: &ChainEvent) -> Vec<Notice> {
    let mut out = Vec::new();
    for e in &ev.events {
        let attrs = e
            .attributes
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect();
        match decode(&e.kind, attrs) {
            None => {}
            Some(Ok(n)) => out.push(n),
            Some(Err(err)) => {
                tracing::warn!(height = ev.height, kind = %e.kind, error = %err, "skipping an undecodable event")
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use deai_client::events::{Attribute, Event as ClientEvent, Source};
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
    fn typed_events_decode_and_forged_or_other_events_are_skipped() {
        let req = pb::EventInferenceRequested {
            request_id: 7,
            model_id: 1,
            requester: "deai1r".into(),
            deadline: 40,
            servers: vec!["deai1s".into()],
            ..Default::default()
        };
        let exp = pb::EventRequestExpired {
            request_id: 3,
            model_id: 1,
            ..Default::default()
        };
        let ev = ChainEvent {
            height: 9,
            source: Source::NewBlock,
            events: vec![
                client_event(Event::new("transfer").attr("amount", "1udeai")),
                client_event(typed_event(&req)),
                client_event(
                    Event::new("deai.inference.v1.EventInferenceRequested").attr("request_id", "x"),
                ),
                client_event(typed_event(&exp)),
            ],
        };
        assert_eq!(
            notices(&ev),
            vec![Notice::Requested(req), Notice::Expired(exp)]
        );
    }

    #[test]
    fn dispute_events_decode() {
        let sub = pb::EventInferenceSubmitted {
            request_id: 4,
            server: "deai1s".into(),
            output: vec![-3, 9],
            proof_verified: false,
            verify_gas: 0,
            bond: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                denom: "udeai".into(),
                amount: "1000000".into(),
            }),
        };
        let ch = pb::EventChallengeOpened {
            request_id: 4,
            challenger: "deai1c".into(),
            bond: None,
            response_deadline: 60,
        };
        let tie = pb::EventRedundantTie {
            request_id: 5,
            submitted_servers: vec!["deai1a".into(), "deai1b".into()],
            dispute_deadline: 70,
        };
        let refuted = pb::EventRequestRefuted {
            request_id: 4,
            model_id: 1,
            ..Default::default()
        };
        let ev = ChainEvent {
            height: 9,
            source: Source::Tx {
                hash: "AB".into(),
                index: 0,
            },
            events: vec![
                client_event(typed_event(&sub)),
                client_event(typed_event(&ch)),
                client_event(typed_event(&tie)),
                client_event(typed_event(&refuted)),
                client_event(
                    Event::new("deai.inference.v1.EventChallengeOpened").attr("request_id", "[1]"),
                ),
            ],
        };
        assert_eq!(
            notices(&ev),
            vec![
                Notice::Submitted(sub),
                Notice::ChallengeOpened(ch),
                Notice::Tie(tie),
                Notice::Refuted(refuted)
            ]
        );
    }
}
