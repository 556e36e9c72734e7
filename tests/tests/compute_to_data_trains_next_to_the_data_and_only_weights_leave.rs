//! Compute-to-data end to end: demo1 publishes the digits CSV as a `compute_to_data`
//! dataset it provides (only a dataset's provider may publish one); demo2 orders a training job on it through the compute
//! market; demo1's provider daemon, which holds the file under its --dataset-roots, is the
//! only one that bids (demo4's daemon, without the data, skips the order), trains next to
//! the data and submits the result.
//! - the requester's weights equal a local run on the same data;
//! - the data never leaves: it is not in the provider's served store, the result holds no
//!   file with its hash, and the data market sells no token of it (data code 34);
//! - the access fee is split at leasing (publisher, provider fee, publish market and take
//!   rate to the community pool) and every balance reconciles to the unit.

use std::process::Command;
use std::time::Duration;

use deai_e2e::compute::*;
use deai_e2e::data::{curl_get, dataset, file_sha256};
use deai_e2e::inference::mul_dec;
use deai_e2e::worker::*;
use deai_e2e::*;
use deai_proto::compute::v1 as pb;
use deai_proto::data::v1 as dpb;

const PRICE: u128 = 300_000;
const DEPOSIT: u128 = 500_000;

#[test]
fn compute_to_data_trains_next_to_the_data_and_only_weights_leave() {
    let net = Localnet::start(1, 30100);
    let dir = net.dir.path().to_path_buf();
    let node = net.rpc(0);
    let keys = net.keys_home();
    let demo = |i: usize| net.demo_key(i - 1).address();
    let bal = |i: usize| balance(&net, 0, &demo(i));

    // The private copy of the data at the provider, and the spec that names it there.
    let example = digits_spec();
    let mut spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&example).unwrap()).unwrap();
    let data_sha = spec["dataset"]["sha256"].as_str().unwrap().to_string();
    let private = dir.join("private");
    std::fs::create_dir_all(&private).unwrap();
    let data_path = private.join("digits.csv.gz");
    std::fs::copy(spec["dataset"]["path"].as_str().unwrap(), &data_path).unwrap();
    assert_eq!(file_sha256(&data_path), data_sha);
    spec["dataset"]["path"] = data_path.to_str().unwrap().into();
    let spec_path = dir.join("c2d-spec.json");
    std::fs::write(&spec_path, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
    let size = std::fs::metadata(&data_path).unwrap().len();

    let before: Vec<u128> = (0..=4).map(|i| if i == 0 { 0 } else { bal(i) }).collect();
    let pool0 = community_pool(&net);
    let cp = params(&net);
    let dp = deai_e2e::data::params(&net);
    let (stake, deposit) = (
        amount(&cp.provider_min_stake),
        amount(&dp.publisher_deposit),
    );

    let published = net.cli_tx(
        "data",
        "demo1",
        &[
            "publish",
            "--content-sha256",
            &data_sha,
            "--size",
            &size.to_string(),
            "--name",
            "digits (private)",
            "--description",
            "compute-to-data; spec dataset.path at the provider: see the provider",
            "--price",
            &format!("{PRICE}udeai"),
            "--host-uri",
            "http://127.0.0.1:30191",
            "--access",
            "compute-to-data",
        ],
    );
    let ds_id = typed_events::<dpb::EventDatasetPublished>(&published["events"])[0].dataset_id;
    assert_eq!(
        dataset(&net, ds_id).access,
        dpb::Access::ComputeToData as i32
    );

    let provider_flags = |roots: &str| -> Vec<String> {
        [
            "--price",
            "50udeai",
            "--attributes",
            "region=eu",
            "--dataset-roots",
            roots,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let with_data = provider_flags(private.to_str().unwrap());
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let without = provider_flags(empty.to_str().unwrap());
    let mut p1 = Daemon::provider(&dir, &node, &keys, "demo1", 30191, &refs(&with_data));
    let mut p4 = Daemon::provider(&dir, &node, &keys, "demo4", 30194, &refs(&without));
    p1.wait_log("provider running", Duration::from_secs(120));
    p4.wait_log("provider running", Duration::from_secs(120));
    let (log1, log4) = (p1.log.clone(), p4.log.clone());
    let read = |p: &std::path::Path| tail(&std::fs::read_to_string(p).unwrap_or_default());
    let logs = || format!("--- p1\n{}\n--- p4\n{}", read(&log1), read(&log4));

    let created = net.cli_tx(
        "compute",
        "demo2",
        &[
            "create-order",
            "--spec",
            spec_path.to_str().unwrap(),
            "--dataset",
            &ds_id.to_string(),
            "--max-access-fee",
            &format!("{PRICE}udeai"),
            "--attributes",
            "region=eu",
            "--cpu-millis",
            "1000",
            "--max-price-per-block",
            "100udeai",
            "--deposit",
            &format!("{DEPOSIT}udeai"),
            "--redundancy",
            "1",
            "--verification",
            "none",
            "--bid-window",
            "20",
            "--max-blocks",
            "5000",
        ],
    );
    let order_id = typed_events::<pb::EventOrderCreated>(&created["events"])[0].order_id;
    let o = order(&net, order_id);
    assert_eq!(o.dataset_id, ds_id);
    assert_eq!(amount(&o.access_fee), PRICE);
    assert_eq!(amount(&escrow(&net, order_id).balance), DEPOSIT + PRICE);

    let done = wait_order(
        &net,
        order_id,
        Duration::from_secs(600),
        |o| o.state != pb::OrderState::Open as i32 && o.state != pb::OrderState::Leased as i32,
        logs,
    );
    assert_eq!(done.state, pb::OrderState::Completed as i32, "{}", logs());
    assert!(done.access_paid_at > 0);
    let leases = leases_of(&net, order_id);
    assert_eq!(leases.len(), 1);
    assert_eq!(
        leases[0].provider,
        demo(1).to_bech32(),
        "only the data's provider"
    );
    p4.wait_log(
        &format!("order skipped order={order_id}"),
        Duration::from_secs(30),
    );

    // The requester's weights are those of a local run on the same data.
    let local = dir.join("local");
    run_ok(
        Command::new(worker_bin())
            .args(["--quiet", "train", "--spec"])
            .arg(&example)
            .arg("--out")
            .arg(&local),
    );
    let fetched = dir.join("fetched");
    run_ok(
        Command::new(worker_bin())
            .args(["--output", "json", "fetch-result", "--node", &node])
            .args(["--order", &order_id.to_string(), "--out"])
            .arg(&fetched),
    );
    assert_eq!(
        std::fs::read(fetched.join("weights.safetensors")).unwrap(),
        std::fs::read(local.join("weights.safetensors")).unwrap()
    );

    // The data never left: not in what the requester got, not served, not sold.
    for entry in walk(&fetched) {
        assert_ne!(
            file_sha256(&entry),
            data_sha,
            "{} is the data",
            entry.display()
        );
    }
    let (status, _) = curl_get(
        &format!("http://127.0.0.1:30191/blobs/{data_sha}"),
        &[],
        &dir.join("probe.bin"),
    );
    assert_eq!(
        status, 404,
        "the provider's served store has no copy of the data"
    );
    let (out, _) = net.cli_tx_raw(
        "data",
        "demo2",
        &[
            "buy",
            &ds_id.to_string(),
            "--max-price",
            &format!("{PRICE}udeai"),
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("compute-to-data"), "{err}");

    // To the unit. The access fee is split as one datatoken's price would be.
    let fee_share = |d: &str| mul_dec(PRICE, d);
    let (to_provider, to_pm, to_take) = (
        fee_share(&dp.provider_fee),
        fee_share(&dp.publish_market_fee),
        fee_share(&dp.take_rate),
    );
    let to_publisher = PRICE - to_provider - to_pm - to_take;
    let e = escrow(&net, order_id);
    let withdrawn: u128 = leases_of(&net, order_id)
        .iter()
        .map(|l| amount(&l.withdrawn))
        .sum();
    let compute_take = amount(&e.transferred) - withdrawn;
    let fees = |i: usize| fees_paid(&net, &demo(i));
    p1.stop();
    p4.stop();
    assert_eq!(
        bal(2),
        before[2] - fees(2) - amount(&e.transferred) - PRICE,
        "the requester paid the leases and one access"
    );
    assert_eq!(
        bal(1),
        before[1] - stake - deposit - fees(1) + withdrawn + to_provider + to_publisher,
        "{}",
        logs()
    );
    assert_eq!(
        bal(4),
        before[4] - stake - fees(4),
        "the provider without data earned nothing"
    );
    assert_eq!(community_pool(&net), pool0 + compute_take + to_pm + to_take);
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
