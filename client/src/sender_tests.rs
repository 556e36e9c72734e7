//! TxSender against a scripted CometBFT JSON-RPC node (HTTP on a loopback port): the sequence
//! it signs with, the retry after a sequence mismatch, Simulate, and waiting for the commit.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::GasInfo;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, SimulateResponse, TxRaw};
use prost::{Message, Name};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::txbuilder::to_any;

/// What the scripted node knows and has seen.
#[derive(Default)]
struct Node {
    /// The account's sequence in the last block (`/cosmos.auth.v1beta1.Query/Account`).
    committed_sequence: u64,
    /// The sequence CheckTx (and Simulate) expects next: committed + txs in the mempool.
    check_sequence: u64,
    /// No account at all.
    no_account: bool,
    /// Another sender's txs: CheckTx's expected sequence moves by this after each mismatch.
    drift: u64,
    /// CheckTx refuses every tx with this (codespace sdk) code.
    reject_code: Option<u32>,
    /// `tx` lookups answered "not found" before the tx shows up.
    pending_lookups: u32,
    /// Sequence and gas limit of every tx broadcast.
    broadcast: Vec<(u64, u64)>,
    last_tx: Vec<u8>,
    /// A hostile node: it answers a broadcast and a lookup with another tx's hash.
    lies: bool,
}

fn abci(code: u32, log: &str, value: &[u8]) -> Value {
    json!({"response": {"code": code, "log": log, "info": "", "index": "0", "key": "",
        "value": B64.encode(value), "proofOps": null, "height": "1",
        "codespace": if code == 0 { "" } else { "sdk" }}})
}

fn mismatch(n: &Node, got: u64) -> String {
    let expected = n.check_sequence;
    format!("account sequence mismatch, expected {expected}, got {got}: incorrect account sequence")
}

/// The `result` (or JSON-RPC error) of one call.
fn answer(node: &Mutex<Node>, method: &str, params: &Value) -> Result<Value, Value> {
    let mut n = node.lock().unwrap();
    match method {
        "abci_query" => {
            let path = params["path"].as_str().unwrap_or_default();
            let data = hex::decode(params["data"].as_str().unwrap_or_default()).unwrap();
            if path == SIMULATE_PATH {
                let req = SimulateRequest::decode(data.as_slice()).unwrap();
                let seq = signed_sequence(&req.tx_bytes);
                if seq != n.check_sequence {
                    return Ok(abci(sdk::WRONG_SEQUENCE, &mismatch(&n, seq), &[]));
                }
                let res = SimulateResponse {
                    gas_info: Some(GasInfo {
                        gas_wanted: 0,
                        gas_used: 1000,
                    }),
                    result: None,
                };
                return Ok(abci(0, "", &res.encode_to_vec()));
            }
            if n.no_account {
                return Ok(abci(sdk::KEY_NOT_FOUND, "account not found", &[]));
            }
            let req = QueryAccountRequest::decode(data.as_slice()).unwrap();
            let account = BaseAccount {
                address: req.address,
                pub_key: None,
                account_number: 4,
                sequence: n.committed_sequence,
            };
            let res = QueryAccountResponse {
                account: Some(cosmos_sdk_proto::Any {
                    type_url: BaseAccount::type_url(),
                    value: account.encode_to_vec(),
                }),
            };
            Ok(abci(0, "", &res.encode_to_vec()))
        }
        "broadcast_tx_sync" => {
            let tx = B64.decode(params["tx"].as_str().unwrap()).unwrap();
            let raw = TxRaw::decode(tx.as_slice()).unwrap();
            let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
            let seq = auth.signer_infos[0].sequence;
            n.broadcast.push((seq, auth.fee.unwrap().gas_limit));
            let hash = match n.lies {
                true => crate::txbuilder::tx_hash(b"another tx"),
                false => crate::txbuilder::tx_hash(&tx),
            };
            n.last_tx = tx;
            let (code, log) = if seq != n.check_sequence {
                let log = mismatch(&n, seq);
                n.check_sequence += n.drift;
                (sdk::WRONG_SEQUENCE, log)
            } else if let Some(code) = n.reject_code {
                (code, "refused".to_string())
            } else {
                n.check_sequence += 1;
                (0, String::new())
            };
            Ok(json!({"code": code, "data": "", "log": log,
                "codespace": if code == 0 { "" } else { "sdk" }, "hash": hash}))
        }
        "tx" => {
            if n.pending_lookups > 0 {
                n.pending_lookups -= 1;
                return Err(json!({"code": -32603, "message": "Internal error",
                    "data": "tx (ABCD) not found"}));
            }
            let hash = match n.lies {
                true => crate::txbuilder::tx_hash(b"another tx"),
                false => crate::txbuilder::tx_hash(&n.last_tx),
            };
            Ok(json!({"hash": hash, "height": "7", "index": 0,
                "tx_result": {"code": 0, "data": "", "log": "", "info": "", "gas_wanted": "9",
                    "gas_used": "8", "events": [], "codespace": ""},
                "tx": B64.encode(&n.last_tx)}))
        }
        other => Err(json!({"code": -32601, "message": "Method not found", "data": other})),
    }
}

fn signed_sequence(tx: &[u8]) -> u64 {
    let raw = TxRaw::decode(tx).unwrap();
    AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .unwrap()
        .signer_infos[0]
        .sequence
}

/// Serves JSON-RPC over HTTP/1.1, one request a connection; returns its URL.
async fn serve(node: Arc<Mutex<Node>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let node = node.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let body = loop {
                    let mut chunk = [0u8; 4096];
                    let n = conn.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let len: usize = text[..end]
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break buf[end + 4..end + 4 + len].to_vec();
                    }
                };
                let req: Value = serde_json::from_slice(&body).unwrap();
                let method = req["method"].as_str().unwrap_or_default();
                let reply = match answer(&node, method, &req["params"]) {
                    Ok(result) => json!({"jsonrpc": "2.0", "id": req["id"], "result": result}),
                    Err(error) => json!({"jsonrpc": "2.0", "id": req["id"], "error": error}),
                };
                let reply = reply.to_string();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    reply.len()
                );
                let _ = conn.write_all(head.as_bytes()).await;
                let _ = conn.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}

async fn sender(node: &Arc<Mutex<Node>>, gas: GasSetting) -> anyhow::Result<TxSender> {
    let url = serve(node.clone()).await;
    let (_, key) = AccountKey::generate().unwrap();
    let opts = SendOptions {
        chain_id: Some("deai-test".into()),
        gas,
        ..SendOptions::default()
    };
    TxSender::new(NodeClient::new(&url)?, key, opts).await
}

fn msgs(s: &TxSender) -> Vec<Any> {
    vec![to_any(&cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: s.address().to_bech32(),
        to_address: s.address().to_bech32(),
        amount: vec![crate::txbuilder::coin("udeai", 1)],
    })]
}

fn node(sequence: u64) -> Arc<Mutex<Node>> {
    Arc::new(Mutex::new(Node {
        committed_sequence: sequence,
        check_sequence: sequence,
        ..Node::default()
    }))
}

#[tokio::test]
async fn sequences_advance_only_on_acceptance_and_resync_once() {
    let n = node(5);
    let mut s = sender(&n, GasSetting::Fixed(100_000)).await.unwrap();
    assert_eq!((s.sequence(), s.chain_id()), (5, "deai-test"));
    for _ in 0..2 {
        assert_eq!(s.broadcast(msgs(&s)).await.unwrap().code, 0);
    }
    assert_eq!(s.sequence(), 7);

    // Another process put two txs in the mempool: CheckTx expects 9, the last block says 7.
    {
        let mut g = n.lock().unwrap();
        g.committed_sequence = 7;
        g.check_sequence = 9;
    }
    let r = s.broadcast(msgs(&s)).await.unwrap();
    assert_eq!(r.code, 0, "{}", r.raw_log);
    assert_eq!(s.sequence(), 10);

    // A refusal other than the sequence is returned as is, and the sequence stays.
    n.lock().unwrap().reject_code = Some(sdk::INSUFFICIENT_FUNDS);
    let r = s.broadcast(msgs(&s)).await.unwrap();
    assert_eq!((r.code, r.codespace.as_str()), (5, "sdk"));
    assert_eq!(s.sequence(), 10);
    let e = s.send_and_wait(msgs(&s)).await.unwrap_err().to_string();
    assert!(e.contains("refused (codespace sdk, code 5)"), "{e}");

    // Far behind: one failed try, then the sequence the node said it expected.
    {
        let mut g = n.lock().unwrap();
        g.reject_code = None;
        g.check_sequence = 20;
    }
    let seen = n.lock().unwrap().broadcast.len();
    let r = s.broadcast(msgs(&s)).await.unwrap();
    assert_eq!(r.code, 0);
    {
        let g = n.lock().unwrap();
        let tries: Vec<u64> = g.broadcast[seen..].iter().map(|b| b.0).collect();
        assert_eq!(
            tries,
            vec![10, 20],
            "one failed try, one retry at the expected sequence"
        );
        assert!(g.broadcast.iter().all(|b| b.1 == 100_000), "fixed gas");
    }

    // Only one retry: when the expectation moves again, the refusal is the answer.
    {
        let mut g = n.lock().unwrap();
        g.check_sequence = 30;
        g.drift = 1;
    }
    let seen = n.lock().unwrap().broadcast.len();
    let r = s.broadcast(msgs(&s)).await.unwrap();
    assert_eq!((r.code, r.codespace.as_str()), (32, "sdk"), "{}", r.raw_log);
    let tries: Vec<u64> = n.lock().unwrap().broadcast[seen..]
        .iter()
        .map(|b| b.0)
        .collect();
    assert_eq!(tries, vec![21, 30]);
    assert_eq!(s.sequence(), 30, "not advanced: the next tx tries 30 first");
}

#[tokio::test]
async fn auto_gas_simulates_and_waits_for_the_commit() {
    let n = node(3);
    let mut s = sender(&n, GasSetting::Auto { adjustment: 1.5 })
        .await
        .unwrap();
    let p = s.prepare(&msgs(&s)).await.unwrap();
    // 1000 used: 1000 × 1.5 is below the headroom floor, 1000 + MIN_GAS_HEADROOM.
    assert_eq!(p.gas_limit, 301_000);
    assert_eq!(p.fee.to_string(), "7525udeai", "ceil(301000 × 0.025)");

    // Simulate with a stale sequence resyncs too.
    n.lock().unwrap().check_sequence = 4;
    n.lock().unwrap().pending_lookups = 2;
    let r = s.send_and_wait(msgs(&s)).await.unwrap();
    assert_eq!(
        (r.height.as_str(), r.code, r.gas_used.as_str()),
        ("7", 0, "8")
    );
    assert_eq!(n.lock().unwrap().broadcast, vec![(4, 301_000)]);
    assert_eq!(s.sequence(), 5);

    n.lock().unwrap().pending_lookups = u32::MAX;
    s.set_wait_timeout(std::time::Duration::from_millis(300));
    let e = s.send_and_wait(msgs(&s)).await.unwrap_err().to_string();
    assert!(e.contains("was not committed within"), "{e}");
}

#[tokio::test]
async fn a_missing_account_or_a_bad_adjustment_is_an_error() {
    let n = node(0);
    n.lock().unwrap().no_account = true;
    let e = sender(&n, GasSetting::Fixed(1))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("does not exist on chain; fund it first"), "{e}");
    let e = sender(&node(0), GasSetting::Auto { adjustment: 0.5 }).await;
    assert!(e.err().unwrap().to_string().contains("at least 1"));
}

#[tokio::test]
async fn a_node_that_answers_with_another_txs_hash_is_not_believed() {
    let n = node(2);
    let mut s = sender(&n, GasSetting::Fixed(100_000)).await.unwrap();
    n.lock().unwrap().lies = true;
    let e = s.broadcast(msgs(&s)).await.unwrap_err().to_string();
    assert!(e.contains("answered the broadcast with tx hash"), "{e}");
    assert!(e.contains(&crate::txbuilder::tx_hash(b"another tx")), "{e}");

    // The lookup of a committed tx: the node hands back another tx under the asked hash.
    let asked = crate::txbuilder::tx_hash(&n.lock().unwrap().last_tx);
    let e = s.client().tx(&asked).await.unwrap_err().to_string();
    assert!(
        e.contains(&format!("for tx {asked}, it answered with tx")),
        "{e}"
    );
    n.lock().unwrap().lies = false;
    let r = s.client().tx(&asked).await.unwrap().unwrap();
    assert_eq!((r.txhash, r.height.as_str()), (asked, "7"));
}
