//! The vm's backend over a framework state: [`Host`] (what a call needs from the tx's
//! context), [`DeaiApi`] (deai's bech32 addresses) and [`HostStorage`] (one contract's
//! storage prefix, its reads, writes and iterators charged as SDK gas and reported to the vm
//! through the multiplier, as wasmd does).

use std::cell::RefCell;
use std::rc::Rc;

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::{BackendApi, BackendError, BackendResult, GasInfo, Storage};
use deai_framework::context::BlockInfo;
use deai_framework::keys::prefix_end;
use deai_framework::{sdk, Address, Ctx, Event, GasMeter, StateWrite, TxError};

use crate::gas::{to_vm_gas, GAS_MULTIPLIER};

/// What a contract call needs from the context it runs in: the tx's metered state, its gas
/// meter, the block and the event sink. The framework's [`Ctx`] is one.
pub(crate) trait Host: StateWrite {
    fn meter(&self) -> &GasMeter;
    fn block_info(&self) -> &BlockInfo;
    fn emit_event(&mut self, e: Event);
    /// A read charging no gas (`Ctx::get_unmetered`): code bytes for a cache fill.
    fn get_unmetered(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError>;
    /// Runs `f` on a child context ([`Ctx::child`]) metered by `gas` (None: this host's
    /// meter): a sub-message. Its writes and events are kept when `f` succeeds and dropped
    /// when it fails; the child's events come back either way (for the reply).
    fn in_child(
        &mut self,
        gas: Option<&GasMeter>,
        f: &mut dyn FnMut(&mut dyn Host) -> Result<SubOut, TxError>,
    ) -> (Result<SubOut, TxError>, Vec<Event>);
}

/// What a sub-message produced: its message response (type URL and encoded bytes).
pub(crate) struct SubOut {
    pub type_url: String,
    pub value: Vec<u8>,
}

impl Host for Ctx<'_> {
    fn in_child(
        &mut self,
        gas: Option<&GasMeter>,
        f: &mut dyn FnMut(&mut dyn Host) -> Result<SubOut, TxError>,
    ) -> (Result<SubOut, TxError>, Vec<Event>) {
        let (result, writes, events) = {
            let meter = gas.unwrap_or(self.gas());
            let mut child = self.child(meter);
            let result = f(&mut child);
            let (writes, events) = child.finish();
            (result, writes, events)
        };
        if result.is_ok() {
            self.absorb(writes, events.clone());
        }
        (result, events)
    }

    fn get_unmetered(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        Ctx::get_unmetered(self, key)
    }
    fn meter(&self) -> &GasMeter {
        self.gas()
    }
    fn block_info(&self) -> &BlockInfo {
        self.block
    }
    fn emit_event(&mut self, e: Event) {
        self.emit(e);
    }
}

/// The host of one contract call, for the vm's backend, which must be `'static`.
///
/// A `HostPtr` is made only by `exec::run` from the `&mut dyn Host` it is given, is moved
/// into that call's instance (its storage and querier) and dies with the instance before
/// `run` returns: the pointer never outlives the borrow it was made from. The vm calls its
/// backend one import at a time on the caller's thread, so [`HostPtr::with`]'s exclusive
/// borrows never overlap; a nested call (a query into another contract) reborrows through
/// the outer `with`, and the outer pointer is unused until it returns.
#[derive(Clone, Copy)]
pub(crate) struct HostPtr(*mut (dyn Host + 'static));

impl HostPtr {
    /// # Safety
    /// The pointer must not be used after `host`'s borrow ends (see the type's doc).
    pub(crate) unsafe fn new(host: &mut (dyn Host + '_)) -> Self {
        let p: *mut (dyn Host + '_) = host;
        // SAFETY: only the trait object's lifetime bound changes; see above.
        Self(unsafe { std::mem::transmute::<*mut (dyn Host + '_), *mut (dyn Host + 'static)>(p) })
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut dyn Host) -> R) -> R {
        // SAFETY: valid for the life of the call that made it; borrows never overlap (above).
        f(unsafe { &mut *self.0 })
    }
}

/// The first fault of the node itself (a storage error) seen by a call's backend. The vm
/// only sees "unknown backend error"; the call returns this instead, so it halts the node
/// rather than failing the tx.
pub(crate) type Fault = Rc<RefCell<Option<TxError>>>;

pub(crate) fn backend_error(fault: &Fault, e: TxError) -> BackendError {
    if e.codespace == sdk::CODESPACE && e.code == sdk::OUT_OF_GAS {
        return BackendError::out_of_gas();
    }
    let msg = e.log.clone();
    if e.is_internal() {
        let mut f = fault.borrow_mut();
        if f.is_none() {
            *f = Some(e);
        }
    }
    BackendError::unknown(msg)
}

/// Runs `f` on the host, reporting the SDK gas it charged to the vm as externally used.
pub(crate) fn metered<T>(
    host: &HostPtr,
    fault: &Fault,
    f: impl FnOnce(&mut dyn Host) -> Result<T, TxError>,
) -> BackendResult<T> {
    host.with(|h| {
        let before = h.meter().consumed();
        let r = f(&mut *h);
        let used = h.meter().consumed().saturating_sub(before);
        let gas = GasInfo::with_externally_used(to_vm_gas(used));
        (r.map_err(|e| backend_error(fault, e)), gas)
    })
}

/// wasmd's `DefaultGasCostHumanAddress` / `DefaultGasCostCanonicalAddress` (SDK gas, times
/// the multiplier as vm gas).
const HUMANIZE_COST: u64 = 5 * GAS_MULTIPLIER;
const CANONICALIZE_COST: u64 = 4 * GAS_MULTIPLIER;

/// deai's addresses for contracts: `deai1…` bech32 of 1–255 bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeaiApi;

impl BackendApi for DeaiApi {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        let gas = GasInfo::with_cost(HUMANIZE_COST + CANONICALIZE_COST);
        let r = match Address::from_bech32(input) {
            // The normalized form only: wasmd refuses upper-case and other spellings.
            Ok(a) if a.to_bech32() == input => Ok(()),
            Ok(_) => Err(BackendError::user_err(format!(
                "address {input} is not normalized"
            ))),
            Err(e) => Err(BackendError::user_err(e.log)),
        };
        (r, gas)
    }

    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        let gas = GasInfo::with_cost(CANONICALIZE_COST);
        let r = Address::from_bech32(human)
            .map(|a| a.as_bytes().to_vec())
            .map_err(|e| BackendError::user_err(e.log));
        (r, gas)
    }

    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        let gas = GasInfo::with_cost(HUMANIZE_COST);
        let r = Address::from_bytes(canonical)
            .map(|a| a.to_bech32())
            .map_err(|e| BackendError::user_err(e.log));
        (r, gas)
    }
}

/// Most iterators one instance may open (each is a cursor, not a copy of the range).
pub const MAX_ITERATORS: usize = 1024;

struct Cursor {
    /// The next key at or after which to look (ascending), full key.
    start: Vec<u8>,
    /// The key before which to look (exclusive), full key.
    end: Vec<u8>,
    reverse: bool,
}

/// One contract's storage: its `wasm/store/lp(address)/` prefix on the call's host.
pub struct HostStorage {
    pub(crate) host: HostPtr,
    pub(crate) fault: Fault,
    prefix: Vec<u8>,
    prefix_end: Vec<u8>,
    cursors: Vec<Cursor>,
}

impl HostStorage {
    pub(crate) fn new(host: HostPtr, fault: Fault, prefix: Vec<u8>) -> Result<Self, TxError> {
        let prefix_end =
            prefix_end(&prefix).ok_or_else(|| sdk::internal("wasm storage prefix has no end"))?;
        Ok(Self {
            host,
            fault,
            prefix,
            prefix_end,
            cursors: Vec::new(),
        })
    }

    fn full(&self, key: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.prefix.len() + key.len());
        k.extend_from_slice(&self.prefix);
        k.extend_from_slice(key);
        k
    }
}

impl Storage for HostStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let k = self.full(key);
        metered(&self.host, &self.fault, |h| h.get(&k))
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        if self.cursors.len() >= MAX_ITERATORS {
            let e = BackendError::user_err(format!("more than {MAX_ITERATORS} iterators"));
            return (Err(e), GasInfo::free());
        }
        let start = start.map_or_else(|| self.prefix.clone(), |s| self.full(s));
        let end = end.map_or_else(|| self.prefix_end.clone(), |e| self.full(e));
        self.cursors.push(Cursor {
            start,
            end,
            reverse: order == Order::Descending,
        });
        // Ids are the cursors' positions: deterministic, and fewer than MAX_ITERATORS.
        let id = u32::try_from(self.cursors.len() - 1).unwrap_or(u32::MAX);
        (Ok(id), GasInfo::free())
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some(c) = usize::try_from(iterator_id)
            .ok()
            .and_then(|i| self.cursors.get(i))
        else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        if c.start >= c.end {
            return (Ok(None), GasInfo::free());
        }
        let (start, end, reverse) = (c.start.clone(), c.end.clone(), c.reverse);
        let (r, gas) = metered(&self.host, &self.fault, |h| {
            h.scan(&start, Some(&end), reverse, 1)
        });
        let found = match r {
            Ok(mut v) => v.pop(),
            Err(e) => return (Err(e), gas),
        };
        let plen = self.prefix.len();
        let Some((k, v)) = found else {
            if let Some(c) = self.cursors.get_mut(iterator_id as usize) {
                c.start = c.end.clone();
            }
            return (Ok(None), gas);
        };
        if let Some(c) = self.cursors.get_mut(iterator_id as usize) {
            if c.reverse {
                c.end = k.clone();
            } else {
                c.start = k.clone();
                c.start.push(0);
            }
        }
        let key = k.get(plen..).map(<[u8]>::to_vec).unwrap_or_default();
        (Ok(Some((key, v))), gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let k = self.full(key);
        let v = value.to_vec();
        metered(&self.host, &self.fault, |h| h.put(k, v))
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        let k = self.full(key);
        metered(&self.host, &self.fault, |h| h.delete(k))
    }
}
