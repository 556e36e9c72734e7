//! The sidecar's book of jobs: which are queued, running, done (with their result hash) or
//! failed, all bounded. Answering a request never waits: it reads the book and queues the
//! jobs it has never seen.

use std::collections::{HashMap, VecDeque};

use deai_attest::wire::{AttestRequest, AttestResponse, WireResult};

use crate::job::{Job, Key};

/// The book's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Jobs of one request looked at; the rest are ignored (and not queued).
    pub max_jobs_per_request: usize,
    /// Jobs waiting to run; a new job beyond it is not queued (a later request queues it).
    pub max_queue: usize,
    /// Jobs remembered in all (queued, running, done, failed). When full, the oldest
    /// finished job is forgotten first; a job is never forgotten while queued or running.
    pub max_entries: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            max_jobs_per_request: 256,
            max_queue: 256,
            max_entries: 4096,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Running,
    Done([u8; 32]),
    /// Could not be run: left out of every answer.
    Failed,
}

struct Entry {
    job: Job,
    status: Status,
}

/// Counts for `/healthz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Finished jobs remembered (done or failed).
    pub cached: usize,
    pub queued: usize,
    pub running: usize,
}

pub struct Book {
    bounds: Bounds,
    entries: HashMap<Key, Entry>,
    queue: VecDeque<Key>,
    /// Finished jobs, oldest first: the eviction order.
    finished: VecDeque<Key>,
    running: usize,
}

impl Book {
    pub fn new(bounds: Bounds) -> Book {
        Book {
            bounds,
            entries: HashMap::new(),
            queue: VecDeque::new(),
            finished: VecDeque::new(),
            running: 0,
        }
    }

    /// The answer to `req`: the results already known for its jobs, in request order. Jobs
    /// never seen are queued (within the bounds); refused ones are logged and left out.
    /// Returns the answer and whether anything was queued.
    pub fn answer(&mut self, req: &AttestRequest) -> (AttestResponse, bool) {
        let mut results = Vec::new();
        let mut queued = false;
        if req.jobs.len() > self.bounds.max_jobs_per_request {
            tracing::warn!(
                jobs = req.jobs.len(),
                max = self.bounds.max_jobs_per_request,
                "request holds too many jobs: only the first are looked at"
            );
        }
        for w in req.jobs.iter().take(self.bounds.max_jobs_per_request) {
            let job = match Job::check(w) {
                Ok(j) => j,
                Err(e) => {
                    tracing::debug!(id = w.id, "job refused: {e}");
                    continue;
                }
            };
            match self.entries.get(&job.key).map(|e| e.status) {
                // One result per job id, the first one asked for.
                Some(Status::Done(_))
                    if results.iter().any(|r: &WireResult| r.job_id == job.key.id) => {}
                Some(Status::Done(h)) => results.push(WireResult {
                    job_id: job.key.id,
                    result_hash: hex::encode(h),
                }),
                Some(_) => {}
                None => queued |= self.enqueue(job),
            }
        }
        (AttestResponse { results }, queued)
    }

    /// Queues `job` if there is room; `false` if not (a later request will try again).
    fn enqueue(&mut self, job: Job) -> bool {
        if self.queue.len() >= self.bounds.max_queue {
            return false;
        }
        if self.entries.len() >= self.bounds.max_entries {
            let Some(old) = self.finished.pop_front() else {
                return false;
            };
            self.entries.remove(&old);
        }
        self.queue.push_back(job.key.clone());
        self.entries.insert(
            job.key.clone(),
            Entry {
                job,
                status: Status::Queued,
            },
        );
        true
    }

    /// The next queued job, now marked running.
    pub fn start_next(&mut self) -> Option<Job> {
        while let Some(key) = self.queue.pop_front() {
            if let Some(e) = self.entries.get_mut(&key) {
                if e.status == Status::Queued {
                    e.status = Status::Running;
                    self.running += 1;
                    return Some(e.job.clone());
                }
            }
        }
        None
    }

    /// Records the outcome of a running job: its result hash, or `None` for a failure.
    pub fn finish(&mut self, key: &Key, result: Option<[u8; 32]>) {
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        if e.status != Status::Running {
            return;
        }
        self.running = self.running.saturating_sub(1);
        e.status = match result {
            Some(h) => Status::Done(h),
            None => Status::Failed,
        };
        self.finished.push_back(key.clone());
    }

    pub fn status(&self, key: &Key) -> Option<Status> {
        self.entries.get(key).map(|e| e.status)
    }

    pub fn counts(&self) -> Counts {
        Counts {
            cached: self.finished.len(),
            queued: self.queue.len(),
            running: self.running,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deai_attest::wire::{spec_sha256_hex, WireJob};

    fn wire(id: u64, spec: &str) -> WireJob {
        WireJob {
            id,
            kind: "inference_replay".into(),
            spec: spec.into(),
            spec_sha256: spec_sha256_hex(spec.as_bytes()),
        }
    }

    fn req(jobs: Vec<WireJob>) -> AttestRequest {
        AttestRequest {
            chain_id: "test".into(),
            height: 1,
            jobs,
        }
    }

    fn bounds(q: usize, n: usize, per: usize) -> Bounds {
        Bounds {
            max_jobs_per_request: per,
            max_queue: q,
            max_entries: n,
        }
    }

    #[test]
    fn unseen_jobs_are_queued_once_and_answered_when_done() {
        let mut b = Book::new(Bounds::default());
        let r = req(vec![wire(1, "a"), wire(2, "b")]);
        let (ans, queued) = b.answer(&r);
        assert!(ans.results.is_empty());
        assert!(queued);
        // Asking again queues nothing new.
        let (_, queued) = b.answer(&r);
        assert!(!queued);
        assert_eq!(b.counts().queued, 2);

        let j1 = b.start_next().unwrap();
        assert_eq!(j1.key.id, 1);
        assert_eq!(b.counts().running, 1);
        b.finish(&j1.key, Some([9; 32]));
        let j2 = b.start_next().unwrap();
        b.finish(&j2.key, None);
        assert!(b.start_next().is_none());

        let (ans, queued) = b.answer(&r);
        assert!(!queued);
        // Only the done job; the failed one is left out, forever.
        assert_eq!(ans.results.len(), 1);
        assert_eq!(ans.results[0].job_id, 1);
        assert_eq!(ans.results[0].result_hash, hex::encode([9u8; 32]));
        assert_eq!(b.status(&j2.key), Some(Status::Failed));
        let (ans, _) = b.answer(&r);
        assert_eq!(ans.results.len(), 1);
        assert_eq!(
            b.counts(),
            Counts {
                cached: 2,
                queued: 0,
                running: 0
            }
        );
    }

    #[test]
    fn only_the_requested_jobs_are_answered_and_refused_ones_are_not_queued() {
        let mut b = Book::new(Bounds::default());
        b.answer(&req(vec![wire(1, "a"), wire(2, "b")]));
        for _ in 0..2 {
            let j = b.start_next().unwrap();
            b.finish(&j.key, Some([j.key.id as u8; 32]));
        }
        let (ans, _) = b.answer(&req(vec![wire(2, "b")]));
        assert_eq!(ans.results.len(), 1);
        assert_eq!(ans.results[0].job_id, 2);
        // A job asked for twice is answered once.
        let (twice, _) = b.answer(&req(vec![wire(2, "b"), wire(2, "b")]));
        assert_eq!(twice.results.len(), 1);
        // Same id, another spec: another job, not answered from the cache.
        let (ans, queued) = b.answer(&req(vec![wire(2, "c")]));
        assert!(ans.results.is_empty());
        assert!(queued);
        // A wrong spec hash or an unknown kind: neither answered nor queued.
        let mut bad = wire(3, "d");
        bad.spec_sha256 = "00".repeat(32);
        let mut unknown = wire(4, "e");
        unknown.kind = "mystery".into();
        let (ans, queued) = b.answer(&req(vec![bad, unknown]));
        assert!(ans.results.is_empty());
        assert!(!queued);
    }

    #[test]
    fn the_queue_and_the_request_are_bounded() {
        let mut b = Book::new(bounds(2, 100, 3));
        let jobs: Vec<WireJob> = (0..5).map(|i| wire(i, &format!("s{i}"))).collect();
        b.answer(&req(jobs.clone()));
        assert_eq!(b.counts().queued, 2);
        b.start_next().unwrap();
        // One slot freed; job 2 is within the first three, jobs 3 and 4 are not looked at.
        b.answer(&req(jobs));
        assert_eq!(b.counts().queued, 2);
        let ids: Vec<u64> = std::iter::from_fn(|| b.start_next().map(|j| j.key.id)).collect();
        assert_eq!(ids, vec![1, 2]);
    }

    #[test]
    fn the_oldest_finished_job_is_forgotten_first_and_running_ones_never() {
        let mut b = Book::new(bounds(10, 3, 10));
        b.answer(&req(vec![wire(1, "a"), wire(2, "b"), wire(3, "c")]));
        let j1 = b.start_next().unwrap();
        b.finish(&j1.key, Some([1; 32]));
        let j2 = b.start_next().unwrap();
        b.finish(&j2.key, Some([2; 32]));
        let j3 = b.start_next().unwrap(); // still running
        b.answer(&req(vec![wire(4, "d")]));
        assert_eq!(b.status(&j1.key), None, "the oldest finished is evicted");
        assert!(b.status(&j2.key).is_some());
        b.answer(&req(vec![wire(5, "e")]));
        assert_eq!(b.status(&j2.key), None);
        // Full of running and queued jobs: nothing more is taken, nothing is evicted.
        let (_, queued) = b.answer(&req(vec![wire(6, "f")]));
        assert!(!queued);
        assert_eq!(b.status(&j3.key), Some(Status::Running));
        // A finished job that was evicted runs again when asked for.
        b.finish(&j3.key, Some([3; 32]));
        let (_, queued) = b.answer(&req(vec![wire(1, "a")]));
        assert!(queued);
    }

    #[test]
    fn finishing_an_unknown_or_not_running_job_changes_nothing() {
        let mut b = Book::new(Bounds::default());
        b.answer(&req(vec![wire(1, "a")]));
        let key = Key {
            id: 1,
            spec_sha256: spec_sha256_hex(b"a"),
        };
        b.finish(&key, Some([1; 32]));
        assert_eq!(b.status(&key), Some(Status::Queued));
        b.finish(
            &Key {
                id: 9,
                spec_sha256: String::new(),
            },
            None,
        );
        assert_eq!(b.counts().cached, 0);
    }
}
