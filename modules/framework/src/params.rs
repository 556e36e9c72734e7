//! What every market's params validation shares: a required coin, a fraction in `[0, 1]`
//! and a bounded number. Each fails with an [`InvalidParam`], which each module turns into its
//! own invalid-params error (`From`).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use crate::dec::Dec;
use crate::Coin;

/// Why a param is invalid: the message of the module's invalid-params error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidParam(pub String);

/// A required coin param (`name` names it in the error).
pub fn coin(c: &Option<ProtoCoin>, name: &str) -> Result<Coin, InvalidParam> {
    let c = c
        .as_ref()
        .ok_or_else(|| InvalidParam(format!("{name} is required")))?;
    Coin::from_proto(c).map_err(|e| InvalidParam(format!("{name}: {}", e.log)))
}

/// A decimal fraction param, at most 1.
pub fn fraction(s: &str, name: &str) -> Result<Dec, InvalidParam> {
    let d = Dec::parse(s).map_err(|e| InvalidParam(format!("{name}: {e}")))?;
    if d > Dec::ONE {
        return Err(InvalidParam(format!("{name} must be at most 1")));
    }
    Ok(d)
}

/// A number param within `lo..=hi`.
pub fn within<T: PartialOrd + std::fmt::Display>(
    v: T,
    lo: T,
    hi: T,
    name: &str,
) -> Result<T, InvalidParam> {
    if v < lo || v > hi {
        return Err(InvalidParam(format!("{name} must be {lo}..={hi}, got {v}")));
    }
    Ok(v)
}
