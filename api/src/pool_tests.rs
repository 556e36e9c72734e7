//! Backend calls run on a bounded pool of blocking threads, and the node service reports
//! the backend's settings.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::node::v1beta1 as nodepb;
use deai_framework::{sdk, TxError};
use prost::Message;

use crate::{services, Backend, NodeConfig, Shared};

/// Counts the queries running at once.
#[derive(Default)]
struct Busy {
    now: AtomicUsize,
    most: AtomicUsize,
    thread_names: std::sync::Mutex<Vec<Option<String>>>,
}

impl Backend for Busy {
    fn query(&self, _path: &str, _data: &[u8], _height: u64) -> Result<Vec<u8>, TxError> {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(n, Ordering::SeqCst);
        if let Ok(mut names) = self.thread_names.lock() {
            names.push(std::thread::current().name().map(str::to_string));
        }
        // Long enough for the other calls to pile up behind the permits.
        std::thread::sleep(std::time::Duration::from_millis(20));
        self.now.fetch_sub(1, Ordering::SeqCst);
        Ok(vec![])
    }
    fn simulate(&self, _request: &[u8]) -> Result<Vec<u8>, TxError> {
        Err(sdk::unknown_request("no simulate"))
    }
    fn latest_height(&self) -> u64 {
        3
    }
    fn chain_id(&self) -> String {
        "deai-test".into()
    }
    fn node_config(&self) -> NodeConfig {
        NodeConfig {
            pruning_keep_recent: "100".into(),
            pruning_interval: "1".into(),
            halt_height: 0,
        }
    }
    fn earliest_height(&self) -> u64 {
        42
    }
}

// Before the fix a query ran on the async worker that received it, with no bound on how
// many ran at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queries_run_bounded_off_the_async_workers() {
    let backend = Arc::new(Busy::default());
    let ctx = Shared::with_workers(backend.clone(), "http://127.0.0.1:1", 2).unwrap();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                services::dispatch(&ctx, "/deai.x.v1.Query/Any", &[], 0)
                    .await
                    .map(|(_, h)| h)
            })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.unwrap().unwrap(), 3);
    }
    assert_eq!(backend.most.load(Ordering::SeqCst), 2);
    // Not on the runtime's worker threads ("tokio-runtime-worker"), on its blocking pool.
    let names = backend.thread_names.lock().unwrap().clone();
    assert_eq!(names.len(), 8);
    assert!(names
        .iter()
        .all(|n| n.as_deref() != Some("tokio-runtime-worker")));
}

#[tokio::test]
async fn config_reports_the_backends_pruning_settings() {
    let ctx = Shared::new(Arc::new(Busy::default()), "http://127.0.0.1:1").unwrap();
    let (bytes, _) = services::dispatch(&ctx, "/cosmos.base.node.v1beta1.Service/Config", &[], 0)
        .await
        .unwrap();
    let c = nodepb::ConfigResponse::decode(bytes.as_slice()).unwrap();
    assert_eq!(
        (c.pruning_keep_recent.as_str(), c.pruning_interval.as_str()),
        ("100", "1")
    );
}
