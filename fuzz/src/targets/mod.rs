//! The fuzz targets and what they share: a populated in-process chain, the generator over
//! the node's descriptors, and a seed corpus of properly signed txs of every message type.

mod amino;
mod check_tx;
mod msgs;
mod queries;
mod rpc_answers;
mod tx_decode;
mod zk;

use cosmos_sdk_proto::Any;

use crate::chain::Chain;
use crate::gen::{Dict, Gen};
use crate::harness::Target;
use crate::rng::Rng;

pub use amino::Amino;
pub use check_tx::CheckTx;
pub use msgs::Msgs;
pub use queries::Queries;
pub use rpc_answers::RpcAnswers;
pub use tx_decode::TxDecode;
pub use zk::ZkVerify;

/// Every target, in the order `--target all` runs them.
pub const NAMES: &[&str] = &[
    "tx-decode",
    "check-tx",
    "msgs",
    "queries",
    "zk-verify",
    "amino",
    "rpc-answers",
];

/// Funded keys of the fuzz chain.
const KEYS: u8 = 6;

/// Builds the target called `name`, its state drawn from `rng`.
pub fn build(name: &str, rng: &mut Rng) -> anyhow::Result<Box<dyn Target>> {
    Ok(match name {
        "tx-decode" => Box::new(TxDecode::new(Env::new(rng)?, rng)?),
        "check-tx" => Box::new(CheckTx::new(Env::new(rng)?, rng)?),
        "msgs" => Box::new(Msgs::new(Env::new(rng)?, rng)),
        "queries" => Box::new(Queries::new(Env::new(rng)?, rng)?),
        "zk-verify" => Box::new(ZkVerify::new(rng)?),
        "amino" => Box::new(Amino::new()?),
        "rpc-answers" => Box::new(RpcAnswers::new()?),
        _ => anyhow::bail!("unknown target {name}; targets: {}", NAMES.join(", ")),
    })
}

/// A chain, the generator, and the registered message types.
pub struct Env {
    pub chain: Chain,
    pub gen: Gen,
    /// One generator per key whose account fields name only that key, so that generated
    /// messages are signed by their own signer and get past the ante handler.
    pub signer_gens: Vec<Gen>,
    /// Every registered message type URL, sorted.
    pub urls: Vec<String>,
}

impl Env {
    pub fn new(rng: &mut Rng) -> anyhow::Result<Self> {
        let chain = Chain::new(KEYS)?;
        let pool = deai_api::descriptors::pool()?;
        let dict = chain.dict();
        let signer_gens = dict
            .accounts
            .iter()
            .map(|a| {
                Gen::new(
                    pool.clone(),
                    Dict {
                        accounts: vec![a.clone()],
                        ..dict.clone()
                    },
                )
            })
            .collect();
        let urls: Vec<String> = chain
            .app
            .router()
            .msg_type_urls()
            .map(String::from)
            .collect();
        let mut env = Self {
            chain,
            gen: Gen::new(pool, dict),
            signer_gens,
            urls,
        };
        env.populate(rng);
        Ok(env)
    }

    /// A random message of type `url` whose account fields name key `key`.
    pub fn msg(&self, rng: &mut Rng, key: usize, url: &str) -> Any {
        Any {
            type_url: url.to_string(),
            value: self.signer_gens[key].msg_value(rng, url),
        }
    }

    /// A validly signed tx of one random message of type `url` by key `key` at its
    /// committed sequence.
    pub fn signed(&self, rng: &mut Rng, key: usize, url: &str) -> Vec<u8> {
        let seq = self.chain.account(key).1;
        let msg = self.msg(rng, key, url);
        self.chain
            .sign(key, vec![msg], &self.chain.fields(key, seq))
    }

    /// One signed tx per message type (round robin over the keys): the seed corpus.
    pub fn seed_txs(&self, rng: &mut Rng) -> Vec<Vec<u8>> {
        let keys = self.signer_gens.len();
        self.urls
            .iter()
            .enumerate()
            .map(|(i, url)| self.signed(rng, i % keys, url))
            .collect()
    }

    /// Commits a few blocks of generated txs, so that queries and txs find records (the
    /// ones that execute) and signers' keys on chain.
    fn populate(&mut self, rng: &mut Rng) {
        let keys = self.signer_gens.len();
        for _round in 0..3 {
            // One tx per key per block: sequences stay right.
            let mut txs = Vec::new();
            for k in 0..keys {
                let url = rng.pick(&self.urls).clone();
                txs.push(self.signed(rng, k, &url));
            }
            self.chain.block(txs);
        }
        let sends: Vec<Vec<u8>> = (0..keys)
            .map(|k| self.signed(rng, k, "/cosmos.bank.v1beta1.MsgSend"))
            .collect();
        self.chain.block(sends);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn every_target_builds_and_runs_inputs_without_a_panic() {
        let _turn = crate::harness::TEST_SERIAL
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        crate::harness::install_panic_hook();
        let dir = tempfile::tempdir().unwrap();
        for name in NAMES {
            let mut rng = Rng::new(9).fork(name);
            let mut t = build(name, &mut rng).unwrap();
            let r = crate::harness::run(t.as_mut(), &mut rng, 300, dir.path());
            assert_eq!((r.inputs, r.panics), (300, 0), "{name}: {:?}", r.saved);
        }
    }

    /// Replays fuzz/regressions/<name>.<target>.hex: each panicked before its fix
    /// (signmode-bits-empty-elems: an index panic in decode_tx, fixed in 42034ec).
    #[test]
    fn saved_regression_inputs_no_longer_panic() {
        let _turn = crate::harness::TEST_SERIAL
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        crate::harness::install_panic_hook();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
        let mut replayed = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let Some(stem) = path
                .file_name()
                .and_then(|n| n.to_str()?.strip_suffix(".hex"))
            else {
                continue;
            };
            let target = match stem.rsplit('.').next().unwrap() {
                "tx" => "tx-decode",
                t => t,
            };
            let mut t = build(target, &mut Rng::new(1).fork(target)).unwrap();
            let input = std::fs::read_to_string(&path).unwrap();
            crate::harness::replay(t.as_mut(), &input).unwrap();
            replayed += 1;
        }
        assert!(replayed >= 2);
    }

    #[test]
    fn a_seed_replays_the_same_inputs() {
        let inputs = |seed| {
            let mut rng = Rng::new(seed).fork("check-tx");
            let mut t = build("check-tx", &mut rng).unwrap();
            (0..50).map(|_| t.next_input(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(inputs(4), inputs(4));
        assert_ne!(inputs(4), inputs(5));
    }

    #[test]
    fn every_registered_message_type_is_in_the_seed_corpus() {
        let env = Env::new(&mut Rng::new(1)).unwrap();
        assert!(env.urls.len() > 50, "{}", env.urls.len());
        assert_eq!(env.seed_txs(&mut Rng::new(1)).len(), env.urls.len());
        // A type the node's descriptors lacked would get only byte mutations in `msgs`: every
        // registered type has its descriptor (cosmos.bin gained auth's tx.proto), so none.
        let missing: Vec<&String> = env
            .urls
            .iter()
            .filter(|u| env.gen.message(u).is_none())
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
        let mut rng = Rng::new(2);
        let url = "/cosmos.auth.v1beta1.MsgUpdateParams";
        let any = env.msg(&mut rng, 0, url);
        assert_eq!(any.type_url, url);
        assert!(
            cosmos_sdk_proto::cosmos::auth::v1beta1::MsgUpdateParams::decode(any.value.as_slice())
                .is_ok()
        );
    }
}
