//! The deai application: ABCI 2.0 handlers over the storage, the module router and the
//! tx pipeline. `abci_server` adapts it to the ABCI socket; nothing here depends on the
//! server crate, so the server can be swapped.

mod abci;
pub mod abci_server;
mod api_backend;
mod check_state;
mod check_tx;
mod consensus;
mod deai_querier;
pub mod event_index;
mod genesis;
mod query;
mod sidecar;
mod vote_ext;

use std::sync::{Arc, Mutex, RwLock};

use deai_framework::context::BlockInfo;
use deai_framework::{Module, Router, StateRead};
use deai_wasm::vm::WasmVm;

use crate::store::{PendingCommit, Storage};
use crate::tx::fee::GasPrice;
use crate::tx::sigcache::SigCache;

pub use genesis::app_state_default;
pub use query::SIMULATE_PATH;

/// Settings of this node (app.toml), not of the chain: they may differ between validators.
#[derive(Clone, Debug)]
pub struct NodeSettings {
    pub min_gas_price: GasPrice,
    pub sig_cache_size: usize,
    /// Threads that verify a block's signatures in parallel.
    pub verify_threads: usize,
    /// Patterns of the event attributes to mark for indexing (`event_index`); None marks
    /// all.
    pub index_events: Option<std::collections::BTreeSet<String>>,
    /// Where the wasm vm keeps compiled contracts (`<home>/data/wasm`); None: a temporary
    /// directory removed with the app (in-process tests and benches).
    pub wasm_dir: Option<std::path::PathBuf>,
    /// The attestation sidecar ExtendVote asks, and how long it waits; None: empty
    /// extensions.
    pub attest_sidecar: Option<(std::net::SocketAddr, std::time::Duration)>,
    /// Most gas one query (gRPC, REST or ABCI) may use; past it the query fails out of gas.
    pub query_gas_limit: u64,
    /// Most gas a simulation may use when the chain sets no block gas limit (otherwise the
    /// block limit caps it: a tx above it could never be included).
    pub simulate_gas_cap: u64,
}

/// Default of `NodeSettings::query_gas_limit` (app.toml `[query] gas_limit`).
pub const DEFAULT_QUERY_GAS_LIMIT: u64 = 100_000_000;
/// Default of `NodeSettings::simulate_gas_cap` (app.toml `[query] simulate_gas_cap`).
pub const DEFAULT_SIMULATE_GAS_CAP: u64 = 100_000_000;

impl Default for NodeSettings {
    fn default() -> Self {
        Self {
            min_gas_price: GasPrice::parse("0.025udeai").unwrap_or_else(|_| unreachable!()),
            sig_cache_size: 200_000,
            verify_threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            index_events: None,
            wasm_dir: None,
            attest_sidecar: None,
            query_gas_limit: DEFAULT_QUERY_GAS_LIMIT,
            simulate_gas_cap: DEFAULT_SIMULATE_GAS_CAP,
        }
    }
}

/// Chain facts learned at InitChain and kept in state.
#[derive(Clone, Debug, Default)]
struct ChainFacts {
    chain_id: String,
    /// Block gas limit from the consensus params; -1 means none.
    max_block_gas: i64,
    /// The consensus params' evidence max age (blocks, seconds): older evidence is ignored.
    evidence_max_age_blocks: i64,
    evidence_max_age_secs: i64,
    /// `consensus_params.abci.vote_extensions_enable_height` (0: never).
    vote_extensions_enable_height: i64,
}

impl ChainFacts {
    /// CometBFT's `VoteExtensionsEnabled(height)`: votes of `height` carry extensions.
    fn vote_extensions_enabled(&self, height: i64) -> bool {
        self.vote_extensions_enable_height > 0 && height >= self.vote_extensions_enable_height
    }
}

/// The application. Cheap to clone: CometBFT opens four connections and each gets a clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Storage,
    router: Router,
    modules: Vec<Box<dyn Module>>,
    settings: NodeSettings,
    sig_cache: SigCache,
    chain: RwLock<ChainFacts>,
    /// The mempool's view: writes of checked txs on top of the last commit.
    check_state: Mutex<check_state::CheckState>,
    /// The block finalized but not yet committed.
    pending: Mutex<Option<PendingCommit>>,
    /// Settles attestation jobs from the injected extended commits.
    settler: deai_attest::Settler,
    /// The vm's cache directory when it is temporary (removed with the app).
    _wasm_tmp: Option<tempfile::TempDir>,
}

/// The staking hooks every module that changes stake calls: distribution's F1 accounting.
pub fn staking_hooks() -> std::sync::Arc<dyn deai_staking::StakingHooks> {
    std::sync::Arc::new(deai_distribution::Hooks)
}

/// Tells the module that asked for an attestation job its outcome, by `job.requester`.
struct AttestOutcomes;

impl deai_attest::AttestHooks for AttestOutcomes {
    fn on_outcome(
        &self,
        ctx: &mut deai_framework::Ctx,
        job: &deai_proto::attest::v1::Job,
    ) -> Result<(), deai_framework::TxError> {
        match job.requester.as_str() {
            deai_task::MODULE_NAME => deai_task::on_attested(ctx, job),
            deai_inference::MODULE_NAME => deai_inference::on_attested(ctx, job),
            deai_compute::MODULE_NAME => deai_compute::on_attested(ctx, job),
            // Only modules request jobs, under their own names: any other is a bug.
            other => Err(deai_framework::sdk::internal(format!(
                "attestation job {} of an unknown requester {other:?}",
                job.id
            ))),
        }
    }
}

/// The attestation settler: the requesters' hooks and staking's (for penalties).
pub fn attest_settler() -> deai_attest::Settler {
    deai_attest::Settler::new(std::sync::Arc::new(AttestOutcomes), staking_hooks())
}

/// The modules of deai, in genesis order, which is also the order of their begin and end
/// blocks: attest before task and the markets (its expiries reach them first); task before
/// staking (its tally sees the bonded set the block started with); mint before distribution
/// (which allocates what mint put in the fee collector) before slashing (rewards before slashes, as in the SDK); gov's end block before
/// staking's (a passed proposal's changes reach this block's validator set); distribution's
/// genesis after staking's. `vm` runs the wasm module's contracts.
pub fn modules(vm: &WasmVm) -> Vec<Box<dyn Module>> {
    let hooks = staking_hooks();
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(deai_mint::MintModule::new(vec![
            deai_training::emission::sink(),
            deai_inference::emission::sink(),
            deai_data::emission::sink(),
        ])),
        Box::new(deai_gov::GovModule),
        // Before the markets and task: its end block expires jobs, whose hooks they hear.
        Box::new(deai_attest::AttestModule::new(attest_settler())),
        // Before staking: its tally sees the bonded set the block started with, as gov's.
        Box::new(deai_task::TaskModule),
        Box::new(deai_staking::StakingModule::with_hooks(hooks.clone())),
        Box::new(deai_distribution::DistributionModule),
        Box::new(deai_slashing::SlashingModule::with_hooks(hooks)),
        Box::new(deai_compute::ComputeModule),
        Box::new(deai_inference::InferenceModule),
        Box::new(deai_training::TrainingModule),
        Box::new(deai_data::DataModule),
        Box::new(deai_wasm::WasmModule::new(vm.clone())),
    ]
}

/// The node's wasm vm over `dir`, answering contracts' deai queries from the modules.
pub fn wasm_vm(dir: impl Into<std::path::PathBuf>) -> WasmVm {
    WasmVm::new(dir, Box::new(deai_querier::ChainQuerier))
}

impl App {
    pub fn new(storage: Storage, settings: NodeSettings) -> anyhow::Result<Self> {
        let (wasm_dir, wasm_tmp) = match &settings.wasm_dir {
            Some(d) => (d.clone(), None),
            None => {
                let t = tempfile::Builder::new().prefix("deai-wasm").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let vm = wasm_vm(wasm_dir);
        let modules = modules(&vm);
        let names: Vec<&str> = modules.iter().map(|m| m.name()).collect();
        deai_framework::keys::check_module_prefixes(
            &[names.as_slice(), &[genesis::APP_PREFIX]].concat(),
        )
        .map_err(|e| anyhow::anyhow!(e))?;
        let mut router = Router::new();
        for m in &modules {
            m.register(&mut router);
        }
        // A missing or partial cache directory is rebuilt from the codes in state.
        vm.rebuild_cache(&storage.latest())
            .map_err(|e| anyhow::anyhow!("rebuilding the wasm cache: {}", e.log))?;
        let chain = genesis::load_chain_facts(&storage.latest())?;
        Ok(Self {
            inner: Arc::new(Inner {
                sig_cache: SigCache::new(settings.sig_cache_size),
                storage,
                router,
                modules,
                settings,
                chain: RwLock::new(chain),
                check_state: Mutex::new(Default::default()),
                pending: Mutex::new(None),
                settler: attest_settler(),
                _wasm_tmp: wasm_tmp,
            }),
        })
    }

    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    pub fn router(&self) -> &Router {
        &self.inner.router
    }

    pub fn chain_id(&self) -> String {
        self.chain_facts().chain_id
    }

    fn chain_facts(&self) -> ChainFacts {
        match self.inner.chain.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Block facts for CheckTx and queries: the next height on top of the last commit.
    fn next_block_info(&self) -> BlockInfo {
        BlockInfo {
            height: self.inner.storage.latest_version().map_or(1, |v| v + 1),
            // The last block's time: the next block's is not known before its proposal.
            time_unix: genesis::block_time(&self.inner.storage.latest()).unwrap_or_default(),
            chain_id: self.chain_id(),
            // CheckTx and queries only: a storage fault here is not a state transition, and
            // FinalizeBlock reads the same key and halts on it.
            prev_block_hash: genesis::prev_block_hash(&self.inner.storage.latest())
                .unwrap_or_default(),
            ..BlockInfo::default()
        }
    }

    /// Exports the genesis app_state of the latest state (Cosmos `export`).
    pub fn export_app_state(&self) -> anyhow::Result<serde_json::Value> {
        genesis::export(&self.inner.modules, &self.inner.storage.latest())
    }

    /// A view of the state at `height` (0: latest), pinned at that version for as long as
    /// it lives: a commit landing meanwhile does not change what it reads.
    pub fn state_at(&self, height: u64) -> anyhow::Result<Box<dyn StateRead + '_>> {
        let latest = self.inner.storage.latest_version();
        if latest.is_none() {
            // Before genesis: nothing to pin, and nothing to read.
            Ok(Box::new(self.inner.storage.latest()))
        } else if height == 0 {
            Ok(Box::new(self.inner.storage.snapshot()?))
        } else if Some(height) == latest {
            Ok(Box::new(self.inner.storage.snapshot_at(height)?))
        } else {
            Ok(Box::new(self.inner.storage.at(height)?))
        }
    }
}

/// Exit status of a halt on a fault of the node's logic or of consensus (EX_SOFTWARE).
pub const EXIT_HALT: i32 = 70;
/// Exit status of a halt on a storage fault (EX_IOERR).
pub const EXIT_STORAGE_FAULT: i32 = 74;

/// Stops the node on a fault that would otherwise let it diverge from the network.
pub(crate) fn halt(what: &str) -> ! {
    tracing::error!("HALT: {what}");
    eprintln!("deaid: halting: {what}");
    std::process::exit(EXIT_HALT)
}

/// Stops the node on a storage fault in FinalizeBlock or Commit, before it answers: the
/// ABCI connections close, CometBFT stops on the lost connection ("Did the application
/// crash?"), and the block is neither answered nor committed, so after a repair and a
/// restart the handshake replays it.
pub(crate) fn halt_storage(e: &crate::store::StorageError) -> ! {
    tracing::error!(
        op = e.op,
        what = %e.what,
        "HALT: {e}; stopping before this block is answered or committed"
    );
    eprintln!("deaid: halting on a {e}");
    std::process::exit(EXIT_STORAGE_FAULT)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock means a handler panicked; the data is still consistent because every
    // update is a whole-value replacement, so keep going rather than cascade the panic.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_index;
#[cfg(test)]
mod tests_query;
#[cfg(test)]
mod tests_vote_ext;
#[cfg(test)]
mod tests_wasm;
