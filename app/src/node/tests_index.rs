//! Which event attributes are indexed by default and with app.toml `index_events`, and what
//! ReCheck evicts.

use std::collections::BTreeSet;

use prost::bytes::Bytes;
use tendermint_proto::v0_38::abci as pb;

use deai_client::txbuilder::sign_tx;
use deai_framework::sdk;

use super::event_index::{check_pattern, default_index_events, indexed};
use super::tests::{key, params, send, Chain};
use super::NodeSettings;

fn set(patterns: &[&str]) -> BTreeSet<String> {
    patterns.iter().map(|s| s.to_string()).collect()
}

/// "type.key" of every indexed (or every) attribute of the results.
fn attrs(results: &[pb::ExecTxResult], only_indexed: bool) -> BTreeSet<String> {
    results
        .iter()
        .flat_map(|r| &r.events)
        .flat_map(|e| {
            e.attributes
                .iter()
                .filter(move |a| a.index || !only_indexed)
                .map(move |a| format!("{}.{}", e.r#type, a.key))
        })
        .collect()
}

fn one_send(settings: NodeSettings) -> Vec<pb::ExecTxResult> {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::with_settings(&[(&a, 1_000_000)], settings);
    let r = c.block(vec![sign_tx(
        &a,
        vec![send(&a, &b.address(), 5)],
        &params(0, 0),
    )]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    r
}

#[test]
fn the_default_indexes_what_clients_search_by_and_skips_coin_bookkeeping() {
    let default = set(&default_index_events()
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    let r = one_send(NodeSettings {
        index_events: Some(default),
        ..NodeSettings::default()
    });
    let on = attrs(&r, true);
    for k in [
        "message.action",
        "message.sender",
        "message.module",
        "transfer.sender",
        "transfer.recipient",
        "tx.acc_seq",
        "tx.signature",
        "tx.fee_payer",
    ] {
        assert!(on.contains(k), "{k} not indexed: {on:?}");
    }
    for k in [
        "coin_spent.spender",
        "coin_spent.amount",
        "coin_received.receiver",
        "coin_received.amount",
        "transfer.amount",
        "tx.fee",
    ] {
        assert!(!on.contains(k), "{k} indexed: {on:?}");
    }
    // The events themselves are all still there, only the index flag differs.
    let all = attrs(&r, false);
    assert!(
        all.contains("coin_spent.amount") && all.contains("tx.fee"),
        "{all:?}"
    );
    // Typed module events stay searchable (e.g. deai.training.v1.EventNeuronSlashed.audit_id).
    let d = set(&default_index_events()
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert!(indexed(
        Some(&d),
        "deai.training.v1.EventNeuronSlashed",
        "audit_id"
    ));
    assert!(indexed(Some(&d), "delegate", "validator"));
}

#[test]
fn an_empty_list_or_a_star_indexes_every_attribute_again() {
    let every = attrs(&one_send(NodeSettings::default()), false);
    assert_eq!(attrs(&one_send(NodeSettings::default()), true), every);
    let star = one_send(NodeSettings {
        index_events: Some(set(&["*"])),
        ..NodeSettings::default()
    });
    assert_eq!(attrs(&star, true), every);
}

#[test]
fn patterns_match_exact_prefix_and_exclusions() {
    let p = set(&["message.sender", "deai.*", "tx.acc*"]);
    assert!(indexed(Some(&p), "message", "sender"));
    assert!(!indexed(Some(&p), "message", "senderx"));
    assert!(!indexed(Some(&p), "messagex", "sender"));
    assert!(indexed(Some(&p), "deai.compute.v1.EventOrder", "id"));
    assert!(!indexed(Some(&p), "deaix", "id"));
    assert!(indexed(Some(&p), "tx", "acc_seq"));
    assert!(!indexed(Some(&p), "tx", "fee"));
    // Exclusions win, and a list of exclusions alone starts from everything.
    let p = set(&["*", "!coin_spent.*", "!tx.fee"]);
    assert!(!indexed(Some(&p), "coin_spent", "amount"));
    assert!(!indexed(Some(&p), "tx", "fee"));
    assert!(indexed(Some(&p), "tx", "fee_payer"));
    assert!(indexed(Some(&p), "coin_spentx", "amount"));
    let p = set(&["!transfer.amount"]);
    assert!(indexed(Some(&p), "transfer", "sender"));
    assert!(!indexed(Some(&p), "transfer", "amount"));
    assert!(indexed(None, "anything", "at_all"));
}

#[test]
fn malformed_patterns_are_refused() {
    for ok in ["*", "a.b", "deai.*", "a*", "!a.b", "!coin_spent.*"] {
        assert!(check_pattern(ok).is_ok(), "{ok}");
    }
    for bad in ["", "!", "a", "*.b", "a*b.c", "!!a.b", "a.b**"] {
        assert!(check_pattern(bad).is_err(), "{bad:?}");
    }
}

fn recheck(c: &Chain, tx: &[u8]) -> pb::ResponseCheckTx {
    c.app.check_tx(pb::RequestCheckTx {
        tx: Bytes::from(tx.to_vec()),
        r#type: pb::CheckTxType::Recheck as i32,
    })
}

#[test]
fn recheck_evicts_a_tx_whose_sequence_went_stale() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(&a, 1_000_000)]);
    // Two different txs with sequence 0 (another node's mempool got the other one first).
    let mine = sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 0));
    let theirs = sign_tx(&a, vec![send(&a, &b.address(), 2)], &params(0, 0));
    assert_eq!(c.check(&mine).code, 0);
    assert_eq!(c.block(vec![theirs])[0].code, 0);
    assert_eq!(recheck(&c, &mine).code, sdk::WRONG_SEQUENCE);
}

#[test]
fn recheck_evicts_a_tx_whose_fee_payer_can_no_longer_pay() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(&a, 20_000)]);
    // Checked while `a` could pay its fee; a block from elsewhere then spends almost all.
    let pending = sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 0));
    assert_eq!(c.check(&pending).code, 0);
    let drain = sign_tx(&a, vec![send(&a, &b.address(), 14_000)], &params(0, 0));
    assert_eq!(c.block(vec![drain])[0].code, 0);
    assert_eq!(c.balance(&a.address()), 1_000);
    let r = recheck(&c, &pending);
    assert_ne!(
        r.code, 0,
        "a tx whose payer has 1000 < 5000 udeai stays: {r:?}"
    );
    assert_eq!(r.codespace, "sdk");
    assert_eq!(r.code, sdk::INSUFFICIENT_FUNDS);
}

#[test]
fn recheck_keeps_the_next_txs_of_a_sender_valid() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(&a, 1_000_000)]);
    let txs: Vec<_> = (0..3)
        .map(|s| sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, s)))
        .collect();
    for t in &txs {
        assert_eq!(c.check(t).code, 0);
    }
    c.block(vec![txs[0].clone()]);
    // CometBFT rechecks what is left in mempool order; sequences advance in the new state.
    assert_eq!(recheck(&c, &txs[1]).code, 0);
    assert_eq!(recheck(&c, &txs[2]).code, 0);
    let next = sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 3));
    assert_eq!(c.check(&next).code, 0);
}
