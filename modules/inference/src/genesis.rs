//! inference genesis: `app_state.inference` is the proto3 JSON of
//! `deai.inference.v1.GenesisState` (proto field names, defaults written out, 64-bit integers
//! as strings), read and written through deai-proto's descriptors, so export → import →
//! export is exact.
//!
//! Import checks every record (a model's verifying key is decoded and matched against its
//! layout, as at registration) and that the module account holds exactly Σ server stakes +
//! Σ fees of unsettled requests + Σ bonds of unsettled optimistic answers and open
//! challenges + Σ topic pools + Σ topic worker and reputer stakes (bank's genesis, which runs
//! first, funds it). Topic records are checked as the messages would write them; the
//! settlement index is rebuilt from the unsettled inferences and reports. The emission parts
//! of topic pools (`emission`, see `emission.rs`) travel too, each of a known topic; they
//! hold no coin of their own (the pools do).

use std::collections::BTreeMap;

use deai_auth::AuthWrite;
use deai_framework::genesis::Held;
use deai_framework::records;
use deai_framework::{Address, Coin, StateRead, StateWrite, TxError};
use deai_proto::inference::v1::{
    self as pb, ChallengeState, RequestState, ServerState, VerificationMode, ZkMode,
};

use crate::error::InferenceError;
use crate::keeper::{unsettled, InferenceRead, InferenceWrite};
use crate::msgs::validate_model;
use crate::params::Params;
use crate::{
    state_key, zk, COMMUNITY_POOL, MODEL_SEQ, MODULE_ACCOUNT, MODULE_NAME, REQUEST_SEQ, TOPIC_SEQ,
};

fn invalid(msg: impl Into<String>) -> TxError {
    InferenceError::InvalidGenesis(msg.into()).into()
}

/// Parses `app_state.inference`; `{}` or null is the default genesis.
pub fn import_proto(json: &serde_json::Value) -> Result<pb::GenesisState, TxError> {
    deai_framework::genesis::from_json(json, invalid)
}

/// The proto3 JSON of a genesis state.
pub fn export_proto(g: &pb::GenesisState) -> Result<serde_json::Value, TxError> {
    deai_framework::genesis::to_json(g)
}

fn coin(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> Result<Coin, TxError> {
    deai_framework::genesis::required_coin(c, what, invalid)
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g = import_proto(json)?;
    let params = deai_framework::genesis::params(&g.params, Params::from_proto)?;
    state.set_inference_params(&params)?;
    deai_framework::authority::init_proto(state, &state_key::authority(), &g.authority)?;
    let module = state.ensure_module_account_with(MODULE_ACCOUNT, &[])?;
    state.ensure_module_account_with(COMMUNITY_POOL, &[])?;

    let mut held = Held::default();
    import_topics(state, &g, &mut held)?;
    crate::emission::import(state, &g.emission, invalid)?;
    let next_model = g.next_model_id.max(1);
    let mut servers_per_model: BTreeMap<u64, u32> = BTreeMap::new();
    for m in &g.models {
        let owner = Address::from_bech32(&m.owner)?;
        if m.id == 0 || m.id >= next_model || state.get_model(m.id)?.is_some() {
            return Err(invalid(format!("model {}: bad id or duplicate", m.id)));
        }
        let bad = |e: InferenceError| invalid(format!("model {}: {e}", m.id));
        validate_model(m).map_err(bad)?;
        coin(&m.price, "model price")?;
        if m.zk_mode != ZkMode::None as i32 {
            zk::check_key(&zk::layout_of(m).map_err(bad)?, &m.verifying_key).map_err(bad)?;
        }
        state.put_model(&pb::Model {
            owner: owner.to_bech32(),
            ..m.clone()
        })?;
    }
    let mut pending_of: BTreeMap<(u64, String), u32> = BTreeMap::new();
    for s in &g.servers {
        let addr = Address::from_bech32(&s.server)?;
        let known = ServerState::try_from(s.state).is_ok_and(|st| st != ServerState::Unspecified);
        if !known
            || state.get_model(s.model_id)?.is_none()
            || state.get_server(s.model_id, &addr)?.is_some()
        {
            return Err(invalid(format!(
                "server {} of model {}: state, model or duplicate",
                s.server, s.model_id
            )));
        }
        if s.state == ServerState::Active as i32 && s.unbonding_end != 0 {
            return Err(invalid(format!(
                "active server {} with an unbonding end",
                s.server
            )));
        }
        held.add(&coin(&s.stake, "server stake")?)?;
        *servers_per_model.entry(s.model_id).or_default() += 1;
        pending_of.insert((s.model_id, s.server.clone()), 0);
        state.put_server(s)?;
    }
    for m in &g.models {
        let n = servers_per_model.get(&m.id).copied().unwrap_or(0);
        if m.server_count != n || n > crate::params::MAX_SERVERS_PER_MODEL {
            return Err(invalid(format!("model {}: server_count", m.id)));
        }
    }
    import_requests(state, &g, &mut held, &mut pending_of)?;
    for s in &g.servers {
        if pending_of.get(&(s.model_id, s.server.clone())).copied() != Some(s.pending_requests) {
            return Err(invalid(format!("server {}: pending_requests", s.server)));
        }
    }
    state.set_sequence(MODEL_SEQ, g.next_model_id)?;
    state.set_sequence(REQUEST_SEQ, g.next_request_id)?;
    state.set_sequence(TOPIC_SEQ, g.next_topic_id)?;

    deai_bank::check_module_holds(
        state,
        MODULE_ACCOUNT,
        &module.address,
        &held,
        "stakes, fees, bonds and topic pools",
        invalid,
    )
}

/// Requests of a known model, ids below `next_request_id`, in a state their mode can be in
/// (zk: pending, completed, expired; optimistic: also challenge window, disputed, refuted;
/// redundant: all but challenge window), with 1 server (k servers, 2..=MAX_REDUNDANCY,
/// distinct, in redundant mode), each a server of the model. Unsettled requests count
/// towards each assigned server's `pending_requests`, and their fees are held by the module
/// account. Submissions: of a known request, by one of its servers, at most one each; an
/// optimistic request in its window or disputed has its server's answer, whose bond is held.
/// Challenges: exactly one, open, for each disputed request (its bond held; a redundant
/// tie's has no challenger and no bond); closed ones of settled requests.
fn import_requests(
    state: &mut dyn StateWrite,
    g: &pb::GenesisState,
    held: &mut Held,
    pending_of: &mut BTreeMap<(u64, String), u32>,
) -> Result<(), TxError> {
    use RequestState as S;
    let next = g.next_request_id.max(1);
    for r in &g.requests {
        Address::from_bech32(&r.requester)?;
        let bad = || invalid(format!("request {}", r.id));
        let st = S::try_from(r.state).map_err(|_| bad())?;
        let (states, k_ok): (&[S], bool) = match VerificationMode::try_from(r.mode) {
            Ok(VerificationMode::Zk) => (
                &[S::Pending, S::Completed, S::Expired],
                r.servers.len() == 1,
            ),
            Ok(VerificationMode::Optimistic) => (
                &[
                    S::Pending,
                    S::ChallengeWindow,
                    S::Disputed,
                    S::Completed,
                    S::Expired,
                    S::Refuted,
                ],
                r.servers.len() == 1,
            ),
            Ok(VerificationMode::Redundant) => {
                let mut distinct = r.servers.clone();
                distinct.sort();
                distinct.dedup();
                (
                    &[
                        S::Pending,
                        S::Disputed,
                        S::Completed,
                        S::Expired,
                        S::Refuted,
                    ],
                    (2..=crate::params::MAX_REDUNDANCY as usize).contains(&r.servers.len())
                        && distinct.len() == r.servers.len()
                        && r.k as usize == r.servers.len(),
                )
            }
            _ => return Err(bad()),
        };
        if r.id == 0
            || r.id >= next
            || !states.contains(&st)
            || !k_ok
            || state.get_request(r.id)?.is_some()
        {
            return Err(bad());
        }
        let m = state.get_model(r.model_id)?.ok_or_else(bad)?;
        let fee = coin(&r.fee, "request fee")?;
        if m.architecture.first().copied().unwrap_or(0) as usize != r.input.len() {
            return Err(bad());
        }
        let open = unsettled(r);
        for s in &r.servers {
            Address::from_bech32(s)?;
            if open {
                let n = pending_of
                    .get_mut(&(r.model_id, s.clone()))
                    .ok_or_else(bad)?;
                *n += 1;
            }
        }
        if open {
            held.add(&fee)?;
        }
        state.put_request(r)?;
    }
    for s in &g.submissions {
        let addr = Address::from_bech32(&s.server)?;
        let r = state
            .get_request(s.request_id)?
            .ok_or_else(|| invalid(format!("submission of unknown request {}", s.request_id)))?;
        if !r.servers.contains(&s.server) || state.get_submission(s.request_id, &addr)?.is_some() {
            return Err(invalid(format!("submission of request {}", s.request_id)));
        }
        let optimistic = r.mode == VerificationMode::Optimistic as i32;
        if optimistic != s.bond.is_some() {
            return Err(invalid(format!(
                "submission bond of request {}",
                s.request_id
            )));
        }
        if optimistic && unsettled(&r) {
            held.add(&coin(&s.bond, "server bond")?)?;
        }
        state.put_submission(s)?;
    }
    for c in &g.challenges {
        let bad = || invalid(format!("challenge of request {}", c.request_id));
        let r = state.get_request(c.request_id)?.ok_or_else(bad)?;
        let open = c.state == ChallengeState::Open as i32;
        let known =
            ChallengeState::try_from(c.state).is_ok_and(|x| x != ChallengeState::Unspecified);
        let redundant = r.mode == VerificationMode::Redundant as i32;
        let optimistic = r.mode == VerificationMode::Optimistic as i32;
        if !known
            || !(redundant || optimistic)
            || open != (r.state == RequestState::Disputed as i32)
            || (open && c.response_deadline != r.dispute_deadline)
            || redundant != c.challenger.is_empty()
            || redundant != c.bond.is_none()
            || state.get_challenge(c.request_id)?.is_some()
        {
            return Err(bad());
        }
        if optimistic {
            Address::from_bech32(&c.challenger)?;
            let bond = coin(&c.bond, "challenge bond")?;
            if open {
                held.add(&bond)?;
            }
        }
        state.put_challenge(c)?;
    }
    for r in &g.requests {
        let needs_answer = r.mode == VerificationMode::Optimistic as i32
            && (r.state == RequestState::ChallengeWindow as i32
                || r.state == RequestState::Disputed as i32);
        let answered = match r.servers.first() {
            Some(s) => state
                .get_submission(r.id, &Address::from_bech32(s)?)?
                .is_some(),
            None => false,
        };
        if (needs_answer && !answered)
            || (r.state == RequestState::Disputed as i32 && state.get_challenge(r.id)?.is_none())
        {
            return Err(invalid(format!(
                "request {}: answer or challenge missing",
                r.id
            )));
        }
    }
    Ok(())
}

/// Topics with ids below `next_topic_id`, valid fields and a pool; workers and reputers of
/// known topics (each once, a stake, a parseable score), matching each topic's counts;
/// unsettled inferences and reports (a registered worker or reputer, an epoch after the last
/// settled one, a value in range); results of settled epochs.
fn import_topics(
    state: &mut dyn StateWrite,
    g: &pb::GenesisState,
    held: &mut Held,
) -> Result<(), TxError> {
    use crate::fx::{Fx, MAX_TOPIC_VALUE};
    use crate::topics::settle_height;
    let next = g.next_topic_id.max(1);
    for t in &g.topics {
        let bad = |why: &str| invalid(format!("topic {}: {why}", t.id));
        Address::from_bech32(&t.creator)?;
        if t.id == 0 || t.id >= next || state.get_topic(t.id)?.is_some() {
            return Err(bad("bad id or duplicate"));
        }
        crate::msgs::validate_topic(
            &t.metric,
            t.loss_method,
            t.epoch_length,
            t.ground_truth_lag,
            &t.alpha,
        )
        .map_err(|e| bad(&e.log))?;
        held.add(&coin(&t.pool, "topic pool")?)?;
        state.put_topic(t)?;
    }
    let value_ok = |v: i64| (-MAX_TOPIC_VALUE..=MAX_TOPIC_VALUE).contains(&v);
    let mut workers: BTreeMap<u64, u32> = BTreeMap::new();
    for w in &g.topic_workers {
        let a = Address::from_bech32(&w.worker)?;
        let bad = || invalid(format!("topic worker {} of topic {}", w.worker, w.topic_id));
        if state.get_topic(w.topic_id)?.is_none()
            || state.get_topic_worker(w.topic_id, &a)?.is_some()
            || !Fx::parse(&w.score).is_ok_and(|x| x.abs_units() <= crate::fx::MAX_SCORE_UNITS)
        {
            return Err(bad());
        }
        held.add(&coin(&w.stake, "topic worker stake")?)?;
        coin(&w.rewards, "topic worker rewards")?;
        *workers.entry(w.topic_id).or_default() += 1;
        state.put_topic_worker(w)?;
    }
    let mut reputers: BTreeMap<u64, u32> = BTreeMap::new();
    for r in &g.reputers {
        let a = Address::from_bech32(&r.reputer)?;
        if state.get_topic(r.topic_id)?.is_none() || state.get_reputer(r.topic_id, &a)?.is_some() {
            return Err(invalid(format!(
                "reputer {} of topic {}",
                r.reputer, r.topic_id
            )));
        }
        held.add(&coin(&r.stake, "reputer stake")?)?;
        coin(&r.rewards, "reputer rewards")?;
        *reputers.entry(r.topic_id).or_default() += 1;
        state.put_reputer(r)?;
    }
    for t in &g.topics {
        let nw = workers.get(&t.id).copied().unwrap_or(0);
        let nr = reputers.get(&t.id).copied().unwrap_or(0);
        if t.worker_count != nw
            || t.reputer_count != nr
            || nw > crate::params::MAX_TOPIC_WORKERS
            || nr > crate::params::MAX_TOPIC_REPUTERS
        {
            return Err(invalid(format!(
                "topic {}: worker_count or reputer_count",
                t.id
            )));
        }
    }
    for i in &g.topic_inferences {
        let a = Address::from_bech32(&i.worker)?;
        let bad = || {
            invalid(format!(
                "inference of {} for epoch {} of topic {}",
                i.worker, i.epoch, i.topic_id
            ))
        };
        let t = state.get_topic(i.topic_id)?.ok_or_else(bad)?;
        let key = state_key::topic_inference(i.topic_id, i.epoch, &a);
        if state.get_topic_worker(i.topic_id, &a)?.is_none()
            || i.epoch <= t.last_settled_epoch
            || !value_ok(i.value)
            || state.get(&key)?.is_some()
        {
            return Err(bad());
        }
        state.put_topic_inference(i, settle_height(&t, i.epoch))?;
    }
    for r in &g.ground_truths {
        let a = Address::from_bech32(&r.reputer)?;
        let bad = || {
            invalid(format!(
                "report of {} for epoch {} of topic {}",
                r.reputer, r.epoch, r.topic_id
            ))
        };
        let t = state.get_topic(r.topic_id)?.ok_or_else(bad)?;
        let key = state_key::ground_truth(r.topic_id, r.epoch, &a);
        if state.get_reputer(r.topic_id, &a)?.is_none()
            || r.epoch <= t.last_settled_epoch
            || !value_ok(r.value)
            || state.get(&key)?.is_some()
        {
            return Err(bad());
        }
        state.put_ground_truth(r, settle_height(&t, r.epoch))?;
    }
    for r in &g.epoch_results {
        let bad = || {
            invalid(format!(
                "result of epoch {} of topic {}",
                r.epoch, r.topic_id
            ))
        };
        let t = state.get_topic(r.topic_id)?.ok_or_else(bad)?;
        if r.epoch == 0
            || r.epoch > t.last_settled_epoch
            || state.get_epoch_result(r.topic_id, r.epoch)?.is_some()
        {
            return Err(bad());
        }
        state.put_epoch_result(r)?;
    }
    Ok(())
}

fn all<M: prost::Message + Default>(
    state: &dyn StateRead,
    prefix: Vec<u8>,
) -> Result<Vec<M>, TxError> {
    records::all_under(MODULE_NAME, state, &prefix, usize::MAX)
}

pub fn export(state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let authority = deai_framework::authority::get(state, &state_key::authority())?;
    let g = pb::GenesisState {
        params: Some(state.inference_params()?.to_proto()),
        authority: authority.to_bech32(),
        models: all::<pb::Model>(state, state_key::models())?
            .into_iter()
            .map(|m| state.with_vk(m))
            .collect::<Result<_, _>>()?,
        servers: all(state, state_key::servers())?,
        requests: all(state, state_key::requests())?,
        submissions: all(state, state_key::submissions())?,
        challenges: all(state, state_key::challenges())?,
        topics: all(state, state_key::topics())?,
        topic_workers: all(state, state_key::topic_workers())?,
        reputers: all(state, state_key::reputers())?,
        topic_inferences: all(state, state_key::topic_inferences())?,
        ground_truths: all(state, state_key::ground_truths())?,
        epoch_results: all(state, state_key::epoch_results())?,
        next_model_id: state.sequence(MODEL_SEQ)?,
        next_request_id: state.sequence(REQUEST_SEQ)?,
        next_topic_id: state.sequence(TOPIC_SEQ)?,
        emission: crate::emission::export(state)?,
    };
    export_proto(&g)
}
