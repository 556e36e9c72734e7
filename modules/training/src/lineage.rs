//! The lineage hash chain of a task (docs/training.md, "FedAvg and lineage"). Pure: workers
//! and `deaid query training lineage` recompute links with these functions.

use deai_proto::training::v1 as pb;
use sha2::{Digest, Sha256};

pub const LINEAGE_DOMAIN: &[u8] = b"deai/training/lineage";

/// `sha256("deai/training/lineage" ‖ task_id u64 BE ‖ base_spec_sha256 ‖ dataset_sha256)`.
pub fn genesis(task_id: u64, base_spec_sha256: &[u8], dataset_sha256: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(LINEAGE_DOMAIN);
    h.update(task_id.to_be_bytes());
    h.update(base_spec_sha256);
    h.update(dataset_sha256);
    h.finalize().into()
}

/// One weight row as the chain stores it: the validator's uid, the target uids and the
/// (max-upscaled) values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightRow {
    pub uid: u16,
    pub uids: Vec<u16>,
    pub values: Vec<u16>,
}

fn u16_of(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

impl WeightRow {
    /// The row of a stored weight set (uids and values are validated u16 on reveal).
    pub fn from_set(w: &pb::WeightSet) -> Self {
        Self {
            uid: u16_of(w.uid),
            uids: w.uids.iter().map(|u| u16_of(*u)).collect(),
            values: w.values.iter().map(|v| u16_of(*v)).collect(),
        }
    }
}

/// `sha256` over the rows in uid order of `uid u16 BE ‖ count u32 BE ‖ uids u16 BE ‖
/// values u16 BE` (rows are sorted here; pass only revealed rows).
pub fn weights_root(rows: &[WeightRow]) -> [u8; 32] {
    let mut sorted: Vec<&WeightRow> = rows.iter().collect();
    sorted.sort_by_key(|r| r.uid);
    let mut h = Sha256::new();
    for r in sorted {
        h.update(r.uid.to_be_bytes());
        h.update(
            u32::try_from(r.uids.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        for u in &r.uids {
            h.update(u.to_be_bytes());
        }
        for v in &r.values {
            h.update(v.to_be_bytes());
        }
    }
    h.finalize().into()
}

/// The weights root of a round's stored weight sets (the revealed ones).
pub fn weights_root_of(sets: &[pb::WeightSet]) -> [u8; 32] {
    let rows: Vec<WeightRow> = sets
        .iter()
        .filter(|w| w.revealed)
        .map(WeightRow::from_set)
        .collect();
    weights_root(&rows)
}

/// `lineage_r = sha256(lineage_{r−1} ‖ len(base_hash_r) u32 BE ‖ base_hash_r ‖
/// count u32 BE ‖ update hashes sorted bytewise ‖ weights_root_r ‖
/// len(aggregate_hash_r) u32 BE ‖ aggregate_hash_r)`. The lengths and the count make the
/// encoding unambiguous: round 0's empty base cannot be read as one more update.
pub fn next(
    prev: &[u8],
    base_hash: &[u8],
    update_hashes: &[Vec<u8>],
    weights_root: &[u8],
    aggregate_hash: &[u8],
) -> [u8; 32] {
    let mut sorted: Vec<&Vec<u8>> = update_hashes.iter().collect();
    sorted.sort();
    let len = |b: &[u8]| u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes();
    let mut h = Sha256::new();
    h.update(prev);
    h.update(len(base_hash));
    h.update(base_hash);
    h.update(
        u32::try_from(sorted.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    for u in sorted {
        h.update(u);
    }
    h.update(weights_root);
    h.update(len(aggregate_hash));
    h.update(aggregate_hash);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_base_is_not_one_more_update() {
        let (x, y, root) = (vec![1u8; 32], vec![2u8; 32], [3u8; 32]);
        let prev = [0u8; 32];
        assert_ne!(
            next(&prev, &[], &[x.clone(), y.clone()], &root, &[]),
            next(&prev, &x, &[y], &root, &[])
        );
    }

    #[test]
    fn links_are_order_insensitive_where_documented() {
        let a = vec![1u8; 32];
        let b = vec![2u8; 32];
        let g = genesis(1, &[3; 32], &[4; 32]);
        assert_ne!(g, genesis(2, &[3; 32], &[4; 32]));
        let n1 = next(&g, &[], &[a.clone(), b.clone()], &[5; 32], &[6; 32]);
        assert_eq!(n1, next(&g, &[], &[b, a.clone()], &[5; 32], &[6; 32]));
        assert_ne!(n1, next(&g, &[], &[a], &[5; 32], &[6; 32]));
        let r1 = WeightRow {
            uid: 1,
            uids: vec![0],
            values: vec![65535],
        };
        let r2 = WeightRow {
            uid: 0,
            uids: vec![1],
            values: vec![65535],
        };
        assert_eq!(
            weights_root(&[r1.clone(), r2.clone()]),
            weights_root(&[r2, r1])
        );
    }
}
