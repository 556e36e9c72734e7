//! The data market end to end, on a real chain with a real provider daemon:
//! - the digits CSV is published encrypted by `deai-worker data publish`; its provider daemon
//!   serves the ciphertext and delivers keys;
//! - a buyer buys two datatokens from the CLI (naming a consume market), sends one to a
//!   friend with `deaid tx bank send`, and `deai-worker data fetch` redeems the other, gets the
//!   wrapped key, downloads, decrypts and matches the plaintext's sha256; the friend redeems
//!   the sent token from the CLI and fetches too;
//! - the artifact server gives no bytes to an unsigned request, a stranger signing for
//!   someone else's grant, a tampered signature, or a replayed request;
//! - an encrypted dataset whose provider never delivers refunds its grantee from the
//!   publisher's deposit at the deadline;
//! - every balance reconciles to the unit: the purchase split, deposits, refund and fees, and
//!   the module account holds exactly the deposits.

use std::path::Path;
use std::time::Duration;

use deai_e2e::compute::{amount, community_pool, fees_paid, typed_events};
use deai_e2e::data::*;
use deai_e2e::inference::{mul_dec, worker_json};
use deai_e2e::worker::{digits_csv, tail};
use deai_e2e::*;
use deai_proto::data::v1 as pb;

const PRICE: u128 = 1_000_000;
const PROVIDER_PORT: u16 = 29990;

/// `deai-worker data fetch` for demo `key`: the JSON it prints.
fn fetch(net: &Localnet, key: &str, dataset: u64, out: &Path) -> serde_json::Value {
    let keys = net.keys_home();
    worker_json(&[
        "data",
        "fetch",
        "--node",
        &net.rpc(0),
        "--key",
        key,
        "--keyring-backend",
        "test",
        "--home",
        keys.to_str().unwrap(),
        "--dataset",
        &dataset.to_string(),
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn data_market_sells_encrypted_data_to_grantees_only() {
    let net = Localnet::start(1, 29900);
    let dir = net.dir.path().to_path_buf();
    let keys = net.keys_home();
    let digits = digits_csv();
    let plain_sha = file_sha256(&digits);
    let store = dir.join("provider-store");
    let p = params(&net);
    let deposit = amount(&p.publisher_deposit);
    // demo<i> of the localnet's keyring.
    let demo = |i: usize| net.demo_key(i - 1).address();
    let addr = |i: usize| demo(i).to_bech32();
    let bal = |i: usize| balance(&net, 0, &demo(i));
    let before: Vec<u128> = (0..=7).map(|i| if i == 0 { 0 } else { bal(i) }).collect();
    let pool_before = community_pool(&net);
    let module = deai_auth::module_address("data");
    assert_eq!(balance(&net, 0, &module), 0);

    // Published encrypted by the provider's worker (demo1 publishes and provides).
    let public_url = format!("http://127.0.0.1:{PROVIDER_PORT}");
    let published = worker_json(&[
        "data",
        "publish",
        "--node",
        &net.rpc(0),
        "--key",
        "demo1",
        "--keyring-backend",
        "test",
        "--home",
        keys.to_str().unwrap(),
        "--file",
        digits.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--state-dir",
        dir.join("provider-demo1").to_str().unwrap(),
        "--public-url",
        &public_url,
        "--encrypt",
        "--price",
        &format!("{PRICE}udeai"),
        "--name",
        "digits",
    ]);
    let id = published["dataset_id"].as_u64().expect("dataset_id");
    let host_uri = published["host_uri"].as_str().unwrap().to_string();
    let ds = dataset(&net, id);
    assert_eq!(ds.access, pb::Access::Encrypted as i32);
    assert_eq!(hex::encode(&ds.content_sha256), plain_sha);
    assert_eq!(ds.denom, format!("data/{id}"));
    assert_eq!(ds.provider.as_ref().unwrap().host_uri, host_uri);
    assert_eq!(amount(&ds.deposit), deposit);
    let blob = published["blob"].as_str().unwrap().to_string();
    assert_ne!(blob, plain_sha, "the provider stores ciphertext");
    assert!(host_uri.ends_with(&blob), "{host_uri}");
    let mut daemon = provider(&dir, &net, "demo1", &store, PROVIDER_PORT);
    daemon.wait_log("data provider serving", Duration::from_secs(60));

    // A dataset whose provider never runs: demo6 publishes it from the CLI; demo7 buys and
    // redeems at once, so its deadline passes while the rest of the test runs.
    let silent = net.cli_tx(
        "data",
        "demo6",
        &[
            "publish",
            "--content-sha256",
            &"ab".repeat(32),
            "--size",
            "1000",
            "--name",
            "never delivered",
            "--price",
            &format!("{PRICE}udeai"),
            "--host-uri",
            "http://127.0.0.1:9/blobs/none",
            "--access",
            "encrypted",
        ],
    );
    let silent_id = typed_events::<pb::EventDatasetPublished>(&silent["events"])[0].dataset_id;
    let silent_buy = net.cli_tx(
        "data",
        "demo7",
        &[
            "buy",
            &silent_id.to_string(),
            "--max-price",
            &format!("{PRICE}udeai"),
        ],
    );
    let silent_split = typed_events::<pb::EventAccessBought>(&silent_buy["events"])[0].clone();
    let redeemed = net.cli_tx("data", "demo7", &["redeem", &silent_id.to_string()]);
    let silent_grant = typed_events::<pb::EventAccessRedeemed>(&redeemed["events"])[0].grant_id;

    // demo2 buys two tokens from the CLI, naming demo5 as the consume market.
    let bought = net.cli_tx(
        "data",
        "demo2",
        &[
            "buy",
            &id.to_string(),
            "--count",
            "2",
            "--max-price",
            &format!("{PRICE}udeai"),
            "--consume-market",
            &addr(5),
            "--consume-market-fee",
            "0.02",
        ],
    );
    let split = typed_events::<pb::EventAccessBought>(&bought["events"])[0].clone();
    let paid = 2 * PRICE;
    assert_eq!(amount(&split.paid), paid);
    assert_eq!(amount(&split.to_provider), mul_dec(paid, &p.provider_fee));
    assert_eq!(
        amount(&split.to_publish_market),
        mul_dec(paid, &p.publish_market_fee)
    );
    assert_eq!(amount(&split.to_consume_market), mul_dec(paid, "0.02"));
    assert_eq!(
        amount(&split.to_community_pool),
        mul_dec(paid, &p.take_rate)
    );
    let shares = [
        &split.to_publisher,
        &split.to_provider,
        &split.to_publish_market,
        &split.to_consume_market,
        &split.to_community_pool,
    ];
    assert_eq!(shares.iter().map(|c| amount(c)).sum::<u128>(), paid);
    assert!(amount(&split.to_provider) > 0 && amount(&split.to_consume_market) > 0);
    assert_eq!(split.dataset_id, id);
    assert_eq!(balance_of(&net, &addr(2), &ds.denom), 2);

    // One token to demo3 by a plain bank send; demo3 redeems it from the CLI.
    net.cli_tx(
        "bank",
        "demo2",
        &["send", &addr(3), &format!("1{}", ds.denom)],
    );
    assert_eq!(balance_of(&net, &addr(3), &ds.denom), 1);
    let r3 = net.cli_tx("data", "demo3", &["redeem", &id.to_string()]);
    let grant3 = typed_events::<pb::EventAccessRedeemed>(&r3["events"])[0].grant_id;
    assert_eq!(balance_of(&net, &addr(3), &ds.denom), 0);
    assert_eq!(grant(&net, grant3).grantee, addr(3));

    // demo2's worker redeems its other token, waits for the key, downloads and decrypts.
    let out2 = dir.join("digits-demo2.csv");
    let fetched = fetch(&net, "demo2", id, &out2);
    assert_eq!(file_sha256(&out2), plain_sha, "{fetched}");
    assert_eq!(balance_of(&net, &addr(2), &ds.denom), 0);
    let grant2 = fetched["grant_id"].as_u64().expect("grant_id");
    let g2 = grant(&net, grant2);
    assert_eq!(g2.grantee, addr(2));
    assert!(!g2.wrapped_key.is_empty() && g2.delivered_at < g2.delivery_deadline);

    // The friend's key is delivered too, and its fetch uses the grant it already has.
    let out3 = dir.join("digits-demo3.csv");
    let fetched3 = fetch(&net, "demo3", id, &out3);
    assert_eq!(file_sha256(&out3), plain_sha);
    assert_eq!(fetched3["grant_id"].as_u64(), Some(grant3));

    // No bytes without a valid, fresh, own grant.
    let h = net.height(0);
    let denied = dir.join("denied.bin");
    let no_bytes = |status: u16, expected: &[u16]| {
        assert!(expected.contains(&status), "status {status}");
        let body = std::fs::read(&denied).unwrap_or_default();
        assert!(
            !body.starts_with(b"DEAIDATA") && body.len() < 1024,
            "a denied request got {} bytes",
            body.len()
        );
    };
    let (s, _) = curl_get(&host_uri, &[], &denied);
    no_bytes(s, &[401]);
    let stranger = download_header(&net, 4, id, grant2, h);
    let (s, _) = curl_get(&host_uri, &[stranger], &denied);
    no_bytes(s, &[403]);
    let mut tampered = download_header(&net, 2, id, grant2, h);
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let (s, _) = curl_get(&host_uri, &[tampered], &denied);
    no_bytes(s, &[401]);
    let wrong_dataset = download_header(&net, 2, silent_id, grant2, h);
    let (s, _) = curl_get(&host_uri, &[wrong_dataset], &denied);
    no_bytes(s, &[403]);
    let good = download_header(&net, 2, id, grant2, h);
    let cipher = dir.join("cipher.bin");
    let (s, n) = curl_get(&host_uri, &[good.clone()], &cipher);
    assert_eq!(s, 200);
    assert!(n > 0);
    assert_eq!(
        file_sha256(&cipher),
        blob,
        "the server serves the published ciphertext"
    );
    let (s, _) = curl_get(&host_uri, &[good], &denied);
    no_bytes(s, &[401, 403]);

    // The silent provider's grantee is refunded from the deposit at the deadline.
    let g7 = grant(&net, silent_grant);
    net.wait_height(0, g7.delivery_deadline + 1, Duration::from_secs(240));
    let g7 = wait_for("the refund", Duration::from_secs(60), || {
        let g = grant(&net, silent_grant);
        g.refunded.then_some(g)
    });
    assert!(g7.wrapped_key.is_empty());
    assert_eq!(amount(&g7.price), PRICE);
    assert_eq!(amount(&dataset(&net, silent_id).deposit), deposit - PRICE);
    daemon.stop();

    // Reconciliation to the unit. demo1 and demo6 publish and provide.
    let fees = |i: usize| fees_paid(&net, &demo(i));
    let gain = |s: &pb::EventAccessBought| amount(&s.to_publisher) + amount(&s.to_provider);
    let context = || tail(&daemon.log_text());
    assert_eq!(
        bal(1),
        before[1] - deposit + gain(&split) - fees(1),
        "{}",
        context()
    );
    assert_eq!(bal(2), before[2] - paid - fees(2));
    assert_eq!(bal(3), before[3] - fees(3));
    assert_eq!(bal(5), before[5] + amount(&split.to_consume_market));
    assert_eq!(bal(6), before[6] - deposit + gain(&silent_split) - fees(6));
    assert_eq!(bal(7), before[7] - fees(7), "the price came back");
    let to_pool =
        |s: &pb::EventAccessBought| amount(&s.to_publish_market) + amount(&s.to_community_pool);
    assert_eq!(
        community_pool(&net),
        pool_before + to_pool(&split) + to_pool(&silent_split),
        "publish-market fee (no publish market set) and take rate"
    );
    assert_eq!(
        balance(&net, 0, &module),
        2 * deposit - PRICE,
        "the module account holds exactly the deposits"
    );
}
