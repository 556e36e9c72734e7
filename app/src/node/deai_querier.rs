//! The answers to contracts' `DeaiQuery` (docs/wasm.md, "Queries into deai"), read from the
//! inference, compute and training modules through the caller's metered state, so every
//! read is charged to the contract's gas. The JSON shapes are the contracts' own
//! (wasm-contracts/model-marketplace/src/deai.rs); "not found" is an ordinary answer.

use deai_compute::ComputeRead;
use deai_framework::keys::prefix_end;
use deai_framework::{Address, StateRead, TxError};
use deai_inference::InferenceRead;
use deai_training::TrainingRead;
use deai_wasm::vm::{DeaiQuerier, DeaiQuery};
use serde_json::{json, Value};

/// How many past rounds a lineage query walks back to find the newest aggregate.
pub const MAX_LINEAGE_ROUNDS_WALKED: u64 = 16;

pub struct ChainQuerier;

impl DeaiQuerier for ChainQuerier {
    fn query(
        &self,
        state: &dyn StateRead,
        q: &DeaiQuery,
    ) -> Result<Result<Value, String>, TxError> {
        match q {
            DeaiQuery::InferenceModel { id } => inference_model(state, *id).map(Ok),
            DeaiQuery::ComputeProvider { owner } => match Address::from_bech32(owner) {
                Ok(owner) => compute_provider(state, &owner).map(Ok),
                Err(e) => Ok(Err(format!("compute provider: {}", e.log))),
            },
            DeaiQuery::TrainingLineage { task } => training_lineage(state, *task).map(Ok),
        }
    }
}

/// A model's evaluation score in basis points: the share of its servers' outcomes that were
/// paid answers, `served / (served + missed + faults)` summed over its servers (at most
/// the inference module's `max_servers_per_model`), floored; 0 before any outcome.
pub fn eval_score_bps(servers: &[deai_proto::inference::v1::Server]) -> u32 {
    let (mut good, mut all) = (0u128, 0u128);
    for s in servers {
        good += u128::from(s.served);
        all += u128::from(s.served) + u128::from(s.missed) + u128::from(s.faults);
    }
    if all == 0 {
        return 0;
    }
    u32::try_from(good * 10_000 / all).unwrap_or(10_000)
}

fn inference_model(state: &dyn StateRead, id: u64) -> Result<Value, TxError> {
    let Some(m) = state.get_model(id)? else {
        return Ok(json!({ "model": null }));
    };
    let prefix = deai_inference::state_key::servers_of(id);
    let end = prefix_end(&prefix);
    let limit = deai_inference::MAX_SERVERS_PER_MODEL as usize;
    let servers = state
        .scan(&prefix, end.as_deref(), false, limit)?
        .iter()
        .map(|(_, v)| deai_framework::records::decode(deai_inference::MODULE_NAME, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({ "model": {
        "id": m.id,
        "owner": m.owner,
        "name": m.name,
        "eval_score_bps": eval_score_bps(&servers),
        "active": m.enabled,
        "weights_sha256": hex::encode(&m.weights_sha256),
    }}))
}

fn compute_provider(state: &dyn StateRead, owner: &Address) -> Result<Value, TxError> {
    let Some(p) = state.get_provider(owner)? else {
        return Ok(json!({ "provider": null }));
    };
    let stake = p.stake.unwrap_or_default();
    Ok(json!({ "provider": {
        "owner": p.owner,
        "host_uri": p.host_uri,
        "stake": { "denom": stake.denom, "amount": stake.amount },
        "jailed": p.jailed,
    }}))
}

fn training_lineage(state: &dyn StateRead, task: u64) -> Result<Value, TxError> {
    let Some(t) = state.get_task(task)? else {
        return Ok(json!({ "lineage": null }));
    };
    // The newest aggregate: the current round's or, while it is awaited, an earlier one's.
    let mut head = None;
    let oldest = t.round.saturating_sub(MAX_LINEAGE_ROUNDS_WALKED);
    for r in (oldest..=t.round).rev() {
        if let Some(round) = state.get_round(task, r)? {
            if !round.aggregate_hash.is_empty() {
                head = Some(hex::encode(&round.aggregate_hash));
                break;
            }
        }
    }
    Ok(json!({ "lineage": {
        "task": t.id,
        "rounds": t.round,
        "head_weights_sha256": head,
        "lineage_head": hex::encode(&t.lineage_head),
    }}))
}
