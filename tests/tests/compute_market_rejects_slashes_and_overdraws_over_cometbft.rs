//! The compute market on a real chain, driven by signed txs: every listed rejection by its
//! code, a lying lessee caught by a drawn referee, slashed and jailed with every balance
//! reconciled to the unit, an overdrawn order closing with `insufficient_funds`, and a
//! genesis export/import round trip of the resulting state that is exact.

use deai_e2e::compute::*;
use deai_e2e::*;
use deai_proto::compute::v1 as pb;

const STAKE: u128 = 10_000_000;
const BID_DEPOSIT: u128 = 1_000_000;

fn create_provider(p: &mut Party, attrs: &[(&str, &str)]) {
    p.send(pb::MsgCreateProvider {
        owner: p.bech32(),
        host_uri: "http://127.0.0.1:9/artifacts".into(),
        attributes: attrs
            .iter()
            .map(|(k, v)| pb::Attribute {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect(),
        capacity: Some(pb::Resources {
            cpu_millis: 4_000,
            memory_bytes: 1 << 30,
            gpus: 0,
            storage_bytes: 1 << 30,
        }),
        stake: udeai(STAKE),
    })
    .ok();
}

fn eu() -> Vec<pb::Attribute> {
    vec![pb::Attribute {
        key: "region".into(),
        value: "eu".into(),
    }]
}

fn order_msg(owner: &Party, auditor: &Party, deposit: u128, cpu: u64) -> pb::MsgCreateOrder {
    use sha2::Digest;
    let spec = br#"{"job":"digits-mlp"}"#.to_vec();
    pb::MsgCreateOrder {
        dataset_id: 0,
        max_access_fee: None,
        owner: owner.bech32(),
        spec_sha256: sha2::Sha256::digest(&spec).to_vec(),
        spec,
        required_attributes: eu(),
        auditors: Some(pb::AuditorRequirement {
            auditors: vec![auditor.bech32()],
            r#match: pb::AuditorMatch::AllOf as i32,
        }),
        resources: Some(pb::Resources {
            cpu_millis: cpu,
            ..Default::default()
        }),
        max_price_per_block: udeai(10),
        deposit: udeai(deposit),
        redundancy: 2,
        verification: Some(pb::Verification {
            mode: pb::VerificationMode::Redundant as i32,
            spot_check_rate: String::new(),
        }),
        bid_window: 300,
        max_blocks: 2_000,
    }
}

fn bid(p: &mut Party, order_id: u64, price: u128) -> Outcome {
    p.send(pb::MsgCreateBid {
        provider: p.bech32(),
        order_id,
        price: udeai(price),
        deposit: udeai(BID_DEPOSIT),
    })
}

fn result(p: &mut Party, lease_id: u64, head: u8) -> Outcome {
    p.send(pb::MsgSubmitResult {
        provider: p.bech32(),
        lease_id,
        result_hash: vec![head; 32],
        weights_sha256: vec![head; 32],
        checkpoint_hashes: vec![vec![1; 32], vec![head; 32], vec![head; 32]],
        artifact_uri: "http://127.0.0.1:9/artifacts/blobs/r".into(),
    })
}

fn created_order(o: &Outcome) -> u64 {
    o.ok().events::<pb::EventOrderCreated>()[0].order_id
}

fn bid_id(o: &Outcome) -> u64 {
    o.ok().events::<pb::EventBidCreated>()[0].bid_id
}

#[test]
fn compute_market_rejects_slashes_and_overdraws_over_cometbft() {
    let net = Localnet::start(1, 28300);
    let mut r = Party::new(&net, net.demo_key(0));
    let mut p1 = Party::new(&net, net.demo_key(1));
    let mut p2 = Party::new(&net, net.demo_key(2));
    let mut v = funded_party(&net, &mut r, 7, 100_000_000);
    let mut a = funded_party(&net, &mut r, 8, 1_000_000);
    let start = |p: &Party| balance(&net, 0, &p.address());
    let (r0, p10, p20, v0) = (start(&r), start(&p1), start(&p2), start(&v));
    let (r_fees0, pool0) = (r.fees(), community_pool(&net));

    create_provider(&mut p1, &[("region", "eu")]);
    create_provider(&mut p2, &[("region", "eu")]);
    create_provider(&mut v, &[("verifier", "true")]);
    a.send(pb::MsgSignProviderAttributes {
        auditor: a.bech32(),
        provider: p1.bech32(),
        attributes: eu(),
    })
    .ok();

    let o1 = created_order(&r.send(order_msg(&r, &a, 1_000_000, 1_000)));
    bid(&mut p1, o1, 11).compute_code(26); // above max_price_per_block
    bid(&mut v, o1, 5).compute_code(29); // no region=eu
    bid(&mut p2, o1, 7).compute_code(30); // region=eu not signed by the auditor
    let o2 = created_order(&r.send(order_msg(&r, &a, 1_000, 100_000)));
    bid(&mut p1, o2, 5).compute_code(31); // needs more cpu than p1 has
    r.send(pb::MsgCloseOrder {
        owner: r.bech32(),
        order_id: o2,
    })
    .ok();
    bid(&mut p1, o2, 5).compute_code(27); // the order is closed
    a.send(pb::MsgSignProviderAttributes {
        auditor: a.bech32(),
        provider: p2.bech32(),
        attributes: eu(),
    })
    .ok();
    let b1 = bid_id(&bid(&mut p1, o1, 8));
    let b2 = bid_id(&bid(&mut p2, o1, 7));
    let lease = |bids: Vec<u64>| pb::MsgCreateLease {
        owner: r.bech32(),
        order_id: o1,
        bid_ids: bids,
    };
    let mut by_p1 = lease(vec![b1, b2]);
    by_p1.owner = p1.bech32();
    p1.send(by_p1).compute_code(2); // only the order's owner leases
    let leased = r.send(lease(vec![b1, b2]));
    let ids: Vec<u64> = leased
        .ok()
        .events::<pb::EventLeaseCreated>()
        .iter()
        .map(|e| e.lease_id)
        .collect();
    let (l1, l2) = (ids[0], ids[1]);
    result(&mut v, l1, 4).compute_code(41); // not the lessee
    result(&mut p1, l1, 4).ok();
    result(&mut p1, l1, 4).compute_code(43); // one result per lease

    // p2 lies; the results part at checkpoint 1 and v, the only verifier outside the lease
    // set, is drawn to referee segment 0.
    let disputed = result(&mut p2, l2, 6);
    let assigned = disputed.ok().events::<pb::EventAuditAssigned>();
    assert_eq!(
        (
            assigned[0].order_id,
            assigned[0].segment,
            assigned[0].verifier.clone()
        ),
        (o1, 0, v.bech32())
    );
    assert_eq!(order(&net, o1).state, pb::OrderState::Disputed as i32);
    let answer = |p: &Party, hash: Vec<u8>| pb::MsgSubmitAudit {
        verifier: p.bech32(),
        order_id: o1,
        segment: 0,
        checkpoint_hash: hash,
    };
    let wrong_referee = answer(&p1, vec![4; 32]);
    p1.send(wrong_referee).compute_code(51);
    let resolved = v.send(answer(&v, vec![4; 32]));
    let verdict = &resolved.ok().events::<pb::EventAuditResolved>()[0];
    assert_eq!(
        (
            verdict.honest_lease_ids.clone(),
            verdict.faulty_lease_ids.clone()
        ),
        (vec![l1], vec![l2])
    );
    let fee = amount(&verdict.verifier_fee);
    let slashed = &resolved.events::<pb::EventProviderSlashed>()[0];
    let slash = amount(&slashed.amount);
    assert_eq!(slash, STAKE / 10, "slash_fraction 0.1 of the stake");
    assert_eq!(amount(&slashed.to_victim), slash);

    // The order completed on p1's result; p2 is slashed and jailed.
    let done = order(&net, o1);
    assert_eq!(done.state, pb::OrderState::Completed as i32);
    assert_eq!(done.result_hash, vec![4; 32]);
    let leases = leases_of(&net, o1);
    assert_eq!(leases[0].state, pb::LeaseState::Completed as i32);
    assert_eq!(leases[1].state, pb::LeaseState::Slashed as i32);
    let jailed = provider(&net, &p2.address());
    assert!(jailed.jailed);
    assert_eq!(amount(&jailed.stake), STAKE - slash);
    assert_eq!(amount(&provider(&net, &v.address()).stake), STAKE);
    bid(&mut p2, o1, 7).compute_code(37); // jailed (checked before the order's state)

    // Every unit: what left o1's escrow went to lease 1 (p1) and, as take, to the pool; the
    // liar's earnings went back to the escrow; the referee's fee came out of it; the rest
    // and the slash went to the requester.
    let e1 = escrow(&net, o1);
    assert_eq!(e1.state, pb::EscrowState::Closed as i32);
    assert_eq!(amount(&e1.balance), 0);
    let paid_l1 = amount(&leases[0].withdrawn);
    assert_eq!(amount(&leases[1].withdrawn), 0);
    let take = community_pool(&net) - pool0;
    assert_eq!(amount(&e1.transferred), paid_l1 + take);
    let spent_on_o1 = amount(&e1.transferred) + fee;
    assert_eq!(
        balance(&net, 0, &r.address()),
        r0 - (r.fees() - r_fees0) - spent_on_o1 + slash
    );
    assert_eq!(
        balance(&net, 0, &p1.address()),
        p10 - p1.fees() - STAKE + paid_l1
    );
    assert_eq!(balance(&net, 0, &p2.address()), p20 - p2.fees() - STAKE);
    assert_eq!(balance(&net, 0, &v.address()), v0 - v.fees() - STAKE + fee);

    // An order whose escrow runs out: 30 units at 10 a block last three blocks.
    let mut small = order_msg(&r, &a, 30, 1_000);
    small.redundancy = 1;
    small.verification = Some(pb::Verification::default());
    small.bid_window = 1;
    let o3 = created_order(&r.send(small));
    bid(&mut p1, o3, 10).ok();
    let h = net.height(0);
    wait_past(&net, h + 6);
    let l3 = leases_of(&net, o3)[0].id;
    let withdrawn = p1.send(pb::MsgWithdrawLease {
        provider: p1.bech32(),
        lease_id: l3,
    });
    assert_eq!(
        withdrawn
            .ok()
            .events::<pb::EventLeaseInsufficientFunds>()
            .len(),
        1
    );
    assert_eq!(
        leases_of(&net, o3)[0].state,
        pb::LeaseState::InsufficientFunds as i32
    );
    let e3 = escrow(&net, o3);
    assert_eq!(e3.state, pb::EscrowState::Overdrawn as i32);
    assert_eq!((amount(&e3.balance), amount(&e3.transferred)), (0, 30));
    assert_eq!(order(&net, o3).state, pb::OrderState::Closed as i32);

    // Genesis: the state exported from the stopped node imports into a fresh app and exports
    // again unchanged.
    net.stop();
    let exported = net.export(0);
    assert!(!exported["compute"]["audits"].as_array().unwrap().is_empty());
    let again = reimport(&exported, &net.chain_id());
    assert_eq!(again, exported);
}
