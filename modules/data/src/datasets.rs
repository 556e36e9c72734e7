//! Stateless checks of a dataset's fields (docs/data.md, "Publish"), shared by the messages
//! and genesis import.

use deai_bank::DenomMetadata;
use deai_framework::{sdk, Coin, TxError};
use deai_proto::data::v1 as pb;

use crate::error::DataError;
use crate::params::Params;

pub const HASH_LEN: usize = 32;
pub const MAX_URI_LEN: usize = 512;
/// The keys a dataset's metadata may have (all strings; `name` required).
pub const METADATA_KEYS: [&str; 4] = ["name", "description", "schema", "license"];

/// The bank denom of dataset `id`'s access tokens.
pub fn denom(id: u64) -> String {
    format!("data/{id}")
}

pub fn check_hash(field: &'static str, h: &[u8]) -> Result<(), DataError> {
    if h.len() != HASH_LEN {
        return Err(DataError::BadHashLength {
            field,
            got: h.len(),
        });
    }
    Ok(())
}

/// A URI: 1..=MAX_URI_LEN printable ASCII bytes without spaces.
pub fn check_uri(uri: &str) -> Result<(), DataError> {
    if uri.is_empty() || uri.len() > MAX_URI_LEN {
        return Err(DataError::BadUri(format!(
            "must be 1..={MAX_URI_LEN} bytes, got {}",
            uri.len()
        )));
    }
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DataError::BadUri(
            "must be printable ASCII without spaces".into(),
        ));
    }
    Ok(())
}

/// Checks the metadata JSON (at most `max_bytes`, an object of [`METADATA_KEYS`] strings with
/// a non-empty `name`) and returns the name.
pub fn check_metadata(json: &str, max_bytes: u32) -> Result<String, DataError> {
    let bad = |m: String| DataError::BadMetadata(m);
    if json.len() > max_bytes as usize {
        return Err(bad(format!("{} bytes > {max_bytes}", json.len())));
    }
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad("not a JSON object".into()))?;
    for (k, v) in obj {
        if !METADATA_KEYS.contains(&k.as_str()) {
            return Err(bad(format!("unknown field {k:?}")));
        }
        if !v.is_string() {
            return Err(bad(format!("{k} must be a string")));
        }
    }
    match obj.get("name").and_then(|n| n.as_str()) {
        Some(n) if !n.is_empty() => Ok(n.to_string()),
        _ => Err(bad("name is required".into())),
    }
}

/// A price: in the bond denom (it may be 0: a dispenser).
pub fn check_price(params: &Params, price: &Coin) -> Result<(), DataError> {
    if price.denom != params.bond_denom() {
        return Err(DataError::DenomMismatch(format!(
            "price must be in {}",
            params.bond_denom()
        )));
    }
    Ok(())
}

pub fn check_access(access: i32) -> Result<pb::Access, DataError> {
    match pb::Access::try_from(access) {
        Ok(a @ (pb::Access::Open | pb::Access::Encrypted | pb::Access::ComputeToData)) => Ok(a),
        _ => Err(DataError::BadAccess),
    }
}

/// The bank metadata of a dataset's denom: exponent 0, displayed as itself, described by the
/// dataset's name. (Built from its genesis JSON shape: bank exports no unit constructor.)
pub fn denom_metadata(id: u64, name: &str) -> Result<DenomMetadata, TxError> {
    let d = denom(id);
    serde_json::from_value(serde_json::json!({
        "description": name,
        "denom_units": [{"denom": d, "exponent": 0}],
        "base": d,
        "display": d,
        "name": d,
    }))
    .map_err(|e| sdk::internal(format!("denom metadata of {d}: {e}")))
}
