//! The pruning indexes `S` (stale tree nodes) and `X` (superseded history entries): one row
//! per committed version, `table ++ version (8, BE)`, whose value lists every entry that
//! version made stale, each as a 4-byte big-endian length and the bytes.
//!
//! A block of 1,000 transfers makes ~15,000 nodes and ~3,000 history entries stale. One row
//! per entry cost two sled operations each (insert now, delete at pruning), about half of a
//! commit's batch; one row per version costs two in all.
//!
//! Stores written before this layout have one row per entry, `table ++ version ++ entry`,
//! with an empty value. Pruning reads both, so such a store needs no migration.

use anyhow::{anyhow, ensure};

/// Length of a row key of the per-version layout: the table byte and the version.
const VERSION_ROW_KEY: usize = 9;

/// The value of a per-version row listing `entries`.
pub fn encode<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        // Entries are tree-node keys and history keys: far below 4 GiB.
        out.extend_from_slice(&(e.len() as u32).to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

/// The entries an index row names: the listed ones of a per-version row, or the single
/// entry in the key of a per-entry row. An error means a corrupt row (a storage fault).
pub fn entries<'a>(key: &'a [u8], value: &'a [u8]) -> anyhow::Result<Vec<&'a [u8]>> {
    ensure!(
        key.len() >= VERSION_ROW_KEY,
        "stale index key of {} bytes",
        key.len()
    );
    if key.len() > VERSION_ROW_KEY {
        ensure!(value.is_empty(), "per-entry stale index row with a value");
        return Ok(vec![&key[VERSION_ROW_KEY..]]);
    }
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| anyhow!("stale index entry length cut short"))?;
        let len = u32::from_be_bytes(*len) as usize;
        ensure!(tail.len() >= len, "stale index entry cut short");
        let (entry, tail) = tail.split_at(len);
        out.push(entry);
        rest = tail;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_row_lists_its_entries_and_a_legacy_row_names_one() {
        let list: [&[u8]; 3] = [b"node-a", b"", b"node-ccc"];
        let value = encode(list);
        let key = [b'S', 0, 0, 0, 0, 0, 0, 0, 7];
        assert_eq!(entries(&key, &value).unwrap(), list.to_vec());
        assert!(entries(&key, &[]).unwrap().is_empty());

        let mut legacy = key.to_vec();
        legacy.extend_from_slice(b"node-a");
        assert_eq!(entries(&legacy, &[]).unwrap(), vec![&b"node-a"[..]]);
    }

    #[test]
    fn corrupt_rows_are_errors_not_guesses() {
        let key = [b'X', 0, 0, 0, 0, 0, 0, 0, 7];
        assert!(entries(&key[..5], &[]).is_err());
        assert!(entries(&key, &[0, 0, 1]).is_err());
        assert!(entries(&key, &[0, 0, 0, 5, 1, 2]).is_err());
        let mut legacy = key.to_vec();
        legacy.push(1);
        assert!(entries(&legacy, b"x").is_err());
    }
}
