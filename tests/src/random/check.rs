//! What the network committed: every node's headers compared height by height, the blocks
//! and their results fetched for the replay, and the committed txs counted by outcome.

use std::collections::BTreeMap;

use deai_rpc::HttpClient;
use tendermint::block::Height;
use tendermint_rpc::endpoint::block_results;
use tendermint_rpc::{Client, Paging};

use super::submit::Submitted;
use crate::{rt, Localnet};

/// Blocks `1..=blocks.len()` as the network committed them, with their results and the
/// validator set of each height.
pub struct Chain {
    pub blocks: Vec<tendermint::Block>,
    /// The hash of each block (its BlockID), which FinalizeBlock receives.
    pub hashes: Vec<tendermint::Hash>,
    pub results: Vec<block_results::Response>,
    pub validators: Vec<Vec<tendermint::validator::Info>>,
}

fn height(h: u64) -> Height {
    Height::try_from(h).expect("a valid height")
}

/// Asserts that every node has the same header hashes (app hash, last results hash, block
/// id) at every height `1..=upto`; `seed` names the run in a failure.
pub fn assert_nodes_agree(net: &Localnet, nodes: usize, upto: u64, seed: u64) {
    let rt = rt();
    let clients: Vec<HttpClient> = (0..nodes)
        .map(|i| HttpClient::new(net.rpc(i).as_str()).expect("rpc address"))
        .collect();
    let mut from = 1;
    while from <= upto {
        let to = (from + 19).min(upto);
        let metas: Vec<_> = clients
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut m = rt
                    .block_on(c.blockchain(height(from), height(to)))
                    .unwrap_or_else(|e| panic!("node{i} /blockchain {from}..{to}: {e}"))
                    .block_metas;
                m.sort_by_key(|b| b.header.height);
                assert_eq!(
                    m.len() as u64,
                    to - from + 1,
                    "node{i} lacks blocks {from}..={to}"
                );
                m
            })
            .collect();
        for (k, h) in (from..=to).enumerate() {
            let seen = |i: usize| {
                let b = &metas[i][k];
                (
                    b.header.app_hash.to_string(),
                    b.header.last_results_hash,
                    b.block_id.hash,
                )
            };
            let first = seen(0);
            for i in 1..nodes {
                assert_eq!(
                    seen(i),
                    first,
                    "seed {seed}: node{i} and node0 disagree at height {h} \
                     (app hash, last results hash, block hash)"
                );
            }
        }
        from = to + 1;
    }
}

/// Fetches blocks `1..=upto`, their results and validator sets, from the nodes in turn.
pub fn fetch(net: &Localnet, nodes: usize, upto: u64) -> Chain {
    let rt = rt();
    let clients: Vec<HttpClient> = (0..nodes)
        .map(|i| HttpClient::new(net.rpc(i).as_str()).expect("rpc address"))
        .collect();
    let mut chain = Chain {
        blocks: Vec::new(),
        hashes: Vec::new(),
        results: Vec::new(),
        validators: Vec::new(),
    };
    for h in 1..=upto {
        let c = &clients[h as usize % nodes];
        let b = rt
            .block_on(c.block(height(h)))
            .unwrap_or_else(|e| panic!("/block?height={h}: {e}"));
        let r = rt
            .block_on(c.block_results(height(h)))
            .unwrap_or_else(|e| panic!("/block_results?height={h}: {e}"));
        let v = rt
            .block_on(c.validators(height(h), Paging::All))
            .unwrap_or_else(|e| panic!("/validators?height={h}: {e}"));
        chain.hashes.push(b.block_id.hash);
        chain.blocks.push(b.block);
        chain.results.push(r);
        chain.validators.push(v.validators);
    }
    chain
}

/// The committed txs by module and outcome.
#[derive(Default)]
pub struct Committed {
    /// module → (succeeded, failed)
    pub by_module: BTreeMap<&'static str, (u64, u64)>,
    /// "module label → codespace/code" → count
    pub outcomes: BTreeMap<String, u64>,
    /// Txs in blocks that the run did not submit (the funding tx).
    pub others: u64,
}

impl Committed {
    pub fn total(&self) -> (u64, u64) {
        self.by_module
            .values()
            .fold((0, 0), |(a, b), (x, y)| (a + x, b + y))
    }
}

/// Counts every tx of `chain` by what [`Submitted`] says it was and how it ended.
pub fn tally(chain: &Chain, sent: &Submitted) -> Committed {
    let mut c = Committed::default();
    for (block, results) in chain.blocks.iter().zip(&chain.results) {
        let txs = results.txs_results.as_deref().unwrap_or_default();
        assert_eq!(
            txs.len(),
            block.data.len(),
            "height {}: results do not match the txs",
            block.header.height
        );
        for (tx, r) in block.data.iter().zip(txs) {
            let hash = deai_client::txbuilder::tx_hash(tx);
            let Some((module, label)) = sent.accepted.get(&hash) else {
                c.others += 1;
                continue;
            };
            let e = c.by_module.entry(module).or_default();
            if r.code.is_ok() {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
            let key = format!("{module} {label} → {}/{}", r.codespace, r.code.value());
            *c.outcomes.entry(key).or_default() += 1;
        }
    }
    c
}

/// Asserts that every node's own FinalizeBlock answers agree: each node's `/block_results`
/// (tx results with their events, block events, validator updates, and the app hash its
/// app returned) equals the one in `chain` at every height, and that app hash is the one in
/// the next header.
pub fn assert_results_agree(net: &Localnet, nodes: usize, chain: &Chain, seed: u64) {
    let rt = rt();
    let clients: Vec<HttpClient> = (0..nodes)
        .map(|i| HttpClient::new(net.rpc(i).as_str()).expect("rpc address"))
        .collect();
    for (i, expected) in chain.results.iter().enumerate() {
        let h = i as u64 + 1;
        if let Some(next) = chain.blocks.get(i + 1) {
            assert_eq!(
                expected.app_hash,
                next.header.app_hash,
                "seed {seed}: height {h}: FinalizeBlock's app hash is not block {}'s",
                h + 1
            );
        }
        let expected = serde_json::to_value(expected).expect("results serialize");
        for (n, c) in clients.iter().enumerate() {
            let r = rt
                .block_on(c.block_results(height(h)))
                .unwrap_or_else(|e| panic!("node{n} /block_results?height={h}: {e}"));
            let got = serde_json::to_value(&r).expect("results serialize");
            if got != expected {
                let fields: Vec<&String> = expected
                    .as_object()
                    .map(|o| o.keys().filter(|k| got.get(*k) != o.get(*k)).collect())
                    .unwrap_or_default();
                panic!("seed {seed}: height {h}: node{n}'s block results differ in {fields:?}");
            }
        }
    }
}
