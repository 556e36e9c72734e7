//! The bench's world: accounts, genesis, and running a message or compute's `end_block` the
//! way the app does (a `Ctx` overlay on the state, a `GasMeter` with the framework's default
//! `GasConfig`), timed.

use prost::Name;

use deai_bench_common::exec::run_hook;
pub use deai_bench_common::exec::{any, coin, run_msg, Run, DENOM};
use deai_framework::{Address, MemStore, Module, Router, StateRead, TxError};
use deai_proto::compute::v1 as pb;

use deai_compute::ComputeModule;

/// What each named account holds at genesis.
pub const FUNDS: u128 = 1_000_000_000_000;
/// What the account that backs the bulk-written records holds at genesis.
pub const WHALE_FUNDS: u128 = 1_000_000_000_000_000_000;

/// A deterministic address: `tag` picks the role, `n` the member.
pub fn account(tag: u8, n: u32) -> Address {
    let mut b = [0u8; 20];
    b[0] = tag;
    b[1..5].copy_from_slice(&n.to_be_bytes());
    Address::from_bytes(&b).expect("20-byte address")
}

/// The named actors of the scenarios.
pub struct Actors;

impl Actors {
    pub fn requester() -> Address {
        account(1, 0)
    }
    /// Ordinary providers (`n` in 1..=3).
    pub fn provider(n: u32) -> Address {
        account(2, n)
    }
    /// Providers that offer audits (`n` in 1..=2).
    pub fn verifier(n: u32) -> Address {
        account(3, n)
    }
    pub fn auditor() -> Address {
        account(4, 0)
    }
    pub fn authority() -> Address {
        account(8, 0)
    }
    /// Funds the module-account side of the records `endblock::add_fleet` writes in bulk.
    pub fn whale() -> Address {
        account(9, 0)
    }
    fn funded() -> Vec<Address> {
        let mut v = vec![Self::requester(), Self::auditor()];
        v.extend((1..=3).map(Self::provider));
        v.extend((1..=2).map(Self::verifier));
        v
    }
}

pub fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(ComputeModule),
    ]
}

/// Inits every module from `app_state` on a new store.
pub fn init_all(app_state: &serde_json::Value) -> Result<MemStore, TxError> {
    let mut s = MemStore::new();
    for m in modules() {
        m.init_genesis(&mut s, &app_state[m.name()])?;
    }
    Ok(s)
}

pub fn export_all(s: &MemStore) -> Result<serde_json::Value, TxError> {
    let mut out = serde_json::Map::new();
    for m in modules() {
        out.insert(m.name().into(), m.export_genesis(s)?);
    }
    Ok(serde_json::Value::Object(out))
}

/// Genesis: the actors funded, compute's default params.
pub fn genesis() -> MemStore {
    let balance = |a: &Address, amount: u128| {
        serde_json::json!({"address": a.to_bech32(),
            "coins": [{"denom": DENOM, "amount": amount.to_string()}]})
    };
    let mut balances: Vec<_> = Actors::funded().iter().map(|a| balance(a, FUNDS)).collect();
    balances.push(balance(&Actors::whale(), WHALE_FUNDS));
    let app = serde_json::json!({
        "auth": {},
        "bank": {"balances": balances},
        "compute": {"authority": Actors::authority().to_bech32()},
    });
    init_all(&app).expect("bench genesis")
}

pub fn router() -> Router {
    let mut r = Router::new();
    ComputeModule.register(&mut r);
    r
}

/// Runs compute's `end_block` at `height` on an overlay of `state` (an infinite meter, as
/// the app's block hooks; its count is still reported).
pub fn run_end_block(state: &dyn StateRead, height: u64) -> Result<Run, TxError> {
    run_hook(state, height, |ctx| ComputeModule.end_block(ctx))
}

/// Runs `msg` at `height` and applies its writes; panics on failure (a broken scenario).
pub fn apply<P: prost::Message + Name>(s: &mut MemStore, height: u64, p: &P) {
    deai_bench_common::exec::apply(&router(), s, height, p);
}

pub fn attr(k: &str, v: &str) -> pb::Attribute {
    pb::Attribute {
        key: k.into(),
        value: v.into(),
    }
}
