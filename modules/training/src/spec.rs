//! Validation of a TaskSpec and its reward pool against the params (docs/training.md).

use deai_framework::Coin;
use deai_proto::training::v1 as pb;
use sha2::{Digest, Sha256};

use crate::error::TrainingError;
use crate::params::Params;

/// Longest dataset, update, aggregate or base URI.
pub const MAX_URI_LEN: usize = 512;
pub const HASH_LEN: usize = 32;

fn bad(msg: impl Into<String>) -> TrainingError {
    TrainingError::InvalidSpec(msg.into())
}

pub(crate) fn hash32(field: &'static str, b: &[u8]) -> Result<(), TrainingError> {
    if b.len() != HASH_LEN {
        return Err(TrainingError::BadHashLength {
            field,
            got: b.len(),
        });
    }
    Ok(())
}

/// A URI: 1..=MAX_URI_LEN printable ASCII bytes without spaces.
pub fn validate_uri(uri: &str) -> Result<(), TrainingError> {
    if uri.is_empty() || uri.len() > MAX_URI_LEN {
        return Err(TrainingError::BadUri(format!(
            "must be 1..={MAX_URI_LEN} bytes, got {}",
            uri.len()
        )));
    }
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(TrainingError::BadUri(
            "must be printable ASCII without spaces".into(),
        ));
    }
    Ok(())
}

/// A coin field of a spec: present, in the bond denom, positive.
fn bond_coin(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    field: &'static str,
    denom: &str,
) -> Result<Coin, TrainingError> {
    let c = c
        .as_ref()
        .ok_or_else(|| bad(format!("{field} is required")))?;
    let coin = Coin::from_proto(c).map_err(|e| bad(format!("{field}: {}", e.log)))?;
    if coin.denom != denom {
        return Err(TrainingError::DenomMismatch(format!(
            "{field} must be in {denom}, got {}",
            coin.denom
        )));
    }
    if coin.amount == 0 {
        return Err(TrainingError::ZeroAmount(field));
    }
    Ok(coin)
}

fn u16_field(v: u32, field: &str) -> Result<u16, TrainingError> {
    u16::try_from(v).map_err(|_| bad(format!("yuma.{field} must be at most 65535, got {v}")))
}

/// The Yuma params of a spec as `deai_yuma` takes them (rao_emission filled in later).
pub fn yuma_params(y: &pb::YumaParams) -> Result<deai_yuma::Params, TrainingError> {
    if y.bonds_moving_average > 1_000_000 {
        return Err(bad("yuma.bonds_moving_average must be at most 1000000"));
    }
    let alpha_low = u16_field(y.alpha_low_u16, "alpha_low_u16")?;
    let alpha_high = u16_field(y.alpha_high_u16, "alpha_high_u16")?;
    if alpha_low > alpha_high {
        return Err(bad("yuma.alpha_low_u16 must not exceed alpha_high_u16"));
    }
    let steepness = i16::try_from(y.alpha_sigmoid_steepness)
        .map_err(|_| bad("yuma.alpha_sigmoid_steepness must fit in i16"))?;
    let max_validators = u16_field(y.max_allowed_validators, "max_allowed_validators")?;
    if max_validators == 0 {
        return Err(bad("yuma.max_allowed_validators must be positive"));
    }
    Ok(deai_yuma::Params {
        kappa_u16: u16_field(y.kappa_u16, "kappa_u16")?,
        bonds_moving_average: y.bonds_moving_average,
        bonds_penalty_u16: u16_field(y.bonds_penalty_u16, "bonds_penalty_u16")?,
        yuma3: y.yuma3,
        liquid_alpha: y.liquid_alpha,
        alpha_low_u16: alpha_low,
        alpha_high_u16: alpha_high,
        alpha_sigmoid_steepness: steepness,
        rao_emission: 0,
        min_stake: 0,
        max_allowed_validators: max_validators,
    })
}

/// Checks a spec fully (see docs/training.md) and its reward pool.
pub fn validate(params: &Params, spec: &pb::TaskSpec, pool: &Coin) -> Result<(), TrainingError> {
    validate_spec(params, spec)?;
    let denom = params.bond_denom();
    if pool.denom != denom {
        return Err(TrainingError::DenomMismatch(format!(
            "reward_pool must be in {denom}, got {}",
            pool.denom
        )));
    }
    if pool.amount < params.min_reward_pool.amount {
        return Err(TrainingError::PoolTooLow {
            got: pool.to_string(),
            min: params.min_reward_pool.to_string(),
        });
    }
    Ok(())
}

/// Checks a spec fully against the params (see docs/training.md).
pub fn validate_spec(params: &Params, spec: &pb::TaskSpec) -> Result<(), TrainingError> {
    let max = params.max_spec_bytes;
    if spec.base_spec.is_empty() || spec.base_spec.len() > max as usize {
        return Err(TrainingError::SpecSize {
            got: spec.base_spec.len(),
            max,
        });
    }
    hash32("base_spec_sha256", &spec.base_spec_sha256)?;
    let digest: [u8; 32] = Sha256::digest(&spec.base_spec).into();
    if digest[..] != spec.base_spec_sha256[..] {
        return Err(TrainingError::SpecHashMismatch);
    }
    match serde_json::from_slice::<serde_json::Value>(&spec.base_spec) {
        Ok(serde_json::Value::Object(_)) => {}
        _ => return Err(bad("base_spec must be a JSON object")),
    }
    hash32("dataset_sha256", &spec.dataset_sha256)?;
    validate_uri(&spec.dataset_uri)?;
    if spec.tempo < params.min_tempo || spec.tempo > params.max_tempo {
        return Err(bad(format!(
            "tempo must be {}..={}, got {}",
            params.min_tempo, params.max_tempo, spec.tempo
        )));
    }
    if spec.reveal_window == 0 || spec.aggregate_window == 0 {
        return Err(bad("reveal_window and aggregate_window must be positive"));
    }
    // tempo > A + 3W + 1: the commit phase outlasts the aggregate window by a block at least.
    let need = spec
        .reveal_window
        .checked_mul(3)
        .and_then(|w| w.checked_add(spec.aggregate_window))
        .and_then(|v| v.checked_add(1))
        .ok_or_else(|| bad("windows overflow"))?;
    if spec.tempo <= need {
        return Err(bad(format!(
            "tempo must exceed aggregate_window + 3·reveal_window + 1 = {need}, got {}",
            spec.tempo
        )));
    }
    if spec.max_neurons < 2 || spec.max_neurons > params.max_neurons_limit {
        return Err(bad(format!(
            "max_neurons must be 2..={}, got {}",
            params.max_neurons_limit, spec.max_neurons
        )));
    }
    if spec.shard_count == 0 {
        return Err(bad("shard_count must be positive"));
    }
    yuma_params(spec.yuma.as_ref().ok_or_else(|| bad("yuma is required"))?)?;
    let denom = params.bond_denom();
    bond_coin(&spec.min_trainer_stake, "min_trainer_stake", denom)?;
    bond_coin(&spec.min_validator_stake, "min_validator_stake", denom)?;
    let emission = bond_coin(&spec.emission_per_tempo, "emission_per_tempo", denom)?;
    if u64::try_from(emission.amount).is_err() {
        return Err(bad("emission_per_tempo must fit in u64"));
    }
    Ok(())
}
