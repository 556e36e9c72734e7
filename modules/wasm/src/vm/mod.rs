//! The vm: cosmwasm-vm 2.3.5 under the wasm module (docs/wasm.md, "The vm").
//!
//! [`WasmVm`] is the node's one vm: a `cosmwasm_vm::Cache` under a directory the caller
//! passes (the node's `data/wasm` later), created on first use, and the answerer of
//! `DeaiQuery`. Its entry points run on a framework [`Ctx`] (the tx's metered overlay):
//! [`WasmVm::store_code`], [`WasmVm::instantiate`], [`WasmVm::execute`], [`WasmVm::migrate`],
//! [`WasmVm::query_smart`], [`WasmVm::rebuild_cache`] and [`WasmVm::pin_codes`]. A failed
//! call returns an error and writes nothing that survives: the caller drops the tx's
//! overlay, as the app does for every failed tx.

pub(crate) mod backend;
mod exec;
mod msgs;
mod querier;
mod response;
mod routes;
mod submsg;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use cosmos_sdk_proto::Any;
use cosmwasm_std::Checksum;
use cosmwasm_vm::{capabilities_from_csv, Cache, CacheOptions, Size};
use deai_framework::{sdk, Ctx, StateRead, TxError};

pub use backend::{DeaiApi, HostStorage};
pub use exec::{Instantiate, TxInfo, MAX_CALL_DEPTH};
pub use querier::{DeaiQuerier, DeaiQuery, HostQuerier, UnsupportedDeaiQuerier, MAX_QUERY_DEPTH};
pub use routes::{register as register_routes, SMART_QUERY_GAS_LIMIT};

use crate::error::WasmError;
use crate::keeper::WasmRead;
use crate::msgs::StoreCode;
use crate::state_key;

/// The capabilities deai offers contracts: cosmwasm-vm's standard ones (without `staking`,
/// which deai does not answer) plus `deai`, for `DeaiQuery` (the model marketplace exports
/// `requires_deai`).
pub const CAPABILITIES: &str = "iterator,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,\
cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2,deai";
/// The vm's in-memory cache of compiled modules (wasmd's default `MemoryCacheSize`, 100 MiB).
pub const MEMORY_CACHE_MIB: u32 = 100;
/// Memory one contract instance may use (wasmd's `ContractMemoryLimit`, 32 MiB).
pub const INSTANCE_MEMORY_MIB: u32 = 32;
/// The vm's cache of deai's backend. Cache failures (open, save, pin) are internal errors:
/// they mean the node is broken, not the tx.
pub type VmCache = Cache<DeaiApi, HostStorage, HostQuerier>;

pub(crate) struct Shared {
    dir: PathBuf,
    cache: OnceLock<VmCache>,
    /// Checksums known to be in the cache in this process (saved or found on disk).
    cached: Mutex<HashSet<[u8; 32]>>,
    deai: Box<dyn DeaiQuerier>,
}

/// The node's vm. Cheap to clone (one shared cache).
#[derive(Clone)]
pub struct WasmVm(pub(crate) Arc<Shared>);

fn vm_internal(what: &str, e: impl std::fmt::Display) -> TxError {
    sdk::internal(format!("wasm vm: {what}: {e}"))
}

impl WasmVm {
    /// A vm whose cache lives under `dir` (created on first use), answering `DeaiQuery` with
    /// `deai`.
    pub fn new(dir: impl Into<PathBuf>, deai: Box<dyn DeaiQuerier>) -> Self {
        Self(Arc::new(Shared {
            dir: dir.into(),
            cache: OnceLock::new(),
            cached: Mutex::new(HashSet::new()),
            deai,
        }))
    }

    pub(crate) fn deai(&self) -> &dyn DeaiQuerier {
        self.0.deai.as_ref()
    }

    /// The cache, created on first use.
    pub(crate) fn cache(&self) -> Result<&VmCache, TxError> {
        if let Some(c) = self.0.cache.get() {
            return Ok(c);
        }
        let options = CacheOptions::new(
            self.0.dir.clone(),
            capabilities_from_csv(CAPABILITIES),
            Size::mebi(MEMORY_CACHE_MIB as usize),
            Size::mebi(INSTANCE_MEMORY_MIB as usize),
        );
        // SAFETY: `Cache::new` is unsafe because it trusts the compiled modules on disk under
        // `dir`; that directory is the node's own, written only by this cache.
        let cache = unsafe { Cache::new(options) }.map_err(|e| vm_internal("open cache", e))?;
        // Two threads racing here both build a cache; one wins and the other is dropped.
        let _ = self.0.cache.set(cache);
        self.0
            .cache
            .get()
            .ok_or_else(|| sdk::internal("wasm vm: cache not set"))
    }

    fn mark_cached(&self, checksum: [u8; 32]) {
        if let Ok(mut set) = self.0.cached.lock() {
            set.insert(checksum);
        }
    }

    fn is_marked(&self, checksum: &[u8; 32]) -> bool {
        self.0.cached.lock().is_ok_and(|s| s.contains(checksum))
    }

    /// Makes sure code `checksum` is in the cache: found on disk, or saved from `state`'s
    /// bytes (already checked when stored). A code missing from state is internal.
    /// Saves the code into the cache if this process has not seen it there. `code_bytes`
    /// reads the code from state without gas: whether a node must fill its cache is its own
    /// affair, so it must not change the tx's gas.
    ///
    /// A simulation (`simulate`) saves nothing: a code it has not seen compiled (one the
    /// simulated tx itself stores) cannot run in it, as in wasmd.
    pub(crate) fn ensure_cached(
        &self,
        checksum: &[u8; 32],
        simulate: bool,
        code_bytes: impl FnOnce(&[u8]) -> Result<Option<Vec<u8>>, TxError>,
    ) -> Result<(), TxError> {
        if self.is_marked(checksum) {
            return Ok(());
        }
        let cache = self.cache()?;
        let cs = Checksum::from(*checksum);
        if cache.load_wasm(&cs).is_err() {
            if simulate {
                return Err(TxError::new(
                    crate::MODULE_NAME,
                    crate::ERR_VM_ERROR,
                    "a code stored in the same simulated tx cannot run in it: simulate its \
                     store and its use separately",
                ));
            }
            let wasm = code_bytes(&state_key::code_bytes(checksum))?
                .ok_or_else(|| sdk::internal("wasm code bytes missing from state"))?;
            cache
                .store_code(&wasm, false, true)
                .map_err(|e| vm_internal("save code", e))?;
        }
        self.mark_cached(*checksum);
        Ok(())
    }

    /// MsgStoreCode with the vm's static checks: the code (gunzipped) must pass cosmwasm-vm's
    /// `check_wasm` with deai's capabilities and compile (no floats, …); a failure is wasm
    /// code 2 (create failed) and changes no state. The code is then stored as
    /// [`StoreCode`] does and saved in the vm's cache.
    pub fn store_code(&self, ctx: &mut Ctx, msg: &StoreCode) -> Result<Any, TxError> {
        let cache = self.cache()?;
        // A simulation checks and compiles but saves nothing (wasmd's SimulateStoreCode).
        let persist = !ctx.block.simulate;
        let check = |code: &[u8]| -> Result<(), TxError> {
            reject_floats(code)?;
            let checksum = cache
                .store_code(code, true, persist)
                .map_err(|e| WasmError::CreateFailed(e.to_string()))?;
            if persist {
                self.mark_cached(*checksum.as_ref());
            }
            Ok(())
        };
        msg.execute_with(ctx, &check)
    }

    /// Saves every code in `state` into the cache (when missing) and pins the pinned ones:
    /// what a node does at start, so a deleted or fresh cache directory is rebuilt. Bounded
    /// by the number of codes (read in pages); a failure is internal (the node stops).
    pub fn rebuild_cache(&self, state: &dyn StateRead) -> Result<u64, TxError> {
        const PAGE: usize = 100;
        let prefix = state_key::codes();
        let end = deai_framework::keys::prefix_end(&prefix);
        let mut start = prefix.clone();
        let mut count = 0u64;
        loop {
            let page = state.scan(&start, end.as_deref(), false, PAGE)?;
            for (k, v) in &page {
                let info: cosmos_sdk_proto::cosmwasm::wasm::v1::CodeInfo =
                    crate::keeper::decode(v)?;
                let checksum = checksum_of(&info.code_hash)?;
                self.ensure_cached(&checksum, false, |k| state.get(k))?;
                let id = state_key::trailing_id(k)
                    .ok_or_else(|| sdk::internal("corrupt wasm code key"))?;
                if state.is_pinned(id)? {
                    self.pin(&checksum)?;
                }
                count = count.saturating_add(1);
            }
            match page.last() {
                Some((k, _)) if page.len() == PAGE => {
                    start = k.clone();
                    start.push(0);
                }
                _ => return Ok(count),
            }
        }
    }

    fn pin(&self, checksum: &[u8; 32]) -> Result<(), TxError> {
        self.cache()?
            .pin(&Checksum::from(*checksum))
            .map_err(|e| vm_internal("pin code", e))
    }

    /// After a successful MsgPinCodes / MsgUnpinCodes: pins or unpins the codes in the cache.
    pub fn pin_codes(&self, ctx: &Ctx, ids: &[u64], pin: bool) -> Result<(), TxError> {
        for &id in ids {
            let info = ctx.get_code_info(id)?.ok_or(WasmError::NoSuchCode(id))?;
            let checksum = checksum_of(&info.code_hash)?;
            self.ensure_cached(&checksum, ctx.block.simulate, |k| ctx.get_unmetered(k))?;
            if pin {
                self.pin(&checksum)?;
            } else {
                self.cache()?
                    .unpin(&Checksum::from(checksum))
                    .map_err(|e| vm_internal("unpin code", e))?;
            }
        }
        Ok(())
    }
}

/// deai refuses floating point in contracts: the code must validate without wasm's floats
/// feature (no f32/f64 types or instructions anywhere). cosmwasm-vm 2.x itself accepts
/// floats (with NaN canonicalization), so this is deai's own, stricter check; a refusal is
/// wasm code 2 like the vm's.
pub fn reject_floats(code: &[u8]) -> Result<(), WasmError> {
    let features = wasmparser::WasmFeatures::default() - wasmparser::WasmFeatures::FLOATS;
    wasmparser::Validator::new_with_features(features)
        .validate_all(code)
        .map(|_| ())
        .map_err(|e| WasmError::CreateFailed(format!("float or invalid wasm: {e}")))
}

pub(crate) fn checksum_of(hash: &[u8]) -> Result<[u8; 32], TxError> {
    hash.try_into()
        .map_err(|_| sdk::internal("corrupt code checksum in state"))
}
