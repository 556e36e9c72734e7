//! The scorer on real digits (an honest contribution of real rows against the same rows
//! with shuffled labels), and the daemon against an in-memory chain ([`fake`]) with the
//! pool's files and the contributions served by a real artifact server on loopback.

mod fake;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use deai_proto::data::v1 as pb;
use deai_worker_artifacts::{bind_loopback, router, serve, OpenAccess, Store};
use deai_worker_engine::data::{self, Dataset};
use deai_worker_jobs::rng::SplitMix64;
use deai_worker_jobs::spec::DatasetRef;
use deai_worker_jobs::Digest;
use fake::{addr, FakeChain, Ledger};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

use crate::daemon::{run_pool_validator, Config, PoolValidator};
use crate::schema::{Schema, SCORER};
use crate::score::{self, CancelFlag, Outcome, Validation, MAX_POOL_FILE_BYTES};
use crate::score_file;

fn digits() -> &'static Dataset {
    static DS: std::sync::OnceLock<Dataset> = std::sync::OnceLock::new();
    DS.get_or_init(|| {
        let p = data::digits_path();
        assert!(
            p.is_file(),
            "digits dataset not found at {}: run worker/setup-libtorch.sh (or set DEAI_DIGITS_CSV)",
            p.display()
        );
        let r: DatasetRef = serde_json::from_value(serde_json::json!({
            "sha256": Digest::of_file(&p).unwrap().to_hex(), "format": "csv"
        }))
        .unwrap();
        // Raw pixel values 0..=16; the schema scales them by 1/16.
        data::load(&p, &r).unwrap()
    })
}

/// Rows `rows` of the digits as CSV (64 features, then the label), with `labels` instead
/// of theirs if given.
fn csv(rows: std::ops::Range<usize>, labels: Option<&[i64]>) -> Vec<u8> {
    let d = digits();
    let mut out = String::new();
    for (i, r) in rows.enumerate() {
        for f in &d.features[r * d.cols..(r + 1) * d.cols] {
            out.push_str(&format!("{f},"));
        }
        let label = labels.map_or(d.labels[r], |l| l[i]);
        out.push_str(&format!("{label}\n"));
    }
    out.into_bytes()
}

/// The pool's files and two contributions of the same 600 rows: honest, and with their
/// labels shuffled (a deterministic permutation).
struct Files {
    dir: TempDir,
    base: Vec<u8>,
    validation: Vec<u8>,
    honest: Vec<u8>,
    garbage: Vec<u8>,
}

const HONEST: std::ops::Range<usize> = 100..700;

fn files() -> Files {
    let d = digits();
    let real = &d.labels[HONEST];
    let perm = SplitMix64::new(42).permutation(real.len());
    let shuffled: Vec<i64> = perm.iter().map(|&i| real[i]).collect();
    let f = Files {
        dir: tempfile::tempdir().unwrap(),
        base: csv(0..100, None),
        validation: csv(1197..1797, None),
        honest: csv(HONEST, None),
        garbage: csv(HONEST, Some(&shuffled)),
    };
    for (name, bytes) in [
        ("base.csv", &f.base),
        ("validation.csv", &f.validation),
        ("honest.csv", &f.honest),
        ("garbage.csv", &f.garbage),
    ] {
        std::fs::write(f.dir.path().join(name), bytes).unwrap();
    }
    f
}

impl Files {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The pool's schema: its files named by hash, at `url` and at their local paths.
    fn schema(&self, url: &str) -> String {
        let file = |name: &str, bytes: &[u8]| {
            let sha = Digest::of(bytes).to_hex();
            serde_json::json!({"sha256": sha, "uri": format!("{url}/blobs/{sha}"),
                               "path": self.path(name)})
        };
        serde_json::json!({
            "scorer": SCORER,
            "model": {"type": "logistic", "inputs": 64, "classes": 10},
            "data": {"format": "csv", "feature_scale": 0.0625},
            "base": file("base.csv", &self.base),
            "validation": file("validation.csv", &self.validation),
            "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 10, "batch_size": 32},
            "full_scale_gain_points": 20.0
        })
        .to_string()
    }
}

fn outcome(f: &Files, name: &str, seed: u64) -> Outcome {
    let s = Schema::parse(&f.schema("http://unused")).unwrap();
    let base = score::load(&s, &f.path("base.csv"), s.base.sha256, MAX_POOL_FILE_BYTES).unwrap();
    let v = Validation::open(&s, &f.path("validation.csv")).unwrap();
    let p = f.path(name);
    let sha = Digest::of_file(&p).unwrap();
    score::score_contribution(
        &s,
        &base,
        &v,
        &p,
        sha,
        1 << 20,
        seed,
        f.dir.path(),
        &CancelFlag::default(),
    )
    .unwrap()
}

#[test]
fn an_honest_contribution_outscores_shuffled_labels_and_scores_repeat() {
    let f = files();
    let honest = outcome(&f, "honest.csv", score::seed(1, 1));
    let garbage = outcome(&f, "garbage.csv", score::seed(1, 1));
    let Outcome::Scored {
        before,
        after,
        score,
    } = honest.clone()
    else {
        panic!("{honest:?}")
    };
    assert!(after > before, "{honest:?}");
    assert!(score > 0);
    let Outcome::Scored {
        before: b2,
        after: garbage_after,
        ..
    } = garbage.clone()
    else {
        panic!("{garbage:?}")
    };
    assert_eq!(b2, before, "the same seed gives the same baseline");
    assert!(garbage_after < after, "{garbage:?} vs {honest:?}");
    assert!(
        garbage.score() < honest.score(),
        "{garbage:?} vs {honest:?}"
    );
    // Another validator with the same inputs: the same bits.
    assert_eq!(outcome(&f, "honest.csv", score::seed(1, 1)), honest);
    // The public entry point reads the pool's files from their paths.
    let s = score_file(&f.schema("http://unused"), &f.path("honest.csv")).unwrap();
    assert_eq!(s, outcome(&f, "honest.csv", score::seed(0, 0)).score());
    assert!(s > score_file(&f.schema("http://unused"), &f.path("garbage.csv")).unwrap());
}

#[test]
fn unusable_contributions_score_zero_without_training() {
    let f = files();
    let s = Schema::parse(&f.schema("http://unused")).unwrap();
    let base = score::load(&s, &f.path("base.csv"), s.base.sha256, MAX_POOL_FILE_BYTES).unwrap();
    let v = Validation::open(&s, &f.path("validation.csv")).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = f.path(name);
        std::fs::write(&p, bytes).unwrap();
        (p, Digest::of(bytes))
    };
    let rejected = |p: &Path, sha: Digest, max: u64| {
        let o = score::score_contribution(
            &s,
            &base,
            &v,
            p,
            sha,
            max,
            1,
            f.dir.path(),
            &CancelFlag::default(),
        )
        .unwrap();
        match o {
            Outcome::Rejected(why) => why,
            o => panic!("{o:?}"),
        }
    };
    let (p, sha) = write("wide.csv", b"1,2,3\n4,5,6\n");
    assert!(rejected(&p, sha, 1 << 20).contains("features"));
    let mut label_11 = csv(0..3, None);
    label_11.extend_from_slice(&csv(0..1, None)[..csv(0..1, None).len() - 2]);
    label_11.extend_from_slice(b"11\n");
    let (p, sha) = write("label.csv", &label_11);
    assert!(rejected(&p, sha, 1 << 20).contains("outside 0..10"));
    let (p, sha) = write("text.csv", b"hello\n");
    assert!(!rejected(&p, sha, 1 << 20).is_empty());
    let (p, _) = write("honest2.csv", &f.honest);
    assert!(rejected(&p, Digest([7; 32]), 1 << 20).contains("sha256 is"));
    assert!(rejected(&p, Digest::of(&f.honest), 1000).contains("limit"));
    assert_eq!(score_file(&f.schema("x"), &f.path("wide.csv")).unwrap(), 0);
    // Huge pixel values: training with them overflows the loss.
    let huge = String::from_utf8(csv(0..50, None))
        .unwrap()
        .replace(",16,", ",100000000000000000000000000000000000,");
    let (p, sha) = write("huge.csv", huge.as_bytes());
    let o = score::score_contribution(
        &s,
        &base,
        &v,
        &p,
        sha,
        1 << 20,
        1,
        f.dir.path(),
        &CancelFlag::default(),
    )
    .unwrap();
    assert!(
        matches!(&o, Outcome::Rejected(why) if why.contains("training with it failed")),
        "{o:?}"
    );
    // Honest rows with one validation row slipped in.
    let mut leak = f.honest.clone();
    leak.extend_from_slice(&csv(1500..1501, None));
    let (p, sha) = write("leak.csv", &leak);
    assert!(rejected(&p, sha, 1 << 20).contains("1 of its 601 rows are rows of the validation"));
}

async fn serve_files(f: &Files) -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 30).unwrap());
    for b in [&f.base, &f.validation, &f.honest, &f.garbage] {
        store.put_bytes(None, b).unwrap();
    }
    let listener = bind_loopback(0).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router(store, Arc::new(OpenAccess))));
    (dir, url)
}

const POOL: u64 = 3;

fn contribution(id: u64, epoch: u64, bytes: &[u8], uri: String) -> pb::Contribution {
    pb::Contribution {
        id,
        pool_id: POOL,
        epoch,
        contributor: addr(9),
        content_sha256: Digest::of(bytes).0.to_vec(),
        uri,
        ..Default::default()
    }
}

/// Pool 3 in epoch 2 (heights 100..=119) at height 105: honest (1), garbage (2), a URI
/// naming another blob (3), and one of epoch 1 (4, not ours to score).
fn ledger(f: &Files, url: &str, me: &str) -> Ledger {
    let blob = |b: &[u8]| format!("{url}/blobs/{}", Digest::of(b).to_hex());
    Ledger {
        height: 105,
        pool: pb::Pool {
            id: POOL,
            schema: f.schema(url),
            epoch_length: 20,
            epoch: 2,
            epoch_start: 100,
            score_threshold_u16: 100,
            validators: vec![me.into()],
            ..Default::default()
        },
        contributions: vec![
            contribution(1, 2, &f.honest, blob(&f.honest)),
            contribution(2, 2, &f.garbage, blob(&f.garbage)),
            contribution(3, 2, b"other", blob(&f.honest)),
            contribution(4, 1, &f.validation, blob(&f.validation)),
        ],
        ..Default::default()
    }
}

fn config(state: &Path, cache: &Path) -> Config {
    Config {
        pool_id: POOL,
        bond: Some(deai_worker_daemon::parse_coin("50udeai").unwrap()),
        state_dir: state.into(),
        cache: cache.into(),
        poll: std::time::Duration::from_millis(10),
        max_contribution_bytes: 1 << 20,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_bonds_scores_each_contribution_once_and_survives_a_restart() {
    let f = files();
    let (_served, url) = serve_files(&f).await;
    let (state, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let me = addr(1);
    let chain = FakeChain::new(ledger(&f, &url, &me), &me);
    chain.with(|l| {
        l.fail_sends = 1; // the first bond tx is lost
        l.fail_scores = 1; // and the first score tx
    });
    let mut d = PoolValidator::new(chain.clone(), config(state.path(), cache.path())).unwrap();
    assert!(d.tick().await.is_err(), "the bond tx failed");
    d.tick().await.unwrap(); // bonds, scores 3 contributions, one score tx lost
    let bonds = chain.committed::<pb::MsgBondPoolValidator>();
    assert_eq!(bonds.len(), 1);
    assert_eq!(bonds[0].1.stake.as_ref().unwrap().amount, "50");
    // The first score tx failed: logged, recorded unsent, sent at the next tick.
    assert_eq!(chain.scores().len(), 2);
    assert!(!d.state().scores[&1].sent);
    d.tick().await.unwrap();
    let scores = chain.scores();
    assert_eq!(scores.iter().map(|s| s.0).collect::<Vec<_>>(), [2, 3, 1]);
    let of = |id: u64| scores.iter().find(|s| s.0 == id).unwrap().1;
    assert!(of(1) > of(2), "{scores:?}");
    assert_eq!(of(3), 0);
    assert!(d.state().scores[&3]
        .rejected
        .as_deref()
        .unwrap()
        .contains("names"));
    // Restarted, and again: nothing is sent twice.
    d.tick().await.unwrap();
    drop(d);
    let mut d = PoolValidator::new(chain.clone(), config(state.path(), cache.path())).unwrap();
    d.tick().await.unwrap();
    let n = chain.with(|l| l.sent.len());
    assert_eq!(
        n,
        1 + 3,
        "{:?}",
        chain.with(|l| l.sent.iter().map(|s| s.2).collect::<Vec<_>>())
    );
    assert!(chain.with(|l| l.sent.iter().all(|s| s.2)));
    // A state of another pool is refused.
    let mut other = config(state.path(), cache.path());
    other.pool_id = 4;
    assert!(PoolValidator::new(chain.clone(), other).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_at_the_epochs_last_height_nor_by_a_stranger() {
    let f = files();
    let (_served, url) = serve_files(&f).await;
    let (state, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let me = addr(1);
    let chain = FakeChain::new(ledger(&f, &url, &me), &me);
    chain.with(|l| l.height = 119);
    let mut d = PoolValidator::new(chain.clone(), config(state.path(), cache.path())).unwrap();
    d.tick().await.unwrap();
    assert!(chain.scores().is_empty());
    let stranger = FakeChain::new(ledger(&f, &url, &addr(2)), &addr(1));
    let mut d = PoolValidator::new(stranger.clone(), config(state.path(), cache.path())).unwrap();
    assert!(d
        .tick()
        .await
        .unwrap_err()
        .to_string()
        .contains("not a validator"));
    assert!(stranger.with(|l| l.sent.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_contributions_join_the_pools_data_and_the_loop_stops_on_cancel() {
    let f = files();
    let (_served, url) = serve_files(&f).await;
    let (state, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let me = addr(1);
    let mut l = ledger(&f, &url, &me);
    // The honest rows were accepted in epoch 1: the same rows again add nothing now.
    l.contributions[0].epoch = 1;
    l.contributions[0].settled = true;
    l.contributions[0].consensus_score_u16 = 60_000;
    l.contributions.push(contribution(
        5,
        2,
        &f.honest,
        format!("{url}/blobs/{}", Digest::of(&f.honest).to_hex()),
    ));
    let notify = Arc::new(tokio::sync::Notify::new());
    l.scored = Some(notify.clone());
    let chain = FakeChain::new(l, &me);
    let cancel = CancellationToken::new();
    let run = tokio::spawn(run_pool_validator(
        config(state.path(), cache.path()),
        chain.clone(),
        cancel.clone(),
    ));
    // A guard against a hang, not a timing assertion.
    let scored = async {
        while chain.scores().len() < 3 {
            notify.notified().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(600), scored)
        .await
        .expect("the daemon scored the epoch's contributions");
    cancel.cancel();
    run.await.unwrap().unwrap();
    let scores = chain.scores();
    let of = |id: u64| scores.iter().find(|s| s.0 == id).unwrap().1;
    assert!(scores.iter().all(|s| s.0 != 1), "settled: not scored again");
    // On the base alone the honest rows gain a lot; on base + themselves, little.
    let alone = score_file(&f.schema(&url), &f.path("honest.csv")).unwrap();
    assert!(u32::from(alone) > 4 * of(5), "{alone} vs {scores:?}");
}
