//! auth's gRPC queries. One implementation, served over ABCI query, gRPC and REST.

use cosmos_sdk_proto::cosmos::auth::v1beta1 as pb;

use deai_framework::pagination::paginate;
use deai_framework::query::parse_address as parse;
use deai_framework::{sdk, Address, Router, StateRead, TxError};

use crate::account::Account;
use crate::keeper::AuthRead;
use crate::state_key;

pub fn register(router: &mut Router) {
    router.add_query("/cosmos.auth.v1beta1.Query/Account", account);
    router.add_query("/cosmos.auth.v1beta1.Query/Accounts", accounts);
    router.add_query("/cosmos.auth.v1beta1.Query/Params", params);
    router.add_query("/cosmos.auth.v1beta1.Query/AccountInfo", account_info);
    router.add_query(
        "/cosmos.auth.v1beta1.Query/AccountAddressByID",
        address_by_id,
    );
    router.add_query("/cosmos.auth.v1beta1.Query/Bech32Prefix", bech32_prefix);
    router.add_query("/cosmos.auth.v1beta1.Query/ModuleAccounts", module_accounts);
    router.add_query(
        "/cosmos.auth.v1beta1.Query/ModuleAccountByName",
        module_account_by_name,
    );
}

/// Most module accounts ModuleAccounts lists (there are a handful; this only bounds the scan).
pub const MAX_MODULE_ACCOUNTS: usize = 1000;

fn load(state: &dyn StateRead, addr: &str) -> Result<Account, TxError> {
    let a = parse(addr)?;
    state
        .account(&a)?
        // The Cosmos SDK's wording over ABCI: cosmjs's getAccount recognises an unknown
        // account by this `rpc error: code = NotFound` prefix and returns null.
        .ok_or_else(|| {
            sdk::key_not_found(format!(
                "rpc error: code = NotFound desc = account {addr} not found: key not found"
            ))
        })
}

fn account(
    state: &dyn StateRead,
    req: pb::QueryAccountRequest,
) -> Result<pb::QueryAccountResponse, TxError> {
    Ok(pb::QueryAccountResponse {
        account: Some(load(state, &req.address)?.to_any()),
    })
}

fn account_info(
    state: &dyn StateRead,
    req: pb::QueryAccountInfoRequest,
) -> Result<pb::QueryAccountInfoResponse, TxError> {
    // AccountInfo answers with the BaseAccount, also for module accounts.
    Ok(pb::QueryAccountInfoResponse {
        info: Some(load(state, &req.address)?.to_base()),
    })
}

fn accounts(
    state: &dyn StateRead,
    req: pb::QueryAccountsRequest,
) -> Result<pb::QueryAccountsResponse, TxError> {
    let (entries, page) = paginate(state, &state_key::accounts_prefix(), req.pagination)?;
    let accounts = entries
        .iter()
        .map(|(_, v)| Account::decode(v).map(|a| a.to_any()))
        .collect::<Result<_, _>>()?;
    Ok(pb::QueryAccountsResponse {
        accounts,
        pagination: Some(page),
    })
}

fn params(
    state: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(state.auth_params()?.to_proto()),
    })
}

#[allow(deprecated)] // `id` is the field older clients still send.
fn address_by_id(
    state: &dyn StateRead,
    req: pb::QueryAccountAddressByIdRequest,
) -> Result<pb::QueryAccountAddressByIdResponse, TxError> {
    let id = if req.account_id != 0 {
        req.account_id
    } else {
        u64::try_from(req.id).map_err(|_| sdk::invalid_request("negative account id"))?
    };
    let addr = state
        .address_by_number(id)?
        .ok_or_else(|| sdk::key_not_found(format!("account number {id} not found")))?;
    Ok(pb::QueryAccountAddressByIdResponse {
        account_address: addr.to_bech32(),
    })
}

fn module_accounts(
    state: &dyn StateRead,
    _: pb::QueryModuleAccountsRequest,
) -> Result<pb::QueryModuleAccountsResponse, TxError> {
    // In name order, as the SDK sorts them.
    let prefix = state_key::module_accounts_prefix();
    let end = deai_framework::keys::prefix_end(&prefix);
    let mut accounts = Vec::new();
    for (_, addr) in state.scan(&prefix, end.as_deref(), false, MAX_MODULE_ACCOUNTS)? {
        let account = state
            .account(&Address::from_bytes(&addr)?)?
            .ok_or_else(|| sdk::internal("module account index points at no account"))?;
        accounts.push(account.to_any());
    }
    Ok(pb::QueryModuleAccountsResponse { accounts })
}

fn module_account_by_name(
    state: &dyn StateRead,
    req: pb::QueryModuleAccountByNameRequest,
) -> Result<pb::QueryModuleAccountByNameResponse, TxError> {
    if req.name.is_empty() {
        return Err(sdk::invalid_request("module name is empty"));
    }
    let account = state.module_account(&req.name)?.ok_or_else(|| {
        sdk::key_not_found(format!(
            "rpc error: code = NotFound desc = account {} not found",
            req.name
        ))
    })?;
    Ok(pb::QueryModuleAccountByNameResponse {
        account: Some(account.to_any()),
    })
}

fn bech32_prefix(
    _: &dyn StateRead,
    _: pb::Bech32PrefixRequest,
) -> Result<pb::Bech32PrefixResponse, TxError> {
    Ok(pb::Bech32PrefixResponse {
        bech32_prefix: deai_framework::address::ACCOUNT_PREFIX.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use cosmos_sdk_proto::cosmos::auth::v1beta1::ModuleAccount;
    use prost::{Message, Name};

    use deai_framework::{MemStore, Module};

    use super::*;
    use crate::{AuthModule, AuthWrite, BURNER, FEE_COLLECTOR, MINTER};

    fn ask<Req: Message, Res: Message + Default>(
        s: &MemStore,
        path: &str,
        req: Req,
    ) -> Result<Res, TxError> {
        let mut router = Router::new();
        AuthModule.register(&mut router);
        let bytes = router.query(path, s, &Default::default(), &req.encode_to_vec())?;
        Ok(Res::decode(bytes.as_slice()).unwrap())
    }

    #[test]
    fn module_accounts_are_queryable_as_module_accounts() {
        let mut s = MemStore::new();
        AuthModule
            .init_genesis(&mut s, &serde_json::json!({}))
            .unwrap();
        s.ensure_module_account_with("escrow", &[MINTER, BURNER])
            .unwrap();
        s.create_account(&Address::from_bytes(&[4; 20]).unwrap())
            .unwrap();

        let res: pb::QueryAccountResponse = ask(
            &s,
            "/cosmos.auth.v1beta1.Query/Account",
            pb::QueryAccountRequest {
                address: Address::module("escrow").to_bech32(),
            },
        )
        .unwrap();
        let any = res.account.unwrap();
        assert_eq!(any.type_url, "/cosmos.auth.v1beta1.ModuleAccount");
        assert_eq!(any.type_url, ModuleAccount::type_url());
        let m = ModuleAccount::decode(any.value.as_slice()).unwrap();
        assert_eq!(m.name, "escrow");
        assert_eq!(m.permissions, vec!["minter", "burner"]);
        let base = m.base_account.unwrap();
        assert_eq!(base.address, Address::module("escrow").to_bech32());
        assert!(base.pub_key.is_none());

        let by_name: pb::QueryModuleAccountByNameResponse = ask(
            &s,
            "/cosmos.auth.v1beta1.Query/ModuleAccountByName",
            pb::QueryModuleAccountByNameRequest {
                name: FEE_COLLECTOR.into(),
            },
        )
        .unwrap();
        assert_eq!(
            by_name.account.unwrap().type_url,
            "/cosmos.auth.v1beta1.ModuleAccount"
        );
        let missing = ask::<_, pb::QueryModuleAccountByNameResponse>(
            &s,
            "/cosmos.auth.v1beta1.Query/ModuleAccountByName",
            pb::QueryModuleAccountByNameRequest {
                name: "nobody".into(),
            },
        );
        assert_eq!(missing.unwrap_err().code, sdk::KEY_NOT_FOUND);

        let all: pb::QueryModuleAccountsResponse = ask(
            &s,
            "/cosmos.auth.v1beta1.Query/ModuleAccounts",
            pb::QueryModuleAccountsRequest {},
        )
        .unwrap();
        let names: Vec<String> = all
            .accounts
            .iter()
            .map(|a| ModuleAccount::decode(a.value.as_slice()).unwrap().name)
            .collect();
        assert_eq!(names, vec!["escrow", "fee_collector"]);
    }

    #[test]
    fn ensure_module_account_with_sets_and_keeps_permissions() {
        let mut s = MemStore::new();
        // Coins sent to a module's address before the module declared its account.
        let early = s.create_account(&Address::module("market")).unwrap();
        let a = s.ensure_module_account_with("market", &[BURNER]).unwrap();
        assert_eq!(a.account_number, early.account_number);
        assert!(s.is_module_account(&Address::module("market")).unwrap());
        s.ensure_module_account("market").unwrap();
        let info = s.module_account("market").unwrap().unwrap().module.unwrap();
        assert_eq!(info.permissions, vec![BURNER]);
        s.ensure_module_account_with("market", &[MINTER]).unwrap();
        let info = s.module_account("market").unwrap().unwrap().module.unwrap();
        assert_eq!(info.permissions, vec![MINTER]);
        assert!(s.module_account("other").unwrap().is_none());
        assert!(s.ensure_module_account_with("", &[]).is_err());
        assert!(s
            .ensure_module_account_with("x", &[MINTER, MINTER])
            .is_err());
    }
}
