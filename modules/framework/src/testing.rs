//! Unit-test harness shared by the market modules (cargo feature `testing`, enabled only in
//! their `[dev-dependencies]`): a store built from JSON genesis with funded users, messages,
//! `end_block` and queries run the way the app runs them (on an overlay applied only on
//! success), and the small helpers every module's tests use.

use std::collections::BTreeMap;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use prost::Name;
use sha2::{Digest, Sha256};

use crate::context::BlockInfo;
use crate::{Address, Ctx, Event, GasMeter, MemStore, Module, Router, TxError};

/// The test address made of 20 bytes `b`.
pub fn addr(b: u8) -> Address {
    Address::from_bytes(&[b; 20]).unwrap()
}

/// A proto coin of `amount` `denom`.
pub fn proto_coin(amount: u128, denom: &str) -> ProtoCoin {
    ProtoCoin {
        denom: denom.into(),
        amount: amount.to_string(),
    }
}

/// A stand-in for the hash of block `height - 1`, so that draws vary with the height.
pub fn prev_hash(height: u64) -> [u8; 32] {
    Sha256::digest(height.to_be_bytes()).into()
}

/// Block `height` (with [`prev_hash`], no chain id, time 0).
pub fn block(height: u64) -> BlockInfo {
    BlockInfo {
        height,
        prev_block_hash: prev_hash(height),
        ..Default::default()
    }
}

/// The app genesis of the tests: every user in `users` holds `funds` uatom and `funds` udeai,
/// and `module`'s authority is `addr(authority)`.
pub fn funded_genesis(module: &str, users: &[u8], funds: u128, authority: u8) -> serde_json::Value {
    let balances: Vec<_> = users
        .iter()
        .map(|u| {
            serde_json::json!({"address": addr(*u).to_bech32(), "coins": [
                {"denom": "uatom", "amount": funds.to_string()},
                {"denom": "udeai", "amount": funds.to_string()}]})
        })
        .collect();
    let mut app = serde_json::json!({
        "auth": {},
        "bank": {"balances": balances},
    });
    app[module] = serde_json::json!({"authority": addr(authority).to_bech32()});
    app
}

/// A store with every module's genesis imported from `app`, in order.
pub fn try_init_all(
    modules: &[Box<dyn Module>],
    app: &serde_json::Value,
) -> Result<MemStore, TxError> {
    let mut s = MemStore::new();
    for m in modules {
        m.init_genesis(&mut s, &app[m.name()])?;
    }
    Ok(s)
}

/// Every module's genesis export, by module name.
pub fn export_all(modules: &[Box<dyn Module>], s: &MemStore) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for m in modules {
        out.insert(m.name().into(), m.export_genesis(s).unwrap());
    }
    serde_json::Value::Object(out)
}

/// Decodes a proto message through `module`'s router and runs it in `block` with a gas limit
/// of `gas_limit`, as the app does: on an overlay applied only on success. Returns the
/// response, the events and the gas used.
pub fn exec<P: prost::Message + Name>(
    module: &dyn Module,
    s: &mut MemStore,
    block: &BlockInfo,
    gas_limit: u64,
    p: P,
) -> Result<(Any, Vec<Event>, u64), TxError> {
    let mut router = Router::new();
    module.register(&mut router);
    let msg = router.decode(&Any {
        type_url: P::type_url(),
        value: p.encode_to_vec(),
    })?;
    let gas = GasMeter::new(gas_limit);
    let snapshot = s.clone();
    let mut ctx = Ctx::new(&snapshot, &gas, block);
    let response = msg.execute(&mut ctx)?;
    let (writes, events) = ctx.finish();
    s.apply(writes);
    Ok((response, events, gas.consumed()))
}

/// Runs `module`'s `end_block` in `block`, as the app does (its writes applied on success).
pub fn end_block(module: &dyn Module, s: &mut MemStore, block: &BlockInfo) -> Vec<Event> {
    let gas = GasMeter::infinite();
    let snapshot = s.clone();
    let mut ctx = Ctx::new(&snapshot, &gas, block);
    module.end_block(&mut ctx).unwrap();
    let (writes, events) = ctx.finish();
    s.apply(writes);
    events
}

/// Runs a query through `module`'s router and decodes the answer.
pub fn query<Req: prost::Message, Res: prost::Message + Default>(
    module: &dyn Module,
    s: &MemStore,
    path: &str,
    req: Req,
) -> Result<Res, TxError> {
    let mut router = Router::new();
    module.register(&mut router);
    let bytes = router.query(path, s, &block(1), &req.encode_to_vec())?;
    Ok(Res::decode(bytes.as_slice()).unwrap())
}

/// The codespace and code of an error result.
pub fn code<T: std::fmt::Debug>(r: Result<T, TxError>) -> (&'static str, u32) {
    let e = r.unwrap_err();
    (e.codespace, e.code)
}

/// Asserts that a module account holds exactly, in udeai and in uatom, the sum of `coins`
/// (what the module's records say it holds); `balance` reads the account's balance of a denom.
pub fn assert_holds(coins: impl IntoIterator<Item = ProtoCoin>, balance: impl Fn(&str) -> u128) {
    let mut held: BTreeMap<String, u128> = BTreeMap::new();
    for c in coins {
        *held.entry(c.denom).or_default() += c.amount.parse::<u128>().unwrap();
    }
    for denom in ["udeai", "uatom"] {
        assert_eq!(
            balance(denom),
            held.get(denom).copied().unwrap_or(0),
            "{denom}"
        );
    }
}
