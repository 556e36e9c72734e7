//! Properties: access configs (a subset never allows more), addresses (distinct inputs,
//! distinct addresses), genesis (any contract storage round-trips exactly).

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::testing::addr;
use deai_framework::{MemStore, Module};
use proptest::prelude::*;

use crate::access::{allowed, is_subset, type_is_subset};
use crate::tests_fixtures::*;
use crate::{address, WasmModule};

fn config() -> impl Strategy<Value = pb::AccessConfig> {
    (0i32..5, proptest::collection::vec(1u8..6, 0..4)).prop_map(|(p, who)| pb::AccessConfig {
        permission: p,
        addresses: who.into_iter().map(|b| addr(b).to_bech32()).collect(),
    })
}

proptest! {
    #[test]
    fn a_subset_never_allows_more(a in config(), b in config(), actor in 1u8..7) {
        if is_subset(&a, &b) {
            prop_assert!(!allowed(&a, &addr(actor)) || allowed(&b, &addr(actor)));
            prop_assert!(type_is_subset(a.permission, b.permission));
        }
    }

    #[test]
    fn classic_addresses_are_distinct(c1 in 0u64..4, i1 in 0u64..4, c2 in 0u64..4, i2 in 0u64..4) {
        let (a, b) = (address::classic(c1, i1).unwrap(), address::classic(c2, i2).unwrap());
        prop_assert_eq!(a == b, (c1, i1) == (c2, i2));
    }

    #[test]
    fn any_contract_storage_round_trips(
        state in proptest::collection::btree_map(
            proptest::collection::vec(any::<u8>(), 0..6),
            proptest::collection::vec(any::<u8>(), 0..6),
            0..12,
        ),
    ) {
        let c = address::classic(1, 1).unwrap();
        let refs: Vec<(&[u8], &[u8])> = state.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
        let g = pb::GenesisState {
            params: None,
            codes: vec![code_rec(1, &addr(1), wasm(0), &wasm(0))],
            contracts: vec![contract_rec(&c, 1, &addr(2), None, 3, &refs)],
            sequences: seqs(2, 2),
        };
        let s = init(&g).unwrap();
        let json = WasmModule::RECORDS.export_genesis(&s).unwrap();
        let back = crate::import_proto(&json).unwrap().0;
        let models: Vec<(Vec<u8>, Vec<u8>)> =
            back.contracts[0].contract_state.iter().map(|m| (m.key.clone(), m.value.clone())).collect();
        prop_assert_eq!(models, state.into_iter().collect::<Vec<_>>());
        let mut again = MemStore::new();
        WasmModule::RECORDS.init_genesis(&mut again, &json).unwrap();
        prop_assert_eq!(WasmModule::RECORDS.export_genesis(&again).unwrap(), json);
    }
}
