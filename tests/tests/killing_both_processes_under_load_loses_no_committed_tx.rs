//! kill -9 of deaid and CometBFT while txs stream in: after a restart, every tx that was
//! committed is still there, the state agrees with the txs, and blocks continue.

use std::time::Duration;

use deai_e2e::*;

#[test]
fn killing_both_processes_under_load_loses_no_committed_tx() {
    let mut net = Localnet::start(1, 28300);
    let key = net.demo_key(0);
    let (num, seq0) = account_of(&net, 0, &key);
    let to = deai_framework::Address::from_bytes(&[9; 20]).unwrap();
    let chain = net.chain_id();
    let rt = rt();
    let client = net.client(0);

    // Phase 1: a first wave, most of it committed before the crash.
    let mut hashes = Vec::new();
    for i in 0..120 {
        let tx = signed_send(&key, &chain, num, seq0 + i, &to, 1);
        let r = rt.block_on(client.broadcast_sync(tx)).unwrap();
        assert_eq!(r.code, 0, "{}", r.raw_log);
        hashes.push(r.txhash);
    }
    net.wait_height(0, net.height(0) + 2, Duration::from_secs(30));

    // Phase 2: keep loading from another thread while both processes are killed.
    let rpc = net.rpc(0);
    let (k2, chain2, to2) = (key.clone(), chain.clone(), to.clone());
    let loader = std::thread::spawn(move || {
        let rt = deai_e2e::rt();
        let c = deai_client::rpc::NodeClient::new(&rpc).unwrap();
        for i in 120..400 {
            let tx = signed_send(&k2, &chain2, num, seq0 + i, &to2, 1);
            if rt.block_on(c.broadcast_sync(tx)).is_err() {
                break; // the node is gone
            }
        }
    });
    std::thread::sleep(Duration::from_millis(400));
    // What is committed now must survive.
    let mut committed = Vec::new();
    for h in &hashes {
        if let Ok(Some(r)) = rt.block_on(client.tx(h)) {
            assert_eq!(r.code, 0);
            committed.push((h.clone(), r.height));
        }
    }
    assert!(!committed.is_empty(), "nothing committed before the crash");
    let height_before = net.height(0);
    net.kill9(0, "deaid");
    net.kill9(0, "cometbft");
    loader.join().unwrap();

    net.restart();
    net.wait_height(0, height_before + 2, Duration::from_secs(60));
    // A new client: the old one's pooled connections died with the node.
    let client = net.client(0);
    for (h, height) in &committed {
        let r = rt
            .block_on(client.tx(h))
            .unwrap()
            .unwrap_or_else(|| panic!("committed tx {h} lost"));
        assert_eq!((&r.height, r.code), (height, 0));
    }
    // Every committed send moved exactly 1udeai and used one sequence number.
    let (_, seq_now) = account_of(&net, 0, &key);
    assert!(seq_now - seq0 >= committed.len() as u64);
    assert_eq!(balance(&net, 0, &to), u128::from(seq_now - seq0));

    // And the chain takes new txs.
    let tx = signed_send(&key, &chain, num, seq_now, &to, 1);
    let r = rt.block_on(client.broadcast_sync(tx)).unwrap();
    assert_eq!(r.code, 0, "{}", r.raw_log);
    let done = rt
        .block_on(client.wait_tx(&r.txhash, Duration::from_secs(30)))
        .unwrap();
    assert_eq!(done.code, 0);
}
