//! The tx pipeline and ABCI handlers, in process, on a real sled store.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use prost::bytes::Bytes;
use prost::Message as _;
use tendermint_proto::v0_38::abci as pb;

use deai_bank::BankRead;
use deai_framework::{sdk, Address, Coins};

use super::*;
use crate::store::{SledKv, StorageConfig};
use deai_client::keys::AccountKey;
use deai_client::txbuilder::{coin, sign_tx, to_any, TxParams};

const CHAIN: &str = "deai-test";

pub(super) struct Chain {
    pub(super) app: App,
    pub(super) height: u64,
}

pub(super) fn key(i: u8) -> AccountKey {
    AccountKey::from_bytes(&[i; 32]).unwrap()
}

impl Chain {
    pub(super) fn new(funded: &[(&AccountKey, u128)]) -> Self {
        Self::with_settings(funded, NodeSettings::default())
    }

    pub(super) fn with_settings(funded: &[(&AccountKey, u128)], settings: NodeSettings) -> Self {
        let storage = Storage::open(
            Arc::new(SledKv::temporary().unwrap()),
            StorageConfig::default(),
        )
        .unwrap();
        Self::with_storage(storage, funded, settings)
    }

    /// A new chain on `storage`, with `funded` accounts (account numbers in order).
    pub(super) fn with_storage(
        storage: Storage,
        funded: &[(&AccountKey, u128)],
        settings: NodeSettings,
    ) -> Self {
        Self::with_genesis(storage, funded, settings, 10_000_000, 0)
    }

    /// A new chain with a block gas limit (-1: none) and a genesis time (seconds).
    pub(super) fn with_genesis(
        storage: Storage,
        funded: &[(&AccountKey, u128)],
        settings: NodeSettings,
        max_gas: i64,
        genesis_time: i64,
    ) -> Self {
        let app = App::new(storage, settings).unwrap();
        let accounts: Vec<_> = funded
            .iter()
            .enumerate()
            .map(|(i, (k, _))| {
                serde_json::json!({"@type": "/cosmos.auth.v1beta1.BaseAccount",
                "address": k.address().to_bech32(), "pub_key": null,
                "account_number": i.to_string(), "sequence": "0"})
            })
            .collect();
        let balances: Vec<_> = funded
            .iter()
            .map(|(k, amt)| {
                serde_json::json!({"address": k.address().to_bech32(),
                "coins": [{"denom": "udeai", "amount": amt.to_string()}]})
            })
            .collect();
        let app_state =
            serde_json::json!({"auth": {"accounts": accounts}, "bank": {"balances": balances}});
        app.init_chain(pb::RequestInitChain {
            chain_id: CHAIN.into(),
            app_state_bytes: Bytes::from(serde_json::to_vec(&app_state).unwrap()),
            consensus_params: Some(tendermint_proto::v0_38::types::ConsensusParams {
                block: Some(tendermint_proto::v0_38::types::BlockParams {
                    max_bytes: 1 << 20,
                    max_gas,
                }),
                ..Default::default()
            }),
            time: Some(tendermint_proto::google::protobuf::Timestamp {
                seconds: genesis_time,
                nanos: 0,
            }),
            ..Default::default()
        });
        Self { app, height: 0 }
    }

    pub(super) fn block(&mut self, txs: Vec<Vec<u8>>) -> Vec<pb::ExecTxResult> {
        self.height += 1;
        let res = self.app.finalize_block(pb::RequestFinalizeBlock {
            txs: txs.into_iter().map(Bytes::from).collect(),
            height: self.height as i64,
            ..Default::default()
        });
        self.app.commit();
        res.tx_results
    }

    pub(super) fn check(&self, tx: &[u8]) -> pb::ResponseCheckTx {
        self.app.check_tx(pb::RequestCheckTx {
            tx: Bytes::from(tx.to_vec()),
            r#type: 0,
        })
    }

    pub(super) fn balance(&self, a: &Address) -> u128 {
        self.app.storage().latest().balance(a, "udeai").unwrap()
    }

    pub(super) fn seq(&self, a: &Address) -> u64 {
        use deai_auth::AuthRead;
        self.app
            .storage()
            .latest()
            .account(a)
            .unwrap()
            .map_or(0, |x| x.sequence)
    }
}

pub(super) fn params(account_number: u64, sequence: u64) -> TxParams {
    TxParams {
        chain_id: CHAIN.into(),
        account_number,
        sequence,
        fee: Coins::parse("5000udeai").unwrap(),
        gas_limit: 200_000,
        memo: String::new(),
        timeout_height: 0,
    }
}

pub(super) fn send(from: &AccountKey, to: &Address, amount: u128) -> cosmos_sdk_proto::Any {
    to_any(&MsgSend {
        from_address: from.address().to_bech32(),
        to_address: to.to_bech32(),
        amount: vec![coin("udeai", amount)],
    })
}

#[test]
fn a_valid_send_moves_coins_and_pays_the_fee() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(&a, 1_000_000)]);
    let tx = sign_tx(&a, vec![send(&a, &b.address(), 1000)], &params(0, 0));
    assert_eq!(c.check(&tx).code, 0);
    let r = c.block(vec![tx]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    assert!(r[0].gas_used > 0 && r[0].gas_used <= 200_000);
    assert_eq!(c.balance(&a.address()), 1_000_000 - 1000 - 5000);
    assert_eq!(c.balance(&b.address()), 1000);
    assert_eq!(c.balance(&Address::module("fee_collector")), 5000);
    let kinds: Vec<_> = r[0].events.iter().map(|e| e.r#type.as_str()).collect();
    for k in ["tx", "message", "transfer", "coin_spent", "coin_received"] {
        assert!(kinds.contains(&k), "missing {k} event: {kinds:?}");
    }
}

#[test]
fn only_the_configured_event_attributes_are_indexed() {
    let (a, b) = (key(1), key(2));
    let settings = NodeSettings {
        index_events: Some(["message.sender".to_string()].into_iter().collect()),
        ..NodeSettings::default()
    };
    let mut c = Chain::with_settings(&[(&a, 1_000_000)], settings);
    let r = c.block(vec![sign_tx(
        &a,
        vec![send(&a, &b.address(), 5)],
        &params(0, 0),
    )]);
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    let indexed: Vec<String> = r[0]
        .events
        .iter()
        .flat_map(|e| {
            e.attributes
                .iter()
                .filter(|a| a.index)
                .map(move |a| format!("{}.{}", e.r#type, a.key))
        })
        .collect();
    assert!(
        !indexed.is_empty() && indexed.iter().all(|k| k == "message.sender"),
        "{indexed:?}"
    );
    let all = Chain::new(&[(&a, 1_000_000)]).block(vec![sign_tx(
        &a,
        vec![send(&a, &b.address(), 5)],
        &params(0, 0),
    )]);
    assert!(all[0]
        .events
        .iter()
        .all(|e| e.attributes.iter().all(|a| a.index)));
}

#[test]
fn every_rejection_has_its_own_code() {
    let (a, b) = (key(1), key(2));
    let c = Chain::new(&[(&a, 1_000_000)]);
    let to = b.address();
    let code = |tx: &[u8]| {
        let r = c.check(tx);
        (r.codespace, r.code)
    };
    let sdk = |c: u32| (sdk::CODESPACE.to_string(), c);

    // Bad signature: signed by another key that claims a's account.
    let mut forged = sign_tx(&a, vec![send(&a, &to, 1)], &params(0, 0));
    let n = forged.len();
    forged[n - 1] ^= 1;
    assert_eq!(code(&forged), sdk(sdk::UNAUTHORIZED));
    assert_eq!(
        code(&sign_tx(&a, vec![send(&a, &to, 1)], &params(0, 7))),
        sdk(sdk::WRONG_SEQUENCE)
    );
    // Wrong account number and wrong chain-id change the signed bytes; the SDK (and deai)
    // can only see a failed signature, and the log names the expected values.
    let wrong_num = c.check(&sign_tx(&a, vec![send(&a, &to, 1)], &params(3, 0)));
    assert_eq!(wrong_num.code, sdk::UNAUTHORIZED);
    assert!(
        wrong_num.log.contains("account number (0)"),
        "{}",
        wrong_num.log
    );
    let mut p = params(0, 0);
    p.chain_id = "other-chain".into();
    let wrong_chain = c.check(&sign_tx(&a, vec![send(&a, &to, 1)], &p));
    assert_eq!(wrong_chain.code, sdk::UNAUTHORIZED);
    assert!(
        wrong_chain.log.contains("chain-id (deai-test)"),
        "{}",
        wrong_chain.log
    );

    let mut p = params(0, 0);
    p.fee = Coins::parse("1udeai").unwrap();
    assert_eq!(
        code(&sign_tx(&a, vec![send(&a, &to, 1)], &p)),
        sdk(sdk::INSUFFICIENT_FEE)
    );
    let mut p = params(0, 0);
    p.gas_limit = 1000;
    p.fee = Coins::parse("100udeai").unwrap();
    assert_eq!(
        code(&sign_tx(&a, vec![send(&a, &to, 1)], &p)),
        sdk(sdk::OUT_OF_GAS)
    );
    let huge = to_any(&MsgSend {
        from_address: a.address().to_bech32(),
        to_address: to.to_bech32(),
        amount: vec![
            coin("udeai", 1),
            cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                denom: "zz9".into(),
                amount: "340282366920938463463374607431768211456".into(),
            },
        ],
    });
    assert_eq!(
        code(&sign_tx(&a, vec![huge], &params(0, 0))),
        sdk(sdk::OVERFLOW)
    );
    let unknown = cosmos_sdk_proto::Any {
        type_url: "/deai.nope.v1.MsgNope".into(),
        value: vec![],
    };
    assert_eq!(
        code(&sign_tx(&a, vec![unknown], &params(0, 0))),
        sdk(sdk::UNKNOWN_REQUEST)
    );
    assert_eq!(
        code(&vec![0u8; crate::tx::MAX_TX_BYTES + 1]),
        sdk(sdk::TX_TOO_LARGE)
    );
    assert_eq!(code(b"\xff\xff\xff"), sdk(sdk::TX_DECODE));
    let mut p = params(0, 0);
    p.memo = "x".repeat(257);
    assert_eq!(
        code(&sign_tx(&a, vec![send(&a, &to, 1)], &p)),
        sdk(sdk::MEMO_TOO_LARGE)
    );
    let stranger = key(9);
    assert_eq!(
        code(&sign_tx(
            &stranger,
            vec![send(&stranger, &to, 1)],
            &params(0, 0)
        )),
        sdk(sdk::UNKNOWN_ADDRESS)
    );
    let mut p = params(0, 0);
    p.timeout_height = 0;
    assert_eq!(
        c.check(&sign_tx(&a, vec![send(&a, &to, 1)], &p)).code,
        0,
        "control tx passes"
    );
}

#[test]
fn a_replayed_tx_is_rejected_and_recheck_drops_stale_txs() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(&a, 1_000_000)]);
    let tx = sign_tx(&a, vec![send(&a, &b.address(), 10)], &params(0, 0));
    assert_eq!(c.block(vec![tx.clone()])[0].code, 0);
    assert_eq!(c.check(&tx).code, sdk::WRONG_SEQUENCE);
    let again = c.block(vec![tx]);
    assert_eq!(again[0].code, sdk::WRONG_SEQUENCE);
    assert_eq!(c.balance(&b.address()), 10, "replay moved nothing");

    // Two txs in the mempool with sequences 1 and 2; a block commits only the first;
    // recheck keeps the second valid.
    let t1 = sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 1));
    let t2 = sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, 2));
    assert_eq!(c.check(&t1).code, 0);
    assert_eq!(c.check(&t2).code, 0);
    c.block(vec![t1.clone()]);
    let re = |tx: &[u8]| {
        c.app
            .check_tx(pb::RequestCheckTx {
                tx: Bytes::from(tx.to_vec()),
                r#type: 1,
            })
            .code
    };
    assert_eq!(re(&t2), 0);
    assert_eq!(re(&t1), sdk::WRONG_SEQUENCE);
}

#[test]
fn a_failing_message_reverts_the_whole_tx_but_charges_the_fee() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(&a, 100_000)]);
    // First message would succeed, second overdraws: neither may apply.
    let tx = sign_tx(
        &a,
        vec![
            send(&a, &b.address(), 1000),
            send(&a, &b.address(), 1_000_000),
        ],
        &params(0, 0),
    );
    let r = c.block(vec![tx]);
    assert_eq!(r[0].code, sdk::INSUFFICIENT_FUNDS);
    assert_eq!(c.balance(&b.address()), 0);
    assert_eq!(c.balance(&a.address()), 100_000 - 5000, "fee charged");
    assert_eq!(c.seq(&a.address()), 1, "sequence used");
}

#[test]
fn out_of_gas_in_execution_still_charges_the_fee() {
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(&a, 100_000)]);
    // One gas short of the simulated figure (which counts the signature's bytes too, fee or
    // not): the ante handler, which charges first, passes and the send runs out of gas.
    // This test used to rely on simulation leaving out the signature, the bug it locked in.
    let mut p = params(0, 0);
    p.gas_limit = simulated_gas(&c, &a, &b.address()) - 1;
    p.fee = Coins::parse("1000udeai").unwrap();
    let r = c.block(vec![sign_tx(&a, vec![send(&a, &b.address(), 10)], &p)]);
    assert_eq!(r[0].code, sdk::OUT_OF_GAS, "{}", r[0].log);
    assert_eq!(r[0].gas_used as u64, p.gas_limit);
    assert_eq!(c.balance(&a.address()), 99_000);
    assert_eq!(c.balance(&b.address()), 0);
}

fn simulated_gas(c: &Chain, from: &AccountKey, to: &Address) -> u64 {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
    let tx = deai_client::txbuilder::unsigned_tx(from, vec![send(from, to, 10)], &params(0, 0));
    let r = c.app.query(pb::RequestQuery {
        path: query::SIMULATE_PATH.into(),
        data: Bytes::from(
            SimulateRequest {
                tx_bytes: tx,
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        ..Default::default()
    });
    assert_eq!(r.code, 0, "{}", r.log);
    SimulateResponse::decode(r.value.as_ref())
        .unwrap()
        .gas_info
        .unwrap()
        .gas_used
}

#[test]
fn proposals_respect_limits_and_reject_garbage() {
    let (a, b) = (key(1), key(2));
    let c = Chain::new(&[(&a, 100_000_000)]);
    let txs: Vec<Bytes> = (0..60)
        .map(|s| Bytes::from(sign_tx(&a, vec![send(&a, &b.address(), 1)], &params(0, s))))
        .collect();
    // max_gas is 10M and each tx wants 200k: at most 50 fit.
    let prep = c.app.prepare_proposal(pb::RequestPrepareProposal {
        txs: txs.clone(),
        max_tx_bytes: 1 << 20,
        ..Default::default()
    });
    assert_eq!(prep.txs.len(), 50);
    let small = c.app.prepare_proposal(pb::RequestPrepareProposal {
        txs: txs.clone(),
        max_tx_bytes: txs[..3].iter().map(|t| t.len()).sum::<usize>() as i64,
        ..Default::default()
    });
    assert_eq!(small.txs.len(), 3);
    let mut bad = prep.txs.clone();
    bad.push(Bytes::from_static(b"garbage"));
    let status = |t: Vec<Bytes>| {
        c.app
            .process_proposal(pb::RequestProcessProposal {
                txs: t,
                ..Default::default()
            })
            .status
    };
    assert_eq!(
        status(prep.txs.clone()),
        pb::response_process_proposal::ProposalStatus::Accept as i32
    );
    assert_eq!(
        status(bad),
        pb::response_process_proposal::ProposalStatus::Reject as i32
    );
    assert_eq!(
        status(txs),
        pb::response_process_proposal::ProposalStatus::Reject as i32
    );
}

#[test]
fn same_blocks_give_the_same_app_hash_and_genesis_round_trips() {
    let (a, b) = (key(1), key(2));
    let run = || {
        let mut c = Chain::new(&[(&a, 1_000_000), (&b, 5)]);
        c.block(vec![sign_tx(
            &a,
            vec![send(&a, &b.address(), 7)],
            &params(0, 0),
        )]);
        let info = c.app.info(pb::RequestInfo::default());
        (
            info.last_block_height,
            info.last_block_app_hash,
            c.app.export_app_state().unwrap(),
        )
    };
    let (h1, hash1, export1) = run();
    let (h2, hash2, _) = run();
    assert_eq!((h1, &hash1), (h2, &hash2));
    assert_eq!(h1, 1);
    // The exported state imports into a new chain and exports identically.
    let storage = Storage::open(
        Arc::new(SledKv::temporary().unwrap()),
        StorageConfig::default(),
    )
    .unwrap();
    let app = App::new(storage, NodeSettings::default()).unwrap();
    app.init_chain(pb::RequestInitChain {
        chain_id: CHAIN.into(),
        app_state_bytes: Bytes::from(serde_json::to_vec(&export1).unwrap()),
        ..Default::default()
    });
    assert_eq!(app.export_app_state().unwrap(), export1);
}

#[path = "tests_queries.rs"]
mod queries;
