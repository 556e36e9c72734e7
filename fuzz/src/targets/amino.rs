//! `amino`: `TxDecodeAmino` and `TxEncodeAmino` (`deaid::tx::amino_binary`) on the SDK's
//! own StdTx vectors, mutated as bytes (binary and JSON alike), and on random bytes. Besides
//! not panicking, each direction must be the other's inverse on what it accepts: binary that
//! decodes re-encodes to binary that decodes to the same JSON, and JSON that encodes gives
//! binary that decodes and re-encodes to the same bytes.

use deaid::tx::amino_binary::{tx_decode_amino, tx_encode_amino};

use crate::harness::Target;
use crate::mutate::mutate;
use crate::rng::Rng;

const VECTORS: &str = include_str!("../../../app/src/tx/testdata/amino_vectors.json");

pub struct Amino {
    corpus: Vec<Vec<u8>>,
    decoded: u64,
    encoded: u64,
}

impl Amino {
    pub fn new() -> anyhow::Result<Self> {
        let vectors: Vec<serde_json::Value> = serde_json::from_str(VECTORS)?;
        let mut corpus = Vec::new();
        for v in &vectors {
            let field = |k: &str| {
                v.get(k)
                    .and_then(|x| x.as_str())
                    .ok_or_else(|| anyhow::anyhow!("amino vector without {k}"))
            };
            corpus.push(field("amino_json")?.as_bytes().to_vec());
            corpus.push(hex::decode(field("amino_binary_hex")?)?);
        }
        Ok(Self {
            corpus,
            decoded: 0,
            encoded: 0,
        })
    }
}

impl Target for Amino {
    fn name(&self) -> &'static str {
        "amino"
    }

    fn next_input(&mut self, rng: &mut Rng) -> Vec<u8> {
        if rng.one_in(10) {
            return rng.bytes_upto(300);
        }
        let seed = rng.pick(&self.corpus).clone();
        let input = mutate(rng, &seed, &self.corpus);
        if self.corpus.len() < 4096 && rng.one_in(64) && accepted(&input) {
            self.corpus.push(input.clone());
        }
        input
    }

    fn stats(&self) -> String {
        format!("({} decoded, {} encoded)", self.decoded, self.encoded)
    }

    fn run(&mut self, input: &[u8]) {
        if let Ok(json) = tx_decode_amino(input) {
            self.decoded += 1;
            let bin = tx_encode_amino(&json).expect("decoded JSON must encode");
            assert_eq!(
                tx_decode_amino(&bin).expect("re-encoded binary must decode"),
                json
            );
        }
        if let Ok(json) = std::str::from_utf8(input) {
            if let Ok(bin) = tx_encode_amino(json) {
                self.encoded += 1;
                let back = tx_decode_amino(&bin).expect("encoded binary must decode");
                assert_eq!(
                    tx_encode_amino(&back).expect("decoded JSON must encode"),
                    bin
                );
            }
        }
    }
}

fn accepted(input: &[u8]) -> bool {
    tx_decode_amino(input).is_ok()
        || std::str::from_utf8(input).is_ok_and(|s| tx_encode_amino(s).is_ok())
}
