//! Access configs (who may upload code, who may instantiate a code), with wasmd's rules
//! (x/wasm/types/params.go, types.go, validation.go and keeper/authz_policy.go's default
//! policy). Records keep the proto `AccessConfig`; these functions read it.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{AccessConfig, AccessType};
use deai_framework::{sdk, Address, TxError};

use crate::error::WasmError;

/// wasmd's `MaxAddressCount`: most addresses an `AnyOfAddresses` config may name.
pub const MAX_ADDRESS_COUNT: usize = 50;

/// Everybody may.
pub fn everybody() -> AccessConfig {
    AccessConfig {
        permission: AccessType::Everybody as i32,
        addresses: Vec::new(),
    }
}

/// Nobody may.
pub fn nobody() -> AccessConfig {
    AccessConfig {
        permission: AccessType::Nobody as i32,
        addresses: Vec::new(),
    }
}

/// wasmd's `AccessType.String()`, the `code_permission` event attribute.
pub fn type_name(permission: i32) -> &'static str {
    match AccessType::try_from(permission) {
        Ok(AccessType::Nobody) => "Nobody",
        Ok(AccessType::Everybody) => "Everybody",
        Ok(AccessType::AnyOfAddresses) => "AnyOfAddresses",
        _ => "Unspecified",
    }
}

/// wasmd's `validateAccessType`: a known type other than unspecified.
pub fn check_type(permission: i32) -> Result<AccessType, WasmError> {
    match AccessType::try_from(permission) {
        Ok(AccessType::Unspecified) => Err(WasmError::Empty("type".into())),
        Ok(t) => Ok(t),
        Err(_) => Err(WasmError::Invalid(format!("unknown type: {permission}"))),
    }
}

/// wasmd's `AccessConfig.ValidateBasic`.
pub fn check(c: &AccessConfig) -> Result<(), TxError> {
    match check_type(c.permission)? {
        AccessType::AnyOfAddresses => check_addresses(&c.addresses),
        _ => Ok(()),
    }
}

/// wasmd's `validateBech32Addresses`: 1..=50 addresses, each valid, no duplicates (bech32
/// is case-insensitive, so compared upper-cased).
fn check_addresses(addrs: &[String]) -> Result<(), TxError> {
    if addrs.is_empty() {
        return Err(WasmError::Empty("addresses".into()).into());
    }
    if addrs.len() > MAX_ADDRESS_COUNT {
        return Err(sdk::invalid_request(format!(
            "total number of addresses is greater than {MAX_ADDRESS_COUNT}"
        )));
    }
    let mut seen: Vec<String> = Vec::with_capacity(addrs.len());
    for a in addrs {
        Address::from_bech32(a)?;
        let upper = a.to_uppercase();
        if seen.contains(&upper) {
            return Err(WasmError::Duplicate("duplicate addresses".into()).into());
        }
        seen.push(upper);
    }
    Ok(())
}

/// wasmd's `AccessConfig.Allowed(actor)`: the actor's bech32 string among the addresses.
pub fn allowed(c: &AccessConfig, actor: &Address) -> bool {
    match AccessType::try_from(c.permission) {
        Ok(AccessType::Everybody) => true,
        Ok(AccessType::AnyOfAddresses) => {
            let me = actor.to_bech32();
            c.addresses.contains(&me)
        }
        _ => false,
    }
}

/// wasmd's `AccessType.IsSubset(super)`: `a` is as or more restrictive than `sup`.
pub fn type_is_subset(a: i32, sup: i32) -> bool {
    let a = AccessType::try_from(a).unwrap_or(AccessType::Unspecified);
    match AccessType::try_from(sup) {
        Ok(AccessType::Everybody) => a != AccessType::Unspecified,
        Ok(AccessType::Nobody) => a == AccessType::Nobody,
        Ok(AccessType::AnyOfAddresses) => {
            matches!(a, AccessType::Nobody | AccessType::AnyOfAddresses)
        }
        _ => false,
    }
}

/// wasmd's `AccessConfig.IsSubset(super)`.
pub fn is_subset(a: &AccessConfig, sup: &AccessConfig) -> bool {
    match AccessType::try_from(sup.permission) {
        Ok(AccessType::AnyOfAddresses) => {
            a.permission == AccessType::Nobody as i32
                || (a.permission == AccessType::AnyOfAddresses as i32
                    && a.addresses.iter().all(|x| sup.addresses.contains(x)))
        }
        Ok(AccessType::Unspecified) | Err(_) => false,
        Ok(_) => type_is_subset(a.permission, sup.permission),
    }
}

/// wasmd's `AccessType.With(creator)`: the config a default permission gives a code that
/// `creator` uploads (AnyOfAddresses names only the creator).
pub fn with(permission: i32, creator: &Address) -> AccessConfig {
    match AccessType::try_from(permission) {
        Ok(AccessType::Everybody) => everybody(),
        Ok(AccessType::AnyOfAddresses) => AccessConfig {
            permission,
            addresses: vec![creator.to_bech32()],
        },
        // Params validation rules out unspecified; Nobody, and anything else, allows nobody.
        _ => nobody(),
    }
}
