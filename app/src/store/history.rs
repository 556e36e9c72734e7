//! Reads at a kept past version, from the `H` table (every version of every key).

use anyhow::anyhow;
use deai_framework::state::KvPair;
use deai_framework::{sdk, StateRead, TxError};
use jmt::Version;

use super::error::StorageError;
use super::kv::KvStore;
use super::layout::{self, *};

/// Keys a scan at a past version may pass over that are not live at that version (created
/// later, or deleted by then) before it fails: each costs two seeks (a few microseconds) and
/// returns nothing, so without a bound a scan over a churned range would work without
/// limit. Large enough for a page at an old height of a table that has grown a lot since.
pub const MAX_HISTORY_SKIPS: usize = 100_000;

/// The state at a kept past version.
pub struct VersionView<'a> {
    kv: &'a dyn KvStore,
    version: Version,
    max_skips: usize,
}

/// The newest entry of `key` at or before `version`: None if the key was never written,
/// Some(None) if it was deleted.
pub(super) fn history_get(
    kv: &dyn KvStore,
    key: &[u8],
    version: Version,
) -> anyhow::Result<Option<Option<Vec<u8>>>> {
    let start = layout::history_key_prefix(key);
    let end = match version.checked_add(1) {
        Some(next) => layout::history(key, next),
        None => {
            let mut e = start.clone();
            e.push(0xFF);
            e
        }
    };
    let rows = kv.range(&start, Some(&end), true, 1)?;
    rows.into_iter()
        .next()
        .map(|(_, v)| decode_history_value(&v))
        .transpose()
}

fn decode_history_value(v: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
    match v.split_first() {
        Some((1, rest)) => Ok(Some(rest.to_vec())),
        Some((0, _)) => Ok(None),
        _ => Err(anyhow!("corrupt history entry")),
    }
}

impl<'a> VersionView<'a> {
    pub(super) fn new(kv: &'a dyn KvStore, version: Version) -> Self {
        Self {
            kv,
            version,
            max_skips: MAX_HISTORY_SKIPS,
        }
    }

    /// This view with another skip budget (tests).
    #[cfg(test)]
    pub(super) fn with_max_skips(mut self, max_skips: usize) -> Self {
        self.max_skips = max_skips;
        self
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// Seeks key by key: the first `H` row in range names the next key, one reverse seek
    /// finds its newest version at or before the view's, and the cursor jumps past all its
    /// versions. Work is two seeks per key passed, whatever the key's history; keys not live
    /// at the version are bounded by `max_skips`. The inner result is the
    /// request's error (too many skips); the outer one a storage fault.
    fn scan_history(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> anyhow::Result<Result<Vec<KvPair>, TxError>> {
        let mut lo = table(HISTORY, &escape(start));
        let mut hi = match end {
            Some(e) => table(HISTORY, &escape(e)),
            None => vec![HISTORY + 1],
        };
        let mut out: Vec<KvPair> = Vec::new();
        let mut skipped = 0usize;
        while out.len() < limit {
            let Some((raw, _)) = self
                .kv
                .range(&lo, Some(&hi), reverse, 1)?
                .into_iter()
                .next()
            else {
                break;
            };
            let (key, _) = unescape(&raw[1..]).ok_or_else(|| anyhow!("corrupt history key"))?;
            match history_get(self.kv, &key, self.version)? {
                Some(Some(v)) => out.push((key.clone(), v)),
                _ => {
                    skipped += 1;
                    if skipped > self.max_skips {
                        return Ok(Err(sdk::invalid_request(format!(
                            "scan at height {} passes more than {} keys not live at that \
                             height; query a narrower range",
                            self.version, self.max_skips
                        ))));
                    }
                }
            }
            // All versions of `key` lie in [prefix ‖ 00 00, prefix ‖ 00 01).
            let mut versions = layout::history_key_prefix(&key);
            if reverse {
                hi = versions;
            } else {
                if let Some(last) = versions.last_mut() {
                    *last = 1;
                }
                lo = versions;
            }
        }
        Ok(Ok(out))
    }
}

impl StateRead for VersionView<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        history_get(self.kv, key, self.version)
            .map(Option::flatten)
            .map_err(|e| StorageError::at_key("history read", key, e).to_tx_error())
    }

    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>, TxError> {
        if end.is_some_and(|e| e <= start) || limit == 0 {
            return Ok(Vec::new());
        }
        self.scan_history(start, end, reverse, limit)
            .map_err(|e| StorageError::at_key("history scan", start, e).to_tx_error())?
    }
}
