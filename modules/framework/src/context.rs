//! The execution context of a message or block hook: a state overlay metered for gas,
//! the events emitted so far, and the block being executed.

use crate::error::TxError;
use crate::events::Event;
use crate::gas::{len_u64, GasConfig, GasMeter};
use crate::state::{Delta, KvPair, StateRead, StateWrite, WriteSet, SCAN_CHUNK};

/// Facts about the block a context executes in. Deterministic: no wall clock is read,
/// the time is the block header's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockInfo {
    pub height: u64,
    /// Block time from the header, in seconds since the Unix epoch.
    pub time_unix: i64,
    pub chain_id: String,
    /// The hash of the block at `height - 1` (zeros at height 1): the seed of deterministic
    /// draws (see `crate::draw`). Known before the block's txs run, also in CheckTx.
    pub prev_block_hash: [u8; 32],
    /// The position of the executing tx in its block (CosmWasm's `env.transaction.index`
    /// and wasmd's `AbsoluteTxPosition`); 0 in block hooks, CheckTx, simulate and queries.
    pub tx_index: u32,
    /// True while simulating a tx: nothing it does may outlive the run, not even outside
    /// state (the wasm vm then compiles a code without saving it in its cache).
    pub simulate: bool,
    /// What CometBFT told FinalizeBlock about consensus; empty outside FinalizeBlock.
    pub comet: std::sync::Arc<CometInfo>,
}

/// Consensus facts of a block from `RequestFinalizeBlock` (the SDK's `CometInfo`): who
/// proposed it, who signed the previous one, and the misbehaviour to punish.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CometInfo {
    /// Consensus address (first 20 bytes of sha256 of the ed25519 key) of the proposer.
    pub proposer: Vec<u8>,
    /// `decided_last_commit`: each validator of the previous block and whether it signed.
    pub last_commit: Vec<CommitVote>,
    /// `misbehavior`: evidence committed in this block.
    pub misbehavior: Vec<Misbehavior>,
    /// The consensus params' evidence max age; older evidence is ignored.
    pub evidence_max_age_blocks: i64,
    pub evidence_max_age_secs: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitVote {
    /// Consensus address (20 bytes).
    pub address: Vec<u8>,
    pub power: i64,
    /// Whether its signature is in the commit (BLOCK_ID_FLAG_COMMIT; a nil vote counts as
    /// signed, as in the SDK).
    pub signed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Misbehavior {
    /// A duplicate vote (double sign); otherwise a light-client attack. The SDK slashes both
    /// as equivocation.
    pub duplicate_vote: bool,
    /// Consensus address (20 bytes) of the offender.
    pub address: Vec<u8>,
    pub power: i64,
    pub height: i64,
    pub time_unix: i64,
    pub total_voting_power: i64,
}

pub struct Ctx<'a> {
    state: Delta<'a>,
    gas: &'a GasMeter,
    config: GasConfig,
    pub events: Vec<Event>,
    pub block: &'a BlockInfo,
    /// The app's router, in block hooks: lets a module execute messages it holds (gov's
    /// proposals) as its own account.
    router: Option<&'a crate::module::Router>,
}

impl<'a> Ctx<'a> {
    pub fn new(parent: &'a dyn StateRead, gas: &'a GasMeter, block: &'a BlockInfo) -> Self {
        Self {
            state: Delta::new(parent),
            gas,
            config: GasConfig::default(),
            events: Vec::new(),
            block,
            router: None,
        }
    }

    /// This context with the app's router (see [`Ctx::router`]).
    pub fn with_router(mut self, router: &'a crate::module::Router) -> Self {
        self.router = Some(router);
        self
    }

    /// The app's router where the caller provided it (block hooks); None in unit tests
    /// and in a tx's messages.
    pub fn router(&self) -> Option<&'a crate::module::Router> {
        self.router
    }

    pub fn gas(&self) -> &GasMeter {
        self.gas
    }

    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    /// A nested context over this one's state (its writes so far included), on `gas`: a
    /// CosmWasm sub-message, whose writes must be kept or dropped on their own. Reads and
    /// writes are charged once, on `gas`; the child's writes and events come back from
    /// [`Ctx::finish`] for [`Ctx::absorb`].
    pub fn child<'b>(&'b self, gas: &'b GasMeter) -> Ctx<'b> {
        Ctx {
            state: Delta::new(&self.state),
            gas,
            config: self.config,
            events: Vec::new(),
            block: self.block,
            router: self.router,
        }
    }

    /// Takes a finished child's writes and events in, charging nothing (the child did).
    pub fn absorb(&mut self, writes: WriteSet, events: Vec<Event>) {
        self.state.apply(writes);
        self.events.extend(events);
    }

    /// A read that charges no gas, for node-local work that one node does and another may
    /// not (filling the wasm vm's cache after a restart): charging it would make gas, and
    /// so results, differ between nodes.
    pub fn get_unmetered(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        self.state.get(key)
    }

    /// A write that charges the flat cost and the key's bytes but not the value's: for a
    /// value whose size the caller has already charged in its own way (wasm code, charged
    /// per byte as compile cost, as wasmd charges it).
    pub fn put_value_charged_elsewhere(
        &mut self,
        key: Vec<u8>,
        value: Vec<u8>,
    ) -> Result<(), TxError> {
        self.gas.consume(self.config.write_cost_flat, "WriteFlat")?;
        self.gas.consume(
            self.config
                .write_cost_per_byte
                .saturating_mul(len_u64(key.len())),
            "WritePerByte",
        )?;
        self.state.put(key, value)
    }

    /// The writes and events of a successful execution.
    pub fn finish(self) -> (WriteSet, Vec<Event>) {
        (self.state.into_writes(), self.events)
    }
}

impl StateRead for Ctx<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        self.gas.consume(self.config.read_cost_flat, "ReadFlat")?;
        let v = self.state.get(key)?;
        let n = len_u64(key.len() + v.as_ref().map_or(0, Vec::len));
        self.gas.consume(
            self.config.read_cost_per_byte.saturating_mul(n),
            "ReadPerByte",
        )?;
        Ok(v)
    }

    fn has(&self, key: &[u8]) -> Result<bool, TxError> {
        self.gas.consume(self.config.has_cost, "Has")?;
        Ok(self.state.get(key)?.is_some())
    }

    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>, TxError> {
        // Read in chunks no larger than what the remaining gas pays the flat cost of (plus
        // one, to fail on), charging each row as it comes: an out-of-gas scan stops after
        // loading about as many rows as it could pay for, not `limit`.
        let mut out = Vec::new();
        let (mut lo, mut hi) = (start.to_vec(), end.map(<[u8]>::to_vec));
        while out.len() < limit {
            let left = self.gas.limit().saturating_sub(self.gas.consumed());
            let affordable = left / self.config.iter_next_cost_flat.max(1);
            let ask = (limit - out.len()).min(SCAN_CHUNK).min(
                usize::try_from(affordable)
                    .unwrap_or(usize::MAX)
                    .saturating_add(1),
            );
            let chunk = self.state.scan(&lo, hi.as_deref(), reverse, ask)?;
            let full = chunk.len() == ask;
            for (k, v) in chunk {
                self.gas
                    .consume(self.config.iter_next_cost_flat, "IterNextFlat")?;
                let n = len_u64(k.len() + v.len());
                self.gas.consume(
                    self.config.read_cost_per_byte.saturating_mul(n),
                    "ValuePerByte",
                )?;
                if reverse {
                    hi = Some(k.clone());
                } else {
                    lo = k.clone();
                    lo.push(0); // the smallest key after k
                }
                out.push((k, v));
            }
            if !full {
                break;
            }
        }
        Ok(out)
    }
}

impl StateWrite for Ctx<'_> {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError> {
        self.gas.consume(self.config.write_cost_flat, "WriteFlat")?;
        let n = len_u64(key.len() + value.len());
        self.gas.consume(
            self.config.write_cost_per_byte.saturating_mul(n),
            "WritePerByte",
        )?;
        self.state.put(key, value)
    }

    fn delete(&mut self, key: Vec<u8>) -> Result<(), TxError> {
        self.gas.consume(self.config.delete_cost, "Delete")?;
        self.state.delete(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::MemStore;

    /// Counts the rows scans load through it.
    struct Counting(MemStore, std::cell::Cell<usize>);

    impl StateRead for Counting {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
            self.0.get(key)
        }
        fn scan(
            &self,
            start: &[u8],
            end: Option<&[u8]>,
            reverse: bool,
            limit: usize,
        ) -> Result<Vec<KvPair>, TxError> {
            let rows = self.0.scan(start, end, reverse, limit)?;
            self.1.set(self.1.get() + rows.len());
            Ok(rows)
        }
    }

    // Before the fix Ctx::scan loaded all `limit` rows and charged afterwards: an
    // out-of-gas scan of 100k rows loaded 100k rows first.
    #[test]
    fn out_of_gas_scan_loads_only_what_its_gas_pays_for() {
        let mut m = MemStore::new();
        for i in 0u32..100_000 {
            m.put(i.to_be_bytes().to_vec(), vec![1; 4]).unwrap();
        }
        let base = Counting(m, Default::default());
        let block = BlockInfo::default();
        let gas = GasMeter::new(10_000);
        let ctx = Ctx::new(&base, &gas, &block);
        let err = ctx.scan(&[], None, false, usize::MAX).unwrap_err();
        assert_eq!(err.code, crate::error::sdk::OUT_OF_GAS);
        // 10_000 gas pays the flat cost of at most 333 rows.
        assert!(base.1.get() <= 400, "loaded {} rows", base.1.get());
        // With gas to spare, chunked reads return exactly what one read did, both ways.
        let gas = GasMeter::infinite();
        let ctx = Ctx::new(&base, &gas, &block);
        let all = ctx.scan(&[0, 0, 1], None, false, 3000).unwrap();
        assert_eq!(all, base.0.scan(&[0, 0, 1], None, false, 3000).unwrap());
        let rev = ctx.scan(&[], Some(&[0, 1]), true, 70_000).unwrap();
        assert_eq!(rev, base.0.scan(&[], Some(&[0, 1]), true, 70_000).unwrap());
        assert_eq!(ctx.count(&[], None, 200_000).unwrap(), 100_000);
    }
}
