//! Genesis carries the emission parts of topic pools, so a chain restarted from an export
//! keeps the same fee proxy and pending emission.

use deai_framework::{Ctx, GasMeter, MemStore, Module, StateRead};
use deai_mint::{EmissionSink, MintModule, PoolPart};
use deai_proto::inference::v1 as pb;

use crate::emission::{sink, InferenceEmission};
use crate::state_key;
use crate::tests::*;
use crate::tests_topics::{amount, create_msg, reputer_msg, topic_of, worker_msg, CREATED};

fn with_mint_modules() -> Vec<Box<dyn Module>> {
    let mut m = modules();
    m.insert(2, Box::new(MintModule::new(vec![sink()])));
    m
}

fn mint_block(s: &mut MemStore, m: &MintModule, h: u64) {
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let b = testing::block(h);
    let mut ctx = Ctx::new(&snap, &gas, &b);
    deai_mint::begin_blocker(&mut ctx, m.sinks()).unwrap();
    let (w, _) = ctx.finish();
    s.apply(w);
}

fn part_of(s: &MemStore, topic: u64) -> PoolPart {
    PoolPart::decode(s.get(&state_key::emission_topic(topic)).unwrap().as_deref()).unwrap()
}

/// A staked topic credited emission by two mint blocks (the second's share pending).
fn topic_with_emission() -> (MemStore, MintModule, u64) {
    let mut s = store();
    let mut msg = create_msg(pb::LossMethod::Squared, "0.5");
    msg.fee = udeai(10_000_000);
    let r: pb::MsgCreateTopicResponse = exec_response(&mut s, CREATED, msg).unwrap();
    let t = r.topic_id;
    exec_at(&mut s, CREATED, worker_msg(t, 2, 1_000_000)).unwrap();
    exec_at(&mut s, CREATED, reputer_msg(t, 4, 1_000_000)).unwrap();
    MintModule::default()
        .init_genesis(
            &mut s,
            &serde_json::json!({
                "params": {
                    "mint_denom": "udeai",
                    "inflation_rate_change": "0.130000000000000000",
                    "inflation_max": "0.100000000000000000",
                    "inflation_min": "0.100000000000000000",
                    "goal_bonded": "0.670000000000000000",
                    "blocks_per_year": "1000"},
                "emission_split": {
                    "validators_bps": 0, "training_bps": 0, "inference_bps": 10000,
                    "data_bps": 0, "community_pool_bps": 0}}),
        )
        .unwrap();
    let m = MintModule::new(vec![sink()]);
    mint_block(&mut s, &m, CREATED + 1);
    mint_block(&mut s, &m, CREATED + 2);
    let credited = amount(&topic_of(&s, t).pool) - 10_000_000;
    assert!(credited > 100_000, "{credited}");
    assert_eq!(part_of(&s, t).part, credited);
    (s, m, t)
}

#[test]
fn genesis_round_trips_the_emission_records_and_the_fee_proxy() {
    let (s, m, t) = topic_with_emission();
    let modules = with_mint_modules();
    let exported = testing::export_all(&modules, &s);
    let records = &exported["inference"]["emission"];
    assert_eq!(records.as_array().unwrap().len(), 1, "{records}");
    assert_eq!(records[0]["topic_id"], t.to_string());
    let again = testing::try_init_all(&modules, &exported).unwrap();
    assert_eq!(testing::export_all(&modules, &again), exported);
    assert_eq!(part_of(&again, t), part_of(&s, t));
    // Emission still does not count as fees after the restart.
    let w = InferenceEmission::new().weight(&s, t).unwrap();
    assert!(w > 0);
    assert_eq!(InferenceEmission::new().weight(&again, t).unwrap(), w);
    // The restarted chain goes on exactly as the original.
    let (mut a, mut b) = (s, again);
    for x in [&mut a, &mut b] {
        for h in CREATED + 3..=CREATED + 5 {
            mint_block(x, &m, h);
            end_block_at(x, h);
        }
    }
    assert_eq!(
        testing::export_all(&modules, &a),
        testing::export_all(&modules, &b)
    );
    assert_reconciles(&b);
}

#[test]
fn genesis_refuses_emission_records_of_unknown_topics_or_above_their_pool() {
    let (s, _m, _t) = topic_with_emission();
    let modules = with_mint_modules();
    let good = testing::export_all(&modules, &s);
    let fails = |app: &serde_json::Value| {
        testing::try_init_all(&modules, app)
            .err()
            .map(|e| (e.codespace, e.code))
    };
    assert_eq!(fails(&good), None);
    let invalid = Some(inference(crate::ERR_INVALID_GENESIS));
    let mut app = good.clone();
    app["inference"]["emission"][0]["topic_id"] = "99".into();
    assert_eq!(fails(&app), invalid);
    let mut app = good.clone();
    app["inference"]["emission"][0]["part"] = "999999999999999".into();
    assert_eq!(fails(&app), invalid);
    let mut app = good.clone();
    let dup = app["inference"]["emission"][0].clone();
    app["inference"]["emission"]
        .as_array_mut()
        .unwrap()
        .push(dup);
    assert_eq!(fails(&app), invalid);
}
