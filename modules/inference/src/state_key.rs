//! Every key of the inference module, and nowhere else.
//!
//! Records are stored proto-encoded (`deai.inference.v1` types). Primary tables hold
//! identity; secondary indexes (empty values unless said otherwise) are written only by the
//! keeper's `put_*` functions.

use deai_framework::keys::KeyBuilder;
use deai_framework::Address;

use crate::MODULE_NAME;

fn k(table: &str) -> KeyBuilder {
    KeyBuilder::new(MODULE_NAME, table)
}

pub fn params() -> Vec<u8> {
    k("params").build()
}

/// The address allowed to change inference's params (see `deai_framework::authority`).
pub fn authority() -> Vec<u8> {
    k("authority").build()
}

/// An id counter (`model`, `request`, `topic`): the next id to hand out.
pub fn sequence(name: &str) -> Vec<u8> {
    k("seq").tail(name.as_bytes()).build()
}

/// A model record, without its verifying key.
pub fn model(id: u64) -> Vec<u8> {
    k("model").u64(id).build()
}

pub fn models() -> Vec<u8> {
    k("model").build()
}

/// A model's verifying key (up to 64 KiB), written once at registration: the record is
/// rewritten by every server registration and update, the key never.
pub fn model_vk(id: u64) -> Vec<u8> {
    k("model_vk").u64(id).build()
}

pub fn model_by_owner(owner: &Address, id: u64) -> Vec<u8> {
    k("model_owner").addr(owner).u64(id).build()
}

pub fn models_by_owner(owner: &Address) -> Vec<u8> {
    k("model_owner").addr(owner).build()
}

/// A server of a model, keyed by the model first: the key is also the index by model.
pub fn server(model_id: u64, server: &Address) -> Vec<u8> {
    k("server").u64(model_id).addr(server).build()
}

/// Every server of one model (at most `MAX_SERVERS_PER_MODEL`).
pub fn servers_of(model_id: u64) -> Vec<u8> {
    k("server").u64(model_id).build()
}

pub fn servers() -> Vec<u8> {
    k("server").build()
}

/// An active server of a model (value: empty), written only by `put_server`: the draw
/// reads this index.
pub fn active_server(model_id: u64, server: &Address) -> Vec<u8> {
    k("server_active").u64(model_id).addr(server).build()
}

pub fn active_servers(model_id: u64) -> Vec<u8> {
    k("server_active").u64(model_id).build()
}

/// An unbonding server, by the height its stake returns (value: model id ‖ address bytes),
/// written only by `put_server`: what `end_block` reads.
pub fn unbonding(height: u64, model_id: u64, server: &Address) -> Vec<u8> {
    k("unbonding")
        .u64(height)
        .u64(model_id)
        .addr(server)
        .build()
}

pub fn unbondings() -> Vec<u8> {
    k("unbonding").build()
}

pub fn unbondings_through(height: u64) -> Vec<u8> {
    through("unbonding", height)
}

pub fn request(id: u64) -> Vec<u8> {
    k("request").u64(id).build()
}

pub fn requests() -> Vec<u8> {
    k("request").build()
}

pub fn request_by_requester(requester: &Address, id: u64) -> Vec<u8> {
    k("request_requester").addr(requester).u64(id).build()
}

pub fn requests_by_requester(requester: &Address) -> Vec<u8> {
    k("request_requester").addr(requester).build()
}

pub fn request_by_server(server: &Address, id: u64) -> Vec<u8> {
    k("request_server").addr(server).u64(id).build()
}

pub fn requests_by_server(server: &Address) -> Vec<u8> {
    k("request_server").addr(server).build()
}

/// An unsettled request by the height at which `end_block` must act on it
/// (`deadline/<height><request_id>`): a pending request's deadline, an optimistic output's
/// `challenge_deadline`, a dispute's `dispute_deadline`. Written only by `put_request`.
pub fn deadline(height: u64, request_id: u64) -> Vec<u8> {
    k("deadline").u64(height).u64(request_id).build()
}

pub fn deadlines() -> Vec<u8> {
    k("deadline").build()
}

pub fn deadlines_through(height: u64) -> Vec<u8> {
    through("deadline", height)
}

/// One server's answer to a request, keyed by the request first (the index by request).
pub fn submission(request_id: u64, server: &Address) -> Vec<u8> {
    k("submission").u64(request_id).addr(server).build()
}

pub fn submissions_of(request_id: u64) -> Vec<u8> {
    k("submission").u64(request_id).build()
}

pub fn submissions() -> Vec<u8> {
    k("submission").build()
}

/// The challenge (or redundant-tie dispute) of a request, keyed by the request.
pub fn challenge(request_id: u64) -> Vec<u8> {
    k("challenge").u64(request_id).build()
}

pub fn challenges() -> Vec<u8> {
    k("challenge").build()
}

/// The first key of a height-ordered index `table` above every entry at `height` or earlier.
fn through(table: &str, height: u64) -> Vec<u8> {
    deai_framework::keys::through(MODULE_NAME, table, height)
}

pub use deai_framework::keys::trailing_id;

/// A topic.
pub fn topic(id: u64) -> Vec<u8> {
    k("topic").u64(id).build()
}

pub fn topics() -> Vec<u8> {
    k("topic").build()
}

/// A topic's worker, keyed by the topic first (the index by topic).
pub fn topic_worker(topic_id: u64, worker: &Address) -> Vec<u8> {
    k("topic_worker").u64(topic_id).addr(worker).build()
}

pub fn topic_workers() -> Vec<u8> {
    k("topic_worker").build()
}

/// A topic's reputer, keyed by the topic first.
pub fn reputer(topic_id: u64, reputer: &Address) -> Vec<u8> {
    k("reputer").u64(topic_id).addr(reputer).build()
}

pub fn reputers() -> Vec<u8> {
    k("reputer").build()
}

/// A worker's inference for one epoch (kept until the epoch is settled).
pub fn topic_inference(topic_id: u64, epoch: u64, worker: &Address) -> Vec<u8> {
    k("topic_inf").u64(topic_id).u64(epoch).addr(worker).build()
}

pub fn topic_inferences_of(topic_id: u64, epoch: u64) -> Vec<u8> {
    k("topic_inf").u64(topic_id).u64(epoch).build()
}

pub fn topic_inferences() -> Vec<u8> {
    k("topic_inf").build()
}

/// A reputer's ground-truth report for one epoch (kept until the epoch is settled).
pub fn ground_truth(topic_id: u64, epoch: u64, reputer: &Address) -> Vec<u8> {
    k("topic_gt").u64(topic_id).u64(epoch).addr(reputer).build()
}

pub fn ground_truths_of(topic_id: u64, epoch: u64) -> Vec<u8> {
    k("topic_gt").u64(topic_id).u64(epoch).build()
}

pub fn ground_truths() -> Vec<u8> {
    k("topic_gt").build()
}

/// A settled epoch's result.
pub fn epoch_result(topic_id: u64, epoch: u64) -> Vec<u8> {
    k("topic_result").u64(topic_id).u64(epoch).build()
}

pub fn epoch_results() -> Vec<u8> {
    k("topic_result").build()
}

/// An epoch with submissions, by the height at whose end_block it is settled
/// (`topic_due/<height><topic><epoch>`, empty value).
pub fn topic_due(height: u64, topic_id: u64, epoch: u64) -> Vec<u8> {
    k("topic_due").u64(height).u64(topic_id).u64(epoch).build()
}

pub fn topic_dues() -> Vec<u8> {
    k("topic_due").build()
}

pub fn topic_dues_through(height: u64) -> Vec<u8> {
    through("topic_due", height)
}

/// The workers of one topic (the prefix of its `topic_worker` keys).
pub fn topic_workers_of(topic_id: u64) -> Vec<u8> {
    k("topic_worker").u64(topic_id).build()
}

/// The reputers of one topic (the prefix of its `reputer` keys).
pub fn reputers_of(topic_id: u64) -> Vec<u8> {
    k("reputer").u64(topic_id).build()
}

/// The emission part of a topic's pool, for its fee proxy (see `emission.rs`): two u128 BE,
/// the emission credited and not yet paid out, and the pool right after the last credit.
pub fn emission_topic(topic_id: u64) -> Vec<u8> {
    k("emission_topic").u64(topic_id).build()
}

pub fn emission_topics() -> Vec<u8> {
    k("emission_topic").build()
}
