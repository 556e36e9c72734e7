//! Data pools: creation, bonds, contributions, scores and the epoch settlement.

use deai_framework::MemStore;
use deai_proto::data::v1 as pb;

use crate::tests::*;
use crate::*;

pub(crate) const OWNER: u8 = 8;
pub(crate) const V1: u8 = 5;
pub(crate) const V2: u8 = 6;
pub(crate) const FUNDS_IN: u128 = 5_000;
pub(crate) const REWARD: u128 = 1_000;
pub(crate) const MIN: u128 = 100;
pub(crate) const EPOCH: u64 = 10;
pub(crate) const THRESHOLD: u32 = 30_000;

pub(crate) fn create_msg() -> pb::MsgCreatePool {
    pb::MsgCreatePool {
        owner: addr(OWNER).to_bech32(),
        schema: r#"{"type":"csv"}"#.into(),
        reward_per_epoch: Some(coin(REWARD)),
        epoch_length: EPOCH,
        min_contributor_stake: Some(coin(MIN)),
        score_threshold_u16: THRESHOLD,
        validators: vec![addr(V1).to_bech32(), addr(V2).to_bech32()],
        funds: Some(coin(FUNDS_IN)),
    }
}

pub(crate) fn create(s: &mut MemStore, height: u64) -> u64 {
    let r: pb::MsgCreatePoolResponse = exec_resp(s, height, create_msg()).unwrap();
    r.pool_id
}

pub(crate) fn bond_msg(v: u8, pool: u64, amount: u128) -> pb::MsgBondPoolValidator {
    pb::MsgBondPoolValidator {
        validator: addr(v).to_bech32(),
        pool_id: pool,
        stake: Some(coin(amount)),
    }
}

pub(crate) fn contribute_msg(who: u8, pool: u64, hash: u8) -> pb::MsgContribute {
    pb::MsgContribute {
        contributor: addr(who).to_bech32(),
        pool_id: pool,
        content_sha256: vec![hash; 32],
        uri: format!("https://data.example/{hash}"),
        stake: Some(coin(MIN)),
    }
}

pub(crate) fn contribute(s: &mut MemStore, height: u64, who: u8, pool: u64, hash: u8) -> u64 {
    let r: pb::MsgContributeResponse =
        exec_resp(s, height, contribute_msg(who, pool, hash)).unwrap();
    r.contribution_id
}

pub(crate) fn score_msg(v: u8, c: u64, score: u32) -> pb::MsgScoreContribution {
    pb::MsgScoreContribution {
        validator: addr(v).to_bech32(),
        contribution_id: c,
        score_u16: score,
    }
}

pub(crate) fn pool_balance(s: &MemStore, id: u64) -> u128 {
    s.get_pool(id)
        .unwrap()
        .unwrap()
        .balance
        .unwrap()
        .amount
        .parse()
        .unwrap()
}

#[test]
fn weighted_median_and_pro_rata() {
    use settle::{pro_rata, weighted_median};
    assert_eq!(weighted_median(&[]), None);
    assert_eq!(weighted_median(&[(5, 0)]), None);
    assert_eq!(
        weighted_median(&[(60_000, 1_000), (1_000, 3_000)]),
        Some(1_000)
    );
    // Exactly half reaches the median: the lower score.
    assert_eq!(weighted_median(&[(10, 1), (20, 1)]), Some(10));
    assert_eq!(weighted_median(&[(10, 1), (20, 2)]), Some(20));
    assert_eq!(weighted_median(&[(30, 5), (10, 1), (20, 1)]), Some(30));
    assert_eq!(pro_rata(1_000, 40_000, 90_000), Some(444));
    assert_eq!(pro_rata(u128::MAX, 1, 1), Some(u128::MAX));
    assert_eq!(pro_rata(7, 0, 0), Some(0));
}

#[test]
fn an_epoch_pays_good_data_and_slashes_garbage_and_far_validators() {
    let mut s = store();
    let pool = create(&mut s, 1);
    assert_eq!(pool_balance(&s, pool), FUNDS_IN);
    exec_at(&mut s, 2, bond_msg(V1, pool, 1_000)).unwrap();
    exec_at(&mut s, 2, bond_msg(V2, pool, 3_000)).unwrap();
    let before = [1u8, 2, 3].map(|u| balance(&s, u, "udeai"));
    let c1 = contribute(&mut s, 3, 1, pool, 11);
    let c2 = contribute(&mut s, 3, 2, pool, 12);
    let c3 = contribute(&mut s, 3, 3, pool, 13); // garbage
    for (v, c, sc) in [
        (V1, c1, 40_000),
        (V1, c2, 50_000),
        (V1, c3, 60_000), // V1 vouches for garbage
        (V2, c1, 40_000),
        (V2, c2, 50_000),
        (V2, c3, 1_000),
    ] {
        exec_at(&mut s, 4, score_msg(v, c, sc)).unwrap();
    }
    assert_reconciles(&s);
    // Nothing settles before the epoch's last block (heights 1..=10).
    testing::end_block(&DataModule, &mut s, &testing::block(EPOCH - 1));
    assert!(!s.get_contribution(c1).unwrap().unwrap().settled);
    let events = testing::end_block(&DataModule, &mut s, &testing::block(EPOCH));
    assert!(events
        .iter()
        .any(|e| e.kind == "deai.data.v1.EventPoolEpochSettled"));

    let c = |id| s.get_contribution(id).unwrap().unwrap();
    assert_eq!(c(c1).consensus_score_u16, 40_000);
    assert_eq!(c(c2).consensus_score_u16, 50_000);
    assert_eq!(c(c3).consensus_score_u16, 1_000);
    // Pro rata of 1000 over 90000 score: 444 and 555 (floored), 1 stays in the pool.
    assert_eq!(c(c1).reward, Some(coin(444)));
    assert_eq!(c(c2).reward, Some(coin(555)));
    assert_eq!(c(c3).slashed, Some(coin(10)));
    let after = [1u8, 2, 3].map(|u| balance(&s, u, "udeai"));
    assert_eq!(after[0], before[0] + 444);
    assert_eq!(after[1], before[1] + 555);
    assert_eq!(after[2], before[2] - 10);
    // V1 was 59000 from a consensus: 5% of its bond; V2 never far.
    let bond = |v| {
        s.get_pool_validator(pool, &addr(v))
            .unwrap()
            .unwrap()
            .stake
            .unwrap()
            .amount
    };
    assert_eq!(bond(V1), "950");
    assert_eq!(bond(V2), "3000");
    assert_eq!(pool_balance(&s, pool), FUNDS_IN - 999 + 10 + 50);
    let p = s.get_pool(pool).unwrap().unwrap();
    assert_eq!((p.epoch, p.epoch_start), (1, EPOCH + 1));
    assert_reconciles(&s);

    // The epoch is over: no more scores for its contributions.
    assert_eq!(
        code(exec_at(&mut s, 11, score_msg(V2, c1, 1))),
        data(ERR_EPOCH_OVER)
    );
    // The same data is paid once: its hash is refused in any pool, forever.
    let other = create(&mut s, 11);
    assert_eq!(
        code(exec_at(&mut s, 11, contribute_msg(4, other, 11))),
        data(ERR_DUPLICATE_CONTENT)
    );
    // An empty epoch settles without moving anything; the next one is scheduled.
    testing::end_block(&DataModule, &mut s, &testing::block(2 * EPOCH));
    assert_eq!(s.get_pool(pool).unwrap().unwrap().epoch, 2);
    assert_reconciles(&s);
}

#[test]
fn pool_rejections() {
    let mut s = store();
    let bad = |f: fn(&mut pb::MsgCreatePool)| {
        let mut m = create_msg();
        f(&mut m);
        m
    };
    let cases = vec![
        (bad(|m| m.schema = "not json".into()), data(ERR_BAD_POOL)),
        (bad(|m| m.epoch_length = 0), data(ERR_BAD_POOL)),
        (bad(|m| m.validators.clear()), data(ERR_BAD_POOL)),
        (
            bad(|m| m.validators = vec![addr(V1).to_bech32(), addr(V1).to_bech32()]),
            data(ERR_BAD_POOL),
        ),
        (bad(|m| m.score_threshold_u16 = 70_000), data(ERR_BAD_SCORE)),
        (
            bad(|m| m.funds = Some(testing::proto_coin(5, "uatom"))),
            data(ERR_DENOM_MISMATCH),
        ),
        (
            bad(|m| m.reward_per_epoch = Some(coin(0))),
            data(ERR_BAD_POOL),
        ),
    ];
    for (m, want) in cases {
        assert_eq!(code(exec_at(&mut s, 1, m.clone())), want, "{m:?}");
    }
    let pool = create(&mut s, 1);
    assert_eq!(
        code(exec_at(&mut s, 2, bond_msg(7, pool, 10))),
        data(ERR_NOT_POOL_VALIDATOR)
    );
    assert_eq!(
        code(exec_at(&mut s, 2, bond_msg(V1, 9, 10))),
        data(ERR_POOL_NOT_FOUND)
    );
    let low = pb::MsgContribute {
        stake: Some(coin(MIN - 1)),
        ..contribute_msg(1, pool, 1)
    };
    assert_eq!(code(exec_at(&mut s, 2, low)), data(ERR_STAKE_TOO_LOW));
    let short = pb::MsgContribute {
        content_sha256: vec![1; 5],
        ..contribute_msg(1, pool, 1)
    };
    assert_eq!(code(exec_at(&mut s, 2, short)), data(ERR_BAD_HASH_LENGTH));
    let c = contribute(&mut s, 2, 1, pool, 1);
    assert_eq!(
        code(exec_at(&mut s, 2, contribute_msg(2, pool, 1))),
        data(ERR_DUPLICATE_CONTENT)
    );
    assert_eq!(
        code(exec_at(&mut s, 3, score_msg(V1, c, 5))),
        data(ERR_NOT_BONDED)
    );
    assert_eq!(
        code(exec_at(&mut s, 3, score_msg(7, c, 5))),
        data(ERR_NOT_POOL_VALIDATOR)
    );
    assert_eq!(
        code(exec_at(&mut s, 3, score_msg(V1, 99, 5))),
        data(ERR_CONTRIBUTION_NOT_FOUND)
    );
    assert_eq!(
        code(exec_at(&mut s, 3, score_msg(V1, c, 65_536))),
        data(ERR_BAD_SCORE)
    );
    exec_at(&mut s, 3, bond_msg(V1, pool, 10)).unwrap();
    exec_at(&mut s, 3, score_msg(V1, c, 5)).unwrap();
    assert_eq!(
        code(exec_at(&mut s, 3, score_msg(V1, c, 6))),
        data(ERR_ALREADY_SCORED)
    );
    assert_reconciles(&s);
}

#[test]
fn an_epoch_takes_at_most_max_contributions() {
    let mut s = store();
    let p = pb::MsgUpdateParams {
        authority: addr(AUTHORITY).to_bech32(),
        params: Some(pb::Params {
            max_contributions_per_epoch: 2,
            ..Params::default().to_proto()
        }),
    };
    exec_at(&mut s, 1, p).unwrap();
    let pool = create(&mut s, 1);
    contribute(&mut s, 2, 1, pool, 1);
    contribute(&mut s, 2, 2, pool, 2);
    assert_eq!(
        code(exec_at(&mut s, 2, contribute_msg(3, pool, 3))),
        data(ERR_EPOCH_FULL)
    );
    assert_reconciles(&s);
    // The next epoch has room again; unscored contributions are slashed (consensus 0).
    testing::end_block(&DataModule, &mut s, &testing::block(EPOCH));
    contribute(&mut s, 11, 3, pool, 3);
    assert_eq!(
        s.get_contribution(1).unwrap().unwrap().slashed,
        Some(coin(10))
    );
    assert_reconciles(&s);
}
