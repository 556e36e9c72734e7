//! The HTTP client against a one-shot local server that answers whatever the test says.
//! (The real node is exercised by the e2e tests, which all go through this client.)

use std::time::Duration;

use tendermint_rpc::Client as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::HttpClient;

/// Serves one connection: reads one request (its head and body), hands it back, and answers
/// with `answer` (None: never answers).
async fn serve_once(answer: Option<String>) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://user:pw@{}/", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            req.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&req).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= len {
                    break;
                }
            }
            assert!(n > 0, "client closed early");
        }
        match answer {
            Some(a) => sock.write_all(a.as_bytes()).await.unwrap(),
            None => tokio::time::sleep(Duration::from_secs(30)).await,
        }
        String::from_utf8_lossy(&req).to_string()
    });
    (url, task)
}

fn http_answer(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_call_posts_json_rpc_with_basic_auth_and_decodes_the_answer() {
    let body = r#"{"jsonrpc":"2.0","id":1,"result":{"response":{"data":"deai","version":"0.1.0","app_version":"1","last_block_height":"7","last_block_app_hash":""}}}"#;
    let (url, server) = serve_once(Some(http_answer("200 OK", body))).await;
    let info = HttpClient::new(&url).unwrap().abci_info().await.unwrap();
    assert_eq!(info.data, "deai");
    assert_eq!(info.last_block_height.value(), 7);
    let req = server.await.unwrap();
    assert!(req.starts_with("POST / HTTP/1.1\r\n"), "{req}");
    // base64("user:pw")
    assert!(
        req.contains("authorization: Basic dXNlcjpwdw==\r\n"),
        "{req}"
    );
    assert!(req.contains(r#""method": "abci_info""#), "{req}");
}

#[tokio::test]
async fn the_nodes_json_rpc_error_comes_back_as_a_response_error() {
    let body = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"tx already exists in cache"}}"#;
    let (url, _server) = serve_once(Some(http_answer("200 OK", body))).await;
    let e = HttpClient::new(&url)
        .unwrap()
        .abci_info()
        .await
        .unwrap_err();
    match e.detail() {
        tendermint_rpc::error::ErrorDetail::Response(r) => {
            assert_eq!(r.source.data(), Some("tx already exists in cache"))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_non_200_status_an_unreachable_node_and_a_silent_one_are_errors() {
    let (url, _server) = serve_once(Some(http_answer("502 Bad Gateway", "{}"))).await;
    let e = HttpClient::new(&url).unwrap().status().await.unwrap_err();
    assert!(e.to_string().contains("502"), "{e}");

    // Nothing listens on a port just released.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = HttpClient::new(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .status()
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("refused"), "{e:?}");

    let (url, _server) = serve_once(None).await;
    let client = HttpClient::with_timeout(&url, Duration::from_millis(300)).unwrap();
    let e = client.status().await.unwrap_err();
    assert!(format!("{e:?}").contains("no answer from"), "{e:?}");
}

#[tokio::test]
async fn an_answer_that_is_not_json_rpc_is_a_parse_error_not_a_panic() {
    let (url, _server) = serve_once(Some(http_answer("200 OK", "<html>proxy</html>"))).await;
    assert!(HttpClient::new(&url).unwrap().status().await.is_err());
}

#[tokio::test]
async fn a_malformed_websocket_address_is_refused_before_connecting() {
    let q = "tm.event = 'Tx'";
    for url in ["http://127.0.0.1:1/websocket", "not a url"] {
        let e = crate::ws::subscribe(url, q).await.err().unwrap();
        assert!(e.to_string().contains("invalid websocket address"), "{e}");
    }
}

#[tokio::test]
async fn https_goes_through_rustls_and_refuses_a_server_that_does_not_speak_tls() {
    // A plain HTTP server answers the TLS ClientHello with HTTP: the handshake must fail as
    // a TLS error, neither hang nor fall back to plain HTTP.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut hello = [0u8; 5];
        sock.read_exact(&mut hello).await.unwrap();
        sock.write_all(http_answer("200 OK", "{}").as_bytes())
            .await
            .unwrap();
        hello
    });
    let e = HttpClient::with_timeout(&url, Duration::from_secs(5))
        .unwrap()
        .status()
        .await
        .unwrap_err();
    // A TLS handshake record: content type 22, version 3.x.
    assert_eq!(server.await.unwrap()[..2], [22, 3]);
    let e = format!("{e:?}");
    assert!(!e.contains("no answer from"), "{e}");
    assert!(
        e.contains("InvalidContentType") || e.to_lowercase().contains("tls"),
        "{e}"
    );
}

/// A websocket server that plays CometBFT: confirms the subscription, sends `then`, and
/// returns the subscribe request it got.
async fn ws_node(then: Vec<String>) -> (String, tokio::task::JoinHandle<String>) {
    ws_node_with(vec![], then).await
}

/// [`ws_node`] that sends `early` before its answer to `subscribe`.
async fn ws_node_with(
    early: Vec<String>,
    then: Vec<String>,
) -> (String, tokio::task::JoinHandle<String>) {
    use futures::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::Message;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/websocket", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(sock).await.unwrap();
        let req = match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => t.as_str().to_owned(),
            other => panic!("{other:?}"),
        };
        let id = serde_json::from_str::<serde_json::Value>(&req).unwrap()["id"].clone();
        for m in early {
            ws.send(Message::text(m)).await.unwrap();
        }
        let ok = serde_json::json!({"jsonrpc": "2.0", "id": id, "result": {}});
        ws.send(Message::text(ok.to_string())).await.unwrap();
        ws.send(Message::Ping(vec![1].into())).await.unwrap();
        for m in then {
            ws.send(Message::text(m)).await.unwrap();
        }
        let _ = ws.close(None).await;
        req
    });
    (url, task)
}

const TX_EVENT: &str = r#"{"jsonrpc":"2.0","id":"1#event","result":{"query":"tm.event='Tx'","data":{"type":"tendermint/event/Tx","value":{"TxResult":{"height":"5","index":1,"tx":"AQID","result":{"code":0,"log":"","gas_wanted":"0","gas_used":"0","events":[{"type":"transfer","attributes":[{"key":"recipient","value":"deai1x","index":true}]}],"codespace":""}}}},"events":{"tm.event":["Tx"]}}}"#;

#[tokio::test]
async fn a_subscription_yields_the_nodes_events_then_ends_on_its_error() {
    // Sent as written: a reprinted query would escape the backslash.
    let q = r"tm.event = 'Tx' AND memo.text = 'a\b'";
    let unrelated = r#"{"jsonrpc":"2.0","id":"other","result":{}}"#.to_string();
    let error = r#"{"jsonrpc":"2.0","id":"1#event","error":{"code":-32000,"message":"subscription was cancelled (reason: client is not pulling messages fast enough)"}}"#;
    let (url, node) = ws_node(vec![unrelated, TX_EVENT.into(), error.into()]).await;
    let mut sub = crate::ws::subscribe(&url, q).await.unwrap();
    let ev = sub.next().await.unwrap().unwrap();
    match ev.data {
        tendermint_rpc::event::EventData::Tx { tx_result } => {
            assert_eq!(tx_result.height, 5);
            assert_eq!(tx_result.tx, vec![1, 2, 3]);
            assert_eq!(tx_result.result.events[0].kind, "transfer");
        }
        other => panic!("{other:?}"),
    }
    let e = sub.next().await.unwrap().unwrap_err();
    assert!(
        e.to_string().contains("not pulling messages fast enough"),
        "{e}"
    );
    let req: serde_json::Value = serde_json::from_str(&node.await.unwrap()).unwrap();
    assert_eq!(req["method"], "subscribe");
    assert_eq!(req["params"]["query"], q);
}

#[tokio::test]
async fn a_refused_subscription_and_a_closed_socket_are_errors_not_hangs() {
    let q = "tm.event = 'Tx'";
    // The node refuses: its answer to the subscribe request is an error.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/websocket", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use futures::{SinkExt as _, StreamExt as _};
        let (sock, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(sock).await.unwrap();
        let req = match ws.next().await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => t.as_str().to_owned(),
            other => panic!("{other:?}"),
        };
        let id = serde_json::from_str::<serde_json::Value>(&req).unwrap()["id"].clone();
        let no = serde_json::json!({"jsonrpc": "2.0", "id": id,
            "error": {"code": -32603, "message": "max_subscriptions_per_client 5 reached"}});
        ws.send(tokio_tungstenite::tungstenite::Message::text(
            no.to_string(),
        ))
        .await
        .unwrap();
    });
    let e = crate::ws::subscribe(&url, q).await.err().unwrap();
    assert!(
        format!("{e:#}").contains("max_subscriptions_per_client"),
        "{e:#}"
    );

    // The node closes after confirming: the stream ends.
    let (url, _node) = ws_node(vec![]).await;
    let mut sub = crate::ws::subscribe(&url, q).await.unwrap();
    assert!(sub.next().await.is_none());
}

#[tokio::test]
async fn an_event_sent_before_the_answer_to_subscribe_is_delivered_not_taken_for_it() {
    let q = "tm.event = 'Tx'";
    let (url, _node) = ws_node_with(vec![TX_EVENT.into()], vec![]).await;
    let mut sub = crate::ws::subscribe(&url, q).await.unwrap();
    let ev = sub.next().await.unwrap().unwrap();
    assert!(matches!(
        ev.data,
        tendermint_rpc::event::EventData::Tx { .. }
    ));
    assert!(sub.next().await.is_none());
}

#[test]
fn a_contained_panic_is_flagged_while_it_unwinds_and_not_after() {
    assert!(!crate::decoding());
    let seen = std::cell::Cell::new(false);
    let e = crate::contain::<()>(|| {
        seen.set(crate::decoding());
        panic!("a decoder's bug")
    })
    .unwrap_err();
    assert!(seen.get());
    assert!(e.to_string().contains("its decoder panicked"), "{e}");
    assert!(!crate::decoding());
    assert_eq!(crate::contain(|| Ok(7)).unwrap(), 7);
    assert!(!crate::decoding());
}

#[test]
fn an_answer_that_panics_tendermint_rpcs_base64_decoder_is_an_error() {
    use tendermint_rpc::endpoint::block;
    let answer = |tx: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"result":{{"block_id":{{"hash":"","parts":{{"total":0,"hash":""}}}},"block":{{"header":{{"version":{{"block":"11","app":"1"}},"chain_id":"c","height":"6","time":"2026-12-01T00:00:00Z","last_block_id":{{"hash":"","parts":{{"total":0,"hash":""}}}},"last_commit_hash":"","data_hash":"","validators_hash":"","next_validators_hash":"","consensus_hash":"","app_hash":"","last_results_hash":"","evidence_hash":"","proposer_address":"31E5ACFC7FBD77B794CE26141E9EC4288E0ABB32"}},"data":{{"txs":["{tx}"]}},"evidence":{{"evidence":[]}},"last_commit":null}}}}}}"#
        )
    };
    let ok = crate::decode::<block::Response>(answer("AQID")).unwrap();
    assert_eq!(ok.block.data, vec![vec![1, 2, 3]]);
    // subtle-encoding 0.5.1 underflows on a final group that starts with '='.
    let e = crate::decode::<block::Response>(answer("AAAA=")).unwrap_err();
    assert!(e.to_string().contains("its decoder panicked"), "{e}");
}

#[test]
fn each_websocket_message_is_an_answer_an_event_a_failure_or_skipped() {
    use crate::ws::{classify, Incoming};
    let id = serde_json::json!("7");
    let ok = r#"{"jsonrpc":"2.0","id":"7","result":{}}"#;
    let refused = r#"{"jsonrpc":"2.0","id":"7","error":{"code":-32603,"message":"no"}}"#;
    assert!(matches!(classify(ok, Some(&id)), Incoming::Answer(Ok(()))));
    assert!(matches!(
        classify(refused, Some(&id)),
        Incoming::Answer(Err(_))
    ));
    // Once subscribed, an answer is just another message; an error ends the subscription.
    assert!(matches!(classify(ok, None), Incoming::Other));
    assert!(matches!(classify(refused, None), Incoming::Failed(_)));
    assert!(matches!(classify(TX_EVENT, Some(&id)), Incoming::Event(_)));
    assert!(matches!(classify(TX_EVENT, None), Incoming::Event(_)));
    // An event whose data cannot be decoded is not skipped: that would lose it unseen.
    let broken = TX_EVENT.replace(r#""height":"5""#, r#""height":"five""#);
    match classify(&broken, None) {
        Incoming::Failed(e) => assert!(e.to_string().contains("undecodable event"), "{e}"),
        other => panic!("{other:?}"),
    }
    for junk in ["", "not json", "[]", "null", r#"{"result":7}"#] {
        assert!(matches!(classify(junk, None), Incoming::Other), "{junk}");
    }
}

/// A TLS node for `localhost` with a fresh self-signed certificate: answers one request with
/// `body`. Returns its URL and the client settings that trust that certificate alone.
async fn tls_node(body: &'static str) -> (String, rustls::ClientConfig) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert_der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://localhost:{}/",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let Ok(mut tls) = acceptor.accept(sock).await else {
                continue; // a client that refused the certificate
            };
            let mut buf = vec![0u8; 8192];
            let _ = tls.read(&mut buf).await;
            let _ = tls.write_all(http_answer("200 OK", body).as_bytes()).await;
            let _ = tls.shutdown().await;
        }
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der).unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (url, client)
}

#[tokio::test]
async fn https_verifies_the_nodes_certificate() {
    let body = r#"{"jsonrpc":"2.0","id":1,"result":{"response":{"data":"deai","last_block_height":"3","last_block_app_hash":""}}}"#;
    let (url, trusted) = tls_node(body).await;
    // Trusting the node's certificate: the call completes over TLS.
    let info = HttpClient::with_tls(&url, Duration::from_secs(5), trusted)
        .unwrap()
        .abci_info()
        .await
        .unwrap();
    assert_eq!(info.last_block_height.value(), 3);
    // The system's roots do not know it: the handshake fails on the certificate.
    if let Ok(client) = HttpClient::with_timeout(&url, Duration::from_secs(5)) {
        let e = format!("{:?}", client.abci_info().await.unwrap_err());
        assert!(
            e.contains("UnknownIssuer") || e.contains("certificate"),
            "{e}"
        );
    }
}
