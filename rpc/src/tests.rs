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
    let q: tendermint_rpc::query::Query = "tm.event = 'Tx'".parse().unwrap();
    for url in ["http://127.0.0.1:1/websocket", "not a url"] {
        let e = crate::ws::subscribe(url, &q).await.err().unwrap();
        assert!(e.to_string().contains("invalid websocket address"), "{e}");
    }
}
