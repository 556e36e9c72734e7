//! inference's typed events (`deai.inference.v1.Event*`), emitted as the SDK's
//! `EmitTypedEvent` does. Bank's transfer events of each escrow movement are emitted beside
//! them.

use deai_bank::Routed;
use deai_framework::{typed_event, Address, Coin, Event, TxError};
use deai_proto::inference::v1 as pb;

use crate::params::Params;

pub fn params_updated(authority: &Address, params: &Params) -> Event {
    typed_event(&pb::EventParamsUpdated {
        authority: authority.to_bech32(),
        params: Some(params.to_proto()),
    })
}

pub fn model_registered(m: &pb::Model, verifying_key_sha256: Vec<u8>) -> Event {
    typed_event(&pb::EventModelRegistered {
        model_id: m.id,
        owner: m.owner.clone(),
        name: m.name.clone(),
        architecture: m.architecture.clone(),
        zk_mode: m.zk_mode,
        verifying_key_sha256,
        price: m.price.clone(),
    })
}

pub fn model_updated(m: &pb::Model) -> Event {
    typed_event(&pb::EventModelUpdated {
        model_id: m.id,
        price: m.price.clone(),
        enabled: m.enabled,
    })
}

pub fn server_registered(s: &pb::Server) -> Event {
    typed_event(&pb::EventServerRegistered {
        model_id: s.model_id,
        server: s.server.clone(),
        stake: s.stake.clone(),
    })
}

pub fn server_unbonding(s: &pb::Server) -> Event {
    typed_event(&pb::EventServerUnbonding {
        model_id: s.model_id,
        server: s.server.clone(),
        unbonding_end: s.unbonding_end,
    })
}

pub fn server_unbonded(s: &pb::Server, refunded: &Coin) -> Event {
    typed_event(&pb::EventServerUnbonded {
        model_id: s.model_id,
        server: s.server.clone(),
        refunded: Some(refunded.to_proto()),
    })
}

/// A slash routed by `deai_bank::route_slash`: claims `[victim, reporter]` in that order
/// (either may be absent: an empty name and nothing paid), the rest to the community pool.
#[allow(clippy::too_many_arguments)]
pub fn server_slashed(
    s: &pb::Server,
    request_id: u64,
    reason: &str,
    amount: &Coin,
    victim: &str,
    reporter: &str,
    routed: &Routed,
) -> Result<Event, TxError> {
    let c = |v: u128| Coin::new(amount.denom.clone(), v).map(|c| Some(c.to_proto()));
    let mut paid = routed.paid.iter().copied();
    let to_victim = if victim.is_empty() {
        0
    } else {
        paid.next().unwrap_or(0)
    };
    let to_reporter = if reporter.is_empty() {
        0
    } else {
        paid.next().unwrap_or(0)
    };
    Ok(typed_event(&pb::EventServerSlashed {
        model_id: s.model_id,
        server: s.server.clone(),
        request_id,
        reason: reason.to_string(),
        amount: Some(amount.to_proto()),
        victim: victim.to_string(),
        to_victim: c(to_victim)?,
        reporter: reporter.to_string(),
        to_reporter: c(to_reporter)?,
        to_community_pool: c(routed.to_pool)?,
    }))
}

pub fn inference_requested(r: &pb::Request) -> Event {
    typed_event(&pb::EventInferenceRequested {
        request_id: r.id,
        model_id: r.model_id,
        requester: r.requester.clone(),
        fee: r.fee.clone(),
        mode: r.mode,
        k: r.k,
        deadline: r.deadline,
        servers: r.servers.clone(),
    })
}

pub fn inference_submitted(
    request_id: u64,
    server: &str,
    output: &[i64],
    proof_verified: bool,
    verify_gas: u64,
    bond: Option<&Coin>,
) -> Event {
    typed_event(&pb::EventInferenceSubmitted {
        request_id,
        server: server.to_string(),
        output: output.to_vec(),
        proof_verified,
        verify_gas,
        bond: bond.map(Coin::to_proto),
    })
}

/// `server` is the first of `paid` (the one server outside redundant mode); `to_server` is
/// what all of `paid` received together.
pub fn request_completed(
    r: &pb::Request,
    paid: &[Address],
    to_server: &Coin,
    take: &Coin,
    model_owner: &Address,
    royalty: &Coin,
) -> Event {
    typed_event(&pb::EventRequestCompleted {
        request_id: r.id,
        model_id: r.model_id,
        output: r.output.clone(),
        server: paid.first().map(Address::to_bech32).unwrap_or_default(),
        to_server: Some(to_server.to_proto()),
        take: Some(take.to_proto()),
        model_owner: model_owner.to_bech32(),
        royalty: Some(royalty.to_proto()),
        paid_servers: paid.iter().map(Address::to_bech32).collect(),
    })
}

pub fn request_refuted(r: &pb::Request, refunded: &Coin, wrong_servers: Vec<String>) -> Event {
    typed_event(&pb::EventRequestRefuted {
        request_id: r.id,
        model_id: r.model_id,
        requester: r.requester.clone(),
        refunded: Some(refunded.to_proto()),
        wrong_servers,
    })
}

pub fn challenge_opened(c: &pb::Challenge) -> Event {
    typed_event(&pb::EventChallengeOpened {
        request_id: c.request_id,
        challenger: c.challenger.clone(),
        bond: c.bond.clone(),
        response_deadline: c.response_deadline,
    })
}

pub fn challenge_resolved(
    c: &pb::Challenge,
    winner: &str,
    bond_paid: Option<&Coin>,
    adjudication_gas: u64,
) -> Event {
    typed_event(&pb::EventChallengeResolved {
        request_id: c.request_id,
        state: c.state,
        resolution: c.resolution,
        winner: winner.to_string(),
        bond_paid: bond_paid.map(Coin::to_proto),
        recomputed_output: c.recomputed_output.clone(),
        adjudication_gas,
    })
}

pub fn redundant_tie(r: &pb::Request, submitted: Vec<String>) -> Event {
    typed_event(&pb::EventRedundantTie {
        request_id: r.id,
        submitted_servers: submitted,
        dispute_deadline: r.dispute_deadline,
    })
}

pub fn request_expired(r: &pb::Request, refunded: &Coin, missed_servers: Vec<String>) -> Event {
    typed_event(&pb::EventRequestExpired {
        request_id: r.id,
        model_id: r.model_id,
        requester: r.requester.clone(),
        refunded: Some(refunded.to_proto()),
        missed_servers,
    })
}

pub fn topic_created(t: &pb::Topic, fee: &Coin) -> Event {
    typed_event(&pb::EventTopicCreated {
        topic_id: t.id,
        creator: t.creator.clone(),
        metric: t.metric.clone(),
        loss_method: t.loss_method,
        epoch_length: t.epoch_length,
        ground_truth_lag: t.ground_truth_lag,
        alpha: t.alpha.clone(),
        fee: Some(fee.to_proto()),
    })
}

pub fn topic_worker_registered(w: &pb::TopicWorker) -> Event {
    typed_event(&pb::EventTopicWorkerRegistered {
        topic_id: w.topic_id,
        worker: w.worker.clone(),
        stake: w.stake.clone(),
    })
}

pub fn reputer_registered(r: &pb::Reputer) -> Event {
    typed_event(&pb::EventReputerRegistered {
        topic_id: r.topic_id,
        reputer: r.reputer.clone(),
        stake: r.stake.clone(),
    })
}

pub fn topic_inference_submitted(i: &pb::TopicInference) -> Event {
    typed_event(&pb::EventTopicInferenceSubmitted {
        topic_id: i.topic_id,
        epoch: i.epoch,
        worker: i.worker.clone(),
        value: i.value,
    })
}

pub fn ground_truth_submitted(g: &pb::GroundTruthReport) -> Event {
    typed_event(&pb::EventGroundTruthSubmitted {
        topic_id: g.topic_id,
        epoch: g.epoch,
        reputer: g.reputer.clone(),
        value: g.value,
    })
}

pub fn topic_epoch_settled(r: &pb::EpochResult, paid: &Coin) -> Event {
    typed_event(&pb::EventTopicEpochSettled {
        topic_id: r.topic_id,
        epoch: r.epoch,
        consensus_truth: r.consensus_truth,
        network_inference: r.network_inference,
        rewards_paid: Some(paid.to_proto()),
    })
}

pub fn reputer_slashed(r: &pb::Reputer, amount: &Coin, returned: &Coin, epoch: u64) -> Event {
    typed_event(&pb::EventReputerSlashed {
        topic_id: r.topic_id,
        reputer: r.reputer.clone(),
        amount: Some(amount.to_proto()),
        strikes: r.strikes,
        returned: Some(returned.to_proto()),
        epoch,
    })
}
