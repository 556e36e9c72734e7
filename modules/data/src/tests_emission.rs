//! Emission and closing: the unspent emission of a closed pool's balance goes to the
//! community pool, never to its owner; genesis carries the emission records.

use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::{Ctx, Event, GasMeter, MemStore, Module, StateRead};
use deai_mint::{MintModule, MintRead, PoolPart};
use deai_proto::data::v1 as pb;

use crate::emission::sink;
use crate::tests::*;
use crate::tests_pools::*;
use crate::*;

/// Mint's genesis with the whole provision to data, 10% a year over 1,000 blocks.
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
            "validators_bps": 0, "training_bps": 0, "inference_bps": 0,
            "data_bps": 10000, "community_pool_bps": 0}})
}

fn mint_block(s: &mut MemStore, m: &MintModule, h: u64) -> u128 {
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let b = testing::block(h);
    let mut ctx = Ctx::new(&snap, &gas, &b);
    let out = deai_mint::begin_blocker(&mut ctx, m.sinks()).unwrap();
    let (w, _) = ctx.finish();
    s.apply(w);
    out.minted
}

fn part_of(s: &MemStore, pool: u64) -> PoolPart {
    PoolPart::decode(s.get(&state_key::emission_pool(pool)).unwrap().as_deref()).unwrap()
}

fn community(s: &MemStore) -> u128 {
    s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

fn with_mint_modules() -> Vec<Box<dyn Module>> {
    let mut m = modules();
    m.insert(2, Box::new(MintModule::new(vec![sink()])));
    m
}

fn close_msg(pool: u64) -> pb::MsgClosePool {
    pb::MsgClosePool {
        owner: addr(OWNER).to_bech32(),
        pool_id: pool,
    }
}

fn closed_event(events: &[Event]) -> pb::EventPoolClosed {
    let found: Vec<pb::EventPoolClosed> = events
        .iter()
        .filter(|e| e.kind == "deai.data.v1.EventPoolClosed")
        .map(|e| deai_framework::events::parse_typed_event(e).unwrap())
        .collect();
    assert_eq!(found.len(), 1);
    found[0].clone()
}

fn amount(c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>) -> u128 {
    c.as_ref().unwrap().amount.parse().unwrap()
}

/// A pool (epoch 0: heights 1..=10) bonded by V1 at 2, credited emission by mint blocks 3
/// and 4 (block 4's share still pending); returns the emission credited.
fn pool_with_emission() -> (MemStore, MintModule, u64, u128) {
    let mut s = store();
    let pool = create(&mut s, 1);
    exec_at(&mut s, 2, bond_msg(V1, pool, 1_000)).unwrap();
    MintModule::default()
        .init_genesis(&mut s, &mint_genesis())
        .unwrap();
    let m = MintModule::new(vec![sink()]);
    mint_block(&mut s, &m, 3);
    mint_block(&mut s, &m, 4);
    let credited = pool_balance(&s, pool) - FUNDS_IN;
    assert!(credited > 100_000, "{credited}");
    assert_eq!(part_of(&s, pool).part, credited);
    (s, m, pool, credited)
}

#[test]
fn a_closed_pool_sends_its_unspent_emission_to_the_community_pool() {
    let (mut s, _m, pool, e) = pool_with_emission();
    // Epoch 0 pays REWARD to one good contribution: the emission part shrinks with it.
    let c = contribute(&mut s, 5, 1, pool, 11);
    exec_at(&mut s, 5, score_msg(V1, c, 40_000)).unwrap();
    testing::end_block(&DataModule, &mut s, &testing::block(EPOCH));
    let balance = FUNDS_IN + e - REWARD;
    assert_eq!(pool_balance(&s, pool), balance);
    let unspent = e * balance / (FUNDS_IN + e);
    assert_eq!(
        deai_mint::reward_pools::unspent_emission::<emission::DataPools>(&s, pool).unwrap(),
        unspent
    );

    // Closing settles the pending share (refused: to the community pool, with the index's
    // dust) and drops the pool's weight.
    let pending = s.market_state(deai_mint::DATA).unwrap().unwrap().unclaimed;
    let community0 = community(&s);
    exec_at(&mut s, 11, close_msg(pool)).unwrap();
    assert_eq!(community(&s) - community0, pending);
    let st = s.market_state(deai_mint::DATA).unwrap().unwrap();
    assert_eq!((st.total_weight, st.unclaimed), (0, 0));
    assert_eq!(pool_balance(&s, pool), balance);
    assert_reconciles(&s);

    let (community1, owner0) = (community(&s), balance_of_owner(&s));
    let events = testing::end_block(&DataModule, &mut s, &testing::block(2 * EPOCH));
    let ev = closed_event(&events);
    assert_eq!(amount(&ev.to_community_pool), unspent);
    assert_eq!(amount(&ev.refunded), balance - unspent);
    assert_eq!(community(&s) - community1, unspent);
    assert_eq!(balance_of_owner(&s) - owner0, balance - unspent);
    assert!(s.get(&state_key::emission_pool(pool)).unwrap().is_none());
    assert_eq!(pool_balance(&s, pool), 0);
    assert_reconciles(&s);
}

fn balance_of_owner(s: &MemStore) -> u128 {
    balance(s, OWNER, "udeai")
}

#[test]
fn a_pool_without_emission_refunds_its_whole_balance() {
    let mut s = store();
    let pool = create(&mut s, 1);
    exec_at(&mut s, 2, close_msg(pool)).unwrap();
    let owner0 = balance_of_owner(&s);
    let ev = closed_event(&testing::end_block(
        &DataModule,
        &mut s,
        &testing::block(EPOCH),
    ));
    assert_eq!(amount(&ev.to_community_pool), 0);
    assert_eq!(amount(&ev.refunded), FUNDS_IN);
    assert_eq!(balance_of_owner(&s) - owner0, FUNDS_IN);
}

#[test]
fn genesis_round_trips_the_emission_records_and_the_pending_emission() {
    let (s, m, pool) = {
        let (s, m, pool, _) = pool_with_emission();
        (s, m, pool)
    };
    let modules = with_mint_modules();
    let exported = testing::export_all(&modules, &s);
    let records = &exported["data"]["emission"];
    assert_eq!(records.as_array().unwrap().len(), 1, "{records}");
    assert_eq!(records[0]["pool_id"], pool.to_string());
    let again = testing::try_init_all(&modules, &exported).unwrap();
    assert_eq!(testing::export_all(&modules, &again), exported);
    assert_eq!(part_of(&again, pool), part_of(&s, pool));
    // The restarted chain goes on exactly as the original, through a close.
    let (mut a, mut b) = (s, again);
    for x in [&mut a, &mut b] {
        mint_block(x, &m, 5);
        exec_at(x, 6, close_msg(pool)).unwrap();
        testing::end_block(&DataModule, x, &testing::block(EPOCH));
    }
    assert_eq!(
        testing::export_all(&modules, &a),
        testing::export_all(&modules, &b)
    );
    assert_reconciles(&b);
}

#[test]
fn genesis_refuses_emission_records_of_unknown_pools_or_above_their_balance() {
    let (s, _m, _pool, _) = pool_with_emission();
    let modules = with_mint_modules();
    let good = testing::export_all(&modules, &s);
    let fails = |app: &serde_json::Value| {
        testing::try_init_all(&modules, app)
            .err()
            .map(|e| (e.codespace, e.code))
    };
    assert_eq!(fails(&good), None);
    let mut app = good.clone();
    app["data"]["emission"][0]["pool_id"] = "99".into();
    assert_eq!(fails(&app), Some(data(ERR_INVALID_GENESIS)));
    let mut app = good.clone();
    app["data"]["emission"][0]["part"] = "999999999999999".into();
    assert_eq!(fails(&app), Some(data(ERR_INVALID_GENESIS)));
    let mut app = good.clone();
    let dup = app["data"]["emission"][0].clone();
    app["data"]["emission"].as_array_mut().unwrap().push(dup);
    assert_eq!(fails(&app), Some(data(ERR_INVALID_GENESIS)));
}
