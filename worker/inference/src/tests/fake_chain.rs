//! The in-memory chain the worker is tested against: its ledger, its queries and its
//! sends (a failing or lost commit on demand), and helpers to act on it as another account.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode};
use prost::{Message, Name};

use crate::chain::{Chain, Committed};

pub(super) const SERVER: &str = "deai1server";
pub(super) const REQUESTER: &str = "deai1requester";
pub(super) const CHAIN_ID: &str = "test-chain";

pub(super) fn coin(amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: "udeai".into(),
        amount: amount.to_string(),
    }
}

#[derive(Default)]
pub(super) struct Ledger {
    pub(super) height: u64,
    pub(super) models: BTreeMap<u64, pb::Model>,
    pub(super) servers: BTreeMap<(u64, String), pb::Server>,
    pub(super) requests: BTreeMap<u64, pb::Request>,
    pub(super) submissions: Vec<pb::Submission>,
    /// Every tx sent, in order, with whether it was committed successfully.
    pub(super) sent: Vec<(Any, bool)>,
    /// The next this many sends fail with `Err` before reaching the chain.
    pub(super) fail_sends: usize,
    /// The next this many sends are committed but answer `Err` (a lost commit).
    pub(super) lose_commits: usize,
    /// Stored submissions get a flipped proof byte (a lying node).
    pub(super) tamper_stored_proof: bool,
    pub(super) challenges: BTreeMap<u64, pb::Challenge>,
}

pub(super) const CHALLENGE_WINDOW: u64 = 10;
pub(super) const RESPONSE_WINDOW: u64 = 10;

pub(super) fn fake_params() -> pb::Params {
    pb::Params {
        server_min_stake: Some(coin(1000)),
        min_deadline_blocks: 1,
        max_deadline_blocks: 100,
        optimistic_server_bond: Some(coin(70)),
        challenge_bond: Some(coin(50)),
        challenge_window: CHALLENGE_WINDOW,
        response_window: RESPONSE_WINDOW,
        max_adjudication_macs: 1_000_000,
        max_adjudication_bytes: 1 << 20,
        max_redundancy: 5,
        ..Default::default()
    }
}

/// An in-memory chain; clones share one ledger (a restarted server, or a requester, sees the
/// same chain); each has its own address.
#[derive(Clone)]
pub(super) struct FakeChain {
    pub(super) ledger: Arc<Mutex<Ledger>>,
    pub(super) me: String,
}

impl FakeChain {
    pub(super) fn new() -> FakeChain {
        FakeChain {
            ledger: Arc::new(Mutex::new(Ledger {
                height: 10,
                ..Default::default()
            })),
            me: SERVER.into(),
        }
    }
    pub(super) fn as_(&self, who: &str) -> FakeChain {
        FakeChain {
            ledger: self.ledger.clone(),
            me: who.into(),
        }
    }
    pub(super) fn with<T>(&self, f: impl FnOnce(&mut Ledger) -> T) -> T {
        f(&mut self.ledger.lock().unwrap())
    }
    /// Committed messages of type `M`.
    pub(super) fn committed<M: Name + Message + Default>(&self) -> Vec<M> {
        self.with(|l| {
            l.sent
                .iter()
                .filter(|(a, ok)| *ok && a.type_url == M::type_url())
                .map(|(a, _)| M::decode(a.value.as_slice()).unwrap())
                .collect()
        })
    }
    pub(super) fn request_state(&self, id: u64) -> i32 {
        self.with(|l| l.requests[&id].state)
    }
    /// A request made directly in the ledger (what a requester's tx would do).
    pub(super) fn put_request(
        &self,
        id: u64,
        model_id: u64,
        input: Vec<i64>,
        deadline: u64,
    ) -> pb::Request {
        self.with(|l| {
            let r = pb::Request {
                id,
                requester: REQUESTER.into(),
                model_id,
                input,
                fee: Some(coin(100)),
                mode: VerificationMode::Zk as i32,
                k: 1,
                deadline,
                servers: vec![SERVER.into()],
                state: RequestState::Pending as i32,
                created_height: l.height,
                ..Default::default()
            };
            l.requests.insert(id, r.clone());
            r
        })
    }
}

impl Chain for FakeChain {
    fn address(&self) -> String {
        self.me.clone()
    }
    fn chain_id(&self) -> String {
        CHAIN_ID.into()
    }
    async fn params(&self) -> anyhow::Result<pb::Params> {
        Ok(fake_params())
    }
    async fn challenge(&self, request_id: u64) -> anyhow::Result<Option<pb::Challenge>> {
        Ok(self.with(|l| l.challenges.get(&request_id).cloned()))
    }
    async fn recent_requests(&self) -> anyhow::Result<Vec<pb::Request>> {
        Ok(self.with(|l| l.requests.values().rev().cloned().collect()))
    }
    async fn height(&self) -> anyhow::Result<u64> {
        Ok(self.with(|l| l.height))
    }
    async fn model(&self, id: u64) -> anyhow::Result<Option<pb::Model>> {
        Ok(self.with(|l| l.models.get(&id).cloned()))
    }
    async fn server(&self, model_id: u64, server: &str) -> anyhow::Result<Option<pb::Server>> {
        Ok(self.with(|l| l.servers.get(&(model_id, server.to_string())).cloned()))
    }
    async fn request(&self, id: u64) -> anyhow::Result<Option<pb::Request>> {
        Ok(self.with(|l| l.requests.get(&id).cloned()))
    }
    async fn requests_of_server(&self, server: &str) -> anyhow::Result<Vec<pb::Request>> {
        Ok(self.with(|l| {
            l.requests
                .values()
                .filter(|r| r.servers.iter().any(|s| s == server))
                .cloned()
                .collect()
        }))
    }
    async fn submissions(&self, request_id: u64) -> anyhow::Result<Vec<pb::Submission>> {
        Ok(self.with(|l| {
            l.submissions
                .iter()
                .filter(|s| s.request_id == request_id)
                .cloned()
                .collect()
        }))
    }
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        let me = self.me.clone();
        self.with(|l| {
            if l.fail_sends > 0 {
                l.fail_sends -= 1;
                anyhow::bail!("connection refused");
            }
            l.height += 1;
            let mut events = serde_json::Value::Array(Vec::new());
            let mut result = Ok(());
            for m in &msgs {
                match FakeChain::apply(l, m, &me) {
                    Ok(e) => {
                        if let (Some(all), serde_json::Value::Array(mut e)) =
                            (events.as_array_mut(), e)
                        {
                            all.append(&mut e);
                        }
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            for m in &msgs {
                l.sent.push((m.clone(), result.is_ok()));
            }
            let committed = match result {
                Ok(()) => Committed {
                    txhash: format!("TX{}", l.height),
                    height: l.height.to_string(),
                    events,
                    ..Default::default()
                },
                Err(e) => Committed {
                    txhash: format!("TX{}", l.height),
                    code: 5,
                    codespace: "inference".into(),
                    raw_log: e,
                    ..Default::default()
                },
            };
            if l.lose_commits > 0 {
                l.lose_commits -= 1;
                anyhow::bail!("timed out waiting for the commit");
            }
            Ok(committed)
        })
    }
}

pub(super) const LIAR: &str = "deai1liar";
pub(super) const OTHER: &str = "deai1other";
pub(super) const CHALLENGER: &str = "deai1challenger";

impl FakeChain {
    /// A request of `mode` assigned to `servers`, made directly in the ledger.
    pub(super) fn put_request_mode(
        &self,
        id: u64,
        model_id: u64,
        input: Vec<i64>,
        mode: VerificationMode,
        servers: &[&str],
    ) -> pb::Request {
        let mut r = self.put_request(id, model_id, input, 40);
        r.mode = mode as i32;
        r.k = servers.len() as u32;
        r.servers = servers.iter().map(|s| s.to_string()).collect();
        self.with(|l| l.requests.insert(id, r.clone()));
        r
    }
    pub(super) fn submit_as(&self, who: &str, id: u64, output: Vec<i64>) -> Committed {
        let msg = pb::MsgSubmitInference {
            server: who.into(),
            request_id: id,
            output,
            proof: Vec::new(),
        };
        let mut c = self.as_(who);
        futures_lite_block(c.send(vec![crate::server::any(&msg)])).unwrap()
    }
    pub(super) fn challenge_as(&self, who: &str, id: u64) -> Committed {
        let msg = pb::MsgChallenge {
            challenger: who.into(),
            request_id: id,
            bond: fake_params().challenge_bond,
        };
        let mut c = self.as_(who);
        futures_lite_block(c.send(vec![crate::server::any(&msg)])).unwrap()
    }
    pub(super) fn sent_count(&self, type_url: &str) -> usize {
        self.with(|l| {
            l.sent
                .iter()
                .filter(|(a, _)| a.type_url == type_url)
                .count()
        })
    }
    pub(super) fn challenge_of(&self, id: u64) -> pb::Challenge {
        self.with(|l| l.challenges[&id].clone())
    }
}

/// The fake chain's futures never wait: polled once to completion.
pub(super) fn futures_lite_block<F: std::future::Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the fake chain never waits"),
    }
}
