//! Helpers for training-market tests over a real chain: queries, the digits task from the
//! CLI, trainer and validator daemons, and the lineage check.

use std::path::Path;
use std::time::{Duration, Instant};

use deai_proto::training::v1 as pb;

use crate::compute::amount;
use crate::worker::Daemon;
use crate::Localnet;

/// Calls a `deai.training.v1.Query` method on node 0.
pub fn query<Req: prost::Message, Res: prost::Message + Default>(
    net: &Localnet,
    method: &str,
    req: &Req,
) -> Res {
    crate::query_service(net, "deai.training.v1.Query", method, req)
}

pub fn task(net: &Localnet, id: u64) -> pb::Task {
    let r: pb::QueryTaskResponse = query(net, "Task", &pb::QueryTaskRequest { id });
    r.task.expect("task")
}

pub fn params(net: &Localnet) -> pb::Params {
    let r: pb::QueryParamsResponse = query(net, "Params", &pb::QueryParamsRequest {});
    r.params.expect("params")
}

pub fn neurons(net: &Localnet, task_id: u64) -> Vec<pb::Neuron> {
    let r: pb::QueryNeuronsResponse = query(
        net,
        "Neurons",
        &pb::QueryNeuronsRequest {
            task_id,
            pagination: None,
        },
    );
    r.neurons
}

pub fn neuron(net: &Localnet, task_id: u64, owner: &str) -> pb::Neuron {
    let r: pb::QueryNeuronResponse = query(
        net,
        "Neuron",
        &pb::QueryNeuronRequest {
            task_id,
            owner: owner.to_string(),
        },
    );
    r.neuron.expect("neuron")
}

/// A round and its updates.
pub fn round(net: &Localnet, task_id: u64, round: u64) -> (pb::Round, Vec<pb::Update>) {
    let r: pb::QueryRoundResponse = query(net, "Round", &pb::QueryRoundRequest { task_id, round });
    (r.round.expect("round"), r.updates)
}

pub fn weights(net: &Localnet, task_id: u64, round: u64) -> Vec<pb::WeightSet> {
    let r: pb::QueryWeightsResponse =
        query(net, "Weights", &pb::QueryWeightsRequest { task_id, round });
    r.weights
}

pub fn incentives(net: &Localnet, task_id: u64, round: u64) -> pb::EpochResult {
    let r: pb::QueryIncentivesResponse = query(
        net,
        "Incentives",
        &pb::QueryIncentivesRequest { task_id, round },
    );
    r.result.expect("epoch result")
}

pub fn lineage(net: &Localnet, task_id: u64) -> pb::QueryLineageResponse {
    query(
        net,
        "Lineage",
        &pb::QueryLineageRequest {
            task_id,
            pagination: None,
        },
    )
}

pub fn audits(net: &Localnet, task_id: u64) -> Vec<pb::Audit> {
    let r: pb::QueryAuditsResponse = query(
        net,
        "Audits",
        &pb::QueryAuditsRequest {
            task_id,
            ..Default::default()
        },
    );
    r.audits
}

pub fn stake_of(n: &pb::Neuron) -> u128 {
    amount(&n.stake)
}

/// Polls task `id` until `done` holds of it (panics with `context()` after `timeout`).
pub fn wait_task(
    net: &Localnet,
    id: u64,
    timeout: Duration,
    done: impl Fn(&pb::Task) -> bool,
    context: impl Fn() -> String,
) -> pb::Task {
    let start = Instant::now();
    loop {
        let t = task(net, id);
        if done(&t) {
            return t;
        }
        assert!(
            start.elapsed() < timeout,
            "task {id} at round {} (state {}) after {timeout:?}\n{}",
            t.round,
            t.state,
            context()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Checks every lineage link of a task from its genesis: each round's link is recomputed from
/// the previous one and the round's own data (base, revealed updates, revealed weights,
/// aggregate), and each round's base is the previous round's aggregate. Returns the number
/// of links checked.
pub fn verify_lineage(net: &Localnet, task_id: u64) -> usize {
    let t = task(net, task_id);
    let spec = t.spec.as_ref().expect("task spec");
    let genesis =
        deai_training::lineage::genesis(task_id, &spec.base_spec_sha256, &spec.dataset_sha256);
    let l = lineage(net, task_id);
    assert_eq!(l.genesis, genesis.to_vec(), "the genesis link");
    let mut prev = genesis.to_vec();
    let mut prev_aggregate: Option<Vec<u8>> = None;
    for r in &l.rounds {
        let (_, updates) = round(net, task_id, r.round);
        let mut hashes: Vec<Vec<u8>> = updates
            .iter()
            .filter(|u| u.revealed)
            .map(|u| u.update_hash.clone())
            .collect();
        hashes.sort();
        let revealed: Vec<pb::WeightSet> = weights(net, task_id, r.round)
            .into_iter()
            .filter(|w| w.revealed)
            .collect();
        let root = deai_training::lineage::weights_root_of(&revealed);
        assert_eq!(
            r.weights_root,
            root.to_vec(),
            "round {} weights root",
            r.round
        );
        let link =
            deai_training::lineage::next(&prev, &r.base_hash, &hashes, &root, &r.aggregate_hash);
        assert_eq!(r.lineage, link.to_vec(), "round {} lineage link", r.round);
        if let Some(a) = &prev_aggregate {
            assert_eq!(
                &r.base_hash, a,
                "round {} starts from the previous aggregate",
                r.round
            );
        }
        prev_aggregate = Some(r.aggregate_hash.clone());
        prev = link.to_vec();
    }
    assert_eq!(
        t.lineage_head, prev,
        "the task's lineage head is the last link"
    );
    l.rounds.len()
}

/// A trainer daemon for `key` on task `task_id`, serving its artifacts on 127.0.0.1:`port`.
pub fn trainer(
    dir: &Path,
    net: &Localnet,
    key: &str,
    task_id: u64,
    port: u16,
    extra: &[&str],
) -> Daemon {
    let (node, keys, addr, url, task) = daemon_args(net, port, task_id);
    let mut args = vec![
        "trainer",
        "start",
        "--node",
        &node,
        "--key",
        key,
        "--keyring-backend",
        "test",
        "--home",
        &keys,
        "--task",
        &task,
        "--artifacts-addr",
        &addr,
        "--public-url",
        &url,
    ];
    args.extend_from_slice(extra);
    Daemon::spawn(dir, &format!("trainer-{key}"), &args)
}

/// A validator daemon for `key` on task `task_id`, evaluating on `eval_data`.
pub fn validator(
    dir: &Path,
    net: &Localnet,
    key: &str,
    task_id: u64,
    port: u16,
    eval_data: &Path,
    extra: &[&str],
) -> Daemon {
    let (node, keys, addr, url, task) = daemon_args(net, port, task_id);
    let eval = eval_data.to_str().unwrap().to_string();
    let mut args = vec![
        "validator",
        "start",
        "--node",
        &node,
        "--key",
        key,
        "--keyring-backend",
        "test",
        "--home",
        &keys,
        "--task",
        &task,
        "--eval-data",
        &eval,
        "--artifacts-addr",
        &addr,
        "--public-url",
        &url,
    ];
    args.extend_from_slice(extra);
    Daemon::spawn(dir, &format!("validator-{key}"), &args)
}

fn daemon_args(
    net: &Localnet,
    port: u16,
    task_id: u64,
) -> (String, String, String, String, String) {
    (
        net.rpc(0),
        net.keys_home().to_str().unwrap().to_string(),
        format!("127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}"),
        task_id.to_string(),
    )
}
