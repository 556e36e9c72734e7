//! wasm's gRPC queries that need no vm, registered by wasmd's method paths
//! (`/cosmwasm.wasm.v1.Query/...`). Lists page by key as wasmd does: at most 100 entries a
//! page, and `offset`/`count_total` refused ("offset and count queries not supported").
//! `SmartContractState` comes with the vm.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::pagination::paginate;
use deai_framework::query::parse_address;
use deai_framework::state::KvPair;
use deai_framework::{sdk, Address, Router, StateRead, TxError};

use crate::error::WasmError;
use crate::keeper::{decode, WasmRead};
use crate::{address, state_key};

/// wasmd's `maxResultEntries`.
pub const MAX_RESULT_ENTRIES: u64 = 100;

/// `QueryCodeInfoRequest` (wasmd ≥ 0.53; not in cosmos-sdk-proto 0.26's wasmd 0.52 types).
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryCodeInfoRequest {
    #[prost(uint64, tag = "1")]
    pub code_id: u64,
}

/// `QueryCodeInfoResponse` (wasmd ≥ 0.53).
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryCodeInfoResponse {
    #[prost(uint64, tag = "1")]
    pub code_id: u64,
    #[prost(string, tag = "2")]
    pub creator: String,
    #[prost(bytes = "vec", tag = "3")]
    pub checksum: Vec<u8>,
    #[prost(message, optional, tag = "4")]
    pub instantiate_permission: Option<pb::AccessConfig>,
}

pub fn register(router: &mut Router) {
    router.add_query("/cosmwasm.wasm.v1.Query/ContractInfo", contract_info);
    router.add_query("/cosmwasm.wasm.v1.Query/ContractHistory", contract_history);
    router.add_query("/cosmwasm.wasm.v1.Query/ContractsByCode", contracts_by_code);
    router.add_query(
        "/cosmwasm.wasm.v1.Query/AllContractState",
        all_contract_state,
    );
    router.add_query(
        "/cosmwasm.wasm.v1.Query/RawContractState",
        raw_contract_state,
    );
    router.add_query("/cosmwasm.wasm.v1.Query/Code", code);
    router.add_query("/cosmwasm.wasm.v1.Query/Codes", codes);
    router.add_query("/cosmwasm.wasm.v1.Query/CodeInfo", code_info);
    router.add_query("/cosmwasm.wasm.v1.Query/PinnedCodes", pinned_codes);
    router.add_query("/cosmwasm.wasm.v1.Query/Params", params);
    router.add_query(
        "/cosmwasm.wasm.v1.Query/ContractsByCreator",
        contracts_by_creator,
    );
    router.add_query("/cosmwasm.wasm.v1.Query/BuildAddress", build_address);
}

/// wasmd's `ensurePaginationParams`.
fn page(req: Option<PageRequest>) -> Result<Option<PageRequest>, TxError> {
    let mut p = req.unwrap_or_default();
    if p.offset != 0 || p.count_total {
        return Err(sdk::invalid_request(
            "offset and count queries not supported",
        ));
    }
    if p.limit == 0 || p.limit > MAX_RESULT_ENTRIES {
        p.limit = MAX_RESULT_ENTRIES;
    }
    Ok(Some(p))
}

/// A contract that must exist (wasmd's "no such contract").
fn contract(s: &dyn StateRead, addr: &str) -> Result<(Address, pb::ContractInfo), TxError> {
    let a = parse_address(addr)?;
    let info = s
        .get_contract_info(&a)?
        .ok_or_else(|| WasmError::NoSuchContract(a.to_bech32()))?;
    Ok((a, info))
}

fn code_id_arg(id: u64) -> Result<u64, TxError> {
    if id == 0 {
        return Err(WasmError::Invalid("code id".into()).into());
    }
    Ok(id)
}

fn contract_info(
    s: &dyn StateRead,
    req: pb::QueryContractInfoRequest,
) -> Result<pb::QueryContractInfoResponse, TxError> {
    let (a, info) = contract(s, &req.address)?;
    Ok(pb::QueryContractInfoResponse {
        address: a.to_bech32(),
        contract_info: Some(info),
    })
}

fn contract_history(
    s: &dyn StateRead,
    req: pb::QueryContractHistoryRequest,
) -> Result<pb::QueryContractHistoryResponse, TxError> {
    let a = parse_address(&req.address)?;
    let (entries, pagination) = paginate(s, &state_key::history_of(&a), page(req.pagination)?)?;
    Ok(pb::QueryContractHistoryResponse {
        entries: entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_, _>>()?,
        pagination: Some(pagination),
    })
}

/// The contract addresses at the end of index entries.
fn indexed(entries: &[KvPair]) -> Result<Vec<String>, TxError> {
    entries
        .iter()
        .map(|(k, _)| {
            state_key::indexed_contract(k)
                .map(|a| a.to_bech32())
                .ok_or_else(|| sdk::internal("corrupt wasm contract index"))
        })
        .collect()
}

fn contracts_by_code(
    s: &dyn StateRead,
    req: pb::QueryContractsByCodeRequest,
) -> Result<pb::QueryContractsByCodeResponse, TxError> {
    let prefix = state_key::contracts_of_code(code_id_arg(req.code_id)?);
    let (entries, pagination) = paginate(s, &prefix, page(req.pagination)?)?;
    Ok(pb::QueryContractsByCodeResponse {
        contracts: indexed(&entries)?,
        pagination: Some(pagination),
    })
}

fn contracts_by_creator(
    s: &dyn StateRead,
    req: pb::QueryContractsByCreatorRequest,
) -> Result<pb::QueryContractsByCreatorResponse, TxError> {
    let prefix = state_key::contracts_of_creator(&parse_address(&req.creator_address)?);
    let (entries, pagination) = paginate(s, &prefix, page(req.pagination)?)?;
    Ok(pb::QueryContractsByCreatorResponse {
        contract_addresses: indexed(&entries)?,
        pagination: Some(pagination),
    })
}

fn all_contract_state(
    s: &dyn StateRead,
    req: pb::QueryAllContractStateRequest,
) -> Result<pb::QueryAllContractStateResponse, TxError> {
    let (a, _) = contract(s, &req.address)?;
    let (entries, pagination) = paginate(s, &state_key::contract_store(&a), page(req.pagination)?)?;
    Ok(pb::QueryAllContractStateResponse {
        models: entries
            .into_iter()
            .map(|(key, value)| pb::Model { key, value })
            .collect(),
        pagination: Some(pagination),
    })
}

fn raw_contract_state(
    s: &dyn StateRead,
    req: pb::QueryRawContractStateRequest,
) -> Result<pb::QueryRawContractStateResponse, TxError> {
    let (a, _) = contract(s, &req.address)?;
    Ok(pb::QueryRawContractStateResponse {
        data: s
            .contract_state_get(&a, &req.query_data)?
            .unwrap_or_default(),
    })
}

/// A code's info as the queries answer it.
fn info_response(id: u64, info: pb::CodeInfo) -> pb::CodeInfoResponse {
    pb::CodeInfoResponse {
        code_id: id,
        creator: info.creator,
        data_hash: info.code_hash,
        instantiate_permission: info.instantiate_config,
    }
}

fn load_code(s: &dyn StateRead, id: u64) -> Result<pb::CodeInfo, TxError> {
    Ok(s.get_code_info(id)?.ok_or(WasmError::NoSuchCode(id))?)
}

fn code(s: &dyn StateRead, req: pb::QueryCodeRequest) -> Result<pb::QueryCodeResponse, TxError> {
    let id = code_id_arg(req.code_id)?;
    let info = load_code(s, id)?;
    let data = s
        .get_code_bytes(&info.code_hash)?
        .ok_or_else(|| sdk::internal(format!("code {id} has no bytes")))?;
    Ok(pb::QueryCodeResponse {
        code_info: Some(info_response(id, info)),
        data,
    })
}

fn codes(s: &dyn StateRead, req: pb::QueryCodesRequest) -> Result<pb::QueryCodesResponse, TxError> {
    let (entries, pagination) = paginate(s, &state_key::codes(), page(req.pagination)?)?;
    let mut code_infos = Vec::with_capacity(entries.len());
    for (k, v) in &entries {
        let id = state_key::trailing_id(k).ok_or_else(|| sdk::internal("corrupt wasm code key"))?;
        code_infos.push(info_response(id, decode(v)?));
    }
    Ok(pb::QueryCodesResponse {
        code_infos,
        pagination: Some(pagination),
    })
}

fn code_info(
    s: &dyn StateRead,
    req: QueryCodeInfoRequest,
) -> Result<QueryCodeInfoResponse, TxError> {
    let id = code_id_arg(req.code_id)?;
    let info = load_code(s, id)?;
    Ok(QueryCodeInfoResponse {
        code_id: id,
        creator: info.creator,
        checksum: info.code_hash,
        instantiate_permission: info.instantiate_config,
    })
}

fn pinned_codes(
    s: &dyn StateRead,
    req: pb::QueryPinnedCodesRequest,
) -> Result<pb::QueryPinnedCodesResponse, TxError> {
    let (entries, pagination) = paginate(s, &state_key::pinned_codes(), page(req.pagination)?)?;
    let code_ids = entries
        .iter()
        .map(|(k, _)| state_key::trailing_id(k).ok_or_else(|| sdk::internal("corrupt pin key")))
        .collect::<Result<_, _>>()?;
    Ok(pb::QueryPinnedCodesResponse {
        code_ids,
        pagination: Some(pagination),
    })
}

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.wasm_params()?),
    })
}

/// wasmd's `BuildAddress`: the Instantiate2 address of a checksum, creator, salt and
/// (optionally) the init message, which must then be JSON.
fn build_address(
    _: &dyn StateRead,
    req: pb::QueryBuildAddressRequest,
) -> Result<pb::QueryBuildAddressResponse, TxError> {
    let checksum = hex::decode(&req.code_hash)
        .map_err(|e| sdk::invalid_request(format!("invalid code hash: {e}")))?;
    let creator = Address::from_bech32(&req.creator_address).map_err(|mut e| {
        e.log = format!("invalid creator address: {}", e.log);
        e
    })?;
    let salt =
        hex::decode(&req.salt).map_err(|e| sdk::invalid_request(format!("invalid salt: {e}")))?;
    if salt.is_empty() {
        return Err(sdk::invalid_request("empty salt"));
    }
    if !req.init_args.is_empty()
        && serde_json::from_slice::<serde_json::Value>(&req.init_args).is_err()
    {
        return Err(WasmError::Invalid("init args must be JSON".into()).into());
    }
    let a = address::predictable(&checksum, &creator, &salt, &req.init_args)?;
    Ok(pb::QueryBuildAddressResponse {
        address: a.to_bech32(),
    })
}
