//! Helpers for building state keys. Modules build their keys in their own `state_key.rs`
//! with these, so the encoding rules live in one place:
//! integers are fixed-width big-endian (so they sort numerically) and variable-length parts
//! that are followed by more key bytes are length-prefixed (so no key is a prefix of another).

use crate::address::Address;

/// A key under `<module>/`, built part by part.
#[derive(Clone, Debug)]
pub struct KeyBuilder(Vec<u8>);

impl KeyBuilder {
    pub fn new(module: &str, table: &str) -> Self {
        let mut k = Vec::with_capacity(module.len() + table.len() + 40);
        k.extend_from_slice(module.as_bytes());
        k.push(b'/');
        k.extend_from_slice(table.as_bytes());
        k.push(b'/');
        Self(k)
    }

    pub fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Length-prefixed address bytes (addresses are at most 255 bytes).
    pub fn addr(mut self, a: &Address) -> Self {
        let b = a.as_bytes();
        // Address::from_bytes bounds the length to 255.
        self.0.push(b.len() as u8);
        self.0.extend_from_slice(b);
        self
    }

    /// Raw bytes; use only as the last part of a key.
    pub fn tail(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }

    pub fn build(self) -> Vec<u8> {
        self.0
    }
}

/// The smallest key greater than every key that starts with `prefix`, or None if unbounded.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Checks the modules' key spaces are disjoint, as the SDK's store-key check
/// (`assertNoCommonPrefix`): every name is non-empty lowercase ASCII letters, digits or '_'
/// (no '/' that would reach into another module's tables), and no name is a prefix of
/// another's, so no module's store prefix `<name>/` can overlap another's even if a key
/// layout ever drops the separator.
pub fn check_module_prefixes(names: &[&str]) -> Result<(), String> {
    for a in names {
        let valid = !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(format!("invalid module name {a:?}"));
        }
    }
    let mut sorted = names.to_vec();
    sorted.sort_unstable();
    // In sorted order, a name that prefixes any other prefixes the one right after it.
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            if a == b {
                return Err(format!("module {a:?} registered twice"));
            }
            if b.starts_with(a) {
                return Err(format!(
                    "module name {a:?} is a prefix of {b:?}: their store keys could collide"
                ));
            }
        }
    }
    Ok(())
}

/// The id at the end of an index key (its last 8 bytes).
pub fn trailing_id(key: &[u8]) -> Option<u64> {
    let start = key.len().checked_sub(8)?;
    let bytes: [u8; 8] = key.get(start..)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// The first key of `module`'s height-ordered index `table` above every entry at `height` or
/// earlier.
pub fn through(module: &str, table: &str, height: u64) -> Vec<u8> {
    match height.checked_add(1) {
        Some(next) => KeyBuilder::new(module, table).u64(next).build(),
        None => {
            let mut end = KeyBuilder::new(module, table).build();
            end.push(0xff);
            end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_handles_carry() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 255]), Some(vec![2]));
        assert_eq!(prefix_end(&[255, 255]), None);
    }

    #[test]
    fn duplicate_modules_rejected() {
        assert!(check_module_prefixes(&["auth", "bank"]).is_ok());
        assert!(check_module_prefixes(&["bank", "bank"]).is_err());
        assert!(check_module_prefixes(&["ba/nk"]).is_err());
        assert!(check_module_prefixes(&[""]).is_err());
    }

    /// Before the fix only exact duplicates were caught: "bank" beside "bank_v2" (or "banks",
    /// wherever they sit in the list) passed.
    #[test]
    fn a_name_that_prefixes_another_is_rejected() {
        assert!(check_module_prefixes(&["bank", "auth", "bank_v2"]).is_err());
        assert!(check_module_prefixes(&["banks", "gov", "bank"]).is_err());
        assert!(check_module_prefixes(&["data", "distribution", "attest", "app"]).is_ok());
        assert!(check_module_prefixes(&["Bank"]).is_err());
        assert!(check_module_prefixes(&["ba\0nk"]).is_err());
    }
}
