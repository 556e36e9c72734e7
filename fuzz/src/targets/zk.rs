//! `zk-verify`: the Groth16 verifier's untrusted inputs, seeded with a real key and proof of
//! a small model (set up and proved at start, from the seed): verifying-key bytes, public
//! inputs and proof bytes (`verify`, `PreparedVerifier`), proof files (`verify_for`),
//! circuit layouts (JSON, as registered models carry), and canonical model bytes (what a
//! dispute uploads). Mutations mostly keep lengths, so they reach point decoding, subgroup
//! checks and pairings instead of stopping at the size checks.
//!
//! Input framing: mode byte, then `u32 LE` length + bytes for each of up to three parts.

use ark_std::rand::SeedableRng;
use deai_zk::circuit::CircuitSpec;
use deai_zk::field::frs_to_bytes;
use deai_zk::verifier::{decode_vk, PreparedVerifier};
use deai_zk::{
    prover, request_binding, CircuitLayout, DecodeLimits, ProofFile, QuantLayer, QuantizedModel,
};

use crate::harness::Target;
use crate::mutate::mutate;
use crate::rng::Rng;

const MODES: u8 = 6;

struct Fixture {
    vk: Vec<u8>,
    public_inputs: Vec<u8>,
    proof: Vec<u8>,
    proof_json: Vec<u8>,
    proof_file: ProofFile,
    layout_json: Vec<u8>,
    model: Vec<u8>,
    layout: CircuitLayout,
    input: Vec<i64>,
    request: ark_bn254::Fr,
    prepared: PreparedVerifier,
}

pub struct ZkVerify {
    fx: Fixture,
    /// Inputs that verified (`Ok(true)`), for the report: only unmutated proofs should.
    pub verified: u64,
}

/// A small random int8 MLP (4 -> 3 -> 2), the shape the zk tests use.
fn model(rng: &mut Rng) -> QuantizedModel {
    let mut layers = Vec::new();
    for (i, (n_in, n_out)) in [(4usize, 3usize), (3, 2)].into_iter().enumerate() {
        layers.push(QuantLayer {
            n_in,
            n_out,
            weight: (0..n_in * n_out)
                .map(|_| rng.below(255) as i64 - 127)
                .collect(),
            bias: (0..n_out).map(|_| rng.below(4001) as i64 - 2000).collect(),
            shift: if i == 0 { 8 } else { 0 },
        });
    }
    QuantizedModel {
        layers,
        input_min: 0,
        input_max: 7,
        weight_bits: 8,
        input_frac_bits: 0,
        output_frac_bits: 0,
    }
}

impl ZkVerify {
    pub fn new(rng: &mut Rng) -> anyhow::Result<Self> {
        let model = model(rng);
        let mut ark_rng = ark_std::rand::rngs::StdRng::seed_from_u64(rng.next_u64());
        let keys = prover::setup_with_rng(&model, CircuitSpec::default(), &mut ark_rng)?;
        let input: Vec<i64> = (0..4).map(|_| rng.below(8) as i64).collect();
        let request = request_binding(b"deai-fuzz/inference/1/server");
        let out = prover::prove_with_rng(&keys, &model, &input, request, &mut ark_rng)?;
        let vk = keys.vk_bytes()?;
        let fx = Fixture {
            prepared: PreparedVerifier::from_bytes(&vk)?,
            public_inputs: frs_to_bytes(&out.public_inputs),
            proof: out.proof.clone(),
            proof_json: out.to_file().to_json().into_bytes(),
            proof_file: out.to_file(),
            layout_json: serde_json::to_vec(&keys.layout)?,
            model: model.canonical_bytes(),
            layout: keys.layout.clone(),
            input,
            request,
            vk,
        };
        anyhow::ensure!(
            deai_zk::verify(&fx.vk, &fx.public_inputs, &fx.proof)?,
            "the fixture's proof does not verify"
        );
        Ok(Self { fx, verified: 0 })
    }

    /// `seed`, usually with a few bit flips or byte changes at the same length, sometimes
    /// with any byte mutation.
    fn vary(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
        match rng.below(8) {
            0 => seed.to_vec(),
            1..=4 => {
                let mut out = seed.to_vec();
                for _ in 0..1 + rng.below(3) {
                    if out.is_empty() {
                        break;
                    }
                    let i = rng.below(out.len());
                    if rng.one_in(2) {
                        out[i] ^= 1 << rng.below(8);
                    } else {
                        out[i] = rng.byte();
                    }
                }
                out
            }
            _ => mutate(rng, seed, &[]),
        }
    }
}

fn frame(mode: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![mode];
    for p in parts {
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// The parts of a framed input (missing parts are empty; a length past the end takes the
/// rest).
fn parts(input: &[u8]) -> (u8, [&[u8]; 3]) {
    let Some((&mode, mut rest)) = input.split_first() else {
        return (0, [&[]; 3]);
    };
    let mut out: [&[u8]; 3] = [&[]; 3];
    for slot in out.iter_mut() {
        if rest.len() < 4 {
            break;
        }
        let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        rest = &rest[4..];
        let n = n.min(rest.len());
        *slot = &rest[..n];
        rest = &rest[n..];
    }
    (mode, out)
}

impl Target for ZkVerify {
    fn name(&self) -> &'static str {
        "zk-verify"
    }

    fn next_input(&mut self, rng: &mut Rng) -> Vec<u8> {
        let fx = &self.fx;
        let mode = rng.below(MODES as usize) as u8;
        // Mutate one of the mode's parts (sometimes two) so the others stay valid.
        let n_parts = match mode {
            0 | 5 => 3,
            1 => 2,
            _ => 1,
        };
        let which = rng.below(n_parts);
        let mut pick = |i: usize, seed: &[u8]| {
            if i == which || rng.one_in(6) {
                Self::vary(rng, seed)
            } else {
                seed.to_vec()
            }
        };
        let input = match mode {
            0 => frame(
                0,
                &[
                    &pick(0, &fx.vk),
                    &pick(1, &fx.public_inputs),
                    &pick(2, &fx.proof),
                ],
            ),
            1 => frame(1, &[&pick(0, &fx.public_inputs), &pick(1, &fx.proof)]),
            2 => frame(2, &[&pick(0, &fx.vk)]),
            3 => frame(3, &[&pick(0, &fx.proof_json)]),
            4 => frame(4, &[&pick(0, &fx.model)]),
            _ => frame(
                5,
                &[
                    &pick(0, &fx.layout_json),
                    &pick(1, &fx.proof),
                    &pick(2, &fx.vk),
                ],
            ),
        };
        if rng.one_in(50) {
            mutate(rng, &input, &[])
        } else {
            input
        }
    }

    fn stats(&self) -> String {
        format!("({} verified)", self.verified)
    }

    fn run(&mut self, input: &[u8]) {
        let fx = &self.fx;
        let (mode, [a, b, c]) = parts(input);
        match mode % MODES {
            // Soundness and malleability oracle: only the exact bytes of the fixture verify.
            0 => {
                if deai_zk::verify(a, b, c) == Ok(true) {
                    self.verified += 1;
                    assert!(
                        (a, b, c) == (&fx.vk[..], &fx.public_inputs[..], &fx.proof[..]),
                        "other bytes than the fixture's verified"
                    );
                }
            }
            1 => {
                if fx.prepared.verify(a, b) == Ok(true) {
                    self.verified += 1;
                    assert!(
                        (a, b) == (&fx.public_inputs[..], &fx.proof[..]),
                        "other bytes than the fixture's verified"
                    );
                }
            }
            2 => {
                if let Ok(vk) = decode_vk(a) {
                    let _ = PreparedVerifier::new(vk).n_public_inputs();
                }
                let _ = deai_inference::zk::check_key(&fx.layout, a);
            }
            3 => {
                let Ok(text) = std::str::from_utf8(a) else {
                    return;
                };
                if let Ok(pf) = ProofFile::from_json(text) {
                    let _ = pf.public_input_bytes();
                    if deai_zk::verify_for(&fx.vk, &fx.layout, &fx.input, &fx.request, &pf).is_ok()
                    {
                        self.verified += 1;
                    }
                }
            }
            4 => {
                let limits = DecodeLimits {
                    max_bytes: 1 << 16,
                    max_macs: 1 << 20,
                };
                if let Ok(m) = QuantizedModel::from_canonical_bytes(a, limits) {
                    let _ = m.macs();
                    let _ = m.infer(&fx.input);
                }
            }
            _ => {
                let Ok(layout) = serde_json::from_slice::<CircuitLayout>(a) else {
                    return;
                };
                let _ = layout.commitment_fr();
                let _ = layout.input_spec().check(&fx.input);
                if let Ok(statement) = fx.proof_file.claimed_statement(&layout) {
                    let _ = fx.prepared.verify_statement(&layout, &statement, b);
                }
                // The chain's check of a key against a registered layout.
                let _ = deai_inference::zk::check_key(&layout, c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_short_frames_are_empty_parts() {
        let f = frame(3, &[b"ab", b"", b"xyz"]);
        assert_eq!(parts(&f), (3, [&b"ab"[..], &b""[..], &b"xyz"[..]]));
        assert_eq!(parts(&[]), (0, [&b""[..]; 3]));
        assert_eq!(
            parts(&[1, 9, 0, 0, 0, 7]),
            (1, [&[7u8][..], &b""[..], &b""[..]])
        );
    }
}
