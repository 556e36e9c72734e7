//! Fixtures shared by the test files: tiny wasm modules, genesis records, a store with a
//! contract.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::authority::default_authority;
use deai_framework::testing::addr;
use deai_framework::{Address, MemStore, Module};
use sha2::{Digest, Sha256};

use crate::access::everybody;
use crate::{address, WasmModule};

pub(crate) const GAS: u64 = 10_000_000;

/// The smallest valid wasm module (magic and version), plus `tag` so codes can differ.
pub(crate) fn wasm(tag: u8) -> Vec<u8> {
    let mut w = vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    if tag > 0 {
        // A custom section: id 0, size 2, name length 1, name = tag.
        w.extend_from_slice(&[0x00, 0x02, 0x01, tag]);
    }
    w
}

pub(crate) fn gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

pub(crate) fn checksum(b: &[u8]) -> Vec<u8> {
    Sha256::digest(b).to_vec()
}

pub(crate) fn any_of(addrs: &[&Address]) -> pb::AccessConfig {
    pb::AccessConfig {
        permission: pb::AccessType::AnyOfAddresses as i32,
        addresses: addrs.iter().map(|a| a.to_bech32()).collect(),
    }
}

pub(crate) fn pos(height: u64, tx: u64) -> Option<pb::AbsoluteTxPosition> {
    Some(pb::AbsoluteTxPosition {
        block_height: height,
        tx_index: tx,
    })
}

pub(crate) fn code_rec(id: u64, creator: &Address, bytes: Vec<u8>, hash_of: &[u8]) -> pb::Code {
    pb::Code {
        code_id: id,
        code_info: Some(pb::CodeInfo {
            code_hash: checksum(hash_of),
            creator: creator.to_bech32(),
            instantiate_config: Some(everybody()),
        }),
        code_bytes: bytes,
        pinned: false,
    }
}

/// A contract of code `code_id` made by `creator` at (height, 0), admin `admin`, with
/// storage `state`.
pub(crate) fn contract_rec(
    a: &Address,
    code_id: u64,
    creator: &Address,
    admin: Option<&Address>,
    height: u64,
    state: &[(&[u8], &[u8])],
) -> pb::Contract {
    pb::Contract {
        contract_address: a.to_bech32(),
        contract_info: Some(pb::ContractInfo {
            code_id,
            creator: creator.to_bech32(),
            admin: admin.map(|a| a.to_bech32()).unwrap_or_default(),
            label: format!("contract at {height}"),
            created: pos(height, 0),
            ibc_port_id: String::new(),
            extension: None,
        }),
        contract_state: state
            .iter()
            .map(|(k, v)| pb::Model {
                key: k.to_vec(),
                value: v.to_vec(),
            })
            .collect(),
        contract_code_history: vec![pb::ContractCodeHistoryEntry {
            operation: pb::ContractCodeHistoryOperationType::Init as i32,
            code_id,
            updated: pos(height, 0),
            msg: br#"{"init":{}}"#.to_vec(),
        }],
    }
}

pub(crate) fn seqs(next_code: u64, next_instance: u64) -> Vec<pb::Sequence> {
    vec![
        pb::Sequence {
            id_key: b"\x04lastCodeId".to_vec(),
            value: next_code,
        },
        pb::Sequence {
            id_key: b"\x04lastContractId".to_vec(),
            value: next_instance,
        },
    ]
}

pub(crate) fn init(g: &pb::GenesisState) -> Result<MemStore, deai_framework::TxError> {
    let json = crate::export_proto(g, &default_authority())?;
    let mut s = MemStore::new();
    WasmModule::RECORDS.init_genesis(&mut s, &json)?;
    Ok(s)
}

/// Code 1 (creator addr(1)) and contract classic(1, 1) with admin addr(2), created by addr(3).
pub(crate) fn with_contract() -> (MemStore, Address) {
    let c = address::classic(1, 1).unwrap();
    let g = pb::GenesisState {
        params: None,
        codes: vec![code_rec(1, &addr(1), wasm(0), &wasm(0))],
        contracts: vec![contract_rec(
            &c,
            1,
            &addr(3),
            Some(&addr(2)),
            5,
            &[(b"k", b"v")],
        )],
        sequences: seqs(2, 2),
    };
    (init(&g).unwrap(), c)
}
