//! How the fake chain executes messages and passes blocks, as the inference module would.

use cosmos_sdk_proto::Any;
use deai_framework::events::typed_event;
use deai_proto::inference::v1::{self as pb, RequestState, VerificationMode};
use deai_zk::verifier::PreparedVerifier;
use deai_zk::Statement;
use prost::{Message, Name};

use super::fake_chain::*;
use crate::models::layout_of;
use crate::server::request_context;

macro_rules! json_event {
    ($m:expr) => {{
        let e = typed_event($m);
        serde_json::json!({"type": e.kind, "attributes": e.attributes.iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v})).collect::<Vec<_>>()})
    }};
}

impl FakeChain {
    pub(super) fn apply(
        l: &mut Ledger,
        m: &Any,
        signer: &str,
    ) -> Result<serde_json::Value, String> {
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

    pub(super) fn open_dispute(l: &Ledger, id: u64) -> Result<pb::Request, String> {
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
    pub(super) fn resolve(l: &mut Ledger, id: u64, truth: Vec<i64>, how: pb::Resolution) {
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
    pub(super) fn advance(&self, blocks: u64) {
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
