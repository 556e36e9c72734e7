//! The ante handler's fixes from issue 17: simulate's signature charge, fee events, the
//! memo limit in bytes.

use deai_client::txbuilder::{sign_tx, unsigned_tx};
use deai_framework::{sdk, Coins};

use super::test_chain::*;

/// Failed before the fix: simulating with the fee set skipped the charge for the empty
/// signature, so a tx given exactly the simulated gas ran out of it.
#[test]
fn simulate_with_a_fee_charges_the_missing_signature() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(a.address(), 1_000_000)]);
    let mut p = params(0, 0);
    p.fee = Coins::parse("1000udeai").unwrap();
    let msg = || vec![send(&a.address(), &b.address(), 10)];
    p.gas_limit = c.simulate(unsigned_tx(&a, msg(), &p)).unwrap();
    let r = c.block(vec![sign_tx(&a, msg(), &p)]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    assert!(r[0].gas_used as u64 <= p.gas_limit);
    assert_eq!(c.balance(&b.address()), 10);
}

/// Failed before the fix: 200 two-byte characters are 400 bytes, over the SDK's 256-byte
/// limit, but were counted as 200 characters and accepted.
#[test]
fn the_memo_limit_counts_bytes() {
    let a = key(1);
    let c = Chain::new(&[(a.address(), 1_000_000)]);
    let mut p = params(0, 0);
    p.memo = "é".repeat(200);
    let tx = sign_tx(&a, vec![send(&a.address(), &a.address(), 1)], &p);
    let r = c.check(&tx);
    assert_eq!(r.code, sdk::MEMO_TOO_LARGE, "{}", r.log);
    assert!(r.log.contains("received 400"), "{}", r.log);
    p.memo = "é".repeat(128);
    let tx = sign_tx(&a, vec![send(&a.address(), &a.address(), 1)], &p);
    assert_eq!(c.check(&tx).code, 0);
}

fn attrs<'a>(
    r: &'a tendermint_proto::v0_38::abci::ExecTxResult,
    kind: &str,
) -> Vec<(&'a str, &'a str)> {
    r.events
        .iter()
        .filter(|e| e.r#type == kind)
        .flat_map(|e| {
            e.attributes
                .iter()
                .map(|a| (a.key.as_str(), a.value.as_str()))
        })
        .collect()
}

/// Failed before the fix: the fee moved to the fee collector without the bank's events,
/// and a zero-fee tx had no `tx.fee` event.
#[test]
fn fee_debits_emit_the_banks_events_and_zero_fees_a_tx_fee_event() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(a.address(), 1_000_000)]);
    // The send moves 1udeai to b; the 5000udeai to the fee collector are the fee's.
    let p = params(0, 0);
    let r = c.block(vec![sign_tx(
        &a,
        vec![send(&a.address(), &b.address(), 1)],
        &p,
    )]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    let collector = deai_framework::Address::module("fee_collector").to_string();
    let payer = a.address().to_string();
    let spent = attrs(&r[0], "coin_spent");
    assert!(spent.contains(&("spender", payer.as_str())), "{spent:?}");
    assert!(spent.contains(&("amount", "5000udeai")), "{spent:?}");
    let received = attrs(&r[0], "coin_received");
    assert!(
        received.contains(&("receiver", collector.as_str())),
        "{received:?}"
    );
    let transfer = attrs(&r[0], "transfer");
    assert!(
        transfer.contains(&("recipient", collector.as_str())),
        "{transfer:?}"
    );
    assert!(
        transfer.contains(&("sender", payer.as_str())),
        "{transfer:?}"
    );
    assert!(attrs(&r[0], "tx").contains(&("fee", "5000udeai")));

    // Zero fee: `tx.fee` is present and empty, with its payer.
    let mut p = params(0, 1);
    p.fee = Coins::default();
    let r = c.block(vec![sign_tx(
        &a,
        vec![send(&a.address(), &b.address(), 1)],
        &p,
    )]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    let tx = attrs(&r[0], "tx");
    assert!(tx.contains(&("fee", "")), "{tx:?}");
    assert!(tx.contains(&("fee_payer", payer.as_str())), "{tx:?}");
}
