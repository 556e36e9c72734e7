//! A fault-injecting `KvStore` for tests: fails chosen reads, fails writes, or returns a
//! corrupt row, on top of a real (temporary) sled store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::kv::{KvStore, SledKv};

type KeyMatch = Box<dyn Fn(&[u8]) -> bool + Send + Sync>;

#[derive(Default)]
struct Plan {
    /// Reads (get or range start) of a matching raw key fail.
    fail_reads: Option<KeyMatch>,
    /// The read with this number (counted from `fail_nth_read`) fails.
    fail_nth: Option<u64>,
    /// A `get` of a matching raw key returns these bytes instead of the stored ones.
    corrupt: Option<(KeyMatch, Vec<u8>)>,
    fail_writes: bool,
}

#[derive(Default)]
pub struct FaultyKv {
    inner: Option<SledKv>,
    plan: Mutex<Plan>,
    reads: AtomicU64,
    /// Faults injected so far.
    pub injected: AtomicU64,
}

impl FaultyKv {
    pub fn temporary() -> anyhow::Result<Self> {
        Ok(Self {
            inner: Some(SledKv::temporary()?),
            ..Self::default()
        })
    }

    fn inner(&self) -> anyhow::Result<&SledKv> {
        self.inner
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no store"))
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads of the logical state key `key` in the latest-value table fail.
    pub fn fail_reads_of(&self, key: Vec<u8>) {
        self.plan().fail_reads = Some(Box::new(move |raw| raw.get(1..) == Some(key.as_slice())));
    }

    /// The `n`th read from now on (1 = the next) fails, whatever its key.
    pub fn fail_nth_read(&self, n: u64) {
        self.reads.store(0, Ordering::SeqCst);
        self.plan().fail_nth = Some(n);
    }

    /// Reads of the logical state key `key` in the latest-value table return `row`.
    pub fn corrupt_reads_of(&self, key: Vec<u8>, row: Vec<u8>) {
        self.plan().corrupt = Some((
            Box::new(move |raw| raw.get(1..) == Some(key.as_slice())),
            row,
        ));
    }

    pub fn fail_writes(&self) {
        self.plan().fail_writes = true;
    }

    /// Removes every fault.
    pub fn heal(&self) {
        *self.plan() = Plan::default();
    }

    fn read_fault(&self, key: &[u8]) -> anyhow::Result<()> {
        let n = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
        let plan = self.plan();
        let hit = plan.fail_nth == Some(n) || plan.fail_reads.as_ref().is_some_and(|m| m(key));
        if hit {
            self.injected.fetch_add(1, Ordering::SeqCst);
            anyhow::bail!("injected I/O error");
        }
        Ok(())
    }
}

impl KvStore for FaultyKv {
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        self.read_fault(key)?;
        if let Some((m, row)) = &self.plan().corrupt {
            if m(key) {
                self.injected.fetch_add(1, Ordering::SeqCst);
                return Ok(Some(row.clone()));
            }
        }
        self.inner()?.get(key)
    }

    fn range(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.read_fault(start)?;
        self.inner()?.range(start, end, reverse, limit)
    }

    fn write_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> anyhow::Result<()> {
        if self.plan().fail_writes {
            self.injected.fetch_add(1, Ordering::SeqCst);
            anyhow::bail!("injected write error");
        }
        self.inner()?.write_batch(ops)
    }
}
