//! Test helpers (a store with auth, bank and data, messages run as the app runs them), and
//! the tests of params and genesis.

use deai_framework::{Event, MemStore, Module, TxError};
use deai_proto::data::v1 as pb;
use prost::Name;

use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code};

pub(crate) const USERS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
pub(crate) const FUNDS: u128 = 1_000_000_000;
pub(crate) const AUTHORITY: u8 = 9;

pub(crate) fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(DataModule),
    ]
}

pub(crate) fn store() -> MemStore {
    testing::try_init_all(
        &modules(),
        &testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, AUTHORITY),
    )
    .unwrap()
}

/// Runs a message at block `height` the way the app does: on an overlay applied only on
/// success.
pub(crate) fn exec_at<P: prost::Message + Name>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    testing::exec(&DataModule, s, &testing::block(height), 10_000_000, p)
        .map(|(_, events, _)| events)
}

pub(crate) fn query<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    path: &str,
    req: Req,
) -> Result<Res, TxError> {
    testing::query(&DataModule, s, path, req)
}

/// The decoded response of a message.
pub(crate) fn exec_resp<P: prost::Message + Name, R: prost::Message + Default>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<R, TxError> {
    let (any, _, _) = testing::exec(&DataModule, s, &testing::block(height), 10_000_000, p)?;
    Ok(R::decode(any.value.as_slice()).unwrap())
}

pub(crate) fn coin(amount: u128) -> cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
    testing::proto_coin(amount, "udeai")
}

pub(crate) fn balance(s: &MemStore, who: u8, denom: &str) -> u128 {
    use deai_bank::BankRead;
    s.balance(&addr(who), denom).unwrap()
}

/// The module account holds exactly Σ deposits + Σ pool balances + Σ contribution stakes +
/// Σ validator bonds; and genesis round-trips through a fresh store.
pub(crate) fn assert_reconciles(s: &MemStore) {
    use deai_bank::BankRead;
    let exported = DataModule.export_genesis(s).unwrap();
    let g = import_proto(&exported).unwrap();
    let coins: Vec<_> = g
        .datasets
        .iter()
        .filter_map(|d| d.deposit.clone())
        .chain(g.pools.iter().filter_map(|p| p.balance.clone()))
        .chain(
            g.contributions
                .iter()
                .filter(|c| !c.settled)
                .filter_map(|c| c.stake.clone()),
        )
        .chain(g.pool_validators.iter().filter_map(|v| v.stake.clone()))
        .collect();
    testing::assert_holds(coins, |denom| {
        s.module_balance(MODULE_ACCOUNT, denom).unwrap()
    });
    let app = testing::export_all(&modules(), s);
    let s2 = testing::try_init_all(&modules(), &app).unwrap();
    assert_eq!(testing::export_all(&modules(), &s2), app);
}

pub(crate) fn data(c: u32) -> (&'static str, u32) {
    ("data", c)
}

fn params_with(f: impl FnOnce(&mut pb::Params)) -> pb::Params {
    let mut p = Params::default().to_proto();
    f(&mut p);
    p
}

#[test]
fn default_params_round_trip() {
    let p = Params::default();
    assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
    assert_eq!(p.bond_denom(), "udeai");
}

#[test]
fn params_reject_shares_summing_to_one() {
    // 0.25 + 0.25 + 0.25 + 0.25 = 1: the publisher would get nothing.
    let quarter = "0.250000000000000000".to_string();
    let p = params_with(|p| {
        p.provider_fee = quarter.clone();
        p.publish_market_fee = quarter.clone();
        p.max_consume_market_fee = quarter.clone();
        p.take_rate = quarter.clone();
    });
    let e = Params::from_proto(&p).unwrap_err();
    assert_eq!(e.code(), ERR_INVALID_PARAMS);
    let p = params_with(|p| p.take_rate = "0.249999999999999999".into());
    let p = params_with(|q| {
        *q = p.clone();
        q.provider_fee = quarter.clone();
        q.publish_market_fee = quarter.clone();
        q.max_consume_market_fee = quarter.clone();
    });
    assert!(Params::from_proto(&p).is_ok());
}

#[test]
fn params_reject_out_of_range() {
    let cases: Vec<pb::Params> = vec![
        params_with(|p| p.provider_fee = "1.1".into()),
        params_with(|p| p.take_rate = "x".into()),
        params_with(|p| p.publisher_deposit = None),
        params_with(|p| p.publish_market = "nope".into()),
        params_with(|p| p.grant_blocks = 0),
        params_with(|p| p.delivery_window = 0),
        // A grant must outlive its delivery window (a key after expiry would stop the refund).
        params_with(|p| {
            p.grant_blocks = 50;
            p.delivery_window = 50;
        }),
        params_with(|p| p.max_buy_count = 0),
        params_with(|p| p.max_pool_validators = MAX_POOL_VALIDATORS_CAP + 1),
        params_with(|p| p.max_contributions_per_epoch = 0),
        params_with(|p| p.max_score_deviation_u16 = MAX_SCORE + 1),
        params_with(|p| p.max_metadata_bytes = MAX_METADATA_BYTES_CAP + 1),
    ];
    for p in cases {
        assert_eq!(
            Params::from_proto(&p).unwrap_err().code(),
            ERR_INVALID_PARAMS,
            "{p:?}"
        );
    }
    let market = addr(7).to_bech32();
    let p = params_with(|p| p.publish_market = market.clone());
    assert_eq!(
        Params::from_proto(&p).unwrap().publish_market,
        Some(addr(7))
    );
}

#[test]
fn update_params_by_authority_only() {
    let mut s = store();
    let new = params_with(|p| p.dispenser_cap = 5);
    let msg = |who: u8, params: pb::Params| pb::MsgUpdateParams {
        authority: addr(who).to_bech32(),
        params: Some(params),
    };
    assert!(exec_at(&mut s, 1, msg(1, new.clone())).is_err());
    let bad_denom = params_with(|p| p.publisher_deposit = Some(testing::proto_coin(1, "uatom")));
    assert_eq!(
        code(exec_at(&mut s, 1, msg(AUTHORITY, bad_denom))),
        data(ERR_INVALID_PARAMS)
    );
    exec_at(&mut s, 1, msg(AUTHORITY, new.clone())).unwrap();
    let r: pb::QueryParamsResponse =
        query(&s, "/deai.data.v1.Query/Params", pb::QueryParamsRequest {}).unwrap();
    assert_eq!(r.params, Some(new));
    assert_eq!(r.authority, addr(AUTHORITY).to_bech32());
}

#[test]
fn genesis_round_trips_and_creates_the_module_account() {
    let s = store();
    let exported = DataModule.export_genesis(&s).unwrap();
    let mut app = testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, AUTHORITY);
    app[MODULE_NAME] = exported.clone();
    let s2 = testing::try_init_all(&modules(), &app).unwrap();
    assert_eq!(DataModule.export_genesis(&s2).unwrap(), exported);
    use deai_auth::AuthRead;
    let acct = s2.module_account(MODULE_ACCOUNT).unwrap().unwrap();
    let info = acct.module.unwrap();
    assert!(info.has_permission(deai_auth::MINTER) && info.has_permission(deai_auth::BURNER));
}

#[test]
fn genesis_rejects_bad_params() {
    let mut app = testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, AUTHORITY);
    app[MODULE_NAME]["params"] = serde_json::to_value(
        export_proto(&pb::GenesisState {
            params: Some(params_with(|p| p.take_rate = "0.99".into())),
            ..Default::default()
        })
        .unwrap()["params"]
            .clone(),
    )
    .unwrap();
    let e = testing::try_init_all(&modules(), &app).unwrap_err();
    assert_eq!((e.codespace, e.code), data(ERR_INVALID_PARAMS));
}

#[test]
fn genesis_round_trips_every_record_kind_and_checks_the_module_account() {
    use crate::tests_datasets::publish;
    let mut s = store();
    let id = publish(&mut s, 100, pb::Access::Encrypted);
    let buy = pb::MsgBuyAccess {
        buyer: addr(3).to_bech32(),
        dataset_id: id,
        count: 2,
        max_price: Some(coin(100)),
        ..Default::default()
    };
    exec_at(&mut s, 2, buy).unwrap();
    let redeem = pb::MsgRedeemAccess {
        grantee: addr(3).to_bech32(),
        dataset_id: id,
    };
    exec_at(&mut s, 2, redeem).unwrap();
    let pool = pb::MsgCreatePool {
        owner: addr(8).to_bech32(),
        schema: "{}".into(),
        reward_per_epoch: Some(coin(10)),
        epoch_length: 50,
        min_contributor_stake: Some(coin(5)),
        score_threshold_u16: 1,
        validators: vec![addr(5).to_bech32()],
        funds: Some(coin(1_000)),
    };
    exec_at(&mut s, 2, pool).unwrap();
    let bond = pb::MsgBondPoolValidator {
        validator: addr(5).to_bech32(),
        pool_id: 1,
        stake: Some(coin(70)),
    };
    exec_at(&mut s, 2, bond).unwrap();
    let contribute = pb::MsgContribute {
        contributor: addr(4).to_bech32(),
        pool_id: 1,
        content_sha256: vec![3; 32],
        uri: "ipfs://a".into(),
        stake: Some(coin(5)),
    };
    exec_at(&mut s, 2, contribute).unwrap();
    let score = pb::MsgScoreContribution {
        validator: addr(5).to_bech32(),
        contribution_id: 1,
        score_u16: 10,
    };
    exec_at(&mut s, 2, score).unwrap();
    assert_reconciles(&s);

    let app = testing::export_all(&modules(), &s);
    let g = import_proto(&app[MODULE_NAME]).unwrap();
    assert_eq!(
        (
            g.datasets.len(),
            g.grants.len(),
            g.pools.len(),
            g.pool_validators.len(),
            g.contributions.len(),
            g.scores.len()
        ),
        (1, 1, 1, 1, 1, 1)
    );
    // The restored chain settles the epoch and refunds the missed key as the original does.
    let mut s2 = testing::try_init_all(&modules(), &app).unwrap();
    for st in [&mut s, &mut s2] {
        for h in 3..=102 {
            testing::end_block(&DataModule, st, &testing::block(h));
        }
    }
    assert_eq!(
        testing::export_all(&modules(), &s2),
        testing::export_all(&modules(), &s)
    );
    assert!(s2.get_grant(1).unwrap().unwrap().refunded);
    assert!(s2.get_contribution(1).unwrap().unwrap().settled);

    // A record the module account does not hold, or a duplicate content hash, is refused.
    let mut bad = app.clone();
    bad[MODULE_NAME]["pools"][0]["balance"]["amount"] = "1001".into();
    let e = testing::try_init_all(&modules(), &bad).unwrap_err();
    assert_eq!((e.codespace, e.code), data(ERR_INVALID_GENESIS));
    let mut dup = app.clone();
    let mut c = dup[MODULE_NAME]["contributions"][0].clone();
    c["id"] = "2".into();
    dup[MODULE_NAME]["contributions"]
        .as_array_mut()
        .unwrap()
        .push(c);
    dup[MODULE_NAME]["next_contribution_id"] = "3".into();
    let e = testing::try_init_all(&modules(), &dup).unwrap_err();
    assert_eq!((e.codespace, e.code), data(ERR_INVALID_GENESIS));
    let mut spent = app.clone();
    spent[MODULE_NAME]["datasets"][0]["deposit"] =
        serde_json::json!({"denom": "uatom", "amount": "0"});
    let e = testing::try_init_all(&modules(), &spent).unwrap_err();
    assert_eq!((e.codespace, e.code), data(ERR_INVALID_GENESIS));
}
