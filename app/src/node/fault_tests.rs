//! Storage faults in FinalizeBlock and Commit halt the node; they are never a tx result.
//! CheckTx and queries answer them as an internal error and the node keeps running.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgSend, QueryBalanceRequest};
use prost::bytes::Bytes;
use prost::Message as _;
use tendermint_proto::v0_38::abci as pb;

use deai_bank::BankRead;
use deai_client::keys::AccountKey;
use deai_client::txbuilder::{coin, sign_tx, to_any, TxParams};
use deai_framework::{sdk, Address, Coins};

use super::*;
use crate::store::faulty::FaultyKv;
use crate::store::{show_key, StorageConfig, StorageError};

const CHAIN: &str = "deai-faults";

fn key(i: u8) -> AccountKey {
    AccountKey::from_bytes(&[i; 32]).unwrap()
}

/// An app on a fault-injecting store with `a` funded, and a signed send of 1000 from `a`
/// to `b` at sequence 0.
fn setup() -> (App, Arc<FaultyKv>, AccountKey, AccountKey, Vec<u8>) {
    let (a, b) = (key(1), key(2));
    let kv = Arc::new(FaultyKv::temporary().unwrap());
    let storage = Storage::open(kv.clone(), StorageConfig::default()).unwrap();
    let app = App::new(storage, NodeSettings::default()).unwrap();
    let app_state = serde_json::json!({
        "auth": {"accounts": [{"@type": "/cosmos.auth.v1beta1.BaseAccount",
            "address": a.address().to_bech32(), "pub_key": null,
            "account_number": "0", "sequence": "0"}]},
        "bank": {"balances": [{"address": a.address().to_bech32(),
            "coins": [{"denom": "udeai", "amount": "1000000"}]}]},
    });
    app.init_chain(pb::RequestInitChain {
        chain_id: CHAIN.into(),
        app_state_bytes: Bytes::from(serde_json::to_vec(&app_state).unwrap()),
        ..Default::default()
    });
    let params = TxParams {
        chain_id: CHAIN.into(),
        account_number: 0,
        sequence: 0,
        fee: Coins::parse("5000udeai").unwrap(),
        gas_limit: 200_000,
        memo: String::new(),
        timeout_height: 0,
    };
    let msg = to_any(&MsgSend {
        from_address: a.address().to_bech32(),
        to_address: b.address().to_bech32(),
        amount: vec![coin("udeai", 1000)],
    });
    let tx = sign_tx(&a, vec![msg], &params);
    (app, kv, a, b, tx)
}

fn block(height: i64, tx: &[u8]) -> pb::RequestFinalizeBlock {
    pb::RequestFinalizeBlock {
        txs: vec![Bytes::from(tx.to_vec())],
        height,
        ..Default::default()
    }
}

fn balance_key(a: &Address) -> Vec<u8> {
    deai_bank::state_key::balance(a, "udeai")
}

fn balance(app: &App, a: &Address) -> u128 {
    app.storage().latest().balance(a, "udeai").unwrap()
}

/// Asserts that FinalizeBlock reported a storage fault and kept nothing.
fn assert_fault_kept_nothing(
    app: &App,
    r: Result<pb::ResponseFinalizeBlock, StorageError>,
) -> StorageError {
    let e = r.expect_err("a storage fault must not produce a FinalizeBlock response");
    assert!(
        lock(&app.inner.pending).is_none(),
        "nothing to commit after a fault"
    );
    assert_eq!(app.storage().latest_version(), Some(0));
    e
}

#[test]
fn a_read_fault_in_a_tx_is_a_storage_fault_not_a_failed_tx() {
    let (app, kv, _a, b, tx) = setup();
    // The recipient's balance is read only by the message, after the ante handler.
    kv.fail_reads_of(balance_key(&b.address()));
    let e = assert_fault_kept_nothing(&app, app.try_finalize_block(block(1, &tx)));
    assert_eq!(e.op, "read");
    assert!(
        e.what.contains(&show_key(&balance_key(&b.address()))),
        "{e}"
    );
    assert!(e.to_string().contains("injected I/O error"), "{e}");

    // The same block on a healthy store: the tx was fine all along.
    kv.heal();
    let r = app.try_finalize_block(block(1, &tx)).unwrap();
    assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
    app.try_commit().unwrap();
    assert_eq!(balance(&app, &b.address()), 1000);
}

#[test]
fn a_fault_on_any_read_of_a_block_never_becomes_a_tx_result() {
    let (app, kv, _a, _b, tx) = setup();
    let mut faults = 0;
    for n in 1.. {
        kv.injected.store(0, Ordering::SeqCst);
        kv.fail_nth_read(n);
        match app.try_finalize_block(block(1, &tx)) {
            Err(_) => {
                assert!(kv.injected.load(Ordering::SeqCst) > 0);
                assert!(lock(&app.inner.pending).is_none());
                faults += 1;
            }
            Ok(r) => {
                // Past the block's last read: no fault fired, and the tx succeeded.
                assert_eq!(
                    kv.injected.load(Ordering::SeqCst),
                    0,
                    "read {n} failed silently"
                );
                assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
                break;
            }
        }
    }
    assert!(faults >= 5, "only {faults} reads were tried");
}

#[test]
fn a_write_fault_in_commit_halts_without_writing_a_version() {
    let (app, kv, _a, b, tx) = setup();
    app.try_finalize_block(block(1, &tx)).unwrap();
    kv.fail_writes();
    let e = app.try_commit().expect_err("the batch did not land");
    assert_eq!(e.op, "write batch");
    assert!(e.what.contains("version 1"), "{e}");
    assert_eq!(app.storage().latest_version(), Some(0));
    // What a restarted node finds on disk: still version 0, no trace of the block.
    kv.heal();
    let reopened = Storage::open(kv.clone(), StorageConfig::default()).unwrap();
    assert_eq!(reopened.latest_version(), Some(0));
    assert_eq!(reopened.latest().balance(&b.address(), "udeai").unwrap(), 0);
}

#[test]
fn a_read_fault_in_commit_halts_without_writing_a_version() {
    let (app, kv, _a, _b, tx) = setup();
    app.try_finalize_block(block(1, &tx)).unwrap();
    // The block writes its height without reading it first, so Commit reads its row.
    let height = crate::node::genesis::height_key();
    kv.fail_reads_of(height.clone());
    let e = app
        .try_commit()
        .expect_err("commit reads each written key not read before");
    assert_eq!(e.op, "read");
    assert!(e.what.contains(&show_key(&height)), "{e}");
    kv.heal();
    assert_eq!(app.storage().latest_version(), Some(0));
    let reopened = Storage::open(kv.clone(), StorageConfig::default()).unwrap();
    assert_eq!(reopened.latest_version(), Some(0));
}

#[test]
fn commit_does_not_read_again_the_rows_the_block_read() {
    let (app, kv, _a, b, tx) = setup();
    app.try_finalize_block(block(1, &tx)).unwrap();
    // The send read the recipient's balance; Commit takes its version from that read.
    kv.fail_reads_of(balance_key(&b.address()));
    app.try_commit().unwrap();
    assert_eq!(kv.injected.load(Ordering::SeqCst), 0);
    kv.heal();
    assert_eq!(app.storage().latest_version(), Some(1));
    assert!(balance(&app, &b.address()) > 0);
}

#[test]
fn corrupt_rows_read_in_a_tx_are_storage_faults_not_tx_errors() {
    let (app, kv, a, b, tx) = setup();
    let v0 = 0u64.to_be_bytes().to_vec();
    // A balance that is not 16 bytes: the bank module cannot decode it (code 1).
    kv.corrupt_reads_of(
        balance_key(&b.address()),
        [v0.clone(), vec![1, 2, 3]].concat(),
    );
    let e = assert_fault_kept_nothing(&app, app.try_finalize_block(block(1, &tx)));
    assert_eq!(e.op, "execute");
    assert!(e.what.contains("tx 0") && e.what.contains("block 1"), "{e}");
    assert!(e.to_string().contains("corrupt"), "{e}");

    // An account that is not a protobuf Any, read by the ante handler.
    let account = deai_auth::state_key::account(&a.address());
    kv.corrupt_reads_of(account, [v0, vec![0xff; 7]].concat());
    let e = assert_fault_kept_nothing(&app, app.try_finalize_block(block(1, &tx)));
    assert!(e.to_string().contains("corrupt account"), "{e}");

    // A row too short to hold its version: the store itself cannot decode it.
    kv.corrupt_reads_of(balance_key(&b.address()), vec![1, 2, 3]);
    let e = assert_fault_kept_nothing(&app, app.try_finalize_block(block(1, &tx)));
    assert_eq!(e.op, "decode");
    assert!(
        e.what.contains(&show_key(&balance_key(&b.address()))),
        "{e}"
    );

    kv.heal();
    let r = app.try_finalize_block(block(1, &tx)).unwrap();
    assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
}

#[test]
fn a_fault_in_a_query_or_check_tx_answers_internal_and_the_node_keeps_running() {
    let (app, kv, a, b, tx) = setup();
    let query = |who: &Address| {
        app.query(pb::RequestQuery {
            path: "/cosmos.bank.v1beta1.Query/Balance".into(),
            data: Bytes::from(
                QueryBalanceRequest {
                    address: who.to_bech32(),
                    denom: "udeai".into(),
                }
                .encode_to_vec(),
            ),
            height: 0,
            prove: false,
        })
    };
    kv.fail_reads_of(balance_key(&b.address()));
    let r = query(&b.address());
    assert_eq!(
        (r.codespace.as_str(), r.code),
        (sdk::CODESPACE, sdk::INTERNAL)
    );
    assert!(r.log.contains("storage fault"), "{}", r.log);
    // Other reads still answer.
    assert_eq!(query(&a.address()).code, 0);

    kv.corrupt_reads_of(balance_key(&a.address()), vec![9]);
    let r = query(&a.address());
    assert_eq!(r.code, sdk::INTERNAL, "{}", r.log);
    let r = app.check_tx(pb::RequestCheckTx {
        tx: Bytes::from(tx.clone()),
        r#type: 0,
    });
    assert_eq!(
        (r.codespace.as_str(), r.code),
        (sdk::CODESPACE, sdk::INTERNAL)
    );

    // The store heals; the faults seen by the query and CheckTx do not linger.
    kv.heal();
    let r = app.try_finalize_block(block(1, &tx)).unwrap();
    assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
    app.try_commit().unwrap();
    assert_eq!(balance(&app, &b.address()), 1000);
    assert_eq!(query(&b.address()).code, 0);
}
