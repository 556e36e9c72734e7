//! An in-process deaid App on a temporary sled store, with funded keys, through the public
//! API only (what app/src/node/tests.rs does with its test-only helpers): genesis, blocks,
//! and direct-mode signing of any body and auth info, so targets can sign mutated txs.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use prost::bytes::Bytes;
use prost::Message as _;
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci as pb;

use deai_auth::{AuthRead, SECP256K1_PUBKEY_URL};
use deai_client::keys::AccountKey;
use deai_framework::Address;
use deaid::node::{App, NodeSettings};
use deaid::store::{SledKv, Storage, StorageConfig};

use crate::gen::Dict;

pub const CHAIN_ID: &str = "deai-fuzz";
pub const DENOMS: &[&str] = &[
    "udeai",
    "uatom",
    "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
];
/// Each key's genesis balance of every denom: enough for any fee, small enough that sums of
/// balances and amounts from inputs overflow only where the code must catch it.
const BALANCE: u128 = 1_000_000_000_000_000;
/// Genesis time of the fuzz chain; each block is 5 s later.
const GENESIS_UNIX: i64 = 1_700_000_000;

pub struct Chain {
    pub app: App,
    pub keys: Vec<AccountKey>,
    pub height: i64,
}

/// What a signed tx carries besides its messages; every field is up to the fuzzer.
#[derive(Clone, Debug, Default)]
pub struct TxFields {
    pub memo: String,
    pub timeout_height: u64,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
    pub sequence: u64,
    pub account_number: u64,
}

impl Chain {
    /// A chain at height 0 after InitChain, with `n_keys` funded accounts (numbers 0..n).
    pub fn new(n_keys: u8) -> anyhow::Result<Self> {
        let storage = Storage::open(Arc::new(SledKv::temporary()?), StorageConfig::default())?;
        let settings = NodeSettings {
            verify_threads: 1,
            sig_cache_size: 4096,
            ..NodeSettings::default()
        };
        let app = App::new(storage, settings)?;
        let keys: Vec<AccountKey> = (1..=n_keys)
            .map(|i| AccountKey::from_bytes(&[i; 32]))
            .collect::<anyhow::Result<_>>()?;
        let accounts: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                serde_json::json!({"@type": "/cosmos.auth.v1beta1.BaseAccount",
                "address": k.address().to_bech32(), "pub_key": null,
                "account_number": i.to_string(), "sequence": "0"})
            })
            .collect();
        let coins: Vec<_> = DENOMS
            .iter()
            .map(|d| serde_json::json!({"denom": d, "amount": BALANCE.to_string()}))
            .collect();
        let balances: Vec<_> = keys
            .iter()
            .map(|k| serde_json::json!({"address": k.address().to_bech32(), "coins": coins}))
            .collect();
        let mut app_state = deaid::node::app_state_default();
        app_state["auth"] = serde_json::json!({"accounts": accounts});
        app_state["bank"]["balances"] = serde_json::json!(balances);
        app.init_chain(pb::RequestInitChain {
            chain_id: CHAIN_ID.into(),
            time: Some(Timestamp {
                seconds: GENESIS_UNIX,
                nanos: 0,
            }),
            app_state_bytes: Bytes::from(serde_json::to_vec(&app_state)?),
            consensus_params: Some(tendermint_proto::v0_38::types::ConsensusParams {
                block: Some(tendermint_proto::v0_38::types::BlockParams {
                    max_bytes: 1 << 21,
                    max_gas: 50_000_000,
                }),
                ..Default::default()
            }),
            initial_height: 1,
            ..Default::default()
        });
        let mut chain = Self {
            app,
            keys,
            height: 0,
        };
        // One empty block, so that queries and CheckTx see a committed block and its time.
        chain.block(Vec::new());
        Ok(chain)
    }

    /// FinalizeBlock and Commit of `txs` at the next height.
    pub fn block(&mut self, txs: Vec<Vec<u8>>) -> Vec<pb::ExecTxResult> {
        self.height += 1;
        let res = self.app.finalize_block(pb::RequestFinalizeBlock {
            txs: txs.into_iter().map(Bytes::from).collect(),
            height: self.height,
            time: Some(Timestamp {
                seconds: GENESIS_UNIX + 5 * self.height,
                nanos: 0,
            }),
            ..Default::default()
        });
        self.app.commit();
        res.tx_results
    }

    pub fn address(&self, key: usize) -> Address {
        self.keys[key].address()
    }

    /// (account number, sequence) of key `key` in the last committed state.
    pub fn account(&self, key: usize) -> (u64, u64) {
        match self.app.storage().latest().account(&self.address(key)) {
            Ok(Some(a)) => (a.account_number, a.sequence),
            _ => (key as u64, 0),
        }
    }

    /// Fields of a plain valid tx of key `key` at sequence `sequence`.
    pub fn fields(&self, key: usize, sequence: u64) -> TxFields {
        TxFields {
            memo: String::new(),
            timeout_height: 0,
            fee: vec![Coin {
                denom: "udeai".into(),
                amount: "50000".into(),
            }],
            gas_limit: 2_000_000,
            sequence,
            account_number: self.account(key).0,
        }
    }

    /// A tx of `msgs`, signed in direct mode by key `key` over exactly these fields.
    pub fn sign(&self, key: usize, msgs: Vec<Any>, f: &TxFields) -> Vec<u8> {
        let k = &self.keys[key];
        let body = TxBody {
            messages: msgs,
            memo: f.memo.clone(),
            timeout_height: f.timeout_height,
            extension_options: Vec::new(),
            non_critical_extension_options: Vec::new(),
        }
        .encode_to_vec();
        #[allow(deprecated)] // `tip` is unset
        let auth = AuthInfo {
            signer_infos: vec![SignerInfo {
                public_key: Some(Any {
                    type_url: SECP256K1_PUBKEY_URL.into(),
                    value: PubKey {
                        key: k.public_key(),
                    }
                    .encode_to_vec(),
                }),
                mode_info: Some(ModeInfo {
                    sum: Some(mode_info::Sum::Single(mode_info::Single { mode: 1 })),
                }),
                sequence: f.sequence,
            }],
            fee: Some(Fee {
                amount: f.fee.clone(),
                gas_limit: f.gas_limit,
                payer: String::new(),
                granter: String::new(),
            }),
            tip: None,
        }
        .encode_to_vec();
        self.sign_parts(key, body, auth, f.account_number)
    }

    /// TxRaw of already-encoded parts, signed by key `key` (parts may be anything).
    pub fn sign_parts(
        &self,
        key: usize,
        body: Vec<u8>,
        auth: Vec<u8>,
        account_number: u64,
    ) -> Vec<u8> {
        let doc = SignDoc {
            body_bytes: body.clone(),
            auth_info_bytes: auth.clone(),
            chain_id: CHAIN_ID.into(),
            account_number,
        };
        TxRaw {
            body_bytes: body,
            auth_info_bytes: auth,
            signatures: vec![self.keys[key].sign(&doc.encode_to_vec())],
        }
        .encode_to_vec()
    }

    /// The generator's dictionary for this chain: our accounts, other address spellings,
    /// denoms, and every registered message type as `Any` URLs.
    pub fn dict(&self) -> Dict {
        let accounts: Vec<String> = self.keys.iter().map(|k| k.address().to_bech32()).collect();
        let validators: Vec<String> = self
            .keys
            .iter()
            .map(|k| deai_staking::address::val_to_bech32(&k.address()))
            .collect();
        let mut other_addresses = validators.clone();
        for m in [
            "gov",
            "distribution",
            "bonded_tokens_pool",
            "inference",
            "compute",
            "fee_collector",
        ] {
            other_addresses.push(Address::module(m).to_bech32());
        }
        if let Some(a) = accounts.first() {
            other_addresses.push(a.to_uppercase());
            other_addresses.push(format!("{a}x"));
        }
        let mut any_urls: Vec<String> = self
            .app
            .router()
            .msg_type_urls()
            .map(String::from)
            .collect();
        any_urls.push(SECP256K1_PUBKEY_URL.into());
        Dict {
            accounts,
            validators,
            other_addresses,
            denoms: DENOMS.iter().map(|d| d.to_string()).collect(),
            any_urls,
        }
    }
}
