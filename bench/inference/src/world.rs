//! The bench's chain: keyed accounts, genesis, the node's router, and a message run the way
//! the app's FinalizeBlock runs it (decoded through the `Router`, executed on a `Ctx`
//! overlay with a `GasMeter` and the framework's default `GasConfig`), timed.

use prost::Name;

pub use deai_bench_common::exec::{any, block, coin, run_msg, CHAIN_ID, DENOM};
use deai_client::keys::AccountKey;
use deai_framework::{Address, MemStore, Module, Router};

/// What every bench account holds at genesis.
pub const FUNDS: u128 = 1_000_000_000_000_000;

/// A deterministic key: `tag` picks the role, `n` the member.
pub fn key(tag: u8, n: u8) -> AccountKey {
    let mut secret = [0x11u8; 32];
    secret[0] = tag;
    secret[1] = n;
    AccountKey::from_bytes(&secret).expect("valid secp256k1 secret")
}

pub fn owner() -> AccountKey {
    key(1, 0)
}

pub fn requester() -> AccountKey {
    key(2, 0)
}

/// The server of the `n`-th model.
pub fn server(n: usize) -> AccountKey {
    key(3, n as u8)
}

/// The modules whose genesis the bench state needs (auth, bank, inference).
fn genesis_modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(deai_inference::InferenceModule),
    ]
}

/// Genesis: each account a base account (account numbers in order) holding `FUNDS`;
/// inference's default params.
pub fn genesis(accounts: &[Address]) -> MemStore {
    let auth: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            serde_json::json!({"@type": "/cosmos.auth.v1beta1.BaseAccount",
                "address": a.to_bech32(), "pub_key": null,
                "account_number": i.to_string(), "sequence": "0"})
        })
        .collect();
    let balances: Vec<_> = accounts
        .iter()
        .map(|a| {
            serde_json::json!({"address": a.to_bech32(),
                "coins": [{"denom": DENOM, "amount": FUNDS.to_string()}]})
        })
        .collect();
    let app = serde_json::json!({
        "auth": {"accounts": auth},
        "bank": {"balances": balances},
        "inference": {"authority": key(8, 0).address().to_bech32()},
    });
    let mut s = MemStore::new();
    for m in genesis_modules() {
        m.init_genesis(&mut s, &app[m.name()])
            .unwrap_or_else(|e| panic!("{} genesis: {e:?}", m.name()));
    }
    s
}

/// The node's router: every module of deaid registered.
pub fn router() -> Router {
    let mut r = Router::new();
    // The inference bench runs no contract: the vm's directory is never created.
    let vm = deaid::node::wasm_vm(std::env::temp_dir().join("deai-bench-unused-wasm"));
    for m in deaid::node::modules(&vm) {
        m.register(&mut r);
    }
    r
}

/// Runs `msg` at `height`, applies its writes and returns its decoded response; panics on
/// failure (a broken setup).
pub fn apply<P: prost::Message + Name, R: prost::Message + Default>(
    router: &Router,
    s: &mut MemStore,
    height: u64,
    p: &P,
) -> (R, u64) {
    let run = deai_bench_common::exec::apply(router, s, height, p);
    let r = R::decode(run.response.value.as_slice()).expect("response decodes");
    (r, run.gas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deai_auth::AuthRead;
    use deai_bank::BankRead;

    #[test]
    fn genesis_funds_numbered_accounts() {
        let a = [
            owner().address(),
            requester().address(),
            server(0).address(),
        ];
        let s = genesis(&a);
        for (i, addr) in a.iter().enumerate() {
            let acc = s.account(addr).unwrap().expect("account exists");
            assert_eq!((acc.account_number, acc.sequence), (i as u64, 0));
            assert_eq!(s.balance(addr, DENOM).unwrap(), FUNDS);
        }
        assert_ne!(server(0).address(), server(1).address());
    }
}
