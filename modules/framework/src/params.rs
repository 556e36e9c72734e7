//! What every market's params validation shares: a required coin, a fraction in `[0, 1]`
//! and a bounded number. Each returns the message of the module's invalid-params error.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use crate::dec::Dec;
use crate::Coin;

/// A required coin param (`name` names it in the error).
pub fn coin(c: &Option<ProtoCoin>, name: &str) -> Result<Coin, String> {
    let c = c.as_ref().ok_or_else(|| format!("{name} is required"))?;
    Coin::from_proto(c).map_err(|e| format!("{name}: {}", e.log))
}

/// A decimal fraction param, at most 1.
pub fn fraction(s: &str, name: &str) -> Result<Dec, String> {
    let d = Dec::parse(s).map_err(|e| format!("{name}: {e}"))?;
    if d > Dec::ONE {
        return Err(format!("{name} must be at most 1"));
    }
    Ok(d)
}

/// A number param within `lo..=hi`.
pub fn within<T: PartialOrd + std::fmt::Display>(
    v: T,
    lo: T,
    hi: T,
    name: &str,
) -> Result<T, String> {
    if v < lo || v > hi {
        return Err(format!("{name} must be {lo}..={hi}, got {v}"));
    }
    Ok(v)
}
