//! A small in-process chain for the tx pipeline's tests (the node's own test harness is
//! private to `node`).

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use prost::bytes::Bytes;
use prost::Message as _;
use tendermint_proto::v0_38::abci as pb;

use deai_bank::BankRead;
use deai_client::keys::AccountKey;
use deai_client::txbuilder::{coin, to_any, TxParams};
use deai_framework::{Address, Coins};

use crate::node::{App, NodeSettings};
use crate::store::{SledKv, Storage, StorageConfig};

pub const CHAIN: &str = "deai-test";

pub struct Chain {
    pub app: App,
    pub height: u64,
}

pub fn key(i: u8) -> AccountKey {
    AccountKey::from_bytes(&[i; 32]).unwrap()
}

pub fn params(account_number: u64, sequence: u64) -> TxParams {
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

pub fn send(from: &Address, to: &Address, amount: u128) -> cosmos_sdk_proto::Any {
    to_any(&MsgSend {
        from_address: from.to_bech32(),
        to_address: to.to_bech32(),
        amount: vec![coin("udeai", amount)],
    })
}

impl Chain {
    /// A chain whose genesis funds `funded` (account numbers in order); `pub_keys` may set
    /// an account's stored key (a multisig account needs one to be found by its address).
    pub fn new(funded: &[(Address, u128)]) -> Self {
        Self::with_accounts(
            funded
                .iter()
                .map(|(a, _)| {
                    serde_json::json!({"@type": "/cosmos.auth.v1beta1.BaseAccount",
                    "address": a.to_bech32(), "pub_key": null, "sequence": "0"})
                })
                .collect(),
            funded,
        )
    }

    pub fn with_accounts(accounts: Vec<serde_json::Value>, funded: &[(Address, u128)]) -> Self {
        let storage = Storage::open(
            Arc::new(SledKv::temporary().unwrap()),
            StorageConfig::default(),
        )
        .unwrap();
        let app = App::new(storage, NodeSettings::default()).unwrap();
        let accounts: Vec<_> = accounts
            .into_iter()
            .enumerate()
            .map(|(i, mut a)| {
                a["account_number"] = serde_json::json!(i.to_string());
                a
            })
            .collect();
        let balances: Vec<_> = funded
            .iter()
            .map(|(a, amt)| {
                serde_json::json!({"address": a.to_bech32(),
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
                    max_gas: 10_000_000,
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        Self { app, height: 0 }
    }

    pub fn block(&mut self, txs: Vec<Vec<u8>>) -> Vec<pb::ExecTxResult> {
        self.height += 1;
        let res = self.app.finalize_block(pb::RequestFinalizeBlock {
            txs: txs.into_iter().map(Bytes::from).collect(),
            height: self.height as i64,
            ..Default::default()
        });
        self.app.commit();
        res.tx_results
    }

    pub fn check(&self, tx: &[u8]) -> pb::ResponseCheckTx {
        self.app.check_tx(pb::RequestCheckTx {
            tx: Bytes::from(tx.to_vec()),
            r#type: 0,
        })
    }

    pub fn balance(&self, a: &Address) -> u128 {
        self.app.storage().latest().balance(a, "udeai").unwrap()
    }

    /// Simulate's gas figure, or its error.
    pub fn simulate(&self, tx: Vec<u8>) -> Result<u64, deai_framework::TxError> {
        let r = self.app.simulate(
            &SimulateRequest {
                tx_bytes: tx,
                ..Default::default()
            }
            .encode_to_vec(),
        )?;
        Ok(SimulateResponse::decode(r.as_slice())
            .unwrap()
            .gas_info
            .unwrap()
            .gas_used)
    }
}
