//! The hooks: every message and the slash call them in the SDK's order, with the SDK's
//! names, and `StakingModule::default()` calls none.

use std::sync::{Arc, Mutex};

use deai_framework::testing;
use deai_framework::{Address, Ctx, GasMeter, MemStore, TxError};

use crate::hooks::StakingHooks;
use crate::keeper::consensus_address;
use crate::math::Dec;
use crate::tests::*;
use crate::StakingModule;

const M: u128 = 1_000_000;

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

fn n(a: &Address) -> u8 {
    a.as_bytes()[0]
}

impl Recorder {
    fn push(&self, s: String) -> Result<(), TxError> {
        if let Ok(mut v) = self.0.lock() {
            v.push(s);
        }
        Ok(())
    }
    fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl StakingHooks for Recorder {
    fn after_validator_created(&self, _: &mut Ctx, val: &Address) -> Result<(), TxError> {
        self.push(format!("validator_created {}", n(val)))
    }
    fn after_validator_removed(&self, _: &mut Ctx, _: &[u8], val: &Address) -> Result<(), TxError> {
        self.push(format!("validator_removed {}", n(val)))
    }
    fn before_delegation_created(
        &self,
        _: &mut Ctx,
        del: &Address,
        val: &Address,
    ) -> Result<(), TxError> {
        self.push(format!("delegation_created {} {}", n(del), n(val)))
    }
    fn before_delegation_shares_modified(
        &self,
        _: &mut Ctx,
        del: &Address,
        val: &Address,
    ) -> Result<(), TxError> {
        self.push(format!("shares_modified {} {}", n(del), n(val)))
    }
    fn before_delegation_removed(
        &self,
        _: &mut Ctx,
        del: &Address,
        val: &Address,
    ) -> Result<(), TxError> {
        self.push(format!("delegation_removed {} {}", n(del), n(val)))
    }
    fn after_delegation_modified(
        &self,
        _: &mut Ctx,
        del: &Address,
        val: &Address,
    ) -> Result<(), TxError> {
        self.push(format!("delegation_modified {} {}", n(del), n(val)))
    }
    fn before_validator_slashed(&self, _: &mut Ctx, val: &Address, f: Dec) -> Result<(), TxError> {
        self.push(format!("validator_slashed {} {f}", n(val)))
    }
}

fn run<P: prost::Message + prost::Name>(
    m: &StakingModule,
    rec: &Recorder,
    s: &mut MemStore,
    p: P,
) -> Vec<String> {
    testing::exec(m, s, &blk(10, T0), 100_000_000, p).unwrap();
    rec.take()
}

#[test]
fn hooks_run_around_every_delegation_and_validator_change() {
    let rec = Arc::new(Recorder::default());
    let m = StakingModule::with_hooks(rec.clone());
    let mut s = store();
    assert_eq!(
        run(&m, &rec, &mut s, create_msg(1, 11, 10 * M)),
        [
            "validator_created 1",
            "delegation_created 1 1",
            "delegation_modified 1 1"
        ]
    );
    assert_eq!(
        run(&m, &rec, &mut s, delegate_msg(3, 1, M)),
        ["delegation_created 3 1", "delegation_modified 3 1"]
    );
    assert_eq!(
        run(&m, &rec, &mut s, delegate_msg(3, 1, M)),
        ["shares_modified 3 1", "delegation_modified 3 1"]
    );
    assert_eq!(
        run(&m, &rec, &mut s, undelegate_msg(3, 1, M)),
        ["shares_modified 3 1", "delegation_modified 3 1"]
    );
    assert_eq!(
        run(&m, &rec, &mut s, undelegate_msg(3, 1, M)),
        ["shares_modified 3 1", "delegation_removed 3 1"]
    );
    run(&m, &rec, &mut s, create_msg(2, 12, 10 * M));
    assert_eq!(
        run(&m, &rec, &mut s, redelegate_msg(1, 1, 2, 4 * M)),
        [
            "shares_modified 1 1",
            "delegation_modified 1 1",
            "delegation_created 1 2",
            "delegation_modified 1 2"
        ]
    );
    // The last shares of an unbonded validator: the validator goes too.
    assert_eq!(
        run(&m, &rec, &mut s, undelegate_msg(1, 1, 6 * M)),
        [
            "shares_modified 1 1",
            "delegation_removed 1 1",
            "validator_removed 1"
        ]
    );
    // A slash of a bonded validator reports the effective fraction first.
    testing::end_block(&m, &mut s, &blk(10, T0));
    rec.take();
    let gas = GasMeter::infinite();
    let b11 = blk(11, T0 + 1);
    let snap = s.clone();
    let mut ctx = Ctx::new(&snap, &gas, &b11);
    let half = Dec::parse("0.5").unwrap();
    crate::slash(
        &mut ctx,
        rec.as_ref(),
        &consensus_address(&[12; 32]),
        11,
        14,
        half,
    )
    .unwrap();
    assert_eq!(rec.take(), ["validator_slashed 2 0.500000000000000000"]);
    // The default module has no hooks and works as before.
    let mut s2 = store();
    testing::exec(
        &StakingModule::default(),
        &mut s2,
        &blk(10, T0),
        100_000_000,
        create_msg(1, 11, 10 * M),
    )
    .unwrap();
}
