//! One event subscription on a CometBFT node's `/websocket` (CometBFT v0.38's JSON-RPC
//! `subscribe`). Reconnecting and catching up is the caller's job (deai-client's events).

use std::collections::VecDeque;
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use tendermint_rpc::endpoint::subscribe;
use tendermint_rpc::event::{v0_38, Event};
use tendermint_rpc::request::RequestMessage as _;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::http::error_chain;

/// CometBFT pings every 27 s (`defaultWSPingPeriod`); a socket silent for this long is dead.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(90);

/// The largest message accepted: a tx event carries the tx and its results, which CometBFT
/// bounds by the block size (21 MiB by default).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Events that may arrive before the node's answer to `subscribe`, kept for `next`.
const MAX_EARLY_EVENTS: usize = 1024;

/// A live subscription: yields the node's events for one query, in the order it sends them.
pub struct EventStream {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Events that came before the answer to `subscribe`.
    early: VecDeque<Event>,
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
}

/// Connects to `ws_url` (`ws://host:port/websocket` or `wss://…`) and subscribes to `query`,
/// sent as given: tendermint-rpc prints a parsed query with `\` and `'` escaped, which its
/// own parser and CometBFT's do not undo, so a reprinted query could select other events.
/// Returns once the node has confirmed the subscription. A malformed address fails with
/// "invalid websocket address", which retrying cannot fix.
pub async fn subscribe(ws_url: &str, query: &str) -> anyhow::Result<EventStream> {
    let invalid = |why: String| anyhow::anyhow!("invalid websocket address {ws_url:?}: {why}");
    let request = ws_url
        .into_client_request()
        .map_err(|e| invalid(e.to_string()))?;
    if !matches!(request.uri().scheme_str(), Some("ws" | "wss")) {
        return Err(invalid("expected ws:// or wss://".into()));
    }
    let (ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(ws_config()), false)
        .await
        .map_err(|e| anyhow::anyhow!("connect: {}", error_chain(&e)))?;
    let mut stream = EventStream {
        ws,
        early: VecDeque::new(),
    };
    let request = subscribe::Request::new(query.to_string()).into_json();
    let id = serde_json::from_str::<serde_json::Value>(&request)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .ok_or_else(|| anyhow::anyhow!("subscribe: the request has no id"))?;
    stream
        .ws
        .send(Message::text(request))
        .await
        .map_err(|e| anyhow::anyhow!("subscribe: {}", error_chain(&e)))?;
    // CometBFT starts forwarding events before it writes the answer, so an event of this
    // subscription may come first: keep it for `next`.
    loop {
        let text = match stream.read().await {
            Some(Ok(text)) => text,
            Some(Err(e)) => return Err(e.context("subscribe")),
            None => anyhow::bail!("subscribe: the node closed the websocket"),
        };
        match classify(&text, Some(&id)) {
            Incoming::Answer(Ok(())) => return Ok(stream),
            Incoming::Answer(Err(e)) => anyhow::bail!("subscribe: the node answered: {e}"),
            Incoming::Event(ev) if stream.early.len() < MAX_EARLY_EVENTS => {
                stream.early.push_back(*ev)
            }
            Incoming::Event(_) => {
                anyhow::bail!("subscribe: no answer after {MAX_EARLY_EVENTS} events")
            }
            Incoming::Failed(e) => return Err(e.context("subscribe")),
            Incoming::Other => tracing::debug!("skipping a websocket message before the answer"),
        }
    }
}

/// What one text message from the node is to a subscription.
#[derive(Debug)]
pub enum Incoming {
    /// The node's answer to `subscribe` (only when its id was given): Ok when it accepted.
    Answer(Result<(), String>),
    /// An event.
    Event(Box<Event>),
    /// A JSON-RPC error, or an event this client cannot decode: the subscription is over
    /// (a skipped event would be lost without a trace).
    Failed(anyhow::Error),
    /// Anything else (an answer to a request this client did not send): skipped.
    Other,
}

/// Classifies one websocket text message. `answer_id` is the id of the pending `subscribe`
/// request, if any. Pure, so that the fuzzer can feed it hostile messages.
pub fn classify(text: &str, answer_id: Option<&serde_json::Value>) -> Incoming {
    let json = serde_json::from_str::<serde_json::Value>(text).ok();
    if let (Some(id), Some(v)) = (answer_id, &json) {
        if v.get("id") == Some(id) {
            return Incoming::Answer(
                crate::decode::<subscribe::Response>(text)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            );
        }
    }
    let parse = match crate::decode::<v0_38::DeEvent>(text) {
        Ok(ev) => return Incoming::Event(Box::new(ev.into())),
        Err(e) => e,
    };
    let Some(v) = json else {
        return Incoming::Other;
    };
    if let Some(err) = v.get("error") {
        return Incoming::Failed(anyhow::anyhow!("the node sent an error: {err}"));
    }
    if v.get("result").is_some_and(|r| r.get("data").is_some()) {
        return Incoming::Failed(anyhow::anyhow!("undecodable event: {parse}"));
    }
    Incoming::Other
}

impl EventStream {
    /// The next event; None once the node has closed the socket. An error ends the stream:
    /// a broken socket, silence past [`SILENCE_LIMIT`], or an error the node sent.
    pub async fn next(&mut self) -> Option<anyhow::Result<Event>> {
        if let Some(ev) = self.early.pop_front() {
            return Some(Ok(ev));
        }
        loop {
            let text = match self.read().await? {
                Ok(t) => t,
                Err(e) => return Some(Err(e)),
            };
            match classify(&text, None) {
                Incoming::Event(ev) => return Some(Ok(*ev)),
                Incoming::Failed(e) => return Some(Err(e)),
                Incoming::Answer(_) | Incoming::Other => {
                    tracing::debug!("skipping a websocket message that is not an event")
                }
            }
        }
    }

    /// Closes the socket politely; gives up after 5 s.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.ws.close(None)).await;
    }

    /// The next text message. Pings are answered by tungstenite while reading.
    async fn read(&mut self) -> Option<anyhow::Result<String>> {
        loop {
            let msg = match tokio::time::timeout(SILENCE_LIMIT, self.ws.next()).await {
                Err(_) => {
                    return Some(Err(anyhow::anyhow!(
                        "the node sent nothing for {SILENCE_LIMIT:?}"
                    )))
                }
                Ok(None) => return None,
                Ok(Some(Err(e))) => return Some(Err(anyhow::anyhow!("{}", error_chain(&e)))),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => return Some(Ok(t.as_str().to_owned())),
                Message::Close(_) => return None,
                Message::Binary(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }
}
