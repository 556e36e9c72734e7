//! Typed records in a module's own store, as every market keeper reads and writes them: a
//! record that does not decode, an address or counter that does not parse, is corrupt state
//! (an internal error naming the module), never the sender's fault.

use prost::Message;

use crate::keys::prefix_end;
use crate::{sdk, Address, StateRead, StateWrite, TxError};

/// Decodes a record `module` wrote itself.
pub fn decode<M: Message + Default>(module: &str, bytes: &[u8]) -> Result<M, TxError> {
    M::decode(bytes).map_err(|e| sdk::internal(format!("corrupt {module} record: {e}")))
}

/// The record at `key`, if any.
pub fn get<M: Message + Default, S: StateRead + ?Sized>(
    module: &str,
    s: &S,
    key: &[u8],
) -> Result<Option<M>, TxError> {
    s.get(key)?.map(|b| decode(module, &b)).transpose()
}

/// Up to `limit` records under `prefix`, in key order.
pub fn all_under<M: Message + Default, S: StateRead + ?Sized>(
    module: &str,
    s: &S,
    prefix: &[u8],
    limit: usize,
) -> Result<Vec<M>, TxError> {
    let end = prefix_end(prefix);
    s.scan(prefix, end.as_deref(), false, limit)?
        .iter()
        .map(|(_, v)| decode(module, v))
        .collect()
}

/// A module's params as stored (the defaults if never set); `from_proto` validates them.
pub fn params<P, T, E, S>(
    module: &str,
    s: &S,
    key: &[u8],
    from_proto: impl FnOnce(&P) -> Result<T, E>,
) -> Result<T, TxError>
where
    P: Message + Default,
    T: Default,
    E: std::fmt::Display,
    S: StateRead + ?Sized,
{
    match get::<P, _>(module, s, key)? {
        Some(p) => from_proto(&p)
            .map_err(|e| sdk::internal(format!("corrupt stored {module} params: {e}"))),
        None => Ok(T::default()),
    }
}

/// An address stored in a record the module wrote itself.
pub fn stored_addr(s: &str) -> Result<Address, TxError> {
    Address::from_bech32(s).map_err(|e| sdk::internal(format!("corrupt stored address: {}", e.log)))
}

/// A big-endian u64 value (`what` names it in the error).
pub fn u64_value(b: &[u8], what: &str) -> Result<u64, TxError> {
    let arr: [u8; 8] = b
        .try_into()
        .map_err(|_| sdk::internal(format!("corrupt {what}")))?;
    Ok(u64::from_be_bytes(arr))
}

/// The counter stored at `key` (0 if never set).
pub fn sequence<S: StateRead + ?Sized>(module: &str, s: &S, key: &[u8]) -> Result<u64, TxError> {
    s.get(key)?
        .map_or(Ok(0), |b| u64_value(&b, &format!("{module} sequence")))
}

/// Hands out the next id of the counter `name` stored at `key` (ids start at 1).
pub fn next_id<S: StateWrite + ?Sized>(
    module: &str,
    s: &mut S,
    key: Vec<u8>,
    name: &str,
) -> Result<u64, TxError> {
    let id = sequence(module, s, &key)?.max(1);
    let next = id
        .checked_add(1)
        .ok_or_else(|| sdk::overflow(format!("{name} ids exhausted")))?;
    s.put(key, next.to_be_bytes().to_vec())?;
    Ok(id)
}

/// The records a bounded index under `prefix` names by the trailing ids of its keys (at most
/// `limit`), each loaded by `load`: `corrupt` is the error of a key without an id, `missing`
/// that of an id without a record.
pub fn indexed<M, S: StateRead + ?Sized>(
    s: &S,
    prefix: &[u8],
    limit: usize,
    load: impl Fn(u64) -> Result<Option<M>, TxError>,
    corrupt: &str,
    missing: impl Fn(u64) -> String,
) -> Result<Vec<M>, TxError> {
    let end = prefix_end(prefix);
    let mut out = Vec::new();
    for (k, _) in s.scan(prefix, end.as_deref(), false, limit)? {
        let id = crate::keys::trailing_id(&k).ok_or_else(|| sdk::internal(corrupt))?;
        out.push(load(id)?.ok_or_else(|| sdk::internal(missing(id)))?);
    }
    Ok(out)
}
