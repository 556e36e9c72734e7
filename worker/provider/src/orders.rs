//! Which orders the provider bids on: open, within its attributes and price, and with a spec
//! it can run. The spec is a stranger's bytes from the chain: bounded, hashed, parsed with
//! the worker's validating parser, and planned (data resolved, checkpoints counted) before
//! any bid is placed.

use deai_framework::Coin;
use deai_proto::compute::v1 as pb;
use deai_worker_jobs::spec::Device;
use deai_worker_jobs::{Digest, JobKind, JobSpec};

/// The most checkpoints a job may record: a result carries one hash per checkpoint and the
/// chain takes at most 256 (`Params.max_checkpoints`).
pub const MAX_JOB_CHECKPOINTS: usize = 256;

/// Largest spec read from an order (the chain allows 16 KiB).
pub const MAX_SPEC_BYTES: usize = 64 << 10;

/// What the provider offers.
#[derive(Clone, Debug)]
pub struct Offer {
    pub attributes: Vec<pb::Attribute>,
    pub price: Coin,
    /// min(MAX_JOB_CHECKPOINTS, the chain's max_checkpoints).
    pub max_checkpoints: usize,
}

/// Parses the order's spec: bounded, its sha256 the order's `spec_sha256`, a valid training
/// job for the CPU.
pub fn order_spec(order: &pb::Order) -> Result<JobSpec, String> {
    if order.spec.len() > MAX_SPEC_BYTES {
        return Err(format!(
            "spec of {} bytes, more than {MAX_SPEC_BYTES}",
            order.spec.len()
        ));
    }
    if Digest::of(&order.spec).0.as_slice() != order.spec_sha256.as_slice() {
        return Err("spec_sha256 is not the sha256 of the spec".into());
    }
    let text = std::str::from_utf8(&order.spec).map_err(|_| "spec is not UTF-8".to_string())?;
    let spec = JobSpec::from_json(text).map_err(|e| e.to_string())?;
    if spec.kind != JobKind::Train {
        return Err(
            format!("a {:?} job; this provider runs training jobs", spec.kind).to_lowercase(),
        );
    }
    if spec.device != Device::Cpu {
        return Err("the spec asks for cuda; this provider runs deterministic CPU jobs".into());
    }
    Ok(spec)
}

/// Whether to bid on `order`, and its spec if so. `checkpoints` resolves the spec's data
/// and counts the checkpoints its schedule records (an error: the job cannot be run here).
pub fn assess(
    order: &pb::Order,
    offer: &Offer,
    checkpoints: impl FnOnce(&JobSpec) -> Result<usize, String>,
) -> Result<JobSpec, String> {
    if order.state != pb::OrderState::Open as i32 {
        return Err("not open".into());
    }
    for req in &order.required_attributes {
        if !offer
            .attributes
            .iter()
            .any(|a| a.key == req.key && a.value == req.value)
        {
            return Err(format!("requires attribute {}={}", req.key, req.value));
        }
    }
    match &order.max_price_per_block {
        Some(max) if max.denom == offer.price.denom => {
            let max_amount: u128 = max
                .amount
                .parse()
                .map_err(|_| format!("max price {:?} is not an amount", max.amount))?;
            if offer.price.amount > max_amount {
                return Err(format!(
                    "pays at most {}{}, the provider asks {}",
                    max.amount, max.denom, offer.price
                ));
            }
        }
        Some(max) => {
            return Err(format!(
                "pays in {}, the provider prices in {}",
                max.denom, offer.price.denom
            ))
        }
        None => return Err("no max price".into()),
    }
    let spec = order_spec(order)?;
    let n = checkpoints(&spec)?;
    if n > offer.max_checkpoints {
        return Err(format!(
            "the job records {n} checkpoints, at most {} fit in a result",
            offer.max_checkpoints
        ));
    }
    Ok(spec)
}

/// Parses `k=v,k2=v2` into attributes (empty string: none).
pub fn parse_attributes(s: &str) -> anyhow::Result<Vec<pb::Attribute>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("attribute {part:?}: expected key=value"))?;
        anyhow::ensure!(
            !k.is_empty() && !v.is_empty(),
            "attribute {part:?}: empty key or value"
        );
        out.push(pb::Attribute {
            key: k.into(),
            value: v.into(),
        });
    }
    Ok(out)
}

/// Parses `cpu_millis=4000,memory_bytes=8000000000,gpus=0,storage_bytes=...`.
pub fn parse_resources(s: &str) -> anyhow::Result<pb::Resources> {
    let mut r = pb::Resources::default();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("resource {part:?}: expected name=number"))?;
        let n: u64 = v
            .parse()
            .map_err(|_| anyhow::anyhow!("resource {part:?}: {v:?} is not a number"))?;
        match k {
            "cpu_millis" => r.cpu_millis = n,
            "memory_bytes" => r.memory_bytes = n,
            "gpus" => r.gpus = u32::try_from(n)?,
            "storage_bytes" => r.storage_bytes = n,
            _ => anyhow::bail!(
                "unknown resource {k:?} (cpu_millis, memory_bytes, gpus, storage_bytes)"
            ),
        }
    }
    Ok(r)
}

pub use deai_worker_daemon::parse_coin;

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

    fn spec_json(device: &str) -> String {
        serde_json::json!({
            "version": 1, "kind": "train",
            "model": {"type": "logistic", "inputs": 4, "classes": 2},
            "dataset": {"sha256": "00".repeat(32)},
            "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 1,
                         "batch_size": 8, "checkpoint_every": 10, "seed": 1},
            "device": device
        })
        .to_string()
    }

    fn order(spec: &str) -> pb::Order {
        pb::Order {
            id: 1,
            spec: spec.as_bytes().to_vec(),
            spec_sha256: Digest::of(spec.as_bytes()).0.to_vec(),
            required_attributes: vec![pb::Attribute {
                key: "region".into(),
                value: "eu".into(),
            }],
            max_price_per_block: Some(ProtoCoin {
                denom: "udeai".into(),
                amount: "10".into(),
            }),
            state: pb::OrderState::Open as i32,
            ..Default::default()
        }
    }

    fn offer() -> Offer {
        Offer {
            attributes: parse_attributes("region=eu,verifier=true").unwrap(),
            price: parse_coin("10udeai").unwrap(),
            max_checkpoints: MAX_JOB_CHECKPOINTS,
        }
    }

    #[test]
    fn an_order_the_provider_can_run_is_accepted() {
        let o = order(&spec_json("cpu"));
        let spec = assess(&o, &offer(), |_| Ok(3)).unwrap();
        assert_eq!(spec.kind, JobKind::Train);
    }

    #[test]
    fn orders_are_refused_for_attributes_price_spec_and_size() {
        let ok = order(&spec_json("cpu"));
        let refuse = |o: &pb::Order, n: usize| assess(o, &offer(), |_| Ok(n)).unwrap_err();

        let mut o = ok.clone();
        o.required_attributes[0].value = "us".into();
        assert!(refuse(&o, 3).contains("requires attribute region=us"));

        let mut o = ok.clone();
        o.max_price_per_block.as_mut().unwrap().amount = "9".into();
        assert!(refuse(&o, 3).contains("pays at most 9udeai"));
        o.max_price_per_block.as_mut().unwrap().denom = "uatom".into();
        assert!(refuse(&o, 3).contains("pays in uatom"));

        let mut o = ok.clone();
        o.spec_sha256[0] ^= 1;
        assert!(refuse(&o, 3).contains("spec_sha256"));

        assert!(refuse(&order("{\"version\": 1}"), 3).contains("invalid spec"));
        assert!(refuse(&order(&spec_json("cuda")), 3).contains("cuda"));

        let mut o = ok.clone();
        o.state = pb::OrderState::Leased as i32;
        assert_eq!(refuse(&o, 3), "not open");

        assert!(refuse(&ok, 257).contains("257 checkpoints"));
        let e = assess(&ok, &offer(), |_| Err("dataset 00.. not found".into())).unwrap_err();
        assert!(e.contains("not found"));
    }

    #[test]
    fn flags_parse() {
        let r = parse_resources("cpu_millis=2000, memory_bytes=1024").unwrap();
        assert_eq!((r.cpu_millis, r.memory_bytes, r.gpus), (2000, 1024, 0));
        assert!(parse_resources("cpus=1").is_err());
        assert!(parse_attributes("region").is_err());
        assert!(parse_attributes("").unwrap().is_empty());
        assert_eq!(parse_coin("1000000udeai").unwrap().amount, 1_000_000);
        assert!(parse_coin("1udeai,2uatom").is_err());
    }
}
