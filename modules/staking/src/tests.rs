//! Unit tests: every message's rejections by code, the exchange rate, end_block (set, status
//! transitions, updates and their clamp, maturity, history), queries and genesis.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use prost::Name;

use deai_bank::BankRead;
use deai_framework::context::BlockInfo;
use deai_framework::{sdk, Address, Event, MemStore, Module, TxError};

use crate::address::val_to_bech32;
use crate::keeper::{pubkey_any, StakingRead, StakingWrite};
use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code, proto_coin as coin};

pub(crate) const USERS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
pub(crate) const FUNDS: u128 = 1_000_000_000_000;
pub(crate) const DAY: i64 = 86_400;
pub(crate) const T0: i64 = 1_700_000_000;

pub(crate) fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(StakingModule),
    ]
}

pub(crate) fn genesis_with(staking: serde_json::Value) -> serde_json::Value {
    let mut app = testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, 9);
    let mut st = staking;
    st["authority"] = serde_json::json!(addr(9).to_bech32());
    app[MODULE_NAME] = st;
    app
}

pub(crate) fn store() -> MemStore {
    testing::try_init_all(&modules(), &genesis_with(serde_json::json!({}))).unwrap()
}

pub(crate) fn blk(height: u64, time: i64) -> BlockInfo {
    BlockInfo {
        time_unix: time,
        ..testing::block(height)
    }
}

pub(crate) fn exec_in<P: prost::Message + Name>(
    s: &mut MemStore,
    b: &BlockInfo,
    p: P,
) -> Result<(cosmos_sdk_proto::Any, Vec<Event>), TxError> {
    testing::exec(&StakingModule, s, b, 100_000_000, p).map(|(r, e, _)| (r, e))
}

pub(crate) fn exec<P: prost::Message + Name>(
    s: &mut MemStore,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_in(s, &blk(10, T0), p).map(|(_, e)| e)
}

/// end_block at (height, time); returns the validator updates it stored.
pub(crate) fn end_block(s: &mut MemStore, height: u64, time: i64) -> Vec<(Vec<u8>, i64)> {
    testing::end_block(&StakingModule, s, &blk(height, time));
    s.stored_validator_updates().unwrap()
}

pub(crate) fn val(b: u8) -> String {
    val_to_bech32(&addr(b))
}

pub(crate) fn rates(rate: &str, max: &str, change: &str) -> pb::CommissionRates {
    pb::CommissionRates {
        rate: rate.into(),
        max_rate: max.into(),
        max_change_rate: change.into(),
    }
}

pub(crate) fn create_msg(op: u8, key: u8, amount: u128) -> pb::MsgCreateValidator {
    #[allow(deprecated)]
    pb::MsgCreateValidator {
        description: Some(pb::Description {
            moniker: format!("v{op}"),
            ..Default::default()
        }),
        commission: Some(rates("0.1", "0.2", "0.01")),
        min_self_delegation: "1".into(),
        delegator_address: String::new(),
        validator_address: val(op),
        pubkey: Some(pubkey_any(&[key; 32])),
        value: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn delegate_msg(del: u8, op: u8, amount: u128) -> pb::MsgDelegate {
    pb::MsgDelegate {
        delegator_address: addr(del).to_bech32(),
        validator_address: val(op),
        amount: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn undelegate_msg(del: u8, op: u8, amount: u128) -> pb::MsgUndelegate {
    pb::MsgUndelegate {
        delegator_address: addr(del).to_bech32(),
        validator_address: val(op),
        amount: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn redelegate_msg(del: u8, src: u8, dst: u8, amount: u128) -> pb::MsgBeginRedelegate {
    pb::MsgBeginRedelegate {
        delegator_address: addr(del).to_bech32(),
        validator_src_address: val(src),
        validator_dst_address: val(dst),
        amount: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn cancel_msg(
    del: u8,
    op: u8,
    amount: u128,
    height: i64,
) -> pb::MsgCancelUnbondingDelegation {
    pb::MsgCancelUnbondingDelegation {
        delegator_address: addr(del).to_bech32(),
        validator_address: val(op),
        amount: Some(coin(amount, "udeai")),
        creation_height: height,
    }
}

pub(crate) fn bal(s: &MemStore, u: u8) -> u128 {
    s.balance(&addr(u), "udeai").unwrap()
}

pub(crate) fn pools(s: &MemStore) -> (u128, u128) {
    (
        s.module_balance(BONDED_POOL, "udeai").unwrap(),
        s.module_balance(NOT_BONDED_POOL, "udeai").unwrap(),
    )
}

fn st(code: u32) -> (&'static str, u32) {
    (MODULE_NAME, code)
}

fn sd(code: u32) -> (&'static str, u32) {
    (sdk::CODESPACE, code)
}

const M: u128 = 1_000_000;

// ---- create / edit ---------------------------------------------------------------------------

#[test]
fn a_created_validator_is_bonded_at_end_block_and_reported_to_cometbft() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    let v = s.validator(&addr(1)).unwrap().unwrap();
    assert_eq!(v.status, pb::BondStatus::Unbonded as i32);
    assert_eq!(v.tokens, "10000000");
    assert_eq!(v.delegator_shares, "10000000.000000000000000000");
    assert_eq!(pools(&s), (0, 10 * M));
    assert_eq!(bal(&s, 1), FUNDS - 10 * M);
    let ups = end_block(&mut s, 10, T0);
    assert_eq!(ups, vec![(vec![11; 32], 10)]);
    let v = s.validator(&addr(1)).unwrap().unwrap();
    assert_eq!(v.status, pb::BondStatus::Bonded as i32);
    assert_eq!(pools(&s), (10 * M, 0));
    // No change, no update.
    assert!(end_block(&mut s, 11, T0 + 5).is_empty());
}

#[test]
fn create_validator_rejections_have_the_sdks_codes() {
    let mut s = store();
    let with = |f: &dyn Fn(&mut pb::MsgCreateValidator)| {
        let mut m = create_msg(1, 11, 10 * M);
        f(&mut m);
        m
    };
    let cases: Vec<(pb::MsgCreateValidator, (&str, u32))> = vec![
        (
            with(&|m| m.validator_address.clear()),
            st(ERR_EMPTY_VALIDATOR_ADDR),
        ),
        (
            with(&|m| m.validator_address = addr(1).to_bech32()),
            sd(sdk::INVALID_ADDRESS),
        ),
        (with(&|m| m.pubkey = None), st(ERR_EMPTY_VALIDATOR_PUBKEY)),
        (
            with(&|m| {
                m.pubkey.as_mut().unwrap().type_url = "/cosmos.crypto.secp256k1.PubKey".into()
            }),
            st(ERR_VALIDATOR_PUBKEY_TYPE_NOT_SUPPORTED),
        ),
        (
            with(&|m| m.pubkey = Some(pubkey_any(&[1; 31]))),
            st(ERR_VALIDATOR_PUBKEY_TYPE_NOT_SUPPORTED),
        ),
        (
            with(&|m| m.value = Some(coin(0, "udeai"))),
            sd(sdk::INVALID_REQUEST),
        ),
        (with(&|m| m.value = None), sd(sdk::INVALID_COINS)),
        (
            with(&|m| m.description = Some(Default::default())),
            sd(sdk::INVALID_REQUEST),
        ),
        (
            with(&|m| m.description.as_mut().unwrap().moniker = "x".repeat(71)),
            st(ERR_INVALID_DESCRIPTION),
        ),
        (with(&|m| m.commission = None), sd(sdk::INVALID_REQUEST)),
        (
            with(&|m| m.commission = Some(rates("0.1", "1.1", "0.01"))),
            st(ERR_COMMISSION_HUGE),
        ),
        (
            with(&|m| m.commission = Some(rates("-0.1", "0.2", "0.01"))),
            st(ERR_COMMISSION_NEGATIVE),
        ),
        (
            with(&|m| m.commission = Some(rates("0.3", "0.2", "0.01"))),
            st(ERR_COMMISSION_GT_MAX_RATE),
        ),
        (
            with(&|m| m.commission = Some(rates("0.1", "0.2", "-0.01"))),
            st(ERR_COMMISSION_CHANGE_RATE_NEGATIVE),
        ),
        (
            with(&|m| m.commission = Some(rates("0.1", "0.2", "0.3"))),
            st(ERR_COMMISSION_CHANGE_RATE_GT_MAX_RATE),
        ),
        (
            with(&|m| m.min_self_delegation = "0".into()),
            sd(sdk::INVALID_REQUEST),
        ),
        (
            with(&|m| m.min_self_delegation = "-1".into()),
            sd(sdk::INVALID_REQUEST),
        ),
        (
            with(&|m| m.min_self_delegation = (10 * M + 1).to_string()),
            st(ERR_SELF_DELEGATION_BELOW_MINIMUM),
        ),
        (
            with(&|m| m.value = Some(coin(10 * M, "uatom"))),
            sd(sdk::INVALID_REQUEST),
        ),
        (
            with(&|m| m.value = Some(coin(FUNDS + 1, "udeai"))),
            sd(sdk::INSUFFICIENT_FUNDS),
        ),
    ];
    for (i, (m, want)) in cases.into_iter().enumerate() {
        assert_eq!(code(exec(&mut s, m)), want, "case {i}");
    }
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    assert_eq!(
        code(exec(&mut s, create_msg(1, 12, 10 * M))),
        st(ERR_VALIDATOR_OWNER_EXISTS)
    );
    assert_eq!(
        code(exec(&mut s, create_msg(2, 11, 10 * M))),
        st(ERR_VALIDATOR_PUBKEY_EXISTS)
    );
}

#[test]
fn a_commission_below_the_min_rate_is_refused() {
    let g = serde_json::json!({"params": {
        "unbonding_time": "1814400s", "max_validators": 100, "max_entries": 7,
        "historical_entries": 100, "bond_denom": "udeai", "min_commission_rate": "0.050000000000000000"}});
    let mut s = testing::try_init_all(&modules(), &genesis_with(g)).unwrap();
    let mut m = create_msg(1, 11, 10 * M);
    m.commission = Some(rates("0.01", "0.2", "0.01"));
    assert_eq!(code(exec(&mut s, m)), st(ERR_COMMISSION_LT_MIN_RATE));
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    // Editing below the minimum is the SDK's invalid request.
    assert_eq!(
        code(exec_in(&mut s, &blk(20, T0 + DAY), edit(1, "0.04", ""))),
        sd(sdk::INVALID_REQUEST)
    );
    exec_in(&mut s, &blk(20, T0 + DAY), edit(1, "0.05", "")).unwrap();
}

fn edit(op: u8, rate: &str, min: &str) -> pb::MsgEditValidator {
    pb::MsgEditValidator {
        description: Some(pb::Description {
            moniker: crate::msgs::DO_NOT_MODIFY.into(),
            identity: crate::msgs::DO_NOT_MODIFY.into(),
            website: "https://v.example".into(),
            security_contact: crate::msgs::DO_NOT_MODIFY.into(),
            details: crate::msgs::DO_NOT_MODIFY.into(),
        }),
        validator_address: val(op),
        commission_rate: rate.into(),
        min_self_delegation: min.into(),
    }
}

#[test]
fn edit_validator_checks_rate_changes_and_min_self_delegation() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    assert_eq!(
        code(exec(&mut s, edit(2, "", ""))),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    // Within 24h of creation.
    assert_eq!(
        code(exec(&mut s, edit(1, "0.105", ""))),
        st(ERR_COMMISSION_UPDATE_TIME)
    );
    let later = blk(20, T0 + DAY);
    assert_eq!(
        code(exec_in(&mut s, &later, edit(1, "0.25", ""))),
        st(ERR_COMMISSION_GT_MAX_RATE)
    );
    assert_eq!(
        code(exec_in(&mut s, &later, edit(1, "0.12", ""))),
        st(ERR_COMMISSION_GT_MAX_CHANGE_RATE)
    );
    assert_eq!(
        code(exec_in(&mut s, &later, edit(1, "-0.1", ""))),
        sd(sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec_in(&mut s, &later, edit(1, "1.5", ""))),
        sd(sdk::INVALID_REQUEST)
    );
    let mut empty = edit(1, "", "");
    empty.description = Some(Default::default());
    assert_eq!(
        code(exec_in(&mut s, &later, empty)),
        sd(sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec_in(&mut s, &later, edit(1, "", "1"))),
        st(ERR_MIN_SELF_DELEGATION_DECREASED)
    );
    assert_eq!(
        code(exec_in(
            &mut s,
            &later,
            edit(1, "", &(10 * M + 1).to_string())
        )),
        st(ERR_SELF_DELEGATION_BELOW_MINIMUM)
    );
    let mut long = edit(1, "", "");
    long.description.as_mut().unwrap().details = "d".repeat(281);
    assert_eq!(
        code(exec_in(&mut s, &later, long)),
        st(ERR_INVALID_DESCRIPTION)
    );
    exec_in(&mut s, &later, edit(1, "0.11", "5")).unwrap();
    let v = s.validator(&addr(1)).unwrap().unwrap();
    let d = v.description.unwrap();
    assert_eq!(
        (d.moniker.as_str(), d.website.as_str()),
        ("v1", "https://v.example")
    );
    assert_eq!(
        v.commission.unwrap().commission_rates.unwrap().rate,
        "0.110000000000000000"
    );
    assert_eq!(v.min_self_delegation, "5");
    // A decrease is not bounded by max_change_rate (the SDK bounds increases only).
    exec_in(&mut s, &blk(30, T0 + 2 * DAY), edit(1, "0", "")).unwrap();
    // And not again the same day.
    assert_eq!(
        code(exec_in(
            &mut s,
            &blk(31, T0 + 2 * DAY + 10),
            edit(1, "0.01", "")
        )),
        st(ERR_COMMISSION_UPDATE_TIME)
    );
}

// ---- delegate / undelegate / redelegate / cancel ----------------------------------------------

#[test]
fn delegate_rejections_and_exchange_rate() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    assert_eq!(
        code(exec(&mut s, delegate_msg(2, 3, 5))),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    assert_eq!(
        code(exec(&mut s, delegate_msg(2, 1, 0))),
        sd(sdk::INVALID_REQUEST)
    );
    let mut m = delegate_msg(2, 1, 5);
    m.amount = Some(coin(5, "uatom"));
    assert_eq!(code(exec(&mut s, m)), sd(sdk::INVALID_REQUEST));
    let mut m = delegate_msg(2, 1, 5);
    m.delegator_address.clear();
    assert_eq!(code(exec(&mut s, m)), st(ERR_EMPTY_DELEGATOR_ADDR));
    assert_eq!(
        code(exec(&mut s, delegate_msg(2, 1, FUNDS + 1))),
        sd(sdk::INSUFFICIENT_FUNDS)
    );
    exec(&mut s, delegate_msg(2, 1, 5 * M)).unwrap();
    let d = s.delegation(&addr(2), &addr(1)).unwrap().unwrap();
    assert_eq!(d.shares, "5000000.000000000000000000");
    // A validator whose tokens are worth less than its shares (as after a slash): 2 shares per
    // token. Delegating 3 tokens gives 6 shares; undelegating them back pays 3, never more.
    let mut v = s.validator(&addr(1)).unwrap().unwrap();
    v.delegator_shares = "30000000.000000000000000000".into();
    s.put_validator(&v).unwrap();
    s.put_delegation(&addr(1), &addr(1), math::Dec::parse("25000000").unwrap())
        .unwrap();
    exec(&mut s, delegate_msg(3, 1, 3)).unwrap();
    assert_eq!(
        s.delegation(&addr(3), &addr(1)).unwrap().unwrap().shares,
        "6.000000000000000000"
    );
    let before = bal(&s, 3);
    exec(&mut s, undelegate_msg(3, 1, 2)).unwrap();
    let d = s.delegation(&addr(3), &addr(1)).unwrap().unwrap();
    assert_eq!(d.shares, "2.000000000000000000");
    assert_eq!(bal(&s, 3), before);
    // A token amount worth zero shares is refused.
    let mut v = s.validator(&addr(1)).unwrap().unwrap();
    v.delegator_shares = "1.000000000000000000".into();
    v.tokens = "15000000000000000000000".into();
    s.put_validator(&v).unwrap();
    assert_eq!(
        code(exec(&mut s, delegate_msg(4, 1, 1))),
        st(ERR_INSUFFICIENT_SHARES)
    );
}

#[test]
fn undelegate_rejections_and_maturity() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    assert_eq!(
        code(exec(&mut s, undelegate_msg(2, 1, 5))),
        st(ERR_NO_DELEGATION)
    );
    assert_eq!(
        code(exec(&mut s, undelegate_msg(1, 2, 5))),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    exec(&mut s, delegate_msg(2, 1, 4 * M)).unwrap();
    assert_eq!(
        code(exec(&mut s, undelegate_msg(2, 1, 4 * M + 1))),
        st(ERR_NOT_ENOUGH_DELEGATION_SHARES)
    );
    let before = bal(&s, 2);
    // Seven entries at seven heights, then the eighth is refused.
    for h in 0..7u64 {
        exec_in(
            &mut s,
            &blk(11 + h, T0 + h as i64),
            undelegate_msg(2, 1, 100),
        )
        .unwrap();
    }
    assert_eq!(
        code(exec_in(
            &mut s,
            &blk(30, T0 + 30),
            undelegate_msg(2, 1, 100)
        )),
        st(ERR_MAX_UNBONDING_DELEGATION_ENTRIES)
    );
    // The same height merges into its entry.
    exec_in(&mut s, &blk(17, T0 + 6), undelegate_msg(2, 1, 50)).unwrap();
    let u = s.ubd(&addr(2), &addr(1)).unwrap().unwrap();
    assert_eq!(u.entries.len(), 7);
    assert_eq!(u.entries[6].balance, "150");
    assert_eq!(pools(&s), (14 * M - 750, 750));
    // Nothing matures before the unbonding time.
    end_block(&mut s, 40, T0 + 21 * DAY - 1);
    assert_eq!(bal(&s, 2), before);
    end_block(&mut s, 41, T0 + 21 * DAY + 3);
    assert_eq!(bal(&s, 2), before + 400);
    assert_eq!(s.ubd(&addr(2), &addr(1)).unwrap().unwrap().entries.len(), 3);
    end_block(&mut s, 42, T0 + 22 * DAY);
    assert_eq!(bal(&s, 2), before + 750);
    assert!(s.ubd(&addr(2), &addr(1)).unwrap().is_none());
    assert_eq!(pools(&s), (14 * M - 750, 0));
}

#[test]
fn redelegate_rejections_and_transitive_rule() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    exec(&mut s, create_msg(2, 12, 10 * M)).unwrap();
    exec(&mut s, create_msg(3, 13, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 1, 1, 5))),
        st(ERR_SELF_REDELEGATION)
    );
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 1, 5, 5))),
        st(ERR_BAD_REDELEGATION_DST)
    );
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 5, 1, 5))),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 1, 2, 5))),
        st(ERR_NO_DELEGATION)
    );
    exec(&mut s, delegate_msg(4, 1, 1000)).unwrap();
    let (_, _) = exec_in(&mut s, &blk(11, T0 + 1), redelegate_msg(4, 1, 2, 300)).unwrap();
    assert_eq!(
        s.delegation(&addr(4), &addr(2)).unwrap().unwrap().shares,
        "300.000000000000000000"
    );
    // 1 → 2 is maturing, so 2 → 3 is transitive.
    assert_eq!(
        code(exec(&mut s, redelegate_msg(4, 2, 3, 100))),
        st(ERR_TRANSITIVE_REDELEGATION)
    );
    for h in 1..7u64 {
        exec_in(
            &mut s,
            &blk(11 + h, T0 + 1 + h as i64),
            redelegate_msg(4, 1, 2, 10),
        )
        .unwrap();
    }
    assert_eq!(
        code(exec_in(
            &mut s,
            &blk(30, T0 + 30),
            redelegate_msg(4, 1, 2, 10)
        )),
        st(ERR_MAX_REDELEGATION_ENTRIES)
    );
    // Bonded to bonded: the pools do not change.
    assert_eq!(pools(&s), (30 * M + 1000, 0));
    end_block(&mut s, 40, T0 + 21 * DAY + 100);
    assert!(s.red(&addr(4), &addr(1), &addr(2)).unwrap().is_none());
    exec(&mut s, redelegate_msg(4, 2, 3, 100)).unwrap();
}

#[test]
fn cancel_unbonding_rejections_and_return_to_the_validator() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    exec(&mut s, delegate_msg(2, 1, 1000)).unwrap();
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 10, 10))),
        st(ERR_NO_UNBONDING_DELEGATION)
    );
    exec_in(&mut s, &blk(12, T0 + 1), undelegate_msg(2, 1, 400)).unwrap();
    assert_eq!(pools(&s), (10 * M + 600, 400));
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 10, 0))),
        sd(sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 10, 11))),
        sd(crate::error::SDK_NOT_FOUND)
    );
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 401, 12))),
        sd(sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 3, 10, 12))),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    exec(&mut s, cancel_msg(2, 1, 150, 12)).unwrap();
    assert_eq!(pools(&s), (10 * M + 750, 250));
    let u = s.ubd(&addr(2), &addr(1)).unwrap().unwrap();
    assert_eq!(
        (
            u.entries[0].balance.as_str(),
            u.entries[0].initial_balance.as_str()
        ),
        ("250", "250")
    );
    exec(&mut s, cancel_msg(2, 1, 250, 12)).unwrap();
    assert!(s.ubd(&addr(2), &addr(1)).unwrap().is_none());
    assert_eq!(pools(&s), (10 * M + 1000, 0));
    // A jailed validator takes no cancellation.
    exec_in(&mut s, &blk(13, T0 + 2), undelegate_msg(2, 1, 100)).unwrap();
    s.jail(&addr(1)).unwrap();
    assert_eq!(
        code(exec(&mut s, cancel_msg(2, 1, 100, 13))),
        st(ERR_VALIDATOR_JAILED)
    );
    // Matured: already processed.
    s.unjail(&addr(1)).unwrap();
    assert_eq!(
        code(exec_in(
            &mut s,
            &blk(99, T0 + 30 * DAY),
            cancel_msg(2, 1, 100, 13)
        )),
        sd(sdk::INVALID_REQUEST)
    );
}

#[test]
fn update_params_needs_the_authority_and_valid_params() {
    let mut s = store();
    let mut p = Params::default().to_proto();
    p.max_validators = 2;
    let msg = |auth: u8, p: pb::Params| pb::MsgUpdateParams {
        authority: addr(auth).to_bech32(),
        params: Some(p),
    };
    assert_eq!(code(exec(&mut s, msg(1, p.clone()))), ("gov", 5));
    let mut bad = p.clone();
    bad.max_validators = 0;
    assert_eq!(code(exec(&mut s, msg(9, bad))), st(ERR_INVALID_PARAMS));
    let mut bad = p.clone();
    bad.min_commission_rate = "1.5".into();
    assert_eq!(code(exec(&mut s, msg(9, bad))), st(ERR_INVALID_PARAMS));
    exec(&mut s, msg(9, p)).unwrap();
    assert_eq!(s.staking_params().unwrap().max_validators, 2);
}

#[test]
fn self_delegation_below_the_minimum_jails_the_validator() {
    let mut s = store();
    let mut m = create_msg(1, 11, 10 * M);
    m.min_self_delegation = (5 * M).to_string();
    exec(&mut s, m).unwrap();
    end_block(&mut s, 10, T0);
    exec(&mut s, undelegate_msg(1, 1, 5 * M)).unwrap();
    assert!(!s.validator(&addr(1)).unwrap().unwrap().jailed);
    exec_in(&mut s, &blk(11, T0 + 1), undelegate_msg(1, 1, 1)).unwrap();
    assert!(s.validator(&addr(1)).unwrap().unwrap().jailed);
    // Out of the set at the next end_block: its power falls toward 0 by under a third of
    // the last total (10) a block; never to an empty set.
    let ups = end_block(&mut s, 12, T0 + 2);
    assert_eq!(ups, vec![(vec![11; 32], 7)]);
    for h in 13..30 {
        end_block(&mut s, h, T0 + h as i64);
    }
    assert_eq!(s.last_total_power().unwrap(), 1);
    assert_eq!(
        s.validator(&addr(1)).unwrap().unwrap().status,
        pb::BondStatus::Unbonding as i32
    );
}

/// Every status and power index entry names a stored validator (what a removal must keep).
pub(crate) fn assert_indexes_consistent(s: &MemStore) {
    use deai_framework::StateRead;
    for prefix in [
        state_key::power_prefix(),
        state_key::status_prefix(1),
        state_key::status_prefix(2),
        state_key::status_prefix(3),
    ] {
        let end = deai_framework::keys::prefix_end(&prefix);
        for (k, _) in s.scan(&prefix, end.as_deref(), false, usize::MAX).unwrap() {
            let rest = &k[prefix.len()..];
            let rest = if prefix == state_key::power_prefix() {
                &rest[8..]
            } else {
                rest
            };
            let op = state_key::read_addrs(rest, 1).unwrap().remove(0);
            assert!(
                s.validator(&op).unwrap().is_some(),
                "stale index entry for {op:?}"
            );
        }
    }
}

#[test]
fn a_validator_without_shares_is_removed_with_its_index_entries() {
    let g = serde_json::json!({"params": {
        "unbonding_time": "100s", "max_validators": 1, "max_entries": 7,
        "historical_entries": 3, "bond_denom": "udeai", "min_commission_rate": "0"}});
    let mut s = testing::try_init_all(&modules(), &genesis_with(g)).unwrap();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    exec(&mut s, create_msg(2, 12, 5 * M)).unwrap();
    exec(&mut s, create_msg(3, 13, 7 * M)).unwrap();
    end_block(&mut s, 10, T0);
    // 2 never bonded (max 1): its operator leaves entirely; it is removed at once.
    exec(&mut s, undelegate_msg(2, 2, 5 * M)).unwrap();
    assert!(s.validator(&addr(2)).unwrap().is_none());
    assert_indexes_consistent(&s);
    // 3 takes the seat, 1 starts unbonding; 1's operator leaves; it is removed when it has
    // unbonded and CometBFT no longer counts it.
    exec(&mut s, delegate_msg(5, 3, 10 * M)).unwrap();
    for h in 11..20 {
        end_block(&mut s, h, T0 + h as i64);
    }
    assert_eq!(s.last_power(&addr(1)).unwrap(), 0);
    exec_in(&mut s, &blk(20, T0 + 20), undelegate_msg(1, 1, 10 * M)).unwrap();
    assert!(s.validator(&addr(1)).unwrap().is_some());
    end_block(&mut s, 21, T0 + 500);
    assert!(s.validator(&addr(1)).unwrap().is_none());
    assert_indexes_consistent(&s);
    let r: pb::QueryValidatorsResponse = q(
        &s,
        "Validators",
        pb::QueryValidatorsRequest {
            status: "BOND_STATUS_UNBONDED".into(),
            pagination: None,
        },
    )
    .unwrap();
    assert!(r.validators.is_empty());
    // The consensus key is free again.
    exec_in(&mut s, &blk(22, T0 + 501), create_msg(4, 11, 2 * M)).unwrap();
    end_block(&mut s, 22, T0 + 502);
    assert_indexes_consistent(&s);
}

// ---- the validator set -------------------------------------------------------------------------

#[test]
fn the_set_is_the_top_max_validators_with_ties_by_operator_bytes() {
    let g = serde_json::json!({"params": {
        "unbonding_time": "100s", "max_validators": 2, "max_entries": 7,
        "historical_entries": 3, "bond_denom": "udeai", "min_commission_rate": "0.000000000000000000"}});
    let mut s = testing::try_init_all(&modules(), &genesis_with(g)).unwrap();
    exec(&mut s, create_msg(3, 13, 10 * M)).unwrap();
    exec(&mut s, create_msg(2, 12, 10 * M)).unwrap();
    exec(&mut s, create_msg(1, 11, 5 * M)).unwrap();
    let ups = end_block(&mut s, 10, T0);
    // 2 and 3 tie at 10; both beat 1.
    assert_eq!(ups, vec![(vec![12; 32], 10), (vec![13; 32], 10)]);
    exec(&mut s, delegate_msg(5, 1, 5 * M)).unwrap();
    // Now all three tie at 10: the two smallest operators (1, 2) win; 3 leaves. The change
    // (+10 for 1, -10 for 3) is over the budget of a last total of 20 (6, as 3·6 < 20), so it
    // is clamped, the leaving validator served first.
    let ups = end_block(&mut s, 11, T0 + 1);
    assert_eq!(ups, vec![(vec![13; 32], 4)]);
    assert_eq!(
        s.validator(&addr(3)).unwrap().unwrap().status,
        pb::BondStatus::Unbonding as i32
    );
    assert_eq!(
        s.validator(&addr(1)).unwrap().unwrap().status,
        pb::BondStatus::Bonded as i32
    );
    assert_eq!(pools(&s), (20 * M, 10 * M));
    // The clamp spreads the rest over the next blocks, each under a third of the last total.
    let mut last: std::collections::BTreeMap<Vec<u8>, i64> =
        [(vec![12; 32], 10), (vec![13; 32], 4)].into();
    for h in 12..20 {
        let total: i64 = last.values().sum();
        let ups = end_block(&mut s, h, T0 + h as i64);
        let moved: i64 = ups
            .iter()
            .map(|(k, p)| (p - last.get(k).copied().unwrap_or(0)).abs())
            .sum();
        assert!(3 * moved < total || moved <= 1, "moved {moved} of {total}");
        for (k, p) in ups {
            last.insert(k, p);
        }
    }
    assert_eq!(last[&vec![11; 32]], 10);
    assert_eq!(last[&vec![12; 32]], 10);
    assert_eq!(last[&vec![13; 32]], 0);
    // History keeps the last 3 heights.
    for h in 17..=19 {
        assert_eq!(
            s.historical_info(h)
                .unwrap()
                .unwrap()
                .header
                .unwrap()
                .height,
            h as i64
        );
    }
    assert!(s.historical_info(16).unwrap().is_none());
    assert_eq!(s.historical_info(19).unwrap().unwrap().valset.len(), 2);
    // The unbonding validator matures after 100 s.
    end_block(&mut s, 30, T0 + 200);
    assert_eq!(
        s.validator(&addr(3)).unwrap().unwrap().status,
        pb::BondStatus::Unbonded as i32
    );
    assert!(s.historical_info(19).unwrap().is_none());
}

#[test]
fn clamp_keeps_each_block_under_a_third() {
    let a = |b: u8| addr(b);
    // Nothing bonded yet: the first set goes through whole.
    assert_eq!(
        clamp_updates(0, &[(a(1), 0, 100), (a(2), 0, 50)]),
        vec![(a(1), 100), (a(2), 50)]
    );
    // Total 30: budget 9.
    assert_eq!(
        clamp_updates(30, &[(a(1), 10, 30), (a(2), 10, 10)]),
        vec![(a(1), 19)]
    );
    assert_eq!(
        clamp_updates(30, &[(a(1), 10, 14), (a(2), 10, 0)]),
        vec![(a(1), 14), (a(2), 5)]
    );
    // Total 31: budget 10 (3·10 < 31).
    assert_eq!(
        clamp_updates(31, &[(a(1), 31, 0), (a(2), 0, 50)]),
        vec![(a(1), 21)]
    );
    // Tiny totals move one unit.
    assert_eq!(clamp_updates(2, &[(a(1), 2, 10)]), vec![(a(1), 3)]);
    // Never to an empty set.
    assert_eq!(clamp_updates(1, &[(a(1), 1, 0)]), vec![]);
}

#[test]
fn a_joining_validator_converges_geometrically() {
    let mut s = store();
    for i in 1..=4u8 {
        exec(&mut s, create_msg(i, 10 + i, 10 * M)).unwrap();
    }
    assert_eq!(end_block(&mut s, 10, T0).len(), 4);
    exec(&mut s, create_msg(5, 15, 1000 * M)).unwrap();
    let mut blocks = 0;
    let mut total = 40i64;
    loop {
        let ups = end_block(&mut s, 11 + blocks, T0 + blocks as i64);
        if ups.is_empty() {
            break;
        }
        assert_eq!(ups.len(), 1);
        let new_total = s.last_total_power().unwrap();
        assert!(3 * (new_total - total) < total, "{total} -> {new_total}");
        total = new_total;
        blocks += 1;
        assert!(blocks < 40);
    }
    assert_eq!(s.last_power(&addr(5)).unwrap(), 1000);
    assert_eq!(total, 1040);
}

// ---- queries and genesis ----------------------------------------------------------------------

fn q<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    method: &str,
    r: Req,
) -> Result<Res, TxError> {
    testing::query(
        &StakingModule,
        s,
        &format!("/cosmos.staking.v1beta1.Query/{method}"),
        r,
    )
}

#[test]
fn queries_answer_at_the_sdk_paths() {
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    exec(&mut s, create_msg(2, 12, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    exec(&mut s, create_msg(3, 13, 1)).unwrap();
    exec(&mut s, delegate_msg(4, 1, 77)).unwrap();
    exec_in(&mut s, &blk(11, T0 + 1), undelegate_msg(4, 1, 7)).unwrap();
    let r: pb::QueryValidatorsResponse = q(
        &s,
        "Validators",
        pb::QueryValidatorsRequest {
            status: "BOND_STATUS_BONDED".into(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.validators.len(), 2);
    let r: pb::QueryValidatorsResponse = q(
        &s,
        "Validators",
        pb::QueryValidatorsRequest {
            status: String::new(),
            pagination: Some(
                cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                    limit: 2,
                    count_total: true,
                    ..Default::default()
                },
            ),
        },
    )
    .unwrap();
    assert_eq!((r.validators.len(), r.pagination.unwrap().total), (2, 3));
    assert!(q::<_, pb::QueryValidatorsResponse>(
        &s,
        "Validators",
        pb::QueryValidatorsRequest {
            status: "nope".into(),
            pagination: None
        }
    )
    .is_err());
    let r: pb::QueryValidatorResponse = q(
        &s,
        "Validator",
        pb::QueryValidatorRequest {
            validator_addr: val(3),
        },
    )
    .unwrap();
    assert_eq!(r.validator.unwrap().tokens, "1");
    assert_eq!(
        code(q::<_, pb::QueryValidatorResponse>(
            &s,
            "Validator",
            pb::QueryValidatorRequest {
                validator_addr: val(6)
            }
        )),
        st(ERR_NO_VALIDATOR_FOUND)
    );
    let r: pb::QueryValidatorDelegationsResponse = q(
        &s,
        "ValidatorDelegations",
        pb::QueryValidatorDelegationsRequest {
            validator_addr: val(1),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.delegation_responses.len(), 2);
    let r: pb::QueryDelegationResponse = q(
        &s,
        "Delegation",
        pb::QueryDelegationRequest {
            delegator_addr: addr(4).to_bech32(),
            validator_addr: val(1),
        },
    )
    .unwrap();
    assert_eq!(
        r.delegation_response.unwrap().balance.unwrap(),
        coin(70, "udeai")
    );
    let r: pb::QueryDelegatorDelegationsResponse = q(
        &s,
        "DelegatorDelegations",
        pb::QueryDelegatorDelegationsRequest {
            delegator_addr: addr(4).to_bech32(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.delegation_responses.len(), 1);
    let r: pb::QueryUnbondingDelegationResponse = q(
        &s,
        "UnbondingDelegation",
        pb::QueryUnbondingDelegationRequest {
            delegator_addr: addr(4).to_bech32(),
            validator_addr: val(1),
        },
    )
    .unwrap();
    assert_eq!(r.unbond.unwrap().entries[0].balance, "7");
    let r: pb::QueryDelegatorUnbondingDelegationsResponse = q(
        &s,
        "DelegatorUnbondingDelegations",
        pb::QueryDelegatorUnbondingDelegationsRequest {
            delegator_addr: addr(4).to_bech32(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.unbonding_responses.len(), 1);
    let r: pb::QueryDelegatorValidatorsResponse = q(
        &s,
        "DelegatorValidators",
        pb::QueryDelegatorValidatorsRequest {
            delegator_addr: addr(4).to_bech32(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.validators[0].operator_address, val(1));
    assert_eq!(
        code(q::<_, pb::QueryDelegatorValidatorResponse>(
            &s,
            "DelegatorValidator",
            pb::QueryDelegatorValidatorRequest {
                delegator_addr: addr(4).to_bech32(),
                validator_addr: val(2)
            }
        )),
        st(ERR_NO_DELEGATION)
    );
    assert_eq!(
        code(q::<_, pb::QueryRedelegationsResponse>(
            &s,
            "Redelegations",
            pb::QueryRedelegationsRequest {
                delegator_addr: addr(4).to_bech32(),
                src_validator_addr: val(1),
                dst_validator_addr: val(2),
                pagination: None
            }
        )),
        st(ERR_NO_REDELEGATION)
    );
    let r: pb::QueryPoolResponse = q(&s, "Pool", pb::QueryPoolRequest {}).unwrap();
    let p = r.pool.unwrap();
    assert_eq!(
        (p.bonded_tokens.as_str(), p.not_bonded_tokens.as_str()),
        ("20000070", "8")
    );
    let r: pb::QueryParamsResponse = q(&s, "Params", pb::QueryParamsRequest {}).unwrap();
    assert_eq!(r.params.unwrap().unbonding_time.unwrap().seconds, 1_814_400);
    let r: pb::QueryHistoricalInfoResponse = q(
        &s,
        "HistoricalInfo",
        pb::QueryHistoricalInfoRequest { height: 10 },
    )
    .unwrap();
    assert_eq!(r.hist.unwrap().valset.len(), 2);
    assert_eq!(
        code(q::<_, pb::QueryHistoricalInfoResponse>(
            &s,
            "HistoricalInfo",
            pb::QueryHistoricalInfoRequest { height: 9 }
        )),
        st(ERR_NO_HISTORICAL_INFO)
    );
}

#[test]
fn genesis_export_import_export_is_exact() {
    let mut s = store();
    for i in 1..=3u8 {
        exec(&mut s, create_msg(i, 10 + i, (10 + i as u128) * M)).unwrap();
    }
    end_block(&mut s, 10, T0);
    exec(&mut s, delegate_msg(5, 1, 1234)).unwrap();
    exec_in(&mut s, &blk(11, T0 + 1), undelegate_msg(5, 1, 34)).unwrap();
    exec_in(&mut s, &blk(11, T0 + 1), redelegate_msg(5, 1, 2, 200)).unwrap();
    s.jail(&addr(3)).unwrap();
    end_block(&mut s, 12, T0 + 2);
    let exported = testing::export_all(&modules(), &s);
    let st_json = &exported[MODULE_NAME];
    assert_eq!(st_json["params"]["unbonding_time"], "1814400s");
    assert_eq!(
        st_json["validators"][0]["consensus_pubkey"]["@type"],
        "/cosmos.crypto.ed25519.PubKey"
    );
    assert_eq!(st_json["validators"][2]["status"], "BOND_STATUS_UNBONDING");
    assert_eq!(st_json["exported"], true);
    let s2 = testing::try_init_all(&modules(), &exported).unwrap();
    assert_eq!(testing::export_all(&modules(), &s2), exported);
    // The set CometBFT starts with is the exported last powers.
    let mut want = s.last_powers(10).unwrap();
    want.sort();
    assert_eq!(
        genesis_validator_updates(&s2).unwrap(),
        want.iter()
            .map(|(op, p)| (
                crate::keeper::consensus_key(&s.validator(op).unwrap().unwrap()).unwrap(),
                *p
            ))
            .collect::<Vec<_>>()
    );
    assert_eq!(genesis_validator_updates(&s2).unwrap().len(), 3);
    // A pool that does not match is refused.
    let mut bad = exported.clone();
    bad[MODULE_NAME]["validators"][0]["tokens"] = serde_json::json!("1");
    assert!(testing::try_init_all(&modules(), &bad).is_err());
    let mut bad = exported.clone();
    bad[MODULE_NAME]["last_total_power"] = serde_json::json!("1");
    assert_eq!(
        code(testing::try_init_all(&modules(), &bad)),
        st(ERR_INVALID_GENESIS)
    );
}

#[test]
fn an_empty_genesis_exports_the_defaults() {
    let s = store();
    let e = testing::export_all(&modules(), &s);
    assert_eq!(e[MODULE_NAME]["params"]["max_validators"], 100);
    assert_eq!(e[MODULE_NAME]["params"]["bond_denom"], "udeai");
    assert_eq!(
        e[MODULE_NAME]["params"]["min_commission_rate"],
        "0.000000000000000000"
    );
    let _: Address = addr(1);
}

#[test]
fn matured_tokens_reach_a_module_account_delegator() {
    use deai_auth::AuthWrite;
    use deai_bank::BankWrite;
    let mut s = store();
    exec(&mut s, create_msg(1, 11, 10 * M)).unwrap();
    end_block(&mut s, 10, T0);
    // The gov module's account delegating (as a future proposal could make it).
    let gov = deai_framework::authority::default_authority();
    s.ensure_module_account("gov").unwrap();
    s.add_coins(&gov, &deai_framework::Coins::parse("500udeai").unwrap())
        .unwrap();
    let del = |m: &mut pb::MsgDelegate| m.delegator_address = gov.to_bech32();
    let mut m = delegate_msg(0, 1, 500);
    del(&mut m);
    exec(&mut s, m).unwrap();
    let mut u = undelegate_msg(0, 1, 500);
    u.delegator_address = gov.to_bech32();
    exec(&mut s, u).unwrap();
    end_block(&mut s, 11, T0 + 22 * DAY);
    assert_eq!(s.balance(&gov, "udeai").unwrap(), 500);
}
