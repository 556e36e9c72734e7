//! The bytes of attestation: a validator's vote extension, the extended commit a proposer
//! injects as its block's first tx, and the bytes CometBFT signs for an extension.
//!
//! Every decoder here is strict (bounded, canonical) because its input comes from peers.

use prost::Message;
use tendermint_proto::v0_38::abci::ExtendedCommitInfo;
use tendermint_proto::v0_38::types::CanonicalVoteExtension;

use deai_proto::attest::v1 as pb;

use crate::params::MAX_PENDING_JOBS_CAP;

/// Most results in one vote extension.
pub const MAX_EXTENSION_RESULTS: usize = MAX_PENDING_JOBS_CAP as usize;
/// Most bytes of one vote extension (each result is at most 2 + 11 + 2 + 32 bytes).
pub const MAX_EXTENSION_BYTES: usize = MAX_EXTENSION_RESULTS * 48;
/// The first bytes of the injected extended-commit tx. A protobuf message cannot start with
/// a zero byte (field number 0 does not exist), so no TxRaw is ever mistaken for it, and
/// CheckTx refuses it as undecodable: only a proposer can place it, and only first.
pub const INJECTED_PREFIX: &[u8] = b"\x00deai/extended-commit/v1\x00";
/// Most validators an injected commit may list (staking's `max_validators` cap).
pub const MAX_INJECTED_VOTES: usize = 1000;

/// One result: (job id, 32-byte hash).
pub type JobResult = (u64, [u8; 32]);

/// The canonical extension of `results` (sorted by job id, duplicates dropped, capped).
pub fn encode_extension(results: &[JobResult]) -> Vec<u8> {
    let mut sorted: Vec<JobResult> = results.to_vec();
    sorted.sort_by_key(|r| r.0);
    sorted.dedup_by_key(|r| r.0);
    sorted.truncate(MAX_EXTENSION_RESULTS);
    pb::VoteExtension {
        results: sorted
            .into_iter()
            .map(|(job_id, h)| pb::JobResult {
                job_id,
                result_hash: h.to_vec(),
            })
            .collect(),
    }
    .encode_to_vec()
}

/// Decodes an extension, refusing anything but the canonical encoding of at most
/// [`MAX_EXTENSION_RESULTS`] results with strictly increasing job ids and 32-byte hashes.
/// Empty bytes are the empty extension.
pub fn decode_extension(bytes: &[u8]) -> Result<Vec<JobResult>, String> {
    if bytes.len() > MAX_EXTENSION_BYTES {
        return Err(format!(
            "vote extension of {} bytes exceeds {MAX_EXTENSION_BYTES}",
            bytes.len()
        ));
    }
    let ext = pb::VoteExtension::decode(bytes).map_err(|e| format!("undecodable: {e}"))?;
    if ext.results.len() > MAX_EXTENSION_RESULTS {
        return Err(format!("more than {MAX_EXTENSION_RESULTS} results"));
    }
    let mut out: Vec<JobResult> = Vec::with_capacity(ext.results.len());
    for r in &ext.results {
        let h: [u8; 32] = r
            .result_hash
            .as_slice()
            .try_into()
            .map_err(|_| format!("job {}: result hash must be 32 bytes", r.job_id))?;
        if out.last().is_some_and(|(prev, _)| *prev >= r.job_id) {
            return Err("job ids must be strictly increasing".into());
        }
        out.push((r.job_id, h));
    }
    if ext.encode_to_vec() != bytes {
        return Err("not canonically encoded".into());
    }
    Ok(out)
}

/// What CometBFT signs for a vote extension: the length-delimited `CanonicalVoteExtension`.
pub fn extension_sign_bytes(extension: &[u8], height: i64, round: i64, chain_id: &str) -> Vec<u8> {
    CanonicalVoteExtension {
        extension: extension.to_vec(),
        height,
        round,
        chain_id: chain_id.to_string(),
    }
    .encode_length_delimited_to_vec()
}

/// The injected tx carrying `commit`.
pub fn encode_injected(commit: &ExtendedCommitInfo) -> Vec<u8> {
    let mut out = INJECTED_PREFIX.to_vec();
    commit.encode(&mut out).unwrap_or_default();
    out
}

/// `None` if `tx` is not an injected commit; otherwise the commit, or why it is malformed
/// (more than [`MAX_INJECTED_VOTES`] votes, an undecodable body).
pub fn decode_injected(tx: &[u8]) -> Option<Result<ExtendedCommitInfo, String>> {
    let body = tx.strip_prefix(INJECTED_PREFIX)?;
    Some(
        ExtendedCommitInfo::decode(body)
            .map_err(|e| format!("undecodable extended commit: {e}"))
            .and_then(|c| {
                if c.votes.len() > MAX_INJECTED_VOTES {
                    Err(format!("more than {MAX_INJECTED_VOTES} votes"))
                } else {
                    Ok(c)
                }
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_round_trip_canonically() {
        let r = vec![(3, [1u8; 32]), (1, [2u8; 32]), (3, [9u8; 32])];
        let bytes = encode_extension(&r);
        assert_eq!(
            decode_extension(&bytes).unwrap(),
            vec![(1, [2u8; 32]), (3, [1u8; 32])]
        );
        assert_eq!(decode_extension(&[]).unwrap(), vec![]);
    }

    #[test]
    fn malformed_extensions_are_refused() {
        let bad_hash = pb::VoteExtension {
            results: vec![pb::JobResult {
                job_id: 1,
                result_hash: vec![1; 31],
            }],
        }
        .encode_to_vec();
        assert!(decode_extension(&bad_hash)
            .unwrap_err()
            .contains("32 bytes"));
        let unsorted = pb::VoteExtension {
            results: vec![
                pb::JobResult {
                    job_id: 2,
                    result_hash: vec![1; 32],
                },
                pb::JobResult {
                    job_id: 2,
                    result_hash: vec![1; 32],
                },
            ],
        }
        .encode_to_vec();
        assert!(decode_extension(&unsorted)
            .unwrap_err()
            .contains("increasing"));
        let mut trailing = encode_extension(&[(1, [0; 32])]);
        trailing.extend_from_slice(&[0x18, 0x01]); // an unknown field 3
        assert!(decode_extension(&trailing)
            .unwrap_err()
            .contains("canonical"));
        assert!(decode_extension(&[0xff, 0xff]).is_err());
        assert!(decode_extension(&vec![0; MAX_EXTENSION_BYTES + 1]).is_err());
    }

    #[test]
    fn injected_commits_are_recognised_only_by_prefix() {
        let c = ExtendedCommitInfo {
            round: 2,
            votes: vec![],
        };
        let tx = encode_injected(&c);
        assert_eq!(decode_injected(&tx).unwrap().unwrap(), c);
        assert!(decode_injected(b"\x0a\x00").is_none());
        let mut junk = INJECTED_PREFIX.to_vec();
        junk.push(0xff);
        assert!(decode_injected(&junk).unwrap().is_err());
    }
}
