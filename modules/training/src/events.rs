//! training's typed events (`deai.training.v1.Event*`), emitted as the SDK's `EmitTypedEvent`
//! does. Bank's transfer events of each escrow movement are emitted beside them.

use deai_framework::{typed_event, Coin, Event};
use deai_proto::training::v1 as pb;

use crate::params::Params;

pub fn params_updated(params: &Params) -> Event {
    typed_event(&pb::EventParamsUpdated {
        params: Some(params.to_proto()),
    })
}

pub fn task_created(t: &pb::Task) -> Event {
    typed_event(&pb::EventTaskCreated {
        task_id: t.id,
        creator: t.creator.clone(),
        pool: t.pool.clone(),
        tempo: t.spec.as_ref().map_or(0, |s| s.tempo),
    })
}

pub fn neuron_registered(n: &pb::Neuron) -> Event {
    typed_event(&pb::EventNeuronRegistered {
        task_id: n.task_id,
        uid: n.uid,
        owner: n.owner.clone(),
        role: n.role,
        stake: n.stake.clone(),
        shard: n.shard,
    })
}

pub fn neuron_deregistered(n: &pb::Neuron, reason: &str) -> Event {
    typed_event(&pb::EventNeuronDeregistered {
        task_id: n.task_id,
        uid: n.uid,
        owner: n.owner.clone(),
        reason: reason.to_string(),
    })
}

pub fn stake_added(n: &pb::Neuron, amount: &Coin) -> Event {
    typed_event(&pb::EventStakeAdded {
        task_id: n.task_id,
        owner: n.owner.clone(),
        amount: Some(amount.to_proto()),
        stake: n.stake.clone(),
    })
}

pub fn stake_unbonding(e: &pb::UnbondingEntry) -> Event {
    typed_event(&pb::EventStakeUnbonding {
        task_id: e.task_id,
        owner: e.owner.clone(),
        amount: e.amount.clone(),
        completes_at: e.completes_at,
    })
}

pub fn unbonding_completed(e: &pb::UnbondingEntry) -> Event {
    typed_event(&pb::EventUnbondingCompleted {
        task_id: e.task_id,
        owner: e.owner.clone(),
        amount: e.amount.clone(),
    })
}

pub fn round_started(r: &pb::Round) -> Event {
    typed_event(&pb::EventRoundStarted {
        task_id: r.task_id,
        round: r.round,
        start: r.start,
        base_hash: r.base_hash.clone(),
        base_uri: r.base_uri.clone(),
        base_ready: r.base_ready,
    })
}

pub fn base_ready(r: &pb::Round) -> Event {
    typed_event(&pb::EventBaseReady {
        task_id: r.task_id,
        round: r.round,
        base_hash: r.base_hash.clone(),
        base_uri: r.base_uri.clone(),
    })
}

pub fn update_committed(task_id: u64, round: u64, uid: u32) -> Event {
    typed_event(&pb::EventUpdateCommitted {
        task_id,
        round,
        uid,
    })
}

pub fn update_revealed(u: &pb::Update) -> Event {
    typed_event(&pb::EventUpdateRevealed {
        task_id: u.task_id,
        round: u.round,
        uid: u.uid,
        update_hash: u.update_hash.clone(),
        uri: u.uri.clone(),
    })
}

pub fn weights_committed(task_id: u64, round: u64, uid: u32) -> Event {
    typed_event(&pb::EventWeightsCommitted {
        task_id,
        round,
        uid,
    })
}

pub fn weights_revealed(task_id: u64, round: u64, uid: u32) -> Event {
    typed_event(&pb::EventWeightsRevealed {
        task_id,
        round,
        uid,
    })
}

/// `emission`: the tempo's emission (min(emission_per_tempo, pool)); `paid`: what reached
/// the neurons (the rest stays in the pool).
pub fn epoch(r: &pb::Round, emission: &Coin, paid: u64) -> Event {
    typed_event(&pb::EventEpoch {
        task_id: r.task_id,
        round: r.round,
        emission: Some(emission.to_proto()),
        paid,
        aggregator: r.aggregator.clone(),
        aggregate_inputs: u32::try_from(r.aggregate_inputs.len()).unwrap_or(u32::MAX),
        weights_root: r.weights_root.clone(),
    })
}

pub fn aggregate_submitted(r: &pb::Round) -> Event {
    typed_event(&pb::EventAggregateSubmitted {
        task_id: r.task_id,
        round: r.round,
        aggregator: r.aggregator.clone(),
        aggregate_hash: r.aggregate_hash.clone(),
        uri: r.aggregate_uri.clone(),
    })
}

pub fn lineage_extended(r: &pb::Round) -> Event {
    typed_event(&pb::EventLineageExtended {
        task_id: r.task_id,
        round: r.round,
        lineage: r.lineage.clone(),
        aggregate_hash: r.aggregate_hash.clone(),
    })
}

pub fn task_finished(task_id: u64, round: u64, refunded: &Coin, to_community: &Coin) -> Event {
    typed_event(&pb::EventTaskFinished {
        task_id,
        round,
        refunded: Some(refunded.to_proto()),
        to_community_pool: Some(to_community.to_proto()),
    })
}

pub fn audit_opened(a: &pb::Audit) -> Event {
    typed_event(&pb::EventAuditOpened {
        audit_id: a.id,
        task_id: a.task_id,
        round: a.round,
        target: a.target,
        accused_uid: a.accused_uid,
        auditor: a.auditor.clone(),
        segment: a.segment,
        referee: a.referee.clone(),
        deadline: a.deadline,
    })
}

pub fn audit_reassigned(a: &pb::Audit) -> Event {
    typed_event(&pb::EventAuditReassigned {
        audit_id: a.id,
        referee: a.referee.clone(),
        deadline: a.deadline,
    })
}

pub fn audit_settled(a: &pb::Audit) -> Event {
    typed_event(&pb::EventAuditSettled {
        audit_id: a.id,
        state: a.state,
        answer: a.answer.clone(),
    })
}

pub fn neuron_slashed(a: &pb::Audit, slashed: &Coin, to_auditor: &Coin, to_pool: &Coin) -> Event {
    typed_event(&pb::EventNeuronSlashed {
        task_id: a.task_id,
        uid: a.accused_uid,
        owner: a.accused.clone(),
        audit_id: a.id,
        slashed: Some(slashed.to_proto()),
        to_auditor: Some(to_auditor.to_proto()),
        to_pool: Some(to_pool.to_proto()),
    })
}
