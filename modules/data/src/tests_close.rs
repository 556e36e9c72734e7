//! MsgClosePool: the last epoch settles, then the balance and the bonds are paid back.

use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::{Event, MemStore};
use deai_proto::data::v1 as pb;

use crate::tests::*;
use crate::tests_pools::*;
use crate::*;

fn close_msg(who: u8, pool: u64) -> pb::MsgClosePool {
    pb::MsgClosePool {
        owner: addr(who).to_bech32(),
        pool_id: pool,
    }
}

fn has(events: &[Event], kind: &str) -> bool {
    events
        .iter()
        .any(|e| e.kind == format!("deai.data.v1.{kind}"))
}

/// Every bond-denom coin of users, the module account and the community pool.
fn total(s: &MemStore) -> u128 {
    let users: u128 = (1..=9u8).map(|u| balance(s, u, "udeai")).sum();
    users
        + s.module_balance(MODULE_ACCOUNT, "udeai").unwrap()
        + s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

fn status(s: &MemStore, pool: u64) -> pb::PoolStatus {
    pb::PoolStatus::try_from(s.get_pool(pool).unwrap().unwrap().status).unwrap()
}

#[test]
fn closing_mid_epoch_settles_the_epoch_then_refunds_balance_and_bonds() {
    let mut s = store();
    let all = total(&s);
    let pool = create(&mut s, 1); // epoch 0: heights 1..=10
    exec_at(&mut s, 2, bond_msg(V1, pool, 1_000)).unwrap();
    exec_at(&mut s, 2, bond_msg(V2, pool, 3_000)).unwrap();
    let good = contribute(&mut s, 3, 1, pool, 11);
    let garbage = contribute(&mut s, 3, 3, pool, 13);
    for (v, c, sc) in [
        (V1, good, 40_000),
        (V2, good, 40_000),
        (V1, garbage, 60_000),
    ] {
        exec_at(&mut s, 4, score_msg(v, c, sc)).unwrap();
    }

    assert_eq!(
        code(exec_at(&mut s, 4, close_msg(1, pool))),
        data(ERR_UNAUTHORIZED)
    );
    assert_eq!(
        code(exec_at(&mut s, 4, close_msg(OWNER, 99))),
        data(ERR_POOL_NOT_FOUND)
    );
    let r: pb::MsgClosePoolResponse = exec_resp(&mut s, 4, close_msg(OWNER, pool)).unwrap();
    assert_eq!(r.settles_at_height, EPOCH);
    assert_eq!(status(&s, pool), pb::PoolStatus::Closing);
    // Closed to new contributions, bonds and closes at once ...
    for m in [
        code(exec_at(&mut s, 5, contribute_msg(2, pool, 12))),
        code(exec_at(&mut s, 5, bond_msg(V1, pool, 10))),
        code(exec_at(&mut s, 5, close_msg(OWNER, pool))),
    ] {
        assert_eq!(m, data(ERR_POOL_CLOSED));
    }
    // ... but the epoch's scores still count until its end.
    exec_at(&mut s, 5, score_msg(V2, garbage, 1_000)).unwrap();
    assert_reconciles(&s);

    let p = Params::default();
    let c_slash = p.contribution_slash_fraction.mul_floor(MIN).unwrap();
    let v_slash = p.validator_slash_fraction.mul_floor(1_000).unwrap();
    assert!(c_slash > 0 && v_slash > 0);
    let before = [OWNER, V1, V2, 1, 3].map(|u| balance(&s, u, "udeai"));
    assert!(testing::end_block(&DataModule, &mut s, &testing::block(EPOCH - 1)).is_empty());
    let events = testing::end_block(&DataModule, &mut s, &testing::block(EPOCH));
    assert!(has(&events, "EventPoolEpochSettled") && has(&events, "EventPoolClosed"));
    let after = [OWNER, V1, V2, 1, 3].map(|u| balance(&s, u, "udeai"));
    let refund = FUNDS_IN - REWARD + c_slash + v_slash;
    assert_eq!(
        after,
        [
            before[0] + refund,
            before[1] + 1_000 - v_slash, // V1 vouched for garbage
            before[2] + 3_000,
            before[3] + MIN + REWARD,
            before[4] + MIN - c_slash,
        ]
    );
    let closed = s.get_pool(pool).unwrap().unwrap();
    assert_eq!(status(&s, pool), pb::PoolStatus::Closed);
    assert_eq!((closed.closed_at, closed.epoch), (EPOCH, 0));
    assert_eq!(closed.balance, Some(coin(0)));
    assert_eq!(s.module_balance(MODULE_ACCOUNT, "udeai").unwrap(), 0);
    assert_eq!(total(&s), all);
    assert_reconciles(&s);

    // Its records stay queryable: the pool, its (now empty) bonds, its contributions.
    let q: pb::QueryPoolResponse = query(
        &s,
        "/deai.data.v1.Query/Pool",
        pb::QueryPoolRequest { id: pool },
    )
    .unwrap();
    assert_eq!(q.pool, Some(closed.clone()));
    assert_eq!(q.validators.len(), 2);
    assert!(q.validators.iter().all(|v| v.stake == Some(coin(0))));
    let q: pb::QueryContributionsResponse = query(
        &s,
        "/deai.data.v1.Query/Contributions",
        pb::QueryContributionsRequest {
            pool_id: pool,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(q.contributions.len(), 2);
    assert!(q.contributions.iter().all(|c| c.settled));

    // Settled no more; still closed to everything.
    assert!(testing::end_block(&DataModule, &mut s, &testing::block(2 * EPOCH)).is_empty());
    assert_eq!(s.get_pool(pool).unwrap().unwrap(), closed);
    assert_eq!(
        code(exec_at(&mut s, 21, contribute_msg(2, pool, 12))),
        data(ERR_POOL_CLOSED)
    );
    assert_eq!(
        code(exec_at(&mut s, 21, close_msg(OWNER, pool))),
        data(ERR_POOL_CLOSED)
    );
    // Its validators' bonds went back: they cannot score any more.
    assert_eq!(
        code(exec_at(&mut s, 21, score_msg(V2, good, 1))),
        data(ERR_NOT_BONDED)
    );
    assert_eq!(total(&s), all);
}

#[test]
fn an_empty_pool_keeps_running_until_its_owner_closes_it() {
    let mut s = store();
    let pool = create(&mut s, 1);
    exec_at(&mut s, 2, bond_msg(V1, pool, 500)).unwrap();
    // Five epochs of full rewards drain the balance; nobody closes it.
    for e in 0..5u64 {
        let c = contribute(&mut s, e * EPOCH + 2, 1, pool, 20 + e as u8);
        exec_at(&mut s, e * EPOCH + 3, score_msg(V1, c, 60_000)).unwrap();
        testing::end_block(&DataModule, &mut s, &testing::block((e + 1) * EPOCH));
    }
    assert_eq!(pool_balance(&s, pool), 0);
    assert_eq!(status(&s, pool), pb::PoolStatus::Open);
    // It still takes data: accepted contributions get their stake back, no reward.
    let before = balance(&s, 2, "udeai");
    let c = contribute(&mut s, 52, 2, pool, 40);
    exec_at(&mut s, 53, score_msg(V1, c, 60_000)).unwrap();
    testing::end_block(&DataModule, &mut s, &testing::block(60));
    assert_eq!(balance(&s, 2, "udeai"), before);
    // Closing an empty pool (no contribution in its epoch) returns the bond alone.
    let v1 = balance(&s, V1, "udeai");
    exec_at(&mut s, 61, close_msg(OWNER, pool)).unwrap();
    let events = testing::end_block(&DataModule, &mut s, &testing::block(70));
    assert!(has(&events, "EventPoolClosed"));
    assert_eq!(balance(&s, V1, "udeai"), v1 + 500);
    assert_eq!(s.module_balance(MODULE_ACCOUNT, "udeai").unwrap(), 0);
    assert_reconciles(&s);
}

#[test]
fn genesis_round_trips_closing_and_closed_pools() {
    let mut s = store();
    let closed = create(&mut s, 1);
    let closing = create(&mut s, 1);
    let open = create(&mut s, 1);
    for p in [closed, closing, open] {
        exec_at(&mut s, 2, bond_msg(V1, p, 100)).unwrap();
    }
    exec_at(&mut s, 2, close_msg(OWNER, closed)).unwrap();
    testing::end_block(&DataModule, &mut s, &testing::block(EPOCH));
    let c = contribute(&mut s, 12, 1, closing, 1);
    exec_at(&mut s, 12, score_msg(V1, c, 50_000)).unwrap();
    exec_at(&mut s, 13, close_msg(OWNER, closing)).unwrap();
    assert_eq!(status(&s, closed), pb::PoolStatus::Closed);
    assert_eq!(status(&s, closing), pb::PoolStatus::Closing);
    assert_reconciles(&s);

    // The restored chain closes the closing pool, and settles the open one, as this one does.
    let app = testing::export_all(&modules(), &s);
    let mut s2 = testing::try_init_all(&modules(), &app).unwrap();
    for st in [&mut s, &mut s2] {
        let events = testing::end_block(&DataModule, st, &testing::block(2 * EPOCH));
        assert!(has(&events, "EventPoolClosed"));
        assert_eq!(status(st, closing), pb::PoolStatus::Closed);
        assert_eq!(status(st, open), pb::PoolStatus::Open);
    }
    assert_eq!(
        testing::export_all(&modules(), &s2),
        testing::export_all(&modules(), &s)
    );
    assert_reconciles(&s2);

    // A closed pool holds nothing: a balance, a bond or an unsettled contribution is refused;
    // so is a closed pool without its closing height, or an unknown status.
    let i = (closed - 1) as usize;
    let pools = |g: &mut serde_json::Value| g[MODULE_NAME]["pools"][i].clone();
    let mut cases = Vec::new();
    let mut g = app.clone();
    let mut p = pools(&mut g);
    p["closed_at"] = "0".into();
    g[MODULE_NAME]["pools"][i] = p;
    cases.push(g);
    let mut g = app.clone();
    let mut p = pools(&mut g);
    p["status"] = 7.into();
    g[MODULE_NAME]["pools"][i] = p;
    cases.push(g);
    let mut g = app.clone();
    let mut p = pools(&mut g);
    p["status"] = "POOL_STATUS_OPEN".into();
    g[MODULE_NAME]["pools"][i] = p;
    cases.push(g);
    // The closing pool marked closed: its bond and unsettled contribution are still held.
    let mut g = app.clone();
    let j = (closing - 1) as usize;
    g[MODULE_NAME]["pools"][j]["status"] = "POOL_STATUS_CLOSED".into();
    g[MODULE_NAME]["pools"][j]["closed_at"] = "5".into();
    cases.push(g);
    for g in cases {
        let e = testing::try_init_all(&modules(), &g).unwrap_err();
        assert_eq!((e.codespace, e.code), data(ERR_INVALID_GENESIS), "{e:?}");
    }
}
