//! What fits in a block: the chain's default block gas and the gas limits clients set.
//!
//! CometBFT's block gas limit counts each tx's gas *limit* (deaid's PrepareProposal and
//! ProcessProposal sum `gas_limit`), so a block holds `max_gas / gas_limit` txs, whatever
//! they end up using.

/// `deaid init` writes `consensus_params.block.max_gas = DEFAULT_MAX_BLOCK_GAS` into
/// genesis.json (app/src/cli/init.rs; the localnet keeps it). The constant sits in a
/// private module of deaid, so the bench reads it from the source it is built from.
const INIT_RS: &str = include_str!("../../../app/src/cli/init.rs");

/// The default block gas limit of a chain made by `deaid init`.
pub fn default_max_block_gas() -> u64 {
    parse_const(INIT_RS, "DEFAULT_MAX_BLOCK_GAS")
        .expect("app/src/cli/init.rs defines DEFAULT_MAX_BLOCK_GAS")
}

/// The value of `pub const NAME: <int type> = <literal>;` in Rust source, if any.
pub fn parse_const(src: &str, name: &str) -> Option<u64> {
    let line = src
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("pub const ") && l[10..].starts_with(&format!("{name}:")))?;
    let value = line.split('=').nth(1)?.trim().trim_end_matches(';').trim();
    let digits: String = value.chars().filter(|c| *c != '_').collect();
    digits.parse().ok()
}

/// The client's `--gas auto` limit for a tx that simulated `used` gas: `used × 1.5` (the
/// default adjustment), at least `used + 100,000` (deai-client's `MIN_GAS_HEADROOM`).
pub fn auto_gas_limit(used: u64) -> u64 {
    let adjusted = (used as f64 * AUTO_ADJUSTMENT).ceil() as u64;
    adjusted.max(used.saturating_add(deai_client::sender::MIN_GAS_HEADROOM))
}

/// deai-client's default gas adjustment.
pub const AUTO_ADJUSTMENT: f64 = 1.5;

/// How many txs of `gas_limit` each fit in `block_gas`.
pub fn per_block(block_gas: u64, gas_limit: u64) -> u64 {
    block_gas.checked_div(gas_limit).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_apps_default_block_gas() {
        assert_eq!(default_max_block_gas(), 1_000_000_000);
    }

    #[test]
    fn parses_integer_constants() {
        let src = "x\n    pub const A: i64 = 1_000;\npub const AB: u64 = 7;\n";
        assert_eq!(parse_const(src, "A"), Some(1000));
        assert_eq!(parse_const(src, "AB"), Some(7));
        assert_eq!(parse_const(src, "B"), None);
    }

    #[test]
    fn auto_gas_is_the_larger_of_the_two_margins() {
        let h = deai_client::sender::MIN_GAS_HEADROOM;
        // Small: the headroom wins.
        assert_eq!(auto_gas_limit(100_000), 100_000 + h);
        assert_eq!(auto_gas_limit(1), 1 + h);
        // Large: 1.5 × used wins (2 × h ≤ used makes 1.5 × used ≥ used + h).
        assert_eq!(auto_gas_limit(4 * h), 6 * h);
    }

    #[test]
    fn block_fit() {
        assert_eq!(per_block(1_000_000_000, 200_000), 5_000);
        assert_eq!(per_block(1_000_000_000, 300_001), 3_333);
        assert_eq!(per_block(10, 0), 0);
    }
}
