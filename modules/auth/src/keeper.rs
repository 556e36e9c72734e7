//! The auth keeper, as extension traits on any state. Other modules use these and never
//! build auth's keys themselves.

use crate::error::AuthError;
use deai_framework::{sdk, Address, StateRead, StateWrite, TxError};
use prost::Message;

use crate::account::{module_address, validate_module_name, validate_permissions};
use crate::account::{Account, ModuleInfo};
use crate::params::Params;
use crate::state_key;

pub trait AuthRead: StateRead {
    fn account(&self, addr: &Address) -> Result<Option<Account>, TxError> {
        self.get(&state_key::account(addr))?
            .map(|b| Account::decode(&b))
            .transpose()
    }

    fn auth_params(&self) -> Result<Params, TxError> {
        match self.get(&state_key::params())? {
            None => Ok(Params::default()),
            Some(b) => {
                let p = cosmos_sdk_proto::cosmos::auth::v1beta1::Params::decode(b.as_slice())
                    .map_err(|e| sdk::internal(format!("corrupt auth params: {e}")))?;
                Ok(Params::from_proto(p))
            }
        }
    }

    fn address_by_number(&self, number: u64) -> Result<Option<Address>, TxError> {
        self.get(&state_key::account_by_number(number))?
            .map(|b| Address::from_bytes(&b))
            .transpose()
    }

    /// The module account `name`, if it exists. An account at the module's address that is
    /// not a module account of that name is not it.
    fn module_account(&self, name: &str) -> Result<Option<Account>, TxError> {
        Ok(self
            .account(&module_address(name))?
            .filter(|a| a.module.as_ref().is_some_and(|m| m.name == name)))
    }

    /// Whether `addr` holds a module account (which plain transfers may not pay).
    fn is_module_account(&self, addr: &Address) -> Result<bool, TxError> {
        Ok(self.account(addr)?.is_some_and(|a| a.module.is_some()))
    }

    fn peek_next_account_number(&self) -> Result<u64, TxError> {
        match self.get(&state_key::next_account_number())? {
            None => Ok(0),
            Some(b) => {
                let arr: [u8; 8] = b
                    .as_slice()
                    .try_into()
                    .map_err(|_| sdk::internal("corrupt account number counter"))?;
                Ok(u64::from_be_bytes(arr))
            }
        }
    }
}

impl<T: StateRead + ?Sized> AuthRead for T {}

pub trait AuthWrite: StateWrite {
    /// Stores an account; the number and module-name indexes are written with it, in this
    /// one place. An index entry that the stored account already implies is not written
    /// again: every signed tx rewrites its signer's account (the sequence), and rewriting
    /// an unchanged index row still costs a tree update at commit.
    fn put_account(&mut self, account: &Account) -> Result<(), TxError> {
        let stored = self.account(&account.address)?;
        if stored
            .as_ref()
            .is_none_or(|s| s.account_number != account.account_number)
        {
            self.put(
                state_key::account_by_number(account.account_number),
                account.address.as_bytes().to_vec(),
            )?;
        }
        if let Some(m) = &account.module {
            let indexed = stored
                .as_ref()
                .and_then(|s| s.module.as_ref())
                .is_some_and(|s| s.name == m.name);
            if !indexed {
                self.put(
                    state_key::module_account_by_name(&m.name),
                    account.address.as_bytes().to_vec(),
                )?;
            }
        }
        self.put(state_key::account(&account.address), account.encode())
    }

    /// Creates an account with the next account number. Fails if it exists.
    fn create_account(&mut self, addr: &Address) -> Result<Account, TxError> {
        if self.account(addr)?.is_some() {
            return Err(AuthError::AccountExists {
                address: addr.clone(),
            }
            .into());
        }
        let number = self.peek_next_account_number()?;
        let next = number
            .checked_add(1)
            .ok_or_else(|| sdk::internal("account numbers exhausted"))?;
        self.put(
            state_key::next_account_number(),
            next.to_be_bytes().to_vec(),
        )?;
        let account = Account::new(addr.clone(), number);
        self.put_account(&account)?;
        Ok(account)
    }

    /// The account at `addr`, created if this is the first time the address is seen
    /// (as the SDK does when coins are sent to a new address).
    fn ensure_account(&mut self, addr: &Address) -> Result<Account, TxError> {
        match self.account(addr)? {
            Some(a) => Ok(a),
            None => self.create_account(addr),
        }
    }

    /// The module account `name`, created on first use. The permissions of an existing
    /// module account are kept.
    fn ensure_module_account(&mut self, name: &str) -> Result<Account, TxError> {
        validate_module_name(name)?;
        let addr = module_address(name);
        let mut account = self.ensure_account(&addr)?;
        if account.module.is_none() {
            account.module = Some(ModuleInfo {
                name: name.to_string(),
                permissions: Vec::new(),
            });
            self.put_account(&account)?;
        }
        Ok(account)
    }

    /// The module account `name` with exactly `permissions` (for example [`crate::MINTER`]),
    /// created if missing. A module calls this from its `init_genesis`: the code, like the
    /// SDK's `maccPerms`, is where a module's permissions are declared. From then on plain
    /// transfers to the account are refused and bank's module functions can use it.
    fn ensure_module_account_with(
        &mut self,
        name: &str,
        permissions: &[&str],
    ) -> Result<Account, TxError> {
        let permissions: Vec<String> = permissions.iter().map(|p| p.to_string()).collect();
        validate_permissions(&permissions)?;
        let mut account = self.ensure_module_account(name)?;
        let info = ModuleInfo {
            name: name.to_string(),
            permissions,
        };
        if account.module.as_ref() != Some(&info) {
            account.module = Some(info);
            self.put_account(&account)?;
        }
        Ok(account)
    }

    fn set_auth_params(&mut self, params: &Params) -> Result<(), TxError> {
        params.validate()?;
        self.put(state_key::params(), params.to_proto().encode_to_vec())
    }
}

impl<T: StateWrite + ?Sized> AuthWrite for T {}

#[cfg(test)]
mod tests {
    use deai_framework::{Delta, MemStore};

    use super::*;

    /// Failed before the change: every `put_account` rewrote the account-number index, so a
    /// sequence bump (each signed tx) wrote two keys instead of one.
    #[test]
    fn a_sequence_bump_writes_the_account_row_alone() {
        let mut base = MemStore::new();
        let addr = Address::from_bytes(&[4; 20]).unwrap();
        let mut account = base.create_account(&addr).unwrap();
        base.ensure_module_account("escrow").unwrap();

        let mut delta = Delta::new(&base);
        account.sequence += 1;
        delta.put_account(&account).unwrap();
        let mut module = delta.module_account("escrow").unwrap().unwrap();
        module.sequence += 1;
        delta.put_account(&module).unwrap();
        let mut expected = vec![
            state_key::account(&module.address),
            state_key::account(&addr),
        ];
        expected.sort();
        let keys: Vec<_> = delta.writes().keys().cloned().collect();
        assert_eq!(keys, expected);
        assert_eq!(delta.account(&addr).unwrap().unwrap().sequence, 1);

        // A new number, or a new module name, still updates its index.
        account.account_number = 77;
        delta.put_account(&account).unwrap();
        assert_eq!(delta.address_by_number(77).unwrap(), Some(addr.clone()));
        let fresh = delta.create_account(&Address::module("later")).unwrap();
        assert_eq!(
            delta.address_by_number(fresh.account_number).unwrap(),
            Some(fresh.address.clone())
        );
        delta.ensure_module_account("later").unwrap();
        assert_eq!(
            delta
                .get(&state_key::module_account_by_name("later"))
                .unwrap(),
            Some(fresh.address.as_bytes().to_vec())
        );
    }
}
