//! What passes between CometBFT and staking: the consensus facts of a block (votes,
//! proposer, evidence) for the modules, and validator updates back; at genesis, the gentxs
//! that make the first validator set.

use std::sync::Arc;

use base64::Engine as _;
use tendermint_proto::v0_38::abci;
use tendermint_proto::v0_38::crypto::{public_key::Sum, PublicKey};
use tendermint_proto::v0_38::types::BlockIdFlag;

use deai_framework::context::{BlockInfo, CometInfo, CommitVote, Misbehavior};
use deai_framework::{Ctx, Delta, GasMeter, StateRead, TxError};
use deai_staking::StakingRead;

use super::ChainFacts;
use crate::tx::ante::AnteEnv;
use crate::tx::decode_tx;
use crate::tx::exec::{run_decoded, ExecMode};

/// At most this many gentxs in a genesis (each is one genesis validator).
pub const MAX_GENTXS: usize = 1_000;

/// CometBFT's default evidence max age (consensus params), used when InitChain gave none.
pub const DEFAULT_EVIDENCE_MAX_AGE_BLOCKS: i64 = 100_000;
pub const DEFAULT_EVIDENCE_MAX_AGE_SECS: i64 = 48 * 3600;

/// The consensus facts of `req` for the modules (slashing, distribution).
pub(super) fn comet_info(req: &abci::RequestFinalizeBlock, facts: &ChainFacts) -> CometInfo {
    let last_commit = req
        .decided_last_commit
        .as_ref()
        .map(|c| {
            c.votes
                .iter()
                .filter_map(|v| {
                    let val = v.validator.as_ref()?;
                    Some(CommitVote {
                        address: val.address.to_vec(),
                        power: val.power,
                        // The SDK counts only an absent vote as missed (a nil vote signed).
                        signed: v.block_id_flag != BlockIdFlag::Absent as i32,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let misbehavior = req
        .misbehavior
        .iter()
        .filter_map(|m| {
            let val = m.validator.as_ref()?;
            Some(Misbehavior {
                duplicate_vote: m.r#type == abci::MisbehaviorType::DuplicateVote as i32,
                address: val.address.to_vec(),
                power: val.power,
                height: m.height,
                time_unix: m.time.as_ref().map_or(0, |t| t.seconds),
                total_voting_power: m.total_voting_power,
            })
        })
        .collect();
    CometInfo {
        proposer: req.proposer_address.to_vec(),
        last_commit,
        misbehavior,
        evidence_max_age_blocks: facts.evidence_max_age_blocks,
        evidence_max_age_secs: facts.evidence_max_age_secs,
    }
}

/// Staking's (ed25519 key, power) pairs as CometBFT's validator updates.
pub(super) fn to_abci_updates(updates: Vec<(Vec<u8>, i64)>) -> Vec<abci::ValidatorUpdate> {
    updates
        .into_iter()
        .map(|(key, power)| abci::ValidatorUpdate {
            pub_key: Some(PublicKey {
                sum: Some(Sum::Ed25519(key)),
            }),
            power,
        })
        .collect()
}

/// The updates staking stored in this block's end block, for `FinalizeBlock`.
pub(super) fn block_validator_updates(
    state: &dyn StateRead,
) -> Result<Vec<abci::ValidatorUpdate>, TxError> {
    Ok(to_abci_updates(state.stored_validator_updates()?))
}

/// The gentxs of `genutil.gen_txs` (base64 TxRaw strings; see docs/staking.md).
pub(super) fn parse_gentxs(genutil: Option<&serde_json::Value>) -> Result<Vec<Vec<u8>>, String> {
    let Some(g) = genutil else {
        return Ok(Vec::new());
    };
    let obj = g.as_object().ok_or("genutil must be a JSON object")?;
    if let Some(k) = obj.keys().find(|k| *k != "gen_txs") {
        return Err(format!("genutil has unknown field {k:?}"));
    }
    let list = match obj.get("gen_txs") {
        None | Some(serde_json::Value::Null) => return Ok(Vec::new()),
        Some(v) => v.as_array().ok_or("genutil.gen_txs must be an array")?,
    };
    if list.len() > MAX_GENTXS {
        return Err(format!("{} gentxs, more than {MAX_GENTXS}", list.len()));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let s = v
                .as_str()
                .ok_or_else(|| format!("gen_txs[{i}] must be a base64 string"))?;
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| format!("gen_txs[{i}] is not base64: {e}"))
        })
        .collect()
}

/// The first validator set, for `ResponseInitChain.validators`. Gentxs run first, as the
/// SDK's `DeliverGenTxs` does: through the ante handler (signatures checked with account
/// number 0) and their messages, each one or the genesis is refused. Then staking applies
/// its set (a fresh genesis), or an imported genesis's last powers are the set.
pub(super) fn genesis_validators(
    router: &deai_framework::Router,
    env: &AnteEnv,
    state: &mut Delta,
    gentxs: &[Vec<u8>],
    block: &BlockInfo,
) -> Result<Vec<abci::ValidatorUpdate>, String> {
    for (i, raw) in gentxs.iter().enumerate() {
        let tx = decode_tx(router, raw, false).map_err(|e| format!("gentx {i}: {}", e.log))?;
        let out = run_decoded(env, &*state, &tx, ExecMode::Finalize, block);
        if !out.is_ok() {
            return Err(format!(
                "gentx {i} failed (codespace {}, code {}): {}",
                out.codespace, out.code, out.log
            ));
        }
        state.apply(out.writes);
    }
    let imported = deai_staking::genesis_validator_updates(&*state).map_err(|e| e.log)?;
    if gentxs.is_empty() && !imported.is_empty() {
        return Ok(to_abci_updates(imported));
    }
    let gas = GasMeter::infinite();
    let mut ctx = Ctx::new(&*state, &gas, block);
    let hooks = super::staking_hooks();
    let updates = deai_staking::end_blocker_with(&mut ctx, hooks.as_ref()).map_err(|e| e.log)?;
    let (writes, _) = ctx.finish();
    state.apply(writes);
    Ok(to_abci_updates(
        updates.into_iter().filter(|(_, p)| *p > 0).collect(),
    ))
}

/// Block facts of the genesis (height 0), in which gentxs run.
pub(super) fn genesis_block(chain_id: &str, time_unix: i64) -> BlockInfo {
    BlockInfo {
        height: 0,
        time_unix,
        chain_id: chain_id.to_string(),
        comet: Arc::new(CometInfo::default()),
        ..BlockInfo::default()
    }
}
