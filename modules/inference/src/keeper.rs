//! The inference keeper, as extension traits on any state. Records are only written here; a
//! model's owner index only by `put_model`; a server's active and unbonding indexes only by
//! `put_server`; a request's indexes (by requester, by server, and the deadline index of
//! pending requests) only by `put_request`.

use deai_framework::keys::prefix_end;
use deai_framework::records;
use deai_framework::{sdk, Address, StateRead, StateWrite, TxError};
use deai_proto::inference::v1::{self as pb, RequestState, ServerState};
use prost::Message;

use crate::params::{Params, MAX_SERVERS_PER_MODEL};
use crate::{state_key, MODULE_NAME};

pub(crate) fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, TxError> {
    records::decode(MODULE_NAME, bytes)
}

fn get<M: Message + Default, S: StateRead + ?Sized>(
    s: &S,
    key: &[u8],
) -> Result<Option<M>, TxError> {
    records::get(MODULE_NAME, s, key)
}

pub(crate) use deai_framework::records::stored_addr;

/// Whether a request's fee (and any bonds of it) is still held: pending, in its challenge
/// window, or disputed.
pub fn unsettled(r: &pb::Request) -> bool {
    r.state == RequestState::Pending as i32
        || r.state == RequestState::ChallengeWindow as i32
        || r.state == RequestState::Disputed as i32
}

/// The height at which `end_block` acts on an unsettled request (the `deadline` index).
pub fn due_height(r: &pb::Request) -> Option<u64> {
    match RequestState::try_from(r.state) {
        Ok(RequestState::Pending) => Some(r.deadline),
        Ok(RequestState::ChallengeWindow) => Some(r.challenge_deadline),
        Ok(RequestState::Disputed) => Some(r.dispute_deadline),
        _ => None,
    }
}

pub trait InferenceRead: StateRead {
    fn inference_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    /// A model without its verifying key (`verifying_key` empty).
    fn get_model(&self, id: u64) -> Result<Option<pb::Model>, TxError> {
        get(self, &state_key::model(id))
    }

    /// A model with its verifying key, as queries and the genesis export show it.
    fn get_model_with_vk(&self, id: u64) -> Result<Option<pb::Model>, TxError> {
        self.get_model(id)?.map(|m| self.with_vk(m)).transpose()
    }

    fn with_vk(&self, mut m: pb::Model) -> Result<pb::Model, TxError> {
        m.verifying_key = self.verifying_key(m.id)?;
        Ok(m)
    }

    /// The stored verifying key of a model (empty for zk_mode none).
    fn verifying_key(&self, model_id: u64) -> Result<Vec<u8>, TxError> {
        Ok(self
            .get(&state_key::model_vk(model_id))?
            .unwrap_or_default())
    }

    fn get_server(&self, model_id: u64, server: &Address) -> Result<Option<pb::Server>, TxError> {
        get(self, &state_key::server(model_id, server))
    }

    /// The active servers of a model, by address (at most [`MAX_SERVERS_PER_MODEL`]).
    fn active_servers(&self, model_id: u64) -> Result<Vec<pb::Server>, TxError> {
        let prefix = state_key::active_servers(model_id);
        let end = prefix_end(&prefix);
        let mut out = Vec::new();
        for (k, _) in self.scan(
            &prefix,
            end.as_deref(),
            false,
            MAX_SERVERS_PER_MODEL as usize,
        )? {
            let addr_bytes = k
                .get(prefix.len() + 1..)
                .ok_or_else(|| sdk::internal("corrupt active server index"))?;
            let addr = Address::from_bytes(addr_bytes)
                .map_err(|_| sdk::internal("corrupt active server index"))?;
            out.push(self.get_server(model_id, &addr)?.ok_or_else(|| {
                sdk::internal(format!(
                    "active index names missing server of model {model_id}"
                ))
            })?);
        }
        Ok(out)
    }

    fn get_request(&self, id: u64) -> Result<Option<pb::Request>, TxError> {
        get(self, &state_key::request(id))
    }

    fn get_challenge(&self, request_id: u64) -> Result<Option<pb::Challenge>, TxError> {
        get(self, &state_key::challenge(request_id))
    }

    fn get_submission(
        &self,
        request_id: u64,
        server: &Address,
    ) -> Result<Option<pb::Submission>, TxError> {
        get(self, &state_key::submission(request_id, server))
    }

    fn get_topic(&self, id: u64) -> Result<Option<pb::Topic>, TxError> {
        get(self, &state_key::topic(id))
    }

    fn get_topic_worker(
        &self,
        topic_id: u64,
        worker: &Address,
    ) -> Result<Option<pb::TopicWorker>, TxError> {
        get(self, &state_key::topic_worker(topic_id, worker))
    }

    fn get_reputer(
        &self,
        topic_id: u64,
        reputer: &Address,
    ) -> Result<Option<pb::Reputer>, TxError> {
        get(self, &state_key::reputer(topic_id, reputer))
    }

    fn get_epoch_result(
        &self,
        topic_id: u64,
        epoch: u64,
    ) -> Result<Option<pb::EpochResult>, TxError> {
        get(self, &state_key::epoch_result(topic_id, epoch))
    }

    /// Every record under `prefix`, at most `max` (a bound the rules guarantee).
    fn records_under<M: Message + Default>(
        &self,
        prefix: &[u8],
        max: usize,
    ) -> Result<Vec<M>, TxError> {
        records::all_under(MODULE_NAME, self, prefix, max)
    }

    /// The counter `name` as stored (0 if never set).
    fn sequence(&self, name: &str) -> Result<u64, TxError> {
        records::sequence(MODULE_NAME, self, &state_key::sequence(name))
    }
}

impl<T: StateRead + ?Sized> InferenceRead for T {}

pub trait InferenceWrite: StateWrite {
    fn set_inference_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    /// Writes a model and its owner index. A non-empty `verifying_key` is written to its own
    /// key (once, at registration or genesis); the record is stored without it.
    fn put_model(&mut self, m: &pb::Model) -> Result<(), TxError> {
        if !m.verifying_key.is_empty() {
            self.put(state_key::model_vk(m.id), m.verifying_key.clone())?;
        }
        let owner = stored_addr(&m.owner)?;
        self.put(state_key::model_by_owner(&owner, m.id), Vec::new())?;
        let record = pb::Model {
            verifying_key: Vec::new(),
            ..m.clone()
        };
        self.put(state_key::model(m.id), record.encode_to_vec())
    }

    /// Writes a server and keeps its active and unbonding index entries in step.
    fn put_server(&mut self, s: &pb::Server) -> Result<(), TxError> {
        let addr = stored_addr(&s.server)?;
        if let Some(old) = self.get_server(s.model_id, &addr)? {
            self.delete(state_key::unbonding(old.unbonding_end, old.model_id, &addr))?;
        }
        if s.state == ServerState::Active as i32 {
            self.put(state_key::active_server(s.model_id, &addr), Vec::new())?;
        } else {
            self.delete(state_key::active_server(s.model_id, &addr))?;
        }
        if s.state == ServerState::Unbonding as i32 {
            let mut value = s.model_id.to_be_bytes().to_vec();
            value.extend_from_slice(addr.as_bytes());
            self.put(
                state_key::unbonding(s.unbonding_end, s.model_id, &addr),
                value,
            )?;
        }
        self.put(state_key::server(s.model_id, &addr), s.encode_to_vec())
    }

    /// Removes a server and its index entries.
    fn remove_server(&mut self, model_id: u64, server: &Address) -> Result<(), TxError> {
        if let Some(old) = self.get_server(model_id, server)? {
            self.delete(state_key::unbonding(old.unbonding_end, model_id, server))?;
        }
        self.delete(state_key::active_server(model_id, server))?;
        self.delete(state_key::server(model_id, server))
    }

    /// Writes a request and keeps its indexes (by requester, by each assigned server, and the
    /// deadline index of pending requests) in step.
    fn put_request(&mut self, r: &pb::Request) -> Result<(), TxError> {
        if let Some(old) = self.get_request(r.id)? {
            if let Some(h) = due_height(&old) {
                self.delete(state_key::deadline(h, old.id))?;
            }
        }
        if let Some(h) = due_height(r) {
            self.put(state_key::deadline(h, r.id), Vec::new())?;
        }
        let requester = stored_addr(&r.requester)?;
        self.put(
            state_key::request_by_requester(&requester, r.id),
            Vec::new(),
        )?;
        for s in &r.servers {
            self.put(
                state_key::request_by_server(&stored_addr(s)?, r.id),
                Vec::new(),
            )?;
        }
        self.put(state_key::request(r.id), r.encode_to_vec())
    }

    fn put_challenge(&mut self, c: &pb::Challenge) -> Result<(), TxError> {
        self.put(state_key::challenge(c.request_id), c.encode_to_vec())
    }

    fn put_submission(&mut self, s: &pb::Submission) -> Result<(), TxError> {
        let server = stored_addr(&s.server)?;
        self.put(
            state_key::submission(s.request_id, &server),
            s.encode_to_vec(),
        )
    }

    fn put_topic(&mut self, t: &pb::Topic) -> Result<(), TxError> {
        self.put(state_key::topic(t.id), t.encode_to_vec())
    }

    fn put_topic_worker(&mut self, w: &pb::TopicWorker) -> Result<(), TxError> {
        let a = stored_addr(&w.worker)?;
        self.put(state_key::topic_worker(w.topic_id, &a), w.encode_to_vec())
    }

    fn put_reputer(&mut self, r: &pb::Reputer) -> Result<(), TxError> {
        let a = stored_addr(&r.reputer)?;
        self.put(state_key::reputer(r.topic_id, &a), r.encode_to_vec())
    }

    /// Writes an inference and the settlement index entry of its epoch (`due` height).
    fn put_topic_inference(&mut self, i: &pb::TopicInference, due: u64) -> Result<(), TxError> {
        let a = stored_addr(&i.worker)?;
        self.put(state_key::topic_due(due, i.topic_id, i.epoch), Vec::new())?;
        self.put(
            state_key::topic_inference(i.topic_id, i.epoch, &a),
            i.encode_to_vec(),
        )
    }

    /// Writes a ground-truth report and the settlement index entry of its epoch.
    fn put_ground_truth(&mut self, g: &pb::GroundTruthReport, due: u64) -> Result<(), TxError> {
        let a = stored_addr(&g.reputer)?;
        self.put(state_key::topic_due(due, g.topic_id, g.epoch), Vec::new())?;
        self.put(
            state_key::ground_truth(g.topic_id, g.epoch, &a),
            g.encode_to_vec(),
        )
    }

    fn put_epoch_result(&mut self, r: &pb::EpochResult) -> Result<(), TxError> {
        self.put(
            state_key::epoch_result(r.topic_id, r.epoch),
            r.encode_to_vec(),
        )
    }

    fn set_sequence(&mut self, name: &str, v: u64) -> Result<(), TxError> {
        self.put(state_key::sequence(name), v.to_be_bytes().to_vec())
    }

    /// Hands out the next id of counter `name` (ids start at 1).
    fn next_id(&mut self, name: &str) -> Result<u64, TxError> {
        records::next_id(MODULE_NAME, self, state_key::sequence(name), name)
    }
}

impl<T: StateWrite + ?Sized> InferenceWrite for T {}
