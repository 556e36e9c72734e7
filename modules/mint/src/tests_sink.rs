//! The lazy market index with a mock market: pro-rata credits to the recorded weights, a
//! bounded number of visits a block, weights re-read at visits, recipients that disappear or
//! refuse, the sweep, and no unit created or lost.

use deai_auth::AuthWrite;
use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::keys::{prefix_end, trailing_id, KeyBuilder};
use deai_framework::{Coin, Ctx, MemStore, StateRead, StateWrite, TxError};

use crate::index::claim_of;
use crate::tests::*;
use crate::*;

/// A market whose recipients are `mock/w/<id>` (weight), credited into `mock/p/<id>`;
/// recipients with `mock/refuse/<id>` refuse credits.
pub(crate) struct MockSink {
    pub market: &'static str,
    pub visits: usize,
}

pub(crate) fn wkey_of(market: &str, id: u64) -> Vec<u8> {
    KeyBuilder::new("mock", &format!("w{market}"))
        .u64(id)
        .build()
}
pub(crate) fn pkey_of(market: &str, id: u64) -> Vec<u8> {
    KeyBuilder::new("mock", &format!("p{market}"))
        .u64(id)
        .build()
}
pub(crate) fn rkey_of(market: &str, id: u64) -> Vec<u8> {
    KeyBuilder::new("mock", &format!("refuse{market}"))
        .u64(id)
        .build()
}
fn rkey(id: u64) -> Vec<u8> {
    rkey_of(TRAINING, id)
}
fn read(s: &dyn StateRead, k: &[u8]) -> u128 {
    s.get(k)
        .unwrap()
        .map_or(0, |b| u128::from_be_bytes(b.try_into().unwrap()))
}

pub(crate) fn set_weight_of(s: &mut MemStore, market: &str, id: u64, w: u128) {
    if w == 0 {
        s.delete(wkey_of(market, id)).unwrap();
    } else {
        s.put(wkey_of(market, id), w.to_be_bytes().to_vec())
            .unwrap();
    }
}
pub(crate) fn set_weight(s: &mut MemStore, id: u64, w: u128) {
    set_weight_of(s, TRAINING, id, w)
}
pub(crate) fn pool_of(s: &MemStore, market: &str, id: u64) -> u128 {
    read(s, &pkey_of(market, id))
}
pub(crate) fn pool(s: &MemStore, id: u64) -> u128 {
    pool_of(s, TRAINING, id)
}

impl EmissionSink for MockSink {
    fn market(&self) -> &'static str {
        self.market
    }
    fn account(&self) -> &'static str {
        self.market
    }
    fn visits_per_block(&self) -> usize {
        self.visits
    }
    fn ids_from(&self, s: &dyn StateRead, from: u64, limit: usize) -> Result<Vec<u64>, TxError> {
        let prefix = KeyBuilder::new("mock", &format!("w{}", self.market)).build();
        let end = prefix_end(&prefix);
        Ok(
            s.scan(&wkey_of(self.market, from), end.as_deref(), false, limit)?
                .iter()
                .filter_map(|(k, _)| trailing_id(k))
                .collect(),
        )
    }
    fn weight(&self, s: &dyn StateRead, id: u64) -> Result<u128, TxError> {
        Ok(read(s, &wkey_of(self.market, id)))
    }
    fn credit(&self, ctx: &mut Ctx, id: u64, coin: &Coin) -> Result<bool, TxError> {
        if ctx.get(&rkey_of(self.market, id))?.is_some() {
            return Ok(false);
        }
        let now = read(ctx, &pkey_of(self.market, id)) + coin.amount;
        ctx.put(pkey_of(self.market, id), now.to_be_bytes().to_vec())?;
        Ok(true)
    }
}

pub(crate) fn mock_module(visits: usize) -> MintModule {
    MintModule::new(vec![Box::new(MockSink {
        market: TRAINING,
        visits,
    })])
}

/// A store whose split sends everything to training, with the training account created.
pub(crate) fn training_store() -> MemStore {
    let mut s = store_with(serde_json::json!({"emission_split": {
        "validators_bps": 0, "training_bps": 10000, "inference_bps": 0,
        "data_bps": 0, "community_pool_bps": 0}}));
    s.ensure_module_account_with(TRAINING, &[]).unwrap();
    s
}

fn unclaimed(s: &MemStore) -> u128 {
    s.market_state(TRAINING).unwrap().map_or(0, |m| m.unclaimed)
}

#[test]
fn credits_are_pro_rata_to_weights_and_lazy() {
    let mut s = training_store();
    set_weight(&mut s, 1, 100);
    set_weight(&mut s, 2, 300);
    let m = mock_module(16);
    // Block 1 discovers both (visits before the share), block 2 settles block 1's share.
    let b1 = begin(&mut s, 1, &m);
    assert_eq!(b1.training, b1.minted);
    assert_eq!(
        (pool(&s, 1), pool(&s, 2)),
        (0, 0),
        "nothing is paid before a visit"
    );
    assert_eq!(unclaimed(&s), b1.minted);
    assert_eq!(module_bal(&s, MODULE_ACCOUNT), b1.minted);
    let b2 = begin(&mut s, 2, &m);
    assert_eq!(pool(&s, 1), b1.minted / 4);
    assert_eq!(pool(&s, 2), b1.minted * 3 / 4);
    assert_eq!(module_bal(&s, TRAINING), pool(&s, 1) + pool(&s, 2));
    assert_eq!(
        module_bal(&s, MODULE_ACCOUNT),
        unclaimed(&s),
        "the mint account holds exactly the unclaimed emission"
    );
    assert_eq!(
        unclaimed(&s),
        b1.minted + b2.minted - pool(&s, 1) - pool(&s, 2)
    );
}

#[test]
fn visits_are_bounded_and_weights_are_re_read_when_visited() {
    let mut s = training_store();
    for id in 1..=10 {
        set_weight(&mut s, id, 1);
    }
    let m = mock_module(3);
    begin(&mut s, 1, &m);
    let st = s.market_state(TRAINING).unwrap().unwrap();
    assert_eq!((st.total_weight, st.cursor), (3, 4), "three visits a block");
    begin(&mut s, 2, &m);
    begin(&mut s, 3, &m);
    let st = s.market_state(TRAINING).unwrap().unwrap();
    assert_eq!((st.total_weight, st.cursor), (9, 10));
    begin(&mut s, 4, &m);
    let st = s.market_state(TRAINING).unwrap().unwrap();
    assert_eq!(
        (st.total_weight, st.cursor),
        (10, 0),
        "wraps after the last id"
    );
    // Recipient 1 leaves (its record is gone): its recorded weight is settled and dropped
    // at its next visit, and it was paid for the blocks it was recorded for.
    let before = pool(&s, 1);
    set_weight(&mut s, 1, 0);
    begin(&mut s, 5, &m);
    let st = s.market_state(TRAINING).unwrap().unwrap();
    assert_eq!(st.total_weight, 9);
    assert!(pool(&s, 1) > before);
    assert!(s.index_item(TRAINING, 1).unwrap().is_none());
}

#[test]
fn a_market_with_nothing_to_receive_gives_its_share_to_the_community_pool() {
    let mut s = training_store();
    let m = mock_module(16);
    let out = begin(&mut s, 1, &m);
    assert_eq!(out.training, 0);
    assert_eq!(out.community_pool, out.minted);
    assert_eq!(module_bal(&s, COMMUNITY_POOL), out.minted);
    // Recipients appear, receive, then all leave: the dust left is swept to the pool.
    set_weight(&mut s, 1, 3);
    set_weight(&mut s, 2, 7);
    begin(&mut s, 2, &m);
    begin(&mut s, 3, &m);
    set_weight(&mut s, 1, 0);
    set_weight(&mut s, 2, 0);
    begin(&mut s, 4, &m);
    assert_eq!(unclaimed(&s), 0);
    assert_eq!(module_bal(&s, MODULE_ACCOUNT), 0);
    let supply_minted: u128 = s.supply_of("udeai").unwrap() - FUNDS * 8;
    assert_eq!(
        module_bal(&s, COMMUNITY_POOL) + module_bal(&s, TRAINING),
        supply_minted
    );
    assert_eq!(module_bal(&s, TRAINING), pool(&s, 1) + pool(&s, 2));
}

#[test]
fn a_refused_credit_goes_to_the_community_pool() {
    let mut s = training_store();
    set_weight(&mut s, 1, 1);
    set_weight(&mut s, 2, 1);
    s.put(rkey(2), vec![1]).unwrap();
    let m = mock_module(16);
    let b1 = begin(&mut s, 1, &m);
    let (_, events) = in_block(&mut s, 2, |ctx| begin_blocker(ctx, m.sinks())).unwrap();
    assert_eq!(pool(&s, 1), b1.minted / 2);
    assert_eq!(pool(&s, 2), 0);
    assert_eq!(module_bal(&s, COMMUNITY_POOL), b1.minted / 2);
    let claimed: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "deai.mint.v1.EventEmissionClaimed")
        .collect();
    assert_eq!(claimed.len(), 2);
}

#[test]
fn claims_floor_and_never_exceed_the_unclaimed() {
    let item = crate::index::Item {
        id: 1,
        weight: 3,
        last_index: u128::MAX - 1,
    };
    // The index wrapped: growth 10^18 + 2 per unit → 3 units (floor of 3.000…006).
    assert_eq!(claim_of(&item, 1_000_000_000_000_000_000, u128::MAX), 3);
    assert_eq!(claim_of(&item, 1_000_000_000_000_000_000, 2), 2);
    let zero = crate::index::Item { weight: 0, ..item };
    assert_eq!(claim_of(&zero, 5, 100), 0);
}

#[test]
fn the_market_index_survives_a_genesis_round_trip() {
    let mut s = training_store();
    for id in [1u64, 5, 9] {
        set_weight(&mut s, id, u128::from(id) * 1000);
    }
    let m = mock_module(2);
    for h in 1..=4 {
        begin(&mut s, h, &m);
    }
    let mods = modules(MintModule::default());
    let exported = deai_framework::testing::export_all(&mods, &s);
    let markets = exported[MODULE_NAME]["markets"].as_array().unwrap();
    assert_eq!(markets.len(), 1);
    assert_eq!(markets[0]["market"], "training");
    assert_eq!(markets[0]["items"].as_array().unwrap().len(), 3);
    let s2 = deai_framework::testing::try_init_all(&mods, &exported).unwrap();
    assert_eq!(deai_framework::testing::export_all(&mods, &s2), exported);
    // The mint account must hold exactly the unclaimed emission.
    let mut g = exported.clone();
    g[MODULE_NAME]["markets"][0]["unclaimed"] = serde_json::json!("1");
    assert!(deai_framework::testing::try_init_all(&mods, &g).is_err());
    let mut g = exported.clone();
    g[MODULE_NAME]["markets"][0]["total_weight"] = serde_json::json!("1");
    assert!(deai_framework::testing::try_init_all(&mods, &g).is_err());
    let q: deai_proto::mint::v1::QueryMarketIndexResponse = deai_framework::testing::query(
        &MintModule::default(),
        &s,
        "/deai.mint.v1.Query/MarketIndex",
        deai_proto::mint::v1::QueryMarketIndexRequest {
            market: TRAINING.into(),
        },
    )
    .unwrap();
    assert_eq!(q.index.unwrap().total_weight, "15000");
}

/// The gas of one begin block with `n` recipients (after one full visit cycle).
fn gas_of_a_block(n: u64) -> u64 {
    let mut s = training_store();
    for id in 1..=n {
        set_weight(&mut s, id, 1_000 + u128::from(id % 7));
    }
    let m = mock_module(4);
    let cycle = n.div_ceil(4) + 1;
    for h in 1..=cycle {
        begin(&mut s, h, &m);
    }
    let gas = deai_framework::GasMeter::new(u64::MAX / 2);
    let snap = s.clone();
    let b = deai_framework::testing::block(cycle + 1);
    let mut ctx = Ctx::new(&snap, &gas, &b);
    begin_blocker(&mut ctx, m.sinks()).unwrap();
    gas.consumed()
}

#[test]
fn a_block_costs_the_same_with_10_or_1000_recipients() {
    let (small, large) = (gas_of_a_block(10), gas_of_a_block(1_000));
    // The same number of visits either way; only the bytes of larger numbers differ.
    assert!(
        large <= small + small / 10,
        "10: {small} gas, 1,000: {large} gas"
    );
}

#[test]
fn touch_settles_one_recipient_out_of_turn() {
    let mut s = training_store();
    set_weight(&mut s, 1, 1);
    set_weight(&mut s, 2, 1);
    let m = mock_module(16);
    let b1 = begin(&mut s, 1, &m);
    // Recipient 2's stake triples; the market touches it in the same context.
    set_weight(&mut s, 2, 3);
    in_block(&mut s, 2, |ctx| crate::touch(ctx, m.sinks()[0].as_ref(), 2)).unwrap();
    assert_eq!(pool(&s, 2), b1.minted / 2, "paid at its old weight");
    assert_eq!(pool(&s, 1), 0, "the others wait for their visit");
    let st = s.market_state(TRAINING).unwrap().unwrap();
    assert_eq!(st.total_weight, 4);
    assert_eq!(module_bal(&s, MODULE_ACCOUNT), st.unclaimed);
}
