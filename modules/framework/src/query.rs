//! What every module's query handlers share: reading an address argument, and loading the
//! records an index page names.

use crate::keys::trailing_id;
use crate::state::KvPair;
use crate::{sdk, Address, TxError};

/// An address argument of a query (empty is refused as the SDK refuses it).
pub fn parse_address(addr: &str) -> Result<Address, TxError> {
    if addr.is_empty() {
        return Err(sdk::invalid_address("empty address string is not allowed"));
    }
    Address::from_bech32(addr)
}

/// Loads the records named by the trailing ids of index keys.
pub fn by_ids<M>(
    entries: &[KvPair],
    load: impl Fn(u64) -> Result<Option<M>, TxError>,
) -> Result<Vec<M>, TxError> {
    let mut out = Vec::with_capacity(entries.len());
    for (k, _) in entries {
        let id = trailing_id(k).ok_or_else(|| sdk::internal("corrupt index"))?;
        out.push(load(id)?.ok_or_else(|| sdk::internal(format!("index names missing {id}")))?);
    }
    Ok(out)
}
