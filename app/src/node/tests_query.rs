//! Queries and simulations under load limits, snapshots at "latest", and the mempool view.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountsRequest;
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateRequest;
use prost::bytes::Bytes;
use prost::Message as _;
use tendermint_proto::v0_38::abci as pb;

use deai_bank::BankRead;
use deai_framework::{sdk, Address};

use super::tests::{key, params, send, Chain};
use super::*;
use crate::store::{SledKv, StorageConfig};
use deai_client::keys::AccountKey;
use deai_client::txbuilder::{sign_tx, unsigned_tx};

fn storage(keep_recent: u64) -> Storage {
    Storage::open(
        Arc::new(SledKv::temporary().unwrap()),
        StorageConfig {
            keep_recent,
            ..Default::default()
        },
    )
    .unwrap()
}

fn query(c: &Chain, path: &str, data: Vec<u8>) -> pb::ResponseQuery {
    c.app.query(pb::RequestQuery {
        path: path.into(),
        data: Bytes::from(data),
        ..Default::default()
    })
}

fn balance_req(a: &Address) -> Vec<u8> {
    QueryBalanceRequest {
        address: a.to_bech32(),
        denom: "udeai".into(),
    }
    .encode_to_vec()
}

fn simulate(c: &Chain, tx: Vec<u8>) -> pb::ResponseQuery {
    query(
        c,
        SIMULATE_PATH,
        SimulateRequest {
            tx_bytes: tx,
            ..Default::default()
        }
        .encode_to_vec(),
    )
}

// Before the fix queries ran with no gas limit at all; now a query past the node's limit
// fails out of gas, and the node goes on answering.
#[test]
fn a_query_past_the_query_gas_limit_fails_out_of_gas_and_the_next_one_answers() {
    let keys: Vec<AccountKey> = (1..=200u8).map(key).collect();
    let funded: Vec<(&AccountKey, u128)> = keys.iter().map(|k| (k, 1000)).collect();
    let settings = NodeSettings {
        query_gas_limit: 50_000,
        ..NodeSettings::default()
    };
    let c = Chain::with_settings(&funded, settings);
    let all = QueryAccountsRequest {
        pagination: Some(PageRequest {
            limit: 1000,
            ..Default::default()
        }),
    };
    let r = query(
        &c,
        "/cosmos.auth.v1beta1.Query/Accounts",
        all.encode_to_vec(),
    );
    assert_eq!(
        (r.codespace.as_str(), r.code),
        ("sdk", sdk::OUT_OF_GAS),
        "{}",
        r.log
    );
    let ok = query(
        &c,
        "/cosmos.bank.v1beta1.Query/Balance",
        balance_req(&keys[0].address()),
    );
    assert_eq!(ok.code, 0, "{}", ok.log);
    // The same limit holds on the gRPC/REST path (the api crate's backend).
    let err = deai_api::Backend::query(
        &c.app,
        "/cosmos.auth.v1beta1.Query/Accounts",
        &all.encode_to_vec(),
        0,
    )
    .unwrap_err();
    assert_eq!(err.code, sdk::OUT_OF_GAS);
}

// Before the fix a chain without a block gas limit let a simulation run to a fixed 1e9 gas;
// the node's cap now applies, and with a block limit the block limit does.
#[test]
fn a_simulation_above_the_block_gas_limit_or_the_node_cap_fails() {
    let (a, b) = (key(1), key(2));
    let many = |n| {
        (0..n)
            .map(|_| send(&a, &b.address(), 1))
            .collect::<Vec<_>>()
    };
    let capped = NodeSettings {
        simulate_gas_cap: 300_000,
        ..NodeSettings::default()
    };
    let unlimited = Chain::with_genesis(storage(0), &[(&a, 1_000_000)], capped, -1, 0);
    let limited = Chain::with_genesis(
        storage(0),
        &[(&a, 1_000_000)],
        NodeSettings::default(),
        300_000,
        0,
    );
    for c in [&unlimited, &limited] {
        let one = simulate(c, unsigned_tx(&a, many(1), &params(0, 0)));
        assert_eq!(one.code, 0, "{}", one.log);
        let r = simulate(c, unsigned_tx(&a, many(40), &params(0, 0)));
        assert_eq!(r.code, sdk::OUT_OF_GAS, "{}", r.log);
    }
}

// Before the fix a query at "latest" read the live table, so one query could see two
// heights; a view taken at H keeps reading H after H+1 commits.
#[test]
fn a_query_view_at_latest_reads_one_height_across_a_commit() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(&a, 1_000_000)]);
    c.block(vec![sign_tx(
        &a,
        vec![send(&a, &b.address(), 7)],
        &params(0, 0),
    )]);
    let app = c.app.clone();
    let view = app.state_at(0).unwrap();
    assert_eq!(view.balance(&b.address(), "udeai").unwrap(), 7);
    c.block(vec![sign_tx(
        &a,
        vec![send(&a, &b.address(), 8)],
        &params(0, 1),
    )]);
    assert_eq!(view.balance(&b.address(), "udeai").unwrap(), 7);
    assert_eq!(c.balance(&b.address()), 15);
}

// A failing CheckTx must drop only its own writes: the first tx's sequence bump stays, so
// the third (sequence 1) passes.
#[test]
fn a_failing_check_tx_keeps_the_earlier_txs_writes() {
    let (a, b) = (key(1), key(2));
    let c = Chain::new(&[(&a, 1_000_000)]);
    assert_eq!(
        c.check(&sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 0)))
            .code,
        0
    );
    let bad = c.check(&sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 7)));
    assert_eq!(bad.code, sdk::WRONG_SEQUENCE, "{}", bad.log);
    let third = c.check(&sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 1)));
    assert_eq!(third.code, 0, "{}", third.log);
    // A simulation sees the mempool's state too: the next sequence is 2.
    let sim = simulate(
        &c,
        unsigned_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 2)),
    );
    assert_eq!(sim.code, 0, "{}", sim.log);
}

// Before the fix CheckTx and simulations before block 1 saw block time 0.
#[test]
fn check_tx_before_the_first_block_sees_the_genesis_time() {
    let a = key(1);
    let c = Chain::with_genesis(
        storage(0),
        &[(&a, 1000)],
        NodeSettings::default(),
        -1,
        1_700_000_000,
    );
    assert_eq!(c.app.next_block_info().time_unix, 1_700_000_000);
}

// Before the fix these paths answered "unknown request".
#[test]
fn app_version_and_p2p_filter_queries_are_answered() {
    let c = Chain::new(&[(&key(1), 1000)]);
    for path in ["/app/version", "app/version"] {
        let r = query(&c, path, vec![]);
        assert_eq!(r.code, 0);
        assert_eq!(r.value.as_ref(), env!("CARGO_PKG_VERSION").as_bytes());
    }
    for path in ["/p2p/filter/addr/127.0.0.1:26656", "/p2p/filter/id/abcdef"] {
        let r = query(&c, path, vec![]);
        assert_eq!(r.code, 0, "{path}: {}", r.log);
    }
}

// Before the fix Service/Config reported empty pruning settings and Status an earliest
// height of 1 whatever had been pruned.
#[test]
fn the_node_reports_its_pruning_and_earliest_height() {
    use deai_api::Backend;
    let a = key(1);
    let mut c = Chain::with_genesis(storage(2), &[(&a, 1000)], NodeSettings::default(), -1, 0);
    for _ in 0..5 {
        c.block(vec![]);
    }
    assert_eq!(c.app.earliest_height(), 4);
    let cfg = c.app.node_config();
    assert_eq!(
        (
            cfg.pruning_keep_recent.as_str(),
            cfg.pruning_interval.as_str()
        ),
        ("2", "1")
    );
    let ok = query(
        &c,
        "/cosmos.bank.v1beta1.Query/Balance",
        balance_req(&a.address()),
    );
    assert_eq!(
        QueryBalanceResponse::decode(ok.value.as_ref())
            .unwrap()
            .balance
            .unwrap()
            .amount,
        "1000"
    );
    let all = Chain::new(&[(&a, 1000)]);
    assert_eq!(all.app.earliest_height(), 1);
    assert_eq!(all.app.node_config().pruning_keep_recent, "0");
}
