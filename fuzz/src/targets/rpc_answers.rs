//! `rpc-answers`: what deai's clients, CLI and worker daemons make of a node's RPC answers,
//! when the node is hostile. Real answers of a CometBFT v0.38 node running deaid
//! (`fuzz/seeds/rpc/`, captured by its `capture.sh`), mutated as bytes and as JSON values,
//! go through:
//! - the websocket classifier (`deai_rpc::ws::classify`) and the event decoder
//!   (`deai_client::events::from_rpc_event`), then every sample query's filter;
//! - the polling path: `block_results` and `block` answers into
//!   `deai_client::events::events_of_height`;
//! - tendermint-rpc's decoding of every other answer deai reads, and the CLI's `TxResponse`;
//! - subscription queries into `Filter::parse`.
//!
//! Every answer is decoded through `deai_rpc::decode`, as the clients do: it turns a panic of
//! tendermint-rpc's base64 decoder (subtle-encoding 0.5.1, found by this target) into an
//! error, and the harness counts those as contained, not as bugs.
//!
//! Oracles besides "no panic": results of one height are refused for another; an event is
//! only ever filtered as the kind it is; a query is kept as written (the websocket
//! subscribes with that text: tendermint-rpc's printed form escapes `\` and `'`, which no
//! parser undoes, as this target's first run showed).

use deai_client::events::{events_of_height, from_rpc_event, ChainEvent, Filter};
use deai_rpc::decode;
use deai_rpc::ws::{classify, Incoming};
use serde_json::Value;
use tendermint_rpc::endpoint::{
    abci_info, abci_query, block, block_results, broadcast, genesis_chunked, status, tx, tx_search,
    validators,
};

use crate::harness::Target;
use crate::mutate::mutate;
use crate::rng::Rng;

/// The captured answers, by what they answer.
const SEEDS: &[(Kind, &str)] = &[
    (
        Kind::Ws,
        include_str!("../../seeds/rpc/ws_subscribe_answer.json"),
    ),
    (Kind::Ws, include_str!("../../seeds/rpc/ws_tx.json")),
    (Kind::Ws, include_str!("../../seeds/rpc/ws_new_block.json")),
    (
        Kind::Height,
        include_str!("../../seeds/rpc/block_results.json"),
    ),
    (Kind::Answer, include_str!("../../seeds/rpc/block.json")),
    (Kind::Answer, include_str!("../../seeds/rpc/status.json")),
    (Kind::Answer, include_str!("../../seeds/rpc/tx.json")),
    (Kind::Answer, include_str!("../../seeds/rpc/tx_search.json")),
    (Kind::Answer, include_str!("../../seeds/rpc/abci_info.json")),
    (
        Kind::Answer,
        include_str!("../../seeds/rpc/abci_query.json"),
    ),
    (
        Kind::Answer,
        include_str!("../../seeds/rpc/broadcast_error.json"),
    ),
    (
        Kind::Answer,
        include_str!("../../seeds/rpc/validators.json"),
    ),
];

/// Queries a deai daemon subscribes with, and edge cases of the grammar.
const QUERIES: &[&str] = &[
    "tm.event='Tx'",
    "tm.event='NewBlock'",
    "tm.event='Tx' AND message.action='/cosmos.bank.v1beta1.MsgSend'",
    "tm.event='Tx' AND transfer.amount EXISTS",
    "tm.event='Tx' AND tx.height > 3 AND tx.height <= 1000000",
    "tm.event='Tx' AND coin_received.receiver CONTAINS 'deai1'",
    "tm.event='NewBlock' AND compute.lease_id = 7",
    "tm.event='Tx' AND tx.fee = '2000udeai' AND tx.acc_seq EXISTS",
];

/// The first byte of an input picks what the rest is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A websocket text message.
    Ws = 0,
    /// A `block_results` answer, then (after a NUL byte) a `block` answer.
    Height = 1,
    /// Any other answer.
    Answer = 2,
    /// A subscription query.
    Query = 3,
}

pub struct RpcAnswers {
    corpus: Vec<Vec<u8>>,
    filters: Vec<Filter>,
    /// Events decoded from the seeds, to filter with mutated queries.
    sample_events: Vec<ChainEvent>,
    events: u64,
    heights: u64,
    answers: u64,
    queries: u64,
}

impl RpcAnswers {
    pub fn new() -> anyhow::Result<Self> {
        let block = SEEDS[4].1.trim_end().as_bytes();
        let mut corpus: Vec<Vec<u8>> = SEEDS
            .iter()
            .map(|(kind, text)| {
                let mut input = vec![*kind as u8];
                input.extend_from_slice(text.trim_end().as_bytes());
                if *kind == Kind::Height {
                    input.push(0);
                    input.extend_from_slice(block);
                }
                input
            })
            .collect();
        for q in QUERIES {
            let mut input = vec![Kind::Query as u8];
            input.extend_from_slice(q.as_bytes());
            corpus.push(input);
        }
        let filters = QUERIES
            .iter()
            .map(|q| Filter::parse(q))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut me = Self {
            corpus,
            filters,
            sample_events: Vec::new(),
            events: 0,
            heights: 0,
            answers: 0,
            queries: 0,
        };
        // The seeds themselves must decode: a stale capture would leave the target fuzzing
        // only the outer error paths.
        for input in me.corpus.clone() {
            let events = me.decode(&input);
            me.sample_events.extend(events);
        }
        anyhow::ensure!(
            me.sample_events.len() >= 4 && me.events >= 2 && me.heights >= 1,
            "the captured seeds no longer decode ({} events); rerun fuzz/seeds/rpc/capture.sh",
            me.sample_events.len()
        );
        Ok(me)
    }

    /// Runs one input; returns the events it decoded to.
    fn decode(&mut self, input: &[u8]) -> Vec<ChainEvent> {
        let Some((&first, rest)) = input.split_first() else {
            return Vec::new();
        };
        let text = String::from_utf8_lossy(rest);
        match first % 4 {
            0 => self.websocket(&text),
            1 => self.height(rest),
            2 => {
                self.answer(&text);
                Vec::new()
            }
            _ => {
                self.query(&text);
                Vec::new()
            }
        }
    }

    fn websocket(&mut self, text: &str) -> Vec<ChainEvent> {
        let id = Value::from(1);
        let mut out = Vec::new();
        for pending in [Some(&id), None] {
            if let Incoming::Event(ev) = classify(text, pending) {
                if let Ok(Some(ev)) = from_rpc_event(*ev) {
                    self.events += 1;
                    self.filter(&ev);
                    out.push(ev);
                }
            }
        }
        out
    }

    fn height(&mut self, input: &[u8]) -> Vec<ChainEvent> {
        let (results, block) = match input.iter().position(|b| *b == 0) {
            Some(i) => (&input[..i], Some(&input[i + 1..])),
            None => (input, None),
        };
        let Ok(results) = decode::<block_results::Response>(results) else {
            return Vec::new();
        };
        let block = block.and_then(|b| decode::<block::Response>(b).ok());
        let txs = block.as_ref().map(|b| b.block.data.as_slice());
        let h = results.height.value();
        let mut out = Vec::new();
        for tx in [true, false] {
            // Another height's results are refused, whatever they hold.
            assert!(
                events_of_height(h.wrapping_add(1), &results, txs, tx).is_err(),
                "results of height {h} accepted for {}",
                h.wrapping_add(1)
            );
            if let Ok(events) = events_of_height(h, &results, txs, tx) {
                self.heights += 1;
                for ev in events {
                    assert_eq!(ev.height, h);
                    self.filter(&ev);
                    out.push(ev);
                }
            }
        }
        out
    }

    fn filter(&self, ev: &ChainEvent) {
        for f in &self.filters {
            let tx_event = ev.tx_hash().is_some();
            if f.matches(ev) {
                assert_eq!(
                    f.is_tx(),
                    tx_event,
                    "a filter matched another kind of event"
                );
            }
        }
    }

    fn answer(&mut self, text: &str) {
        let decoded = [
            decode::<status::Response>(text).is_ok(),
            decode::<block::Response>(text).is_ok(),
            decode::<tx_search::Response>(text).is_ok(),
            decode::<abci_info::Response>(text).is_ok(),
            decode::<abci_query::Response>(text).is_ok(),
            decode::<broadcast::tx_sync::Response>(text).is_ok(),
            decode::<validators::Response>(text).is_ok(),
            decode::<genesis_chunked::Response>(text).is_ok(),
            match decode::<tx::Response>(text) {
                Ok(r) => {
                    let printed = deai_client::TxResponse::committed(r);
                    serde_json::to_string(&printed).is_ok()
                }
                Err(_) => false,
            },
        ];
        if decoded.contains(&true) {
            self.answers += 1;
        }
    }

    fn query(&mut self, text: &str) {
        let Ok(f) = Filter::parse(text) else {
            return;
        };
        self.queries += 1;
        assert_eq!(f.text(), text, "the query is not kept as written");
        for ev in &self.sample_events {
            let matched = f.matches(ev);
            assert!(!matched || f.is_tx() == ev.tx_hash().is_some());
        }
    }
}

impl Target for RpcAnswers {
    fn name(&self) -> &'static str {
        "rpc-answers"
    }

    fn next_input(&mut self, rng: &mut Rng) -> Vec<u8> {
        if rng.one_in(16) {
            return rng.bytes_upto(300);
        }
        let seed = rng.pick(&self.corpus).clone();
        let (kind, body) = seed.split_at(1);
        let mut body = body.to_vec();
        if rng.one_in(2) && kind[0] != Kind::Query as u8 {
            if let Some(mutated) = mutate_json(rng, &body) {
                body = mutated;
            }
        } else {
            body = mutate(rng, &body, &self.corpus);
        }
        let mut input = kind.to_vec();
        input.extend(body);
        input
    }

    fn run(&mut self, input: &[u8]) {
        self.decode(input);
    }

    fn contained_panics(&self) -> &'static [&'static str] {
        &["/subtle-encoding-0.5.1/src/"]
    }

    fn stats(&self) -> String {
        format!(
            "({} events, {} heights, {} answers, {} queries decoded)",
            self.events, self.heights, self.answers, self.queries
        )
    }
}

/// Changes one value somewhere in a JSON document (the part before a NUL byte) to an edge
/// case: byte mutations rarely keep JSON well-formed, so they seldom reach the decoders'
/// field checks.
fn mutate_json(rng: &mut Rng, body: &[u8]) -> Option<Vec<u8>> {
    let end = body.iter().position(|b| *b == 0).unwrap_or(body.len());
    let mut v: Value = serde_json::from_slice(&body[..end]).ok()?;
    let mut slots = Vec::new();
    collect_paths(&v, &mut Vec::new(), &mut slots);
    if slots.is_empty() {
        return None;
    }
    let path = rng.pick(&slots).clone();
    let mut slot = &mut v;
    for step in &path {
        slot = match step {
            Step::Key(k) => slot.get_mut(k.as_str())?,
            Step::Index(i) => slot.get_mut(*i)?,
        };
    }
    *slot = edge_value(rng, slot);
    let mut out = serde_json::to_vec(&v).ok()?;
    out.extend_from_slice(&body[end..]);
    Some(out)
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every value's path, depth-first; bounded, since the seeds are a few kilobytes.
fn collect_paths(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    if out.len() >= 4096 {
        return;
    }
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                at.push(Step::Key(k.clone()));
                collect_paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(xs) => {
            for (i, child) in xs.iter().enumerate() {
                at.push(Step::Index(i));
                collect_paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn edge_value(rng: &mut Rng, old: &Value) -> Value {
    let n = rng.interesting_u64();
    match rng.below(12) {
        0 => Value::Null,
        1 => Value::from(n.to_string()),
        2 => Value::from(format!("-{n}")),
        3 => Value::from(n),
        4 => Value::from(-1),
        5 => Value::from(""),
        6 => Value::from("not base64 or hex!"),
        7 => Value::from("9999-99-99T99:99:99.999999999Z"),
        8 => Value::Array(vec![old.clone(), old.clone()]),
        9 => Value::Object(Default::default()),
        10 => Value::from("A".repeat(rng.below(200))),
        _ => match old {
            Value::String(s) => Value::from(format!("{s}{s}")),
            other => Value::from(other.to_string()),
        },
    }
}
