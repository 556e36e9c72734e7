//! task's typed events (`deai.task.v1.Event*`), emitted as the SDK's `EmitTypedEvent` does.
//! Bank's transfer and burn events of each escrow movement are emitted beside them.

use deai_framework::{typed_event, Coins, Event};
use deai_proto::task::v1 as pb;

use crate::params::Params;

pub fn params_updated(params: &Params) -> Event {
    typed_event(&pb::EventParamsUpdated {
        params: Some(params.to_proto()),
    })
}

pub fn proposed(t: &pb::Task, initial_deposit: &Coins) -> Event {
    typed_event(&pb::EventTaskProposed {
        task_id: t.id,
        proposer: t.proposer.clone(),
        title: t.title.clone(),
        reward_pool: t.reward_pool.clone(),
        initial_deposit: initial_deposit.to_proto(),
        deposit_end: t.deposit_end,
    })
}

pub fn deposited(t: &pb::Task, depositor: &str, amount: &Coins) -> Event {
    typed_event(&pb::EventTaskDeposited {
        task_id: t.id,
        depositor: depositor.to_string(),
        amount: amount.to_proto(),
        total_deposit: t.total_deposit.clone(),
    })
}

pub fn voting_started(t: &pb::Task) -> Event {
    typed_event(&pb::EventVotingStarted {
        task_id: t.id,
        voting_end: t.voting_end,
        attest_job_id: t.attest_job_id,
    })
}

pub fn voted(v: &pb::Vote) -> Event {
    typed_event(&pb::EventTaskVoted {
        task_id: v.task_id,
        voter: v.voter.clone(),
        option: v.option,
    })
}

pub fn attested(t: &pb::Task) -> Event {
    typed_event(&pb::EventTaskAttested {
        task_id: t.id,
        attest_job_id: t.attest_job_id,
        status: t.attestation,
        result_hash: t.attestation_result_hash.clone(),
    })
}

pub fn launched(t: &pb::Task) -> Event {
    typed_event(&pb::EventTaskLaunched {
        task_id: t.id,
        training_task_id: t.training_task_id,
        reward_pool: t.reward_pool.clone(),
        tally: t.final_tally.clone(),
    })
}

pub fn rejected(t: &pb::Task) -> Event {
    typed_event(&pb::EventTaskRejected {
        task_id: t.id,
        reason: t.reason,
        detail: t.detail.clone(),
        tally: t.final_tally.clone(),
    })
}

pub fn vetoed(t: &pb::Task, burned: &Coins) -> Event {
    typed_event(&pb::EventTaskVetoed {
        task_id: t.id,
        burned: burned.to_proto(),
        tally: t.final_tally.clone(),
    })
}
