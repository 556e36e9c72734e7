//! Escrow through module accounts: unit tests on a temporary store.

use cosmos_sdk_proto::cosmos::bank::v1beta1 as pb;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use deai_auth::{module_address, AuthModule, AuthRead, AuthWrite, BURNER, FEE_COLLECTOR, MINTER};
use deai_framework::{sdk, Coins, Event, MemStore, Module, StateRead, TxError};

use crate::tests::{addr, run};
use crate::*;

/// A module account without permissions (a market's escrow).
pub(crate) const ESCROW: &str = "escrow";
pub(crate) const MINTING: &str = "minting";
pub(crate) const BURNING: &str = "burning";
/// Both permissions.
pub(crate) const TREASURY: &str = "treasury";

pub(crate) fn coins(s: &str) -> Coins {
    Coins::parse(s).unwrap()
}

/// addr(1) holds 1000udeai and 5uatom, addr(2) 10udeai; the four modules hold nothing.
pub(crate) fn store() -> MemStore {
    let mut s = MemStore::new();
    AuthModule
        .init_genesis(&mut s, &serde_json::json!({}))
        .unwrap();
    BankModule
        .init_genesis(
            &mut s,
            &serde_json::json!({"balances": [
                {"address": addr(1).to_bech32(), "coins": [{"denom":"uatom","amount":"5"},
                                                            {"denom":"udeai","amount":"1000"}]},
                {"address": addr(2).to_bech32(), "coins": [{"denom":"udeai","amount":"10"}]}
            ]}),
        )
        .unwrap();
    s.ensure_module_account_with(ESCROW, &[]).unwrap();
    s.ensure_module_account_with(MINTING, &[MINTER]).unwrap();
    s.ensure_module_account_with(BURNING, &[BURNER]).unwrap();
    s.ensure_module_account_with(TREASURY, &[MINTER, BURNER])
        .unwrap();
    s
}

/// Every key and value, to show that a failed call wrote nothing.
pub(crate) fn dump(s: &MemStore) -> Vec<(Vec<u8>, Vec<u8>)> {
    s.scan(&[], None, false, usize::MAX).unwrap()
}

fn bank_code(e: &TxError) -> (&'static str, u32) {
    (e.codespace, e.code)
}

fn event(kind: &str, attrs: &[(&str, String)]) -> Event {
    attrs
        .iter()
        .fold(Event::new(kind), |e, (k, v)| e.attr(*k, v))
}

#[test]
fn send_to_module_escrows_without_changing_supply() {
    let mut s = store();
    let m = module_address(ESCROW);
    let events = s
        .send_to_module(&addr(1), ESCROW, &coins("300udeai,2uatom"))
        .unwrap();
    assert_eq!(s.balance(&addr(1), "udeai").unwrap(), 700);
    assert_eq!(s.balance(&addr(1), "uatom").unwrap(), 3);
    assert_eq!(s.module_balance(ESCROW, "udeai").unwrap(), 300);
    assert_eq!(s.balance(&m, "uatom").unwrap(), 2);
    assert_eq!(s.supply_of("udeai").unwrap(), 1010);
    assert_eq!(s.supply_of("uatom").unwrap(), 5);
    let amount = "2uatom,300udeai".to_string();
    assert_eq!(
        events,
        vec![
            event(
                "coin_spent",
                &[("spender", addr(1).to_bech32()), ("amount", amount.clone())]
            ),
            event(
                "coin_received",
                &[("receiver", m.to_bech32()), ("amount", amount.clone())]
            ),
            event(
                "transfer",
                &[
                    ("recipient", m.to_bech32()),
                    ("sender", addr(1).to_bech32()),
                    ("amount", amount)
                ]
            ),
        ]
    );
}

#[test]
fn send_from_module_pays_out_and_creates_the_recipient() {
    let mut s = store();
    s.send_to_module(&addr(1), ESCROW, &coins("300udeai"))
        .unwrap();
    assert!(s.account(&addr(9)).unwrap().is_none());
    let events = s
        .send_from_module(ESCROW, &addr(9), &coins("120udeai"))
        .unwrap();
    assert_eq!(s.module_balance(ESCROW, "udeai").unwrap(), 180);
    assert_eq!(s.balance(&addr(9), "udeai").unwrap(), 120);
    assert!(s.account(&addr(9)).unwrap().is_some());
    assert_eq!(s.supply_of("udeai").unwrap(), 1010);
    let m = module_address(ESCROW).to_bech32();
    assert_eq!(
        events[2],
        event(
            "transfer",
            &[
                ("recipient", addr(9).to_bech32()),
                ("sender", m.clone()),
                ("amount", "120udeai".into())
            ]
        )
    );
    assert_eq!(events[0].attributes[0], ("spender".into(), m));
}

#[test]
fn send_from_module_refuses_a_module_recipient() {
    let mut s = store();
    s.send_to_module(&addr(1), ESCROW, &coins("300udeai"))
        .unwrap();
    let before = dump(&s);
    let err = s
        .send_from_module(ESCROW, &module_address(TREASURY), &coins("1udeai"))
        .unwrap_err();
    assert_eq!(bank_code(&err), (MODULE_NAME, ERR_BLOCKED_RECIPIENT));
    assert!(err.log.contains("is not allowed to receive funds"));
    assert_eq!(dump(&s), before);
    s.send_module_to_module(ESCROW, TREASURY, &coins("1udeai"))
        .unwrap();
    assert_eq!(s.module_balance(TREASURY, "udeai").unwrap(), 1);
}

#[test]
fn send_module_to_module_moves_coins_between_modules() {
    let mut s = store();
    s.send_to_module(&addr(1), ESCROW, &coins("300udeai"))
        .unwrap();
    let events = s
        .send_module_to_module(ESCROW, FEE_COLLECTOR, &coins("30udeai"))
        .unwrap();
    assert_eq!(s.module_balance(ESCROW, "udeai").unwrap(), 270);
    assert_eq!(s.module_balance(FEE_COLLECTOR, "udeai").unwrap(), 30);
    assert_eq!(s.supply_of("udeai").unwrap(), 1010);
    assert_eq!(
        events[2],
        event(
            "transfer",
            &[
                ("recipient", module_address(FEE_COLLECTOR).to_bech32()),
                ("sender", module_address(ESCROW).to_bech32()),
                ("amount", "30udeai".into())
            ]
        )
    );
    // To itself: checked, and changes nothing.
    s.send_module_to_module(ESCROW, ESCROW, &coins("270udeai"))
        .unwrap();
    assert_eq!(s.module_balance(ESCROW, "udeai").unwrap(), 270);
    let err = s
        .send_module_to_module(ESCROW, ESCROW, &coins("271udeai"))
        .unwrap_err();
    assert_eq!(err.code, sdk::INSUFFICIENT_FUNDS);
}

#[test]
fn unknown_module_accounts_are_an_error() {
    let mut s = store();
    let before = dump(&s);
    let one = coins("1udeai");
    let errs = [
        s.send_to_module(&addr(1), "nobody", &one).unwrap_err(),
        s.send_from_module("nobody", &addr(1), &one).unwrap_err(),
        s.send_module_to_module(ESCROW, "nobody", &one).unwrap_err(),
        s.send_module_to_module("nobody", ESCROW, &one).unwrap_err(),
        s.mint("nobody", &one).unwrap_err(),
        s.burn("nobody", &one).unwrap_err(),
    ];
    for e in errs {
        assert_eq!(
            bank_code(&e),
            (MODULE_NAME, ERR_UNKNOWN_MODULE_ACCOUNT),
            "{e}"
        );
    }
    // A base account at a module's address is not its module account.
    s.create_account(&module_address("nobody")).unwrap();
    let e = s.send_to_module(&addr(1), "nobody", &one).unwrap_err();
    assert_eq!(e.code, ERR_UNKNOWN_MODULE_ACCOUNT);
    assert_eq!(s.balance(&addr(1), "udeai").unwrap(), 1000);
    assert!(before.len() < dump(&s).len());
}

#[test]
fn mint_needs_the_minter_permission_and_raises_supply_exactly() {
    let mut s = store();
    let before = dump(&s);
    for module in [ESCROW, BURNING] {
        let err = s.mint(module, &coins("7udeai")).unwrap_err();
        assert_eq!(bank_code(&err), (MODULE_NAME, ERR_MISSING_PERMISSION));
        assert!(err.log.contains("minter"), "{}", err.log);
    }
    assert_eq!(dump(&s), before);
    let events = s.mint(MINTING, &coins("7udeai,3unew")).unwrap();
    assert_eq!(s.module_balance(MINTING, "udeai").unwrap(), 7);
    assert_eq!(s.module_balance(MINTING, "unew").unwrap(), 3);
    assert_eq!(s.supply_of("udeai").unwrap(), 1017);
    assert_eq!(s.supply_of("unew").unwrap(), 3);
    let m = module_address(MINTING).to_bech32();
    let amount = "7udeai,3unew".to_string();
    assert_eq!(
        events,
        vec![
            event(
                "coin_received",
                &[("receiver", m.clone()), ("amount", amount.clone())]
            ),
            event("coinbase", &[("minter", m), ("amount", amount)]),
        ]
    );
    s.mint(TREASURY, &coins("1udeai")).unwrap();
    assert_eq!(s.supply_of("udeai").unwrap(), 1018);
}

#[test]
fn burn_needs_the_burner_permission_and_lowers_supply_exactly() {
    let mut s = store();
    for module in [ESCROW, MINTING, BURNING] {
        s.send_to_module(&addr(1), module, &coins("100udeai"))
            .unwrap();
    }
    let before = dump(&s);
    for module in [ESCROW, MINTING] {
        let err = s.burn(module, &coins("7udeai")).unwrap_err();
        assert_eq!(bank_code(&err), (MODULE_NAME, ERR_MISSING_PERMISSION));
        assert!(err.log.contains("burner"), "{}", err.log);
    }
    assert_eq!(dump(&s), before);
    let events = s.burn(BURNING, &coins("40udeai")).unwrap();
    assert_eq!(s.module_balance(BURNING, "udeai").unwrap(), 60);
    assert_eq!(s.supply_of("udeai").unwrap(), 970);
    let m = module_address(BURNING).to_bech32();
    assert_eq!(
        events,
        vec![
            event(
                "coin_spent",
                &[("spender", m.clone()), ("amount", "40udeai".into())]
            ),
            event("burn", &[("burner", m), ("amount", "40udeai".into())]),
        ]
    );
    // Burning all of a denom removes it from the supply.
    s.mint(TREASURY, &coins("9uold")).unwrap();
    s.burn(TREASURY, &coins("9uold")).unwrap();
    assert_eq!(s.supply_of("uold").unwrap(), 0);
    assert_eq!(s.module_balance(TREASURY, "uold").unwrap(), 0);
}

#[test]
fn insufficient_funds_write_nothing() {
    let mut s = store();
    s.send_to_module(&addr(1), BURNING, &coins("100udeai"))
        .unwrap();
    let before = dump(&s);
    // The first denom is affordable, the second is not: neither moves.
    let cases = [
        s.send_to_module(&addr(1), ESCROW, &coins("6uatom,1udeai"))
            .unwrap_err(),
        s.send_to_module(&addr(3), ESCROW, &coins("1udeai"))
            .unwrap_err(),
        s.send_from_module(BURNING, &addr(2), &coins("1uatom,1udeai"))
            .unwrap_err(),
        s.send_module_to_module(BURNING, ESCROW, &coins("101udeai"))
            .unwrap_err(),
        s.burn(BURNING, &coins("101udeai")).unwrap_err(),
    ];
    for e in cases {
        assert_eq!(e.code, sdk::INSUFFICIENT_FUNDS, "{e}");
    }
    assert_eq!(dump(&s), before);
}

#[test]
fn overflow_is_an_error_that_writes_nothing() {
    let mut s = store();
    let max = format!("{}udeai", u128::MAX - 1010);
    s.mint(MINTING, &coins(&max)).unwrap();
    assert_eq!(s.supply_of("udeai").unwrap(), u128::MAX);
    let before = dump(&s);
    let err = s.mint(TREASURY, &coins("1udeai,1uatom")).unwrap_err();
    assert_eq!(err.code, sdk::OVERFLOW);
    assert_eq!(dump(&s), before);
    // A balance cannot pass the supply, so only a corrupt state could overflow one; the
    // check is there all the same.
    s.set_balance(&module_address(ESCROW), "uatom", u128::MAX)
        .unwrap();
    let before = dump(&s);
    let err = s
        .send_to_module(&addr(1), ESCROW, &coins("1uatom"))
        .unwrap_err();
    assert_eq!(err.code, sdk::OVERFLOW);
    assert_eq!(dump(&s), before);
}

#[test]
fn moving_nothing_is_a_no_op_but_still_checked() {
    let mut s = store();
    let before = dump(&s);
    let none = Coins::empty();
    assert!(s
        .send_to_module(&addr(1), ESCROW, &none)
        .unwrap()
        .is_empty());
    assert!(s
        .send_from_module(ESCROW, &addr(8), &none)
        .unwrap()
        .is_empty());
    assert!(s
        .send_module_to_module(ESCROW, MINTING, &none)
        .unwrap()
        .is_empty());
    assert!(s.mint(MINTING, &none).unwrap().is_empty());
    assert!(s.burn(BURNING, &none).unwrap().is_empty());
    assert_eq!(dump(&s), before);
    assert_eq!(
        s.mint(ESCROW, &none).unwrap_err().code,
        ERR_MISSING_PERMISSION
    );
    assert_eq!(
        s.burn(ESCROW, &none).unwrap_err().code,
        ERR_MISSING_PERMISSION
    );
    let err = s
        .send_from_module(ESCROW, &module_address(MINTING), &none)
        .unwrap_err();
    assert_eq!(err.code, ERR_BLOCKED_RECIPIENT);
}

fn msg_send(to: &deai_framework::Address, amount: &str) -> Send {
    Send::try_from(pb::MsgSend {
        from_address: addr(1).to_bech32(),
        to_address: to.to_bech32(),
        amount: vec![ProtoCoin {
            denom: "udeai".into(),
            amount: amount.into(),
        }],
    })
    .unwrap()
}

#[test]
fn msg_send_to_a_module_account_is_refused() {
    let mut s = store();
    for module in [ESCROW, TREASURY, FEE_COLLECTOR] {
        let before = dump(&s);
        let err = run(&mut s, &msg_send(&module_address(module), "5")).unwrap_err();
        assert_eq!(bank_code(&err), (MODULE_NAME, ERR_BLOCKED_RECIPIENT));
        assert_eq!(
            err.log,
            format!("{} is not allowed to receive funds", module_address(module))
        );
        assert_eq!(dump(&s), before);
    }
    let out = |to: &deai_framework::Address, amount: &str| pb::Output {
        address: to.to_bech32(),
        coins: vec![ProtoCoin {
            denom: "udeai".into(),
            amount: amount.into(),
        }],
    };
    let multi = MultiSend::try_from(pb::MsgMultiSend {
        inputs: vec![pb::Input {
            address: addr(1).to_bech32(),
            coins: vec![ProtoCoin {
                denom: "udeai".into(),
                amount: "8".into(),
            }],
        }],
        outputs: vec![out(&addr(3), "3"), out(&module_address(ESCROW), "5")],
    })
    .unwrap();
    let before = dump(&s);
    let err = run(&mut s, &multi).unwrap_err();
    assert_eq!(bank_code(&err), (MODULE_NAME, ERR_BLOCKED_RECIPIENT));
    assert_eq!(dump(&s), before);
    // Users still pay each other, and the module functions still reach the module.
    run(&mut s, &msg_send(&addr(3), "5")).unwrap();
    s.send_to_module(&addr(1), ESCROW, &coins("5udeai"))
        .unwrap();
    assert_eq!(s.module_balance(ESCROW, "udeai").unwrap(), 5);
    assert!(s.is_blocked_address(&module_address(ESCROW)).unwrap());
    assert!(!s.is_blocked_address(&addr(3)).unwrap());
}
