//! Real data: a 64-32-10 MLP trained here in plain Rust on the digits set,
//! quantized, and checked sample by sample against the circuit.
#![allow(clippy::needless_range_loop)] // index loops read like the backprop equations

mod common;

use std::io::Read;

use common::Rng;
use deai_zk::circuit::CircuitSpec;
use deai_zk::prover::{self, is_satisfied};
use deai_zk::quant::{quantize, quantize_input, FloatLayer, FloatMlp, QuantConfig};
use deai_zk::{argmax, IoEncoding, Mode, OutputKind, QuantizedModel};
use rand_chacha::rand_core::SeedableRng;

/// sklearn's train/test convention for this file: first 1437 rows train, last 360 test.
const N_TRAIN: usize = 1437;

fn load() -> Vec<(Vec<f32>, usize)> {
    let gz = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/digits.csv.gz"
    ))
    .unwrap();
    let mut s = String::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_string(&mut s)
        .unwrap();
    s.lines()
        .map(|l| {
            let v: Vec<f32> = l
                .split(',')
                .map(|t| t.trim().parse::<f32>().unwrap())
                .collect();
            (v[..64].iter().map(|p| p / 16.0).collect(), v[64] as usize)
        })
        .collect()
}

/// Deterministic SGD with softmax cross-entropy (float is fine: this is off-chain).
fn train(data: &[(Vec<f32>, usize)]) -> FloatMlp {
    let mut rng = Rng(2024);
    let mut init = |n_in: usize, n_out: usize| {
        let a = (6.0 / n_in as f32).sqrt();
        FloatLayer {
            n_in,
            n_out,
            weight: (0..n_in * n_out)
                .map(|_| (rng.unit() * 2.0 - 1.0) * a)
                .collect(),
            bias: vec![0.0; n_out],
        }
    };
    let mut m = FloatMlp {
        layers: vec![init(64, 32), init(32, 10)],
    };
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = Rng(7);
    for epoch in 0..30 {
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        let lr = 0.05 / (1.0 + epoch as f32 * 0.1);
        for &s in &order {
            let (x, y) = &data[s];
            let (l0, l1) = (&m.layers[0], &m.layers[1]);
            let h: Vec<f32> = (0..32)
                .map(|j| {
                    (l0.bias[j] + (0..64).map(|i| l0.weight[j * 64 + i] * x[i]).sum::<f32>())
                        .max(0.0)
                })
                .collect();
            let z: Vec<f32> = (0..10)
                .map(|k| l1.bias[k] + (0..32).map(|j| l1.weight[k * 32 + j] * h[j]).sum::<f32>())
                .collect();
            let zmax = z.iter().cloned().fold(f32::MIN, f32::max);
            let e: Vec<f32> = z.iter().map(|v| (v - zmax).exp()).collect();
            let se: f32 = e.iter().sum();
            let dz: Vec<f32> = (0..10).map(|k| e[k] / se - f32::from(k == *y)).collect();
            let dh: Vec<f32> = (0..32)
                .map(|j| {
                    if h[j] > 0.0 {
                        (0..10).map(|k| dz[k] * l1.weight[k * 32 + j]).sum()
                    } else {
                        0.0
                    }
                })
                .collect();
            let l1 = &mut m.layers[1];
            for k in 0..10 {
                l1.bias[k] -= lr * dz[k];
                for j in 0..32 {
                    l1.weight[k * 32 + j] -= lr * dz[k] * h[j];
                }
            }
            let l0 = &mut m.layers[0];
            for j in 0..32 {
                l0.bias[j] -= lr * dh[j];
                for i in 0..64 {
                    l0.weight[j * 64 + i] -= lr * dh[j] * x[i];
                }
            }
        }
    }
    m
}

fn digits_model() -> (FloatMlp, QuantizedModel, Vec<(Vec<f32>, usize)>) {
    let data = load();
    assert_eq!(data.len(), 1797);
    let float = train(&data[..N_TRAIN]);
    // Pixels are x/16 with 4 fractional bits: the quantized input is the raw pixel 0..16.
    let cfg = QuantConfig {
        input_frac_bits: 4,
        input_min: 0,
        input_max: 16,
        weight_bits: 8,
        act_frac_bits: 6,
    };
    // Through safetensors, as the worker hands models over.
    let back = FloatMlp::from_safetensors(&float.to_safetensors().unwrap()).unwrap();
    let q = quantize(&back, &cfg).unwrap();
    (float, q, data[N_TRAIN..].to_vec())
}

#[test]
fn quantized_digits_model_loses_under_one_point_and_circuit_matches_every_test_sample() {
    let (float, q, test) = digits_model();
    let mut float_ok = 0;
    let mut quant_ok = 0;
    let mut agree = 0;
    let spec = CircuitSpec::default();
    let argmax_spec = CircuitSpec {
        mode: Mode::Public,
        output: OutputKind::Argmax,
        encoding: IoEncoding::Packed,
    };
    for (n, (x, y)) in test.iter().enumerate() {
        let f = float.forward(x);
        let fc = f
            .iter()
            .enumerate()
            .fold(0, |b, (i, v)| if *v > f[b] { i } else { b });
        let xq = quantize_input(&q, x).unwrap();
        let qc = argmax(&q.infer(&xq).unwrap());
        float_ok += usize::from(fc == *y);
        quant_ok += usize::from(qc == *y);
        agree += usize::from(fc == qc);
        assert!(is_satisfied(&q, spec, &xq, None).unwrap(), "sample {n}");
        if n % 6 == 0 {
            assert!(
                is_satisfied(&q, argmax_spec, &xq, None).unwrap(),
                "argmax sample {n}"
            );
        }
    }
    let fa = 100.0 * float_ok as f64 / test.len() as f64;
    let qa = 100.0 * quant_ok as f64 / test.len() as f64;
    println!(
        "digits test set ({}): float {fa:.2}%, quantized {qa:.2}%, agreement {agree}",
        test.len()
    );
    assert!(fa > 85.0, "float model did not train: {fa}");
    assert!(fa - qa < 1.0, "quantization lost {:.2} pp", fa - qa);
}

fn prove_digits(spec: CircuitSpec) {
    let (_, q, test) = digits_model();
    let xq = quantize_input(&q, &test[0].0).unwrap();
    {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let keys = prover::setup_with_rng(&q, spec, &mut rng).unwrap();
        let request = deai_zk::request_binding(b"digits-0");
        let out = prover::prove_with_rng(&keys, &q, &xq, request, &mut rng).unwrap();
        // The verifier quantizes the float request itself, from the layout.
        let expected = keys.layout.input_spec().quantize(&test[0].0).unwrap();
        let st = deai_zk::verify_for(
            &keys.vk_bytes().unwrap(),
            &keys.layout,
            &expected,
            &request,
            &out.to_file(),
        )
        .unwrap();
        assert_eq!(st.input, xq);
    }
}

#[test]
fn digits_model_proof_in_public_mode() {
    prove_digits(CircuitSpec::default());
}

/// The arkworks crates are optimized in test builds (root Cargo.toml), so this runs in seconds.
#[test]
fn digits_model_proof_in_private_mode() {
    prove_digits(CircuitSpec {
        mode: Mode::Private,
        output: OutputKind::Argmax,
        encoding: IoEncoding::Plain,
    });
}
