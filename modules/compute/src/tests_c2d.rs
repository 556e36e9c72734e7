//! Compute-to-data orders: the dataset checks, the access fee escrowed on top of the
//! deposit, only the dataset's provider bidding, the fee paid through the data market's
//! split when the order is leased (by its owner or by end_block), refunded before, genesis.

use sha2::{Digest, Sha256};

use deai_bank::BankRead;
use deai_data::DataWrite;
use deai_framework::MemStore;
use deai_proto::compute::v1 as pb;
use deai_proto::data::v1 as data_pb;

use crate::tests::*;
use crate::tests_bids::{bid_id, bid_msg, matching_provider};
use crate::tests_leases::{lease_msg, typed};
use crate::tests_results::result_msg;
use crate::*;

/// The dataset's price; its split at the data defaults (1 % provider, 1 % publish market to
/// the community pool, 1 % take): 10 to the provider, 20 to the pool, 970 to the publisher.
pub(crate) const FEE: u128 = 1000;
pub(crate) const PUBLISHER: u8 = 6;
pub(crate) const DATA_HASH: [u8; 32] = [0xab; 32];

pub(crate) fn dataset(id: u64, provider: u8, access: data_pb::Access) -> data_pb::Dataset {
    data_pb::Dataset {
        id,
        publisher: addr(PUBLISHER).to_bech32(),
        content_sha256: DATA_HASH.to_vec(),
        size: 100,
        metadata: r#"{"name":"d"}"#.into(),
        price: Some(coin(FEE, "udeai")),
        provider: Some(data_pb::Provider {
            address: addr(provider).to_bech32(),
            host_uri: "https://d.example".into(),
        }),
        access: access as i32,
        deposit: Some(coin(0, "udeai")),
        denom: format!("data/{id}"),
        disabled: false,
        created_at: 1,
    }
}

/// Dataset 1: compute_to_data at provider 1; 2: open; 3: disabled; 4: priced in uatom.
pub(crate) fn publish_datasets(s: &mut MemStore) {
    s.put_dataset(&dataset(1, 1, data_pb::Access::ComputeToData))
        .unwrap();
    s.put_dataset(&dataset(2, 1, data_pb::Access::Open))
        .unwrap();
    let mut d = dataset(3, 1, data_pb::Access::ComputeToData);
    d.disabled = true;
    s.put_dataset(&d).unwrap();
    let mut d = dataset(4, 1, data_pb::Access::ComputeToData);
    d.price = Some(coin(FEE, "uatom"));
    s.put_dataset(&d).unwrap();
}

fn spec_naming(hash: &[u8]) -> Vec<u8> {
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!(r#"{{"version":1,"dataset":{{"sha256":"{hex}"}},"job":"t"}}"#).into_bytes()
}

pub(crate) fn c2d_order_msg(owner: u8, deposit: u128, dataset_id: u64) -> pb::MsgCreateOrder {
    let spec = spec_naming(&DATA_HASH);
    pb::MsgCreateOrder {
        owner: addr(owner).to_bech32(),
        spec_sha256: Sha256::digest(&spec).to_vec(),
        spec,
        resources: Some(pb::Resources {
            cpu_millis: 1000,
            ..Default::default()
        }),
        max_price_per_block: Some(coin(10, "udeai")),
        deposit: Some(coin(deposit, "udeai")),
        redundancy: 1,
        verification: Some(pb::Verification::default()),
        bid_window: 5,
        max_blocks: 100,
        dataset_id,
        max_access_fee: Some(coin(FEE, "udeai")),
        ..Default::default()
    }
}

fn setup() -> MemStore {
    let mut s = store();
    publish_datasets(&mut s);
    matching_provider(&mut s, 1);
    matching_provider(&mut s, 2);
    s
}

fn bal(s: &MemStore, u: u8) -> u128 {
    s.balance(&addr(u), "udeai").unwrap()
}

fn pool(s: &MemStore) -> u128 {
    s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

fn escrow_balance(s: &MemStore, o: u64) -> u128 {
    s.get_escrow(o)
        .unwrap()
        .unwrap()
        .balance
        .unwrap()
        .amount
        .parse()
        .unwrap()
}

fn create(s: &mut MemStore, m: pb::MsgCreateOrder) -> u64 {
    typed::<pb::EventOrderCreated>(&exec(s, m).unwrap())[0].order_id
}

#[test]
fn the_access_fee_is_bounded_by_the_requesters_ceiling() {
    let mut s = setup();
    let before = bal(&s, 4);
    let with_max = |max: Option<(u128, &str)>| pb::MsgCreateOrder {
        max_access_fee: max.map(|(a, d)| coin(a, d)),
        ..c2d_order_msg(4, 500, 1)
    };
    // Required, in the deposit's denom, and at least the dataset's price.
    assert_eq!(
        code(exec(&mut s, with_max(None))),
        (
            deai_framework::sdk::CODESPACE,
            deai_framework::sdk::INVALID_COINS
        )
    );
    assert_eq!(
        code(exec(&mut s, with_max(Some((FEE, "uatom"))))),
        compute(ERR_DENOM_MISMATCH)
    );
    assert_eq!(
        code(exec(&mut s, with_max(Some((FEE - 1, "udeai"))))),
        compute(ERR_ACCESS_FEE_TOO_HIGH)
    );
    assert_eq!(bal(&s, 4), before, "a refused order escrows nothing");
    let o = create(&mut s, with_max(Some((FEE + 500, "udeai"))));
    assert_eq!(
        escrow_balance(&s, o),
        500 + FEE,
        "the price is escrowed, not the ceiling"
    );
}

#[test]
fn the_dataset_must_be_compute_to_data_enabled_and_the_specs_own() {
    let mut s = setup();
    let err = |s: &mut MemStore, m| code(exec(s, m));
    assert_eq!(
        err(&mut s, c2d_order_msg(4, 500, 99)),
        compute(ERR_DATASET_NOT_FOUND)
    );
    assert_eq!(
        err(&mut s, c2d_order_msg(4, 500, 2)),
        compute(ERR_DATASET_NOT_COMPUTE_TO_DATA)
    );
    assert_eq!(
        err(&mut s, c2d_order_msg(4, 500, 3)),
        compute(ERR_DATASET_DISABLED)
    );
    assert_eq!(
        err(&mut s, c2d_order_msg(4, 500, 4)),
        compute(ERR_DENOM_MISMATCH)
    );
    for spec in [
        spec_naming(&[0xcd; 32]),
        br#"{"job":"no dataset"}"#.to_vec(),
        spec_naming(&DATA_HASH).to_ascii_uppercase(),
        b"not json".to_vec(),
    ] {
        let mut m = c2d_order_msg(4, 500, 1);
        m.spec_sha256 = Sha256::digest(&spec).to_vec();
        m.spec = spec;
        assert_eq!(err(&mut s, m), compute(ERR_DATASET_HASH_MISMATCH));
    }
    // One provider can bid, and no referee could replay the job: k = 1, no audits.
    let mut m = c2d_order_msg(4, 500, 1);
    m.redundancy = 2;
    assert_eq!(err(&mut s, m), compute(ERR_COMPUTE_TO_DATA_TERMS));
    let mut m = c2d_order_msg(4, 500, 1);
    m.verification = Some(pb::Verification {
        mode: pb::VerificationMode::SpotCheck as i32,
        spot_check_rate: "0.5".into(),
    });
    assert_eq!(err(&mut s, m), compute(ERR_COMPUTE_TO_DATA_TERMS));
    // Deposit + fee must be affordable.
    assert_eq!(
        err(&mut s, c2d_order_msg(4, FUNDS - FEE + 1, 1)),
        ("sdk", deai_framework::sdk::INSUFFICIENT_FUNDS)
    );
    assert_eq!(bal(&s, 4), FUNDS);
    assert_reconciles(&s);
}

#[test]
fn only_the_provider_bids_and_the_fee_is_split_when_leased() {
    let mut s = setup();
    let o = create(&mut s, c2d_order_msg(4, 500, 1));
    assert_eq!(bal(&s, 4), FUNDS - 500 - FEE);
    assert_eq!(escrow_balance(&s, o), 500 + FEE);
    let order = s.get_order(o).unwrap().unwrap();
    assert_eq!(
        (order.dataset_id, order.access_fee, order.access_paid_at),
        (1, Some(coin(FEE, "udeai")), 0)
    );
    assert_reconciles(&s);

    let refused = code(exec(&mut s, bid_msg(2, o, 10)));
    assert_eq!(refused, compute(ERR_NOT_DATASET_PROVIDER));
    let b = bid_id(&exec(&mut s, bid_msg(1, o, 10)).unwrap());
    let (p1, pool0) = (bal(&s, 1), pool(&s));
    let ev = exec(&mut s, lease_msg(4, o, vec![b])).unwrap();
    let paid = typed::<pb::EventAccessFeePaid>(&ev);
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].to_publisher, Some(coin(970, "udeai")));
    assert_eq!(bal(&s, PUBLISHER), 970);
    assert_eq!(bal(&s, 1), p1 + 10);
    assert_eq!(pool(&s), pool0 + 20);
    assert_eq!(escrow_balance(&s, o), 500);
    assert_eq!(s.get_order(o).unwrap().unwrap().access_paid_at, 10);
    assert_reconciles(&s);

    // The first result completes it (verification none): 10 blocks at 10, 2 % take.
    exec_at(&mut s, 20, result_msg(1, 1, 4)).unwrap();
    let order = s.get_order(o).unwrap().unwrap();
    assert_eq!(order.state, pb::OrderState::Completed as i32);
    assert!(s.audits_of_order(o).unwrap().is_empty());
    assert_eq!(bal(&s, 4), FUNDS - FEE - 100);
    assert_eq!(bal(&s, 1), p1 + 10 + 98 + crate::tests_bids::BID_DEPOSIT);
    assert_eq!(pool(&s), pool0 + 22);
    assert_reconciles(&s);
}

#[test]
fn the_fee_is_refunded_until_the_order_is_leased() {
    let mut s = setup();
    // Closed by its owner, with the provider's bid open.
    let o = create(&mut s, c2d_order_msg(4, 500, 1));
    exec(&mut s, bid_msg(1, o, 10)).unwrap();
    exec(
        &mut s,
        pb::MsgCloseOrder {
            owner: addr(4).to_bech32(),
            order_id: o,
        },
    )
    .unwrap();
    assert_eq!(bal(&s, 4), FUNDS);
    // No bid by the deadline: end_block closes it.
    let o = create(&mut s, c2d_order_msg(5, 500, 1));
    end_block_at(&mut s, 15);
    assert_eq!(
        s.get_order(o).unwrap().unwrap().state,
        pb::OrderState::Closed as i32
    );
    assert_eq!(bal(&s, 5), FUNDS);
    assert_eq!((bal(&s, PUBLISHER), pool(&s)), (0, 0));
    assert_reconciles(&s);
}

#[test]
fn end_block_leasing_pays_the_fee_once() {
    let mut s = setup();
    let o = create(&mut s, c2d_order_msg(4, 500, 1));
    exec(&mut s, bid_msg(1, o, 7)).unwrap();
    let ev = end_block_at(&mut s, 15);
    assert_eq!(typed::<pb::EventAccessFeePaid>(&ev).len(), 1);
    assert_eq!(s.get_order(o).unwrap().unwrap().access_paid_at, 15);
    assert_eq!(bal(&s, PUBLISHER), 970);
    // Closing the leased order refunds the rest of the budget, not the fee.
    exec_at(
        &mut s,
        25,
        pb::MsgCloseOrder {
            owner: addr(4).to_bech32(),
            order_id: o,
        },
    )
    .unwrap();
    assert_eq!(bal(&s, 4), FUNDS - FEE - 70);
    assert_eq!(bal(&s, PUBLISHER), 970);
    assert_reconciles(&s);
}

#[test]
fn genesis_round_trips_fees_paid_and_unpaid_and_checks_them() {
    let mut s = setup();
    let open = create(&mut s, c2d_order_msg(4, 500, 1));
    let leased = create(&mut s, c2d_order_msg(5, 500, 1));
    let b = bid_id(&exec(&mut s, bid_msg(1, leased, 10)).unwrap());
    exec(&mut s, lease_msg(5, leased, vec![b])).unwrap();
    let app = export_all(&s);
    let orders = app["compute"]["orders"].as_array().unwrap();
    assert_eq!(orders[0]["dataset_id"], "1");
    assert_eq!(orders[0]["access_paid_at"], "0");
    assert_eq!(orders[1]["access_paid_at"], "10");
    assert_eq!(orders[1]["access_fee"]["amount"], FEE.to_string());
    assert_eq!(export_all(&init_all(&app)), app);

    let refused = |app: &serde_json::Value| {
        testing::try_init_all(&modules(), app)
            .map(|_| ())
            .err()
            .map(|e| (e.codespace, e.code))
    };
    let mut bad = app.clone();
    bad["compute"]["orders"][(open - 1) as usize]["access_paid_at"] = "3".into();
    assert_eq!(refused(&bad), Some(compute(ERR_INVALID_GENESIS)));
    let mut bad = app.clone();
    bad["compute"]["orders"][(leased - 1) as usize]["access_paid_at"] = "0".into();
    assert_eq!(refused(&bad), Some(compute(ERR_INVALID_GENESIS)));
    let mut bad = app.clone();
    bad["compute"]["orders"][(open - 1) as usize]["redundancy"] = 2.into();
    assert_eq!(refused(&bad), Some(compute(ERR_INVALID_GENESIS)));
    let mut bad = app;
    bad["compute"]["orders"][(open - 1) as usize]["dataset_id"] = "0".into();
    assert_eq!(refused(&bad), Some(compute(ERR_INVALID_GENESIS)));
}

#[test]
fn the_specs_dataset_hash_is_read_strictly() {
    use crate::c2d::spec_dataset_sha256 as h;
    assert_eq!(h(&spec_naming(&DATA_HASH)), Ok(DATA_HASH));
    assert!(h(br#"{"dataset":{"sha256":"ab"}}"#).is_err());
    assert!(h(br#"{"dataset":{"sha256":7}}"#).is_err());
    assert!(h(br#"{"dataset":"x"}"#).is_err());
    let upper = format!(r#"{{"dataset":{{"sha256":"{}"}}}}"#, "AB".repeat(32));
    assert!(h(upper.as_bytes()).is_err());
}

#[test]
fn a_share_due_to_a_module_account_goes_to_the_community_pool() {
    let mut s = setup();
    // A publish market that became a module account (params changed after the order) must
    // not fail end_block's leasing, nor land in compute's account outside its books.
    let params = deai_data::Params {
        publish_market: Some(deai_auth::module_address(MODULE_ACCOUNT)),
        ..Default::default()
    };
    s.set_data_params(&params).unwrap();
    let o = create(&mut s, c2d_order_msg(4, 500, 1));
    exec(&mut s, bid_msg(1, o, 7)).unwrap();
    let pool0 = pool(&s);
    end_block_at(&mut s, 15);
    assert_eq!(s.get_order(o).unwrap().unwrap().access_paid_at, 15);
    assert_eq!(pool(&s), pool0 + 20);
    assert_eq!(bal(&s, PUBLISHER), 970);
    assert_reconciles(&s);
}
