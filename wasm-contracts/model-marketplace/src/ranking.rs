//! The ranking score of a listed model, in basis points (0..=10000), from three on-chain
//! signals:
//!
//! ```text
//! E = eval_score_bps                                  (deai's evaluation, via DeaiQuery; clamped to 10000)
//! U = floor(10000 · usage / (usage + usage_half))     (usage = licences sold + uses consumed)
//! R = floor(10000 · (Σstars + 3·2) / (5 · (n + 2)))   (ratings 1..=5 with a prior of two 3-star ratings)
//! score = floor((w_e·E + w_u·U + w_r·R) / 10000)      (w_e + w_u + w_r = 10000, set at instantiation)
//! ```
//!
//! U is 0 for an unused model, 5000 at `usage_half`, and approaches 10000. R starts at 6000
//! (three stars) and moves toward the true mean as ratings arrive, so one rating cannot make
//! or break a model. Query `Ranking { model_id }` for the score and every term.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{StdError, StdResult, Uint128};

pub const BPS: u64 = 10_000;
pub const PRIOR_RATINGS: u64 = 2;
pub const PRIOR_STARS: u64 = 3;
pub const MAX_STARS: u64 = 5;
pub const FORMULA: &str = "score = (w_e*E + w_u*U + w_r*R) / 10000; E = eval_score_bps; \
U = 10000*usage/(usage+usage_half), usage = licences_sold + uses_consumed; \
R = 10000*(sum_stars + 3*2)/(5*(ratings + 2)); integer division throughout";

#[cw_serde]
pub struct RankingWeights {
    pub eval_bps: u16,
    pub usage_bps: u16,
    pub rating_bps: u16,
}

impl RankingWeights {
    pub fn sum(&self) -> u32 {
        u32::from(self.eval_bps) + u32::from(self.usage_bps) + u32::from(self.rating_bps)
    }
}

#[cw_serde]
pub struct Terms {
    pub eval_bps: u64,
    pub usage_bps: u64,
    pub rating_bps: u64,
    pub score_bps: u64,
}

fn ratio(num: u128, den: u128) -> StdResult<u64> {
    let v = Uint128::new(BPS.into())
        .checked_multiply_ratio(num, den)
        .map_err(|e| StdError::generic_err(e.to_string()))?;
    u64::try_from(v.u128()).map_err(|e| StdError::generic_err(e.to_string()))
}

pub fn score(
    w: &RankingWeights,
    eval_score_bps: u32,
    usage: u64,
    usage_half: u64,
    rating_sum: u64,
    rating_count: u64,
) -> StdResult<Terms> {
    let e = u64::from(eval_score_bps).min(BPS);
    let u = ratio(
        usage.into(),
        u128::from(usage) + u128::from(usage_half.max(1)),
    )?;
    let r = ratio(
        u128::from(rating_sum) + u128::from(PRIOR_STARS * PRIOR_RATINGS),
        u128::from(MAX_STARS) * (u128::from(rating_count) + u128::from(PRIOR_RATINGS)),
    )?;
    let weighted = u128::from(w.eval_bps) * u128::from(e)
        + u128::from(w.usage_bps) * u128::from(u)
        + u128::from(w.rating_bps) * u128::from(r);
    let s = u64::try_from(weighted / u128::from(BPS))
        .map_err(|e| StdError::generic_err(e.to_string()))?;
    Ok(Terms {
        eval_bps: e,
        usage_bps: u,
        rating_bps: r,
        score_bps: s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: RankingWeights = RankingWeights {
        eval_bps: 5000,
        usage_bps: 2500,
        rating_bps: 2500,
    };

    #[test]
    fn terms_follow_the_documented_formula() {
        let t = score(&W, 8000, 0, 100, 0, 0).unwrap();
        assert_eq!((t.eval_bps, t.usage_bps, t.rating_bps), (8000, 0, 6000));
        assert_eq!(t.score_bps, (5000 * 8000 + 2500 * 6000) / 10_000);
        let t = score(&W, 8000, 100, 100, 10, 2).unwrap();
        assert_eq!(t.usage_bps, 5000);
        assert_eq!(t.rating_bps, 10_000 * 16 / 20);
        let t = score(&W, 20_000, u64::MAX, 1, 5 * 1000, 1000).unwrap();
        assert_eq!(t.eval_bps, 10_000);
        assert!(t.score_bps <= 10_000);
    }
}
