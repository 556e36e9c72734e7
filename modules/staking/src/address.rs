//! Validator operator addresses: the same bytes as the operator's account, written with the
//! bech32 prefix `deaivaloper` (the SDK's `Bech32PrefixValAddr` = account prefix + "valoper").
//! `deai_framework::Address` only speaks `deai1…`, so the other prefix lives here.

use bech32::{Bech32, Hrp};

use deai_framework::{sdk, Address, TxError};

pub const VALIDATOR_PREFIX: &str = "deaivaloper";
/// The consensus-address prefix (`deaivalcons`), for logs and the slashing module later.
pub const CONSENSUS_PREFIX: &str = "deaivalcons";

fn decode(s: &str, prefix: &str) -> Result<Address, TxError> {
    let (hrp, data) = bech32::decode(s)
        .map_err(|e| sdk::invalid_address(format!("invalid address {s:?}: {e}")))?;
    if hrp.as_str() != prefix {
        return Err(sdk::invalid_address(format!(
            "invalid address {s:?}: expected prefix {prefix:?}, got {:?}",
            hrp.as_str()
        )));
    }
    Address::from_bytes(&data)
}

fn encode(a: &Address, prefix: &str) -> String {
    // Encoding only fails for an over-long payload, which Address::from_bytes rules out.
    bech32::encode::<Bech32>(Hrp::parse_unchecked(prefix), a.as_bytes()).unwrap_or_default()
}

/// Parses a `deaivaloper1…` string.
pub fn val_from_bech32(s: &str) -> Result<Address, TxError> {
    decode(s, VALIDATOR_PREFIX)
}

/// The `deaivaloper1…` form of an operator.
pub fn val_to_bech32(a: &Address) -> String {
    encode(a, VALIDATOR_PREFIX)
}

/// The `deaivalcons1…` form of a consensus address.
pub fn cons_to_bech32(a: &Address) -> String {
    encode(a, CONSENSUS_PREFIX)
}

/// A validator address stored in a record staking wrote itself.
/// Parses a `deaivalcons1…` consensus address.
pub fn cons_from_bech32(s: &str) -> Result<Address, TxError> {
    decode(s, CONSENSUS_PREFIX)
}

pub fn stored_val(s: &str) -> Result<Address, TxError> {
    val_from_bech32(s)
        .map_err(|e| sdk::internal(format!("corrupt stored validator address: {}", e.log)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valoper_round_trip_and_prefix_checks() {
        let a = Address::from_bytes(&[9; 20]).unwrap();
        let s = val_to_bech32(&a);
        assert!(s.starts_with("deaivaloper1"), "{s}");
        assert_eq!(val_from_bech32(&s).unwrap(), a);
        assert!(val_from_bech32(&a.to_bech32()).is_err());
        assert!(Address::from_bech32(&s).is_err());
    }
}
