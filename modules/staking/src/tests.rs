//! Unit tests: every message's rejections by code, the exchange rate, end_block (set, status
//! transitions, updates and their clamp, maturity, history), queries and genesis.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use prost::Name;

use deai_bank::BankRead;
use deai_framework::context::BlockInfo;
use deai_framework::{sdk, Event, MemStore, Module, TxError};

use crate::address::val_to_bech32;
use crate::keeper::{pubkey_any, StakingRead};
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
        Box::new(StakingModule::default()),
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
    testing::exec(&StakingModule::default(), s, b, 100_000_000, p).map(|(r, e, _)| (r, e))
}

pub(crate) fn exec<P: prost::Message + Name>(
    s: &mut MemStore,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_in(s, &blk(10, T0), p).map(|(_, e)| e)
}

/// end_block at (height, time); returns the validator updates it stored.
pub(crate) fn end_block(s: &mut MemStore, height: u64, time: i64) -> Vec<(Vec<u8>, i64)> {
    testing::end_block(&StakingModule::default(), s, &blk(height, time));
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

pub(crate) fn st(code: u32) -> (&'static str, u32) {
    (MODULE_NAME, code)
}

pub(crate) fn sd(code: u32) -> (&'static str, u32) {
    (sdk::CODESPACE, code)
}

pub(crate) const M: u128 = 1_000_000;

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
    // The SDK's wire form (units, as cosmjs and Keplr send it) is accepted too.
    let mut m = create_msg(2, 12, 10 * M);
    m.commission = Some(rates(
        "100000000000000000",
        "200000000000000000",
        "10000000000000000",
    ));
    exec(&mut s, m).unwrap();
    let v = s.validator(&addr(2)).unwrap().unwrap();
    let r = v.commission.unwrap().commission_rates.unwrap();
    assert_eq!(r.rate, "0.100000000000000000");
    exec_in(
        &mut s,
        &blk(21, T0 + 2 * DAY),
        edit(2, "90000000000000000", ""),
    )
    .unwrap();
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

pub(crate) fn q<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    method: &str,
    r: Req,
) -> Result<Res, TxError> {
    testing::query(
        &StakingModule::default(),
        s,
        &format!("/cosmos.staking.v1beta1.Query/{method}"),
        r,
    )
}
