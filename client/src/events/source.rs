//! Decoding CometBFT events into [`ChainEvent`]s, from a websocket subscription or from a
//! block's results (the polling fallback).

use deai_rpc::HttpClient;
use tendermint::abci;
use tendermint::block::Height;
use tendermint_rpc::endpoint::block_results;
use tendermint_rpc::event::{Event as RpcEvent, EventData};
use tendermint_rpc::Client as _;

use super::{Attribute, ChainEvent, Event, Source};
use crate::txbuilder::tx_hash;

pub fn decode_abci(events: &[abci::Event]) -> Vec<Event> {
    events
        .iter()
        .map(|e| Event {
            kind: e.kind.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| Attribute {
                    key: a.key_str().unwrap_or_default().to_string(),
                    value: a.value_str().unwrap_or_default().to_string(),
                })
                .collect(),
        })
        .collect()
}

/// A websocket event as a [`ChainEvent`]; None for event kinds this module does not deliver.
pub fn from_rpc_event(ev: RpcEvent) -> anyhow::Result<Option<ChainEvent>> {
    match ev.data {
        EventData::Tx { tx_result } => {
            // CometBFT's JSON omits an index of 0 (`omitempty`).
            let index = tx_result.index.unwrap_or(0);
            Ok(Some(ChainEvent {
                height: u64::try_from(tx_result.height)?,
                source: Source::Tx {
                    hash: tx_hash(&tx_result.tx),
                    index: u32::try_from(index)?,
                },
                events: decode_abci(&tx_result.result.events),
            }))
        }
        EventData::NewBlock {
            block,
            result_finalize_block,
            ..
        } => {
            let block = block.ok_or_else(|| anyhow::anyhow!("NewBlock event without a block"))?;
            Ok(Some(ChainEvent {
                height: block.header.height.value(),
                source: Source::NewBlock,
                events: result_finalize_block
                    .map(|r| decode_abci(&r.events))
                    .unwrap_or_default(),
            }))
        }
        _ => Ok(None),
    }
}

/// The events of one height as a subscription to tx events (`tx`) or NewBlock events would
/// deliver them, before filtering. Errors while the height's results are not stored yet.
pub async fn fetch_height(
    http: &HttpClient,
    height: u64,
    tx: bool,
) -> anyhow::Result<Vec<ChainEvent>> {
    let h = Height::try_from(height)?;
    let results = http.block_results(h).await?;
    let needs_block = tx && results.txs_results.as_ref().is_some_and(|r| !r.is_empty());
    let block = match needs_block {
        true => Some(http.block(h).await?.block),
        false => None,
    };
    if let Some(got) = block
        .as_ref()
        .map(|b| b.header.height)
        .filter(|got| *got != h)
    {
        anyhow::bail!("asked for block {height}, got block {got}");
    }
    events_of_height(
        height,
        &results,
        block.as_ref().map(|b| b.data.as_slice()),
        tx,
    )
}

/// [`fetch_height`] on the node's answers: `results` of `block_results`, `txs` the block's
/// txs (needed only for tx events of a block that has some). Pure, so that the fuzzer can
/// feed it hostile answers; a node whose answers disagree gets an error, not a guess.
pub fn events_of_height(
    height: u64,
    results: &block_results::Response,
    txs: Option<&[Vec<u8>]>,
    tx: bool,
) -> anyhow::Result<Vec<ChainEvent>> {
    if results.height.value() != height {
        anyhow::bail!(
            "asked for the results of block {height}, got block {}",
            results.height
        );
    }
    if !tx {
        return Ok(vec![ChainEvent {
            height,
            source: Source::NewBlock,
            events: decode_abci(&results.finalize_block_events),
        }]);
    }
    let txs_results = results.txs_results.as_deref().unwrap_or_default();
    if txs_results.is_empty() {
        return Ok(vec![]);
    }
    let txs = txs.ok_or_else(|| anyhow::anyhow!("block {height}: its txs are needed"))?;
    if txs.len() != txs_results.len() {
        anyhow::bail!(
            "block {height} has {} txs but {} results",
            txs.len(),
            txs_results.len()
        );
    }
    txs.iter()
        .zip(txs_results)
        .enumerate()
        .map(|(i, (bytes, r))| {
            Ok(ChainEvent {
                height,
                source: Source::Tx {
                    hash: tx_hash(bytes),
                    index: u32::try_from(i)?,
                },
                events: decode_abci(&r.events),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tendermint_rpc::event::{TxInfo, TxResult};

    fn abci_events() -> Vec<abci::Event> {
        vec![abci::Event::new(
            "transfer",
            [("recipient", "deai1x"), ("amount", "5udeai")],
        )]
    }

    #[test]
    fn decodes_a_websocket_tx_event() {
        let ev = RpcEvent {
            query: "tm.event='Tx'".into(),
            data: EventData::Tx {
                tx_result: TxInfo {
                    height: 42,
                    index: Some(3),
                    tx: b"abc".to_vec(),
                    result: TxResult {
                        log: None,
                        gas_wanted: None,
                        gas_used: None,
                        events: abci_events(),
                    },
                },
            },
            events: None,
        };
        let ce = from_rpc_event(ev).unwrap().unwrap();
        assert_eq!(ce.height, 42);
        assert_eq!(
            ce.tx_hash(),
            Some("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
        );
        assert_eq!(
            ce.source,
            Source::Tx {
                hash: tx_hash(b"abc"),
                index: 3
            }
        );
        assert_eq!(ce.attribute("transfer", "amount"), Some("5udeai"));
        assert_eq!(ce.attribute("transfer", "sender"), None);
        assert_eq!(
            ce.attributes("transfer", "recipient").collect::<Vec<_>>(),
            vec!["deai1x"]
        );
    }

    #[test]
    fn other_websocket_events_are_skipped_and_a_missing_index_is_0() {
        let generic = RpcEvent {
            query: String::new(),
            data: EventData::GenericJsonEvent(serde_json::json!({})),
            events: None,
        };
        assert!(from_rpc_event(generic).unwrap().is_none());
        let no_index = RpcEvent {
            query: String::new(),
            data: EventData::Tx {
                tx_result: TxInfo {
                    height: 1,
                    index: None,
                    tx: vec![],
                    result: TxResult {
                        log: None,
                        gas_wanted: None,
                        gas_used: None,
                        events: vec![],
                    },
                },
            },
            events: None,
        };
        let ev = from_rpc_event(no_index).unwrap().unwrap();
        assert!(matches!(ev.source, Source::Tx { index: 0, .. }));
        let negative = RpcEvent {
            query: String::new(),
            data: EventData::Tx {
                tx_result: TxInfo {
                    height: -1,
                    index: None,
                    tx: vec![],
                    result: TxResult {
                        log: None,
                        gas_wanted: None,
                        gas_used: None,
                        events: vec![],
                    },
                },
            },
            events: None,
        };
        assert!(from_rpc_event(negative).is_err());
    }

    #[test]
    fn decodes_abci_attributes() {
        let d = decode_abci(&abci_events());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].kind, "transfer");
        assert_eq!(d[0].attributes[0].key, "recipient");
        assert_eq!(d[0].attributes[1].value, "5udeai");
    }

    /// A `block_results` answer for height 5 with one tx's results, as CometBFT v0.38 writes it.
    fn results_of_5() -> block_results::Response {
        use tendermint_rpc::response::Response as _;
        block_results::Response::from_string(
            r#"{"jsonrpc":"2.0","id":1,"result":{"height":"5","txs_results":[{"code":0,
            "data":null,"log":"","info":"","gas_wanted":"9","gas_used":"8","events":[{"type":
            "transfer","attributes":[{"key":"amount","value":"5udeai","index":true}]}],
            "codespace":""}],"finalize_block_events":[{"type":"mint","attributes":[]}],
            "validator_updates":[],"consensus_param_updates":null,"app_hash":""}}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_heights_results_become_its_events_and_are_refused_for_another_height() {
        let r = results_of_5();
        let txs = vec![b"abc".to_vec()];
        let tx_events = events_of_height(5, &r, Some(&txs), true).unwrap();
        assert_eq!(tx_events.len(), 1);
        assert_eq!(tx_events[0].height, 5);
        assert_eq!(tx_events[0].tx_hash(), Some(tx_hash(b"abc").as_str()));
        assert_eq!(tx_events[0].attribute("transfer", "amount"), Some("5udeai"));
        let block = events_of_height(5, &r, None, false).unwrap();
        assert_eq!((block.len(), block[0].events[0].kind.as_str()), (1, "mint"));

        // A node that answers for another height, or whose block and results disagree.
        let e = events_of_height(6, &r, Some(&txs), true).unwrap_err();
        assert!(e.to_string().contains("got block 5"), "{e}");
        assert!(events_of_height(6, &r, None, false).is_err());
        let two = vec![b"abc".to_vec(), b"def".to_vec()];
        let e = events_of_height(5, &r, Some(&two), true).unwrap_err();
        assert!(e.to_string().contains("has 2 txs but 1 results"), "{e}");
        assert!(events_of_height(5, &r, None, true).is_err());
    }
}
