//! The inference server and the requester against an in-memory chain that verifies
//! submissions as the inference module does (deai-zk's verifier, the statement built from
//! the request), with a real model directory (a small MLP, real Groth16 keys): answers,
//! restarts that resume without submitting twice, and chain input that is refused without
//! stopping the daemon.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use deai_framework::events::typed_event;
use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode};
use deai_zk::circuit::CircuitSpec;
use deai_zk::quant::{FloatLayer, FloatMlp, QuantConfig};
use deai_zk::verifier::PreparedVerifier;
use deai_zk::{IoEncoding, Mode, OutputKind, Statement};
use prost::{Message, Name};
use tokio_util::sync::CancellationToken;

use crate::chain::{Chain, Committed};
use crate::keydir::{read_weights, SetupRecord, SETUP_FILE};
use crate::models::{
    layout_of, quantized_encoding, quantized_sha256, LocalModel, KEYS_DIR, WEIGHTS_FILE,
};
use crate::notices::Notice;
use crate::requester::{request, RequestOptions};
use crate::server::{request_context, Config, Server, ADJUDICATE_MARGIN};
use crate::state::{self, Stage};
use deai_worker_daemon::typed_events_in;

const SERVER: &str = "deai1server";
const REQUESTER: &str = "deai1requester";
const CHAIN_ID: &str = "test-chain";

fn coin(amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: "udeai".into(),
        amount: amount.to_string(),
    }
}

#[derive(Default)]
struct Ledger {
    height: u64,
    models: BTreeMap<u64, pb::Model>,
    servers: BTreeMap<(u64, String), pb::Server>,
    requests: BTreeMap<u64, pb::Request>,
    submissions: Vec<pb::Submission>,
    /// Every tx sent, in order, with whether it was committed successfully.
    sent: Vec<(Any, bool)>,
    /// The next this many sends fail with `Err` before reaching the chain.
    fail_sends: usize,
    /// The next this many sends are committed but answer `Err` (a lost commit).
    lose_commits: usize,
    /// Stored submissions get a flipped proof byte (a lying node).
    tamper_stored_proof: bool,
    challenges: BTreeMap<u64, pb::Challenge>,
}

const CHALLENGE_WINDOW: u64 = 10;
const RESPONSE_WINDOW: u64 = 10;

fn fake_params() -> pb::Params {
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

macro_rules! json_event {
    ($m:expr) => {{
        let e = typed_event($m);
        serde_json::json!({"type": e.kind, "attributes": e.attributes.iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect::<Vec<_>>()})
    }};
}

/// An in-memory chain; clones share one ledger (a restarted server, or a requester, sees the
/// same chain); each has its own address.
#[derive(Clone)]
struct FakeChain {
    ledger: Arc<Mutex<Ledger>>,
    me: String,
}

impl FakeChain {
    fn new() -> FakeChain {
        FakeChain {
            ledger: Arc::new(Mutex::new(Ledger {
                height: 10,
                ..Default::default()
            })),
            me: SERVER.into(),
        }
    }
    fn as_(&self, who: &str) -> FakeChain {
        FakeChain {
            ledger: self.ledger.clone(),
            me: who.into(),
        }
    }
    fn with<T>(&self, f: impl FnOnce(&mut Ledger) -> T) -> T {
        f(&mut self.ledger.lock().unwrap())
    }
    /// Committed messages of type `M`.
    fn committed<M: Name + Message + Default>(&self) -> Vec<M> {
        self.with(|l| {
            l.sent
                .iter()
                .filter(|(a, ok)| *ok && a.type_url == M::type_url())
                .map(|(a, _)| M::decode(a.value.as_slice()).unwrap())
                .collect()
        })
    }
    fn request_state(&self, id: u64) -> i32 {
        self.with(|l| l.requests[&id].state)
    }
    /// A request made directly in the ledger (what a requester's tx would do).
    fn put_request(&self, id: u64, model_id: u64, input: Vec<i64>, deadline: u64) -> pb::Request {
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

    fn apply(l: &mut Ledger, m: &Any, signer: &str) -> Result<serde_json::Value, String> {
        let mut events = Vec::new();
        if m.type_url == pb::MsgRegisterServer::type_url() {
            let s = pb::MsgRegisterServer::decode(m.value.as_slice()).map_err(|e| e.to_string())?;
            if !l.models.contains_key(&s.model_id) {
                return Err("model not found".into());
            }
            l.servers.insert(
                (s.model_id, s.server.clone()),
                pb::Server {
                    server: s.server,
                    model_id: s.model_id,
                    stake: s.stake,
                    state: pb::ServerState::Active as i32,
                    ..Default::default()
                },
            );
        } else if m.type_url == pb::MsgRequestInference::type_url() {
            let r =
                pb::MsgRequestInference::decode(m.value.as_slice()).map_err(|e| e.to_string())?;
            let k = if r.mode == VerificationMode::Redundant as i32 {
                r.k.max(2) as usize
            } else {
                1
            };
            let drawn: Vec<String> = l
                .servers
                .keys()
                .filter(|(id, _)| *id == r.model_id)
                .map(|(_, s)| s.clone())
                .take(k)
                .collect();
            if drawn.len() < k {
                return Err("no server".into());
            }
            let server = drawn[0].clone();
            let id = l.requests.keys().last().copied().unwrap_or(0) + 1;
            let req = pb::Request {
                id,
                requester: r.requester.clone(),
                model_id: r.model_id,
                input: r.input,
                fee: r.fee.clone(),
                mode: r.mode,
                k: k as u32,
                deadline: l.height + r.deadline_blocks,
                servers: drawn.clone(),
                state: RequestState::Pending as i32,
                created_height: l.height,
                ..Default::default()
            };
            l.requests.insert(id, req.clone());
            let e = typed_event(&pb::EventInferenceRequested {
                request_id: id,
                model_id: r.model_id,
                requester: r.requester,
                fee: r.fee,
                mode: r.mode,
                k: k as u32,
                deadline: req.deadline,
                servers: drawn,
            });
            let _ = server;
            events.push(
                serde_json::json!({"type": e.kind, "attributes": e.attributes.iter()
                .map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect::<Vec<_>>()}),
            );
        } else if m.type_url == pb::MsgSubmitInference::type_url() {
            let s =
                pb::MsgSubmitInference::decode(m.value.as_slice()).map_err(|e| e.to_string())?;
            if s.server != signer {
                return Err("signer".into());
            }
            let height = l.height;
            let r = l
                .requests
                .get(&s.request_id)
                .ok_or("request not found")?
                .clone();
            if r.state != RequestState::Pending as i32 {
                return Err(format!("request {} is not pending", r.id));
            }
            if !r.servers.contains(&s.server) {
                return Err("not assigned".into());
            }
            if height > r.deadline {
                return Err("deadline passed".into());
            }
            if r.mode == VerificationMode::Optimistic as i32 {
                let bond = fake_params().optimistic_server_bond;
                l.submissions.push(pb::Submission {
                    request_id: r.id,
                    server: s.server.clone(),
                    output: s.output.clone(),
                    proof: Vec::new(),
                    height,
                    bond: bond.clone(),
                });
                let q = l.requests.get_mut(&r.id).unwrap();
                q.state = RequestState::ChallengeWindow as i32;
                q.output = s.output.clone();
                q.challenge_deadline = height + CHALLENGE_WINDOW;
                events.push(json_event!(&pb::EventInferenceSubmitted {
                    request_id: r.id,
                    server: s.server,
                    output: s.output,
                    proof_verified: false,
                    verify_gas: 0,
                    bond,
                }));
                return Ok(serde_json::Value::Array(events));
            }
            if r.mode == VerificationMode::Redundant as i32 {
                if l.submissions
                    .iter()
                    .any(|x| x.request_id == r.id && x.server == s.server)
                {
                    return Err("already submitted".into());
                }
                l.submissions.push(pb::Submission {
                    request_id: r.id,
                    server: s.server.clone(),
                    output: s.output.clone(),
                    proof: Vec::new(),
                    height,
                    bond: None,
                });
                let subs: Vec<pb::Submission> = l
                    .submissions
                    .iter()
                    .filter(|x| x.request_id == r.id)
                    .cloned()
                    .collect();
                if subs.len() == r.servers.len() {
                    let k = r.servers.len();
                    let majority = subs
                        .iter()
                        .find(|a| subs.iter().filter(|b| b.output == a.output).count() * 2 > k);
                    let q = l.requests.get_mut(&r.id).unwrap();
                    match majority {
                        Some(m) => {
                            q.state = RequestState::Completed as i32;
                            q.output = m.output.clone();
                            q.completed_height = height;
                        }
                        None => {
                            q.state = RequestState::Disputed as i32;
                            q.dispute_deadline = height + RESPONSE_WINDOW;
                            l.challenges.insert(
                                r.id,
                                pb::Challenge {
                                    request_id: r.id,
                                    height,
                                    response_deadline: height + RESPONSE_WINDOW,
                                    state: pb::ChallengeState::Open as i32,
                                    ..Default::default()
                                },
                            );
                            events.push(json_event!(&pb::EventRedundantTie {
                                request_id: r.id,
                                submitted_servers: subs.iter().map(|x| x.server.clone()).collect(),
                                dispute_deadline: height + RESPONSE_WINDOW,
                            }));
                        }
                    }
                }
                return Ok(serde_json::Value::Array(events));
            }
            // As the inference module verifies: the statement built from its own records.
            let model = &l.models[&r.model_id];
            let layout = layout_of(model).map_err(|e| e.to_string())?;
            let st = Statement {
                commitment: layout.commitment_fr().map_err(|e| e.to_string())?,
                request: deai_zk::request_binding(
                    request_context(CHAIN_ID, r.id, &s.server).as_bytes(),
                ),
                input: r.input.clone(),
                output: s.output.clone(),
            };
            PreparedVerifier::from_bytes(&model.verifying_key)
                .and_then(|pv| pv.verify_statement(&layout, &st, &s.proof))
                .map_err(|e| format!("proof rejected: {e}"))?;
            let mut proof = s.proof.clone();
            if l.tamper_stored_proof {
                proof[5] ^= 1;
            }
            l.submissions.push(pb::Submission {
                request_id: r.id,
                server: s.server.clone(),
                output: s.output.clone(),
                proof,
                height,
                bond: None,
            });
            let r = l
                .requests
                .get_mut(&s.request_id)
                .ok_or("request not found")?;
            r.state = RequestState::Completed as i32;
            r.output = s.output;
            r.completed_height = height;
        } else if m.type_url == pb::MsgChallenge::type_url() {
            let c = pb::MsgChallenge::decode(m.value.as_slice()).map_err(|e| e.to_string())?;
            if c.challenger != signer {
                return Err("signer".into());
            }
            let height = l.height;
            let r = l
                .requests
                .get_mut(&c.request_id)
                .ok_or("request not found")?;
            if r.state != RequestState::ChallengeWindow as i32 {
                return Err(format!("request {} is not challengeable", r.id));
            }
            if height > r.challenge_deadline {
                return Err("challenge window closed".into());
            }
            if c.bond != fake_params().challenge_bond {
                return Err("bad bond".into());
            }
            r.state = RequestState::Disputed as i32;
            r.dispute_deadline = height + RESPONSE_WINDOW;
            let ch = pb::Challenge {
                request_id: r.id,
                challenger: c.challenger,
                bond: c.bond,
                height,
                response_deadline: r.dispute_deadline,
                state: pb::ChallengeState::Open as i32,
                ..Default::default()
            };
            events.push(json_event!(&pb::EventChallengeOpened {
                request_id: r.id,
                challenger: ch.challenger.clone(),
                bond: ch.bond.clone(),
                response_deadline: ch.response_deadline,
            }));
            l.challenges.insert(r.id, ch);
        } else if m.type_url == pb::MsgRespondChallenge::type_url() {
            let c =
                pb::MsgRespondChallenge::decode(m.value.as_slice()).map_err(|e| e.to_string())?;
            if c.server != signer {
                return Err("signer".into());
            }
            let r = FakeChain::open_dispute(l, c.request_id)?;
            let sub = l
                .submissions
                .iter()
                .find(|x| x.request_id == r.id && x.server == c.server)
                .ok_or("not assigned")?
                .clone();
            let model = &l.models[&r.model_id];
            let layout = layout_of(model).map_err(|e| e.to_string())?;
            let st = Statement {
                commitment: layout.commitment_fr().map_err(|e| e.to_string())?,
                request: deai_zk::request_binding(
                    request_context(CHAIN_ID, r.id, &c.server).as_bytes(),
                ),
                input: r.input.clone(),
                output: sub.output.clone(),
            };
            PreparedVerifier::from_bytes(&model.verifying_key)
                .and_then(|pv| pv.verify_statement(&layout, &st, &c.proof))
                .map_err(|e| format!("proof rejected: {e}"))?;
            FakeChain::resolve(l, r.id, sub.output, pb::Resolution::Proof);
        } else if m.type_url == pb::MsgAdjudicate::type_url() {
            let c = pb::MsgAdjudicate::decode(m.value.as_slice()).map_err(|e| e.to_string())?;
            if c.sender != signer {
                return Err("signer".into());
            }
            let r = FakeChain::open_dispute(l, c.request_id)?;
            let model = l.models[&r.model_id].clone();
            let digest = <sha2::Sha256 as sha2::Digest>::digest(&c.quantized_weights);
            if digest[..] != model.quantized_weights_sha256[..] {
                return Err("weights mismatch".into());
            }
            let qm = deai_zk::QuantizedModel::from_canonical_bytes(
                &c.quantized_weights,
                deai_zk::DecodeLimits::default(),
            )
            .map_err(|e| e.to_string())?;
            let logits = qm.infer(&r.input).map_err(|e| e.to_string())?;
            let truth = crate::models::answer_of(&model, logits);
            FakeChain::resolve(l, r.id, truth, pb::Resolution::Reexecution);
        } else {
            return Err(format!("unexpected {}", m.type_url));
        }
        Ok(serde_json::Value::Array(events))
    }

    fn open_dispute(l: &Ledger, id: u64) -> Result<pb::Request, String> {
        let r = l.requests.get(&id).ok_or("request not found")?.clone();
        if r.state != RequestState::Disputed as i32 {
            return Err(format!("request {id} is not disputed"));
        }
        if l.height > r.dispute_deadline {
            return Err("dispute closed".into());
        }
        Ok(r)
    }

    /// Settles a dispute with the true output: the request completes when its (or a
    /// redundant server's) output is the truth, else it is refuted.
    fn resolve(l: &mut Ledger, id: u64, truth: Vec<i64>, how: pb::Resolution) {
        let height = l.height;
        let right = l
            .submissions
            .iter()
            .any(|x| x.request_id == id && x.output == truth);
        let r = l.requests.get_mut(&id).unwrap();
        let ch = l.challenges.get_mut(&id).unwrap();
        ch.resolution = how as i32;
        if how == pb::Resolution::Reexecution {
            ch.recomputed_output = truth.clone();
        }
        if right {
            r.state = RequestState::Completed as i32;
            r.output = truth;
            r.completed_height = height;
            ch.state = pb::ChallengeState::Rejected as i32;
        } else {
            r.state = RequestState::Refuted as i32;
            ch.state = pb::ChallengeState::Upheld as i32;
        }
    }

    /// Blocks pass: closed windows pay out, disputes past their deadline time out (a keyed
    /// optimistic model: the server loses; no key: it wins; a redundant tie expires).
    fn advance(&self, blocks: u64) {
        self.with(|l| {
            l.height += blocks;
            let h = l.height;
            let ids: Vec<u64> = l.requests.keys().copied().collect();
            for id in ids {
                let r = l.requests[&id].clone();
                if r.state == RequestState::ChallengeWindow as i32 && r.challenge_deadline < h {
                    let q = l.requests.get_mut(&id).unwrap();
                    q.state = RequestState::Completed as i32;
                    q.completed_height = h;
                } else if r.state == RequestState::Disputed as i32 && r.dispute_deadline < h {
                    let keyed = crate::models::has_key(&l.models[&r.model_id]);
                    let q = l.requests.get_mut(&id).unwrap();
                    let ch = l.challenges.get_mut(&id).unwrap();
                    ch.resolution = pb::Resolution::Timeout as i32;
                    if r.mode == VerificationMode::Redundant as i32 {
                        q.state = RequestState::Expired as i32;
                    } else if keyed {
                        q.state = RequestState::Refuted as i32;
                        ch.state = pb::ChallengeState::Upheld as i32;
                    } else {
                        q.state = RequestState::Completed as i32;
                        ch.state = pb::ChallengeState::Rejected as i32;
                    }
                }
            }
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

/// A 4-3-2 MLP with fixed weights, inputs in [0, 1] quantized onto 0..=16.
fn float_model() -> FloatMlp {
    let w = |n: usize, k: f32| {
        (0..n)
            .map(|i| ((i as f32 * 0.37 + k).sin()) * 0.8)
            .collect::<Vec<f32>>()
    };
    FloatMlp {
        layers: vec![
            FloatLayer {
                n_in: 4,
                n_out: 3,
                weight: w(12, 0.1),
                bias: w(3, 0.5),
            },
            FloatLayer {
                n_in: 3,
                n_out: 2,
                weight: w(6, 1.3),
                bias: w(2, 2.0),
            },
        ],
    }
}

/// Writes `dir/<id>/model.safetensors` and `dir/<id>/keys/` as zk-setup does.
fn write_model_dir(dir: &Path, id: u64) -> LocalModel {
    write_model_dir_with(
        dir,
        id,
        CircuitSpec {
            mode: Mode::Public,
            output: OutputKind::Logits,
            encoding: IoEncoding::Plain,
        },
    )
}

fn write_model_dir_with(dir: &Path, id: u64, spec: CircuitSpec) -> LocalModel {
    let d = dir.join(id.to_string());
    let keys = d.join(KEYS_DIR);
    std::fs::create_dir_all(&keys).unwrap();
    let float = float_model();
    std::fs::write(d.join(WEIGHTS_FILE), float.to_safetensors().unwrap()).unwrap();
    let w = read_weights(&d.join(WEIGHTS_FILE)).unwrap();
    let quant = QuantConfig::unit_range(1.0, 4);
    let model = deai_zk::quant::quantize(&float, &quant).unwrap();
    deai_zk::prover::setup(&model, spec)
        .unwrap()
        .write_dir(&keys)
        .unwrap();
    let record = SetupRecord {
        weights_sha256: w.canonical,
        quant,
    };
    std::fs::write(
        keys.join(SETUP_FILE),
        serde_json::to_string(&record).unwrap(),
    )
    .unwrap();
    LocalModel::read(id, &d).unwrap()
}

/// The chain's record of a model registered with `local`'s files.
fn chain_model(local: &LocalModel) -> pb::Model {
    let r = local.registration();
    pb::Model {
        id: local.id,
        owner: "deai1owner".into(),
        name: "tiny".into(),
        architecture: r.architecture,
        weights_sha256: r.weights_sha256,
        quantized_weights_sha256: r.quantized_weights_sha256,
        zk_mode: r.zk_mode,
        verifying_key: r.verifying_key,
        weight_commitment: r.weight_commitment,
        input_min: r.input_min,
        input_max: r.input_max,
        input_frac_bits: r.input_frac_bits,
        circuit: r.circuit,
        price: Some(coin(100)),
        enabled: true,
        ..Default::default()
    }
}

struct World {
    _tmp: tempfile::TempDir,
    models: std::path::PathBuf,
    state: std::path::PathBuf,
    chain: FakeChain,
    local: LocalModel,
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    let local = write_model_dir(&models, 1);
    let chain = FakeChain::new();
    chain.with(|l| l.models.insert(1, chain_model(&local)));
    World {
        state: tmp.path().join("state"),
        models,
        _tmp: tmp,
        chain,
        local,
    }
}

impl World {
    fn server(&self) -> Server<FakeChain> {
        let (file, st) = state::open(&self.state).unwrap();
        Server::new(
            self.chain.clone(),
            Config {
                model_dir: self.models.clone(),
                stake: None,
                reconcile_every: Duration::from_secs(1),
                watchdog: false,
            },
            file,
            st,
        )
    }
}

fn assigned(r: &pb::Request) -> Notice {
    Notice::Requested(pb::EventInferenceRequested {
        request_id: r.id,
        model_id: r.model_id,
        deadline: r.deadline,
        servers: r.servers.clone(),
        ..Default::default()
    })
}

#[test]
fn the_quantized_encoding_is_fixed() {
    let m = deai_zk::QuantizedModel {
        layers: vec![deai_zk::QuantLayer {
            n_in: 2,
            n_out: 1,
            weight: vec![3, -4],
            bias: vec![5],
            shift: 0,
        }],
        input_min: 0,
        input_max: 16,
        weight_bits: 8,
        input_frac_bits: 4,
        output_frac_bits: 9,
    };
    let e = quantized_encoding(&m);
    assert_eq!(e.len(), 21 + 4 + 8 + 8 + 4 + 4 + 4 + 12 + 3 * 8);
    assert_eq!(&e[..21], b"deai.quantized_mlp.v1");
    assert_eq!(
        hex::encode(quantized_sha256(&m)),
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&e))
    );
    let mut other = m.clone();
    other.layers[0].weight[1] = -3;
    assert_ne!(quantized_sha256(&m), quantized_sha256(&other));
    // The chain decodes the same bytes back (deai-zk's one implementation).
    let back = deai_zk::QuantizedModel::from_canonical_bytes(&e, deai_zk::DecodeLimits::default())
        .unwrap();
    assert_eq!(back, m);
}

#[test]
fn a_model_is_served_only_when_it_matches_its_chain_record() {
    let w = world();
    let good = chain_model(&w.local);
    w.local.check(&good).unwrap();
    // The float weights may be named by their file sha256 too.
    let mut by_file = good.clone();
    by_file.weights_sha256 = w.local.weights_file.to_vec();
    w.local.check(&by_file).unwrap();
    type Edit = Box<dyn Fn(&mut pb::Model)>;
    let bad: Vec<(&str, Edit)> = vec![
        ("verifying_key.bin", Box::new(|m| m.verifying_key[40] ^= 1)),
        (
            "quantized",
            Box::new(|m| m.quantized_weights_sha256[0] ^= 1),
        ),
        ("weights_sha256", Box::new(|m| m.weights_sha256[0] ^= 1)),
        ("circuit.json", Box::new(|m| m.input_max += 1)),
        ("architecture", Box::new(|m| m.architecture = vec![4, 4, 2])),
        (
            "circuit.json",
            Box::new(|m| m.circuit.as_mut().unwrap().logit_bounds[0].hi += 1),
        ),
    ];
    for (what, f) in bad {
        let mut m = good.clone();
        f(&mut m);
        let e = w.local.check(&m).unwrap_err().to_string();
        assert!(e.contains(what), "{what}: {e}");
    }
}

#[tokio::test]
async fn the_server_registers_and_answers_with_a_proof_that_verifies_for_the_request_only() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    assert_eq!(s.served(), vec![1]);
    let reg = w.chain.committed::<pb::MsgRegisterServer>();
    assert_eq!(reg.len(), 1);
    assert_eq!(
        reg[0].stake,
        Some(coin(1000)),
        "the chain's server_min_stake"
    );
    // A second reconcile does not register again.
    s.reconcile().await;
    assert_eq!(w.chain.committed::<pb::MsgRegisterServer>().len(), 1);

    let input = vec![0, 16, 7, 3];
    let r = w.chain.put_request(5, 1, input.clone(), 40);
    s.handle(assigned(&r)).await;
    s.drain().await;
    assert_eq!(w.chain.request_state(5), RequestState::Completed as i32);
    let sub = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(sub.len(), 1);
    assert_eq!(sub[0].output, w.local.model.infer(&input).unwrap());
    assert_eq!(s.state().requests[&5].stage, Stage::Submitted);

    // deai-zk's verifier accepts the proof for exactly the request's statement...
    let model = chain_model(&w.local);
    let layout = layout_of(&model).unwrap();
    let pv = PreparedVerifier::from_bytes(&model.verifying_key).unwrap();
    let st = |id: u64, server: &str, input: &[i64]| Statement {
        commitment: None,
        request: deai_zk::request_binding(request_context(CHAIN_ID, id, server).as_bytes()),
        input: input.to_vec(),
        output: sub[0].output.clone(),
    };
    pv.verify_statement(&layout, &st(5, SERVER, &input), &sub[0].proof)
        .unwrap();
    // ... and not for another request, another server, another input or output.
    assert!(pv
        .verify_statement(&layout, &st(6, SERVER, &input), &sub[0].proof)
        .is_err());
    assert!(pv
        .verify_statement(&layout, &st(5, "deai1other", &input), &sub[0].proof)
        .is_err());
    assert!(pv
        .verify_statement(&layout, &st(5, SERVER, &[1, 16, 7, 3]), &sub[0].proof)
        .is_err());
    let mut wrong = st(5, SERVER, &input);
    wrong.output[0] += 1;
    assert!(pv.verify_statement(&layout, &wrong, &sub[0].proof).is_err());
}

#[tokio::test]
async fn a_restart_after_proving_submits_the_recorded_proof_once() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let r = w.chain.put_request(1, 1, vec![1, 2, 3, 4], 40);
    // The submission never reaches the chain (node down), three times: given up for now...
    w.chain.with(|l| l.fail_sends = 1);
    s.handle(assigned(&r)).await;
    s.drain().await;
    let rec = s.state().requests[&1].clone();
    assert_eq!(rec.stage, Stage::Proved);
    assert!(!rec.proof.is_empty());
    drop(s);
    // ... a restarted server submits the recorded proof (not a new one) at its first reconcile.
    let mut s = w.server();
    assert_eq!(s.state().requests[&1].stage, Stage::Proved);
    s.reconcile().await;
    s.drain().await;
    let sub = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(sub.len(), 1);
    assert_eq!(hex::encode(&sub[0].proof), rec.proof);
    assert_eq!(s.state().requests[&1].stage, Stage::Submitted);
    // Restarted again: nothing more is sent.
    drop(s);
    let mut s = w.server();
    s.reconcile().await;
    s.drain().await;
    let sent = w.chain.with(|l| l.sent.len());
    assert_eq!(w.chain.committed::<pb::MsgSubmitInference>().len(), 1);
    s.reconcile().await;
    s.drain().await;
    assert_eq!(w.chain.with(|l| l.sent.len()), sent);
}

#[tokio::test]
async fn a_commit_whose_answer_was_lost_is_found_on_chain_and_not_sent_again() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let r = w.chain.put_request(2, 1, vec![16, 16, 0, 0], 40);
    w.chain.with(|l| l.lose_commits = 1);
    s.handle(assigned(&r)).await;
    s.drain().await;
    // The tx was committed; the server learned it from the chain, not from the answer.
    assert_eq!(w.chain.request_state(2), RequestState::Completed as i32);
    assert_eq!(s.state().requests[&2].stage, Stage::Completed);
    s.reconcile().await;
    s.drain().await;
    assert_eq!(
        w.chain.with(|l| l
            .sent
            .iter()
            .filter(|(a, _)| a.type_url == pb::MsgSubmitInference::type_url())
            .count()),
        1
    );
}

#[tokio::test]
async fn bad_or_late_requests_are_logged_and_the_server_goes_on() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    // An input of the wrong size, an input out of range, a model not served, a request whose
    // deadline has come, one that expired, and a good one: all in one reconcile.
    w.chain.put_request(1, 1, vec![1, 2, 3], 40);
    w.chain.put_request(2, 1, vec![1, 2, 3, 99], 40);
    w.chain.put_request(3, 7, vec![1, 2, 3, 4], 40);
    w.chain.put_request(4, 1, vec![1, 2, 3, 4], 10);
    let mut expired = w.chain.put_request(5, 1, vec![1, 2, 3, 4], 8);
    expired.state = RequestState::Expired as i32;
    w.chain.with(|l| l.requests.insert(5, expired));
    w.chain.put_request(6, 1, vec![1, 2, 3, 4], 40);
    s.reconcile().await;
    s.drain().await;
    let st = &s.state().requests;
    assert_eq!(st[&1].stage, Stage::Failed);
    assert_eq!(st[&2].stage, Stage::Failed);
    assert_eq!(st[&3].stage, Stage::Failed);
    assert!(st[&3].error.as_deref().unwrap().contains("not served"));
    assert_eq!(st[&4].stage, Stage::Assigned, "too late: left to expire");
    assert!(
        !st.contains_key(&5),
        "expired before it was seen: nothing to do"
    );
    assert_eq!(st[&6].stage, Stage::Submitted);
    let sub = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(
        sub.iter().map(|m| m.request_id).collect::<Vec<_>>(),
        vec![6]
    );
    // A chain event says 4 expired: recorded, and never submitted.
    s.handle(Notice::Expired(pb::EventRequestExpired {
        request_id: 4,
        ..Default::default()
    }))
    .await;
    assert_eq!(s.state().requests[&4].stage, Stage::Expired);
}

#[tokio::test]
async fn a_model_that_is_not_the_registered_one_is_refused_and_nothing_else_is() {
    let w = world();
    write_model_dir(&w.models, 2); // other keys: its verifying key is not model 2's
    let mut other = chain_model(&w.local);
    other.id = 2;
    w.chain.with(|l| l.models.insert(2, other));
    std::fs::create_dir_all(w.models.join("notes")).unwrap();
    let mut s = w.server();
    s.reconcile().await;
    assert_eq!(s.served(), vec![1]);
    assert!(
        s.refused()[&2].contains("verifying_key.bin"),
        "{:?}",
        s.refused()
    );
    assert_eq!(w.chain.committed::<pb::MsgRegisterServer>().len(), 1);
}

#[tokio::test]
async fn the_requester_gets_the_output_and_checks_its_proof() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let mut requester = w.chain.as_(REQUESTER);
    let opts = RequestOptions {
        model_id: 1,
        input_json: "[0.0, 1.0, 0.5, 0.25]".into(),
        fee: None,
        deadline_blocks: None,
        mode: VerificationMode::Zk,
        k: 1,
        poll: Duration::from_millis(5),
        timeout: Duration::from_secs(60),
    };
    let cancel = CancellationToken::new();
    let serve = async {
        for _ in 0..2000 {
            s.reconcile().await;
            s.drain().await;
            if w.chain.with(|l| !l.submissions.is_empty()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let (answer, ()) = tokio::join!(request(&mut requester, &opts, &cancel), serve);
    let a = answer.unwrap();
    assert_eq!(a.state, "completed");
    assert!(a.verified);
    assert_eq!(a.input, vec![0, 16, 8, 4]);
    assert_eq!(a.output, w.local.model.infer(&[0, 16, 8, 4]).unwrap());
    assert_eq!(a.class, Some(deai_zk::argmax(&a.output) as i64));
    assert_eq!(a.fee, "100udeai");
    assert_eq!(a.server, SERVER);

    // A node that serves a tampered proof is caught by the requester's own check.
    w.chain.with(|l| l.tamper_stored_proof = true);
    let serve = async {
        for _ in 0..2000 {
            s.reconcile().await;
            s.drain().await;
            if w.chain.with(|l| l.submissions.len() > 1) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let (answer, ()) = tokio::join!(request(&mut requester, &opts, &cancel), serve);
    let e = answer.unwrap_err().to_string();
    assert!(e.contains("does not verify"), "{e}");
}

#[tokio::test]
async fn a_private_argmax_packed_model_is_checked_and_served_too() {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    let spec = CircuitSpec {
        mode: Mode::Private,
        output: OutputKind::Argmax,
        encoding: IoEncoding::Packed,
    };
    let local = write_model_dir_with(&models, 3, spec);
    let chain = FakeChain::new();
    let record = chain_model(&local);
    assert_eq!(record.weight_commitment.len(), 32);
    local.check(&record).unwrap();
    let mut other = record.clone();
    other.weight_commitment[0] ^= 1;
    assert!(local.check(&other).is_err());
    chain.with(|l| l.models.insert(3, record));
    let (file, st) = state::open(&tmp.path().join("state")).unwrap();
    let mut s = Server::new(
        chain.clone(),
        Config {
            model_dir: models,
            stake: None,
            reconcile_every: Duration::from_secs(1),
            watchdog: false,
        },
        file,
        st,
    );
    s.reconcile().await;
    assert_eq!(s.served(), vec![3]);
    chain.put_request(1, 3, vec![16, 0, 3, 9], 40);
    s.reconcile().await;
    s.drain().await;
    let sub = chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(
        sub.len(),
        1,
        "verified by the fake chain as the module would"
    );
    let logits = local.model.infer(&[16, 0, 3, 9]).unwrap();
    assert_eq!(sub[0].output, vec![deai_zk::argmax(&logits) as i64]);
}

const LIAR: &str = "deai1liar";
const OTHER: &str = "deai1other";
const CHALLENGER: &str = "deai1challenger";

impl FakeChain {
    /// A request of `mode` assigned to `servers`, made directly in the ledger.
    fn put_request_mode(
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
    fn submit_as(&self, who: &str, id: u64, output: Vec<i64>) -> Committed {
        let msg = pb::MsgSubmitInference {
            server: who.into(),
            request_id: id,
            output,
            proof: Vec::new(),
        };
        let mut c = self.as_(who);
        futures_lite_block(c.send(vec![crate::server::any(&msg)])).unwrap()
    }
    fn challenge_as(&self, who: &str, id: u64) -> Committed {
        let msg = pb::MsgChallenge {
            challenger: who.into(),
            request_id: id,
            bond: fake_params().challenge_bond,
        };
        let mut c = self.as_(who);
        futures_lite_block(c.send(vec![crate::server::any(&msg)])).unwrap()
    }
    fn sent_count(&self, type_url: &str) -> usize {
        self.with(|l| {
            l.sent
                .iter()
                .filter(|(a, _)| a.type_url == type_url)
                .count()
        })
    }
    fn challenge_of(&self, id: u64) -> pb::Challenge {
        self.with(|l| l.challenges[&id].clone())
    }
}

/// The fake chain's futures never wait: polled once to completion.
fn futures_lite_block<F: std::future::Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the fake chain never waits"),
    }
}

/// Writes `dir/<id>/model.quantized` (a keyless model) and reads it back.
fn write_keyless_model_dir(dir: &Path, id: u64) -> LocalModel {
    let d = dir.join(id.to_string());
    std::fs::create_dir_all(&d).unwrap();
    let model = deai_zk::quant::quantize(&float_model(), &QuantConfig::unit_range(1.0, 4)).unwrap();
    std::fs::write(
        d.join(crate::models::QUANTIZED_FILE),
        quantized_encoding(&model),
    )
    .unwrap();
    LocalModel::read(id, &d).unwrap()
}

impl Server<FakeChain> {
    /// Queues and answers one request now.
    async fn serve_now(&mut self, id: u64) {
        self.reconcile().await;
        while let Some(x) = self.next_queued() {
            if x == id {
                self.serve(id).await;
            }
        }
    }
}

impl World {
    fn server_with(&self, watchdog: bool) -> Server<FakeChain> {
        let (file, st) = state::open(&self.state).unwrap();
        Server::new(
            self.chain.clone(),
            Config {
                model_dir: self.models.clone(),
                stake: None,
                reconcile_every: Duration::from_secs(1),
                watchdog,
            },
            file,
            st,
        )
    }
    /// Adds keyless model 2 (held as model.quantized) to the directory and the chain.
    fn with_keyless(&self) -> LocalModel {
        let local = write_keyless_model_dir(&self.models, 2);
        let mut m = chain_model(&local);
        m.id = 2;
        self.chain.with(|l| l.models.insert(2, m));
        local
    }
}

#[tokio::test]
async fn optimistic_and_redundant_requests_are_answered_without_proof_once() {
    let w = world();
    let keyless = w.with_keyless();
    let mut s = w.server();
    s.reconcile().await;
    assert_eq!(s.served(), vec![1, 2]);
    let input = vec![3, 16, 0, 9];
    w.chain
        .put_request_mode(1, 1, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    w.chain
        .put_request_mode(2, 2, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    w.chain.put_request_mode(
        3,
        1,
        input.clone(),
        VerificationMode::Redundant,
        &[OTHER, SERVER, LIAR],
    );
    s.reconcile().await;
    s.drain().await;
    let subs = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(subs.len(), 3);
    let truth = w.local.model.infer(&input).unwrap();
    assert_eq!(keyless.model.infer(&input).unwrap(), truth);
    for m in &subs {
        assert_eq!(m.output, truth);
        assert!(m.proof.is_empty(), "no proof outside zk mode");
    }
    assert_eq!(
        w.chain.request_state(1),
        RequestState::ChallengeWindow as i32
    );
    assert_eq!(
        w.chain.request_state(2),
        RequestState::ChallengeWindow as i32
    );
    assert_eq!(w.chain.request_state(3), RequestState::Pending as i32);
    for id in 1..=3 {
        assert_eq!(s.state().requests[&id].stage, Stage::Submitted);
    }
    assert_eq!(
        s.state().requests[&3].mode,
        crate::state::AnswerMode::Redundant
    );
    // Restarted with its state lost: the chain's record of its answers stops a second one.
    drop(s);
    std::fs::remove_dir_all(&w.state).unwrap();
    let mut s = w.server();
    s.reconcile().await;
    s.drain().await;
    assert_eq!(w.chain.sent_count(&pb::MsgSubmitInference::type_url()), 3);
    // The other servers answer (the liar wrongly): the majority completes the request.
    w.chain.submit_as(OTHER, 3, truth.clone());
    let mut wrong = truth.clone();
    wrong[0] += 1;
    w.chain.submit_as(LIAR, 3, wrong);
    assert_eq!(w.chain.request_state(3), RequestState::Completed as i32);
    // The windows close unchallenged: completed.
    w.chain.advance(CHALLENGE_WINDOW + 1);
    s.reconcile().await;
    s.drain().await;
    for id in 1..=3 {
        assert_eq!(s.state().requests[&id].stage, Stage::Completed, "{id}");
    }
}

#[tokio::test]
async fn a_challenged_answer_is_defended_with_a_proof_or_by_adjudication_without_key() {
    let w = world();
    w.with_keyless();
    let mut s = w.server();
    s.reconcile().await;
    let input = vec![1, 2, 3, 4];
    w.chain
        .put_request_mode(1, 1, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    w.chain
        .put_request_mode(2, 2, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    s.reconcile().await;
    s.drain().await;
    // A frivolous challenger challenges both honest answers.
    for id in [1, 2] {
        let c = w.chain.challenge_as(CHALLENGER, id);
        assert!(c.ok(), "{}", c.raw_log);
        for e in typed_events_in::<pb::EventChallengeOpened>(&c.events) {
            s.handle(Notice::ChallengeOpened(e)).await;
        }
    }
    s.drain().await;
    // Keyed model: a proof of the posted output; keyless: the canonical weights.
    let resp = w.chain.committed::<pb::MsgRespondChallenge>();
    assert_eq!(resp.len(), 1);
    assert_eq!(resp[0].request_id, 1);
    let adj = w.chain.committed::<pb::MsgAdjudicate>();
    assert_eq!(adj.len(), 1);
    assert_eq!(adj[0].request_id, 2);
    assert_eq!(
        <sha2::Sha256 as sha2::Digest>::digest(&adj[0].quantized_weights)[..],
        w.chain
            .with(|l| l.models[&2].quantized_weights_sha256.clone())[..]
    );
    for (id, how) in [(1, pb::Resolution::Proof), (2, pb::Resolution::Reexecution)] {
        assert_eq!(w.chain.request_state(id), RequestState::Completed as i32);
        let ch = w.chain.challenge_of(id);
        assert_eq!(ch.state, pb::ChallengeState::Rejected as i32);
        assert_eq!(ch.resolution, how as i32);
    }
    let st = s.state();
    assert_eq!(st.defenses[&1].stage, crate::state::DefenseStage::Responded);
    assert_eq!(
        st.defenses[&2].stage,
        crate::state::DefenseStage::Adjudicated
    );
    // Nothing more is sent, even after a restart.
    let sent = w.chain.with(|l| l.sent.len());
    drop(s);
    let mut s = w.server();
    s.reconcile().await;
    s.drain().await;
    assert_eq!(w.chain.with(|l| l.sent.len()), sent);
}

#[tokio::test]
async fn a_redundant_tie_is_settled_by_the_honest_servers_proof() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let input = vec![5, 6, 7, 8];
    w.chain.put_request_mode(
        1,
        1,
        input.clone(),
        VerificationMode::Redundant,
        &[SERVER, LIAR],
    );
    s.reconcile().await;
    s.drain().await;
    let mut wrong = w.local.model.infer(&input).unwrap();
    wrong[1] -= 3;
    let c = w.chain.submit_as(LIAR, 1, wrong);
    assert_eq!(w.chain.request_state(1), RequestState::Disputed as i32);
    for e in typed_events_in::<pb::EventRedundantTie>(&c.events) {
        s.handle(Notice::Tie(e)).await;
    }
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgRespondChallenge>().len(), 1);
    assert_eq!(w.chain.request_state(1), RequestState::Completed as i32);
    assert_eq!(
        w.chain.with(|l| l.requests[&1].output.clone()),
        w.local.model.infer(&input).unwrap()
    );
}

#[tokio::test]
async fn the_watchdog_challenges_a_wrong_answer_and_adjudicates() {
    let w = world();
    w.with_keyless();
    let mut s = w.server_with(true);
    s.reconcile().await;
    let input = vec![16, 1, 2, 15];
    let truth = w.local.model.infer(&input).unwrap();
    let mut wrong = truth.clone();
    wrong[0] -= 7;
    // An honest answer of another server, and two lies (a keyed and a keyless model).
    w.chain
        .put_request_mode(1, 1, input.clone(), VerificationMode::Optimistic, &[OTHER]);
    w.chain
        .put_request_mode(2, 1, input.clone(), VerificationMode::Optimistic, &[LIAR]);
    w.chain
        .put_request_mode(3, 2, input.clone(), VerificationMode::Optimistic, &[LIAR]);
    let mut notices = Vec::new();
    for (id, who, out) in [(1, OTHER, &truth), (2, LIAR, &wrong), (3, LIAR, &wrong)] {
        let c = w.chain.submit_as(who, id, out.clone());
        notices.extend(
            typed_events_in::<pb::EventInferenceSubmitted>(&c.events)
                .into_iter()
                .map(Notice::Submitted),
        );
    }
    assert_eq!(notices.len(), 3);
    for n in notices {
        s.handle(n).await;
    }
    s.drain().await;
    let ch = w.chain.committed::<pb::MsgChallenge>();
    assert_eq!(
        ch.iter().map(|c| c.request_id).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(ch[0].bond, fake_params().challenge_bond);
    assert_eq!(
        s.state().watched[&1].stage,
        crate::state::WatchStage::Agreed
    );
    // Keyless: adjudicated at once, the liar refuted.
    assert_eq!(w.chain.request_state(3), RequestState::Refuted as i32);
    assert_eq!(
        s.state().watched[&3].stage,
        crate::state::WatchStage::Adjudicated
    );
    // Keyed: the liar's response window runs first.
    assert_eq!(w.chain.request_state(2), RequestState::Disputed as i32);
    assert_eq!(
        s.state().watched[&2].stage,
        crate::state::WatchStage::Challenged
    );
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgAdjudicate>().len(), 1);
    // Near the end of the window, still unanswered: re-executed.
    w.chain.advance(RESPONSE_WINDOW - ADJUDICATE_MARGIN);
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgAdjudicate>().len(), 2);
    assert_eq!(w.chain.request_state(2), RequestState::Refuted as i32);
    let c = w.chain.challenge_of(2);
    assert_eq!(c.state, pb::ChallengeState::Upheld as i32);
    assert_eq!(c.resolution, pb::Resolution::Reexecution as i32);
    assert_eq!(c.recomputed_output, truth);
    assert_eq!(c.challenger, SERVER);
}

#[tokio::test]
async fn a_restarted_watchdog_never_challenges_twice() {
    let w = world();
    w.with_keyless();
    let mut s = w.server_with(true);
    s.reconcile().await;
    let input = vec![0, 0, 16, 16];
    let mut wrong = w.local.model.infer(&input).unwrap();
    wrong[1] += 2;
    for id in [1, 2] {
        w.chain
            .put_request_mode(id, 1, input.clone(), VerificationMode::Optimistic, &[LIAR]);
        w.chain.submit_as(LIAR, id, wrong.clone());
    }
    // Found by the reconcile (no events). Request 1's challenge never reaches the chain;
    // request 2's is committed but the answer is lost.
    s.reconcile().await;
    w.chain.with(|l| {
        l.fail_sends = 1;
    });
    s.check(1).await;
    assert_eq!(
        s.state().watched[&1].stage,
        crate::state::WatchStage::Challenging
    );
    w.chain.with(|l| l.lose_commits = 1);
    s.check(2).await;
    assert_eq!(
        s.state().watched[&2].stage,
        crate::state::WatchStage::Challenged,
        "the chain's challenge is ours"
    );
    drop(s);
    // Restarted: request 1 is challenged once (the chain had none), request 2 not again.
    let mut s = w.server_with(true);
    s.reconcile().await;
    s.drain().await;
    // (The first attempt of 1 never reached the chain.)
    assert_eq!(w.chain.sent_count(&pb::MsgChallenge::type_url()), 2);
    let ch = w.chain.committed::<pb::MsgChallenge>();
    assert_eq!(
        ch.iter().map(|c| c.request_id).collect::<Vec<_>>(),
        vec![2, 1]
    );
    for _ in 0..3 {
        drop(s);
        s = w.server_with(true);
        s.reconcile().await;
        s.drain().await;
    }
    assert_eq!(w.chain.sent_count(&pb::MsgChallenge::type_url()), 2);
    // Both settle by re-execution near the window's end, once each.
    w.chain.advance(RESPONSE_WINDOW - ADJUDICATE_MARGIN);
    s.drain().await;
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgAdjudicate>().len(), 2);
    assert_eq!(w.chain.request_state(1), RequestState::Refuted as i32);
    assert_eq!(w.chain.request_state(2), RequestState::Refuted as i32);
}

#[tokio::test]
async fn the_requester_waits_for_optimistic_and_redundant_settlement() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let mut requester = w.chain.as_(REQUESTER);
    let cancel = CancellationToken::new();
    let opts = |mode, k| RequestOptions {
        model_id: 1,
        input_json: "[0.0, 1.0, 0.5, 0.25]".into(),
        fee: None,
        deadline_blocks: None,
        mode,
        k,
        poll: Duration::from_millis(2),
        timeout: Duration::from_secs(60),
    };
    let truth = w.local.model.infer(&[0, 16, 8, 4]).unwrap();
    // Optimistic: answered, then settled only once the window has closed.
    let o = opts(VerificationMode::Optimistic, 1);
    let serve = async {
        for _ in 0..2000 {
            s.reconcile().await;
            s.drain().await;
            w.chain.advance(1);
            if w.chain.with(|l| {
                l.requests
                    .values()
                    .all(|r| r.state == RequestState::Completed as i32)
            }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let (a, ()) = tokio::join!(request(&mut requester, &o, &cancel), serve);
    let a = a.unwrap();
    assert_eq!(
        (a.state.as_str(), a.mode.as_str(), a.settled_by.as_str()),
        ("completed", "optimistic", "unchallenged")
    );
    assert_eq!(a.output, truth);
    assert!(!a.verified);
    // Redundant(2) with another honest server: the majority.
    w.chain.with(|l| {
        l.servers.insert(
            (1, OTHER.to_string()),
            pb::Server {
                server: OTHER.into(),
                model_id: 1,
                ..Default::default()
            },
        )
    });
    let o = opts(VerificationMode::Redundant, 2);
    let serve = async {
        for _ in 0..2000 {
            s.reconcile().await;
            s.drain().await;
            let pending: Vec<u64> = w.chain.with(|l| {
                l.requests
                    .values()
                    .filter(|r| r.state == RequestState::Pending as i32)
                    .filter(|r| {
                        !l.submissions
                            .iter()
                            .any(|x| x.request_id == r.id && x.server == OTHER)
                    })
                    .map(|r| r.id)
                    .collect()
            });
            for id in pending {
                w.chain.submit_as(OTHER, id, truth.clone());
            }
            if w.chain.with(|l| {
                l.requests
                    .values()
                    .all(|r| r.state == RequestState::Completed as i32)
            }) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    let (a, ()) = tokio::join!(request(&mut requester, &o, &cancel), serve);
    let a = a.unwrap();
    assert_eq!(
        (a.state.as_str(), a.mode.as_str(), a.settled_by.as_str()),
        ("completed", "redundant", "majority")
    );
    assert_eq!(a.output, truth);
}

#[tokio::test]
async fn the_watchdog_settles_other_servers_redundant_tie_by_reexecution() {
    let w = world();
    let keyless = w.with_keyless();
    let mut s = w.server_with(true);
    s.reconcile().await;
    let input = vec![9, 9, 1, 0];
    let truth = keyless.model.infer(&input).unwrap();
    let mut wrong = truth.clone();
    wrong[0] += 1;
    w.chain.put_request_mode(
        1,
        2,
        input.clone(),
        VerificationMode::Redundant,
        &[OTHER, LIAR],
    );
    w.chain.submit_as(OTHER, 1, truth.clone());
    let c = w.chain.submit_as(LIAR, 1, wrong);
    let ties = typed_events_in::<pb::EventRedundantTie>(&c.events);
    assert_eq!(ties.len(), 1);
    s.handle(Notice::Tie(ties[0].clone())).await;
    s.drain().await;
    let adj = w.chain.committed::<pb::MsgAdjudicate>();
    assert_eq!(adj.len(), 1);
    assert_eq!(adj[0].sender, SERVER);
    assert_eq!(w.chain.request_state(1), RequestState::Completed as i32);
    assert_eq!(w.chain.with(|l| l.requests[&1].output.clone()), truth);
    assert_eq!(
        s.state().watched[&1].stage,
        crate::state::WatchStage::Adjudicated
    );
    assert!(w.chain.committed::<pb::MsgChallenge>().is_empty());
    // Seen again (a reconcile, a replayed event): nothing more.
    s.handle(Notice::Tie(ties[0].clone())).await;
    s.reconcile().await;
    s.drain().await;
    assert_eq!(w.chain.committed::<pb::MsgAdjudicate>().len(), 1);
}

#[tokio::test]
async fn an_optimistic_answer_is_sent_once_across_lost_commits_and_restarts() {
    let w = world();
    let mut s = w.server();
    s.reconcile().await;
    let input = vec![2, 4, 6, 8];
    w.chain
        .put_request_mode(1, 1, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    w.chain
        .put_request_mode(2, 1, input.clone(), VerificationMode::Optimistic, &[SERVER]);
    // 1: the node is down; 2: committed, the answer lost.
    w.chain.with(|l| l.fail_sends = 1);
    s.serve_now(1).await;
    assert_eq!(s.state().requests[&1].stage, Stage::Computed);
    w.chain.with(|l| l.lose_commits = 1);
    s.serve_now(2).await;
    assert_eq!(s.state().requests[&2].stage, Stage::Submitted);
    drop(s);
    let mut s = w.server();
    s.reconcile().await;
    s.drain().await;
    let subs = w.chain.committed::<pb::MsgSubmitInference>();
    assert_eq!(
        subs.iter().map(|m| m.request_id).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(w.chain.sent_count(&pb::MsgSubmitInference::type_url()), 2);
    assert_eq!(s.state().requests[&1].stage, Stage::Submitted);
}
