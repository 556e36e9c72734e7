//! The commit hashes of updates and weights, and subtensor's max-upscaling of a weight row.
//! Pure: the worker daemons compute the same commits with these functions.

use deai_framework::Address;
use deai_yuma::fixed::I32F32;
use sha2::{Digest, Sha256};

/// The domain of a weights commit.
pub const WEIGHTS_DOMAIN: &[u8] = b"deai/training/weights";

/// `sha256(update_hash ‖ salt ‖ owner address bytes)`.
pub fn update_commit_hash(update_hash: &[u8], salt: &[u8], owner: &Address) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(update_hash);
    h.update(salt);
    h.update(owner.as_bytes());
    h.finalize().into()
}

/// `sha256("deai/training/weights" ‖ owner address bytes ‖ task_id u64 BE ‖ round u64 BE ‖
/// count u32 BE ‖ uids as u16 BE ‖ values as u16 BE ‖ salt ‖ version u64 BE)`, over the row
/// as the validator sets it (before max-upscaling). `count` is `uids.len()`.
pub fn weights_commit_hash(
    owner: &Address,
    task_id: u64,
    round: u64,
    uids: &[u16],
    values: &[u16],
    salt: &[u8],
    version: u64,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(WEIGHTS_DOMAIN);
    h.update(owner.as_bytes());
    h.update(task_id.to_be_bytes());
    h.update(round.to_be_bytes());
    h.update(u32::try_from(uids.len()).unwrap_or(u32::MAX).to_be_bytes());
    for u in uids {
        h.update(u.to_be_bytes());
    }
    for v in values {
        h.update(v.to_be_bytes());
    }
    h.update(salt);
    h.update(version.to_be_bytes());
    h.finalize().into()
}

/// `round()` of the fixed crate on a non-negative I32F32 (to nearest, ties away from zero),
/// then a saturating cast to u16.
fn round_u16(x: I32F32) -> u16 {
    if x.0 <= 0 {
        return 0;
    }
    let r = (i128::from(x.0) + (1i128 << 31)) >> 32;
    u16::try_from(r).unwrap_or(u16::MAX)
}

/// subtensor's `vec_u16_max_upscale_to_u16` (math.rs), as `set_weights` applies it: the row
/// is scaled so its largest value becomes 65535, in I32F32 with subtensor's rounding.
pub fn max_upscale(values: &[u16]) -> Vec<u16> {
    let Some(&max) = values.iter().max() else {
        return Vec::new();
    };
    if max == 0 {
        return values.to_vec();
    }
    let u16_max = I32F32::from_int(i64::from(u16::MAX));
    let m = I32F32::from_int(i64::from(max));
    let threshold = I32F32::from_int(32768);
    values
        .iter()
        .map(|&e| {
            let e = I32F32::from_int(i64::from(e));
            if m > threshold {
                round_u16(e.mul(u16_max.div(m)))
            } else {
                round_u16(e.mul(u16_max).div(m))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_upscale_matches_subtensor() {
        assert_eq!(max_upscale(&[]), Vec::<u16>::new());
        assert_eq!(max_upscale(&[0, 0]), vec![0, 0]);
        assert_eq!(max_upscale(&[1]), vec![65535]);
        assert_eq!(max_upscale(&[1, 2]), vec![32768, 65535]);
        assert_eq!(max_upscale(&[65535, 0, 1]), vec![65535, 0, 1]);
        // Above the threshold the factor 65535/max is computed first (and truncated), so
        // 20000 · (65535/40000) lands just below 32767.5.
        assert_eq!(max_upscale(&[40000, 20000]), vec![65535, 32767]);
        assert_eq!(max_upscale(&[3, 1, 2]), vec![65535, 21845, 43690]);
    }

    #[test]
    fn commits_bind_every_field() {
        let a = Address::from_bytes(&[1; 20]).unwrap();
        let b = Address::from_bytes(&[2; 20]).unwrap();
        let u = update_commit_hash(&[7; 32], &[9; 16], &a);
        assert_ne!(u, update_commit_hash(&[7; 32], &[9; 16], &b));
        assert_ne!(u, update_commit_hash(&[7; 32], &[8; 16], &a));
        let w = weights_commit_hash(&a, 1, 2, &[0, 1], &[5, 6], &[3; 16], 0);
        assert_ne!(
            w,
            weights_commit_hash(&a, 1, 3, &[0, 1], &[5, 6], &[3; 16], 0)
        );
        assert_ne!(
            w,
            weights_commit_hash(&a, 1, 2, &[1, 0], &[5, 6], &[3; 16], 0)
        );
        assert_ne!(
            w,
            weights_commit_hash(&a, 1, 2, &[0, 1], &[5, 6], &[3; 16], 1)
        );
        assert_ne!(
            w,
            weights_commit_hash(&b, 1, 2, &[0, 1], &[5, 6], &[3; 16], 0)
        );
    }
}
