//! The circuit computes exactly the integer reference, in every mode and encoding,
//! and rejects any other output.

mod common;

use common::{random_input, random_model, Rng};
use deai_zk::circuit::CircuitSpec;
use deai_zk::prover::{self, circuit_stats, is_satisfied, layout, statement};
use deai_zk::{request_binding, IoEncoding, Mode, OutputKind};

fn all_specs() -> Vec<CircuitSpec> {
    let mut v = Vec::new();
    for mode in [Mode::Public, Mode::Private] {
        for output in [OutputKind::Logits, OutputKind::Argmax] {
            for encoding in [IoEncoding::Plain, IoEncoding::Packed] {
                v.push(CircuitSpec {
                    mode,
                    output,
                    encoding,
                });
            }
        }
    }
    v
}

#[test]
fn circuit_output_equals_the_integer_reference_in_every_mode() {
    let mut rng = Rng(7);
    for (m, dims) in [vec![6, 5, 4], vec![9, 7, 5, 3]].iter().enumerate() {
        let model = random_model(dims, 100 + m as u64, 15);
        for spec in all_specs() {
            for _ in 0..4 {
                let x = random_input(dims[0], 15, &mut rng);
                assert!(
                    is_satisfied(&model, spec, &x, None).unwrap(),
                    "{spec:?} {x:?}"
                );
            }
        }
    }
}

#[test]
fn circuit_rejects_a_wrong_output() {
    let model = random_model(&[6, 5, 4], 3, 15);
    let mut rng = Rng(11);
    for spec in all_specs() {
        let (lay, _) = layout(&model, spec).unwrap();
        let x = random_input(6, 15, &mut rng);
        let mut st = statement(&model, &lay, &x, request_binding(b"c")).unwrap();
        let k = st.output.len() - 1;
        // Move one output within its declared range, so the statement still encodes.
        let (lo, hi) = lay.output_ranges()[k];
        st.output[k] = if st.output[k] < hi {
            st.output[k] + 1
        } else {
            lo
        };
        assert!(
            !is_satisfied(&model, spec, &x, Some(st)).unwrap(),
            "{spec:?}"
        );
    }
}

#[test]
fn argmax_picks_the_lowest_index_on_ties() {
    // Two identical output rows: logits tie, class 0 must be proven, class 1 must not.
    let mut model = random_model(&[4, 3, 2], 5, 15);
    let row: Vec<i64> = model.layers[1].weight[..3].to_vec();
    model.layers[1].weight[3..].copy_from_slice(&row);
    model.layers[1].bias[1] = model.layers[1].bias[0];
    let spec = CircuitSpec {
        mode: Mode::Public,
        output: OutputKind::Argmax,
        encoding: IoEncoding::Plain,
    };
    let (lay, _) = layout(&model, spec).unwrap();
    let x = vec![3, 1, 4, 1];
    let mut st = statement(&model, &lay, &x, request_binding(b"c")).unwrap();
    assert_eq!(st.output, vec![0]);
    assert!(is_satisfied(&model, spec, &x, Some(st.clone())).unwrap());
    st.output = vec![1];
    assert!(!is_satisfied(&model, spec, &x, Some(st)).unwrap());
}

#[test]
fn public_mode_dense_layers_cost_no_multiplications() {
    // Public mode cost is only the input range checks (8 bits per input in [0, 255]),
    // ReLU bit decompositions and output equalities, independent of the number of
    // weights: beyond the range checks, 16x the inputs barely moves it.
    let small = circuit_stats(&random_model(&[16, 8, 4], 1, 255), CircuitSpec::default()).unwrap();
    let large = circuit_stats(&random_model(&[256, 8, 4], 1, 255), CircuitSpec::default()).unwrap();
    assert!(
        large.constraints - (256 - 16) * 8 < small.constraints + 8 * 6,
        "{small:?} {large:?}"
    );
    let private = circuit_stats(
        &random_model(&[16, 8, 4], 1, 255),
        CircuitSpec {
            mode: Mode::Private,
            ..CircuitSpec::default()
        },
    )
    .unwrap();
    assert!(private.constraints > 16 * 8 * 9);
}

/// A 1-wide tower with the given weights, shifts and weight width, inputs in [0, 2^24].
fn tower(weights: &[i64], shifts: &[u32], weight_bits: u32) -> deai_zk::QuantizedModel {
    deai_zk::QuantizedModel {
        layers: weights
            .iter()
            .zip(shifts)
            .map(|(w, s)| deai_zk::QuantLayer {
                n_in: 1,
                n_out: 1,
                weight: vec![*w],
                bias: vec![0],
                shift: *s,
            })
            .collect(),
        input_min: 0,
        input_max: 1 << 24,
        weight_bits,
        input_frac_bits: 0,
        output_frac_bits: 0,
    }
}

#[test]
fn models_that_could_overflow_are_rejected_at_setup_in_both_modes() {
    use deai_zk::ZkError;
    let private = CircuitSpec {
        mode: Mode::Private,
        ..CircuitSpec::default()
    };
    // Tight bounds: 63 * w^6 * 2^24 < 2^120 after layer 6, about 2^135 after layer 7.
    let w = (1i64 << 15) - 1;
    let mut weights = vec![w; 6];
    weights.extend([63, w]);
    let over = tower(&weights, &[0; 8], 16);
    for spec in [CircuitSpec::default(), private] {
        let err = prover::setup(&over, spec).err().unwrap();
        assert!(
            matches!(&err, ZkError::InvalidModel(s) if s.starts_with("layer 7: accumulator")),
            "{spec:?}: {err}"
        );
        assert!(circuit_stats(&over, spec).is_err());
    }
    // Tight bounds stay at 2^24, but private mode's worst case (max |w| = 2^15 per
    // layer, shift 1 after layer 4) reaches 2^119 after layer 5 and would pass 2^127
    // in layer 6.
    let shifts = [0, 0, 0, 0, 1, 0, 0];
    let tall = tower(&[1; 7], &shifts, 16);
    assert!(prover::setup(&tall, CircuitSpec::default()).is_ok());
    let err = prover::setup(&tall, private).err().unwrap();
    assert_eq!(
        err,
        ZkError::InvalidModel("layer 6: worst-case accumulator exceeds 120 bits".into())
    );
    // One layer fewer has valid bounds in private mode too (its logits, about 2^119,
    // are then rejected for not being i64 values).
    let six = tower(&[1; 6], &shifts[..6], 16);
    assert!(deai_zk::circuit::bounds::compute(&six, Mode::Private).is_ok());
    assert_eq!(
        prover::setup(&six, private).err().unwrap(),
        ZkError::InvalidModel("logit bounds exceed i64".into())
    );
}
