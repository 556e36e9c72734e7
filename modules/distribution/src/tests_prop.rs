//! Property test: random delegations, undelegations, redelegations, slashes (some of
//! infractions a few blocks back, so unbonding and redelegation entries pay too), allocations,
//! withdrawals and end blocks never raise an internal error, and after every step
//! - total supply = every balance: users, staking's pools, the fee collector, the
//!   distribution account and the community pool;
//! - the distribution account holds exactly the outstanding rewards plus the pool's dust
//!   (to the 10^-18 unit), and no validator's commission exceeds its outstanding rewards;
//!
//! and once every delegator and validator has withdrawn, the distribution account keeps less
//! than 2 base units per validator (its commission's remainder below 1, and F1's floored
//! ratios and stakes far below 1) plus 1 (the pool's dust).

use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
use proptest::prelude::*;

use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::dec::{Dec, DEC_SCALE};
use deai_framework::{records, Address, MemStore, TxError};
use deai_staking::keeper::{tokens, UNBONDED};
use deai_staking::{StakingRead, BONDED_POOL, NOT_BONDED_POOL};

use crate::deccoins::DecCoins;
use crate::tests::*;
use crate::*;

#[derive(Clone, Debug)]
enum Op {
    Delegate(u8, u8, u128),
    Undelegate(u8, u8, u128),
    Redelegate(u8, u8, u8, u128),
    /// Validator, fraction in ‰, how many blocks ago the infraction was.
    Slash(u8, u32, u64),
    Allocate(u128, u8),
    Withdraw(u8, u8),
    Commission(u8),
    EndBlock,
}

fn op() -> impl Strategy<Value = Op> {
    let del = 1u8..=6;
    let val = 1u8..=3;
    let amt = 1u128..20_000_000;
    prop_oneof![
        2 => (del.clone(), val.clone(), amt.clone()).prop_map(|(d, v, a)| Op::Delegate(d, v, a)),
        2 => (del.clone(), val.clone(), amt.clone()).prop_map(|(d, v, a)| Op::Undelegate(d, v, a)),
        1 => (del.clone(), val.clone(), val.clone(), amt).prop_map(|(d, s, t, a)| Op::Redelegate(d, s, t, a)),
        1 => (val.clone(), 1u32..600, 0u64..4).prop_map(|(v, p, b)| Op::Slash(v, p, b)),
        4 => (0u128..5_000_000, 0u8..8).prop_map(|(f, m)| Op::Allocate(f, m)),
        2 => (del, val.clone()).prop_map(|(d, v)| Op::Withdraw(d, v)),
        1 => val.prop_map(Op::Commission),
        1 => Just(Op::EndBlock),
    ]
}

/// A message's error must be the sender's fault, never an internal one.
fn user_error<T>(r: Result<T, TxError>) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        prop_assert!(!e.is_internal(), "internal error: {e}");
    }
    Ok(())
}

fn sum_under(s: &MemStore, prefix: &[u8]) -> DecCoins {
    let mut total = DecCoins::new();
    let all: Vec<pb::ValidatorOutstandingRewards> =
        records::all_under(MODULE_NAME, s, prefix, usize::MAX).unwrap();
    for o in all {
        total
            .add(&DecCoins::from_stored(&o.rewards).unwrap())
            .unwrap();
    }
    total
}

fn check(s: &MemStore) -> Result<(), TestCaseError> {
    let users: u128 = USERS.iter().map(|u| bal(s, *u)).sum();
    let modules: u128 = [
        BONDED_POOL,
        NOT_BONDED_POOL,
        deai_auth::FEE_COLLECTOR,
        MODULE_ACCOUNT,
        COMMUNITY_POOL,
    ]
    .iter()
    .map(|m| module_bal(s, m))
    .sum();
    prop_assert_eq!(s.supply_of("udeai").unwrap(), users + modules);
    let mut held = sum_under(s, &state_key::all_outstanding());
    held.add(&s.pool_dust().unwrap()).unwrap();
    prop_assert_eq!(
        held.units_of("udeai"),
        module_bal(s, MODULE_ACCOUNT) * DEC_SCALE
    );
    for v in 1u8..=3 {
        if let Some(o) = s.outstanding(&addr(v)).unwrap() {
            let c = s.accumulated_commission(&addr(v)).unwrap();
            prop_assert!(c.units_of("udeai") <= o.units_of("udeai"));
        }
    }
    Ok(())
}

fn run(s: &mut MemStore, h: u64, op: &Op) -> Result<(), TestCaseError> {
    let coin = |a: u128| Some(coin(a, "udeai"));
    match op {
        Op::Delegate(d, v, a) => user_error(staking(s, h, delegate_msg(*d, *v, *a)))?,
        Op::Undelegate(d, v, a) => user_error(staking(
            s,
            h,
            spb::MsgUndelegate {
                delegator_address: addr(*d).to_bech32(),
                validator_address: val(*v),
                amount: coin(*a),
            },
        ))?,
        Op::Redelegate(d, src, dst, a) => user_error(staking(
            s,
            h,
            spb::MsgBeginRedelegate {
                delegator_address: addr(*d).to_bech32(),
                validator_src_address: val(*src),
                validator_dst_address: val(*dst),
                amount: coin(*a),
            },
        ))?,
        Op::Slash(v, permille, back) => {
            let Some(vr) = s.validator(&addr(*v)).unwrap() else {
                return Ok(());
            };
            if vr.status == UNBONDED {
                return Ok(());
            }
            let power = (tokens(&vr).unwrap() / M) as i64;
            let f = Dec::from_units(u128::from(*permille) * DEC_SCALE / 1000);
            let hk = hooks();
            let r = in_block(s, &blk(h), |ctx| {
                deai_staking::slash(
                    ctx,
                    hk.as_ref(),
                    &cons(*v),
                    h.saturating_sub(*back) as i64,
                    power,
                    f,
                )
            });
            prop_assert!(r.is_ok(), "slash failed: {r:?}");
        }
        Op::Allocate(fee, mask) => {
            fees(s, *fee);
            let votes: Vec<(u8, i64)> = (1u8..=3)
                .filter(|v| mask & (1 << (v - 1)) != 0)
                .map(|v| (v, s.last_power(&addr(v)).unwrap()))
                .collect();
            begin(s, h, &votes);
        }
        Op::Withdraw(d, v) => user_error(dist(s, h, withdraw_msg(*d, *v)))?,
        Op::Commission(v) => user_error(dist(
            s,
            h,
            pb::MsgWithdrawValidatorCommission {
                validator_address: val(*v),
            },
        ))?,
        Op::EndBlock => end_block(s, h),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn rewards_never_create_or_lose_a_unit(ops in proptest::collection::vec(op(), 1..40)) {
        let mut s = store();
        for v in 1u8..=3 {
            staking(&mut s, 1, create_msg(v, u128::from(v) * 10 * M)).unwrap();
        }
        end_block(&mut s, 1);
        let mut h = 2u64;
        for op in &ops {
            run(&mut s, h, op)?;
            check(&s)?;
            h += 1;
        }
        // Everyone withdraws, a block later.
        let dels: Vec<spb::Delegation> = s.all_delegations(usize::MAX).unwrap();
        for d in &dels {
            let del = Address::from_bech32(&d.delegator_address).unwrap();
            let op = deai_staking::address::stored_val(&d.validator_address).unwrap();
            dist(&mut s, h, pb::MsgWithdrawDelegatorReward {
                delegator_address: del.to_bech32(),
                validator_address: d.validator_address.clone(),
            }).unwrap();
            prop_assert!(s.starting_info(&op, &del).unwrap().is_some());
        }
        let mut validators = 0u128;
        for v in 1u8..=3 {
            if s.outstanding(&addr(v)).unwrap().is_some() {
                validators += 1;
                user_error(dist(&mut s, h, pb::MsgWithdrawValidatorCommission { validator_address: val(v) }))?;
            }
        }
        check(&s)?;
        let left = module_bal(&s, MODULE_ACCOUNT);
        prop_assert!(left < 2 * validators + 1, "{left} units left for {validators} validators");
    }
}
