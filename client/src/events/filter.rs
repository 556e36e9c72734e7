//! CometBFT query semantics on the polling path: a [`Filter`] answers whether a decoded
//! [`ChainEvent`] would have been delivered by the node's `/subscribe` for the same query.
//!
//! Like CometBFT v0.38's pubsub, the events of one tx (or one block's FinalizeBlock events)
//! are flattened into composite keys `type.attribute`, each with every value it took; the
//! reserved keys `tm.event`, `tx.hash` and `tx.height` are added. A query is a conjunction of
//! conditions, each true when ANY value of its key satisfies it.

use std::collections::BTreeMap;
use std::str::FromStr;

use tendermint_rpc::query::{EventType, Operand, Operation, Query};

use super::{ChainEvent, Source};

/// A parsed subscription query (`tm.event='Tx' AND message.action='...'`).
#[derive(Clone, Debug)]
pub struct Filter {
    query: Query,
    kind: EventType,
    /// The query as written: what the websocket subscribes with (see `deai_rpc::ws::subscribe`).
    text: String,
}

impl Filter {
    /// Parses `query`. It must name one event type (`tm.event='Tx'` or `tm.event='NewBlock'`)
    /// and may not use DATE or TIME operands, which the polling fallback cannot evaluate.
    pub fn parse(query: &str) -> anyhow::Result<Self> {
        let q =
            Query::from_str(query).map_err(|e| anyhow::anyhow!("invalid query {query:?}: {e}"))?;
        let kind = q.event_type.clone().ok_or_else(|| {
            anyhow::anyhow!("query {query:?} must select tm.event='Tx' or tm.event='NewBlock'")
        })?;
        for c in &q.conditions {
            if let Operation::Eq(op)
            | Operation::Lt(op)
            | Operation::Lte(op)
            | Operation::Gt(op)
            | Operation::Gte(op) = &c.operation
            {
                if matches!(op, Operand::Date(_) | Operand::DateTime(_)) {
                    anyhow::bail!("query {query:?}: DATE and TIME operands are not supported");
                }
            }
        }
        Ok(Self {
            query: q,
            kind,
            text: query.to_string(),
        })
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The query as it was written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the query selects tx events (else NewBlock events).
    pub fn is_tx(&self) -> bool {
        self.kind == EventType::Tx
    }

    /// Whether CometBFT would deliver `ev` to a subscriber of this query.
    pub fn matches(&self, ev: &ChainEvent) -> bool {
        let flat = flatten(ev);
        match (&ev.source, &self.kind) {
            (Source::Tx { .. }, EventType::Tx) | (Source::NewBlock, EventType::NewBlock) => {}
            _ => return false,
        }
        self.query
            .conditions
            .iter()
            .all(|c| condition_matches(&flat, &c.key, &c.operation))
    }
}

/// The composite-key map CometBFT's pubsub matches queries against.
pub fn flatten(ev: &ChainEvent) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &ev.events {
        if e.kind.is_empty() {
            continue;
        }
        for a in &e.attributes {
            if a.key.is_empty() {
                continue;
            }
            m.entry(format!("{}.{}", e.kind, a.key))
                .or_default()
                .push(a.value.clone());
        }
    }
    match &ev.source {
        Source::Tx { hash, .. } => {
            m.entry("tm.event".into()).or_default().push("Tx".into());
            m.entry("tx.hash".into()).or_default().push(hash.clone());
            m.entry("tx.height".into())
                .or_default()
                .push(ev.height.to_string());
        }
        Source::NewBlock => {
            m.entry("tm.event".into())
                .or_default()
                .push("NewBlock".into());
        }
    }
    m
}

fn condition_matches(flat: &BTreeMap<String, Vec<String>>, key: &str, op: &Operation) -> bool {
    match flat.get(key) {
        Some(values) if !values.is_empty() => values.iter().any(|v| value_matches(v, op)),
        // CometBFT: a key naming an event type alone (`transfer EXISTS`) matches "".
        _ => {
            let is_type = flat
                .keys()
                .any(|k| k.rsplit_once('.').is_some_and(|(t, _)| t == key));
            is_type && value_matches("", op)
        }
    }
}

fn value_matches(v: &str, op: &Operation) -> bool {
    use std::cmp::Ordering::*;
    let cmp = |o: &Operand| compare(v, o);
    match op {
        Operation::Exists => true,
        Operation::Contains(s) => v.contains(s.as_str()),
        Operation::Eq(Operand::String(s)) => v == s,
        Operation::Eq(o) => cmp(o) == Some(Equal),
        Operation::Lt(o) => cmp(o) == Some(Less),
        Operation::Lte(o) => matches!(cmp(o), Some(Less | Equal)),
        Operation::Gt(o) => cmp(o) == Some(Greater),
        Operation::Gte(o) => matches!(cmp(o), Some(Greater | Equal)),
    }
}

/// A numeric comparison of an attribute value with an operand. Like CometBFT, a value such
/// as `100udeai` compares by its leading number; strings compare only with `=`.
fn compare(v: &str, o: &Operand) -> Option<std::cmp::Ordering> {
    let n = parse_number(v)?;
    match o {
        Operand::Unsigned(u) => Some(n.cmp_int(i128::from(*u))),
        Operand::Signed(i) => Some(n.cmp_int(i128::from(*i))),
        Operand::Float(f) => n.as_f64().partial_cmp(f),
        _ => None,
    }
}

enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn cmp_int(&self, o: i128) -> std::cmp::Ordering {
        match self {
            Num::Int(i) => i.cmp(&o),
            Num::Float(f) => f
                .partial_cmp(&(o as f64))
                .unwrap_or(std::cmp::Ordering::Less),
        }
    }
    fn as_f64(&self) -> f64 {
        match self {
            Num::Int(i) => *i as f64,
            Num::Float(f) => *f,
        }
    }
}

/// CometBFT's `parseNumber`: a whole integer, else the leading `\d+(\.\d+)?`.
fn parse_number(s: &str) -> Option<Num> {
    if let Ok(i) = s.parse::<i128>() {
        return Some(Num::Int(i));
    }
    let int_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if int_end == 0 {
        return None;
    }
    let rest = &s[int_end..];
    let frac = rest
        .strip_prefix('.')
        .map(|r| r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len()))
        .filter(|n| *n > 0);
    match frac {
        Some(n) => s[..int_end + 1 + n].parse().ok().map(Num::Float),
        None => s[..int_end].parse().ok().map(Num::Int),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Attribute, Event};

    fn send_tx(height: u64, amount: &str) -> ChainEvent {
        let ev = |kind: &str, attrs: &[(&str, &str)]| Event {
            kind: kind.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| Attribute {
                    key: (*k).into(),
                    value: (*v).into(),
                })
                .collect(),
        };
        ChainEvent {
            height,
            source: Source::Tx {
                hash: "AB".repeat(32),
                index: 0,
            },
            events: vec![
                ev("tx", &[("fee", "2500udeai")]),
                ev("message", &[("action", "/cosmos.bank.v1beta1.MsgSend")]),
                ev("transfer", &[("recipient", "deai1a"), ("amount", amount)]),
                ev("transfer", &[("recipient", "deai1b"), ("amount", "7udeai")]),
            ],
        }
    }

    fn m(q: &str, ev: &ChainEvent) -> bool {
        Filter::parse(q).unwrap().matches(ev)
    }

    #[test]
    fn event_type_and_string_equality() {
        let tx = send_tx(5, "1000udeai");
        assert!(m("tm.event='Tx'", &tx));
        assert!(!m("tm.event='NewBlock'", &tx));
        assert!(m(
            "tm.event='Tx' AND message.action='/cosmos.bank.v1beta1.MsgSend'",
            &tx
        ));
        assert!(!m("tm.event='Tx' AND message.action='/x.MsgOther'", &tx));
        assert!(!m("tm.event='Tx' AND message.sender='deai1a'", &tx));
        let hash = "AB".repeat(32);
        assert!(m(&format!("tm.event='Tx' AND tx.hash='{hash}'"), &tx));
        assert!(m("tm.event='Tx' AND tx.height=5", &tx));
        assert!(!m("tm.event='Tx' AND tx.height=6", &tx));
    }

    #[test]
    fn a_backslash_is_literal_and_the_written_query_is_kept() {
        let mut tx = send_tx(5, "1000udeai");
        tx.events.push(Event {
            kind: "memo".into(),
            attributes: vec![Attribute {
                key: "text".into(),
                value: r"a\b".into(),
            }],
        });
        let q = r"tm.event='Tx' AND memo.text='a\b'";
        let f = Filter::parse(q).unwrap();
        assert!(f.matches(&tx));
        // The websocket subscribes with this text: tendermint-rpc prints it escaped, and
        // neither its parser nor CometBFT's would undo that.
        assert_eq!(f.text(), q);
        assert!(f.query().to_string().contains(r"'a\\b'"));
    }

    #[test]
    fn any_value_of_a_key_satisfies_a_condition() {
        let tx = send_tx(5, "1000udeai");
        assert!(m("tm.event='Tx' AND transfer.recipient='deai1b'", &tx));
        assert!(m(
            "tm.event='Tx' AND transfer.recipient='deai1a' AND transfer.amount='7udeai'",
            &tx
        ));
        assert!(m("tm.event='Tx' AND transfer.recipient CONTAINS '1b'", &tx));
        assert!(!m(
            "tm.event='Tx' AND transfer.recipient CONTAINS 'zz'",
            &tx
        ));
    }

    #[test]
    fn exists_and_type_only_keys() {
        let tx = send_tx(5, "1000udeai");
        assert!(m("tm.event='Tx' AND transfer.amount EXISTS", &tx));
        assert!(m("tm.event='Tx' AND transfer EXISTS", &tx));
        assert!(!m("tm.event='Tx' AND burn.amount EXISTS", &tx));
        assert!(!m("tm.event='Tx' AND burn EXISTS", &tx));
    }

    #[test]
    fn numbers_compare_by_their_leading_digits() {
        let tx = send_tx(5, "1000udeai");
        assert!(m("tm.event='Tx' AND transfer.amount > 999", &tx));
        assert!(m("tm.event='Tx' AND transfer.amount >= 1000", &tx));
        assert!(m("tm.event='Tx' AND transfer.amount = 7", &tx));
        assert!(!m("tm.event='Tx' AND transfer.amount > 1000", &tx));
        assert!(m("tm.event='Tx' AND transfer.amount < 7.5", &tx));
        assert!(m("tm.event='Tx' AND tx.height <= 5 AND tx.height > 4", &tx));
        assert!(parse_number("abc").is_none());
        assert!(matches!(parse_number("6.5stake"), Some(Num::Float(f)) if f == 6.5));
        assert!(matches!(parse_number("8."), Some(Num::Int(8))));
    }

    #[test]
    fn new_block_events() {
        let mut b = send_tx(9, "1udeai");
        b.source = Source::NewBlock;
        assert!(m("tm.event='NewBlock'", &b));
        assert!(!m("tm.event='Tx'", &b));
        assert!(m("tm.event='NewBlock' AND transfer.amount EXISTS", &b));
        assert!(!m("tm.event='NewBlock' AND tx.hash EXISTS", &b));
    }

    #[test]
    fn queries_without_an_event_type_or_with_dates_are_refused() {
        assert!(Filter::parse("message.action='x'").is_err());
        assert!(Filter::parse("tm.event='Tx' AND block.time > DATE 2020-01-01").is_err());
        assert!(Filter::parse("tm.event='Tx' AND").is_err());
        assert!(Filter::parse("tm.event='Tx'").unwrap().is_tx());
        assert!(!Filter::parse("tm.event='NewBlock'").unwrap().is_tx());
    }
}
