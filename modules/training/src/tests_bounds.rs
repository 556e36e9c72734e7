//! The largest task the default params allow (256 neurons) stays within bounds: its epoch
//! runs in one end_block and a full weight row fits a transaction's gas.

use std::time::Instant;

use deai_framework::context::BlockInfo;
use deai_framework::{Ctx, GasMeter, Router};
use deai_proto::training::v1 as pb;

use crate::tests::*;
use crate::tests_rounds::*;
use crate::*;

#[test]
fn a_256_neuron_epoch_and_a_full_weight_row_stay_in_bounds() {
    let mut s = store();
    let mut sp = spec();
    sp.max_neurons = 256;
    let r: pb::MsgCreateTaskResponse = exec_resp(&mut s, 10, create_msg(8, sp, POOL)).unwrap();
    let task = r.task_id;
    // Records written directly: 128 permitted validators weighting all 128 trainers.
    let row: Vec<(u16, u16)> = (128..256u16).map(|j| (j, j)).collect();
    for uid in 0..256u32 {
        let validator = uid < 128;
        let owner = if uid == 0 {
            addr(4)
        } else {
            deai_framework::Address::from_bytes(&[
                (uid % 251) as u8,
                (uid / 251) as u8,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
                7,
            ])
            .unwrap()
        };
        s.put_neuron(&pb::Neuron {
            task_id: task,
            uid,
            owner: owner.to_bech32(),
            role: if validator {
                pb::Role::Validator
            } else {
                pb::Role::Trainer
            } as i32,
            stake: Some(coin(MIN_STAKE)),
            registered_at: 10,
            validator_permit: validator,
            ..Default::default()
        })
        .unwrap();
        if validator {
            s.put_weights(&pb::WeightSet {
                task_id: task,
                round: 0,
                uid,
                revealed: true,
                uids: row.iter().map(|r| u32::from(r.0)).collect(),
                values: commits::max_upscale(&row.iter().map(|r| r.1).collect::<Vec<_>>())
                    .into_iter()
                    .map(u32::from)
                    .collect(),
                ..Default::default()
            })
            .unwrap();
        } else {
            s.put_update(&pb::Update {
                task_id: task,
                round: 0,
                uid,
                revealed: true,
                update_hash: vec![uid as u8; 32],
                owner: owner.to_bech32(),
                ..Default::default()
            })
            .unwrap();
        }
    }
    let t0 = Instant::now();
    blocks(&mut s, 10, 29);
    let took = t0.elapsed();
    let e = s.get_epoch(task, 0).unwrap().unwrap();
    assert_eq!(e.neurons.len(), 256);
    assert!(e.neurons[255].incentive > e.neurons[128].incentive);
    assert_eq!(
        s.get_round(task, 0)
            .unwrap()
            .unwrap()
            .aggregate_inputs
            .len(),
        8
    );
    assert!(took.as_secs() < 30, "epoch took {took:?}");

    // A validator's full row (256 entries) in one reveal: well under 2M gas.
    let mut router = Router::new();
    TrainingModule.register(&mut router);
    let full: Vec<(u16, u16)> = (0..256u16).map(|j| (j, j + 1)).collect();
    let start = get_task(&s, task).round_start;
    exec_at(&mut s, start + 14, commit_weights_msg(4, task, 1, &full)).unwrap();
    let msg = router
        .decode(&cosmos_sdk_proto::Any {
            type_url: <pb::MsgRevealWeights as prost::Name>::type_url(),
            value: prost::Message::encode_to_vec(&reveal_weights_msg(4, task, 1, &full)),
        })
        .unwrap();
    let block = BlockInfo {
        height: start + 17,
        ..Default::default()
    };
    let gas = GasMeter::new(10_000_000);
    let mut ctx = Ctx::new(&s, &gas, &block);
    msg.execute(&mut ctx).unwrap();
    assert!(gas.consumed() < 2_000_000, "{}", gas.consumed());
}
