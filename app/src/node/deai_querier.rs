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
    let amount = if stake.amount.is_empty() {
        "0".to_string()
    } else {
        stake.amount
    };
    Ok(json!({ "provider": {
        "owner": p.owner,
        "host_uri": p.host_uri,
        "stake": { "denom": stake.denom, "amount": amount },
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

#[cfg(test)]
mod tests {
    use super::*;
    use deai_compute::ComputeWrite;
    use deai_framework::MemStore;
    use deai_inference::InferenceWrite;
    use deai_proto::{compute::v1 as cpb, inference::v1 as ipb, training::v1 as tpb};
    use deai_training::TrainingWrite;

    fn ask(s: &MemStore, q: DeaiQuery) -> Value {
        ChainQuerier.query(s, &q).unwrap().unwrap()
    }

    fn server(model_id: u64, who: u8, served: u64, missed: u64, faults: u64) -> ipb::Server {
        ipb::Server {
            server: Address::from_bytes(&[who; 20]).unwrap().to_bech32(),
            model_id,
            served,
            missed,
            faults,
            ..Default::default()
        }
    }

    #[test]
    fn the_eval_score_counts_paid_answers_against_misses_and_faults() {
        assert_eq!(eval_score_bps(&[]), 0);
        assert_eq!(eval_score_bps(&[server(1, 1, 0, 0, 0)]), 0);
        assert_eq!(eval_score_bps(&[server(1, 1, 9, 0, 0)]), 10_000);
        // 9 + 6 paid of 9 + 6 + 1 + 4 outcomes: 15/20, floored in bps.
        let two = [server(1, 1, 9, 1, 0), server(1, 2, 6, 0, 4)];
        assert_eq!(eval_score_bps(&two), 7_500);
        assert_eq!(eval_score_bps(&[server(1, 1, 2, 1, 0)]), 6_666);
        assert_eq!(
            eval_score_bps(&[server(1, 1, u64::MAX, u64::MAX, u64::MAX)]),
            3_333
        );
    }

    #[test]
    fn answers_come_from_the_modules_state_in_the_contracts_shapes() {
        let mut s = MemStore::new();
        let owner = Address::from_bytes(&[7; 20]).unwrap();
        assert_eq!(
            ask(&s, DeaiQuery::InferenceModel { id: 3 }),
            json!({"model": null})
        );
        s.put_model(&ipb::Model {
            id: 3,
            owner: owner.to_bech32(),
            name: "digits".into(),
            weights_sha256: vec![0xab; 32],
            enabled: true,
            ..Default::default()
        })
        .unwrap();
        s.put_server(&server(3, 1, 3, 1, 0)).unwrap();
        s.put_server(&server(4, 2, 0, 0, 9)).unwrap(); // another model's server
        assert_eq!(
            ask(&s, DeaiQuery::InferenceModel { id: 3 }),
            json!({"model": {"id": 3, "owner": owner.to_bech32(), "name": "digits",
                "eval_score_bps": 7_500, "active": true, "weights_sha256": "ab".repeat(32)}})
        );

        let q = DeaiQuery::ComputeProvider {
            owner: owner.to_bech32(),
        };
        assert_eq!(ask(&s, q.clone()), json!({"provider": null}));
        s.put_provider(
            &owner,
            &cpb::Provider {
                owner: owner.to_bech32(),
                host_uri: "http://127.0.0.1:1".into(),
                stake: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                    denom: "udeai".into(),
                    amount: "500".into(),
                }),
                jailed: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            ask(&s, q),
            json!({"provider": {"owner": owner.to_bech32(), "host_uri": "http://127.0.0.1:1",
                "stake": {"denom": "udeai", "amount": "500"}, "jailed": true}})
        );
        let bad = ChainQuerier.query(&s, &DeaiQuery::ComputeProvider { owner: "x".into() });
        assert!(bad.unwrap().is_err());

        assert_eq!(
            ask(&s, DeaiQuery::TrainingLineage { task: 2 }),
            json!({"lineage": null})
        );
        let task = tpb::Task {
            id: 2,
            round: 3,
            lineage_head: vec![0xcd; 32],
            spec: None,
            ..Default::default()
        };
        s.put_task(&task).unwrap();
        let lineage = |s: &MemStore| ask(s, DeaiQuery::TrainingLineage { task: 2 });
        assert_eq!(lineage(&s)["lineage"]["head_weights_sha256"], Value::Null);
        for (round, hash) in [(1u64, vec![0x11; 32]), (2, vec![0x22; 32]), (3, vec![])] {
            s.put_round(&tpb::Round {
                task_id: 2,
                round,
                aggregate_hash: hash,
                ..Default::default()
            })
            .unwrap();
        }
        // Round 3 awaits its aggregate: the newest is round 2's.
        assert_eq!(
            lineage(&s),
            json!({"lineage": {"task": 2, "rounds": 3, "head_weights_sha256": "22".repeat(32),
                "lineage_head": "cd".repeat(32)}})
        );
    }
}
