//! Neurons: registration, pruning, stake and unbonding.

use deai_framework::MemStore;
use deai_proto::training::v1 as pb;

use crate::tests::*;
use crate::*;

fn remove_msg(owner: u8, task: u64, amount: u128) -> pb::MsgRemoveStake {
    pb::MsgRemoveStake {
        owner: addr(owner).to_bech32(),
        task_id: task,
        amount: Some(coin(amount)),
    }
}

fn add_msg(owner: u8, task: u64, amount: u128) -> pb::MsgAddStake {
    pb::MsgAddStake {
        owner: addr(owner).to_bech32(),
        task_id: task,
        amount: Some(coin(amount)),
    }
}

/// A task with max_neurons 2.
fn small_task(s: &mut MemStore, height: u64) -> u64 {
    let mut sp = spec();
    sp.max_neurons = 2;
    let r: pb::MsgCreateTaskResponse = exec_resp(s, height, create_msg(8, sp, POOL)).unwrap();
    r.task_id
}

#[test]
fn register_escrows_stake_and_draws_a_shard() {
    let mut s = store();
    let task = create_task_at(&mut s, 10);
    let (any, events) = exec_full(
        &mut s,
        11,
        register_msg(1, task, pb::Role::Trainer, MIN_STAKE + 5),
    )
    .unwrap();
    use prost::Message as _;
    let r = pb::MsgRegisterNeuronResponse::decode(any.value.as_slice()).unwrap();
    assert_eq!((r.uid, r.pruned.as_str()), (0, ""));
    assert!(events
        .iter()
        .any(|e| e.kind == "deai.training.v1.EventNeuronRegistered"));
    assert_eq!(balance(&s, 1), FUNDS - MIN_STAKE - 5);
    let n = s.neuron_of(task, &addr(1)).unwrap().unwrap();
    let t = get_task(&s, task);
    assert_eq!(n.shard, shard_of(&t.seed, 0, 4));
    assert!(n.shard < 4);
    assert_eq!((n.registered_at, t.neuron_count), (11, 1));
    assert_eq!(register(&mut s, 11, 2, task, pb::Role::Validator), 1);
    assert_reconciles(&s);
    let q: pb::QueryNeuronsResponse = query(
        &s,
        "/deai.training.v1.Query/Neurons",
        pb::QueryNeuronsRequest {
            task_id: task,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(q.neurons.len(), 2);
}

#[test]
fn register_rejections() {
    let mut s = store();
    let task = create_task_at(&mut s, 10);
    register(&mut s, 10, 1, task, pb::Role::Trainer);
    assert_eq!(
        code(exec_at(
            &mut s,
            11,
            register_msg(1, task, pb::Role::Validator, MIN_STAKE)
        )),
        training(ERR_ALREADY_REGISTERED)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            11,
            register_msg(2, task, pb::Role::Trainer, MIN_STAKE - 1)
        )),
        training(ERR_STAKE_TOO_LOW)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            11,
            register_msg(2, task, pb::Role::Trainer, 0)
        )),
        training(ERR_ZERO_AMOUNT)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            11,
            register_msg(2, 99, pb::Role::Trainer, MIN_STAKE)
        )),
        training(ERR_TASK_NOT_FOUND)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            11,
            register_msg(2, task, pb::Role::Unspecified, MIN_STAKE)
        )),
        ("sdk", deai_framework::sdk::INVALID_REQUEST)
    );
    let mut m = register_msg(2, task, pb::Role::Trainer, MIN_STAKE);
    m.stake = Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
        denom: "uatom".into(),
        amount: MIN_STAKE.to_string(),
    });
    assert_eq!(code(exec_at(&mut s, 11, m)), training(ERR_DENOM_MISMATCH));
    assert_reconciles(&s);
}

#[test]
fn a_full_task_prunes_the_lowest_emission_non_immune_neuron() {
    let mut s = store();
    let task = small_task(&mut s, 10);
    register(&mut s, 10, 1, task, pb::Role::Trainer);
    register(&mut s, 12, 2, task, pb::Role::Trainer);
    // Everyone immune (immunity_period 100).
    assert_eq!(
        code(exec_at(
            &mut s,
            50,
            register_msg(3, task, pb::Role::Trainer, MIN_STAKE)
        )),
        training(ERR_TASK_FULL)
    );
    // Give uid 0 a higher pruning score: uid 1 goes, though registered later.
    let mut n0 = s.get_neuron(task, 0).unwrap().unwrap();
    n0.last_emission = 5;
    s.put_neuron(&n0).unwrap();
    // A bonds row of the uid to prune, and a column in another row.
    s.put_bond(&pb::BondRow {
        task_id: task,
        uid: 1,
        bonds: vec![1, 2],
    })
    .unwrap();
    s.put_bond(&pb::BondRow {
        task_id: task,
        uid: 0,
        bonds: vec![3, 4],
    })
    .unwrap();
    let r: pb::MsgRegisterNeuronResponse = exec_resp(
        &mut s,
        200,
        register_msg(3, task, pb::Role::Validator, MIN_STAKE),
    )
    .unwrap();
    assert_eq!((r.uid, r.pruned), (1, addr(2).to_bech32()));
    assert!(s.neuron_of(task, &addr(2)).unwrap().is_none());
    let bonds = s.bonds_of(task).unwrap();
    assert_eq!(bonds.len(), 1);
    assert_eq!(bonds[0].bonds, vec![3, 0]);
    // The pruned stake unbonds, then is paid back.
    let q: pb::QueryUnbondingResponse = query(
        &s,
        "/deai.training.v1.Query/Unbonding",
        pb::QueryUnbondingRequest {
            owner: addr(2).to_bech32(),
        },
    )
    .unwrap();
    assert_eq!(q.entries.len(), 1);
    // 200 + max(unbonding_blocks, the audit horizon 2·tempo + audit_window·max_audit_draws).
    assert_eq!(q.entries[0].completes_at, 390);
    assert_eq!(get_task(&s, task).neuron_count, 2);
    assert_reconciles(&s);
    blocks(&mut s, 389, 389);
    assert_eq!(balance(&s, 2), FUNDS - MIN_STAKE);
    blocks(&mut s, 390, 390);
    assert_eq!(balance(&s, 2), FUNDS);
    assert_reconciles(&s);
    // Ties: equal emission, the earliest registered goes.
    let mut n3 = s.get_neuron(task, 1).unwrap().unwrap();
    n3.last_emission = 5;
    s.put_neuron(&n3).unwrap();
    let r: pb::MsgRegisterNeuronResponse = exec_resp(
        &mut s,
        400,
        register_msg(4, task, pb::Role::Trainer, MIN_STAKE),
    )
    .unwrap();
    assert_eq!((r.uid, r.pruned), (0, addr(1).to_bech32()));
}

#[test]
fn stake_is_added_and_removed_through_unbonding() {
    let mut s = store();
    let task = create_task_at(&mut s, 10);
    register(&mut s, 10, 1, task, pb::Role::Trainer);
    exec_at(&mut s, 11, add_msg(1, task, 500)).unwrap();
    assert_eq!(balance(&s, 1), FUNDS - MIN_STAKE - 500);
    assert_eq!(
        code(exec_at(&mut s, 11, add_msg(2, task, 500))),
        training(ERR_NOT_REGISTERED)
    );
    // Below the minimum unless everything goes.
    assert_eq!(
        code(exec_at(&mut s, 12, remove_msg(1, task, 501))),
        training(ERR_STAKE_TOO_LOW)
    );
    assert_eq!(
        code(exec_at(&mut s, 12, remove_msg(1, task, MIN_STAKE + 501))),
        training(ERR_INSUFFICIENT_STAKE)
    );
    let r: pb::MsgRemoveStakeResponse = exec_resp(&mut s, 12, remove_msg(1, task, 200)).unwrap();
    assert_eq!(r.completes_at, 202);
    assert_reconciles(&s);
    // At most max_unbonding_entries (7) at once.
    for h in 13..19 {
        exec_at(&mut s, h, remove_msg(1, task, 10)).unwrap();
    }
    assert_eq!(
        code(exec_at(&mut s, 20, remove_msg(1, task, 10))),
        training(ERR_TOO_MANY_UNBONDING)
    );
    // Accused by an open audit: nothing may leave.
    let mut n = s.neuron_of(task, &addr(1)).unwrap().unwrap();
    n.open_audits = 1;
    s.put_neuron(&n).unwrap();
    blocks(&mut s, 202, 202);
    assert_eq!(
        code(exec_at(&mut s, 203, remove_msg(1, task, 10))),
        training(ERR_ACCUSED_IN_OPEN_AUDIT)
    );
    n.open_audits = 0;
    s.put_neuron(&n).unwrap();
    // The first entry completed at 202; removing the rest deregisters.
    let left = MIN_STAKE + 500 - 200 - 60;
    exec_at(&mut s, 203, remove_msg(1, task, left)).unwrap();
    assert!(s.neuron_of(task, &addr(1)).unwrap().is_none());
    assert_eq!(get_task(&s, task).neuron_count, 0);
    assert_reconciles(&s);
    blocks(&mut s, 203, 393);
    assert_eq!(balance(&s, 1), FUNDS);
    assert_reconciles(&s);
}
