//! Deterministic draws: assignment of referees, spot checks, audited segments.
//!
//! A draw is `sha256(domain ‖ 0x00 ‖ prev_block_hash ‖ object_id as 8 big-endian bytes)`,
//! where `prev_block_hash` is the hash of the block before the one executing
//! ([`crate::context::BlockInfo::prev_block_hash`]). Every node computes the same value, and
//! nobody can know it before the previous block is final.
//!
//! Grinding: the proposer of height h-1 chooses which txs go into its block and so can try
//! many block hashes, and the sender of the tx that triggers a draw chooses the height it
//! lands in. What bounds the damage: each object (an order, an audit) is drawn for once per
//! event that triggers it, so grinding buys at most one biased draw per object; the parties
//! who could gain (a provider hoping to dodge a spot check) must also be the proposer, and
//! a lie that a draw misses is still caught by any later audit, at the price of their whole
//! slashable stake. Draws are never used for anything a proposer can redo cheaply.

use sha2::{Digest, Sha256};

use crate::dec::{Dec, DEC_SCALE};

/// The 32-byte draw of `id` in `domain` on top of `prev_block_hash`.
pub fn draw(domain: &str, prev_block_hash: &[u8; 32], id: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(domain.as_bytes());
    h.update([0u8]);
    h.update(prev_block_hash);
    h.update(id.to_be_bytes());
    h.finalize().into()
}

/// The first 8 bytes of a draw as a big-endian u64 (uniform on 0..2^64).
pub fn draw_u64(domain: &str, prev_block_hash: &[u8; 32], id: u64) -> u64 {
    let d = draw(domain, prev_block_hash, id);
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first)
}

/// Whether a draw of `id` in `domain` hits with probability `rate` (in [0, 1]): the draw `x`
/// (uniform on 0..2^64) hits when `x / 2^64 < rate`, compared exactly in integers as
/// `x · 10^18 < rate_units · 2^64`. A rate of 0 never hits, a rate of 1 always does.
pub fn hits(domain: &str, prev_block_hash: &[u8; 32], id: u64, rate: Dec) -> bool {
    let x = u128::from(draw_u64(domain, prev_block_hash, id));
    let rate = rate.units().min(DEC_SCALE);
    // Both sides are below 2^64 · 10^18 < 2^124: no overflow.
    x * DEC_SCALE < rate << 64
}

/// A draw of `id` in `domain` reduced to `0..n` (`n > 0`; 0 if `n` is 0). The modulo bias is
/// below n / 2^64, negligible for the small n (segments, candidates) this is used for.
pub fn below(domain: &str, prev_block_hash: &[u8; 32], id: u64, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    draw_u64(domain, prev_block_hash, id) % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_depend_on_every_input() {
        let h = [7u8; 32];
        let a = draw("d", &h, 1);
        assert_eq!(a, draw("d", &h, 1));
        assert_ne!(a, draw("e", &h, 1));
        assert_ne!(a, draw("d", &[8u8; 32], 1));
        assert_ne!(a, draw("d", &h, 2));
        // The separator keeps (domain, hash) boundaries apart.
        assert_ne!(draw("d", &h, 1), draw("d\u{7}", &[7u8; 32], 1));
    }

    #[test]
    fn rates_hit_in_proportion() {
        let h = [3u8; 32];
        let zero = Dec::ZERO;
        let one = Dec::ONE;
        let tenth = Dec::parse("0.1").unwrap();
        assert!((0..1000).all(|i| !hits("s", &h, i, zero)));
        assert!((0..1000).all(|i| hits("s", &h, i, one)));
        let n = (0..10_000).filter(|i| hits("s", &h, *i, tenth)).count();
        assert!((800..1200).contains(&n), "{n} hits of 10000 at 0.1");
        assert!((0..100).all(|i| below("b", &h, i, 7) < 7));
        assert_eq!(below("b", &h, 1, 0), 0);
    }
}
