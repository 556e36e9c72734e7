//! Property: random sequences of escrow operations, mints, burns and user sends never create
//! or lose tokens. After every step the balances sum to the total supply; a mint or burn moves
//! the supply by exactly its amount and nothing else does; each step has exactly the effect (or
//! the error) a plain model predicts, and a failed step writes nothing.

use std::collections::BTreeMap;

use proptest::prelude::*;

use deai_auth::{module_address, AuthRead, FEE_COLLECTOR};
use deai_framework::{sdk, Address, Coin, Coins, Event, MemStore, StateRead, TxError};

use crate::tests::{addr, run};
use crate::tests_escrow::{dump, store, BURNING, ESCROW, MINTING, TREASURY};
use crate::*;

const DENOMS: [&str; 2] = ["uatom", "udeai"];
const MODULES: [&str; 5] = [ESCROW, MINTING, BURNING, TREASURY, FEE_COLLECTOR];
const USERS: [u8; 3] = [1, 2, 3];

#[derive(Clone, Debug)]
enum Target {
    User(u8),
    Module(usize),
}

/// Amounts of (uatom, udeai); zero leaves the denom out.
type Amount = (u128, u128);

#[derive(Clone, Debug)]
enum Op {
    MsgSend(u8, Target, Amount),
    ToModule(u8, usize, Amount),
    FromModule(usize, Target, Amount),
    ModuleToModule(usize, usize, Amount),
    Mint(usize, Amount),
    Burn(usize, Amount),
}

fn amount() -> impl Strategy<Value = u128> + Clone {
    prop_oneof![
        6 => 0u128..1500,
        2 => Just(0u128),
        1 => Just(u128::MAX / 2),
        1 => (u128::MAX - 2000)..=u128::MAX,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let user = proptest::sample::select(USERS.to_vec());
    let module = 0..MODULES.len();
    let target = prop_oneof![
        user.clone().prop_map(Target::User),
        module.clone().prop_map(Target::Module)
    ];
    let amt = || (amount(), amount());
    prop_oneof![
        (user.clone(), target.clone(), amt()).prop_map(|(u, t, a)| Op::MsgSend(u, t, a)),
        (user, module.clone(), amt()).prop_map(|(u, m, a)| Op::ToModule(u, m, a)),
        (module.clone(), target, amt()).prop_map(|(m, t, a)| Op::FromModule(m, t, a)),
        (module.clone(), module.clone(), amt()).prop_map(|(f, t, a)| Op::ModuleToModule(f, t, a)),
        (module.clone(), amt()).prop_map(|(m, a)| Op::Mint(m, a)),
        (module, amt()).prop_map(|(m, a)| Op::Burn(m, a)),
    ]
}

fn coins_of((atom, deai): Amount) -> Coins {
    let mut v = Vec::new();
    for (denom, amount) in [("uatom", atom), ("udeai", deai)] {
        if amount > 0 {
            v.push(Coin {
                denom: denom.into(),
                amount,
            });
        }
    }
    Coins::new(v).unwrap()
}

fn target_addr(t: &Target) -> Address {
    match t {
        Target::User(u) => addr(*u),
        Target::Module(m) => module_address(MODULES[*m]),
    }
}

fn tracked() -> Vec<Address> {
    let mut v: Vec<Address> = USERS.iter().map(|u| addr(*u)).collect();
    v.extend(MODULES.iter().map(|m| module_address(m)));
    v
}

type Balances = BTreeMap<(Address, &'static str), u128>;

fn balances(s: &MemStore) -> Balances {
    let mut out = Balances::new();
    for a in tracked() {
        for d in DENOMS {
            out.insert((a.clone(), d), s.balance(&a, d).unwrap());
        }
    }
    out
}

/// Σ of every balance in the store, per denom (not only the tracked accounts').
fn sum_of_all_balances(s: &MemStore) -> BTreeMap<String, u128> {
    let prefix = state_key::all_balances();
    let end = deai_framework::keys::prefix_end(&prefix);
    let mut sums = BTreeMap::new();
    for (k, v) in s.scan(&prefix, end.as_deref(), false, usize::MAX).unwrap() {
        let rel = &k[prefix.len()..];
        let denom = String::from_utf8(rel[1 + usize::from(rel[0])..].to_vec()).unwrap();
        let amount = u128::from_be_bytes(v.as_slice().try_into().unwrap());
        let sum: &mut u128 = sums.entry(denom).or_default();
        *sum = sum
            .checked_add(amount)
            .expect("balances overflow the supply");
    }
    sums
}

/// What a step should do: an error, or these debits, credits and supply change.
struct Expect {
    err: Option<(&'static str, u32)>,
    from: Option<Address>,
    to: Option<Address>,
    supply: i8,
}

fn predict(s: &MemStore, op: &Op, c: &Coins) -> Expect {
    let blocked = |a: &Address| s.is_module_account(a).unwrap();
    let short = |a: &Address| c.iter().any(|x| s.balance(a, &x.denom).unwrap() < x.amount);
    // A credit overflows if the recipient's balance after the debit cannot take the amount.
    let overflows = |to: &Address, from: Option<&Address>| {
        c.iter().any(|x| {
            let have = s.balance(to, &x.denom).unwrap();
            let base = if from == Some(to) {
                have - x.amount
            } else {
                have
            };
            base.checked_add(x.amount).is_none()
        })
    };
    let has = |m: usize, perm: &str| {
        s.module_account(MODULES[m])
            .unwrap()
            .unwrap()
            .module
            .unwrap()
            .has_permission(perm)
    };
    let bank = |code| Some((MODULE_NAME, code));
    let transfer = |from: Address, to: Address, refuse_module: bool| {
        let err = if refuse_module && blocked(&to) {
            bank(ERR_BLOCKED_RECIPIENT)
        } else if short(&from) {
            Some((sdk::CODESPACE, sdk::INSUFFICIENT_FUNDS))
        } else if overflows(&to, Some(&from)) {
            Some((sdk::CODESPACE, sdk::OVERFLOW))
        } else {
            None
        };
        Expect {
            err,
            from: Some(from),
            to: Some(to),
            supply: 0,
        }
    };
    match op {
        Op::MsgSend(u, t, _) => transfer(addr(*u), target_addr(t), true),
        Op::ToModule(u, m, _) => transfer(addr(*u), module_address(MODULES[*m]), false),
        Op::FromModule(m, t, _) => transfer(module_address(MODULES[*m]), target_addr(t), true),
        Op::ModuleToModule(f, t, _) => transfer(
            module_address(MODULES[*f]),
            module_address(MODULES[*t]),
            false,
        ),
        Op::Mint(m, _) => {
            let to = module_address(MODULES[*m]);
            let supply_overflows = c.iter().any(|x| {
                s.supply_of(&x.denom)
                    .unwrap()
                    .checked_add(x.amount)
                    .is_none()
            });
            let err = if !has(*m, deai_auth::MINTER) {
                bank(ERR_MISSING_PERMISSION)
            } else if supply_overflows || overflows(&to, None) {
                Some((sdk::CODESPACE, sdk::OVERFLOW))
            } else {
                None
            };
            Expect {
                err,
                from: None,
                to: Some(to),
                supply: 1,
            }
        }
        Op::Burn(m, _) => {
            let from = module_address(MODULES[*m]);
            let err = if !has(*m, deai_auth::BURNER) {
                bank(ERR_MISSING_PERMISSION)
            } else if short(&from) {
                Some((sdk::CODESPACE, sdk::INSUFFICIENT_FUNDS))
            } else {
                None
            };
            Expect {
                err,
                from: Some(from),
                to: None,
                supply: -1,
            }
        }
    }
}

fn execute(s: &mut MemStore, op: &Op, c: &Coins) -> Result<Vec<Event>, TxError> {
    match op {
        Op::MsgSend(u, t, _) => {
            let msg = Send {
                from: addr(*u),
                to: target_addr(t),
                amount: c.clone(),
            };
            run(s, &msg).map(|()| Vec::new())
        }
        Op::ToModule(u, m, _) => s.send_to_module(&addr(*u), MODULES[*m], c),
        Op::FromModule(m, t, _) => s.send_from_module(MODULES[*m], &target_addr(t), c),
        Op::ModuleToModule(f, t, _) => s.send_module_to_module(MODULES[*f], MODULES[*t], c),
        Op::Mint(m, _) => s.mint(MODULES[*m], c),
        Op::Burn(m, _) => s.burn(MODULES[*m], c),
    }
}

fn amount_of(op: &Op) -> Amount {
    match op {
        Op::MsgSend(_, _, a)
        | Op::ToModule(_, _, a)
        | Op::FromModule(_, _, a)
        | Op::ModuleToModule(_, _, a)
        | Op::Mint(_, a)
        | Op::Burn(_, a) => *a,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn escrow_never_creates_or_loses_tokens(ops in proptest::collection::vec(op(), 1..40)) {
        let mut s = store();
        for op in &ops {
            let c = coins_of(amount_of(op));
            if c.is_empty() && matches!(op, Op::MsgSend(..)) {
                continue; // MsgSend's validate_basic refuses an empty amount.
            }
            let expect = predict(&s, op, &c);
            let before_state = dump(&s);
            let before = balances(&s);
            let supply_before: Vec<u128> =
                DENOMS.iter().map(|d| s.supply_of(d).unwrap()).collect();

            let result = execute(&mut s, op, &c);

            match (&result, expect.err) {
                (Err(e), Some(code)) => {
                    prop_assert_eq!((e.codespace, e.code), code, "{:?}: {}", op, e);
                    prop_assert!(dump(&s) == before_state, "{:?} failed but wrote", op);
                }
                (Ok(_), None) => {
                    let mut want = before.clone();
                    for x in c.iter() {
                        let d = DENOMS.iter().find(|d| **d == x.denom).copied().unwrap();
                        if let Some(f) = &expect.from {
                            let v = want.get_mut(&(f.clone(), d)).unwrap();
                            *v -= x.amount;
                        }
                        if let Some(t) = &expect.to {
                            let v = want.get_mut(&(t.clone(), d)).unwrap();
                            *v += x.amount;
                        }
                    }
                    prop_assert_eq!(balances(&s), want, "{:?}", op);
                    for (i, d) in DENOMS.iter().enumerate() {
                        let moved = c.amount_of(d);
                        let now = s.supply_of(d).unwrap();
                        let want = match expect.supply {
                            1 => supply_before[i] + moved,
                            -1 => supply_before[i] - moved,
                            _ => supply_before[i],
                        };
                        prop_assert_eq!(now, want, "supply of {} after {:?}", d, op);
                    }
                }
                (r, want) => prop_assert!(false, "{:?}: got {:?}, expected {:?}", op, r, want),
            }

            // Σ balances == supply, counting every balance in the store, and the tracked
            // accounts hold all of it.
            let sums = sum_of_all_balances(&s);
            let tracked_sums = balances(&s);
            for d in DENOMS {
                let supply = s.supply_of(d).unwrap();
                prop_assert_eq!(sums.get(d).copied().unwrap_or(0), supply, "{}", d);
                let tracked: u128 = tracked_sums
                    .iter()
                    .filter(|((_, dd), _)| *dd == d)
                    .map(|(_, v)| *v)
                    .sum();
                prop_assert_eq!(tracked, supply, "{}", d);
            }
        }
    }
}
