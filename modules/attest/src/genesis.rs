//! attest genesis (proto3 JSON of `deai.attest.v1.GenesisState`): params, jobs,
//! attestations, the id counter and the authority. Export → import → export is exact.
//! Import checks every job (a known kind and state, its spec hash, an id below the counter)
//! and that each attestation belongs to a known job.

use sha2::{Digest, Sha256};

use deai_framework::keys::prefix_end;
use deai_framework::{authority, records, StateRead, StateWrite, TxError};
use deai_proto::attest::v1 as pb;

use crate::error::AttestError;
use crate::keeper::{AttestRead, AttestWrite, MAX_ATTESTATIONS};
use crate::params::{Params, MAX_PENDING_JOBS_CAP};
use crate::{state_key, MODULE_NAME};

/// Most jobs (of any state) a genesis may hold, or an export walks.
pub const MAX_GENESIS_JOBS: usize = 100_000;

fn invalid(msg: impl Into<String>) -> TxError {
    AttestError::InvalidGenesis(msg.into()).into()
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g: pb::GenesisState = deai_framework::genesis::from_json(json, invalid)?;
    let params: Params = deai_framework::genesis::params(&g.params, |p| {
        Params::from_proto(p).map_err(|e| invalid(e.to_string()))
    })?;
    state.put_attest_params(&params)?;
    authority::init_proto(state, &state_key::authority(), &g.authority)?;
    if g.jobs.len() > MAX_GENESIS_JOBS {
        return Err(invalid(format!("more than {MAX_GENESIS_JOBS} jobs")));
    }
    let next = g.next_job_id.max(1);
    let mut pending = 0u32;
    for j in &g.jobs {
        if j.id == 0 || j.id >= next {
            return Err(invalid(format!(
                "job id {} not below next_job_id {next}",
                j.id
            )));
        }
        if pb::JobKind::try_from(j.kind).map_or(true, |k| k == pb::JobKind::Unspecified) {
            return Err(invalid(format!("job {}: unknown kind {}", j.id, j.kind)));
        }
        if pb::JobState::try_from(j.state).map_or(true, |s| s == pb::JobState::Unspecified) {
            return Err(invalid(format!("job {}: unknown state {}", j.id, j.state)));
        }
        if Sha256::digest(&j.spec)[..] != j.spec_sha256[..] {
            return Err(invalid(format!("job {}: spec_sha256 does not match", j.id)));
        }
        if state.attest_job(j.id)?.is_some() {
            return Err(invalid(format!("job {} twice", j.id)));
        }
        if j.state == pb::JobState::Pending as i32 {
            pending += 1;
        }
        state.put_job(j)?;
    }
    if pending > MAX_PENDING_JOBS_CAP {
        return Err(invalid(format!(
            "more than {MAX_PENDING_JOBS_CAP} pending jobs"
        )));
    }
    if next > 1 {
        state.put(state_key::job_seq(), next.to_be_bytes().to_vec())?;
    }
    for a in &g.attestations {
        if state.attest_job(a.job_id)?.is_none() {
            return Err(invalid(format!("attestation of unknown job {}", a.job_id)));
        }
        let cons = deai_staking::address::cons_from_bech32(&a.validator)
            .map_err(|e| invalid(format!("attestation validator: {}", e.log)))?;
        if a.result_hash.len() != 32 {
            return Err(invalid(format!(
                "job {}: attestation hash must be 32 bytes",
                a.job_id
            )));
        }
        state.put_attestation(a.job_id, cons.as_bytes(), a)?;
    }
    Ok(())
}

pub fn export(s: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let jobs: Vec<pb::Job> =
        records::all_under(MODULE_NAME, s, &state_key::jobs(), MAX_GENESIS_JOBS)?;
    let att_prefix = state_key::attestations();
    let end = prefix_end(&att_prefix);
    let mut attestations = Vec::new();
    for (_, v) in s.scan(
        &att_prefix,
        end.as_deref(),
        false,
        MAX_GENESIS_JOBS.saturating_mul(4).max(MAX_ATTESTATIONS),
    )? {
        attestations.push(records::decode::<pb::Attestation>(MODULE_NAME, &v)?);
    }
    let g = pb::GenesisState {
        params: Some(s.attest_params()?.to_proto()),
        jobs,
        attestations,
        next_job_id: records::sequence(MODULE_NAME, s, &state_key::job_seq())?.max(1),
        authority: authority::get(s, &state_key::authority())?.to_bech32(),
    };
    deai_framework::genesis::to_json(&g)
}
