//! Four validators compute the same app hash at every height, and the chain keeps
//! committing with one of them stopped.

use std::time::Duration;

use deai_e2e::*;

#[test]
fn four_validators_agree_and_survive_one_stopping() {
    let net = Localnet::start(4, 28400);
    let to = deai_framework::Address::from_bytes(&[4; 20]).unwrap();
    let chain = net.chain_id();
    let rt = rt();
    // Each demo account sends through its own node, so every node's mempool feeds blocks.
    // (A node's mempool checks sequences against what it has seen, so one sender's txs go
    // through one node.)
    for sender in 0..3usize {
        let key = net.demo_key(sender);
        let (num, seq) = account_of(&net, 0, &key);
        for i in 0..3u64 {
            let tx = signed_send(&key, &chain, num, seq + i, &to, 10);
            let r = rt.block_on(net.client(sender).broadcast_sync(tx)).unwrap();
            assert_eq!(r.code, 0, "{}", r.raw_log);
        }
    }
    let key = net.demo_key(2);
    let target = net.height(0) + 3;
    for n in 0..4 {
        net.wait_height(n, target + 1, Duration::from_secs(60));
    }
    for h in 1..=target {
        let hashes: Vec<String> = (0..4).map(|n| net.app_hash_after(n, h)).collect();
        assert!(
            hashes.iter().all(|x| x == &hashes[0]),
            "app hashes differ at height {h}: {hashes:?}"
        );
    }
    assert_eq!(balance(&net, 0, &to), 90);
    let (num, seq) = account_of(&net, 0, &key);

    net.kill9(3, "cometbft");
    net.kill9(3, "deaid");
    let h = net.height(0);
    net.wait_height(0, h + 3, Duration::from_secs(60));
    let tx = signed_send(&key, &chain, num, seq, &to, 10);
    let r = rt.block_on(net.client(1).broadcast_sync(tx)).unwrap();
    assert_eq!(r.code, 0, "{}", r.raw_log);
    rt.block_on(net.client(0).wait_tx(&r.txhash, Duration::from_secs(30)))
        .unwrap();
    let end = net.height(0);
    for n in 1..3 {
        net.wait_height(n, end, Duration::from_secs(30));
    }
    for h in target..end {
        let hashes: Vec<String> = (0..3).map(|n| net.app_hash_after(n, h)).collect();
        assert!(
            hashes.iter().all(|x| x == &hashes[0]),
            "app hashes differ at height {h}: {hashes:?}"
        );
    }
    assert_eq!(balance(&net, 2, &to), 100);
}
