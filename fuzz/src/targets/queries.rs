//! `queries`: ABCI Query (the app's single query entry point, which gRPC and REST reach
//! too) on a populated chain: every registered gRPC query path (every method of the node's
//! descriptors that the router answers) with generated, field-mutated, byte-mutated and
//! random request bytes; Simulate with signed and mutated txs; raw `store/<module>/key`
//! reads with and without proofs; other and malformed paths; heights at and around the
//! kept versions, negative and huge. The input is the encoded `RequestQuery`.

use cosmos_sdk_proto::cosmos::tx::v1beta1::SimulateRequest;
use prost::bytes::Bytes;
use prost::Message as _;
use prost_reflect::MessageDescriptor;
use tendermint_proto::v0_38::abci::RequestQuery;

use deaid::node::SIMULATE_PATH;

use super::Env;
use crate::harness::Target;
use crate::mutate::mutate;
use crate::rng::Rng;

struct Path {
    path: String,
    request: MessageDescriptor,
    corpus: Vec<Vec<u8>>,
}

pub struct Queries {
    env: Env,
    paths: Vec<Path>,
    txs: Vec<Vec<u8>>,
    /// Queries answered with code 0, and their distinct paths, for the report.
    pub ok: u64,
    answered: std::collections::BTreeSet<String>,
}

/// Paths besides the gRPC methods: the ABCI ones CometBFT and clients send, and junk.
const OTHER_PATHS: &[&str] = &[
    "",
    "/",
    "app/version",
    "/app/version",
    "/p2p/filter/addr/127.0.0.1:26656",
    "/p2p/filter/id/0123456789abcdef0123456789abcdef01234567",
    "custom/bank/balances",
    "/store/bank/key",
    "store/auth/key",
    "/store/bank/subspace",
    "/store//key",
    "/store/../key",
    "/cosmos.bank.v1beta1.Query/",
    "/cosmos.bank.v1beta1.Query/Nope",
];

/// Module store prefixes for raw store reads.
const STORES: &[&str] = &[
    "auth",
    "bank",
    "staking",
    "slashing",
    "distribution",
    "mint",
    "gov",
    "wasm",
    "compute",
    "inference",
    "training",
    "data",
    "attest",
    "task",
    "app",
];

impl Queries {
    pub fn new(env: Env, rng: &mut Rng) -> anyhow::Result<Self> {
        let router = env.chain.app.router();
        let mut paths = Vec::new();
        for service in env.gen.pool.services() {
            for m in service.methods() {
                let path = deai_api::descriptors::method_path(&m);
                if router.has_query(&path) && path != SIMULATE_PATH {
                    let request = m.input();
                    let corpus = (0..4).map(|_| env.gen.generate(rng, &request)).collect();
                    paths.push(Path {
                        path,
                        request,
                        corpus,
                    });
                }
            }
        }
        anyhow::ensure!(!paths.is_empty(), "no registered query path found");
        let txs = env.seed_txs(rng);
        Ok(Self {
            env,
            paths,
            txs,
            ok: 0,
            answered: Default::default(),
        })
    }

    pub fn paths(&self) -> usize {
        self.paths.len()
    }

    fn height(&self, rng: &mut Rng) -> i64 {
        let h = self.env.chain.height;
        match rng.below(12) {
            0..=5 => 0,
            6 => h,
            7 => h - 1,
            8 => h + 1,
            9 => 1,
            10 => -(1 + rng.below(3) as i64),
            _ => rng.interesting_u64() as i64,
        }
    }

    fn simulate_data(&self, rng: &mut Rng) -> Vec<u8> {
        let tx = rng.pick(&self.txs);
        let tx = if rng.one_in(2) {
            mutate(rng, tx, &self.txs)
        } else {
            tx.clone()
        };
        #[allow(deprecated)] // `tx` is the deprecated decoded form; some clients send it
        SimulateRequest {
            tx: None,
            tx_bytes: tx,
        }
        .encode_to_vec()
    }
}

impl Target for Queries {
    fn name(&self) -> &'static str {
        "queries"
    }

    fn next_input(&mut self, rng: &mut Rng) -> Vec<u8> {
        let (path, data) = match rng.below(20) {
            0 => (SIMULATE_PATH.to_string(), self.simulate_data(rng)),
            1 => {
                let store = rng.pick(STORES);
                let mut key = rng.bytes_upto(40);
                if rng.one_in(2) {
                    // A real key prefix: the module's own keys under `<module>/`.
                    key = self.env.gen.string(rng, "k").into_bytes();
                }
                (format!("/store/{store}/key"), key)
            }
            2 => {
                let p = rng.pick(OTHER_PATHS).to_string();
                let p = if rng.one_in(2) {
                    String::from_utf8_lossy(&mutate(rng, p.as_bytes(), &[])).into_owned()
                } else {
                    p
                };
                (p, rng.bytes_upto(64))
            }
            _ => {
                let i = rng.below(self.paths.len());
                let p = &self.paths[i];
                let seed = rng.pick(&p.corpus).clone();
                let data = match rng.below(10) {
                    0..=4 => self.env.gen.generate(rng, &p.request),
                    5..=6 => self.env.gen.mutate_field(rng, &p.request, &seed),
                    7..=8 => mutate(rng, &seed, &p.corpus),
                    _ => rng.bytes_upto(64),
                };
                if p.corpus.len() < 32 && rng.one_in(32) {
                    self.paths[i].corpus.push(data.clone());
                }
                let path = if rng.one_in(50) {
                    String::from_utf8_lossy(&mutate(rng, self.paths[i].path.as_bytes(), &[]))
                        .into_owned()
                } else {
                    self.paths[i].path.clone()
                };
                (path, data)
            }
        };
        RequestQuery {
            data: Bytes::from(data),
            path,
            height: self.height(rng),
            prove: rng.one_in(3),
        }
        .encode_to_vec()
    }

    fn stats(&self) -> String {
        format!(
            "({} answered, on {} paths; {} gRPC paths registered)",
            self.ok,
            self.answered.len(),
            self.paths.len()
        )
    }

    fn run(&mut self, input: &[u8]) {
        let Ok(req) = RequestQuery::decode(input) else {
            return;
        };
        let path = req.path.clone();
        if self.env.chain.app.query(req).code == 0 {
            self.ok += 1;
            if self.answered.len() < 10_000 {
                self.answered.insert(path);
            }
        }
    }
}
