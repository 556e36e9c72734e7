//! auth's gRPC queries. One implementation, served over ABCI query, gRPC and REST.

use cosmos_sdk_proto::cosmos::auth::v1beta1 as pb;

use deai_framework::pagination::paginate;
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
}

fn parse(addr: &str) -> Result<Address, TxError> {
    if addr.is_empty() {
        return Err(sdk::invalid_address("empty address string is not allowed"));
    }
    Address::from_bech32(addr)
}

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

fn bech32_prefix(
    _: &dyn StateRead,
    _: pb::Bech32PrefixRequest,
) -> Result<pb::Bech32PrefixResponse, TxError> {
    Ok(pb::Bech32PrefixResponse {
        bech32_prefix: deai_framework::address::ACCOUNT_PREFIX.to_string(),
    })
}
