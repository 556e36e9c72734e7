//! The pure core of the one audit component that settles a disputed off-chain ML result
//! (a compute result, a training update, an aggregate, an optimistic inference): refereed
//! delegation at checkpoint granularity, as in Gensyn's Verde.
//!
//! Each claim is a list of checkpoint hashes (index 0: the initial state; each a link of a
//! hash chain, so the last one commits to the whole run). The steps:
//! 1. [`first_divergence`] finds the first index where the claims differ;
//! 2. the market draws a referee (`crate::draw`) and asks it to replay [`segment_for`] that
//!    index: from the last agreed checkpoint `segment` to checkpoint `segment + 1`;
//! 3. the referee answers the hash of checkpoint `segment + 1` as its own replay computed it
//!    (or none, if the true run has no such checkpoint);
//! 4. [`judge`] marks every claim whose checkpoint `segment + 1` differs from the answer as
//!    faulty, and the market slashes and refunds.
//!
//! A spot check is the same audit on a segment drawn at random from an accepted claim.

/// The first index at which the claims' lists differ (a list that ends differs from one
/// that goes on), or `None` if every list is identical (or there are no claims).
pub fn first_divergence<C: AsRef<[Vec<u8>]>>(claims: &[C]) -> Option<usize> {
    let first = claims.first()?.as_ref();
    let longest = claims.iter().map(|c| c.as_ref().len()).max().unwrap_or(0);
    (0..longest).find(|&i| {
        let a = first.get(i);
        claims.iter().any(|c| c.as_ref().get(i) != a)
    })
}

/// The segment a referee replays for claims that first diverge at checkpoint `index`: from
/// checkpoint `index - 1`, the last one they agree on, to `index`. Claims that already
/// differ at the initial state (index 0) are judged on segment 0, i.e. at checkpoint 1: the
/// referee rebuilds checkpoint 0 from the job's seed, and a chain that starts wrong cannot
/// reach the right checkpoint 1.
pub fn segment_for(index: usize) -> u32 {
    u32::try_from(index.saturating_sub(1)).unwrap_or(u32::MAX)
}

/// For each claim, whether it is faulty: its checkpoint `segment + 1` is not the referee's
/// `answer` (`None`: the true run has no checkpoint `segment + 1`).
pub fn judge<C: AsRef<[Vec<u8>]>>(claims: &[C], segment: u32, answer: Option<&[u8]>) -> Vec<bool> {
    let judged = usize::try_from(segment)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    claims
        .iter()
        .map(|c| c.as_ref().get(judged).map(Vec::as_slice) != answer)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(b: u8) -> Vec<u8> {
        vec![b; 32]
    }

    #[test]
    fn finds_the_first_divergence() {
        let a = vec![h(0), h(1), h(2)];
        let b = vec![h(0), h(1), h(9)];
        let short = vec![h(0), h(1)];
        assert_eq!(first_divergence(&[a.clone(), a.clone()]), None);
        assert_eq!(first_divergence(&[a.clone(), b.clone()]), Some(2));
        assert_eq!(first_divergence(&[a.clone(), short.clone()]), Some(2));
        assert_eq!(first_divergence(&[vec![h(5)], a.clone()]), Some(0));
        assert_eq!(first_divergence::<Vec<Vec<u8>>>(&[]), None);
        assert_eq!(segment_for(2), 1);
        assert_eq!(segment_for(0), 0);
    }

    #[test]
    fn judges_against_the_referees_answer() {
        let honest = vec![h(0), h(1), h(2)];
        let liar = vec![h(0), h(1), h(9)];
        let short = vec![h(0), h(1)];
        let claims = [honest.clone(), liar, short];
        assert_eq!(judge(&claims, 1, Some(&h(2))), vec![false, true, true]);
        // The true run ends at checkpoint 1: only the short claim is right.
        assert_eq!(judge(&claims, 1, None), vec![true, true, false]);
        // An answer nobody gave: everyone is faulty.
        assert_eq!(judge(&claims, 1, Some(&h(7))), vec![true, true, true]);
        assert_eq!(judge(&[honest], u32::MAX, None), vec![false]);
    }
}
