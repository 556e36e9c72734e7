//! Emission and the end of a task: the unspent emission of a finished task's pool goes to
//! the community pool, never to its creator; genesis carries the emission records.

use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::{Ctx, GasMeter, MemStore, Module};
use deai_mint::{MintModule, MintRead, PoolPart};
use deai_proto::training::v1 as pb;

use crate::emission::sink;
use crate::epoch::MAX_IDLE_ROUNDS;
use crate::tests::*;
use crate::{state_key, StateRead, TrainingRead};

/// Mint's genesis with the whole provision to training, 10% a year over 1,000 blocks
/// (8·10^5 udeai a block on the test supply).
fn with_mint(mut s: MemStore) -> MemStore {
    MintModule::default()
        .init_genesis(&mut s, &mint_genesis())
        .unwrap();
    s
}

fn mint_genesis() -> serde_json::Value {
    serde_json::json!({
        "params": {
            "mint_denom": "udeai",
            "inflation_rate_change": "0.130000000000000000",
            "inflation_max": "0.100000000000000000",
            "inflation_min": "0.100000000000000000",
            "goal_bonded": "0.670000000000000000",
            "blocks_per_year": "1000"},
        "emission_split": {
            "validators_bps": 0, "training_bps": 10000, "inference_bps": 0,
            "data_bps": 0, "community_pool_bps": 0}})
}

fn mint_block(s: &mut MemStore, m: &MintModule, h: u64) -> u128 {
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let b = deai_framework::testing::block(h);
    let mut ctx = Ctx::new(&snap, &gas, &b);
    let out = deai_mint::begin_blocker(&mut ctx, m.sinks()).unwrap();
    let (w, _) = ctx.finish();
    s.apply(w);
    out.minted
}

fn part_of(s: &MemStore, task: u64) -> PoolPart {
    PoolPart::decode(s.get(&state_key::emission_task(task)).unwrap().as_deref()).unwrap()
}

fn community(s: &MemStore) -> u128 {
    s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

fn with_mint_modules() -> Vec<Box<dyn Module>> {
    let mut m = modules();
    m.insert(2, Box::new(MintModule::new(vec![sink()])));
    m
}

/// A task (pool `POOL`, 1 udeai a tempo) with three validators at height 10, credited
/// emission by mint blocks 11..=13; the last block's share is still pending.
fn task_with_emission() -> (MemStore, MintModule, u64) {
    let mut s = store();
    let mut sp = spec();
    sp.emission_per_tempo = Some(coin(1));
    let r: pb::MsgCreateTaskResponse = exec_resp(&mut s, 10, create_msg(8, sp, POOL)).unwrap();
    let task = r.task_id;
    for v in [4, 5, 6] {
        register(&mut s, 10, v, task, pb::Role::Validator);
    }
    let mut s = with_mint(s);
    let m = MintModule::new(vec![sink()]);
    for h in 11..=13 {
        mint_block(&mut s, &m, h);
    }
    (s, m, task)
}

#[test]
fn a_finished_task_sends_its_unspent_emission_to_the_community_pool() {
    let (mut s, _m, task) = task_with_emission();
    let credited = pool_of(&s, task) - POOL;
    assert!(credited > 1_000_000, "{credited}");
    assert_eq!(part_of(&s, task).part, credited);
    // Round 0's epoch settles the pending share into the pool first.
    let pending = s
        .market_state(deai_mint::TRAINING)
        .unwrap()
        .unwrap()
        .unclaimed;
    assert!(pending > 0);
    blocks(&mut s, 10, 29);
    let credited = credited + pending
        - s.market_state(deai_mint::TRAINING)
            .unwrap()
            .unwrap()
            .unclaimed;
    assert!(pool_of(&s, task) > POOL + credited - 10);
    assert_reconciles(&s);

    // Idle rounds until the last; stop just before its epoch.
    let end = 10 + 20 * u64::from(MAX_IDLE_ROUNDS) - 1;
    blocks(&mut s, 30, end - 1);
    let t = get_task(&s, task);
    assert_eq!(t.state, pb::TaskState::Active as i32);
    let pool_before = pool_of(&s, task);
    let record = part_of(&s, task);
    let dust = s
        .market_state(deai_mint::TRAINING)
        .unwrap()
        .unwrap()
        .unclaimed;
    let (community0, creator0) = (community(&s), balance(&s, 8));

    let events = end_block_at(&mut s, end);
    let t = get_task(&s, task);
    assert_eq!(t.state, pb::TaskState::Finished as i32);
    let paid: u128 = s
        .get_round(task, t.round)
        .unwrap()
        .unwrap()
        .emission
        .unwrap()
        .amount
        .parse()
        .unwrap();
    let left = pool_before - paid;
    let unspent = record.now(left).unwrap();
    assert!(
        unspent > credited - 10 && unspent <= credited,
        "{unspent} of {credited}"
    );
    let finished: Vec<pb::EventTaskFinished> = events
        .iter()
        .filter(|e| e.kind == "deai.training.v1.EventTaskFinished")
        .map(|e| deai_framework::events::parse_typed_event(e).unwrap())
        .collect();
    assert_eq!(finished.len(), 1);
    let amount = |c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>| -> u128 {
        c.as_ref().unwrap().amount.parse().unwrap()
    };
    assert_eq!(amount(&finished[0].to_community_pool), unspent);
    assert_eq!(amount(&finished[0].refunded), left - unspent);
    // Exactly the unspent emission (and the index's rounding dust, swept as the task's
    // weight dropped to 0) to the community pool; the rest to the creator.
    assert_eq!(community(&s) - community0, unspent + dust);
    assert_eq!(balance(&s, 8) - creator0, left - unspent);
    assert_eq!(pool_of(&s, task), 0);
    assert!(s.get(&state_key::emission_task(task)).unwrap().is_none());
    let st = s.market_state(deai_mint::TRAINING).unwrap().unwrap();
    assert_eq!((st.total_weight, st.unclaimed), (0, 0));
    assert_reconciles(&s);
}

#[test]
fn a_task_without_emission_refunds_its_whole_pool() {
    let mut s = store();
    let mut sp = spec();
    sp.emission_per_tempo = Some(coin(1));
    let r: pb::MsgCreateTaskResponse = exec_resp(&mut s, 10, create_msg(8, sp, POOL)).unwrap();
    let creator0 = balance(&s, 8);
    let events = blocks(&mut s, 10, 10 + 20 * u64::from(MAX_IDLE_ROUNDS) - 1);
    let finished: Vec<pb::EventTaskFinished> = events
        .iter()
        .filter(|e| e.kind == "deai.training.v1.EventTaskFinished")
        .map(|e| deai_framework::events::parse_typed_event(e).unwrap())
        .collect();
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].to_community_pool.as_ref().unwrap().amount, "0");
    assert_eq!(balance(&s, 8) - creator0, POOL);
    assert_eq!(pool_of(&s, r.task_id), 0);
}

#[test]
fn genesis_round_trips_the_emission_records_and_the_pending_emission() {
    let (s, m, task) = task_with_emission();
    let modules = with_mint_modules();
    let exported = deai_framework::testing::export_all(&modules, &s);
    let records = &exported["training"]["emission"];
    assert_eq!(records.as_array().unwrap().len(), 1, "{records}");
    assert_eq!(records[0]["task_id"], task.to_string());
    let again = deai_framework::testing::try_init_all(&modules, &exported).unwrap();
    assert_eq!(
        deai_framework::testing::export_all(&modules, &again),
        exported
    );
    assert_eq!(part_of(&again, task), part_of(&s, task));
    // The restarted chain goes on exactly as the original.
    let (mut a, mut b) = (s, again);
    for h in 14..=16 {
        mint_block(&mut a, &m, h);
        mint_block(&mut b, &m, h);
    }
    blocks(&mut a, 10, 29);
    blocks(&mut b, 10, 29);
    assert_eq!(
        deai_framework::testing::export_all(&modules, &a),
        deai_framework::testing::export_all(&modules, &b)
    );
    assert_reconciles(&b);
}

#[test]
fn genesis_refuses_emission_records_of_unknown_tasks_or_above_their_balance() {
    let (s, _m, _task) = task_with_emission();
    let modules = with_mint_modules();
    let good = deai_framework::testing::export_all(&modules, &s);
    let fails = |app: &serde_json::Value| {
        deai_framework::testing::try_init_all(&modules, app)
            .err()
            .map(|e| (e.codespace, e.code))
    };
    assert_eq!(fails(&good), None);
    let mut app = good.clone();
    app["training"]["emission"][0]["task_id"] = "99".into();
    assert_eq!(fails(&app), Some(training(crate::ERR_INVALID_GENESIS)));
    let mut app = good.clone();
    app["training"]["emission"][0]["part"] = "999999999999999".into();
    assert_eq!(fails(&app), Some(training(crate::ERR_INVALID_GENESIS)));
    let mut app = good.clone();
    let dup = app["training"]["emission"][0].clone();
    app["training"]["emission"]
        .as_array_mut()
        .unwrap()
        .push(dup);
    assert_eq!(fails(&app), Some(training(crate::ERR_INVALID_GENESIS)));
}
