//! Unit tests: inflation toward goal bonded from both sides with the SDK's numbers and its
//! clamps, the block provision, the split (exact, community remainder, markets without
//! recipients), messages by code, queries at the SDK paths and the genesis round trip.

use cosmos_sdk_proto::cosmos::mint::v1beta1 as pb;
use deai_proto::mint::v1 as dpb;
use prost::Name;

use deai_bank::{BankRead, BankWrite, COMMUNITY_POOL};
use deai_framework::{Coin, Coins, Ctx, Event, GasMeter, MemStore, Module, TxError};
use deai_staking::{StakingModule, BONDED_POOL};

use crate::math::*;
use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code};

pub(crate) const USERS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
pub(crate) const FUNDS: u128 = 1_000_000_000_000;

pub(crate) fn d(s: &str) -> Dec {
    Dec::parse(s).unwrap()
}

pub(crate) fn modules(mint: MintModule) -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(StakingModule::default()),
        Box::new(mint),
    ]
}

pub(crate) fn genesis_with(mint: serde_json::Value) -> serde_json::Value {
    let mut app = testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, 9);
    let mut m = mint;
    m["authority"] = serde_json::json!(addr(9).to_bech32());
    app[MODULE_NAME] = m;
    app["staking"] = serde_json::json!({});
    app
}

pub(crate) fn store_with(mint: serde_json::Value) -> MemStore {
    testing::try_init_all(&modules(MintModule::default()), &genesis_with(mint)).unwrap()
}

pub(crate) fn store() -> MemStore {
    store_with(serde_json::json!({}))
}

pub(crate) fn udeai(n: u128) -> Coins {
    Coins::new(vec![Coin::new("udeai", n).unwrap()]).unwrap()
}

/// Moves `amount` udeai of user `u` into the bonded pool.
pub(crate) fn bond(s: &mut MemStore, u: u8, amount: u128) {
    s.send_to_module(&addr(u), BONDED_POOL, &udeai(amount))
        .unwrap();
}

/// Runs `f` in a block context at height `h`, applying its writes on success.
pub(crate) fn in_block<R>(
    s: &mut MemStore,
    h: u64,
    f: impl FnOnce(&mut Ctx) -> Result<R, TxError>,
) -> Result<(R, Vec<Event>), TxError> {
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let b = testing::block(h);
    let mut ctx = Ctx::new(&snap, &gas, &b);
    let r = f(&mut ctx)?;
    let (w, e) = ctx.finish();
    s.apply(w);
    Ok((r, e))
}

pub(crate) fn begin(s: &mut MemStore, h: u64, m: &MintModule) -> Minted {
    in_block(s, h, |ctx| begin_blocker(ctx, m.sinks()))
        .unwrap()
        .0
}

pub(crate) fn module_bal(s: &MemStore, module: &str) -> u128 {
    s.module_balance(module, "udeai").unwrap()
}

fn set_inflation(s: &mut MemStore, inflation: Dec) {
    s.set_minter(&Minter {
        inflation,
        annual_provisions: Dec::ZERO,
    })
    .unwrap();
}

#[test]
fn inflation_steps_like_the_sdk() {
    let p = Params::default();
    let step = |ratio: Dec, from: Dec| {
        let c = inflation_change(
            ratio,
            p.goal_bonded,
            p.inflation_rate_change,
            p.blocks_per_year,
        )
        .unwrap();
        next_inflation(from, c, p.inflation_min, p.inflation_max).unwrap()
    };
    // 0% bonded: + 0.13 / 6,311,520 (the SDK's LegacyDec roundings, computed independently).
    assert_eq!(step(Dec::ZERO, d("0.07")).units(), 70_000_020_597_257_079);
    // 100% bonded from 20%: (1 − 1/0.67) × 0.13 / 6,311,520 < 0.
    assert_eq!(step(Dec::ONE, d("0.2")).units(), 199_999_989_855_082_334);
    // 50% bonded from 10%: up by 5,226,169,707 units.
    assert_eq!(step(d("0.5"), d("0.1")).units(), 100_000_005_226_169_707);
    // At the goal nothing moves.
    assert_eq!(step(d("0.67"), d("0.15")), d("0.15"));
    // Clamps: 7% floor at 100% bonded, 20% ceiling at 0% bonded, also from just inside.
    assert_eq!(step(Dec::ONE, d("0.07")), d("0.07"));
    assert_eq!(step(Dec::ONE, d("0.0700000001")), d("0.07"));
    assert_eq!(step(Dec::ZERO, d("0.2")), d("0.2"));
    assert_eq!(step(Dec::ZERO, d("0.1999999999")), d("0.2"));
    // Out-of-range inflation is pulled into [min, max] at once (the SDK's clamp).
    assert_eq!(step(d("0.67"), d("0.5")), d("0.2"));
    assert_eq!(step(d("0.67"), d("0.01")), d("0.07"));
}

#[test]
fn begin_block_moves_inflation_toward_goal_from_both_sides() {
    let m = MintModule::default();
    // Nothing bonded: inflation rises every block.
    let mut s = store();
    set_inflation(&mut s, d("0.1"));
    let mut last = d("0.1");
    for h in 1..=5 {
        begin(&mut s, h, &m);
        let now = s.minter().unwrap().inflation;
        assert!(now > last, "block {h}: {now} ≤ {last}");
        last = now;
    }
    // 7 of 8 users' funds bonded (87.5% > 67%): it falls.
    let mut s = store();
    for u in 1..=7 {
        bond(&mut s, u, FUNDS);
    }
    set_inflation(&mut s, d("0.1"));
    let mut last = d("0.1");
    for h in 1..=5 {
        begin(&mut s, h, &m);
        let now = s.minter().unwrap().inflation;
        assert!(now < last, "block {h}: {now} ≥ {last}");
        last = now;
    }
}

#[test]
fn block_provision_is_annual_over_blocks_truncated() {
    let mut s = store_with(serde_json::json!({"params": {
        "mint_denom": "udeai",
        "inflation_rate_change": "0.130000000000000000",
        "inflation_max": "0.100000000000000000",
        "inflation_min": "0.100000000000000000",
        "goal_bonded": "0.670000000000000000",
        "blocks_per_year": "1000"}}));
    let m = MintModule::default();
    let supply0 = s.supply_of("udeai").unwrap();
    let out = begin(&mut s, 1, &m);
    // 10% of 8·10^12 a year over 1,000 blocks: 8·10^8 a block, exactly.
    let minter = s.minter().unwrap();
    assert_eq!(minter.inflation, d("0.1"));
    assert_eq!(minter.annual_provisions, d("800000000000"));
    assert_eq!(out.minted, 800_000_000);
    assert_eq!(s.supply_of("udeai").unwrap(), supply0 + 800_000_000);
    // Truncation: annual provisions of 999.999… over 1,000 blocks mint 0.
    assert_eq!(block_provision(d("999.999999999999999999"), 1000), 0);
    assert_eq!(block_provision(d("1000"), 1000), 1);
    assert_eq!(block_provision(d("1999.9"), 1000), 1);
}

#[test]
fn split_sums_exactly_and_the_remainder_goes_to_the_community_pool() {
    let s = EmissionSplit {
        validators_bps: 3_333,
        training_bps: 3_333,
        inference_bps: 3_333,
        data_bps: 1,
        community_pool_bps: 0,
    };
    let sh = split::split(7, &s).unwrap();
    assert_eq!(
        (sh.validators, sh.training, sh.inference, sh.data),
        (2, 2, 2, 0)
    );
    assert_eq!(sh.community_pool, 1);
    let sh = split::split(u128::MAX, &EmissionSplit::default()).unwrap();
    let sum = [sh.validators, sh.training, sh.inference, sh.data]
        .iter()
        .fold(sh.community_pool, |a, b| a.checked_add(*b).unwrap());
    assert_eq!(sum, u128::MAX);
    assert!(EmissionSplit {
        community_pool_bps: 499,
        ..EmissionSplit::default()
    }
    .validate()
    .is_err());
}

#[test]
fn without_sinks_the_market_shares_go_to_the_community_pool() {
    let mut s = store();
    let m = MintModule::default();
    let supply0 = s.supply_of("udeai").unwrap();
    let (out, events) = in_block(&mut s, 1, |ctx| begin_blocker(ctx, m.sinks())).unwrap();
    assert!(out.minted > 0);
    assert_eq!(s.supply_of("udeai").unwrap() - supply0, out.minted);
    // Half to the fee collector, the rest (markets 45% + community 5% + remainder) to the pool.
    assert_eq!(out.validators, out.minted * 5_000 / 10_000);
    assert_eq!(module_bal(&s, deai_auth::FEE_COLLECTOR), out.validators);
    assert_eq!(module_bal(&s, COMMUNITY_POOL), out.minted - out.validators);
    assert_eq!(out.community_pool, out.minted - out.validators);
    assert_eq!((out.training, out.inference, out.data), (0, 0, 0));
    assert_eq!(module_bal(&s, MODULE_ACCOUNT), 0);
    let mint = events.iter().find(|e| e.kind == "mint").unwrap();
    let keys: Vec<&str> = mint.attributes.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        keys,
        ["bonded_ratio", "inflation", "annual_provisions", "amount"]
    );
    assert!(events
        .iter()
        .any(|e| e.kind == dpb::EventEmission::full_name()));
}

fn exec<P: prost::Message + Name>(s: &mut MemStore, p: P) -> Result<Vec<Event>, TxError> {
    testing::exec(&MintModule::default(), s, &testing::block(5), 10_000_000, p).map(|(_, e, _)| e)
}

fn params_msg(authority: u8, p: pb::Params) -> pb::MsgUpdateParams {
    pb::MsgUpdateParams {
        authority: addr(authority).to_bech32(),
        params: Some(p),
    }
}

#[test]
fn update_params_checks_the_authority_and_the_sdk_rules() {
    let mut s = store();
    let mut p = Params::default().to_proto();
    p.blocks_per_year = 100;
    assert_eq!(code(exec(&mut s, params_msg(1, p.clone()))), ("gov", 13));
    exec(&mut s, params_msg(9, p)).unwrap();
    assert_eq!(s.mint_params().unwrap().blocks_per_year, 100);
    let bad = |f: &dyn Fn(&mut pb::Params)| {
        let mut p = Params::default().to_proto();
        f(&mut p);
        p
    };
    for p in [
        bad(&|p| p.blocks_per_year = 0),
        bad(&|p| p.mint_denom = " ".into()),
        bad(&|p| p.goal_bonded = "0".into()),
        bad(&|p| p.goal_bonded = "1000000000000000001".into()),
        bad(&|p| p.inflation_max = "-1".into()),
        bad(&|p| p.inflation_min = String::new()),
        bad(&|p| p.inflation_rate_change = "2000000000000000000".into()),
        bad(&|p| p.inflation_min = "300000000000000000".into()),
    ] {
        assert_eq!(
            code(exec(&mut s, params_msg(9, p))),
            ("mint", ERR_INVALID_PARAMS)
        );
    }
    let e = exec(
        &mut s,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: None,
        },
    );
    assert_eq!(code(e), ("sdk", 18));
}

#[test]
fn update_emission_split_checks_the_authority_and_the_sum() {
    let mut s = store();
    let split = EmissionSplit {
        validators_bps: 10_000,
        training_bps: 0,
        inference_bps: 0,
        data_bps: 0,
        community_pool_bps: 0,
    };
    let msg = |a: u8, sp: EmissionSplit| dpb::MsgUpdateEmissionSplit {
        authority: addr(a).to_bech32(),
        split: Some(sp.to_proto()),
    };
    assert_eq!(code(exec(&mut s, msg(2, split))), ("gov", 13));
    let bad = EmissionSplit {
        validators_bps: 9_999,
        ..split
    };
    assert_eq!(code(exec(&mut s, msg(9, bad))), ("mint", ERR_INVALID_SPLIT));
    exec(&mut s, msg(9, split)).unwrap();
    assert_eq!(s.emission_split().unwrap(), split);
    let out = begin(&mut s, 1, &MintModule::default());
    assert_eq!(out.validators, out.minted);
}

fn q<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    path: &str,
    r: Req,
) -> Result<Res, TxError> {
    testing::query(&MintModule::default(), s, path, r)
}

#[test]
fn queries_answer_at_the_sdk_paths() {
    let mut s = store();
    begin(&mut s, 1, &MintModule::default());
    let p: pb::QueryParamsResponse = q(
        &s,
        "/cosmos.mint.v1beta1.Query/Params",
        pb::QueryParamsRequest {},
    )
    .unwrap();
    let p = p.params.unwrap();
    assert_eq!(p.mint_denom, "udeai");
    assert_eq!(p.inflation_rate_change, "130000000000000000");
    assert_eq!(p.goal_bonded, "670000000000000000");
    assert_eq!(p.blocks_per_year, 6_311_520);
    let i: pb::QueryInflationResponse = q(
        &s,
        "/cosmos.mint.v1beta1.Query/Inflation",
        pb::QueryInflationRequest {},
    )
    .unwrap();
    let minter = s.minter().unwrap();
    assert_eq!(
        i.inflation,
        minter.inflation.units().to_string().into_bytes()
    );
    let a: pb::QueryAnnualProvisionsResponse = q(
        &s,
        "/cosmos.mint.v1beta1.Query/AnnualProvisions",
        pb::QueryAnnualProvisionsRequest {},
    )
    .unwrap();
    assert_eq!(
        a.annual_provisions,
        minter.annual_provisions.units().to_string().into_bytes()
    );
    let sp: dpb::QueryEmissionSplitResponse = q(
        &s,
        "/deai.mint.v1.Query/EmissionSplit",
        dpb::QueryEmissionSplitRequest {},
    )
    .unwrap();
    assert_eq!(sp.split.unwrap(), EmissionSplit::default().to_proto());
    let e = q::<_, dpb::QueryMarketIndexResponse>(
        &s,
        "/deai.mint.v1.Query/MarketIndex",
        dpb::QueryMarketIndexRequest {
            market: "mining".into(),
        },
    );
    assert_eq!(code(e), ("mint", ERR_UNKNOWN_MARKET));
}

#[test]
fn genesis_round_trip_is_exact_and_checks() {
    let mut s = store();
    let m = MintModule::default();
    for h in 1..=3 {
        begin(&mut s, h, &m);
    }
    let mods = modules(MintModule::default());
    let exported = testing::export_all(&mods, &s);
    let mint = &exported[MODULE_NAME];
    assert_eq!(mint["params"]["blocks_per_year"], "6311520");
    assert_eq!(mint["params"]["inflation_max"], "0.200000000000000000");
    assert!(mint["minter"]["inflation"]
        .as_str()
        .unwrap()
        .starts_with("0.13"));
    assert_eq!(mint["emission_split"]["validators_bps"], 5000);
    let s2 = testing::try_init_all(&mods, &exported).unwrap();
    assert_eq!(testing::export_all(&mods, &s2), exported);
    // Refused: a split that does not sum, bad params, unknown fields.
    for (path, v) in [
        (
            "emission_split",
            serde_json::json!({"validators_bps": 1, "training_bps": 0,
            "inference_bps": 0, "data_bps": 0, "community_pool_bps": 0}),
        ),
        (
            "minter",
            serde_json::json!({"inflation": "-1", "annual_provisions": "0"}),
        ),
        ("bogus", serde_json::json!(1)),
    ] {
        let mut g = exported.clone();
        g[MODULE_NAME][path] = v;
        assert!(testing::try_init_all(&mods, &g).is_err(), "{path}");
    }
    let mut g = exported.clone();
    g[MODULE_NAME]["params"]["blocks_per_year"] = serde_json::json!("0");
    let e = testing::try_init_all(&mods, &g).unwrap_err();
    assert_eq!((e.codespace, e.code), ("mint", ERR_INVALID_PARAMS));
}
