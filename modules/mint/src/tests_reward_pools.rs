//! The shared reward-pool sink ([`crate::reward_pools`]) on a toy market: what a credit
//! writes and when it writes nothing, the bounded listing, the unspent part as the balance
//! shrinks, and genesis export and import with their refusals.

use deai_framework::keys::KeyBuilder;
use deai_framework::{sdk, Coin, Ctx, GasMeter, MemStore, StateRead, StateWrite, TxError};

use crate::reward_pools::*;
use crate::{EmissionSink, PoolPart, PoolSink, RewardPools, DATA};

/// A jar: `open|denom|amount` under `jar/r/<id>`, its emission part under `jar/e/<id>`.
struct Jars;

struct Jar {
    id: u64,
    open: bool,
    balance: Coin,
}

fn jar_key(id: u64) -> Vec<u8> {
    KeyBuilder::new("jar", "r").u64(id).build()
}

fn put_jar(s: &mut dyn StateWrite, j: &Jar) {
    let v = format!("{}|{}|{}", j.open, j.balance.denom, j.balance.amount);
    s.put(jar_key(j.id), v.into_bytes()).unwrap();
}

impl RewardPools for Jars {
    type Record = Jar;
    const MARKET: &'static str = DATA;
    const ACCOUNT: &'static str = "jars";
    const NOUN: &'static str = "jar";
    const VISITS_PER_BLOCK: usize = 4;

    fn record_key(id: u64) -> Vec<u8> {
        jar_key(id)
    }
    fn records_prefix() -> Vec<u8> {
        KeyBuilder::new("jar", "r").build()
    }
    fn part_key(id: u64) -> Vec<u8> {
        KeyBuilder::new("jar", "e").u64(id).build()
    }
    fn parts_prefix() -> Vec<u8> {
        KeyBuilder::new("jar", "e").build()
    }
    fn load(s: &dyn StateRead, id: u64) -> Result<Option<Jar>, TxError> {
        let Some(v) = s.get(&jar_key(id))? else {
            return Ok(None);
        };
        let v = String::from_utf8(v).map_err(|_| sdk::internal("corrupt jar"))?;
        let parts: Vec<&str> = v.split('|').collect();
        let amount = parts[2].parse().map_err(|_| sdk::internal("corrupt jar"))?;
        Ok(Some(Jar {
            id,
            open: parts[0] == "true",
            balance: Coin::new(parts[1], amount)?,
        }))
    }
    fn store(ctx: &mut Ctx, j: &Jar) -> Result<(), TxError> {
        put_jar(ctx, j);
        Ok(())
    }
    fn takes_emission(j: &Jar) -> bool {
        j.open
    }
    fn balance(j: &Jar) -> Result<Coin, TxError> {
        Ok(j.balance.clone())
    }
    fn set_balance(j: &mut Jar, balance: &Coin) {
        j.balance = balance.clone();
    }
    fn weight(s: &dyn StateRead, id: u64) -> Result<u128, TxError> {
        Ok(Self::load(s, id)?.map_or(0, |j| u128::from(j.open)))
    }
}

fn jar(id: u64, open: bool, denom: &str, amount: u128) -> Jar {
    Jar {
        id,
        open,
        balance: Coin::new(denom, amount).unwrap(),
    }
}

/// Credits `amount udeai` to jar `id` in a block context: (taken, the store after).
fn credit(s: &MemStore, id: u64, amount: u128) -> (bool, MemStore) {
    let gas = GasMeter::infinite();
    let b = deai_framework::testing::block(1);
    let mut ctx = Ctx::new(s, &gas, &b);
    let taken = PoolSink::<Jars>::new()
        .credit(&mut ctx, id, &Coin::new("udeai", amount).unwrap())
        .unwrap();
    let (w, _) = ctx.finish();
    if !taken {
        assert!(w.is_empty(), "a refused credit wrote {w:?}");
    }
    let mut after = s.clone();
    after.apply(w);
    (taken, after)
}

fn balance(s: &MemStore, id: u64) -> u128 {
    Jars::load(s, id).unwrap().unwrap().balance.amount
}

#[test]
fn a_credit_adds_to_balance_and_part_and_a_refused_one_writes_nothing() {
    let mut s = MemStore::new();
    put_jar(&mut s, &jar(1, true, "udeai", 900));
    put_jar(&mut s, &jar(2, false, "udeai", 50));
    put_jar(&mut s, &jar(3, true, "uother", 50));
    let (taken, s) = credit(&s, 1, 100);
    assert!(taken);
    assert_eq!(balance(&s, 1), 1_000);
    assert_eq!(
        part_of::<Jars>(&s, 1).unwrap(),
        PoolPart {
            part: 100,
            balance_after: 1_000
        }
    );
    for refused in [2, 3, 4] {
        assert!(!credit(&s, refused, 100).0, "jar {refused}");
    }
    // Half the balance paid out: half the part is left, and clearing forgets it.
    let mut s = s;
    put_jar(&mut s, &jar(1, true, "udeai", 500));
    assert_eq!(unspent_emission::<Jars>(&s, 1).unwrap(), 50);
    assert_eq!(unspent_in::<Jars>(&s, 1, 250).unwrap(), 25);
    assert_eq!(unspent_emission::<Jars>(&s, 9).unwrap(), 0);
    clear::<Jars>(&mut s, 1).unwrap();
    assert_eq!(unspent_emission::<Jars>(&s, 1).unwrap(), 0);
}

#[test]
fn the_listing_starts_at_from_and_is_bounded() {
    let mut s = MemStore::new();
    for id in [3, 5, 8, 13] {
        put_jar(&mut s, &jar(id, true, "udeai", 1));
    }
    let sink = PoolSink::<Jars>::new();
    assert_eq!(sink.ids_from(&s, 4, 2).unwrap(), vec![5, 8]);
    assert_eq!(sink.ids_from(&s, 0, 10).unwrap(), vec![3, 5, 8, 13]);
    assert_eq!(sink.visits_per_block(), 4);
    assert!(sink.ids_from(&s, 14, 10).unwrap().is_empty());
}

#[test]
fn genesis_parts_round_trip_and_bad_ones_are_refused() {
    let mut s = MemStore::new();
    put_jar(&mut s, &jar(1, true, "udeai", 10));
    put_jar(&mut s, &jar(2, true, "udeai", 10));
    let invalid = |why: String| sdk::invalid_request(why);
    import_part::<Jars>(&mut s, 1, "4", "10", invalid).unwrap();
    import_part::<Jars>(&mut s, 2, "0", "7", invalid).unwrap();
    let exported = export_parts::<Jars>(&s).unwrap();
    assert_eq!(exported.len(), 2);
    assert_eq!(
        exported[0],
        (
            1,
            PoolPart {
                part: 4,
                balance_after: 10
            }
        )
    );
    for (id, part, after, why) in [
        (1, "1", "10", "duplicate"),
        (3, "1", "10", "unknown jar"),
        (2, "11", "10", "above the balance"),
        (2, "-1", "10", "invalid integer"),
    ] {
        let before = s.clone();
        let mut t = s.clone();
        let e = import_part::<Jars>(&mut t, id, part, after, invalid).unwrap_err();
        assert!(e.log.contains(why), "{id}: {}", e.log);
        assert!(
            e.log.contains(&format!("emission of jar {id}")),
            "{}",
            e.log
        );
        assert_eq!(
            export_parts::<Jars>(&t).unwrap(),
            export_parts::<Jars>(&before).unwrap()
        );
    }
}
