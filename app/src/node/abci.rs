//! ABCI 2.0 handlers.

use std::sync::Arc;

use prost::bytes::Bytes;
use tendermint_proto::v0_38::abci::{self as abci, response_process_proposal::ProposalStatus};

use deai_framework::context::BlockInfo;
use deai_framework::{sdk, Ctx, Delta, GasMeter, StateRead, StateWrite};

use super::check_tx::signature_jobs;
use super::{consensus, genesis, halt, halt_storage, lock, App, ChainFacts};
use crate::store::{LatestView, SledKv, Storage, StorageConfig, StorageError};
use crate::tx::ante::AnteEnv;
use crate::tx::exec::{run_decoded, run_tx, ExecMode, TxOutcome};
use crate::tx::{decode_tx, DecodedTx};
use deai_attest::extension::decode_injected;

pub const APP_VERSION: u64 = 1;

/// Converts events for CometBFT; `index` holds the patterns of the attributes to index
/// (None: all; see `event_index`).
pub(crate) fn to_abci_events(
    events: &[deai_framework::Event],
    index: Option<&std::collections::BTreeSet<String>>,
) -> Vec<abci::Event> {
    events
        .iter()
        .map(|e| abci::Event {
            r#type: e.kind.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|(k, v)| abci::EventAttribute {
                    key: k.clone(),
                    value: v.clone(),
                    index: super::event_index::indexed(index, &e.kind, k),
                })
                .collect(),
        })
        .collect()
}

fn to_exec_result(
    o: &TxOutcome,
    index: Option<&std::collections::BTreeSet<String>>,
) -> abci::ExecTxResult {
    abci::ExecTxResult {
        code: o.code,
        data: Bytes::from(o.data.clone()),
        log: o.log.clone(),
        info: String::new(),
        gas_wanted: i64::try_from(o.gas_wanted).unwrap_or(i64::MAX),
        gas_used: i64::try_from(o.gas_used).unwrap_or(i64::MAX),
        events: to_abci_events(&o.events, index),
        codespace: o.codespace.to_string(),
    }
}

fn block_time(t: &Option<tendermint_proto::google::protobuf::Timestamp>) -> i64 {
    t.as_ref().map_or(0, |t| t.seconds)
}

impl App {
    pub(super) fn ante_env<'a>(&'a self, chain_id: &'a str) -> AnteEnv<'a> {
        AnteEnv {
            chain_id,
            min_gas_price: &self.inner.settings.min_gas_price,
            sig_cache: &self.inner.sig_cache,
            simulate_gas_limit: u64::try_from(self.chain_facts().max_block_gas)
                .ok()
                .filter(|&g| g > 0)
                .unwrap_or(self.inner.settings.simulate_gas_cap),
            router: Some(&self.inner.router),
        }
    }

    pub fn info(&self, _req: abci::RequestInfo) -> abci::ResponseInfo {
        let storage = &self.inner.storage;
        let (height, hash) = match storage.latest_version() {
            None => (0, Vec::new()),
            Some(v) => match storage.root_hash(v) {
                Ok(h) => (v, h.0.to_vec()),
                Err(e) => halt_storage(&StorageError::new(
                    "read",
                    format!("app hash of version {v}"),
                    e,
                )),
            },
        };
        abci::ResponseInfo {
            data: "deai".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: APP_VERSION,
            last_block_height: i64::try_from(height).unwrap_or(i64::MAX),
            last_block_app_hash: Bytes::from(hash),
        }
    }

    pub fn init_chain(&self, req: abci::RequestInitChain) -> abci::ResponseInitChain {
        if req.initial_height > 1 {
            halt("initial_height > 1 is not supported");
        }
        let params = req.consensus_params.as_ref();
        let evidence = params.and_then(|p| p.evidence.as_ref());
        let facts = ChainFacts {
            chain_id: req.chain_id.clone(),
            max_block_gas: params
                .and_then(|p| p.block.as_ref())
                .map_or(-1, |b| b.max_gas),
            evidence_max_age_blocks: evidence
                .map_or(consensus::DEFAULT_EVIDENCE_MAX_AGE_BLOCKS, |e| {
                    e.max_age_num_blocks
                }),
            evidence_max_age_secs: evidence
                .and_then(|e| e.max_age_duration.as_ref())
                .map_or(consensus::DEFAULT_EVIDENCE_MAX_AGE_SECS, |d| d.seconds),
            vote_extensions_enable_height: params
                .and_then(|p| p.abci.as_ref())
                .map_or(0, |a| a.vote_extensions_enable_height),
        };
        // The chain facts are needed by the gentxs' ante handler (chain id, gas limits).
        if let Ok(mut c) = self.inner.chain.write() {
            *c = facts.clone();
        }
        let genesis_time = block_time(&req.time);
        let compute =
            |storage: &Storage| -> anyhow::Result<([u8; 32], Vec<abci::ValidatorUpdate>)> {
                let base = storage.latest();
                let mut delta = Delta::new(&base);
                let gentxs = genesis::init(&self.inner.modules, &mut delta, &req.app_state_bytes)
                    .map_err(|e| anyhow::anyhow!("invalid genesis: {}", e.log))?;
                genesis::store_chain_facts(&mut delta, &facts)
                    .map_err(|e| anyhow::anyhow!(e.log))?;
                // CheckTx and queries before block 1 see the genesis time as the SDK's do
                // (its check state's header carries it), not 0.
                delta
                    .put(
                        genesis::block_time_key(),
                        genesis_time.to_be_bytes().to_vec(),
                    )
                    .map_err(|e| anyhow::anyhow!(e.log))?;
                let block = consensus::genesis_block(&req.chain_id, genesis_time);
                let validators = consensus::genesis_validators(
                    &self.inner.router,
                    &self.ante_env(&req.chain_id),
                    &mut delta,
                    &gentxs,
                    &block,
                );
                // A storage fault under a gentx is the node's, not the genesis's: halt as one.
                if let Some(fault) = base.take_fault() {
                    return Err(fault.into());
                }
                let validators = validators.map_err(|e| anyhow::anyhow!("invalid genesis: {e}"))?;
                let pending = storage.prepare(0, delta.into_writes())?;
                let root = pending.root.0;
                storage.commit(pending)?;
                Ok((root, validators))
            };
        let storage = &self.inner.storage;
        let result = match storage.latest_version() {
            None => compute(storage),
            // CometBFT repeats InitChain if it crashed before block 1; the genesis must be
            // the same one, which a scratch store proves.
            Some(0) => {
                let scratch = SledKv::temporary()
                    .and_then(|kv| Storage::open(Arc::new(kv), StorageConfig::default()));
                let again = scratch.and_then(|s| compute(&s));
                match (again, storage.root_hash(0)) {
                    (Ok((a, vals)), Ok(b)) if a == b.0 => Ok((a, vals)),
                    _ => Err(anyhow::anyhow!(
                        "InitChain repeated with a different genesis"
                    )),
                }
            }
            Some(v) => Err(anyhow::anyhow!(
                "InitChain called on a chain already at height {v}"
            )),
        };
        let (root, validators) =
            result.unwrap_or_else(|e| match e.downcast_ref::<StorageError>() {
                Some(fault) => halt_storage(fault),
                None => halt(&format!("{e:#}")),
            });
        // A chain needs validators. Staking names them (gentxs or an imported genesis); a
        // set only in CometBFT's genesis.json would be one staking knows nothing of.
        if validators.is_empty() && !req.validators.is_empty() {
            halt(
                "the genesis has no staking validators: run `deaid genesis gentx` on each \
                 validator and `deaid genesis collect-gentxs` (see docs/staking.md)",
            );
        }
        tracing::info!(chain_id = %req.chain_id, app_hash = %hex::encode(root), validators = validators.len(), "genesis initialized");
        crate::failpoint::hit("init-chain");
        abci::ResponseInitChain {
            consensus_params: None,
            validators,
            app_hash: Bytes::from(root.to_vec()),
        }
    }

    /// Keeps txs in order while they fit the byte and gas limits; drops undecodable ones.
    pub fn prepare_proposal(
        &self,
        req: abci::RequestPrepareProposal,
    ) -> abci::ResponsePrepareProposal {
        let max_bytes = usize::try_from(req.max_tx_bytes).unwrap_or(0);
        let max_gas = self.chain_facts().max_block_gas;
        let (mut bytes, mut gas) = (0usize, 0u64);
        let mut txs = Vec::with_capacity(req.txs.len() + 1);
        // The previous height's vote extensions go first. Too large to fit (an extreme set),
        // they are left out: attestation waits a block, consensus does not.
        if let Some(inj) = self.commit_to_inject(req.height, req.local_last_commit.as_ref()) {
            if inj.len() <= max_bytes {
                bytes = inj.len();
                txs.push(Bytes::from(inj));
            } else {
                tracing::warn!(
                    height = req.height,
                    size = inj.len(),
                    "extended commit too large to inject"
                );
            }
        }
        for tx in req.txs {
            let Ok(decoded) = decode_tx(&self.inner.router, &tx, false) else {
                continue;
            };
            let next_bytes = bytes.saturating_add(tx.len());
            let next_gas = gas.saturating_add(decoded.gas_limit);
            if next_bytes > max_bytes || (max_gas >= 0 && next_gas > max_gas as u64) {
                continue;
            }
            bytes = next_bytes;
            gas = next_gas;
            txs.push(tx);
        }
        abci::ResponsePrepareProposal { txs }
    }

    /// Rejects a proposal with an undecodable tx or more gas than a block allows.
    pub fn process_proposal(
        &self,
        req: abci::RequestProcessProposal,
    ) -> abci::ResponseProcessProposal {
        let max_gas = self.chain_facts().max_block_gas;
        let mut gas = 0u64;
        let mut accept = true;
        let mut txs = req.txs.as_slice();
        // An injected extended commit may only come first, and must be valid.
        if let Some(first) = txs.first().filter(|t| decode_injected(t).is_some()) {
            if let Err(e) =
                self.check_injected(req.height, first, req.proposed_last_commit.as_ref())
            {
                tracing::warn!(
                    height = req.height,
                    "rejecting proposal: injected commit: {e}"
                );
                accept = false;
            }
            txs = &txs[1..];
        }
        for tx in txs.iter().take_while(|_| accept) {
            match decode_tx(&self.inner.router, tx, false) {
                Ok(d) => gas = gas.saturating_add(d.gas_limit),
                Err(e) => {
                    tracing::warn!(height = req.height, "rejecting proposal: {}", e.log);
                    accept = false;
                    break;
                }
            }
        }
        if accept && max_gas >= 0 && gas > max_gas as u64 {
            tracing::warn!(
                height = req.height,
                gas,
                max_gas,
                "rejecting proposal over the gas limit"
            );
            accept = false;
        }
        let status = if accept {
            ProposalStatus::Accept
        } else {
            ProposalStatus::Reject
        };
        abci::ResponseProcessProposal {
            status: status as i32,
        }
    }

    /// FinalizeBlock; a storage fault halts the node (see `try_finalize_block`).
    pub fn finalize_block(&self, req: abci::RequestFinalizeBlock) -> abci::ResponseFinalizeBlock {
        self.try_finalize_block(req)
            .unwrap_or_else(|e| halt_storage(&e))
    }

    /// Executes a block. A storage fault anywhere (a failed read, an undecodable row, a tx
    /// that fails with code 1, which means the node is broken, not the tx) is returned
    /// rather than recorded as a tx result: one node's disk must never become a state
    /// transition that the other validators do not make. Nothing is kept: the block's
    /// writes stay in memory until Commit.
    pub(crate) fn try_finalize_block(
        &self,
        req: abci::RequestFinalizeBlock,
    ) -> Result<abci::ResponseFinalizeBlock, StorageError> {
        let height = match u64::try_from(req.height) {
            Ok(h) if h >= 1 => h,
            _ => halt(&format!("invalid block height {}", req.height)),
        };
        let storage = &self.inner.storage;
        if storage.latest_version() != Some(height - 1) {
            halt(&format!(
                "FinalizeBlock({height}) but the last committed version is {:?}",
                storage.latest_version()
            ));
        }
        // A block finalized earlier at this height (a replay) is replaced; until this one
        // succeeds there is nothing to commit.
        *lock(&self.inner.pending) = None;
        let chain_id = self.chain_id();
        // It keeps the version of each row it reads, so that Commit need not read them again.
        let latest = storage.latest_for_block();
        let prev_block_hash = match genesis::prev_block_hash(&latest) {
            Ok(h) => h,
            Err(e) => {
                return Err(latest.take_fault().unwrap_or_else(|| {
                    StorageError::new("read", "the last block hash", anyhow::anyhow!(e.log))
                }))
            }
        };
        let block = BlockInfo {
            height,
            time_unix: block_time(&req.time),
            chain_id: chain_id.clone(),
            prev_block_hash,
            comet: Arc::new(consensus::comet_info(&req, &self.chain_facts())),
            ..BlockInfo::default()
        };
        let decoded: Vec<Option<DecodedTx>> = req
            .txs
            .iter()
            .map(|tx| decode_tx(&self.inner.router, tx, false).ok())
            .collect();
        self.preverify_signatures(&latest, &decoded, &chain_id);
        if let Some(e) = latest.take_fault() {
            return Err(e);
        }

        let mut block_state = Delta::new(&latest);
        let block_events = self.run_block_hook(&latest, &mut block_state, &block, true)?;
        let env = self.ante_env(&chain_id);
        let mut tx_results = Vec::with_capacity(req.txs.len());
        for (i, (raw, tx)) in req.txs.iter().zip(&decoded).enumerate() {
            if i == 0 {
                if let Some(commit) = decode_injected(raw) {
                    let result = self.apply_injected(&latest, &mut block_state, &block, commit)?;
                    tx_results.push(result);
                    continue;
                }
            }
            let block = BlockInfo {
                tx_index: u32::try_from(i).unwrap_or(u32::MAX),
                ..block.clone()
            };
            let outcome = match tx {
                Some(tx) => run_decoded(&env, &block_state, tx, ExecMode::Finalize, &block),
                // Undecodable: report the decode error (the proposal check normally stops these).
                None => run_tx(
                    &self.inner.router,
                    &env,
                    &block_state,
                    raw,
                    ExecMode::Finalize,
                    &block,
                ),
            };
            if let Some(e) = latest.take_fault() {
                return Err(e);
            }
            if outcome.code == sdk::INTERNAL {
                // Code 1 means "the node failed" (docs/errors.md): in practice a row the
                // modules cannot decode. Not the tx's fault, so never its result.
                return Err(StorageError::new(
                    "execute",
                    format!("tx {i} ({}) of block {height}", tx_hash(raw)),
                    anyhow::anyhow!(
                        "internal error (codespace {}): {}",
                        outcome.codespace,
                        outcome.log
                    ),
                ));
            }
            tx_results.push(to_exec_result(
                &outcome,
                self.inner.settings.index_events.as_ref(),
            ));
            block_state.apply(outcome.writes);
        }
        let mut events = block_events;
        events.extend(self.run_block_hook(&latest, &mut block_state, &block, false)?);
        if let Err(e) = block_state.put(genesis::height_key(), height.to_be_bytes().to_vec()) {
            halt(&e.log);
        }
        // CometBFT's block hashes are 32 bytes; anything else (a test harness) is hashed so
        // that every node still stores the same 32 bytes.
        let hash: [u8; 32] = req.hash.as_ref().try_into().unwrap_or_else(|_| {
            use sha2::Digest;
            sha2::Sha256::digest(&req.hash).into()
        });
        if let Err(e) = block_state.put(genesis::block_hash_key(), hash.to_vec()) {
            halt(&e.log);
        }
        if let Err(e) = block_state.put(
            genesis::block_time_key(),
            block.time_unix.to_be_bytes().to_vec(),
        ) {
            halt(&e.log);
        }
        let validator_updates = match consensus::block_validator_updates(&block_state) {
            Ok(u) => u,
            Err(e) => {
                return Err(latest.take_fault().unwrap_or_else(|| {
                    StorageError::new("read", "validator updates", anyhow::anyhow!(e.log))
                }))
            }
        };
        let writes = block_state.into_writes();
        let pending = storage.prepare_after(height, writes, latest.take_read_versions())?;
        let app_hash = pending.root.0.to_vec();
        *lock(&self.inner.pending) = Some(pending);
        crate::failpoint::hit("after-finalize-block");
        Ok(abci::ResponseFinalizeBlock {
            events: to_abci_events(&events, self.inner.settings.index_events.as_ref()),
            tx_results,
            validator_updates,
            consensus_param_updates: None,
            app_hash: Bytes::from(app_hash),
        })
    }

    /// Runs every module's begin- or end-block hook with unlimited gas. A hook error means
    /// this node can no longer follow the chain, so it halts; a storage fault read through
    /// `base` is returned as such.
    fn run_block_hook(
        &self,
        base: &LatestView,
        state: &mut Delta,
        block: &BlockInfo,
        begin: bool,
    ) -> Result<Vec<deai_framework::Event>, StorageError> {
        let gas = GasMeter::infinite();
        let mut events = Vec::new();
        for m in &self.inner.modules {
            let mut ctx = Ctx::new(&*state, &gas, block).with_router(&self.inner.router);
            let r = if begin {
                m.begin_block(&mut ctx)
            } else {
                m.end_block(&mut ctx)
            };
            if let Some(e) = base.take_fault() {
                return Err(e);
            }
            if let Err(e) = r {
                halt(&format!(
                    "{} block hook of {} failed: {e}",
                    if begin { "begin" } else { "end" },
                    m.name()
                ));
            }
            let (writes, evs) = ctx.finish();
            state.apply(writes);
            events.extend(evs);
        }
        Ok(events)
    }

    /// Verifies the block's signatures in parallel where the signer's key and account number
    /// are known before execution; results land in the signature cache, so the sequential
    /// pass does not verify them again. Anything not pre-verified is verified in order.
    fn preverify_signatures(
        &self,
        state: &dyn StateRead,
        txs: &[Option<DecodedTx>],
        chain_id: &str,
    ) {
        let jobs: Vec<_> = txs
            .iter()
            .flatten()
            .flat_map(|tx| signature_jobs(state, tx, chain_id))
            .collect();
        let threads = self.inner.settings.verify_threads.max(1);
        if jobs.len() < 2 * threads {
            return; // not worth the threads; the sequential pass verifies
        }
        let chunk = jobs.len().div_ceil(threads);
        let cache = &self.inner.sig_cache;
        std::thread::scope(|s| {
            for part in jobs.chunks(chunk) {
                s.spawn(move || {
                    for (msg, pk, sig) in part {
                        cache.verify(msg, pk, sig);
                    }
                });
            }
        });
    }

    /// Commit; a storage fault halts the node (see `try_commit`).
    pub fn commit(&self) -> abci::ResponseCommit {
        self.try_commit().unwrap_or_else(|e| halt_storage(&e))
    }

    /// Writes the finalized block in one atomic batch. On a storage fault nothing of the
    /// block is written, and the caller must halt: the block stays uncommitted, and CometBFT
    /// replays it after a restart.
    pub(crate) fn try_commit(&self) -> Result<abci::ResponseCommit, StorageError> {
        let pending = lock(&self.inner.pending)
            .take()
            .unwrap_or_else(|| halt("Commit without FinalizeBlock"));
        // Hold the check state while the commit lands so CheckTx never mixes versions.
        let mut check = lock(&self.inner.check_state);
        self.inner.storage.commit(pending)?;
        check.clear();
        Ok(abci::ResponseCommit { retain_height: 0 })
    }
}

/// A tx's hash as CometBFT shows it (upper-case hex sha256), for logs.
fn tx_hash(raw: &[u8]) -> String {
    use sha2::Digest;
    hex::encode_upper(sha2::Sha256::digest(raw))
}
