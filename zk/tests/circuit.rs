//! The circuit computes exactly the integer reference, in every mode and encoding,
//! and rejects any other output.

mod common;

use common::{random_input, random_model, Rng};
use deai_zk::circuit::CircuitSpec;
use deai_zk::prover::{circuit_stats, is_satisfied, layout, statement};
use deai_zk::{IoEncoding, Mode, OutputKind};

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
        let mut st = statement(&model, &lay, &x).unwrap();
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
    let mut st = statement(&model, &lay, &x).unwrap();
    assert_eq!(st.output, vec![0]);
    assert!(is_satisfied(&model, spec, &x, Some(st.clone())).unwrap());
    st.output = vec![1];
    assert!(!is_satisfied(&model, spec, &x, Some(st)).unwrap());
}

#[test]
fn public_mode_dense_layers_cost_no_multiplications() {
    // Public mode cost is only ReLU bit decompositions + output equalities,
    // independent of the number of weights: doubling the inputs barely moves it.
    let small = circuit_stats(&random_model(&[16, 8, 4], 1, 255), CircuitSpec::default()).unwrap();
    let large = circuit_stats(&random_model(&[256, 8, 4], 1, 255), CircuitSpec::default()).unwrap();
    assert!(
        large.constraints < small.constraints + 8 * 6,
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
