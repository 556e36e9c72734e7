//! Reputation: a decayed, prior-weighted mean of star ratings, in integer fixed point.
//!
//! Each rating of `s` stars (0..=5; a lost dispute or an expired job counts as 0) adds
//! `s·SCALE` to a sum `S` and `SCALE` to a weight `W`. Both decay with a half-life of `H`
//! blocks, computed lazily when touched:
//!
//! ```text
//! decay(v, Δ) = floor( floor(v / 2^⌊Δ/H⌋) · (2H − (Δ mod H)) / (2H) )
//! ```
//!
//! exact at whole half-lives and linear in between. The reputation, in milli-stars, is
//!
//! ```text
//! reputation = floor( 1000 · S_d / (W_d + SCALE) )        (0..5000)
//! ```
//!
//! The extra `SCALE` in the denominator is a prior of one 0-star rating: a new agent starts
//! at 0, a run of good ratings approaches 5000, and an agent that stops working sees its
//! reputation fade back toward 0 as its ratings decay. No floats anywhere.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{StdError, StdResult, Uint128};

/// Fixed-point weight of one rating.
pub const SCALE: u128 = 1_000_000;
/// The highest rating.
pub const MAX_STARS: u8 = 5;

/// `v` decayed over `elapsed` blocks with a half-life of `half_life` blocks (≥ 1).
pub fn decay(v: Uint128, elapsed: u64, half_life: u64) -> StdResult<Uint128> {
    let half_life = half_life.max(1);
    let halvings = elapsed / half_life;
    if halvings >= 128 {
        return Ok(Uint128::zero());
    }
    let halved = Uint128::new(v.u128() >> halvings);
    let two_h = 2 * u128::from(half_life);
    let rem = u128::from(elapsed % half_life);
    halved
        .checked_multiply_ratio(two_h - rem, two_h)
        .map_err(|e| StdError::generic_err(e.to_string()))
}

#[cw_serde]
#[derive(Default)]
pub struct Reputation {
    /// Decayed sum of stars·SCALE, as of `updated_at`.
    pub score_sum: Uint128,
    /// Decayed weight (SCALE per rating), as of `updated_at`.
    pub weight: Uint128,
    /// Height the sums were last decayed to.
    pub updated_at: u64,
    /// Number of ratings ever recorded (not decayed), including automatic 0-star ones.
    pub ratings: u64,
}

impl Reputation {
    /// The sum and weight decayed to height `now`.
    pub fn decayed(&self, now: u64, half_life: u64) -> StdResult<(Uint128, Uint128)> {
        let elapsed = now.saturating_sub(self.updated_at);
        Ok((
            decay(self.score_sum, elapsed, half_life)?,
            decay(self.weight, elapsed, half_life)?,
        ))
    }

    /// Records a rating of `stars` (0..=5) at height `now`.
    pub fn add(&mut self, stars: u8, now: u64, half_life: u64) -> StdResult<()> {
        let (sum, weight) = self.decayed(now, half_life)?;
        let stars = u128::from(stars.min(MAX_STARS));
        self.score_sum = sum.checked_add(Uint128::new(stars * SCALE))?;
        self.weight = weight.checked_add(Uint128::new(SCALE))?;
        self.updated_at = now.max(self.updated_at);
        self.ratings += 1;
        Ok(())
    }

    /// Reputation in milli-stars (0..=5000) at height `now`.
    pub fn milli_stars(&self, now: u64, half_life: u64) -> StdResult<u32> {
        let (sum, weight) = self.decayed(now, half_life)?;
        let den = weight.checked_add(Uint128::new(SCALE))?;
        let v = sum
            .checked_multiply_ratio(1000u128, den)
            .map_err(|e| StdError::generic_err(e.to_string()))?;
        Ok(u32::try_from(v.u128()).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_halves_each_half_life_and_interpolates() {
        let v = Uint128::new(1_000_000);
        assert_eq!(decay(v, 0, 100).unwrap(), v);
        assert_eq!(decay(v, 100, 100).unwrap(), Uint128::new(500_000));
        assert_eq!(decay(v, 200, 100).unwrap(), Uint128::new(250_000));
        assert_eq!(decay(v, 50, 100).unwrap(), Uint128::new(750_000));
        assert_eq!(decay(v, 100 * 200, 100).unwrap(), Uint128::zero());
        assert_eq!(
            decay(Uint128::MAX, 1, 3).unwrap(),
            Uint128::MAX.multiply_ratio(5u128, 6u128)
        );
    }

    #[test]
    fn reputation_rises_with_good_ratings_and_fades_when_idle() {
        let mut r = Reputation::default();
        assert_eq!(r.milli_stars(0, 100).unwrap(), 0);
        r.add(5, 10, 100).unwrap();
        assert_eq!(r.milli_stars(10, 100).unwrap(), 2500);
        for h in 11..20 {
            r.add(5, h, 100).unwrap();
        }
        let fresh = r.milli_stars(20, 100).unwrap();
        assert!(fresh > 4400, "{fresh}");
        let stale = r.milli_stars(20 + 1000, 100).unwrap();
        assert!(stale < 100, "{stale}");
        assert_eq!(r.ratings, 10);
    }
}
