//! A tx that was committed cannot be committed again: not from the mempool cache, and not
//! after a restart has emptied that cache (the app's sequence check).

use std::time::Duration;

use deai_e2e::*;

#[test]
fn a_replayed_tx_is_rejected() {
    let mut net = Localnet::start(1, 28200);
    let key = net.demo_key(1);
    let (num, seq) = account_of(&net, 0, &key);
    let to = deai_framework::Address::from_bytes(&[7; 20]).unwrap();
    let tx = signed_send(&key, &net.chain_id(), num, seq, &to, 1000);
    let rt = rt();
    let first = rt
        .block_on(net.client(0).broadcast_sync(tx.clone()))
        .unwrap();
    assert_eq!(first.code, 0, "{}", first.raw_log);
    rt.block_on(
        net.client(0)
            .wait_tx(&first.txhash, Duration::from_secs(30)),
    )
    .unwrap();

    // Straight away: CometBFT's cache or the app refuses it.
    match rt.block_on(net.client(0).broadcast_sync(tx.clone())) {
        Ok(r) => assert_ne!(r.code, 0, "replay accepted"),
        Err(e) => assert!(e.to_string().contains("already exists"), "{e}"),
    }

    // After a restart the cache is empty; the app rejects it by sequence.
    let h = net.height(0);
    std::process::Command::new(repo_root().join("localnet/down.sh"))
        .arg("--home")
        .arg(net.dir.path())
        .output()
        .unwrap();
    net.restart();
    net.wait_height(0, h + 1, Duration::from_secs(30));
    let again = rt.block_on(net.client(0).broadcast_sync(tx)).unwrap();
    assert_eq!(
        again.code,
        deai_framework::sdk::WRONG_SEQUENCE,
        "{}",
        again.raw_log
    );
    assert!(
        again.raw_log.contains("account sequence mismatch"),
        "{}",
        again.raw_log
    );
    net.wait_height(0, net.height(0) + 2, Duration::from_secs(30));
    assert_eq!(balance(&net, 0, &to), 1000, "moved exactly once");
}
