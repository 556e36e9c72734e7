//! Queries and genesis of a market in motion.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use deai_framework::MemStore;
use deai_proto::training::v1 as pb;

use crate::tests::*;
use crate::tests_rounds::*;
use crate::*;

fn q<Req: prost::Message, Res: prost::Message + Default>(s: &MemStore, m: &str, r: Req) -> Res {
    query(s, &format!("/deai.training.v1.Query/{m}"), r).unwrap()
}

#[test]
fn queries_show_the_market() {
    let mut s = store();
    let a = create_task_at(&mut s, 10);
    let b = create_task_at(&mut s, 10);
    let page = |limit| {
        Some(PageRequest {
            limit,
            ..Default::default()
        })
    };
    let t: pb::QueryTasksResponse = q(
        &s,
        "Tasks",
        pb::QueryTasksRequest {
            pagination: page(1),
        },
    );
    assert_eq!(t.tasks.len(), 1);
    assert_eq!(
        t.tasks[0].spec.as_ref().unwrap().base_spec,
        base_spec_bytes()
    );
    assert!(!t.pagination.unwrap().next_key.is_empty());
    register(&mut s, 10, 1, a, pb::Role::Trainer);
    register(&mut s, 10, 4, a, pb::Role::Validator);
    register(&mut s, 10, 5, a, pb::Role::Validator);
    register(&mut s, 10, 2, b, pb::Role::Trainer);
    play_round(&mut s, a, 0, 10, &[1], &[], &[4, 5], &[(0, 1)]);
    let n: pb::QueryNeuronResponse = q(
        &s,
        "Neuron",
        pb::QueryNeuronRequest {
            task_id: a,
            owner: addr(4).to_bech32(),
        },
    );
    assert_eq!(n.neuron.unwrap().uid, 1);
    let r: pb::QueryRoundResponse = q(
        &s,
        "Round",
        pb::QueryRoundRequest {
            task_id: a,
            round: 0,
        },
    );
    assert!(r.round.unwrap().closed);
    assert_eq!(r.updates.len(), 1);
    let w: pb::QueryWeightsResponse = q(
        &s,
        "Weights",
        pb::QueryWeightsRequest {
            task_id: a,
            round: 0,
        },
    );
    assert_eq!(w.weights.len(), 2);
    assert!(w
        .weights
        .iter()
        .all(|w| w.revealed && w.values == vec![65535]));
    let i: pb::QueryIncentivesResponse = q(
        &s,
        "Incentives",
        pb::QueryIncentivesRequest {
            task_id: a,
            round: 0,
        },
    );
    assert_eq!(i.result.unwrap().neurons.len(), 3);
    assert!(query::<_, pb::QueryIncentivesResponse>(
        &s,
        "/deai.training.v1.Query/Incentives",
        pb::QueryIncentivesRequest {
            task_id: a,
            round: 1
        }
    )
    .is_err());
    let bonds: pb::QueryBondsResponse = q(&s, "Bonds", pb::QueryBondsRequest { task_id: a });
    // Permits from the current stake: both validators bond in the first epoch.
    assert_eq!(bonds.bonds.len(), 2);
    play_round(&mut s, a, 1, 30, &[1], &[], &[4, 5], &[(0, 1)]);
    let bonds: pb::QueryBondsResponse = q(&s, "Bonds", pb::QueryBondsRequest { task_id: a });
    assert_eq!(bonds.bonds.len(), 2);
    let u: pb::QueryUnbondingResponse = q(
        &s,
        "Unbonding",
        pb::QueryUnbondingRequest {
            owner: addr(1).to_bech32(),
        },
    );
    assert!(u.entries.is_empty());
    assert!(query::<_, pb::QueryTaskResponse>(
        &s,
        "/deai.training.v1.Query/Task",
        pb::QueryTaskRequest { id: 9 }
    )
    .is_err());
    assert_reconciles(&s);
    let exported = export_all(&s);
    let again = init_all(&exported);
    assert_eq!(export_all(&again), exported);
    // The rebuilt schedule runs the next epoch as before.
    let mut s1 = s.clone();
    let mut s2 = again;
    blocks(&mut s1, 50, 75);
    blocks(&mut s2, 50, 75);
    assert_eq!(export_all(&s1), export_all(&s2));
}

#[test]
fn genesis_refuses_unbacked_or_inconsistent_records() {
    let mut s = store();
    let task = create_task_at(&mut s, 10);
    register(&mut s, 10, 1, task, pb::Role::Trainer);
    let good = export_all(&s);
    let init_fails = |app: &serde_json::Value| {
        let mut fresh = MemStore::new();
        let mut err = None;
        for m in modules() {
            if let Err(e) = m.init_genesis(&mut fresh, &app[m.name()]) {
                err = Some((e.codespace, e.code));
            }
        }
        err
    };
    assert_eq!(init_fails(&good), None);
    let mut app = good.clone();
    app["training"]["tasks"][0]["pool"]["amount"] = (POOL + 1).to_string().into();
    assert_eq!(init_fails(&app), Some(training(ERR_INVALID_GENESIS)));
    let mut app = good.clone();
    app["training"]["tasks"][0]["neuron_count"] = 2.into();
    assert_eq!(init_fails(&app), Some(training(ERR_INVALID_GENESIS)));
    let mut app = good.clone();
    app["training"]["neurons"][0]["uid"] = 8.into();
    assert_eq!(init_fails(&app), Some(training(ERR_INVALID_GENESIS)));
    let mut app = good.clone();
    app["training"]["next_task_id"] = "1".into();
    assert_eq!(init_fails(&app), Some(training(ERR_INVALID_GENESIS)));
    let mut app = good;
    app["training"]["rounds"] = serde_json::json!([]);
    assert_eq!(init_fails(&app), Some(training(ERR_INVALID_GENESIS)));
}

#[test]
fn the_bond_denom_cannot_change() {
    let mut s = store();
    create_task_at(&mut s, 10);
    let mut p = Params::default().to_proto();
    p.min_reward_pool = Some(
        deai_framework::Coin::new("uother", 1_000_000)
            .unwrap()
            .to_proto(),
    );
    p.audit_bond = Some(
        deai_framework::Coin::new("uother", 1_000)
            .unwrap()
            .to_proto(),
    );
    let e = exec_at(
        &mut s,
        11,
        pb::MsgUpdateParams {
            authority: addr(AUTHORITY).to_bech32(),
            params: Some(p),
        },
    )
    .unwrap_err();
    assert_eq!((e.codespace, e.code), training(ERR_INVALID_PARAMS));
    assert!(e.log.contains("cannot change"), "{}", e.log);
    assert_reconciles(&s);
}
