//! deai_client::events over a real node: MsgSends arrive exactly once, with their tx hash
//! and transfer attributes, over the websocket; the same through the polling fallback (a
//! websocket address that refuses connections, and polling forced), replaying from a given
//! height; NewBlock events by either path; and across a node restart, which drops the
//! websocket: the subscriber polls while it is down, resumes and reconnects.

use std::collections::BTreeSet;
use std::time::Duration;

use deai_client::events::{ChainEvent, Mode, Source, SubscribeOptions, Subscription, Transport};
use deai_e2e::*;

const SENDS: &str = "tm.event='Tx' AND message.action='/cosmos.bank.v1beta1.MsgSend'";

/// The next `n` events, failing after `secs`.
async fn take(sub: &mut Subscription, n: usize, secs: u64) -> Vec<ChainEvent> {
    let mut out = Vec::new();
    while out.len() < n {
        let ev = tokio::time::timeout(Duration::from_secs(secs), sub.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events within {secs}s", out.len()))
            .expect("subscription ended")
            .expect("subscription failed");
        out.push(ev);
    }
    out
}

/// Nothing more arrives for a few blocks.
async fn no_more(sub: &mut Subscription) {
    if let Ok(ev) = tokio::time::timeout(Duration::from_secs(2), sub.next()).await {
        panic!("unexpected extra event: {ev:?}");
    }
}

async fn wait_mode(sub: &Subscription, mode: Mode) {
    for _ in 0..100 {
        if sub.mode() == mode {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("subscription in mode {:?}, not {mode:?}", sub.mode());
}

struct Sent {
    hash: String,
    to: String,
    amount: u128,
}

/// Each sent tx arrived once, in order, with its hash and its transfer.
fn check(events: &[ChainEvent], sent: &[Sent], from: &str) {
    assert_eq!(events.len(), sent.len());
    let hashes: BTreeSet<_> = events.iter().filter_map(|e| e.tx_hash()).collect();
    assert_eq!(hashes.len(), sent.len(), "an event repeated: {events:?}");
    let mut last = (0, 0);
    for s in sent {
        let ev = events
            .iter()
            .find(|e| e.tx_hash() == Some(&s.hash))
            .unwrap_or_else(|| panic!("tx {} not delivered", s.hash));
        let Source::Tx { index, .. } = ev.source else {
            panic!("not a tx event: {ev:?}")
        };
        assert!((ev.height, index) > last, "out of order: {events:?}");
        last = (ev.height, index);
        let transfer = ev
            .events
            .iter()
            .find(|e| {
                e.kind == "transfer"
                    && e.attributes
                        .iter()
                        .any(|a| a.key == "recipient" && a.value == s.to)
            })
            .unwrap_or_else(|| panic!("no transfer to {} in {ev:?}", s.to));
        let attr = |k: &str| {
            transfer
                .attributes
                .iter()
                .find(|a| a.key == k)
                .map(|a| a.value.clone())
        };
        assert_eq!(attr("sender").as_deref(), Some(from));
        assert_eq!(attr("amount"), Some(format!("{}udeai", s.amount)));
        assert_eq!(
            ev.attribute("message", "action"),
            Some("/cosmos.bank.v1beta1.MsgSend")
        );
    }
}

#[test]
fn a_subscriber_gets_each_send_once_over_websocket_and_by_polling() {
    let mut net = Localnet::start(1, 28560);
    let key = net.demo_key(1);
    let from = key.address().to_bech32();
    let (num, mut seq) = account_of(&net, 0, &key);
    let chain_id = net.chain_id();
    let client = net.client(0);
    let rt = rt();
    rt.block_on(async {
        let mut i = 0u8;
        let mut send = |amount: u128| {
            i += 1;
            let to = deai_framework::Address::from_bytes(&[i; 20]).unwrap();
            let tx = signed_send(&key, &chain_id, num, seq, &to, amount);
            seq += 1;
            (tx, to.to_bech32(), amount)
        };
        async fn broadcast(
            c: &deai_client::NodeClient,
            (tx, to, amount): (Vec<u8>, String, u128),
        ) -> Sent {
            let r = c.broadcast_sync(tx).await.unwrap();
            assert_eq!(r.code, 0, "{}", r.raw_log);
            Sent {
                hash: r.txhash,
                to,
                amount,
            }
        }

        // Over the websocket.
        let mut ws = client
            .subscribe(SENDS, SubscribeOptions::default())
            .await
            .unwrap();
        wait_mode(&ws, Mode::WebSocket).await;
        let mut sent = Vec::new();
        for amount in [1001, 1002, 1003] {
            sent.push(broadcast(&client, send(amount)).await);
        }
        let got = take(&mut ws, 3, 30).await;
        check(&got, &sent, &from);
        no_more(&mut ws).await;
        assert_eq!(ws.mode(), Mode::WebSocket, "never fell back");
        let first_height = got[0].height;

        // A websocket that refuses connections: polling, replaying from the first send.
        let mut polled = client
            .subscribe(
                SENDS,
                SubscribeOptions {
                    websocket_url: Some("ws://127.0.0.1:1/websocket".into()),
                    from_height: Some(first_height),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(polled.start_height(), first_height);
        check(&take(&mut polled, 3, 30).await, &sent, &from);
        wait_mode(&polled, Mode::Polling).await;
        for amount in [1004, 1005] {
            sent.push(broadcast(&client, send(amount)).await);
        }
        let later = take(&mut polled, 2, 30).await;
        check(&later, &sent[3..], &from);
        no_more(&mut polled).await;
        check(&take(&mut ws, 2, 30).await, &sent[3..], &from);
        no_more(&mut ws).await;

        // Polling forced, resuming at the height of the fourth send.
        let mut forced = client
            .subscribe(
                SENDS,
                SubscribeOptions {
                    transport: Transport::Polling,
                    from_height: Some(later[0].height),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        check(&take(&mut forced, 2, 30).await, &sent[3..], &from);
        no_more(&mut forced).await;
        assert_eq!(forced.mode(), Mode::Polling);
        forced.shutdown().await;
        polled.shutdown().await;
        ws.shutdown().await;

        // NewBlock events: consecutive heights, by either path.
        let mut blocks_ws = client
            .subscribe("tm.event='NewBlock'", SubscribeOptions::default())
            .await
            .unwrap();
        wait_mode(&blocks_ws, Mode::WebSocket).await;
        let b = take(&mut blocks_ws, 3, 30).await;
        let mut blocks_poll = client
            .subscribe(
                "tm.event='NewBlock'",
                SubscribeOptions {
                    transport: Transport::Polling,
                    from_height: Some(b[0].height),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let p = take(&mut blocks_poll, 3, 30).await;
        for evs in [&b, &p] {
            assert!(evs.iter().all(|e| e.source == Source::NewBlock));
            let hs: Vec<u64> = evs.iter().map(|e| e.height).collect();
            assert_eq!(hs, vec![b[0].height, b[0].height + 1, b[0].height + 2]);
        }
        assert_eq!(b, p, "the same FinalizeBlock events by either path");
        assert_eq!(blocks_ws.mode(), Mode::WebSocket);
        blocks_ws.shutdown().await;
        blocks_poll.shutdown().await;

        // The node stops right after a send commits, and comes back: the websocket drops,
        // the subscriber polls, resumes where it was and reconnects; each send arrives once.
        let mut sub = client
            .subscribe(
                SENDS,
                SubscribeOptions {
                    websocket_retry: Duration::from_secs(2),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        wait_mode(&sub, Mode::WebSocket).await;
        let before = broadcast(&client, send(1006)).await;
        client
            .wait_tx(&before.hash, Duration::from_secs(30))
            .await
            .unwrap();
        std::process::Command::new(repo_root().join("localnet/down.sh"))
            .arg("--home")
            .arg(net.dir.path())
            .output()
            .unwrap();
        wait_mode(&sub, Mode::Polling).await;
        net.restart();
        wait_mode(&sub, Mode::WebSocket).await;
        let after = broadcast(&client, send(1007)).await;
        check(&take(&mut sub, 2, 60).await, &[before, after], &from);
        no_more(&mut sub).await;
        sub.shutdown().await;
    });
}
