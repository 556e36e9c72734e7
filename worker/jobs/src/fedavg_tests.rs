//! Tests of the deterministic FedAvg.
use super::*;

type Tensors<'a> = Vec<(&'a str, Vec<usize>, Vec<f32>)>;

fn file(tensors: &Tensors<'_>) -> Vec<u8> {
    let datas: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let views: Vec<(&str, TensorView<'_>)> = tensors
        .iter()
        .zip(&datas)
        .map(|((n, s, _), d)| (*n, TensorView::new(Dtype::F32, s.clone(), d).unwrap()))
        .collect();
    serialize(views, &None).unwrap()
}

fn read(bytes: &[u8]) -> BTreeMap<String, (Vec<usize>, Vec<f32>)> {
    let st = SafeTensors::deserialize(bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(n, v)| {
            let values = v
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (n, (v.shape().to_vec(), values))
        })
        .collect()
}

fn model(w: [f32; 4], b: [f32; 2]) -> Vec<u8> {
    file(&vec![
        ("fc0.weight", vec![2, 2], w.to_vec()),
        ("fc0.bias", vec![2], b.to_vec()),
    ])
}

#[test]
fn equal_weights_average() {
    let a = model([1.0, 2.0, 3.0, 4.0], [0.0, -1.0]);
    let b = model([3.0, 2.0, 1.0, 0.0], [1.0, 1.0]);
    let out = read(&fedavg(&[(&a, 1), (&b, 1)]).unwrap());
    assert_eq!(out["fc0.weight"], (vec![2, 2], vec![2.0, 2.0, 2.0, 2.0]));
    assert_eq!(out["fc0.bias"], (vec![2], vec![0.5, 0.0]));
}

#[test]
fn weights_three_to_one() {
    let a = model([4.0, 0.0, 1.0, 0.1], [8.0, 0.0]);
    let b = model([0.0, 4.0, 1.0, 0.2], [0.0, 8.0]);
    let out = read(&fedavg(&[(&a, 3), (&b, 1)]).unwrap());
    let w = &out["fc0.weight"].1;
    assert_eq!(&w[..3], &[3.0, 1.0, 1.0]);
    // Accumulated in f64 and rounded once: (3·0.1f32 + 0.2f32) / 4.
    let exact = ((3.0 * f64::from(0.1f32) + f64::from(0.2f32)) / 4.0) as f32;
    assert_eq!(w[3], exact);
    assert_eq!(out["fc0.bias"].1, vec![6.0, 2.0]);
    // An input of weight 0 contributes nothing.
    let same = fedavg(&[(&a, 3), (&b, 1)]).unwrap();
    assert_eq!(fedavg(&[(&a, 3), (&b, 1), (&a, 0)]).unwrap(), same);
}

#[test]
fn a_single_input_averages_to_itself() {
    let values = [0.1f32, -7.25e-3, 1.0e30, -3.3];
    let a = model(values, [f32::MIN_POSITIVE, 1.0 / 3.0]);
    for w in [1, 7, u32::MAX] {
        let out = fedavg(&[(&a, w)]).unwrap();
        assert_eq!(read(&out), read(&a), "weight {w}");
        // Written as the engine writes weights (sorted, no metadata): the same bytes.
        assert_eq!(out, a);
    }
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let a = model([0.3, 0.7, -0.1, 1e-8], [0.25, 0.5]);
    let b = model([0.1, 0.2, 0.3, 0.4], [0.6, 0.7]);
    let c = model([-1.0, 1.0, 5.5, 2.0], [0.0, 1e-3]);
    let inputs = [(&a[..], 5), (&b[..], 2), (&c[..], 9)];
    let x = fedavg(&inputs).unwrap();
    assert_eq!(x, fedavg(&inputs).unwrap());
    // Names are written sorted whatever order the input files list them in.
    let reordered = file(&vec![
        ("fc0.bias", vec![2], vec![0.25, 0.5]),
        ("fc0.weight", vec![2, 2], vec![0.3, 0.7, -0.1, 1e-8]),
    ]);
    assert_eq!(
        fedavg(&[(&reordered[..], 5), (&b[..], 2), (&c[..], 9)]).unwrap(),
        x
    );
}

#[test]
fn mismatched_inputs_are_refused() {
    let a = model([1.0; 4], [1.0; 2]);
    assert_eq!(fedavg(&[]).unwrap_err(), FedAvgError::NoInputs);
    assert_eq!(
        fedavg(&[(&a, 0), (&a, 0)]).unwrap_err(),
        FedAvgError::ZeroWeight
    );

    let msg = |inputs: &[(&[u8], u32)]| fedavg(inputs).unwrap_err().to_string();
    let shape = file(&vec![
        ("fc0.weight", vec![4, 1], vec![1.0; 4]),
        ("fc0.bias", vec![2], vec![1.0; 2]),
    ]);
    let m = msg(&[(&a, 1), (&shape, 1)]);
    assert!(
        m.contains("input 1: tensor \"fc0.weight\" has shape [4, 1], input 0 has [2, 2]"),
        "{m}"
    );
    let renamed = file(&vec![
        ("fc0.weight", vec![2, 2], vec![1.0; 4]),
        ("fc1.bias", vec![2], vec![1.0; 2]),
    ]);
    let m = msg(&[(&a, 1), (&renamed, 1)]);
    assert!(
        m.contains("input 1: has tensor \"fc1.bias\", which input 0 lacks"),
        "{m}"
    );
    let fewer = file(&vec![("fc0.weight", vec![2, 2], vec![1.0; 4])]);
    let m = msg(&[(&a, 1), (&fewer, 1)]);
    assert!(m.contains("input 1: lacks tensor \"fc0.bias\""), "{m}");
    let nan = model([1.0, f32::NAN, 0.0, 0.0], [0.0; 2]);
    let m = msg(&[(&a, 1), (&nan, 1)]);
    assert!(
        m.contains("input 1: tensor \"fc0.weight\" holds NaN"),
        "{m}"
    );
    let m = msg(&[(b"junk".as_slice(), 1)]);
    assert!(m.contains("input 0: not safetensors"), "{m}");
    let f64s: Vec<u8> = [1.0f64, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let wide = serialize(
        [(
            "fc0.bias",
            TensorView::new(Dtype::F64, vec![2], &f64s).unwrap(),
        )],
        &None,
    )
    .unwrap();
    let m = msg(&[(&wide, 1)]);
    assert!(
        m.contains("input 0: tensor \"fc0.bias\" has dtype F64, expected F32"),
        "{m}"
    );
}
