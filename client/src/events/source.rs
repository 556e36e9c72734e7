//! Decoding CometBFT events into [`ChainEvent`]s, from a websocket subscription or from a
//! block's results (the polling fallback).

use deai_rpc::HttpClient;
use sha2::{Digest, Sha256};
use tendermint::abci;
use tendermint::block::Height;
use tendermint_rpc::event::{Event as RpcEvent, EventData};
use tendermint_rpc::Client as _;

use super::{Attribute, ChainEvent, Event, Source};

/// The CometBFT hash of a tx: uppercase hex SHA-256 of its bytes.
pub fn tx_hash_hex(tx: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(tx))
}

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
                    hash: tx_hash_hex(&tx_result.tx),
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
    if !tx {
        return Ok(vec![ChainEvent {
            height,
            source: Source::NewBlock,
            events: decode_abci(&results.finalize_block_events),
        }]);
    }
    let txs_results = results.txs_results.unwrap_or_default();
    if txs_results.is_empty() {
        return Ok(vec![]);
    }
    let block = http.block(h).await?.block;
    if block.data.len() != txs_results.len() {
        anyhow::bail!(
            "block {height} has {} txs but {} results",
            block.data.len(),
            txs_results.len()
        );
    }
    block
        .data
        .iter()
        .zip(&txs_results)
        .enumerate()
        .map(|(i, (bytes, r))| {
            Ok(ChainEvent {
                height,
                source: Source::Tx {
                    hash: tx_hash_hex(bytes),
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
                hash: tx_hash_hex(b"abc"),
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
}
