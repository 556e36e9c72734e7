//! Which event attributes CometBFT's tx indexer indexes (app.toml `index_events`).
//!
//! Events always reach clients whole (block_results, tx results, subscriptions); this only
//! sets each attribute's `index` flag, which decides what `tx_search` (and so cosmjs's
//! `searchTx` and GetTxsEvent) can find. Each indexed attribute costs CometBFT a few kv
//! writes per tx, which under load is a large part of its per-tx work.
//!
//! Patterns, matched against "type.key": `type.key` exactly, `prefix*` (e.g. `deai.*`),
//! `*` for everything, and `!pattern` to exclude (exclusions win). A list of exclusions
//! alone starts from everything. An empty list indexes everything, as the Cosmos SDK's
//! `index-events = []` does.

use std::collections::BTreeSet;

/// What `deaid init` writes: everything except the per-coin-movement bookkeeping of every
/// transfer and fee debit. The amounts are not search keys, and `coin_spent.spender` /
/// `coin_received.receiver` repeat `transfer.sender` / `transfer.recipient` (still indexed,
/// with `message.*`, `tx.acc_seq`, `tx.signature`, `tx.fee_payer` and every module event).
pub const DEFAULT_INDEX_EVENTS: &[&str] = &[
    "*",
    "!coin_spent.*",
    "!coin_received.*",
    "!transfer.amount",
    "!tx.fee",
];

/// The default as app.toml's list.
pub fn default_index_events() -> Vec<String> {
    DEFAULT_INDEX_EVENTS.iter().map(|s| s.to_string()).collect()
}

/// Refuses a pattern that could never match what was meant: empty, a `*` anywhere but at
/// the end, or an exact entry without the "type.key" dot.
pub fn check_pattern(p: &str) -> Result<(), String> {
    let body = p.strip_prefix('!').unwrap_or(p);
    let stem = body.strip_suffix('*').unwrap_or(body);
    if body.is_empty() || stem.contains(['*', '!']) {
        return Err(format!(
            "index_events entry {p:?}: a \"*\" may only end a pattern"
        ));
    }
    if !body.ends_with('*') && !body.contains('.') {
        return Err(format!(
            "index_events entry {p:?} is not \"type.key\", \"prefix*\" or \"*\""
        ));
    }
    Ok(())
}

/// Whether `pattern` (without its `!`) matches "kind.key", without building that string.
fn matches(pattern: &str, kind: &str, key: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => {
            if let Some(rest) = prefix.strip_prefix(kind) {
                // The prefix covers the whole type: the rest is ".", ".key-prefix" or "".
                rest.is_empty() || rest.strip_prefix('.').is_some_and(|k| key.starts_with(k))
            } else {
                kind.starts_with(prefix)
            }
        }
        None => pattern
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix('.'))
            .is_some_and(|k| k == key),
    }
}

/// Whether attribute `key` of an event of type `kind` is indexed; `patterns` None: all.
pub fn indexed(patterns: Option<&BTreeSet<String>>, kind: &str, key: &str) -> bool {
    let Some(patterns) = patterns else {
        return true;
    };
    let mut any_positive = false;
    let mut included = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(excluded) => {
                if matches(excluded, kind, key) {
                    return false;
                }
            }
            None => {
                any_positive = true;
                included = included || matches(p, kind, key);
            }
        }
    }
    included || !any_positive
}
