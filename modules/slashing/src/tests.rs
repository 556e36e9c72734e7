//! Unit tests: downtime (jail and slash to the unit), MsgUnjail's rules by code, double signs
//! (tombstone, entries after the infraction only, idempotence, stale evidence), params,
//! queries and the genesis round trip.

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
use prost::Name;

use deai_bank::BankRead;
use deai_framework::context::BlockInfo;
use deai_framework::{Address, Ctx, Event, GasMeter, MemStore, Module, TxError};
use deai_staking::address::val_to_bech32;
use deai_staking::keeper::{consensus_address, pubkey_any, tokens, BONDED};
use deai_staking::{StakingModule, StakingRead, BONDED_POOL, NOT_BONDED_POOL};

use crate::keeper::{cons_addr, cons_to_bech32, secs};
use crate::tests_double_sign::equivocate;
use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code, proto_coin as coin};

pub(crate) const USERS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
pub(crate) const FUNDS: u128 = 1_000_000_000_000;
pub(crate) const T0: i64 = 1_700_000_000;
pub(crate) const M: u128 = 1_000_000;

pub(crate) fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(StakingModule::default()),
        Box::new(SlashingModule::default()),
    ]
}

pub(crate) fn genesis_with(slashing: serde_json::Value) -> serde_json::Value {
    let mut app = testing::funded_genesis("staking", &USERS, FUNDS, 9);
    let mut sl = slashing;
    sl["authority"] = serde_json::json!(addr(9).to_bech32());
    app[MODULE_NAME] = sl;
    app
}

/// Window 10, min signed 0.5 (at most 5 missed), jail 600 s, 5% and 1%.
pub(crate) fn small_params() -> serde_json::Value {
    serde_json::json!({"params": {
        "signed_blocks_window": "10",
        "min_signed_per_window": "0.500000000000000000",
        "downtime_jail_duration": "600s",
        "slash_fraction_double_sign": "0.050000000000000000",
        "slash_fraction_downtime": "0.010000000000000000"}})
}

pub(crate) fn store() -> MemStore {
    testing::try_init_all(&modules(), &genesis_with(small_params())).unwrap()
}

pub(crate) fn blk(height: u64, time: i64) -> BlockInfo {
    BlockInfo {
        time_unix: time,
        ..testing::block(height)
    }
}

pub(crate) fn exec_at<P: prost::Message + Name>(
    s: &mut MemStore,
    b: &BlockInfo,
    module: &dyn Module,
    p: P,
) -> Result<Vec<Event>, TxError> {
    testing::exec(module, s, b, 100_000_000, p).map(|(_, e, _)| e)
}

pub(crate) fn staking<P: prost::Message + Name>(
    s: &mut MemStore,
    h: u64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_at(s, &blk(h, T0 + h as i64), &StakingModule::default(), p)
}

pub(crate) fn unjail(s: &mut MemStore, op: u8, time: i64) -> Result<Vec<Event>, TxError> {
    exec_at(
        s,
        &blk(1000, time),
        &SlashingModule::default(),
        pb::MsgUnjail {
            validator_addr: val(op),
        },
    )
}

/// Runs `f` in a block context at (h, t), applying its writes on success.
pub(crate) fn in_block<R>(
    s: &mut MemStore,
    h: u64,
    t: i64,
    f: impl FnOnce(&mut Ctx) -> Result<R, TxError>,
) -> Result<(R, Vec<Event>), TxError> {
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let b = blk(h, t);
    let mut ctx = Ctx::new(&snap, &gas, &b);
    let r = f(&mut ctx)?;
    let (w, e) = ctx.finish();
    s.apply(w);
    Ok((r, e))
}

pub(crate) fn end_block(s: &mut MemStore, h: u64) {
    testing::end_block(&StakingModule::default(), s, &blk(h, T0 + h as i64));
}

pub(crate) fn val(b: u8) -> String {
    val_to_bech32(&addr(b))
}

/// The consensus address of validator `op` (its key is `[op + 10; 32]`).
pub(crate) fn cons(op: u8) -> Vec<u8> {
    consensus_address(&[op + 10; 32])
}

pub(crate) fn create_msg(op: u8, amount: u128, min_self: u128) -> spb::MsgCreateValidator {
    #[allow(deprecated)]
    spb::MsgCreateValidator {
        description: Some(spb::Description {
            moniker: format!("v{op}"),
            ..Default::default()
        }),
        commission: Some(spb::CommissionRates {
            rate: "0.1".into(),
            max_rate: "0.2".into(),
            max_change_rate: "0.01".into(),
        }),
        min_self_delegation: min_self.to_string(),
        delegator_address: String::new(),
        validator_address: val(op),
        pubkey: Some(pubkey_any(&[op + 10; 32])),
        value: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn delegate_msg(del: u8, op: u8, amount: u128) -> spb::MsgDelegate {
    spb::MsgDelegate {
        delegator_address: addr(del).to_bech32(),
        validator_address: val(op),
        amount: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn undelegate_msg(del: u8, op: u8, amount: u128) -> spb::MsgUndelegate {
    spb::MsgUndelegate {
        delegator_address: addr(del).to_bech32(),
        validator_address: val(op),
        amount: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn redelegate_msg(del: u8, src: u8, dst: u8, amount: u128) -> spb::MsgBeginRedelegate {
    spb::MsgBeginRedelegate {
        delegator_address: addr(del).to_bech32(),
        validator_src_address: val(src),
        validator_dst_address: val(dst),
        amount: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn pool(s: &MemStore, name: &str) -> u128 {
    s.balance(&Address::module(name), "udeai").unwrap()
}

pub(crate) fn vtokens(s: &MemStore, op: u8) -> u128 {
    tokens(&s.validator(&addr(op)).unwrap().unwrap()).unwrap()
}

pub(crate) fn info(s: &MemStore, op: u8) -> pb::ValidatorSigningInfo {
    s.signing_info(&cons_addr(&cons(op)).unwrap())
        .unwrap()
        .unwrap()
}

pub(crate) fn votes(list: &[(u8, i64, bool)]) -> Vec<Vote> {
    list.iter()
        .map(|(op, power, signed)| Vote {
            cons: cons(*op),
            power: *power,
            signed: *signed,
        })
        .collect()
}

pub(crate) fn begin(s: &mut MemStore, h: u64, list: &[(u8, i64, bool)]) -> Vec<Event> {
    in_block(s, h, T0 + h as i64, |ctx| {
        begin_blocker(ctx, &deai_staking::NoHooks, &votes(list))
    })
    .unwrap()
    .1
}

/// Two bonded validators of 100 M each (power 100), at height 10.
pub(crate) fn two_validators() -> MemStore {
    let mut s = store();
    staking(&mut s, 10, create_msg(1, 100 * M, 1)).unwrap();
    staking(&mut s, 10, create_msg(2, 100 * M, 1)).unwrap();
    end_block(&mut s, 10);
    s
}

#[test]
fn params_defaults_validation_and_update() {
    let p = Params::default();
    assert_eq!(p.min_signed_per_window_int(), 50);
    assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
    let mut bad = p.to_proto();
    bad.signed_blocks_window = 0;
    assert_eq!(
        code(Params::from_proto(&bad).map_err(TxError::from)),
        ("slashing", 100)
    );
    let mut bad = p.to_proto();
    bad.slash_fraction_downtime = b"1000000000000000001".to_vec();
    assert!(Params::from_proto(&bad).is_err());
    let mut bad = p.to_proto();
    bad.downtime_jail_duration = None;
    assert!(Params::from_proto(&bad).is_err());
    // Half-to-even rounding of window × fraction.
    let q = Params {
        signed_blocks_window: 5,
        ..Params::default()
    };
    assert_eq!(q.min_signed_per_window_int(), 2);
    let q = Params {
        signed_blocks_window: 7,
        ..Params::default()
    };
    assert_eq!(q.min_signed_per_window_int(), 4);
    // The default genesis (no params) stores the defaults.
    let s = testing::try_init_all(&modules(), &genesis_with(serde_json::json!({}))).unwrap();
    assert_eq!(s.slashing_params().unwrap(), Params::default());

    let mut s = store();
    let b = blk(5, T0);
    let msg = |auth: u8, p: pb::Params| pb::MsgUpdateParams {
        authority: addr(auth).to_bech32(),
        params: Some(p),
    };
    assert_eq!(
        code(exec_at(
            &mut s,
            &b,
            &SlashingModule::default(),
            msg(1, p.to_proto())
        )),
        ("gov", 13)
    );
    let mut bad = p.to_proto();
    bad.signed_blocks_window = -1;
    assert_eq!(
        code(exec_at(&mut s, &b, &SlashingModule::default(), msg(9, bad))),
        ("slashing", 100)
    );
    exec_at(&mut s, &b, &SlashingModule::default(), msg(9, p.to_proto())).unwrap();
    assert_eq!(s.slashing_params().unwrap(), p);
}

#[test]
fn downtime_jails_and_slashes_to_the_unit() {
    let mut s = two_validators();
    let supply = s.supply_of("udeai").unwrap();
    let bonded = pool(&s, BONDED_POOL);
    // First votes at 11 create the signing infos (start 11); the window is 10, so nothing
    // happens before height 22 even though 1 misses every block.
    for h in 11..22 {
        begin(&mut s, h, &[(1, 100, false), (2, 100, true)]);
    }
    assert_eq!(info(&s, 1).missed_blocks_counter, 10);
    assert_eq!(info(&s, 2).missed_blocks_counter, 0);
    assert!(!s.validator(&addr(1)).unwrap().unwrap().jailed);
    let ev = begin(&mut s, 22, &[(1, 100, false), (2, 100, true)]);
    let v1 = s.validator(&addr(1)).unwrap().unwrap();
    assert!(v1.jailed);
    // 1% of power 100 × 10^6 = 1,000,000, burned from the bonded pool.
    assert_eq!(tokens(&v1).unwrap(), 99 * M);
    assert_eq!(pool(&s, BONDED_POOL), bonded - M);
    assert_eq!(s.supply_of("udeai").unwrap(), supply - M);
    let i = info(&s, 1);
    assert_eq!((i.missed_blocks_counter, i.index_offset), (0, 0));
    assert_eq!(secs(&i.jailed_until), T0 + 22 + 600);
    assert!(s
        .missed_indexes(&cons_addr(&cons(1)).unwrap())
        .unwrap()
        .is_empty());
    let slash = ev.iter().find(|e| e.kind == "slash").unwrap();
    assert!(format!("{slash:?}").contains("missing_signature"));
    // Jailed: further votes change nothing; end_block takes it out of the set.
    begin(&mut s, 23, &[(1, 100, false), (2, 100, true)]);
    assert_eq!(info(&s, 1).missed_blocks_counter, 0);
    end_block(&mut s, 23);
    let v1 = s.validator(&addr(1)).unwrap().unwrap();
    assert_ne!(v1.status, BONDED);
    assert_eq!(pool(&s, NOT_BONDED_POOL), 99 * M);
    assert_eq!(s.supply_of("udeai").unwrap(), supply - M);
}

#[test]
fn a_validator_that_signs_enough_is_never_jailed() {
    let mut s = two_validators();
    // Misses exactly 5 of every 10 (the most allowed), for 40 blocks.
    for h in 11..51u64 {
        begin(&mut s, h, &[(1, 100, h % 2 == 0), (2, 100, true)]);
    }
    assert!(!s.validator(&addr(1)).unwrap().unwrap().jailed);
    assert_eq!(info(&s, 1).missed_blocks_counter, 5);
    assert_eq!(
        s.missed_indexes(&cons_addr(&cons(1)).unwrap())
            .unwrap()
            .len(),
        5
    );
    // Unknown consensus addresses are skipped.
    begin(&mut s, 51, &[(7, 100, false)]);
}

#[test]
fn unjail_rules_by_code() {
    let mut s = two_validators();
    for h in 11..=22 {
        begin(&mut s, h, &[(1, 100, false), (2, 100, true)]);
    }
    let until = T0 + 22 + 600;
    // Jail time not passed.
    assert_eq!(code(unjail(&mut s, 1, until - 1)), ("slashing", 4));
    // Not jailed; no validator.
    assert_eq!(code(unjail(&mut s, 2, until)), ("slashing", 5));
    assert_eq!(code(unjail(&mut s, 5, until)), ("slashing", 2));
    // Empty address.
    let r = exec_at(
        &mut s,
        &blk(5, until),
        &SlashingModule::default(),
        pb::MsgUnjail {
            validator_addr: String::new(),
        },
    );
    assert_eq!(code(r).0, "sdk");
    // Passed: unjailed, back in the set at the next end_block.
    unjail(&mut s, 1, until).unwrap();
    assert!(!s.validator(&addr(1)).unwrap().unwrap().jailed);
    end_block(&mut s, 30);
    assert_eq!(s.validator(&addr(1)).unwrap().unwrap().status, BONDED);

    // Self-delegation below the minimum (staking jails it when the operator undelegates).
    staking(&mut s, 31, create_msg(3, 100 * M, 50 * M)).unwrap();
    staking(&mut s, 31, delegate_msg(4, 3, 10 * M)).unwrap();
    staking(&mut s, 32, undelegate_msg(3, 3, 60 * M)).unwrap();
    assert!(s.validator(&addr(3)).unwrap().unwrap().jailed);
    assert_eq!(code(unjail(&mut s, 3, until)), ("slashing", 7));
    // No self-delegation at all.
    staking(&mut s, 33, undelegate_msg(3, 3, 40 * M)).unwrap();
    assert_eq!(code(unjail(&mut s, 3, until)), ("slashing", 6));
    // Topped back up: unjailed (no signing info: nothing else to check).
    staking(&mut s, 34, delegate_msg(3, 3, 50 * M)).unwrap();
    unjail(&mut s, 3, until).unwrap();
    assert!(!s.validator(&addr(3)).unwrap().unwrap().jailed);
}

/// 1 and 2 bonded; user 3 delegates 50 M to 1; undelegates 10 M at 12 and at 20, and
/// redelegates 10 M from 1 to 2 at 20.
#[test]
fn queries_and_genesis_round_trip() {
    let mut s = two_validators();
    for h in 11..18u64 {
        begin(&mut s, h, &[(1, 100, h % 3 == 0), (2, 100, true)]);
    }
    assert!(equivocate(&mut s, 18, 2, 15, 100));
    let c1 = cons_to_bech32(&cons_addr(&cons(1)).unwrap());
    let r: pb::QuerySigningInfoResponse = testing::query(
        &SlashingModule::default(),
        &s,
        "/cosmos.slashing.v1beta1.Query/SigningInfo",
        pb::QuerySigningInfoRequest {
            cons_address: c1.clone(),
        },
    )
    .unwrap();
    assert_eq!(r.val_signing_info.unwrap(), info(&s, 1));
    let missing = cons_to_bech32(&cons_addr(&cons(7)).unwrap());
    let r: Result<pb::QuerySigningInfoResponse, _> = testing::query(
        &SlashingModule::default(),
        &s,
        "/cosmos.slashing.v1beta1.Query/SigningInfo",
        pb::QuerySigningInfoRequest {
            cons_address: missing,
        },
    );
    assert_eq!(code(r), ("slashing", 8));
    let page = |key: Vec<u8>| -> pb::QuerySigningInfosResponse {
        testing::query(
            &SlashingModule::default(),
            &s,
            "/cosmos.slashing.v1beta1.Query/SigningInfos",
            pb::QuerySigningInfosRequest {
                pagination: Some(
                    cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                        key,
                        limit: 1,
                        ..Default::default()
                    },
                ),
            },
        )
        .unwrap()
    };
    let p1 = page(Vec::new());
    assert_eq!(p1.info.len(), 1);
    let next = p1.pagination.unwrap().next_key;
    let p2 = page(next);
    assert_eq!(p2.info.len(), 1);
    assert_ne!(p1.info[0].address, p2.info[0].address);
    assert!(p2.pagination.unwrap().next_key.is_empty());
    let r: pb::QueryParamsResponse = testing::query(
        &SlashingModule::default(),
        &s,
        "/cosmos.slashing.v1beta1.Query/Params",
        pb::QueryParamsRequest {},
    )
    .unwrap();
    assert_eq!(r.params.unwrap().signed_blocks_window, 10);

    let g = testing::export_all(&modules(), &s);
    let sl = &g[MODULE_NAME];
    assert_eq!(sl["params"]["downtime_jail_duration"], "600s");
    assert_eq!(
        sl["params"]["min_signed_per_window"],
        "0.500000000000000000"
    );
    assert_eq!(sl["signing_infos"].as_array().unwrap().len(), 2);
    assert!(sl["missed_blocks"].to_string().contains("\"missed\":true"));
    assert!(sl.to_string().contains("9999-12-31T23:59:59Z"));
    let s2 = testing::try_init_all(&modules(), &g).unwrap();
    assert_eq!(testing::export_all(&modules(), &s2), g);
    assert_eq!(info(&s2, 1), info(&s, 1));
    // Refused: unknown fields, missed blocks without signing info, fractions above one.
    let mut bad = g.clone();
    bad[MODULE_NAME]["extra"] = serde_json::json!(1);
    assert_eq!(
        code(testing::try_init_all(&modules(), &bad)),
        ("slashing", 101)
    );
    let mut bad = g.clone();
    bad[MODULE_NAME]["signing_infos"] = serde_json::json!([]);
    assert_eq!(
        code(testing::try_init_all(&modules(), &bad)),
        ("slashing", 101)
    );
    let mut bad = g.clone();
    bad[MODULE_NAME]["params"]["slash_fraction_downtime"] = serde_json::json!("1.5");
    assert_eq!(
        code(testing::try_init_all(&modules(), &bad)),
        ("slashing", 100)
    );
}
