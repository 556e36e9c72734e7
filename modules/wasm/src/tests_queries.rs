//! Queries: wasmd's paths, answers, errors and key pagination.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::testing::{addr, code, query};
use deai_framework::{sdk, Address, MemStore};

use crate::error::*;
use crate::tests_fixtures::*;
use crate::{address, QueryCodeInfoRequest, QueryCodeInfoResponse, WasmModule};

const Q: &str = "/cosmwasm.wasm.v1.Query/";

fn q<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    method: &str,
    req: Req,
) -> Result<Res, deai_framework::TxError> {
    query(&WasmModule::RECORDS, s, &format!("{Q}{method}"), req)
}

fn page(key: Vec<u8>, limit: u64) -> Option<PageRequest> {
    Some(PageRequest {
        key,
        offset: 0,
        limit,
        count_total: false,
        reverse: false,
    })
}

/// Code 1 with five contracts by addr(3) (instances 1..=5, created at heights 10..=14) and
/// one by addr(4); code 2 with none.
fn many() -> (MemStore, Vec<Address>) {
    let mut contracts = Vec::new();
    let mut addrs = Vec::new();
    for i in 1..=6u64 {
        let a = address::classic(1, i).unwrap();
        let creator = if i == 6 { addr(4) } else { addr(3) };
        let state: Vec<(Vec<u8>, Vec<u8>)> = (0..i)
            .map(|k| (vec![b'k', k as u8], vec![k as u8]))
            .collect();
        let state_refs: Vec<(&[u8], &[u8])> = state
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        contracts.push(contract_rec(
            &a,
            1,
            &creator,
            Some(&addr(2)),
            9 + i,
            &state_refs,
        ));
        addrs.push(a);
    }
    let g = pb::GenesisState {
        params: None,
        codes: vec![
            code_rec(1, &addr(1), wasm(1), &wasm(1)),
            code_rec(2, &addr(1), wasm(2), &wasm(2)),
        ],
        contracts,
        sequences: seqs(3, 7),
    };
    (init(&g).unwrap(), addrs)
}

#[test]
fn contract_info_history_and_state() {
    let (s, addrs) = many();
    let r: pb::QueryContractInfoResponse = q(
        &s,
        "ContractInfo",
        pb::QueryContractInfoRequest {
            address: addrs[2].to_bech32(),
        },
    )
    .unwrap();
    assert_eq!(r.address, addrs[2].to_bech32());
    let info = r.contract_info.unwrap();
    assert_eq!((info.code_id, info.creator), (1, addr(3).to_bech32()));
    let unknown = address::classic(9, 9).unwrap().to_bech32();
    let e = q::<_, pb::QueryContractInfoResponse>(
        &s,
        "ContractInfo",
        pb::QueryContractInfoRequest {
            address: unknown.clone(),
        },
    );
    assert_eq!(code(e), ("wasm", ERR_NO_SUCH_CONTRACT));
    let e = q::<_, pb::QueryContractInfoResponse>(
        &s,
        "ContractInfo",
        pb::QueryContractInfoRequest {
            address: String::new(),
        },
    );
    assert_eq!(code(e), ("sdk", sdk::INVALID_ADDRESS));

    let h: pb::QueryContractHistoryResponse = q(
        &s,
        "ContractHistory",
        pb::QueryContractHistoryRequest {
            address: addrs[0].to_bech32(),
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(h.entries.len(), 1);
    assert_eq!(
        h.entries[0].operation,
        pb::ContractCodeHistoryOperationType::Init as i32
    );

    // Raw: one key of the contract's own storage (absent: empty).
    let raw = |a: &Address, k: &[u8]| {
        q::<_, pb::QueryRawContractStateResponse>(
            &s,
            "RawContractState",
            pb::QueryRawContractStateRequest {
                address: a.to_bech32(),
                query_data: k.to_vec(),
            },
        )
    };
    assert_eq!(raw(&addrs[4], b"k\x03").unwrap().data, vec![3]);
    assert!(raw(&addrs[0], b"k\x03").unwrap().data.is_empty());
    assert_eq!(
        code(raw(&address::classic(9, 9).unwrap(), b"k")),
        ("wasm", ERR_NO_SUCH_CONTRACT)
    );

    // All state: only that contract's, page by page.
    let all = |key: Vec<u8>| {
        q::<_, pb::QueryAllContractStateResponse>(
            &s,
            "AllContractState",
            pb::QueryAllContractStateRequest {
                address: addrs[4].to_bech32(),
                pagination: page(key, 2),
            },
        )
        .unwrap()
    };
    let p1 = all(vec![]);
    assert_eq!(p1.models.len(), 2);
    assert_eq!(p1.models[0].key, b"k\x00".to_vec());
    let p2 = all(p1.pagination.unwrap().next_key);
    let p3 = all(p2.pagination.unwrap().next_key);
    assert_eq!(p3.models.len(), 1);
    assert_eq!(p3.models[0].key, b"k\x04".to_vec());
    assert!(p3.pagination.unwrap().next_key.is_empty());
}

#[test]
fn contracts_by_code_and_creator_in_creation_order() {
    let (s, addrs) = many();
    let by_code = |key: Vec<u8>| {
        q::<_, pb::QueryContractsByCodeResponse>(
            &s,
            "ContractsByCode",
            pb::QueryContractsByCodeRequest {
                code_id: 1,
                pagination: page(key, 4),
            },
        )
        .unwrap()
    };
    let p1 = by_code(vec![]);
    let p2 = by_code(p1.pagination.unwrap().next_key);
    let all: Vec<String> = p1.contracts.into_iter().chain(p2.contracts).collect();
    assert_eq!(all, addrs.iter().map(|a| a.to_bech32()).collect::<Vec<_>>());
    let none: pb::QueryContractsByCodeResponse = q(
        &s,
        "ContractsByCode",
        pb::QueryContractsByCodeRequest {
            code_id: 2,
            pagination: None,
        },
    )
    .unwrap();
    assert!(none.contracts.is_empty());
    let e = q::<_, pb::QueryContractsByCodeResponse>(
        &s,
        "ContractsByCode",
        pb::QueryContractsByCodeRequest {
            code_id: 0,
            pagination: None,
        },
    );
    assert_eq!(code(e), ("wasm", ERR_INVALID));

    let by_creator = |c: &Address| {
        q::<_, pb::QueryContractsByCreatorResponse>(
            &s,
            "ContractsByCreator",
            pb::QueryContractsByCreatorRequest {
                creator_address: c.to_bech32(),
                pagination: None,
            },
        )
        .unwrap()
        .contract_addresses
    };
    assert_eq!(by_creator(&addr(3)).len(), 5);
    assert_eq!(by_creator(&addr(4)), vec![addrs[5].to_bech32()]);
    assert!(by_creator(&addr(5)).is_empty());
}

#[test]
fn offset_and_count_are_refused_and_pages_are_capped() {
    let (s, _) = many();
    let bad = Some(PageRequest {
        key: vec![],
        offset: 1,
        limit: 2,
        count_total: false,
        reverse: false,
    });
    let e = q::<_, pb::QueryCodesResponse>(&s, "Codes", pb::QueryCodesRequest { pagination: bad });
    assert_eq!(code(e), ("sdk", sdk::INVALID_REQUEST));
    let bad = Some(PageRequest {
        key: vec![],
        offset: 0,
        limit: 2,
        count_total: true,
        reverse: false,
    });
    let e = q::<_, pb::QueryCodesResponse>(&s, "Codes", pb::QueryCodesRequest { pagination: bad });
    assert_eq!(code(e), ("sdk", sdk::INVALID_REQUEST));
    let r: pb::QueryCodesResponse = q(
        &s,
        "Codes",
        pb::QueryCodesRequest {
            pagination: page(vec![], 5000),
        },
    )
    .unwrap();
    assert_eq!(r.code_infos.len(), 2);
}

#[test]
fn codes_code_code_info_and_pins() {
    let (s, _) = many();
    let r: pb::QueryCodesResponse = q(
        &s,
        "Codes",
        pb::QueryCodesRequest {
            pagination: page(vec![], 1),
        },
    )
    .unwrap();
    assert_eq!(r.code_infos[0].code_id, 1);
    assert_eq!(r.code_infos[0].data_hash, checksum(&wasm(1)));
    let r: pb::QueryCodesResponse = q(
        &s,
        "Codes",
        pb::QueryCodesRequest {
            pagination: page(r.pagination.unwrap().next_key, 1),
        },
    )
    .unwrap();
    assert_eq!(r.code_infos[0].code_id, 2);

    let c: pb::QueryCodeResponse = q(&s, "Code", pb::QueryCodeRequest { code_id: 2 }).unwrap();
    assert_eq!(c.data, wasm(2));
    assert_eq!(c.code_info.unwrap().creator, addr(1).to_bech32());
    let e = q::<_, pb::QueryCodeResponse>(&s, "Code", pb::QueryCodeRequest { code_id: 3 });
    assert_eq!(code(e), ("wasm", ERR_NO_SUCH_CODE));
    let e = q::<_, pb::QueryCodeResponse>(&s, "Code", pb::QueryCodeRequest { code_id: 0 });
    assert_eq!(code(e), ("wasm", ERR_INVALID));

    let i: QueryCodeInfoResponse = q(&s, "CodeInfo", QueryCodeInfoRequest { code_id: 1 }).unwrap();
    assert_eq!((i.code_id, i.checksum), (1, checksum(&wasm(1))));
    assert_eq!(i.instantiate_permission, Some(crate::access::everybody()));

    let p: pb::QueryPinnedCodesResponse = q(
        &s,
        "PinnedCodes",
        pb::QueryPinnedCodesRequest { pagination: None },
    )
    .unwrap();
    assert!(p.code_ids.is_empty());
    let p: pb::QueryParamsResponse = q(&s, "Params", pb::QueryParamsRequest {}).unwrap();
    assert_eq!(p.params, Some(crate::params::default_params()));
}

#[test]
fn build_address_is_wasmds() {
    let s = MemStore::new();
    let creator =
        Address::from_bytes(&hex::decode("9999999999aaaaaaaaaabbbbbbbbbbcccccccccc").unwrap())
            .unwrap();
    let req = |salt: &str, init: &[u8]| pb::QueryBuildAddressRequest {
        code_hash: "13a1fc994cc6d1c81b746ee0c0ff6f90043875e0bf1d9be6b7d779fc978dc2a5".into(),
        creator_address: creator.to_bech32(),
        salt: salt.into(),
        init_args: init.to_vec(),
    };
    let r: pb::QueryBuildAddressResponse = q(&s, "BuildAddress", req("61", b"{}")).unwrap();
    let want = "0995499608947a5281e2c7ebd71bdb26a1ad981946dad57f6c4d3ee35de77835";
    assert_eq!(
        hex::encode(Address::from_bech32(&r.address).unwrap().as_bytes()),
        want
    );
    assert_eq!(
        code(q::<_, pb::QueryBuildAddressResponse>(
            &s,
            "BuildAddress",
            req("", b"")
        )),
        ("sdk", sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(q::<_, pb::QueryBuildAddressResponse>(
            &s,
            "BuildAddress",
            req("zz", b"")
        )),
        ("sdk", sdk::INVALID_REQUEST)
    );
    assert_eq!(
        code(q::<_, pb::QueryBuildAddressResponse>(
            &s,
            "BuildAddress",
            req("61", b"{")
        )),
        ("wasm", ERR_INVALID)
    );
}
