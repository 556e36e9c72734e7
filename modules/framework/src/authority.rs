//! The authority of a module: the one address whose `MsgUpdateParams` may change the
//! module's params. It comes from the module's genesis (`"authority": "deai1…"`), and by
//! default is the governance module's account, as in the Cosmos SDK (v0.47+), so that a
//! later gov module can take over without a migration. Each module keeps it under its own
//! key (built in its `state_key.rs`); this module is the one way to read, set and check it.

use crate::error::TxError;
use crate::state::{StateRead, StateWrite};
use crate::Address;

/// The module whose account is the default authority.
pub const DEFAULT_AUTHORITY_MODULE: &str = "gov";
/// The SDK answers a wrong authority with x/gov's `ErrInvalidSigner`: codespace `gov`,
/// code 13 (v0.47+). deai does the same, so clients that know the SDK show the right thing.
pub const CODESPACE: &str = "gov";
pub const INVALID_SIGNER: u32 = 13;

/// The governance module's account address.
pub fn default_authority() -> Address {
    Address::module(DEFAULT_AUTHORITY_MODULE)
}

/// Stores the authority named in genesis (bech32), or the default when absent.
pub fn init(
    state: &mut dyn StateWrite,
    key: &[u8],
    from_genesis: Option<&str>,
) -> Result<Address, TxError> {
    let a = match from_genesis {
        Some(s) => Address::from_bech32(s)?,
        None => default_authority(),
    };
    state.put(key.to_vec(), a.as_bytes().to_vec())?;
    Ok(a)
}

/// [`init`] from a proto3 genesis field, where an empty string is the absent authority.
pub fn init_proto(
    state: &mut dyn StateWrite,
    key: &[u8],
    from_genesis: &str,
) -> Result<Address, TxError> {
    init(
        state,
        key,
        (!from_genesis.is_empty()).then_some(from_genesis),
    )
}

/// The stored authority; a chain started before authorities existed has the default.
pub fn get(state: &dyn StateRead, key: &[u8]) -> Result<Address, TxError> {
    match state.get(key)? {
        Some(bytes) => Address::from_bytes(&bytes),
        None => Ok(default_authority()),
    }
}

/// `Ok` only if `claimed` is the module's authority.
pub fn check(state: &dyn StateRead, key: &[u8], claimed: &Address) -> Result<(), TxError> {
    let expected = get(state, key)?;
    if &expected != claimed {
        return Err(TxError::new(
            CODESPACE,
            INVALID_SIGNER,
            format!(
                "invalid authority; expected {}, got {}",
                expected.to_bech32(),
                claimed.to_bech32()
            ),
        ));
    }
    Ok(())
}

/// The stateless part of every module's `MsgUpdateParams`: all the params must be supplied,
/// the authority must be an address, and `from_proto` must accept the params (in that order).
pub fn update_params_from<P, T, E: Into<TxError>>(
    authority: &str,
    params: Option<P>,
    from_proto: impl FnOnce(&P) -> Result<T, E>,
) -> Result<(Address, T), TxError> {
    let p = params
        .ok_or_else(|| crate::sdk::invalid_request("params must be supplied (all of them)"))?;
    let authority = Address::from_bech32(authority)?;
    let params = from_proto(&p).map_err(Into::into)?;
    Ok((authority, params))
}

/// The execution of every module's `MsgUpdateParams`: only the authority stored at `key` may
/// sign it; `set` writes the params; then `event` and the sender event are emitted, and
/// `response` is returned.
pub fn update_params<R: prost::Message + prost::Name>(
    ctx: &mut crate::Ctx,
    key: &[u8],
    authority: &Address,
    set: impl FnOnce(&mut crate::Ctx) -> Result<(), TxError>,
    event: crate::Event,
    response: R,
) -> Result<cosmos_sdk_proto::Any, TxError> {
    check(ctx, key, authority)?;
    set(ctx)?;
    ctx.emit(event);
    ctx.emit(crate::handler::sender_event(authority));
    Ok(crate::handler::response(response))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemStore;

    #[test]
    fn the_default_is_gov_and_only_the_authority_passes() {
        let mut s = MemStore::new();
        let key = b"bank/authority";
        assert_eq!(get(&s, key).unwrap(), default_authority());
        let me = Address::from_bytes(&[7; 20]).unwrap();
        init(&mut s, key, Some(&me.to_bech32())).unwrap();
        assert_eq!(get(&s, key).unwrap(), me);
        assert!(check(&s, key, &me).is_ok());
        let e = check(&s, key, &default_authority()).unwrap_err();
        assert_eq!((e.codespace, e.code), ("gov", 13));
        assert!(
            e.log.starts_with("invalid authority; expected deai1"),
            "{}",
            e.log
        );
        assert!(init(&mut s, key, Some("cosmos1xyz")).is_err());
    }
}
