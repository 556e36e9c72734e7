//! The benchmarked models: seeded random float weights quantized by deai-zk's quantizer
//! (`QuantConfig::default()`: 8-bit inputs 0..=255, int8 weights, as deai-zk's own bench),
//! their real Groth16 keys (`prover::setup`), the MsgRegisterModel that `deai-worker
//! zk-setup`'s key directory describes, and proofs bound to a request.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use deai_bench_common::rng::SplitMix64;
use deai_proto::inference::v1 as pb;
use deai_zk::circuit::CircuitSpec;
use deai_zk::prover::{self, Keys};
use deai_zk::quant::{quantize, FloatLayer, FloatMlp, QuantConfig};
use deai_zk::{IoEncoding, Mode, OutputKind, QuantizedModel};

/// One benchmarked model configuration.
#[derive(Clone, Copy, Debug)]
pub struct ModelCase {
    pub name: &'static str,
    pub dims: &'static [usize],
    pub spec: CircuitSpec,
}

const fn spec(mode: Mode, encoding: IoEncoding) -> CircuitSpec {
    CircuitSpec {
        mode,
        output: OutputKind::Logits,
        encoding,
    }
}

/// The models: the digits-size public model, MNIST-size public plain and packed,
/// and a private-mode model (64-32-10: private 784-56-10 takes 13–39 s and 1.2 GB to set up).
pub const CASES: [ModelCase; 4] = [
    ModelCase {
        name: "64-32-10",
        dims: &[64, 32, 10],
        spec: spec(Mode::Public, IoEncoding::Plain),
    },
    ModelCase {
        name: "784-56-10",
        dims: &[784, 56, 10],
        spec: spec(Mode::Public, IoEncoding::Plain),
    },
    ModelCase {
        name: "784-56-10",
        dims: &[784, 56, 10],
        spec: spec(Mode::Public, IoEncoding::Packed),
    },
    ModelCase {
        name: "64-32-10",
        dims: &[64, 32, 10],
        spec: spec(Mode::Private, IoEncoding::Plain),
    },
];

impl ModelCase {
    /// "public plain", "private plain", …
    pub fn kind(&self) -> String {
        format!("{:?} {:?}", self.spec.mode, self.spec.encoding).to_lowercase()
    }
}

/// Random float weights, He-like scale, seeded.
pub fn float_model(dims: &[usize], seed: u64) -> FloatMlp {
    let mut rng = SplitMix64(seed);
    let layers = dims
        .windows(2)
        .map(|w| {
            let a = (3.0 / w[0] as f32).sqrt();
            FloatLayer {
                n_in: w[0],
                n_out: w[1],
                weight: (0..w[0] * w[1])
                    .map(|_| (rng.unit_f32() * 2.0 - 1.0) * a)
                    .collect(),
                bias: (0..w[1])
                    .map(|_| (rng.unit_f32() * 2.0 - 1.0) * 0.1)
                    .collect(),
            }
        })
        .collect();
    FloatMlp { layers }
}

/// A quantized input of `n` values in `[min, max]`, seeded.
pub fn input(n: usize, min: i64, max: i64, seed: u64) -> Vec<i64> {
    let mut rng = SplitMix64(seed);
    let span = (max - min + 1) as u64;
    (0..n)
        .map(|_| min + (rng.next_u64() % span) as i64)
        .collect()
}

/// Multiply-accumulates of one inference: Σ n_in × n_out over the layers.
pub fn macs(model: &QuantizedModel) -> u64 {
    model.layers.iter().map(|l| (l.n_in * l.n_out) as u64).sum()
}

/// A model with its keys.
pub struct Prepared {
    pub case: ModelCase,
    pub model: QuantizedModel,
    pub keys: Keys,
    pub vk: Vec<u8>,
    pub setup_time: Duration,
}

impl Prepared {
    pub fn new(case: ModelCase) -> Self {
        let model = quantize(&float_model(case.dims, 42), &QuantConfig::default())
            .unwrap_or_else(|e| panic!("quantizing {}: {e}", case.name));
        let t = Instant::now();
        let keys = prover::setup(&model, case.spec)
            .unwrap_or_else(|e| panic!("setup of {}: {e}", case.name));
        let setup_time = t.elapsed();
        let vk = keys.vk_bytes().expect("verifying key bytes");
        Self {
            case,
            model,
            keys,
            vk,
            setup_time,
        }
    }

    pub fn n_public_inputs(&self) -> usize {
        self.keys.layout.n_public_inputs()
    }

    /// A proof of the model on `input` bound to `context` (the chain's request context);
    /// returns the output and the 128-byte proof.
    pub fn prove(&self, input: &[i64], context: &str) -> (Vec<i64>, Vec<u8>) {
        let out = prover::prove(
            &self.keys,
            &self.model,
            input,
            deai_zk::request_binding(context.as_bytes()),
        )
        .unwrap_or_else(|e| panic!("proving {}: {e}", self.case.name));
        (out.statement.output, out.proof)
    }

    /// MsgRegisterModel for this model, as zk-setup's key directory describes it.
    pub fn register_msg(
        &self,
        owner: &str,
        price: Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    ) -> pb::MsgRegisterModel {
        let l = &self.keys.layout;
        let mut architecture = vec![self.model.n_inputs() as u32];
        architecture.extend(self.model.layers.iter().map(|x| x.n_out as u32));
        let (zk_mode, weight_commitment) = match l.mode {
            Mode::Public => (pb::ZkMode::Public as i32, Vec::new()),
            Mode::Private => (
                pb::ZkMode::Private as i32,
                hex_decode(
                    l.commitment
                        .as_deref()
                        .expect("private layout has a commitment"),
                ),
            ),
        };
        let output = match l.output {
            OutputKind::Logits => pb::OutputKind::Logits,
            OutputKind::Argmax => pb::OutputKind::Argmax,
        };
        let encoding = match l.encoding {
            IoEncoding::Plain => pb::IoEncoding::Plain,
            IoEncoding::Packed => pb::IoEncoding::Packed,
        };
        pb::MsgRegisterModel {
            owner: owner.into(),
            name: format!(
                "bench-{}-{}",
                self.case.name,
                self.case.kind().replace(' ', "-")
            ),
            architecture,
            weights_sha256: vec![1; 32],
            quantized_weights_sha256: Sha256::digest(self.model.canonical_bytes()).to_vec(),
            zk_mode,
            verifying_key: self.vk.clone(),
            weight_commitment,
            input_min: l.input_min,
            input_max: l.input_max,
            input_frac_bits: l.input_frac_bits,
            circuit: Some(pb::CircuitLayout {
                output: output as i32,
                encoding: encoding as i32,
                logit_bounds: l
                    .logit_bounds
                    .iter()
                    .map(|(lo, hi)| pb::LogitBound { lo: *lo, hi: *hi })
                    .collect(),
            }),
            price,
        }
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex commitment"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_count_every_weight_once() {
        let m = quantize(&float_model(&[784, 56, 10], 1), &QuantConfig::default()).unwrap();
        assert_eq!(macs(&m), 784 * 56 + 56 * 10);
        assert_eq!(m.num_parameters() as u64, macs(&m) + 56 + 10);
    }

    #[test]
    fn inputs_are_seeded_and_in_range() {
        let a = input(500, 0, 255, 7);
        assert_eq!(a, input(500, 0, 255, 7));
        assert_ne!(a, input(500, 0, 255, 8));
        assert!(a.iter().all(|v| (0..=255).contains(v)));
        assert!(a.contains(&0) || a.contains(&255) || a.iter().max() > Some(&200));
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex_decode("00ff10"), vec![0, 255, 16]);
    }

    #[test]
    fn a_small_public_model_registers_what_its_layout_says() {
        let p = Prepared::new(ModelCase {
            name: "4-3-2",
            dims: &[4, 3, 2],
            spec: CircuitSpec::default(),
        });
        let m = p.register_msg("owner", None);
        assert_eq!(m.architecture, vec![4, 3, 2]);
        assert_eq!(m.circuit.unwrap().logit_bounds.len(), 2);
        // [request] + 4 inputs + 2 outputs.
        assert_eq!(p.n_public_inputs(), 7);
        let x = input(4, 0, 255, 1);
        let (out, proof) = p.prove(&x, "ctx");
        assert_eq!(out, p.model.infer(&x).unwrap());
        assert_eq!(proof.len(), 128);
    }
}
