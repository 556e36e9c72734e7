//! ABCI 2.0 vote extensions: consensus attestation of off-chain ML results (deai-attest).
//!
//! - **ExtendVote** asks this node's sidecar for the results of the pending jobs (committed
//!   state) within `[attest] timeout_ms`; no sidecar, an error or a timeout gives an empty
//!   extension, so consensus never waits on ML work.
//! - **VerifyVoteExtension** checks format and bounds only (an honest validator is never
//!   refused for what it attests).
//! - **PrepareProposal** puts the previous height's extended commit first in the block
//!   ([`deai_attest::extension::encode_injected`]).
//! - **ProcessProposal** refuses an injected commit that does not match the block's last
//!   commit vote for vote (validator, power, flag), whose extension signatures do not verify
//!   against the validators' consensus keys, or whose signed power is not above 2/3.
//! - **FinalizeBlock** hands it to the attest module's settler.

use prost::bytes::Bytes;
use tendermint_proto::v0_38::abci::{
    self as abci, response_verify_vote_extension::VerifyStatus, CommitInfo, ExtendedCommitInfo,
};
use tendermint_proto::v0_38::types::BlockIdFlag;

use deai_attest::extension::{
    decode_extension, decode_injected, encode_extension, extension_sign_bytes,
};
use deai_attest::wire::{self, AttestRequest, WireJob};
use deai_attest::{AttestRead, CommitVote};
use deai_framework::context::BlockInfo;
use deai_framework::{sdk, Ctx, Delta, GasMeter, StateRead};
use deai_proto::attest::v1 as apb;
use deai_staking::StakingRead;

use super::App;
use crate::store::{LatestView, StorageError};

/// The wire name of a job kind.
fn kind_name(kind: i32) -> &'static str {
    match apb::JobKind::try_from(kind) {
        Ok(apb::JobKind::TaskCode) => wire::KIND_TASK_CODE,
        Ok(apb::JobKind::InferenceReplay) => wire::KIND_INFERENCE_REPLAY,
        Ok(apb::JobKind::ComputeReplay) => wire::KIND_COMPUTE_REPLAY,
        _ => "unspecified",
    }
}

impl App {
    pub fn extend_vote(&self, req: abci::RequestExtendVote) -> abci::ResponseExtendVote {
        let empty = abci::ResponseExtendVote::default();
        let Some((addr, timeout)) = self.inner.settings.attest_sidecar else {
            return empty;
        };
        let latest = self.inner.storage.latest();
        let jobs = match latest.open_jobs() {
            Ok(j) => j,
            Err(e) => {
                tracing::error!("ExtendVote cannot read the pending jobs: {}", e.log);
                return empty;
            }
        };
        if jobs.is_empty() {
            return empty;
        }
        let request = AttestRequest {
            chain_id: self.chain_id(),
            height: u64::try_from(req.height).unwrap_or_default(),
            jobs: jobs
                .iter()
                .map(|j| WireJob {
                    id: j.id,
                    kind: kind_name(j.kind).to_string(),
                    spec: String::from_utf8_lossy(&j.spec).into_owned(),
                    spec_sha256: hex::encode(&j.spec_sha256),
                })
                .collect(),
        };
        let answer = match super::sidecar::ask(addr, timeout, &request) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(height = req.height, %addr, "attestation sidecar: {e}; empty vote extension");
                return empty;
            }
        };
        let results: Vec<_> = answer
            .results
            .iter()
            .filter(|r| jobs.iter().any(|j| j.id == r.job_id))
            .filter_map(|r| {
                let h: [u8; 32] = hex::decode(&r.result_hash).ok()?.try_into().ok()?;
                Some((r.job_id, h))
            })
            .collect();
        tracing::debug!(
            height = req.height,
            results = results.len(),
            "vote extension"
        );
        abci::ResponseExtendVote {
            vote_extension: Bytes::from(encode_extension(&results)),
        }
    }

    pub fn verify_vote_extension(
        &self,
        req: abci::RequestVerifyVoteExtension,
    ) -> abci::ResponseVerifyVoteExtension {
        let status = match decode_extension(&req.vote_extension) {
            Ok(_) => VerifyStatus::Accept,
            Err(e) => {
                tracing::warn!(
                    height = req.height,
                    validator = %hex::encode_upper(&req.validator_address),
                    "refusing a vote extension: {e}"
                );
                VerifyStatus::Reject
            }
        };
        abci::ResponseVerifyVoteExtension {
            status: status as i32,
        }
    }

    /// The extended commit of `height - 1` to inject, when extensions were on then.
    pub(super) fn commit_to_inject(
        &self,
        height: i64,
        local: Option<&ExtendedCommitInfo>,
    ) -> Option<Vec<u8>> {
        if !self.chain_facts().vote_extensions_enabled(height - 1) {
            return None;
        }
        local.map(deai_attest::extension::encode_injected)
    }

    /// Settles attestation jobs from the injected extended commit of the previous height
    /// (checked by ProcessProposal); its tx result carries the settlement's events. A
    /// malformed one (only a byzantine majority could commit it) changes nothing.
    pub(super) fn apply_injected(
        &self,
        base: &LatestView,
        state: &mut Delta,
        block: &BlockInfo,
        commit: Result<tendermint_proto::v0_38::abci::ExtendedCommitInfo, String>,
    ) -> Result<abci::ExecTxResult, StorageError> {
        let commit = match commit {
            Ok(c) => c,
            Err(e) => {
                return Ok(abci::ExecTxResult {
                    code: sdk::TX_DECODE,
                    codespace: sdk::CODESPACE.into(),
                    log: format!("malformed extended commit: {e}"),
                    ..Default::default()
                })
            }
        };
        let gas = GasMeter::infinite();
        let mut ctx = Ctx::new(&*state, &gas, block).with_router(&self.inner.router);
        let votes = super::vote_ext::commit_votes(&commit);
        let r = self
            .inner
            .settler
            .apply_commit(&mut ctx, block.height - 1, &votes);
        if let Some(e) = base.take_fault() {
            return Err(e);
        }
        if let Err(e) = r {
            return Err(StorageError::new(
                "execute",
                format!("the extended commit of block {}", block.height),
                anyhow::anyhow!("attestation settlement failed: {}", e.log),
            ));
        }
        let (writes, events) = ctx.finish();
        state.apply(writes);
        Ok(abci::ExecTxResult {
            log: format!("extended commit of height {}", block.height - 1),
            events: super::abci::to_abci_events(&events, self.inner.settings.index_events.as_ref()),
            ..Default::default()
        })
    }

    /// Why an injected commit in the proposal of `height` is invalid, if it is.
    pub(super) fn check_injected(
        &self,
        height: i64,
        tx: &[u8],
        last: Option<&CommitInfo>,
    ) -> Result<(), String> {
        let facts = self.chain_facts();
        if !facts.vote_extensions_enabled(height - 1) {
            return Err(format!("vote extensions are off at height {}", height - 1));
        }
        let commit = decode_injected(tx).ok_or("not an injected commit")??;
        let last = last.ok_or("the proposal has no last commit")?;
        if commit.round != last.round || commit.votes.len() != last.votes.len() {
            return Err("the injected commit does not match the last commit".into());
        }
        let state = self.inner.storage.latest();
        let (mut total, mut signed) = (0i64, 0i64);
        for (ext, vote) in commit.votes.iter().zip(&last.votes) {
            let (Some(v), Some(lv)) = (&ext.validator, &vote.validator) else {
                return Err("a vote without validator".into());
            };
            if v.address != lv.address
                || v.power != lv.power
                || ext.block_id_flag != vote.block_id_flag
            {
                return Err(format!(
                    "vote of {} differs from the last commit",
                    hex::encode_upper(&v.address)
                ));
            }
            total = total.checked_add(v.power.max(0)).ok_or("power overflows")?;
            if ext.block_id_flag != BlockIdFlag::Commit as i32 {
                if !ext.vote_extension.is_empty() || !ext.extension_signature.is_empty() {
                    return Err("an extension on a vote that did not commit".into());
                }
                continue;
            }
            decode_extension(&ext.vote_extension)?;
            let key = consensus_key(&state, &v.address)?;
            let sign_bytes = extension_sign_bytes(
                &ext.vote_extension,
                height - 1,
                i64::from(commit.round),
                &facts.chain_id,
            );
            let ok = ed25519_consensus::VerificationKey::try_from(key.as_slice())
                .ok()
                .zip(ed25519_consensus::Signature::try_from(ext.extension_signature.as_ref()).ok())
                .is_some_and(|(k, s)| k.verify(&s, &sign_bytes).is_ok());
            if !ok {
                return Err(format!(
                    "invalid extension signature of {}",
                    hex::encode_upper(&v.address)
                ));
            }
            signed = signed
                .checked_add(v.power.max(0))
                .ok_or("power overflows")?;
        }
        if let Some(fault) = state.take_fault() {
            return Err(format!("storage fault: {fault}"));
        }
        if i128::from(signed) * 3 <= i128::from(total) * 2 {
            return Err(format!("signed power {signed} of {total} is not above 2/3"));
        }
        Ok(())
    }
}

/// The ed25519 consensus key of the validator with consensus address `address`.
fn consensus_key(state: &dyn StateRead, address: &[u8]) -> Result<Vec<u8>, String> {
    let unknown = || format!("unknown validator {}", hex::encode_upper(address));
    let op = state
        .validator_by_cons(address)
        .map_err(|e| e.log)?
        .ok_or_else(unknown)?;
    let v = state
        .validator(&op)
        .map_err(|e| e.log)?
        .ok_or_else(unknown)?;
    deai_staking::keeper::consensus_key(&v).map_err(|e| e.log)
}

/// The votes of an injected commit, as the settler reads them (a malformed extension,
/// which ProcessProposal refuses, counts as empty).
pub(super) fn commit_votes(commit: &ExtendedCommitInfo) -> Vec<CommitVote> {
    commit
        .votes
        .iter()
        .filter_map(|v| {
            let val = v.validator.as_ref()?;
            let committed = v.block_id_flag == BlockIdFlag::Commit as i32;
            Some(CommitVote {
                cons: val.address.to_vec(),
                power: val.power,
                committed,
                results: if committed {
                    decode_extension(&v.vote_extension).unwrap_or_default()
                } else {
                    Vec::new()
                },
            })
        })
        .collect()
}
