//! Realistic compute messages: providers with attributes, an order for the digits job with
//! a ~2 KiB spec, bids, results with checkpoint hash chains.

use sha2::{Digest, Sha256};

use deai_compute::VERIFIER_ATTRIBUTE;
use deai_framework::Address;
use deai_proto::compute::v1 as pb;

use crate::world::{attr, coin, Actors};

/// Every provider's stake (the minimum is 10,000,000; verifiers lend audit deposits out of it).
pub const STAKE: u128 = 20_000_000;
/// Bid deposit (the default `bid_min_deposit`).
pub const BID_DEPOSIT: u128 = 1_000_000;
/// The orders' max price per block; bids ask a bit less.
pub const MAX_PRICE: u128 = 1_000;
/// An order's initial deposit: enough for 2 leases × `MAX_BLOCKS` blocks at `MAX_PRICE`.
pub const ORDER_DEPOSIT: u128 = 2 * MAX_PRICE * MAX_BLOCKS as u128;
pub const MAX_BLOCKS: u64 = 1_000;
/// Checkpoints per result.
pub const CHECKPOINTS: usize = 20;

pub fn resources() -> pb::Resources {
    pb::Resources {
        cpu_millis: 4_000,
        memory_bytes: 8 << 30,
        gpus: 0,
        storage_bytes: 10 << 30,
    }
}

pub fn capacity() -> pb::Resources {
    pb::Resources {
        cpu_millis: 64_000,
        memory_bytes: 256 << 30,
        gpus: 2,
        storage_bytes: 4 << 40,
    }
}

pub fn create_provider(owner: &Address, verifier: bool) -> pb::MsgCreateProvider {
    let mut attributes = vec![
        attr("region", "eu"),
        attr("arch", "x86_64"),
        attr("gpu", "none"),
    ];
    if verifier {
        attributes.push(attr(VERIFIER_ATTRIBUTE, "true"));
    }
    pb::MsgCreateProvider {
        owner: owner.to_bech32(),
        host_uri: format!(
            "https://{}.provider.example:8443",
            &owner.to_bech32()[5..15]
        ),
        attributes,
        capacity: Some(capacity()),
        stake: Some(coin(STAKE)),
    }
}

pub fn update_provider(owner: &Address) -> pb::MsgUpdateProvider {
    pb::MsgUpdateProvider {
        owner: owner.to_bech32(),
        host_uri: "https://moved.provider.example:8443".into(),
        attributes: vec![
            attr("region", "eu"),
            attr("arch", "x86_64"),
            attr("gpu", "none"),
        ],
        capacity: Some(capacity()),
    }
}

pub fn sign_attributes(provider: &Address) -> pb::MsgSignProviderAttributes {
    pb::MsgSignProviderAttributes {
        auditor: Actors::auditor().to_bech32(),
        provider: provider.to_bech32(),
        attributes: vec![attr("region", "eu"), attr("arch", "x86_64")],
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

/// A job spec of about 2 KiB: the digits MLP, its data shards and its checkpoint schedule,
/// as canonical JSON.
pub fn digits_spec() -> Vec<u8> {
    let shards: Vec<serde_json::Value> = (0u32..12)
        .map(|i| {
            serde_json::json!({"uri": format!("https://data.example/digits/shard-{i:02}.safetensors"),
                "sha256": hex(&sha(&[b"digits shard", &i.to_be_bytes()]))})
        })
        .collect();
    let spec = serde_json::json!({
        "kind": "train", "framework": "tch", "deterministic": true,
        "model": {"type": "mlp", "layers": [64, 128, 64, 10], "activation": "relu"},
        "dataset": {"name": "sklearn-digits", "shards": shards, "split": {"train": 1437, "test": 360}},
        "optimizer": {"type": "sgd", "lr": "0.05", "momentum": "0.9", "batch_size": 32},
        "steps": 2000, "seed": 42,
        "checkpoints": {"every_steps": 100, "hash": "sha256-chain"},
    });
    serde_json::to_vec(&spec).expect("spec json")
}

/// The digits spec padded with a `notes` field to exactly `len` bytes (at least its own size).
pub fn padded_spec(len: usize) -> Vec<u8> {
    let base = digits_spec();
    let pad = len.saturating_sub(base.len() + r#","notes":"""#.len());
    let mut v: serde_json::Value = serde_json::from_slice(&base).expect("spec json");
    v["notes"] = serde_json::Value::String("n".repeat(pad));
    serde_json::to_vec(&v).expect("spec json")
}

pub fn create_order(redundancy: u32, bid_window: u64) -> pb::MsgCreateOrder {
    create_order_with_spec(redundancy, bid_window, digits_spec())
}

pub fn create_order_with_spec(
    redundancy: u32,
    bid_window: u64,
    spec: Vec<u8>,
) -> pb::MsgCreateOrder {
    pb::MsgCreateOrder {
        dataset_id: 0,
        owner: Actors::requester().to_bech32(),
        spec_sha256: sha(&[&spec]),
        spec,
        required_attributes: vec![attr("region", "eu")],
        auditors: Some(pb::AuditorRequirement {
            auditors: vec![Actors::auditor().to_bech32()],
            r#match: pb::AuditorMatch::AnyOf as i32,
        }),
        resources: Some(resources()),
        max_price_per_block: Some(coin(MAX_PRICE)),
        deposit: Some(coin(ORDER_DEPOSIT)),
        redundancy,
        verification: Some(pb::Verification {
            mode: pb::VerificationMode::Redundant as i32,
            spot_check_rate: String::new(),
        }),
        bid_window,
        max_blocks: MAX_BLOCKS,
        max_access_fee: None,
    }
}

pub fn deposit_order(order_id: u64) -> pb::MsgDepositOrder {
    pb::MsgDepositOrder {
        depositor: Actors::requester().to_bech32(),
        order_id,
        amount: Some(coin(ORDER_DEPOSIT / 2)),
    }
}

pub fn create_bid(provider: &Address, order_id: u64, price: u128) -> pb::MsgCreateBid {
    pb::MsgCreateBid {
        provider: provider.to_bech32(),
        order_id,
        price: Some(coin(price)),
        deposit: Some(coin(BID_DEPOSIT)),
    }
}

/// A checkpoint hash chain of `CHECKPOINTS` links; from index `diverge_at` on (if any) the
/// run differs, so the chain does too.
pub fn checkpoints(diverge_at: Option<usize>) -> Vec<Vec<u8>> {
    let mut chain: Vec<Vec<u8>> = Vec::with_capacity(CHECKPOINTS);
    let mut prev = sha(&[b"seeded start"]);
    for i in 0..CHECKPOINTS {
        let run: &[u8] = if diverge_at.is_some_and(|d| i >= d) {
            b"faulty"
        } else {
            b"true"
        };
        prev = sha(&[&prev, run, &(i as u64).to_be_bytes()]);
        chain.push(prev.clone());
    }
    chain
}

pub fn submit_result(
    provider: &Address,
    lease_id: u64,
    chain: Vec<Vec<u8>>,
) -> pb::MsgSubmitResult {
    let head = chain.last().cloned().expect("non-empty chain");
    pb::MsgSubmitResult {
        provider: provider.to_bech32(),
        lease_id,
        result_hash: head.clone(),
        weights_sha256: sha(&[b"weights", &head]),
        checkpoint_hashes: chain,
        artifact_uri: format!("https://artifacts.provider.example/{}", hex(&head[..8])),
    }
}
