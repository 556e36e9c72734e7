//! Soundness against a malicious prover. Each test synthesizes the circuit with the
//! honest witness (the very constraint matrices setup builds), then overwrites
//! witnesses and public inputs as a cheating prover would, without the honest
//! witness generator, and checks every constraint. A positive control runs the same
//! forging code with honest values and must satisfy the circuit, and a Groth16 proof
//! made from the forged assignment must not verify.

mod common;

use ark_bn254::Fr;
use ark_relations::gr1cs::Variable;
use common::{random_input, random_model, Rng};
use deai_zk::circuit::CircuitSpec;
use deai_zk::field::{bit_len, frs_to_bytes};
use deai_zk::prover::{self, Keys};
use deai_zk::testing::{fr, setup_matrices, synthesize, Synthesized};
use deai_zk::{request_binding, verify, IoEncoding, Mode, OutputKind, QuantizedModel};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn spec(mode: Mode, output: OutputKind, encoding: IoEncoding) -> CircuitSpec {
    CircuitSpec {
        mode,
        output,
        encoding,
    }
}

fn all_specs() -> Vec<CircuitSpec> {
    let mut v = Vec::new();
    for mode in [Mode::Public, Mode::Private] {
        for output in [OutputKind::Logits, OutputKind::Argmax] {
            for encoding in [IoEncoding::Plain, IoEncoding::Packed] {
                v.push(spec(mode, output, encoding));
            }
        }
    }
    v
}

fn keys(model: &QuantizedModel, spec: CircuitSpec) -> Keys {
    prover::setup_with_rng(model, spec, &mut ChaCha20Rng::seed_from_u64(1)).unwrap()
}

/// Proves the (possibly forged) assignment and verifies it with the raw verifier.
fn forged_proof_verifies(syn: &Synthesized, keys: &Keys) -> bool {
    let proof = syn
        .prove(&keys.pk, &mut ChaCha20Rng::seed_from_u64(7))
        .unwrap();
    let vk = keys.vk_bytes().unwrap();
    verify(&vk, &frs_to_bytes(syn.public_inputs()), &proof).unwrap()
}

fn set_bits(syn: &mut Synthesized, bits: &[Variable], value: u128) {
    for (i, b) in bits.iter().enumerate() {
        syn.set(*b, fr(((value >> i) & 1) as i128));
    }
}

fn req() -> Fr {
    request_binding(b"soundness")
}

#[test]
fn the_prover_synthesizes_exactly_the_setup_constraints() {
    let model = random_model(&[6, 5, 4], 3, 15);
    let x = random_input(6, 15, &mut Rng(2));
    for spec in all_specs() {
        let syn = synthesize(&model, spec, &x, req()).unwrap();
        assert_eq!(
            syn.matrices,
            setup_matrices(&model, spec).unwrap(),
            "{spec:?}"
        );
        assert_eq!(
            syn.num_constraints(),
            prover::circuit_stats(&model, spec).unwrap().constraints
        );
        // Positive control: the honest assignment satisfies every constraint.
        assert!(syn.is_satisfied(), "{spec:?}: {:?}", syn.unsatisfied());
    }
}

/// The logits of the last layer for hidden activations `h` (public-mode weights).
fn logits_from_hidden(model: &QuantizedModel, h: &[i128]) -> Vec<i128> {
    let last = model.layers.last().unwrap();
    (0..last.n_out)
        .map(|k| {
            last.bias[k] as i128
                + (0..last.n_in)
                    .map(|j| last.w(k, j) as i128 * h[j])
                    .sum::<i128>()
        })
        .collect()
}

/// Forges the argmax witnesses for `class`: the selector, the picked products and
/// every difference's bits (truncated where the difference is negative).
fn forge_argmax(syn: &mut Synthesized, logits: &[i64], class: usize) {
    let am = syn.trace.argmax.clone().unwrap();
    syn.set(syn.trace.outputs[0], fr(class as i128));
    for (k, (s, p)) in am.selector.iter().zip(&am.picked).enumerate() {
        syn.set(*s, fr(i128::from(k == class)));
        syn.set(*p, fr(if k == class { logits[k] as i128 } else { 0 }));
    }
    for (k, bits) in am.diff_bits.iter().enumerate() {
        let d = logits[class] as i128 - logits[k] as i128 - i128::from(k < class);
        set_bits(syn, bits, d as u128);
    }
}

#[test]
fn a_wrong_argmax_class_is_unsatisfiable() {
    let s = spec(Mode::Public, OutputKind::Argmax, IoEncoding::Plain);
    // A random model, and one whose two logits always tie (class 0 must win).
    let mut tie = random_model(&[4, 3, 2], 5, 15);
    let row: Vec<i64> = tie.layers[1].weight[..3].to_vec();
    tie.layers[1].weight[3..].copy_from_slice(&row);
    tie.layers[1].bias[1] = tie.layers[1].bias[0];
    for (model, x) in [
        (
            random_model(&[6, 5, 4], 8, 15),
            random_input(6, 15, &mut Rng(4)),
        ),
        (tie, vec![3, 1, 4, 1]),
    ] {
        let keys = keys(&model, s);
        let logits = model.infer(&x).unwrap();
        let honest = deai_zk::argmax(&logits);
        for class in 0..logits.len() {
            let mut syn = synthesize(&model, s, &x, req()).unwrap();
            forge_argmax(&mut syn, &logits, class);
            if class == honest {
                // Positive control: the forging code with the true class.
                assert!(syn.is_satisfied(), "{:?}", syn.unsatisfied());
                assert!(forged_proof_verifies(&syn, &keys));
            } else {
                assert!(!syn.is_satisfied(), "class {class} accepted for {logits:?}");
                assert!(!forged_proof_verifies(&syn, &keys));
            }
        }
    }
}

/// A 4-2-2 public model with shift 3: hidden neuron 0 has non-negative weights
/// (unsigned ReLU decomposition), neuron 1 mixed ones (signed decomposition).
fn relu_model() -> QuantizedModel {
    QuantizedModel {
        layers: vec![
            deai_zk::QuantLayer {
                n_in: 4,
                n_out: 2,
                weight: vec![3, 1, 4, 1, 5, -9, 2, -6],
                bias: vec![2, 5],
                shift: 3,
            },
            deai_zk::QuantLayer {
                n_in: 2,
                n_out: 2,
                weight: vec![7, -3, -2, 5],
                bias: vec![1, -4],
                shift: 0,
            },
        ],
        input_min: 0,
        input_max: 15,
        weight_bits: 8,
        input_frac_bits: 0,
        output_frac_bits: 0,
    }
}

/// The honest hidden accumulators of [`relu_model`].
fn hidden_acc(model: &QuantizedModel, x: &[i64]) -> Vec<i128> {
    let l = &model.layers[0];
    (0..l.n_out)
        .map(|j| {
            l.bias[j] as i128
                + (0..l.n_in)
                    .map(|i| l.w(j, i) as i128 * x[i] as i128)
                    .sum::<i128>()
        })
        .collect()
}

/// Sets hidden neuron `j`'s output to `y` everywhere it is used: its `y` witness (signed
/// case) and the public logits computed from it.
fn set_hidden_output(
    syn: &mut Synthesized,
    model: &QuantizedModel,
    h: &mut [i128],
    j: usize,
    y: i128,
) {
    h[j] = y;
    if let Some(v) = syn.trace.relus[0][j].y {
        syn.set(v, fr(y));
    }
    for (k, l) in logits_from_hidden(model, h).into_iter().enumerate() {
        let v = syn.trace.outputs[k];
        syn.set(v, fr(l));
    }
}

#[test]
fn a_requantization_remainder_out_of_range_is_caught_by_its_range_check_alone() {
    let model = relu_model();
    let s = CircuitSpec::default();
    let keys = keys(&model, s);
    let x = vec![9, 2, 11, 4];
    let acc = hidden_acc(&model, &x);
    let shift = model.layers[0].shift;
    for j in 0..2 {
        let a = acc[j];
        assert!(a >> shift >= 1, "neuron {j} needs a quotient to lower: {a}");
        let (q, r) = (a >> shift, a & ((1 << shift) - 1));
        for quotient in [q, q - 1] {
            let mut syn = synthesize(&model, s, &x, req()).unwrap();
            let vars = syn.trace.relus[0][j].clone();
            let k = vars.bits.len() - usize::from(vars.y.is_some());
            // High bits hold the quotient, low bits the remainder r; for q - 1 the
            // remainder must be r + 2^shift: bit 0 takes the extra 2^shift, so the
            // linear relation acc (+ 2^k) = sum bits 2^i still holds.
            set_bits(&mut syn, &vars.bits[shift as usize..k], quotient as u128);
            set_bits(&mut syn, &vars.bits[..shift as usize], r as u128);
            let b0 = syn.get(vars.bits[0]);
            syn.set(vars.bits[0], b0 + fr((q - quotient) << shift));
            let mut h: Vec<i128> = acc.iter().map(|a| a.max(&0) >> shift).collect();
            set_hidden_output(&mut syn, &model, &mut h, j, quotient);
            if quotient == q {
                assert!(syn.is_satisfied(), "{:?}", syn.unsatisfied());
                assert!(forged_proof_verifies(&syn, &keys));
            } else {
                let bad = syn.unsatisfied();
                assert_eq!(bad.len(), 1, "neuron {j}: {bad:?}");
                assert!(syn.is_booleanity_of(bad[0], vars.bits[0]));
                assert!(!forged_proof_verifies(&syn, &keys));
            }
        }
    }
}

#[test]
fn a_relu_sign_bit_cannot_be_flipped_or_leave_0_1() {
    let model = relu_model();
    let s = CircuitSpec::default();
    let keys = keys(&model, s);
    let x = vec![9, 2, 11, 4];
    let acc = hidden_acc(&model, &x);
    let shift = model.layers[0].shift;
    let j = 1; // the signed neuron, with acc > 0: sign bit 1
    let vars = {
        let syn = synthesize(&model, s, &x, req()).unwrap();
        syn.trace.relus[0][j].clone()
    };
    let k = vars.bits.len() - 1;
    let q = acc[j] >> shift;
    assert!(vars.y.is_some() && q >= 1);
    let h: Vec<i128> = acc.iter().map(|a| a.max(&0) >> shift).collect();

    // Sign 0 (ReLU outputs 0) for a positive accumulator: the missing 2^k is put into
    // bit k-1 (now 2 or 3), which keeps acc + 2^k = sum bits 2^i.
    let mut syn = synthesize(&model, s, &x, req()).unwrap();
    let below = syn.get(vars.bits[k - 1]);
    syn.set(vars.bits[k], fr(0));
    syn.set(vars.bits[k - 1], below + fr(2));
    set_hidden_output(&mut syn, &model, &mut h.clone(), j, 0);
    let bad = syn.unsatisfied();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(syn.is_booleanity_of(bad[0], vars.bits[k - 1]));
    assert!(!forged_proof_verifies(&syn, &keys));

    // Sign 2 doubles the output: bit 0 absorbs -2^k, and both fail booleanity.
    let mut syn = synthesize(&model, s, &x, req()).unwrap();
    let b0 = syn.get(vars.bits[0]);
    syn.set(vars.bits[k], fr(2));
    syn.set(vars.bits[0], b0 - fr(1 << k));
    set_hidden_output(&mut syn, &model, &mut h.clone(), j, 2 * q);
    let mut bad = syn.unsatisfied();
    bad.sort();
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad.iter().any(|i| syn.is_booleanity_of(*i, vars.bits[k])));
    assert!(bad.iter().any(|i| syn.is_booleanity_of(*i, vars.bits[0])));
    assert!(!forged_proof_verifies(&syn, &keys));

    // Positive control: the same writes with the honest values.
    let mut syn = synthesize(&model, s, &x, req()).unwrap();
    let below = syn.get(vars.bits[k - 1]);
    syn.set(vars.bits[k], fr(1));
    syn.set(vars.bits[k - 1], below);
    set_hidden_output(&mut syn, &model, &mut h.clone(), j, q);
    assert!(syn.is_satisfied());
    assert!(forged_proof_verifies(&syn, &keys));
}

/// A model whose first input has zero weights: changing it changes nothing downstream,
/// so only the input's own range check can object.
fn model_ignoring_input_0(input_max: i64) -> QuantizedModel {
    let mut m = random_model(&[5, 4, 3], 12, input_max);
    let l = &mut m.layers[0];
    for j in 0..l.n_out {
        l.weight[j * l.n_in] = 0;
    }
    m
}

/// Forges input 0 to `value`: its public input and its range-check bits (the bits of
/// `value - min` and, if the gadget uses them, of `max - value`; truncated when out of
/// range, as a cheater would try).
fn forge_input_0(syn: &mut Synthesized, value: i128) {
    let lay = syn.layout.clone();
    let span = (lay.input_max - lay.input_min) as u128;
    let b = bit_len(span.max(1)) as usize;
    let v = value - lay.input_min as i128;
    let bits = syn.trace.input_bits[0].clone();
    let own = match lay.encoding {
        IoEncoding::Plain => b - 1,
        IoEncoding::Packed => b,
    };
    set_bits(syn, &bits[..own], v as u128);
    set_bits(syn, &bits[own..], (span as i128 - v) as u128);
    let old = syn.statement.input[0] as i128;
    let var = syn.trace.inputs[0];
    match lay.encoding {
        IoEncoding::Plain => syn.set(var, fr(value)),
        // Input 0 sits at offset 0 of the first packed element.
        IoEncoding::Packed => {
            let e = syn.get(var);
            syn.set(var, e + fr(value - old));
        }
    }
}

#[test]
fn an_out_of_range_input_is_unsatisfiable_and_its_proof_does_not_verify() {
    // Spans 15 = 2^4 - 1 (b constraints), 16 = 2^4 (b + 1), 20 (2b).
    for input_max in [15, 16, 20] {
        let model = model_ignoring_input_0(input_max);
        for encoding in [IoEncoding::Plain, IoEncoding::Packed] {
            for mode in [Mode::Public, Mode::Private] {
                let s = spec(mode, OutputKind::Logits, encoding);
                let keys = keys(&model, s);
                let x = vec![input_max, 1, 2, 3, 4];
                let base = synthesize(&model, s, &x, req()).unwrap();
                for value in [0, 7, input_max, input_max + 1, input_max + 2, 31, 32, -1] {
                    let mut syn = base.clone();
                    forge_input_0(&mut syn, value as i128);
                    let ok = (0..=input_max).contains(&value);
                    assert_eq!(
                        syn.is_satisfied(),
                        ok,
                        "{s:?}, max {input_max}, x0 = {value}: {:?}",
                        syn.unsatisfied()
                    );
                    if matches!(value, 0 | 16 | 21 | -1) {
                        assert_eq!(forged_proof_verifies(&syn, &keys), ok, "{s:?} {value}");
                    }
                }
            }
        }
    }
}

#[test]
fn no_boolean_range_witness_admits_an_out_of_range_plain_input() {
    // Exhaustive over the gadget's only freedom (non-boolean values fail their own
    // booleanity constraints): every boolean assignment of input 0's range bits.
    for input_max in [3, 4, 5, 7, 8, 12] {
        let model = model_ignoring_input_0(input_max);
        let s = CircuitSpec::default();
        let x = vec![0, 1, 2, 3, 0];
        let base = synthesize(&model, s, &x, req()).unwrap();
        let bits = base.trace.input_bits[0].clone();
        assert!(bits.len() <= 6);
        for value in -3..=input_max as i128 + 3 {
            let mut syn = base.clone();
            syn.set(syn.trace.inputs[0], fr(value));
            let satisfiable = (0..1u128 << bits.len()).any(|w| {
                set_bits(&mut syn, &bits, w);
                syn.is_satisfied()
            });
            assert_eq!(
                satisfiable,
                (0..=input_max as i128).contains(&value),
                "max {input_max}, x0 = {value}"
            );
        }
    }
}

#[test]
fn a_changed_request_is_rejected() {
    let model = random_model(&[6, 5, 4], 3, 15);
    let x = random_input(6, 15, &mut Rng(8));
    for s in [
        CircuitSpec::default(),
        spec(Mode::Private, OutputKind::Argmax, IoEncoding::Packed),
    ] {
        let keys = keys(&model, s);
        let mut syn = synthesize(&model, s, &x, req()).unwrap();
        let (r, r2) = (
            syn.trace.request.unwrap(),
            syn.trace.request_square.unwrap(),
        );
        assert_eq!(syn.get(r2), req() * req());
        let honest = syn.clone();
        // The request alone: its square no longer matches, one constraint fails.
        let other = request_binding(b"another request");
        syn.set(r, other);
        assert_eq!(syn.unsatisfied().len(), 1);
        // With its square the circuit holds (any request is a valid one) ...
        syn.set(r2, other * other);
        assert!(syn.is_satisfied());
        // ... but a proof made for one request never verifies for the other.
        let vk = keys.vk_bytes().unwrap();
        let proof = honest
            .prove(&keys.pk, &mut ChaCha20Rng::seed_from_u64(3))
            .unwrap();
        assert_eq!(
            verify(&vk, &frs_to_bytes(honest.public_inputs()), &proof),
            Ok(true)
        );
        assert_eq!(
            verify(&vk, &frs_to_bytes(syn.public_inputs()), &proof),
            Ok(false)
        );
        let proof = syn
            .prove(&keys.pk, &mut ChaCha20Rng::seed_from_u64(3))
            .unwrap();
        assert_eq!(
            verify(&vk, &frs_to_bytes(syn.public_inputs()), &proof),
            Ok(true)
        );
        assert_eq!(
            verify(&vk, &frs_to_bytes(honest.public_inputs()), &proof),
            Ok(false)
        );
    }
}
