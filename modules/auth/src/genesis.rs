//! auth genesis in the Cosmos JSON shape (`app_state.auth`).

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use deai_framework::{sdk, Address, StateRead, StateWrite, TxError};

use crate::account::{module_address, validate_module_name, validate_permissions};
use crate::account::{Account, ModuleInfo, SECP256K1_PUBKEY_URL};
use crate::keeper::{AuthRead, AuthWrite};
use crate::params::{u64_string, Params};
use crate::{state_key, FEE_COLLECTOR};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Params,
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    /// Who may change the params with MsgUpdateParams (a deai extension of the SDK's
    /// shape); default: the gov module's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "@type")]
pub enum GenesisAccount {
    #[serde(rename = "/cosmos.auth.v1beta1.BaseAccount")]
    Base(JsonBaseAccount),
    #[serde(rename = "/cosmos.auth.v1beta1.ModuleAccount")]
    Module {
        base_account: JsonBaseAccount,
        name: String,
        #[serde(default)]
        permissions: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonBaseAccount {
    pub address: String,
    pub pub_key: Option<JsonPubKey>,
    #[serde(with = "u64_string")]
    pub account_number: u64,
    #[serde(with = "u64_string")]
    pub sequence: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonPubKey {
    #[serde(rename = "@type")]
    pub type_url: String,
    pub key: String,
}

impl GenesisAccount {
    fn to_account(&self) -> Result<Account, TxError> {
        let (base, module) = match self {
            GenesisAccount::Base(b) => (b, None),
            GenesisAccount::Module {
                base_account,
                name,
                permissions,
            } => (
                base_account,
                Some(ModuleInfo {
                    name: name.clone(),
                    permissions: permissions.clone(),
                }),
            ),
        };
        let pub_key = match &base.pub_key {
            None => None,
            Some(pk) if pk.type_url == SECP256K1_PUBKEY_URL => {
                let key = B64
                    .decode(&pk.key)
                    .map_err(|e| sdk::invalid_pubkey(format!("bad base64 public key: {e}")))?;
                // A compressed secp256k1 point, as the SDK's PubKey requires (33 bytes,
                // 0x02/0x03 prefix), deriving the account's address (BaseAccount.Validate).
                if key.len() != 33 || !matches!(key[0], 2 | 3) {
                    return Err(sdk::invalid_pubkey(format!(
                        "genesis account {}: secp256k1 public keys are 33 bytes, compressed; got {} bytes",
                        base.address,
                        key.len()
                    )));
                }
                if crate::account::pubkey_address(&key) != Address::from_bech32(&base.address)? {
                    return Err(sdk::invalid_pubkey(format!(
                        "genesis account {}: the public key's address is {}",
                        base.address,
                        crate::account::pubkey_address(&key)
                    )));
                }
                Some(key)
            }
            Some(pk) => {
                return Err(sdk::invalid_pubkey(format!(
                    "unsupported key type {}",
                    pk.type_url
                )))
            }
        };
        let address = Address::from_bech32(&base.address)?;
        if let Some(m) = &module {
            // The SDK's ModuleAccount.Validate: a valid name that derives the address.
            validate_module_name(&m.name)?;
            validate_permissions(&m.permissions)?;
            if address != module_address(&m.name) {
                return Err(AuthError::ModuleAddressMismatch {
                    name: m.name.clone(),
                    address,
                }
                .into());
            }
        }
        Ok(Account {
            address,
            pub_key,
            account_number: base.account_number,
            sequence: base.sequence,
            module,
        })
    }

    pub fn from_account(a: &Account) -> Self {
        let base = JsonBaseAccount {
            address: a.address.to_bech32(),
            pub_key: a.pub_key.as_ref().map(|k| JsonPubKey {
                type_url: SECP256K1_PUBKEY_URL.to_string(),
                key: B64.encode(k),
            }),
            account_number: a.account_number,
            sequence: a.sequence,
        };
        match &a.module {
            None => GenesisAccount::Base(base),
            Some(m) => GenesisAccount::Module {
                base_account: base,
                name: m.name.clone(),
                permissions: m.permissions.clone(),
            },
        }
    }
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let genesis: GenesisState = serde_json::from_value(json.clone())
        .map_err(|e| sdk::invalid_request(format!("invalid auth genesis: {e}")))?;
    state.set_auth_params(&genesis.params)?;
    deai_framework::authority::init(state, &state_key::authority(), genesis.authority.as_deref())?;
    let mut next = 0u64;
    for ga in &genesis.accounts {
        let account = ga.to_account()?;
        if state.account(&account.address)?.is_some() {
            return Err(sdk::invalid_request(format!(
                "duplicate genesis account {}",
                account.address
            )));
        }
        if state.address_by_number(account.account_number)?.is_some() {
            return Err(sdk::invalid_request(format!(
                "duplicate account number {}",
                account.account_number
            )));
        }
        state.put_account(&account)?;
        next = next.max(account.account_number.saturating_add(1));
    }
    state.put(
        state_key::next_account_number(),
        next.to_be_bytes().to_vec(),
    )?;
    state.ensure_module_account(FEE_COLLECTOR)?;
    Ok(())
}

pub fn export(state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let prefix = state_key::accounts_prefix();
    let end = deai_framework::keys::prefix_end(&prefix);
    let mut accounts = state
        .scan(&prefix, end.as_deref(), false, usize::MAX)?
        .iter()
        .map(|(_, v)| Account::decode(v))
        .collect::<Result<Vec<_>, _>>()?;
    // The SDK sanitizes exported accounts into account-number order.
    accounts.sort_by_key(|a| a.account_number);
    let genesis = GenesisState {
        params: state.auth_params()?,
        accounts: accounts.iter().map(GenesisAccount::from_account).collect(),
        authority: Some(
            deai_framework::authority::get(state, &state_key::authority())?.to_bech32(),
        ),
    };
    serde_json::to_value(genesis).map_err(|e| sdk::internal(format!("export auth genesis: {e}")))
}

/// An account in the Cosmos JSON shape (`{"@type": ..., "address": ..., ...}`).
pub fn account_json(a: &Account) -> serde_json::Value {
    serde_json::to_value(GenesisAccount::from_account(a)).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use deai_framework::MemStore;

    #[test]
    fn genesis_round_trips_exactly() {
        let addr = crate::account::pubkey_address(&[2u8; 33]);
        let json = serde_json::json!({
            "params": {"max_memo_characters":"256","tx_sig_limit":"7","tx_size_cost_per_byte":"10",
                       "sig_verify_cost_ed25519":"590","sig_verify_cost_secp256k1":"1000"},
            "accounts": [
                {"@type":"/cosmos.auth.v1beta1.BaseAccount","address": addr.to_bech32(),
                 "pub_key": {"@type":"/cosmos.crypto.secp256k1.PubKey","key": B64.encode([2u8;33])},
                 "account_number":"0","sequence":"4"},
                {"@type":"/cosmos.auth.v1beta1.ModuleAccount",
                 "base_account":{"address": Address::module(FEE_COLLECTOR).to_bech32(),"pub_key":null,
                                 "account_number":"1","sequence":"0"},
                 "name":"fee_collector","permissions":[]}
            ],
            "authority": addr.to_bech32()
        });
        let mut s = MemStore::new();
        init(&mut s, &json).unwrap();
        assert_eq!(export(&s).unwrap(), json);
        assert_eq!(s.peek_next_account_number().unwrap(), 2);
    }

    #[test]
    fn rejects_duplicates_and_unknown_fields() {
        let addr = Address::from_bytes(&[9; 20]).unwrap().to_bech32();
        let acct = |n: &str| {
            serde_json::json!({"@type":"/cosmos.auth.v1beta1.BaseAccount",
            "address": addr, "pub_key": null, "account_number": n, "sequence": "0"})
        };
        let dup = serde_json::json!({"accounts": [acct("0"), acct("1")]});
        assert!(init(&mut MemStore::new(), &dup).is_err());
        let unknown = serde_json::json!({"acounts": []});
        assert!(init(&mut MemStore::new(), &unknown).is_err());
    }

    /// Failed before the fix: any bytes were accepted as a secp256k1 key at genesis.
    #[test]
    fn genesis_public_keys_are_length_and_address_checked() {
        let acct = |key: &[u8]| {
            serde_json::json!({"accounts": [{"@type":"/cosmos.auth.v1beta1.BaseAccount",
            "address": crate::account::pubkey_address(key).to_bech32(),
            "pub_key": {"@type":"/cosmos.crypto.secp256k1.PubKey","key": B64.encode(key)},
            "account_number": "0", "sequence": "0"}]})
        };
        for bad in [
            vec![2u8; 32],
            vec![2u8; 34],
            vec![4u8; 33],
            vec![2u8; 65],
            vec![],
        ] {
            let err = init(&mut MemStore::new(), &acct(&bad)).unwrap_err();
            assert_eq!(err.code, sdk::INVALID_PUBKEY, "{}", err.log);
            assert!(err.log.contains("33 bytes"), "{}", err.log);
        }
        init(&mut MemStore::new(), &acct(&[3u8; 33])).unwrap();
        // A valid key under another account's address.
        let mut other = acct(&[3u8; 33]);
        other["accounts"][0]["address"] =
            serde_json::json!(Address::from_bytes(&[9; 20]).unwrap().to_bech32());
        let err = init(&mut MemStore::new(), &other).unwrap_err();
        assert_eq!(err.code, sdk::INVALID_PUBKEY, "{}", err.log);
    }

    #[test]
    fn module_accounts_must_sit_at_their_derived_address() {
        let module = |name: &str, addr: &Address, perms: serde_json::Value| {
            serde_json::json!({"accounts": [{"@type":"/cosmos.auth.v1beta1.ModuleAccount",
                "base_account":{"address": addr.to_bech32(),"pub_key":null,
                                "account_number":"0","sequence":"0"},
                "name": name, "permissions": perms}]})
        };
        let mint = Address::module("mint");
        let ok = module("mint", &mint, serde_json::json!(["minter"]));
        let mut s = MemStore::new();
        init(&mut s, &ok).unwrap();
        let acct = s.module_account("mint").unwrap().unwrap();
        assert!(acct.module.unwrap().has_permission(crate::MINTER));
        use crate::error::*;
        for (bad, code) in [
            (
                module("gov", &mint, serde_json::json!([])),
                ERR_MODULE_ADDRESS_MISMATCH,
            ),
            (
                module("", &Address::module(""), serde_json::json!([])),
                ERR_INVALID_MODULE_NAME,
            ),
            (
                module("mint", &mint, serde_json::json!(["minter", "minter"])),
                ERR_DUPLICATE_PERMISSION,
            ),
        ] {
            let err = init(&mut MemStore::new(), &bad).unwrap_err();
            assert_eq!((err.codespace, err.code), ("auth", code), "{bad}");
        }
    }
}
