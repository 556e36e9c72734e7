//! `tx-decode`: the app's decoding and stateless checks of raw tx bytes (`decode_tx`, in
//! CheckTx and Simulate modes), on signed txs of every message type, mutated as bytes and as
//! protobuf fields, and on random bytes.

use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
use prost::Message as _;
use prost_reflect::MessageDescriptor;

use deaid::tx::decode_tx;

use super::Env;
use crate::harness::Target;
use crate::mutate::mutate;
use crate::rng::Rng;

pub struct TxDecode {
    env: Env,
    corpus: Vec<Vec<u8>>,
    body: MessageDescriptor,
    auth: MessageDescriptor,
    /// Inputs that decoded, for the report.
    decoded: u64,
}

impl TxDecode {
    pub fn new(env: Env, rng: &mut Rng) -> anyhow::Result<Self> {
        let corpus = env.seed_txs(rng);
        let (body, auth) = tx_descriptors(&env)?;
        Ok(Self {
            env,
            corpus,
            body,
            auth,
            decoded: 0,
        })
    }
}

/// The descriptors of TxBody and AuthInfo, for field mutations.
pub(super) fn tx_descriptors(env: &Env) -> anyhow::Result<(MessageDescriptor, MessageDescriptor)> {
    let desc = |n: &str| {
        env.gen
            .message(n)
            .ok_or_else(|| anyhow::anyhow!("{n} is missing from the node's descriptors"))
    };
    Ok((
        desc("cosmos.tx.v1beta1.TxBody")?,
        desc("cosmos.tx.v1beta1.AuthInfo")?,
    ))
}

/// An input from a corpus of signed txs: mostly byte mutations, then field mutations of the
/// body or auth info (re-signed by a random key, or not), generated parts, or random bytes.
pub(super) fn tx_input(
    env: &Env,
    rng: &mut Rng,
    corpus: &[Vec<u8>],
    body: &MessageDescriptor,
    auth: &MessageDescriptor,
) -> Vec<u8> {
    let seed = rng.pick(corpus);
    match rng.below(10) {
        0..=4 => mutate(rng, seed, corpus),
        5..=7 => {
            let Ok(mut raw) = TxRaw::decode(seed.as_slice()) else {
                return mutate(rng, seed, corpus);
            };
            match rng.below(3) {
                0 => raw.body_bytes = env.gen.mutate_field(rng, body, &raw.body_bytes),
                1 => raw.auth_info_bytes = env.gen.mutate_field(rng, auth, &raw.auth_info_bytes),
                _ => raw.signatures = (0..rng.below(3)).map(|_| rng.bytes(64)).collect(),
            }
            if rng.one_in(2) {
                let key = rng.below(env.chain.keys.len());
                env.chain.sign_parts(
                    key,
                    raw.body_bytes,
                    raw.auth_info_bytes,
                    rng.interesting_u64() % 8,
                )
            } else {
                raw.encode_to_vec()
            }
        }
        8 => {
            let key = rng.below(env.chain.keys.len());
            let body = env.gen.generate(rng, body);
            let auth = env.gen.generate(rng, auth);
            env.chain.sign_parts(key, body, auth, key as u64)
        }
        _ => rng.bytes_upto(300),
    }
}

impl Target for TxDecode {
    fn name(&self) -> &'static str {
        "tx-decode"
    }

    fn next_input(&mut self, rng: &mut Rng) -> Vec<u8> {
        let input = tx_input(&self.env, rng, &self.corpus, &self.body, &self.auth);
        // Keep some decodable variants: later mutations build on them.
        if self.corpus.len() < 4096
            && rng.one_in(64)
            && decode_tx(self.env.chain.app.router(), &input, true).is_ok()
        {
            self.corpus.push(input.clone());
        }
        input
    }

    fn stats(&self) -> String {
        format!(
            "({} decoded, CheckTx and Simulate modes counted apart)",
            self.decoded
        )
    }

    fn run(&mut self, input: &[u8]) {
        let router = self.env.chain.app.router();
        for simulate in [false, true] {
            if let Ok(tx) = decode_tx(router, input, simulate) {
                self.decoded += 1;
                let _ = tx.sign_bytes(crate::chain::CHAIN_ID, 0);
                let _ = tx.fee_payer();
            }
        }
    }
}
