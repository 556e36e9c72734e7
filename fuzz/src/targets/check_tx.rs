//! `check-tx`: CheckTx (and ReCheck) of an in-process App on a small genesis, with properly
//! signed txs of every message type as seeds: fresh ones at the right sequence, ones whose
//! fields (memo, fee, gas, timeout, sequence, account number, messages) are mutated and then
//! re-signed, and byte- and field-mutated ones. Every 256 inputs, the txs CheckTx accepted go
//! into a block (FinalizeBlock + Commit), so state grows and the mempool view resets.

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, TxRaw};
use cosmos_sdk_proto::Any;
use prost::bytes::Bytes;
use prost::{Message as _, Name as _};
use prost_reflect::MessageDescriptor;
use tendermint_proto::v0_38::abci as pb;

use super::tx_decode::{tx_descriptors, tx_input};
use super::Env;
use crate::chain::TxFields;
use crate::harness::Target;
use crate::rng::Rng;

/// Inputs between two blocks.
const BLOCK_EVERY: u64 = 256;

pub struct CheckTx {
    env: Env,
    corpus: Vec<Vec<u8>>,
    body: MessageDescriptor,
    auth: MessageDescriptor,
    /// Compressed public key of each key, to tell who signed an accepted tx.
    pubkeys: Vec<Vec<u8>>,
    /// Next sequence of each key in the mempool's view.
    seq: Vec<u64>,
    /// Txs CheckTx accepted since the last block.
    accepted: Vec<Vec<u8>>,
    runs: u64,
    /// Inputs CheckTx accepted (code 0), for the report.
    pub ok: u64,
    /// Accepted inputs whose TxRaw does not re-encode to the same bytes (malleable: the same
    /// signed tx under another hash; issue 17's ADR-027 check rejects them).
    pub non_canonical: u64,
}

impl CheckTx {
    pub fn new(env: Env, rng: &mut Rng) -> anyhow::Result<Self> {
        let corpus = env.seed_txs(rng);
        let (body, auth) = tx_descriptors(&env)?;
        let pubkeys = env.chain.keys.iter().map(|k| k.public_key()).collect();
        let seq = (0..env.chain.keys.len())
            .map(|k| env.chain.account(k).1)
            .collect();
        Ok(Self {
            env,
            corpus,
            body,
            auth,
            pubkeys,
            seq,
            accepted: Vec::new(),
            runs: 0,
            ok: 0,
            non_canonical: 0,
        })
    }

    /// A fresh tx by a random key at its mempool sequence: 1-2 generated messages, or a
    /// well-formed send; half of the time with one field of the tx mutated, then signed.
    fn fresh(&self, rng: &mut Rng) -> Vec<u8> {
        let key = rng.below(self.env.chain.keys.len());
        let mut msgs = Vec::new();
        if rng.one_in(4) {
            let to = self.env.chain.address(rng.below(self.env.chain.keys.len()));
            msgs.push(Any {
                type_url: MsgSend::type_url(),
                value: MsgSend {
                    from_address: self.env.chain.address(key).to_bech32(),
                    to_address: to.to_bech32(),
                    amount: vec![Coin {
                        denom: "udeai".into(),
                        amount: (1 + rng.below(1000)).to_string(),
                    }],
                }
                .encode_to_vec(),
            });
        } else {
            for _ in 0..1 + rng.below(2) {
                let url = rng.pick(&self.env.urls).clone();
                msgs.push(self.env.msg(rng, key, &url));
            }
        }
        let mut f = self.env.chain.fields(key, self.seq[key]);
        if rng.one_in(2) {
            self.mutate_fields(rng, &mut f);
        }
        self.env.chain.sign(key, msgs, &f)
    }

    fn mutate_fields(&self, rng: &mut Rng, f: &mut TxFields) {
        let denoms = &self.env.gen.dict.denoms;
        match rng.below(6) {
            0 => {
                f.memo = match rng.below(3) {
                    0 => "é".repeat(rng.below(300)),
                    1 => "m".repeat(250 + rng.below(10)),
                    _ => rng.arb_upto::<String>(400),
                }
            }
            1 => {
                f.fee = (0..rng.below(4))
                    .map(|_| Coin {
                        denom: rng.pick(denoms).clone(),
                        amount: self.env.gen.string(rng, "amount"),
                    })
                    .collect()
            }
            2 => f.gas_limit = rng.interesting_u64(),
            3 => f.timeout_height = rng.interesting_u64() % (self.env.chain.height as u64 + 3),
            4 => f.sequence = (f.sequence + rng.below(3) as u64).saturating_sub(1),
            _ => f.account_number = rng.interesting_u64() % 8,
        }
    }

    /// (key, sequence) of the single signer of `tx`, if it is one of ours.
    fn signer_of(&self, tx: &[u8]) -> Option<(usize, u64)> {
        let raw = TxRaw::decode(tx).ok()?;
        let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).ok()?;
        let info = auth.signer_infos.first()?;
        let pk = PubKey::decode(info.public_key.as_ref()?.value.as_slice()).ok()?;
        let key = self.pubkeys.iter().position(|p| *p == pk.key)?;
        Some((key, info.sequence))
    }

    fn block(&mut self) {
        let txs = std::mem::take(&mut self.accepted);
        self.env.chain.block(txs);
        for (k, s) in self.seq.iter_mut().enumerate() {
            *s = self.env.chain.account(k).1;
        }
    }
}

impl Target for CheckTx {
    fn name(&self) -> &'static str {
        "check-tx"
    }

    fn next_input(&mut self, rng: &mut Rng) -> Vec<u8> {
        if rng.below(10) < 4 {
            let tx = self.fresh(rng);
            if self.corpus.len() < 4096 && rng.one_in(16) {
                self.corpus.push(tx.clone());
            }
            tx
        } else {
            tx_input(&self.env, rng, &self.corpus, &self.body, &self.auth)
        }
    }

    fn stats(&self) -> String {
        format!(
            "({} accepted, {} of them with a non-canonical TxRaw)",
            self.ok, self.non_canonical
        )
    }

    fn run(&mut self, input: &[u8]) {
        // ReCheck for 1 input in 16, chosen by the input so that a replay does the same.
        let recheck = input.len() % 16 == 5;
        let res = self.env.chain.app.check_tx(pb::RequestCheckTx {
            tx: Bytes::copy_from_slice(input),
            r#type: if recheck {
                pb::CheckTxType::Recheck as i32
            } else {
                pb::CheckTxType::New as i32
            },
        });
        if res.code == 0 {
            self.ok += 1;
            if TxRaw::decode(input)
                .map(|r| r.encode_to_vec())
                .ok()
                .as_deref()
                != Some(input)
            {
                self.non_canonical += 1;
            }
            if let Some((key, seq)) = self.signer_of(input) {
                self.seq[key] = self.seq[key].max(seq + 1);
            }
            self.accepted.push(input.to_vec());
        }
        self.runs += 1;
        if self.runs.is_multiple_of(BLOCK_EVERY) {
            self.block();
        }
    }
}
