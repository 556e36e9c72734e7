//! Helpers for CosmWasm tests over a real chain: wasmd's queries (`cosmwasm.wasm.v1.Query`)
//! over ABCI, wasmd's classic contract address computed here from its definition, and the
//! model marketplace's royalty split computed independently of the contract.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Localnet;

/// Calls a `cosmwasm.wasm.v1.Query` method on node 0.
pub fn query<Req: prost::Message, Res: prost::Message + Default>(
    net: &Localnet,
    method: &str,
    req: &Req,
) -> Res {
    crate::query_service(net, "cosmwasm.wasm.v1.Query", method, req)
}

/// `Query/SmartContractState`: the contract's JSON answer to `msg`.
pub fn smart(net: &Localnet, contract: &str, msg: &Value) -> Value {
    let r: pb::QuerySmartContractStateResponse = query(
        net,
        "SmartContractState",
        &pb::QuerySmartContractStateRequest {
            address: contract.to_string(),
            query_data: msg.to_string().into_bytes(),
        },
    );
    serde_json::from_slice(&r.data)
        .unwrap_or_else(|e| panic!("smart query {msg} answered non-JSON ({e}): {:?}", r.data))
}

/// `Query/ContractInfo`.
pub fn contract_info(net: &Localnet, contract: &str) -> pb::ContractInfo {
    let r: pb::QueryContractInfoResponse = query(
        net,
        "ContractInfo",
        &pb::QueryContractInfoRequest {
            address: contract.to_string(),
        },
    );
    assert_eq!(r.address, contract);
    r.contract_info.expect("contract info")
}

/// The sha256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// wasmd's classic contract address (`x/wasm/keeper/addresses.go`, on the SDK's
/// `address.Module`): `sha256(sha256("module") ‖ "wasm" ‖ 0 ‖ code_id ‖ instance_id)`, the
/// ids as u64 big-endian; 32 bytes, in deai's bech32.
pub fn classic_address(code_id: u64, instance_id: u64) -> String {
    let typ = Sha256::digest(b"module");
    let mut h = Sha256::new();
    h.update(typ);
    h.update(b"wasm\0");
    h.update(code_id.to_be_bytes());
    h.update(instance_id.to_be_bytes());
    let bytes: [u8; 32] = h.finalize().into();
    deai_framework::Address::from_bytes(&bytes)
        .expect("32 bytes")
        .to_bech32()
}

/// The model marketplace's split of a payment `price` (its README's formula, computed here
/// on its own): `fee = ⌊price·fee_bps/10⁴⌋`, each share `⌊(price − fee)·bps/10⁴⌋`, the rest
/// to the seller. The fee and what each address receives (seller's share and remainder
/// merged), addresses in first-met order.
pub fn royalty_split(
    price: u128,
    fee_bps: u128,
    fee_collector: &str,
    shares: &[(&str, u128)],
    seller: &str,
) -> (u128, Vec<(String, u128)>) {
    let fee = price * fee_bps / 10_000;
    let net = price - fee;
    let mut paid: Vec<(String, u128)> = vec![(fee_collector.to_string(), fee)];
    let mut given = 0;
    for (a, bps) in shares {
        let s = net * bps / 10_000;
        given += s;
        paid.push((a.to_string(), s));
    }
    paid.push((seller.to_string(), net - given));
    let mut merged: Vec<(String, u128)> = Vec::new();
    for (a, v) in paid {
        match merged.iter_mut().find(|(m, _)| *m == a) {
            Some((_, total)) => *total += v,
            None => merged.push((a, v)),
        }
    }
    (fee, merged)
}

/// The agent marketplace's reputation in milli-stars after one rating of `stars`, `elapsed`
/// blocks later (its reputation.rs formula, computed here on its own).
pub fn reputation_after_one_rating(stars: u128, elapsed: u64, half_life: u64) -> u128 {
    const SCALE: u128 = 1_000_000;
    let decay = |v: u128| {
        let halvings = elapsed / half_life;
        if halvings >= 128 {
            return 0;
        }
        let two_h = 2 * half_life as u128;
        (v >> halvings) * (two_h - (elapsed % half_life) as u128) / two_h
    };
    let (sum, weight) = (decay(stars * SCALE), decay(SCALE));
    1000 * sum / (weight + SCALE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_addresses_match_wasmd_vectors() {
        // TestBuildContractAddressClassic (x/wasm/keeper/addresses_test.go), prefix "purple".
        for (code, instance, want) in [
            (
                0,
                0,
                "purple1w0w8sasnut0jx0vvsnvlc8nayq0q2ej8xgrpwgel05tn6wy4r57qfplul7",
            ),
            (
                1,
                0,
                "purple1mzdhwvvh22wrt07w59wxyd58822qavwkx5lcej7aqfkpqqlhaqfs5efvjk",
            ),
            (
                1,
                1,
                "purple14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9smc2vxm",
            ),
        ] {
            let want: cosmrs::AccountId = want.parse().unwrap();
            let got =
                deai_framework::Address::from_bech32(&classic_address(code, instance)).unwrap();
            assert_eq!(
                got.as_bytes(),
                want.to_bytes().as_slice(),
                "{code}/{instance}"
            );
        }
    }

    #[test]
    fn the_split_adds_up() {
        let (fee, paid) = royalty_split(
            1001,
            250,
            "f",
            &[("a", 5000), ("b", 3000), ("s", 2000)],
            "s",
        );
        assert_eq!(fee, 25);
        assert_eq!(
            paid,
            vec![
                ("f".into(), 25),
                ("a".into(), 488),
                ("b".into(), 292),
                ("s".into(), 196)
            ]
        );
        let (fee, paid) =
            royalty_split(21, 250, "f", &[("a", 5000), ("b", 3000), ("s", 2000)], "s");
        assert_eq!(fee, 0);
        assert_eq!(paid.iter().map(|(_, v)| v).sum::<u128>(), 21);
    }

    #[test]
    fn reputation_formula() {
        assert_eq!(reputation_after_one_rating(5, 0, 1000), 2500);
        assert!(reputation_after_one_rating(5, 10, 1000) < 2500);
        assert_eq!(
            reputation_after_one_rating(5, 1000, 1000),
            1000 * 2_500_000 / 1_500_000
        );
    }
}
