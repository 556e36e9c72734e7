//! The bank keeper, as extension traits on any state. Balances are only changed here.
//!
//! Markets escrow through module accounts with `send_to_module`, `send_from_module`,
//! `send_module_to_module`, `mint` and `burn` (see `escrow.rs`). Like `send_coins`, each returns
//! the SDK's events for the caller to emit (`ctx.events.extend(events)`), keeps the total
//! supply exact and writes nothing when it fails.

use cosmos_sdk_proto::cosmos::bank::v1beta1::Metadata;
use prost::Message;

use deai_auth::{module_address, AuthRead, AuthWrite};
use deai_framework::keys::prefix_end;
use deai_framework::{sdk, Address, Coin, Coins, Event, StateRead, StateWrite, TxError};

use crate::events::{self, transfer_events};
use crate::metadata::DenomMetadata;
use crate::params::Params;
use crate::state_key;

fn decode_u128(bytes: &[u8]) -> Result<u128, TxError> {
    let arr: [u8; 16] = bytes
        .try_into()
        .map_err(|_| sdk::internal("corrupt amount in bank state"))?;
    Ok(u128::from_be_bytes(arr))
}

pub trait BankRead: StateRead {
    fn balance(&self, addr: &Address, denom: &str) -> Result<u128, TxError> {
        self.get(&state_key::balance(addr, denom))?
            .map_or(Ok(0), |b| decode_u128(&b))
    }

    /// Up to `limit` balances of `addr`, in denom order.
    fn balances(&self, addr: &Address, limit: usize) -> Result<Coins, TxError> {
        let prefix = state_key::balances_of(addr);
        let end = prefix_end(&prefix);
        let coins = self
            .scan(&prefix, end.as_deref(), false, limit)?
            .into_iter()
            .map(|(k, v)| {
                let denom = String::from_utf8(k[prefix.len()..].to_vec())
                    .map_err(|_| sdk::internal("corrupt denom in bank state"))?;
                Ok(Coin {
                    denom,
                    amount: decode_u128(&v)?,
                })
            })
            .collect::<Result<Vec<_>, TxError>>()?;
        Coins::new(coins)
    }

    /// The balance of module `module`'s account.
    fn module_balance(&self, module: &str, denom: &str) -> Result<u128, TxError> {
        self.balance(&module_address(module), denom)
    }

    /// Whether plain transfers (MsgSend, MsgMultiSend, `send_from_module`) to `addr` are
    /// refused: it holds a module account (the SDK's `BlockedAddr`).
    fn is_blocked_address(&self, addr: &Address) -> Result<bool, TxError> {
        self.is_module_account(addr)
    }

    fn supply_of(&self, denom: &str) -> Result<u128, TxError> {
        self.get(&state_key::supply(denom))?
            .map_or(Ok(0), |b| decode_u128(&b))
    }

    fn bank_params(&self) -> Result<Params, TxError> {
        let default_send_enabled = match self.get(&state_key::params())? {
            None => true,
            Some(b) => b.first() == Some(&1),
        };
        Ok(Params {
            send_enabled: Vec::new(),
            default_send_enabled,
        })
    }

    /// The per-denom switch, or None when the default applies.
    fn send_enabled_entry(&self, denom: &str) -> Result<Option<bool>, TxError> {
        Ok(self
            .get(&state_key::send_enabled(denom))?
            .map(|b| b.first() == Some(&1)))
    }

    fn is_send_enabled(&self, denom: &str) -> Result<bool, TxError> {
        match self.send_enabled_entry(denom)? {
            Some(e) => Ok(e),
            None => Ok(self.bank_params()?.default_send_enabled),
        }
    }

    fn denom_metadata(&self, denom: &str) -> Result<Option<DenomMetadata>, TxError> {
        self.get(&state_key::metadata(denom))?
            .map(|b| {
                Metadata::decode(b.as_slice())
                    .map(DenomMetadata::from_proto)
                    .map_err(|e| sdk::internal(format!("corrupt metadata: {e}")))
            })
            .transpose()
    }
}

impl<T: StateRead + ?Sized> BankRead for T {}

pub trait BankWrite: StateWrite {
    fn set_balance(&mut self, addr: &Address, denom: &str, amount: u128) -> Result<(), TxError> {
        let key = state_key::balance(addr, denom);
        if amount == 0 {
            self.delete(key)
        } else {
            self.put(key, amount.to_be_bytes().to_vec())
        }
    }

    fn sub_coins(&mut self, addr: &Address, coins: &Coins) -> Result<(), TxError> {
        for c in coins.iter() {
            let have = self.balance(addr, &c.denom)?;
            let left = have.checked_sub(c.amount).ok_or_else(|| {
                sdk::insufficient_funds(format!(
                    "spendable balance {have}{} is smaller than {c}",
                    c.denom
                ))
            })?;
            self.set_balance(addr, &c.denom, left)?;
        }
        Ok(())
    }

    fn add_coins(&mut self, addr: &Address, coins: &Coins) -> Result<(), TxError> {
        for c in coins.iter() {
            let have = self.balance(addr, &c.denom)?;
            let sum = have
                .checked_add(c.amount)
                .ok_or_else(|| sdk::overflow(format!("balance of {} overflows", c.denom)))?;
            self.set_balance(addr, &c.denom, sum)?;
        }
        Ok(())
    }

    /// Moves coins between accounts, creating the recipient's account if it is new.
    /// Returns the events to emit.
    fn send_coins(
        &mut self,
        from: &Address,
        to: &Address,
        coins: &Coins,
    ) -> Result<Vec<Event>, TxError> {
        self.sub_coins(from, coins)?;
        self.add_coins(to, coins)?;
        self.ensure_account(to)?;
        Ok(transfer_events(from, to, coins))
    }

    /// Creates coins in `to` and raises the supply. Only the chain's own logic calls this.
    fn mint_coins(&mut self, to: &Address, coins: &Coins) -> Result<Vec<Event>, TxError> {
        for c in coins.iter() {
            let supply = self
                .supply_of(&c.denom)?
                .checked_add(c.amount)
                .ok_or_else(|| sdk::overflow(format!("supply of {} overflows", c.denom)))?;
            self.put(state_key::supply(&c.denom), supply.to_be_bytes().to_vec())?;
        }
        self.add_coins(to, coins)?;
        self.ensure_account(to)?;
        Ok(vec![
            events::coinbase(to, coins),
            events::coin_received(to, coins),
        ])
    }

    /// Moves coins from an account into module `module`'s account (escrow in).
    /// Fails with bank code 12 if the module has no account.
    fn send_to_module(
        &mut self,
        from: &Address,
        module: &str,
        coins: &Coins,
    ) -> Result<Vec<Event>, TxError> {
        crate::escrow::send_to_module(self, from, module, coins)
    }

    /// Pays coins out of module `module`'s account, creating the recipient's account if it is
    /// new. A module account recipient is refused (bank code 10): use `send_module_to_module`.
    fn send_from_module(
        &mut self,
        module: &str,
        to: &Address,
        coins: &Coins,
    ) -> Result<Vec<Event>, TxError> {
        crate::escrow::send_from_module(self, module, to, coins)
    }

    /// Moves coins between two module accounts.
    fn send_module_to_module(
        &mut self,
        from_module: &str,
        to_module: &str,
        coins: &Coins,
    ) -> Result<Vec<Event>, TxError> {
        crate::escrow::send_module_to_module(self, from_module, to_module, coins)
    }

    /// Creates coins in module `module`'s account and raises the supply by exactly them.
    /// The module needs the `minter` permission (bank code 11 otherwise).
    fn mint(&mut self, module: &str, coins: &Coins) -> Result<Vec<Event>, TxError> {
        crate::escrow::mint(self, module, coins)
    }

    /// Destroys coins held by module `module`'s account and lowers the supply by exactly them.
    /// The module needs the `burner` permission (bank code 11 otherwise).
    fn burn(&mut self, module: &str, coins: &Coins) -> Result<Vec<Event>, TxError> {
        crate::escrow::burn(self, module, coins)
    }

    fn set_supply(&mut self, denom: &str, amount: u128) -> Result<(), TxError> {
        let key = state_key::supply(denom);
        if amount == 0 {
            self.delete(key)
        } else {
            self.put(key, amount.to_be_bytes().to_vec())
        }
    }

    fn set_denom_metadata(&mut self, meta: &DenomMetadata) -> Result<(), TxError> {
        meta.validate()?;
        self.put(
            state_key::metadata(&meta.base),
            meta.to_proto().encode_to_vec(),
        )
    }

    fn set_send_enabled(&mut self, denom: &str, enabled: bool) -> Result<(), TxError> {
        self.put(state_key::send_enabled(denom), vec![u8::from(enabled)])
    }

    fn set_bank_params(&mut self, params: &Params) -> Result<(), TxError> {
        if !params.send_enabled.is_empty() {
            return Err(sdk::invalid_request(
                "params.send_enabled is deprecated; use the top-level send_enabled list",
            ));
        }
        self.put(
            state_key::params(),
            vec![u8::from(params.default_send_enabled)],
        )
    }
}

impl<T: StateWrite + ?Sized> BankWrite for T {}
