//! Topics: every message refused with its code, and a genesis round trip mid-epoch that
//! settles the same.

use deai_framework::MemStore;
use deai_proto::inference::v1 as pb;

use crate::tests::*;
use crate::tests_topics::*;
use crate::*;

#[test]
fn rejections_by_code() {
    let mut s = store();
    let mut p = Params::default();
    p.max_topic_workers = 2;
    p.max_topic_reputers = 1;
    exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p.to_proto()),
        },
    )
    .unwrap();
    let before = dump(&s);
    let bad_topic = |f: &dyn Fn(&mut pb::MsgCreateTopic)| {
        let mut m = create_msg(pb::LossMethod::Abs, "0.1");
        f(&mut m);
        m
    };
    for m in [
        bad_topic(&|m| m.metric.clear()),
        bad_topic(&|m| m.metric = "x".repeat(257)),
        bad_topic(&|m| m.loss_method = 0),
        bad_topic(&|m| m.loss_method = 9),
        bad_topic(&|m| m.epoch_length = 0),
        bad_topic(&|m| m.epoch_length = MAX_EPOCH_LENGTH + 1),
        bad_topic(&|m| m.ground_truth_lag = 0),
        bad_topic(&|m| m.ground_truth_lag = MAX_GROUND_TRUTH_LAG + 1),
        bad_topic(&|m| m.alpha = "0".into()),
        bad_topic(&|m| m.alpha = "1.1".into()),
        bad_topic(&|m| m.alpha = "-0.5".into()),
    ] {
        assert_eq!(code(exec(&mut s, m)), inference(ERR_INVALID_TOPIC));
    }
    assert_eq!(
        code(exec(&mut s, bad_topic(&|m| m.fee = udeai(FEE - 1)))),
        inference(ERR_FEE_BELOW_PRICE)
    );
    assert_eq!(
        code(exec(
            &mut s,
            bad_topic(&|m| m.fee = Some(coin(FEE, "uatom")))
        )),
        inference(ERR_DENOM_MISMATCH)
    );
    assert!(dump(&s) == before);
    // A fee above the minimum is all pooled.
    let r: pb::MsgCreateTopicResponse =
        exec_response(&mut s, CREATED, bad_topic(&|m| m.fee = udeai(FEE + 5))).unwrap();
    let t = r.topic_id;
    assert_eq!(amount(&topic_of(&s, t).pool), FEE + 5);

    let at = |s: &mut MemStore, m| exec_at(s, CREATED, m);
    assert_eq!(
        code(at(&mut s, worker_msg(t + 1, 2, 1_000_000))),
        inference(ERR_TOPIC_NOT_FOUND)
    );
    assert_eq!(
        code(at(&mut s, worker_msg(t, 2, 0))),
        inference(ERR_ZERO_AMOUNT)
    );
    assert_eq!(
        code(at(&mut s, worker_msg(t, 2, 999_999))),
        inference(ERR_STAKE_TOO_LOW)
    );
    assert_eq!(
        code(exec_at(
            &mut s,
            CREATED,
            pb::MsgRegisterTopicWorker {
                stake: Some(coin(1_000_000, "uatom")),
                ..worker_msg(t, 2, 0)
            }
        )),
        inference(ERR_DENOM_MISMATCH)
    );
    at(&mut s, worker_msg(t, 2, 1_000_000)).unwrap();
    assert_eq!(
        code(at(&mut s, worker_msg(t, 2, 1_000_000))),
        inference(ERR_ALREADY_REGISTERED)
    );
    at(&mut s, worker_msg(t, 3, 1_000_000)).unwrap();
    assert_eq!(
        code(at(&mut s, worker_msg(t, 4, 1_000_000))),
        inference(ERR_TOO_MANY_PARTICIPANTS)
    );
    let rep = |s: &mut MemStore, m| exec_at(s, CREATED, m);
    assert_eq!(
        code(rep(&mut s, reputer_msg(t, 5, 999_999))),
        inference(ERR_STAKE_TOO_LOW)
    );
    rep(&mut s, reputer_msg(t, 5, 1_000_000)).unwrap();
    assert_eq!(
        code(rep(&mut s, reputer_msg(t, 5, 1_000_000))),
        inference(ERR_ALREADY_REGISTERED)
    );
    assert_eq!(
        code(rep(&mut s, reputer_msg(t, 6, 1_000_000))),
        inference(ERR_TOO_MANY_PARTICIPANTS)
    );

    let h = start(2) + 3;
    assert_eq!(
        code(exec_at(&mut s, h, infer_msg(t, 4, 2, 1))),
        inference(ERR_NOT_REGISTERED)
    );
    assert_eq!(
        code(exec_at(&mut s, h, infer_msg(t, 2, 1, 1))),
        inference(ERR_WRONG_EPOCH)
    );
    assert_eq!(
        code(exec_at(&mut s, h, infer_msg(t, 2, 3, 1))),
        inference(ERR_WRONG_EPOCH)
    );
    assert_eq!(
        code(exec_at(&mut s, h, infer_msg(t, 2, 2, 1_000_000_001))),
        inference(ERR_VALUE_OUT_OF_RANGE)
    );
    assert_eq!(
        code(exec_at(&mut s, h, infer_msg(t, 2, 2, -1_000_000_001))),
        inference(ERR_VALUE_OUT_OF_RANGE)
    );
    exec_at(&mut s, h, infer_msg(t, 2, 2, 1_000_000_000)).unwrap();
    assert_eq!(
        code(exec_at(&mut s, h, infer_msg(t, 2, 2, 5))),
        inference(ERR_ALREADY_REPORTED)
    );
    assert_eq!(
        code(exec_at(&mut s, h, infer_msg(t + 1, 2, 2, 5))),
        inference(ERR_TOPIC_NOT_FOUND)
    );
    // Ground truth: in epoch 2 only for epoch 1 (lag 1).
    assert_eq!(
        code(exec_at(&mut s, h, truth_msg(t, 6, 1, 7))),
        inference(ERR_NOT_REGISTERED)
    );
    assert_eq!(
        code(exec_at(&mut s, h, truth_msg(t, 5, 2, 7))),
        inference(ERR_WRONG_EPOCH)
    );
    assert_eq!(
        code(exec_at(&mut s, h, truth_msg(t, 5, 0, 7))),
        inference(ERR_WRONG_EPOCH)
    );
    assert_eq!(
        code(exec_at(&mut s, start(3), truth_msg(t, 5, 1, 7))),
        inference(ERR_WRONG_EPOCH)
    );
    exec_at(&mut s, h, truth_msg(t, 5, 1, 7)).unwrap();
    assert_eq!(
        code(exec_at(&mut s, h, truth_msg(t, 5, 1, 7))),
        inference(ERR_ALREADY_REPORTED)
    );
    // Queries of missing things.
    assert_eq!(
        code(query::<_, pb::QueryTopicResponse>(
            &s,
            "/deai.inference.v1.Query/Topic",
            pb::QueryTopicRequest { id: 9 }
        )),
        ("sdk", 22)
    );
    assert_eq!(
        code(query::<_, pb::QueryScoresResponse>(
            &s,
            "/deai.inference.v1.Query/Scores",
            pb::QueryScoresRequest {
                topic_id: t,
                epoch: 0
            }
        )),
        ("sdk", 22)
    );
}

#[test]
fn genesis_round_trips_topics_mid_epoch_and_settles_the_same() {
    let (mut s, t) = scenario(pb::LossMethod::Squared);
    // Another round in flight: epoch 7's inferences and epoch 6's reports.
    let h = start(7) + 1;
    for (w, v) in [(2u8, 100_010), (3, 99_990), (4, 104_000)] {
        exec_at(&mut s, h, infer_msg(t, w, 7, v)).unwrap();
    }
    exec_at(&mut s, h, infer_msg(t, 2, 7, 1)).unwrap_err();
    exec_at(&mut s, h, truth_msg(t, 5, 6, 100_000)).unwrap();
    // The live network inference of epoch 7 leans on workers 2 and 3 (positive scores).
    let live: pb::QueryNetworkInferenceResponse = query(
        &s,
        "/deai.inference.v1.Query/NetworkInference",
        pb::QueryNetworkInferenceRequest {
            topic_id: t,
            epoch: 7,
        },
    )
    .unwrap();
    assert_eq!(live.consensus_truth, 0);
    assert!(
        (100_000..100_500).contains(&live.network_inference),
        "{live:?}"
    );
    let exported = export_all(&s);
    let g = import_proto(&exported["inference"]).unwrap();
    assert_eq!(g.topics.len(), 1);
    assert_eq!(g.topic_workers.len(), 3);
    assert_eq!(g.reputers.len(), 2);
    assert_eq!(g.topic_inferences.len(), 3);
    assert_eq!(g.ground_truths.len(), 1);
    assert_eq!(g.epoch_results.len(), 5);
    let mut s2 = init_all(&exported);
    assert_eq!(export_all(&s2), exported);
    assert!(dump(&s2) == dump(&s), "indexes rebuilt exactly");
    for h in h..start(9) {
        end_block_at(&mut s, h);
        end_block_at(&mut s2, h);
    }
    assert_eq!(export_all(&s2), export_all(&s));
    assert_eq!(topic_of(&s, t).last_settled_epoch, 7);

    // Tampered genesis records are refused.
    let tamper = |f: &dyn Fn(&mut pb::GenesisState)| {
        let mut g = import_proto(&exported["inference"]).unwrap();
        f(&mut g);
        let mut app = exported.clone();
        app["inference"] = export_proto(&g).unwrap();
        code(try_init_all(&app))
    };
    let want = inference(ERR_INVALID_GENESIS);
    assert_eq!(tamper(&|g| g.topics[0].worker_count = 2), want);
    assert_eq!(tamper(&|g| g.topics[0].alpha = "2".into()), want);
    assert_eq!(tamper(&|g| g.next_topic_id = 1), want);
    assert_eq!(tamper(&|g| g.topic_workers[0].score = "x".into()), want);
    assert_eq!(
        tamper(&|g| g.topic_workers[0].score = "-10000000000000000001".into()),
        want
    );
    let mut edge = g.clone();
    edge.topic_workers[0].score = "-10000000000000000000".into();
    let mut app = exported.clone();
    app["inference"] = export_proto(&edge).unwrap();
    try_init_all(&app).unwrap();
    assert_eq!(tamper(&|g| g.topic_inferences[0].epoch = 5), want);
    assert_eq!(tamper(&|g| g.topic_inferences[0].value = i64::MAX), want);
    assert_eq!(
        tamper(&|g| g.ground_truths[0].reputer = addr(2).to_bech32()),
        want
    );
    assert_eq!(tamper(&|g| g.epoch_results[4].epoch = 9), want);
    let dup = g.topic_workers[0].clone();
    assert_eq!(tamper(&|g| g.topic_workers.push(dup.clone())), want);
    // A pool the module account does not hold.
    assert_eq!(
        tamper(&|g| g.topics[0].pool.as_mut().unwrap().amount = "1".into()),
        want
    );
}
