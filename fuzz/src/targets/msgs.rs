//! `msgs`: every registered message type URL, its `Any` value decoded from generated,
//! field-mutated, byte-mutated or random bytes through the router, which runs the message's
//! stateless validation (`TryFrom`, the SDK's ValidateBasic); then its signers and module.
//! The input is the `Any` (type URL and value), encoded.

use cosmos_sdk_proto::Any;
use prost::Message as _;
use prost_reflect::MessageDescriptor;

use super::Env;
use crate::harness::Target;
use crate::mutate::mutate;
use crate::rng::Rng;

/// Seed values kept per message type.
const SEEDS_PER_TYPE: usize = 8;

struct Kind {
    url: String,
    desc: Option<MessageDescriptor>,
    corpus: Vec<Vec<u8>>,
}

pub struct Msgs {
    env: Env,
    kinds: Vec<Kind>,
    /// Inputs that decoded and validated, and their distinct types, for the report.
    pub valid: u64,
    valid_types: std::collections::BTreeSet<String>,
}

impl Msgs {
    pub fn new(env: Env, rng: &mut Rng) -> Self {
        let kinds = env
            .urls
            .iter()
            .map(|url| {
                let desc = env.gen.message(url);
                let corpus = match &desc {
                    Some(d) => (0..SEEDS_PER_TYPE)
                        .map(|_| env.gen.generate(rng, d))
                        .collect(),
                    None => vec![Vec::new()],
                };
                Kind {
                    url: url.clone(),
                    desc,
                    corpus,
                }
            })
            .collect();
        Self {
            env,
            kinds,
            valid: 0,
            valid_types: Default::default(),
        }
    }
}

impl Target for Msgs {
    fn name(&self) -> &'static str {
        "msgs"
    }

    fn next_input(&mut self, rng: &mut Rng) -> Vec<u8> {
        let i = rng.below(self.kinds.len());
        let kind = &self.kinds[i];
        let seed = rng.pick(&kind.corpus).clone();
        let value = match (rng.below(20), &kind.desc) {
            (0..=7, Some(d)) => self.env.gen.generate(rng, d),
            (8..=12, Some(d)) => self.env.gen.mutate_field(rng, d, &seed),
            (18, _) => rng.bytes_upto(100),
            _ => mutate(rng, &seed, &kind.corpus),
        };
        let type_url = match rng.below(40) {
            0 => rng.pick(&self.env.urls).clone(),
            1 => format!("{}x", kind.url),
            2 => String::from_utf8_lossy(&mutate(rng, kind.url.as_bytes(), &[])).into_owned(),
            _ => kind.url.clone(),
        };
        if kind.corpus.len() < 64 && rng.one_in(32) {
            self.kinds[i].corpus.push(value.clone());
        }
        Any { type_url, value }.encode_to_vec()
    }

    fn stats(&self) -> String {
        format!(
            "({} valid, of {} of the {} types)",
            self.valid,
            self.valid_types.len(),
            self.kinds.len()
        )
    }

    fn run(&mut self, input: &[u8]) {
        let Ok(any) = Any::decode(input) else { return };
        if let Ok(m) = self.env.chain.app.router().decode(&any) {
            self.valid += 1;
            if self.valid_types.len() < 10_000 {
                self.valid_types.insert(any.type_url.clone());
            }
            let _ = m.signers();
            let _ = m.module();
        }
    }
}
