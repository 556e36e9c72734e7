//! Topics: the scenario (5 epochs, 3 workers of which one is noisy, 2 reputers),
//! reward accounting to the unit, a far reputer slashed, epochs without truth or settled
//! late; the shared helpers (rejections and genesis are in `tests_topics_boundaries`).

use deai_bank::BankRead;
use deai_framework::MemStore;
use deai_proto::inference::v1 as pb;

use crate::fx::Fx;
use crate::tests::*;
use crate::*;

const L: u64 = 10;
pub(crate) const CREATED: u64 = 10;
pub(crate) const FEE: u128 = 10_000_000;

fn total_udeai(s: &MemStore) -> u128 {
    USERS.iter().map(|u| balance(s, *u, "udeai")).sum::<u128>()
        + s.module_balance(MODULE_ACCOUNT, "udeai").unwrap()
        + pool(s)
}

pub(crate) fn create_msg(loss: pb::LossMethod, alpha: &str) -> pb::MsgCreateTopic {
    pb::MsgCreateTopic {
        creator: addr(1).to_bech32(),
        metric: "ETH/USD x100".into(),
        loss_method: loss as i32,
        epoch_length: L,
        ground_truth_lag: 1,
        alpha: alpha.into(),
        fee: udeai(FEE),
    }
}

fn create(s: &mut MemStore, loss: pb::LossMethod, alpha: &str) -> u64 {
    let r: pb::MsgCreateTopicResponse = exec_response(s, CREATED, create_msg(loss, alpha)).unwrap();
    r.topic_id
}

pub(crate) fn worker_msg(topic: u64, who: u8, stake: u128) -> pb::MsgRegisterTopicWorker {
    pb::MsgRegisterTopicWorker {
        worker: addr(who).to_bech32(),
        topic_id: topic,
        stake: udeai(stake),
    }
}

pub(crate) fn reputer_msg(topic: u64, who: u8, stake: u128) -> pb::MsgRegisterReputer {
    pb::MsgRegisterReputer {
        reputer: addr(who).to_bech32(),
        topic_id: topic,
        stake: udeai(stake),
    }
}

pub(crate) fn infer_msg(
    topic: u64,
    who: u8,
    epoch: u64,
    value: i64,
) -> pb::MsgSubmitTopicInference {
    pb::MsgSubmitTopicInference {
        worker: addr(who).to_bech32(),
        topic_id: topic,
        epoch,
        value,
    }
}

pub(crate) fn truth_msg(topic: u64, who: u8, epoch: u64, value: i64) -> pb::MsgSubmitGroundTruth {
    pb::MsgSubmitGroundTruth {
        reputer: addr(who).to_bech32(),
        topic_id: topic,
        epoch,
        value,
    }
}

/// The first height of epoch `e` (topics created at CREATED).
pub(crate) fn start(e: u64) -> u64 {
    CREATED + (e - 1) * L
}

fn scores(s: &MemStore, topic: u64, epoch: u64) -> pb::EpochResult {
    let r: pb::QueryScoresResponse = query(
        s,
        "/deai.inference.v1.Query/Scores",
        pb::QueryScoresRequest {
            topic_id: topic,
            epoch,
        },
    )
    .unwrap();
    r.result.unwrap()
}

pub(crate) fn topic_of(s: &MemStore, id: u64) -> pb::Topic {
    let r: pb::QueryTopicResponse = query(
        s,
        "/deai.inference.v1.Query/Topic",
        pb::QueryTopicRequest { id },
    )
    .unwrap();
    r.topic.unwrap()
}

pub(crate) fn amount(c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>) -> u128 {
    c.as_ref().unwrap().amount.parse().unwrap()
}

const TRUTH: [i64; 5] = [100_000, 101_000, 99_000, 100_500, 102_000];
const NOISE: [i64; 5] = [4_000, -3_500, 5_000, -4_500, 3_000];

/// Workers 2 and 3 are good (+20, −30 off the truth), worker 4 noisy; reputers 5 (stake
/// 2M) and 6 (1M) report the truth and the truth + 10. Runs epochs 1..=5 and settles them
/// all; checks conservation and reconciliation at every block. Returns the store.
pub(crate) fn scenario(loss: pb::LossMethod) -> (MemStore, u64) {
    let mut s = store();
    let minted = total_udeai(&s);
    let t = create(&mut s, loss, "0.5");
    for w in [2, 3, 4] {
        exec_at(&mut s, CREATED, worker_msg(t, w, 1_000_000)).unwrap();
    }
    exec_at(&mut s, CREATED, reputer_msg(t, 5, 2_000_000)).unwrap();
    exec_at(&mut s, CREATED, reputer_msg(t, 6, 1_000_000)).unwrap();
    assert_reconciles(&s);
    for h in CREATED..start(7) {
        let e = (h - CREATED) / L + 1;
        if h == start(e) + 1 && e <= 5 {
            let truth = TRUTH[e as usize - 1];
            exec_at(&mut s, h, infer_msg(t, 2, e, truth + 20)).unwrap();
            exec_at(&mut s, h, infer_msg(t, 3, e, truth - 30)).unwrap();
            exec_at(&mut s, h, infer_msg(t, 4, e, truth + NOISE[e as usize - 1])).unwrap();
        }
        if h == start(e) + 2 && (2..=6).contains(&e) {
            let truth = TRUTH[e as usize - 2];
            exec_at(&mut s, h, truth_msg(t, 5, e - 1, truth)).unwrap();
            exec_at(&mut s, h, truth_msg(t, 6, e - 1, truth + 10)).unwrap();
        }
        end_block_at(&mut s, h);
        assert_reconciles(&s);
        assert_eq!(total_udeai(&s), minted);
    }
    (s, t)
}

#[test]
fn five_epochs_the_noisy_worker_scores_lowest_and_the_network_beats_the_mean() {
    for loss in [pb::LossMethod::Abs, pb::LossMethod::Squared] {
        let (s, t) = scenario(loss);
        let topic = topic_of(&s, t);
        assert_eq!(topic.last_settled_epoch, 5);
        let mut rewards = [0u128; 3];
        let mut pool_left = FEE;
        for e in 1..=5u64 {
            let r = scores(&s, t, e);
            let truth = TRUTH[e as usize - 1];
            assert_eq!(r.consensus_truth, truth, "stake-weighted median: reputer 5");
            assert_eq!(r.scores.len(), 3);
            let values: Vec<i64> = r.scores.iter().map(|x| x.inference).collect();
            let mean = values.iter().sum::<i64>() as f64 / 3.0;
            let net = Fx::parse(&r.network_inference_exact).unwrap();
            let net_err = (net.0 - Fx::from_int(truth).0).unsigned_abs();
            let mean_err = ((mean - truth as f64).abs() * 1e18) as u128;
            if e == 1 {
                // No scores yet: the plain mean (floored).
                assert!(net_err.abs_diff(mean_err) < 1_000_000, "{e}");
            } else {
                assert!(net_err * 5 < mean_err, "epoch {e}: {net_err} vs {mean_err}");
            }
            // Scores: the noisy worker (4, the last by address) is the lowest.
            let sc: Vec<Fx> = r
                .scores
                .iter()
                .map(|x| Fx::parse(&x.score).unwrap())
                .collect();
            assert!(sc[2] < sc[0] && sc[2] < sc[1], "epoch {e}: {sc:?}");
            assert!(sc[2] < Fx::ZERO);
            // Rewards: this epoch's reward is 10% of the pool, 20% of it to reputers.
            let reward = pool_left / 10;
            let to_rep = reward / 5;
            let paid_w = amount(&r.worker_rewards);
            let paid_r = amount(&r.reputer_rewards);
            let dust = amount(&r.dust);
            assert_eq!(paid_w + paid_r + dust, reward, "every unit accounted for");
            assert!(to_rep - paid_r <= 2 && (reward - to_rep) - paid_w <= 3);
            pool_left -= reward;
            for (i, x) in r.scores.iter().enumerate() {
                rewards[i] += amount(&x.reward);
            }
            assert_eq!(
                amount(&r.scores[2].reward),
                0,
                "a negative score earns nothing"
            );
            // Reputers: 5 at the consensus (closeness 1), 6 at +10 (≈0.0002 relative).
            assert_eq!(r.reputers[0].closeness, "1.000000000000000000");
            assert!(r.reputers[1].closeness.starts_with("0.99"));
            assert!(amount(&r.reputers[0].reward) > amount(&r.reputers[1].reward));
        }
        assert_eq!(amount(&topic.pool), pool_left);
        assert!(
            rewards[2] < rewards[0] && rewards[2] < rewards[1],
            "{rewards:?}"
        );
        // The workers' lifetime totals and their balances agree.
        for (i, w) in [2u8, 3, 4].iter().enumerate() {
            assert_eq!(balance(&s, *w, "udeai"), FUNDS - 1_000_000 + rewards[i]);
        }
        // NetworkInference: latest and by epoch.
        let n: pb::QueryNetworkInferenceResponse = query(
            &s,
            "/deai.inference.v1.Query/NetworkInference",
            pb::QueryNetworkInferenceRequest {
                topic_id: t,
                epoch: 0,
            },
        )
        .unwrap();
        assert_eq!(n.epoch, 5);
        assert_eq!(n.consensus_truth, TRUTH[4]);
        assert_eq!(n.network_inference, scores(&s, t, 5).network_inference);
        let topics: pb::QueryTopicsResponse = query(
            &s,
            "/deai.inference.v1.Query/Topics",
            pb::QueryTopicsRequest { pagination: None },
        )
        .unwrap();
        assert_eq!(topics.topics.len(), 1);
    }
}

/// The worked numbers of docs/inference.md (abs loss, alpha 0.5).
#[test]
fn worked_numbers_of_the_docs() {
    let (s, t) = scenario(pb::LossMethod::Abs);
    let r1 = scores(&s, t, 1);
    assert_eq!(r1.network_inference_exact, "101330.000000000000000000");
    assert_eq!(r1.network_loss_exact, "1330.000000000000000000");
    let g: Vec<&str> = r1.scores.iter().map(|x| x.gain.as_str()).collect();
    assert_eq!(
        g,
        [
            "655.000000000000000000",
            "680.000000000000000000",
            "-1325.000000000000000000"
        ]
    );
    let sc: Vec<&str> = r1.scores.iter().map(|x| x.score.as_str()).collect();
    assert_eq!(
        sc,
        [
            "327.500000000000000000",
            "340.000000000000000000",
            "-662.500000000000000000"
        ]
    );
    let rw: Vec<u128> = r1.scores.iter().map(|x| amount(&x.reward)).collect();
    assert_eq!(rw, [392_509, 407_490, 0]);
    let rep: Vec<(&str, u128)> = r1
        .reputers
        .iter()
        .map(|x| (x.closeness.as_str(), amount(&x.reward)))
        .collect();
    assert_eq!(
        rep,
        [
            ("1.000000000000000000", 133_422),
            ("0.998000000000000000", 66_577)
        ]
    );
    assert_eq!(amount(&r1.dust), 2);
    let r2 = scores(&s, t, 2);
    assert_eq!(r2.network_inference_exact, "100983.001817035636147884");
    assert_eq!(r2.network_inference, 100_983);
    let sc: Vec<&str> = r2.scores.iter().map(|x| x.score.as_str()).collect();
    assert_eq!(
        sc,
        [
            "181.458268076534868832",
            "163.297865890916432128",
            "-337.016559299727874417"
        ]
    );
    let rw: Vec<u128> = r2.scores.iter().map(|x| amount(&x.reward)).collect();
    assert_eq!(rw, [378_963, 341_036, 0]);
}

#[test]
fn a_reputer_far_from_the_consensus_is_slashed_and_removed() {
    let mut s = store();
    let minted = total_udeai(&s);
    let (_, ev, _) = exec_full(&mut s, CREATED, create_msg(pb::LossMethod::Abs, "0.2")).unwrap();
    assert!(has_event(&ev, "deai.inference.v1.EventTopicCreated"));
    let t = 1;
    let ev = exec_at(&mut s, CREATED, worker_msg(t, 2, 1_000_000)).unwrap();
    assert!(has_event(
        &ev,
        "deai.inference.v1.EventTopicWorkerRegistered"
    ));
    let ev = exec_at(&mut s, CREATED, reputer_msg(t, 5, 3_000_000)).unwrap();
    assert!(has_event(&ev, "deai.inference.v1.EventReputerRegistered"));
    exec_at(&mut s, CREATED, reputer_msg(t, 6, 1_000_000)).unwrap();
    let pool_before = pool(&s);
    let bal6 = balance(&s, 6, "udeai");
    let mut slashed_at = None;
    for h in CREATED..start(6) {
        let e = (h - CREATED) / L + 1;
        if h == start(e) {
            let ev = exec_at(&mut s, h, infer_msg(t, 2, e, 500)).unwrap();
            assert!(has_event(
                &ev,
                "deai.inference.v1.EventTopicInferenceSubmitted"
            ));
        }
        if h == start(e) && e >= 2 {
            exec_at(&mut s, h, truth_msg(t, 5, e - 1, 1_000)).unwrap();
            // 10% off: beyond the 5% tolerance.
            if let Ok(ev) = exec_at(&mut s, h, truth_msg(t, 6, e - 1, 1_100)) {
                assert!(has_event(
                    &ev,
                    "deai.inference.v1.EventGroundTruthSubmitted"
                ));
            } else {
                assert!(slashed_at.is_some());
            }
        }
        let ev = end_block_at(&mut s, h);
        let settles = e >= 2 && h == start(e + 1) - 1;
        assert_eq!(
            has_event(&ev, "deai.inference.v1.EventTopicEpochSettled"),
            settles,
            "{h}"
        );
        if has_event(&ev, "deai.inference.v1.EventReputerSlashed") {
            slashed_at = Some(h);
        }
        assert_reconciles(&s);
        assert_eq!(total_udeai(&s), minted);
    }
    // Strikes after epochs 1, 2, 3: slashed when epoch 3 settles (end of epoch 4).
    assert_eq!(slashed_at, Some(start(5) - 1));
    assert_eq!(scores(&s, t, 3).reputers[1].strikes, 3);
    assert_eq!(amount(&scores(&s, t, 3).reputers[1].slashed), 100_000);
    assert_eq!(scores(&s, t, 2).reputers[1].strikes, 2);
    assert_eq!(topic_of(&s, t).reputer_count, 1);
    // It earned nothing (closeness 0), lost 10% of its stake, got the rest back.
    assert_eq!(balance(&s, 6, "udeai"), bal6 + 1_000_000 - 100_000);
    assert_eq!(pool(&s), pool_before + 100_000);
    // Removed: it can no longer report, and may register again.
    assert_eq!(
        code(exec_at(&mut s, start(6), truth_msg(t, 6, 5, 1_000))),
        inference(ERR_NOT_REGISTERED)
    );
    exec_at(&mut s, start(6), reputer_msg(t, 6, 1_000_000)).unwrap();
}

/// An epoch with inferences but no report (or the reverse) passes: nothing scored or paid,
/// its records dropped.
#[test]
fn an_epoch_without_truth_pays_nothing() {
    let mut s = store();
    let t = create(&mut s, pb::LossMethod::Squared, "0.3");
    exec_at(&mut s, CREATED, worker_msg(t, 2, 1_000_000)).unwrap();
    exec_at(&mut s, CREATED, reputer_msg(t, 5, 1_000_000)).unwrap();
    exec_at(&mut s, CREATED, infer_msg(t, 2, 1, 10)).unwrap();
    for h in CREATED..start(4) {
        if h == start(3) {
            exec_at(&mut s, h, truth_msg(t, 5, 2, 10)).unwrap();
        }
        end_block_at(&mut s, h);
    }
    let topic = topic_of(&s, t);
    assert_eq!(topic.last_settled_epoch, 2);
    assert_eq!(amount(&topic.pool), FEE);
    let g = import_proto(&InferenceModule.export_genesis(&s).unwrap()).unwrap();
    assert!(
        g.topic_inferences.is_empty() && g.ground_truths.is_empty() && g.epoch_results.is_empty()
    );
    assert_reconciles(&s);
}

/// More epochs due in one block than end_block settles: the 17th settles a block late, in
/// the next epoch, after its far reputer already reported for that epoch; slashed and
/// removed, its later report goes too, and the state still round-trips through genesis.
#[test]
fn a_late_settlement_removes_the_slashed_reputers_later_reports() {
    let mut s = store();
    let mut p = Params::default();
    p.reputer_max_strikes = 1;
    exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p.to_proto()),
        },
    )
    .unwrap();
    let minted = total_udeai(&s);
    let n = MAX_TOPIC_SETTLEMENTS_PER_BLOCK as u64 + 1;
    for t in 1..=n {
        assert_eq!(create(&mut s, pb::LossMethod::Abs, "0.5"), t);
        exec_at(&mut s, CREATED, worker_msg(t, 2, 1_000_000)).unwrap();
        exec_at(&mut s, CREATED, reputer_msg(t, 5, 2_000_000)).unwrap();
        exec_at(&mut s, CREATED, reputer_msg(t, 6, 1_000_000)).unwrap();
        exec_at(&mut s, CREATED, infer_msg(t, 2, 1, 1_000)).unwrap();
    }
    for h in CREATED..start(2) {
        end_block_at(&mut s, h);
    }
    for t in 1..=n {
        exec_at(&mut s, start(2), truth_msg(t, 5, 1, 1_000)).unwrap();
        exec_at(&mut s, start(2), truth_msg(t, 6, 1, 5_000)).unwrap();
    }
    for h in start(2)..start(3) {
        end_block_at(&mut s, h);
    }
    // 16 settled at the end of epoch 2; the last one waits.
    assert_eq!(topic_of(&s, n - 1).last_settled_epoch, 1);
    assert_eq!(topic_of(&s, n).last_settled_epoch, 0);
    assert_eq!(topic_of(&s, n - 1).reputer_count, 1);
    // In epoch 3, reputer 6 of the last topic reports for epoch 2 before the late settlement.
    exec_at(&mut s, start(3), truth_msg(n, 6, 2, 5_000)).unwrap();
    exec_at(&mut s, start(3), truth_msg(n, 5, 2, 1_000)).unwrap();
    let ev = end_block_at(&mut s, start(3));
    assert!(has_event(&ev, "deai.inference.v1.EventReputerSlashed"));
    assert_eq!(topic_of(&s, n).last_settled_epoch, 1);
    assert_eq!(topic_of(&s, n).reputer_count, 1);
    let g = import_proto(&InferenceModule.export_genesis(&s).unwrap()).unwrap();
    assert_eq!(g.ground_truths.len(), 1);
    assert_eq!(g.ground_truths[0].reputer, addr(5).to_bech32());
    assert_reconciles(&s);
    assert_eq!(total_udeai(&s), minted);
    let exported = export_all(&s);
    assert_eq!(export_all(&init_all(&exported)), exported);
}
