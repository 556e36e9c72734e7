//! The on-disk layout: one-byte table prefixes in a single sled tree.
//!
//! | table | key                                   | value                          |
//! |-------|---------------------------------------|--------------------------------|
//! | `L`   | state key                             | version (8, BE) ++ value       |
//! | `H`   | escape(state key) ++ 00 00 ++ version | 01 ++ value, or 00 (deleted)   |
//! | `P`   | key hash (32)                         | state key (JMT preimage)       |
//! | `N`   | borsh(NodeKey)                        | borsh(Node)                    |
//! | `S`   | stale-since version                   | borsh(NodeKey)s (see below)    |
//! | `X`   | superseded-at version                 | H keys (see below)             |
//! | `M`   | name                                  | metadata (version, app hash)   |
//!
//! `L` serves the latest state fast; `H` serves any kept version, including iteration.
//! `S` and `X` are the pruning indexes, one row per version listing its entries
//! (`stale_index`; stores from before also hold one row per entry, version ++ entry).
//! The escaping keeps `H` ordered by state key, so a prefix scan at a version is a range scan.

pub const LATEST: u8 = b'L';
pub const HISTORY: u8 = b'H';
pub const PREIMAGE: u8 = b'P';
pub const NODE: u8 = b'N';
pub const STALE_NODE: u8 = b'S';
pub const STALE_HISTORY: u8 = b'X';

pub const META_VERSION: &[u8] = b"Mversion";
pub const META_EARLIEST: &[u8] = b"Mearliest";

pub fn table(t: u8, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(rest.len() + 1);
    k.push(t);
    k.extend_from_slice(rest);
    k
}

/// Order-preserving escape: 00 becomes 00 FF, so 00 00 can terminate the key.
pub fn escape(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 4);
    for &b in key {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out
}

/// Splits an escaped, terminated key off the front of `bytes`; returns (key, rest).
pub fn unescape(bytes: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut key = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == 0 {
            match bytes.get(i + 1)? {
                0xFF => key.push(0),
                0x00 => return Some((key, &bytes[i + 2..])),
                _ => return None,
            }
            i += 2;
        } else {
            key.push(b);
            i += 1;
        }
    }
    None
}

/// `H` key of one version of one state key.
pub fn history(key: &[u8], version: u64) -> Vec<u8> {
    let mut k = table(HISTORY, &escape(key));
    k.extend_from_slice(&[0, 0]);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// `H` prefix of all versions of exactly `key`.
pub fn history_key_prefix(key: &[u8]) -> Vec<u8> {
    let mut k = table(HISTORY, &escape(key));
    k.extend_from_slice(&[0, 0]);
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn escape_round_trips_and_preserves_order(a in proptest::collection::vec(any::<u8>(), 0..12),
                                                   b in proptest::collection::vec(any::<u8>(), 0..12)) {
            let ha = history(&a, 7);
            let (ka, rest) = unescape(&ha[1..]).unwrap();
            prop_assert_eq!(&ka, &a);
            prop_assert_eq!(rest, &7u64.to_be_bytes()[..]);
            let hb = history(&b, 3);
            prop_assert_eq!(a.cmp(&b), ha[..ha.len()-8].cmp(&hb[..hb.len()-8]));
            // A prefix scan of `a`'s escape finds `b`'s entries iff a is a prefix of b.
            let pa = table(HISTORY, &escape(&a));
            prop_assert_eq!(hb.starts_with(&pa), b.starts_with(&a));
        }
    }
}
