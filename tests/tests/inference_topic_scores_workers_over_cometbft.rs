//! An Allora-style topic on a real chain, every message a signed tx: a topic runs 5 epochs
//! with 3 workers, one of them noisy, and 2 reputers reporting the truth one epoch late.
//! The chain settles each epoch itself; the noisy worker ends with the lowest score and the
//! lowest rewards, the network inference is closer to the truth than the plain mean of the
//! workers, and the pool paid out exactly what the workers and reputers received.

use std::time::Duration;

use deai_e2e::compute::{udeai, Party};
use deai_e2e::inference::query;
use deai_e2e::*;
use deai_proto::inference::v1 as pb;

const L: u64 = 16;
const EPOCHS: u64 = 5;

/// The truth of epoch e, and what each worker says about it.
fn truth(e: u64) -> i64 {
    10_000 + 37 * e as i64
}

fn guesses(e: u64) -> [i64; 3] {
    let t = truth(e);
    // Two careful workers (off by a few units), one noisy (off by hundreds, both ways).
    let noise = if e % 2 == 0 { 600 } else { -450 };
    [t + 3, t - 5, t + noise]
}

fn coin_amount(c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>) -> u128 {
    c.as_ref().map_or(0, |c| c.amount.parse().unwrap())
}

#[test]
fn inference_topic_scores_workers_over_cometbft() {
    let net = Localnet::start(1, 29300);
    let mut creator = Party::new(&net, net.demo_key(0));
    let mut workers: Vec<Party> = (1..=3).map(|i| Party::new(&net, net.demo_key(i))).collect();
    let mut reputers: Vec<Party> = (4..=5).map(|i| Party::new(&net, net.demo_key(i))).collect();

    let created = creator.send(pb::MsgCreateTopic {
        creator: creator.bech32(),
        metric: "demo index ×1".into(),
        loss_method: pb::LossMethod::Abs as i32,
        epoch_length: L,
        ground_truth_lag: 1,
        alpha: "0.5".into(),
        fee: udeai(50_000_000),
    });
    let topic_id = created.ok().events::<pb::EventTopicCreated>()[0].topic_id;
    let t: pb::QueryTopicResponse = query(&net, "Topic", &pb::QueryTopicRequest { id: topic_id });
    let c = t.topic.unwrap().created_height;
    for w in workers.iter_mut() {
        let worker = w.bech32();
        w.send(pb::MsgRegisterTopicWorker {
            worker,
            topic_id,
            stake: udeai(1_000_000),
        })
        .ok();
    }
    for (r, stake) in reputers.iter_mut().zip([3_000_000u128, 2_000_000]) {
        let reputer = r.bech32();
        r.send(pb::MsgRegisterReputer {
            reputer,
            topic_id,
            stake: udeai(stake),
        })
        .ok();
    }
    let start_of = |e: u64| c + (e - 1) * L;
    let first = (net.height(0) - c) / L + 2; // the first epoch that starts after registering

    // Epochs first..first+4: the workers submit at the start of each epoch, the reputers
    // report the previous epoch's truth in the same block.
    for e in first..first + EPOCHS + 1 {
        net.wait_height(0, start_of(e), Duration::from_secs(120));
        let mut sent = Vec::new();
        if e < first + EPOCHS {
            for (w, v) in workers.iter_mut().zip(guesses(e)) {
                let worker = w.bech32();
                let r = w.broadcast(pb::MsgSubmitTopicInference {
                    worker,
                    topic_id,
                    epoch: e,
                    value: v,
                });
                sent.push((r, false, w.bech32()));
            }
        }
        if e > first {
            for r in reputers.iter_mut() {
                let reputer = r.bech32();
                let resp = r.broadcast(pb::MsgSubmitGroundTruth {
                    reputer,
                    topic_id,
                    epoch: e - 1,
                    value: truth(e - 1),
                });
                sent.push((resp, true, r.bech32()));
            }
        }
        for (resp, is_reputer, who) in sent {
            let party = if is_reputer {
                reputers.iter().find(|p| p.bech32() == who).unwrap()
            } else {
                workers.iter().find(|p| p.bech32() == who).unwrap()
            };
            let out = party.wait(resp);
            assert_eq!(out.code, 0, "epoch {e}: {}", out.log);
            assert!(
                net.height(0) < start_of(e + 1),
                "epoch {e}: submissions spilled into the next epoch"
            );
        }
    }
    // The last epoch settles at the end of its reporting window.
    net.wait_height(
        0,
        start_of(first + EPOCHS + 1) + 1,
        Duration::from_secs(120),
    );

    let mut pool_paid = 0u128;
    let mut rewards = [0u128; 3];
    let mut closer = 0;
    for e in first..first + EPOCHS {
        let s: pb::QueryScoresResponse = query(
            &net,
            "Scores",
            &pb::QueryScoresRequest { topic_id, epoch: e },
        );
        let r = s.result.unwrap_or_else(|| panic!("epoch {e} settled"));
        assert_eq!(
            r.consensus_truth,
            truth(e),
            "the stake-weighted median of honest reports"
        );
        let g = guesses(e);
        let mean = g.iter().sum::<i64>() as f64 / 3.0;
        if (r.network_inference - truth(e)).abs() as f64 <= (mean - truth(e) as f64).abs() {
            closer += 1;
        }
        for ws in &r.scores {
            let i = workers
                .iter()
                .position(|w| w.bech32() == ws.worker)
                .unwrap();
            rewards[i] += coin_amount(&ws.reward);
        }
        pool_paid += r
            .scores
            .iter()
            .map(|w| coin_amount(&w.reward))
            .sum::<u128>()
            + r.reputers
                .iter()
                .map(|x| coin_amount(&x.reward))
                .sum::<u128>();
    }
    // Scores after the last epoch: the noisy worker (index 2) is the lowest.
    let last: pb::QueryScoresResponse = query(
        &net,
        "Scores",
        &pb::QueryScoresRequest {
            topic_id,
            epoch: first + EPOCHS - 1,
        },
    );
    let scores: Vec<(String, f64)> = last
        .result
        .unwrap()
        .scores
        .iter()
        .map(|w| (w.worker.clone(), w.score.parse().unwrap()))
        .collect();
    let noisy = workers[2].bech32();
    let noisy_score = scores.iter().find(|(w, _)| *w == noisy).unwrap().1;
    assert!(
        scores.iter().all(|(w, s)| *w == noisy || *s > noisy_score),
        "{scores:?}"
    );
    assert!(
        rewards[2] < rewards[0] && rewards[2] < rewards[1],
        "{rewards:?}"
    );
    // The score-weighted network inference beats the plain mean of the workers.
    assert!(
        closer >= EPOCHS - 1,
        "closer in {closer} of {EPOCHS} epochs"
    );
    // The pool paid exactly what it lost (plus rounding dust to the community pool).
    let t: pb::QueryTopicResponse = query(&net, "Topic", &pb::QueryTopicRequest { id: topic_id });
    let pool_left = coin_amount(&t.topic.unwrap().pool);
    assert!(pool_paid > 0);
    assert!(
        50_000_000 - pool_left >= pool_paid && 50_000_000 - pool_left - pool_paid < 100,
        "dust"
    );
    let n: pb::QueryNetworkInferenceResponse = query(
        &net,
        "NetworkInference",
        &pb::QueryNetworkInferenceRequest {
            topic_id,
            epoch: first + EPOCHS - 1,
        },
    );
    assert_eq!(n.consensus_truth, truth(first + EPOCHS - 1));
}
