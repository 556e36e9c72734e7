//! Double signs: evidence, tombstones, entries slashed after the infraction only.

use deai_bank::BankRead;
use deai_framework::context::BlockInfo;
use deai_framework::{Address, Ctx, GasMeter, MemStore, Module, TxError};
use deai_staking::{StakingRead, BONDED_POOL, NOT_BONDED_POOL};

use crate::keeper::{secs, DOUBLE_SIGN_JAIL_END};
use crate::tests::*;
use crate::*;

pub(crate) fn with_entries() -> MemStore {
    let mut s = two_validators();
    staking(&mut s, 10, delegate_msg(3, 1, 50 * M)).unwrap();
    end_block(&mut s, 11);
    staking(&mut s, 12, undelegate_msg(3, 1, 10 * M)).unwrap();
    staking(&mut s, 20, undelegate_msg(3, 1, 10 * M)).unwrap();
    staking(&mut s, 20, redelegate_msg(3, 1, 2, 10 * M)).unwrap();
    s
}

pub(crate) fn equivocate(s: &mut MemStore, h: u64, op: u8, inf: i64, power: i64) -> bool {
    in_block(s, h, T0 + h as i64, |ctx| {
        handle_equivocation(ctx, &deai_staking::NoHooks, &cons(op), inf, T0 + inf, power)
    })
    .unwrap()
    .0
}

#[test]
fn double_sign_tombstones_and_slashes_entries_after_the_infraction_only() {
    let mut s = with_entries();
    let supply = s.supply_of("udeai").unwrap();
    let (bonded, not_bonded) = (pool(&s, BONDED_POOL), pool(&s, NOT_BONDED_POOL));
    let v1 = vtokens(&s, 1);
    let v2 = vtokens(&s, 2);
    // Power 130 at 15: 5% of 130 M = 6.5 M; the height-20 undelegation and redelegation pay
    // 5% of 10 M each; the height-12 entry nothing; the validator the rest, 5.5 M.
    assert!(equivocate(&mut s, 30, 1, 15, 130));
    assert_eq!(s.supply_of("udeai").unwrap(), supply - 6_500_000);
    assert_eq!(vtokens(&s, 1), v1 - 5_500_000);
    assert_eq!(vtokens(&s, 2), v2 - 500_000);
    assert_eq!(pool(&s, NOT_BONDED_POOL), not_bonded - 500_000);
    assert_eq!(pool(&s, BONDED_POOL), bonded - 6_000_000);
    let u = s.ubd(&addr(3), &addr(1)).unwrap().unwrap();
    let b: Vec<_> = u
        .entries
        .iter()
        .map(|e| (e.creation_height, e.balance.clone()))
        .collect();
    assert_eq!(
        b,
        vec![(12, (10 * M).to_string()), (20, "9500000".to_string())]
    );
    let i = info(&s, 1);
    assert!(i.tombstoned);
    assert_eq!(secs(&i.jailed_until), DOUBLE_SIGN_JAIL_END);
    assert!(s.validator(&addr(1)).unwrap().unwrap().jailed);
    // Never twice; never unjailed.
    assert!(!equivocate(&mut s, 31, 1, 16, 130));
    assert_eq!(s.supply_of("udeai").unwrap(), supply - 6_500_000);
    assert_eq!(
        code(unjail(&mut s, 1, DOUBLE_SIGN_JAIL_END + 1)),
        ("slashing", 4)
    );
    // An unknown validator's evidence is ignored.
    assert!(!equivocate(&mut s, 31, 6, 16, 130));
}

#[test]
fn double_sign_at_the_entries_height_and_stale_evidence() {
    // Infraction at 21 (distribution height 20): the height-20 entries are included.
    let mut s = with_entries();
    let supply = s.supply_of("udeai").unwrap();
    assert!(equivocate(&mut s, 30, 1, 21, 100));
    assert_eq!(s.supply_of("udeai").unwrap(), supply - 5 * M);
    // Infraction at 22: they are not.
    let mut s = with_entries();
    let v1 = vtokens(&s, 1);
    assert!(equivocate(&mut s, 30, 1, 22, 100));
    assert_eq!(vtokens(&s, 1), v1 - 5 * M);
    // Older than both max ages: ignored; older in blocks only: handled.
    let mut s = with_entries();
    let h = 200_000u64;
    let r = in_block(&mut s, h, T0 + 3 * 86_400, |ctx| {
        handle_equivocation(ctx, &deai_staking::NoHooks, &cons(1), 15, T0, 100)
    });
    assert!(!r.unwrap().0);
    let r = in_block(&mut s, h, T0 + 3600, |ctx| {
        handle_equivocation(ctx, &deai_staking::NoHooks, &cons(1), 15, T0, 100)
    });
    assert!(r.unwrap().0);
}

#[test]
fn a_validator_jailed_for_downtime_is_still_slashed_for_a_double_sign_once() {
    let mut s = two_validators();
    for h in 11..=22 {
        begin(&mut s, h, &[(1, 100, false), (2, 100, true)]);
    }
    assert_eq!(vtokens(&s, 1), 99 * M);
    let supply = s.supply_of("udeai").unwrap();
    // Evidence from before the jail, power 100: 5 M more; tombstoned; jailed forever.
    assert!(equivocate(&mut s, 23, 1, 20, 100));
    assert_eq!(vtokens(&s, 1), 94 * M);
    assert_eq!(s.supply_of("udeai").unwrap(), supply - 5 * M);
    assert_eq!(secs(&info(&s, 1).jailed_until), DOUBLE_SIGN_JAIL_END);
    assert!(!equivocate(&mut s, 24, 1, 21, 100));
    assert_eq!(vtokens(&s, 1), 94 * M);
    // Votes as tuples.
    let v: Vote = (cons(2), 100, true).into();
    in_block(&mut s, 25, T0 + 25, |ctx| {
        begin_blocker(ctx, &deai_staking::NoHooks, &[v])
    })
    .unwrap();
    assert_eq!(info(&s, 2).index_offset, 13);
}

/// Records the staking hooks slashing triggers.
#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<String>>);

impl deai_staking::StakingHooks for Recorder {
    fn before_validator_slashed(
        &self,
        _: &mut Ctx,
        val: &Address,
        f: deai_framework::dec::Dec,
    ) -> Result<(), TxError> {
        if let Ok(mut v) = self.0.lock() {
            v.push(format!("slashed {} {f}", val.as_bytes()[0]));
        }
        Ok(())
    }
    fn before_delegation_shares_modified(
        &self,
        _: &mut Ctx,
        del: &Address,
        val: &Address,
    ) -> Result<(), TxError> {
        if let Ok(mut v) = self.0.lock() {
            v.push(format!(
                "shares {} {}",
                del.as_bytes()[0],
                val.as_bytes()[0]
            ));
        }
        Ok(())
    }
}

#[test]
fn the_module_tells_its_hooks_of_every_slash() {
    let mut s = with_entries();
    let rec = std::sync::Arc::new(Recorder::default());
    let m = SlashingModule::with_hooks(rec.clone());
    let comet = deai_framework::context::CometInfo {
        misbehavior: vec![deai_framework::context::Misbehavior {
            duplicate_vote: true,
            address: cons(1),
            power: 130,
            height: 15,
            time_unix: T0 + 15,
            total_voting_power: 230,
        }],
        evidence_max_age_blocks: 100_000,
        evidence_max_age_secs: 172_800,
        ..Default::default()
    };
    let b = BlockInfo {
        comet: std::sync::Arc::new(comet),
        ..blk(30, T0 + 30)
    };
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let mut ctx = Ctx::new(&snap, &gas, &b);
    m.begin_block(&mut ctx).unwrap();
    s.apply(ctx.finish().0);
    let got = rec.0.lock().map(|v| v.clone()).unwrap_or_default();
    // The redelegation's destination delegation is unbonded first (its rewards withdrawn),
    // then the validator's tokens are cut by 5.5 M of its 120 M (rounded up at 18 decimals).
    assert_eq!(got, ["shares 3 2", "slashed 1 0.045833333333333334"]);
}
