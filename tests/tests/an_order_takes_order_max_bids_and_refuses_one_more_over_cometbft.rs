//! `order_max_bids` (20 by default) really holds on a real chain: twenty providers bid, the
//! twenty-first is refused with compute code 32 (Akash's `>` check would let it in).

use deai_e2e::compute::*;
use deai_e2e::*;
use deai_proto::compute::v1 as pb;

#[test]
fn an_order_takes_order_max_bids_and_refuses_one_more_over_cometbft() {
    let net = Localnet::start(1, 28400);
    let max = params(&net).order_max_bids as usize;
    assert_eq!(max, 20);
    let mut r = Party::new(&net, net.demo_key(0));
    // One multi-send funds every provider.
    let keys: Vec<_> = (0..=max)
        .map(|i| deai_client::keys::AccountKey::from_bytes(&[40 + i as u8; 32]).unwrap())
        .collect();
    let each = 20_000_000u128;
    let outputs: Vec<_> = keys
        .iter()
        .map(|k| cosmos_sdk_proto::cosmos::bank::v1beta1::Output {
            address: k.address().to_bech32(),
            coins: vec![deai_client::coin("udeai", each)],
        })
        .collect();
    r.send(cosmos_sdk_proto::cosmos::bank::v1beta1::MsgMultiSend {
        inputs: vec![cosmos_sdk_proto::cosmos::bank::v1beta1::Input {
            address: r.bech32(),
            coins: vec![deai_client::coin("udeai", each * keys.len() as u128)],
        }],
        outputs,
    })
    .ok();
    let mut providers: Vec<Party> = keys.into_iter().map(|k| Party::new(&net, k)).collect();
    // Every provider registers at once (each its own account), then they all bid at once.
    let sent: Vec<_> = providers
        .iter_mut()
        .map(|p| {
            let owner = p.bech32();
            p.broadcast(pb::MsgCreateProvider {
                owner,
                host_uri: "http://127.0.0.1:9/a".into(),
                attributes: vec![],
                capacity: Some(pb::Resources {
                    cpu_millis: 1_000,
                    ..Default::default()
                }),
                stake: udeai(10_000_000),
            })
        })
        .collect();
    for (p, resp) in providers.iter().zip(sent) {
        p.wait(resp).ok();
    }
    use sha2::Digest;
    let spec = b"{}".to_vec();
    let created = r.send(pb::MsgCreateOrder {
        dataset_id: 0,
        max_access_fee: None,
        owner: r.bech32(),
        spec_sha256: sha2::Sha256::digest(&spec).to_vec(),
        spec,
        resources: Some(pb::Resources {
            cpu_millis: 100,
            ..Default::default()
        }),
        max_price_per_block: udeai(10),
        deposit: udeai(10_000),
        redundancy: 1,
        verification: Some(pb::Verification::default()),
        bid_window: 500,
        max_blocks: 100,
        ..Default::default()
    });
    let order_id = created.ok().events::<pb::EventOrderCreated>()[0].order_id;
    let bid = |p: &Party| pb::MsgCreateBid {
        provider: p.bech32(),
        order_id,
        price: udeai(5),
        deposit: udeai(1_000_000),
    };
    let (first, last) = providers.split_at_mut(max);
    let sent: Vec<_> = first
        .iter_mut()
        .map(|p| {
            let m = bid(p);
            p.broadcast(m)
        })
        .collect();
    for (p, resp) in first.iter().zip(sent) {
        p.wait(resp).ok();
    }
    assert_eq!(order(&net, order_id).bid_count as usize, max);
    let extra = bid(&last[0]);
    last[0].send(extra).compute_code(32);
    assert_eq!(order(&net, order_id).bid_count as usize, max);
}
