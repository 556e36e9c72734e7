//! Escrow through module accounts: the one way a market holds, pays out, mints and burns coins.
//! The `BankWrite` methods `send_to_module`, `send_from_module`, `send_module_to_module`, `mint`
//! and `burn` call these.
//!
//! Each operation computes every new balance and supply first (a [`Plan`]) and writes only
//! when all of them are valid, so a failed call writes nothing even where the caller does not
//! discard the state (a market that tries a payment and falls back on failure).

use std::collections::BTreeMap;

use deai_auth::{Account, AuthRead, AuthWrite, BURNER, MINTER};
use deai_framework::{sdk, Address, Coins, Event, StateRead, StateWrite, TxError};

use crate::error::BankError;
use crate::events::{self, transfer_events};
use crate::keeper::{BankRead, BankWrite};

/// Balance and supply changes, computed in full before any is written.
#[derive(Default)]
struct Plan {
    balances: BTreeMap<(Address, String), u128>,
    supply: BTreeMap<String, u128>,
}

impl Plan {
    fn balance<S: StateRead + ?Sized>(
        &self,
        s: &S,
        addr: &Address,
        denom: &str,
    ) -> Result<u128, TxError> {
        match self.balances.get(&(addr.clone(), denom.to_string())) {
            Some(v) => Ok(*v),
            None => s.balance(addr, denom),
        }
    }

    fn supply<S: StateRead + ?Sized>(&self, s: &S, denom: &str) -> Result<u128, TxError> {
        match self.supply.get(denom) {
            Some(v) => Ok(*v),
            None => s.supply_of(denom),
        }
    }

    fn debit<S: StateRead + ?Sized>(
        &mut self,
        s: &S,
        addr: &Address,
        coins: &Coins,
    ) -> Result<(), TxError> {
        for c in coins.iter() {
            let have = self.balance(s, addr, &c.denom)?;
            let left = have.checked_sub(c.amount).ok_or_else(|| {
                sdk::insufficient_funds(format!(
                    "spendable balance {have}{} is smaller than {c}",
                    c.denom
                ))
            })?;
            self.balances.insert((addr.clone(), c.denom.clone()), left);
        }
        Ok(())
    }

    fn credit<S: StateRead + ?Sized>(
        &mut self,
        s: &S,
        addr: &Address,
        coins: &Coins,
    ) -> Result<(), TxError> {
        for c in coins.iter() {
            let sum = self
                .balance(s, addr, &c.denom)?
                .checked_add(c.amount)
                .ok_or_else(|| sdk::overflow(format!("balance of {} overflows", c.denom)))?;
            self.balances.insert((addr.clone(), c.denom.clone()), sum);
        }
        Ok(())
    }

    fn inflate<S: StateRead + ?Sized>(&mut self, s: &S, coins: &Coins) -> Result<(), TxError> {
        for c in coins.iter() {
            let supply = self
                .supply(s, &c.denom)?
                .checked_add(c.amount)
                .ok_or_else(|| sdk::overflow(format!("supply of {} overflows", c.denom)))?;
            self.supply.insert(c.denom.clone(), supply);
        }
        Ok(())
    }

    fn deflate<S: StateRead + ?Sized>(&mut self, s: &S, coins: &Coins) -> Result<(), TxError> {
        for c in coins.iter() {
            // Every balance is counted in the supply, so a burnable amount is always there.
            let supply = self
                .supply(s, &c.denom)?
                .checked_sub(c.amount)
                .ok_or_else(|| sdk::internal(format!("supply of {} below balances", c.denom)))?;
            self.supply.insert(c.denom.clone(), supply);
        }
        Ok(())
    }

    fn apply<S: StateWrite + ?Sized>(self, s: &mut S) -> Result<(), TxError> {
        for ((addr, denom), amount) in self.balances {
            s.set_balance(&addr, &denom, amount)?;
        }
        for (denom, amount) in self.supply {
            s.set_supply(&denom, amount)?;
        }
        Ok(())
    }
}

/// The module account `module`; it must have been created (by its module's genesis).
fn module_account<S: StateRead + ?Sized>(s: &S, module: &str) -> Result<Account, TxError> {
    s.module_account(module)?.ok_or_else(|| {
        BankError::UnknownModuleAccount {
            module: module.to_string(),
        }
        .into()
    })
}

fn with_permission<S: StateRead + ?Sized>(
    s: &S,
    module: &str,
    permission: &str,
) -> Result<Address, TxError> {
    let account = module_account(s, module)?;
    if !account
        .module
        .as_ref()
        .is_some_and(|m| m.has_permission(permission))
    {
        return Err(BankError::MissingPermission {
            module: module.to_string(),
            permission: permission.to_string(),
        }
        .into());
    }
    Ok(account.address)
}

/// Moves coins between two accounts; `to` already exists or is created by the caller.
fn transfer<S: StateWrite + ?Sized>(
    s: &mut S,
    from: &Address,
    to: &Address,
    coins: &Coins,
) -> Result<Vec<Event>, TxError> {
    if coins.is_empty() {
        return Ok(Vec::new());
    }
    let mut plan = Plan::default();
    plan.debit(s, from, coins)?;
    plan.credit(s, to, coins)?;
    plan.apply(s)?;
    Ok(transfer_events(from, to, coins))
}

pub(crate) fn send_to_module<S: StateWrite + ?Sized>(
    s: &mut S,
    from: &Address,
    module: &str,
    coins: &Coins,
) -> Result<Vec<Event>, TxError> {
    let to = module_account(s, module)?.address;
    transfer(s, from, &to, coins)
}

pub(crate) fn send_from_module<S: StateWrite + ?Sized>(
    s: &mut S,
    module: &str,
    to: &Address,
    coins: &Coins,
) -> Result<Vec<Event>, TxError> {
    let from = module_account(s, module)?.address;
    // As in the SDK: a module pays another module only through send_module_to_module.
    if s.is_blocked_address(to)? {
        return Err(BankError::BlockedRecipient {
            address: to.clone(),
        }
        .into());
    }
    let events = transfer(s, &from, to, coins)?;
    if !events.is_empty() {
        s.ensure_account(to)?;
    }
    Ok(events)
}

pub(crate) fn send_module_to_module<S: StateWrite + ?Sized>(
    s: &mut S,
    from_module: &str,
    to_module: &str,
    coins: &Coins,
) -> Result<Vec<Event>, TxError> {
    let from = module_account(s, from_module)?.address;
    let to = module_account(s, to_module)?.address;
    transfer(s, &from, &to, coins)
}

pub(crate) fn mint<S: StateWrite + ?Sized>(
    s: &mut S,
    module: &str,
    coins: &Coins,
) -> Result<Vec<Event>, TxError> {
    let to = with_permission(s, module, MINTER)?;
    if coins.is_empty() {
        return Ok(Vec::new());
    }
    let mut plan = Plan::default();
    plan.inflate(s, coins)?;
    plan.credit(s, &to, coins)?;
    plan.apply(s)?;
    // The SDK's MintCoins: addCoins (coin_received), then the mint event.
    Ok(vec![
        events::coin_received(&to, coins),
        events::coinbase(&to, coins),
    ])
}

pub(crate) fn burn<S: StateWrite + ?Sized>(
    s: &mut S,
    module: &str,
    coins: &Coins,
) -> Result<Vec<Event>, TxError> {
    let from = with_permission(s, module, BURNER)?;
    if coins.is_empty() {
        return Ok(Vec::new());
    }
    let mut plan = Plan::default();
    plan.debit(s, &from, coins)?;
    plan.deflate(s, coins)?;
    plan.apply(s)?;
    // The SDK's BurnCoins: subUnlockedCoins (coin_spent), then the burn event.
    Ok(vec![
        events::coin_spent(&from, coins),
        events::burn(&from, coins),
    ])
}
