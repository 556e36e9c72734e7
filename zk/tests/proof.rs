//! End to end: setup, prove, verify; every altered part of a statement or proof fails.

mod common;

use common::{random_input, random_model, Rng};
use deai_zk::circuit::CircuitSpec;
use deai_zk::field::{fr_from_i64, frs_to_bytes};
use deai_zk::prover::{self, Keys};
use deai_zk::{verify, IoEncoding, Mode, OutputKind, ProofFile, ZkError};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn setup(spec: CircuitSpec) -> (deai_zk::QuantizedModel, Keys) {
    let model = random_model(&[6, 5, 4], 21, 15);
    let keys = prover::setup_with_rng(&model, spec, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
    (model, keys)
}

#[test]
fn public_mode_proof_verifies_and_binds_input_and_output() {
    let (model, keys) = setup(CircuitSpec::default());
    let vk = keys.vk_bytes().unwrap();
    let x = random_input(6, 15, &mut Rng(5));
    let out =
        prover::prove_with_rng(&keys, &model, &x, &mut ChaCha20Rng::seed_from_u64(2)).unwrap();
    assert_eq!(out.proof.len(), 128);
    assert_eq!(out.statement.output, model.infer(&x).unwrap());
    let pi = frs_to_bytes(&out.public_inputs);
    assert_eq!(verify(&vk, &pi, &out.proof), Ok(true));

    // Altered output.
    let mut bad = out.public_inputs.clone();
    let last = bad.len() - 1;
    bad[last] += fr_from_i64(1);
    assert_eq!(verify(&vk, &frs_to_bytes(&bad), &out.proof), Ok(false));
    // Altered input.
    let mut bad = out.public_inputs.clone();
    bad[0] = fr_from_i64(if x[0] == 0 { 1 } else { 0 });
    assert_eq!(verify(&vk, &frs_to_bytes(&bad), &out.proof), Ok(false));
    // Altered proof: flip one bit in each point; invalid encodings are errors, valid ones fail.
    for pos in [0usize, 40, 100] {
        let mut p = out.proof.clone();
        p[pos] ^= 1;
        assert!(
            !matches!(verify(&vk, &pi, &p), Ok(true)),
            "bit flip at {pos} accepted"
        );
    }
    // A different model's key rejects the proof.
    let other = prover::setup_with_rng(
        &random_model(&[6, 5, 4], 22, 15),
        CircuitSpec::default(),
        &mut ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap();
    assert!(!matches!(
        verify(&other.vk_bytes().unwrap(), &pi, &out.proof),
        Ok(true)
    ));
}

#[test]
fn private_mode_proof_binds_the_weight_commitment() {
    let spec = CircuitSpec {
        mode: Mode::Private,
        output: OutputKind::Argmax,
        encoding: IoEncoding::Packed,
    };
    let (model, keys) = setup(spec);
    let vk = keys.vk_bytes().unwrap();
    let x = random_input(6, 15, &mut Rng(9));
    let out =
        prover::prove_with_rng(&keys, &model, &x, &mut ChaCha20Rng::seed_from_u64(3)).unwrap();
    let file = ProofFile::from_json(&out.to_file().to_json()).unwrap();
    let st = file.verify(&vk, &keys.layout).unwrap();
    assert_eq!(
        st.output,
        vec![deai_zk::argmax(&model.infer(&x).unwrap()) as i64]
    );

    // Altered commitment in the public inputs: the proof fails.
    let mut bad = out.public_inputs.clone();
    bad[0] += fr_from_i64(1);
    assert_eq!(verify(&vk, &frs_to_bytes(&bad), &out.proof), Ok(false));
    // A layout registering another commitment: rejected before the pairing.
    let mut lay = keys.layout.clone();
    lay.commitment = Some(hex::encode(deai_zk::field::fr_to_bytes(&fr_from_i64(5))));
    assert!(matches!(file.verify(&vk, &lay), Err(ZkError::Statement(_))));
    // Altered output in the file.
    let mut f2 = file.clone();
    f2.output[0] = (f2.output[0] + 1) % 4;
    assert!(f2.verify(&vk, &keys.layout).is_err());
    // Different weights (same shapes): the model no longer matches the keys.
    let mut m2 = model.clone();
    m2.layers[0].weight[0] = if m2.layers[0].weight[0] == 1 { 2 } else { 1 };
    assert!(prover::prove(&keys, &m2, &x).is_err());
}

#[test]
fn key_directory_round_trip() {
    let (model, keys) = setup(CircuitSpec {
        output: OutputKind::Argmax,
        ..CircuitSpec::default()
    });
    let dir = std::env::temp_dir().join(format!("deai-zk-keys-{}", std::process::id()));
    keys.write_dir(&dir).unwrap();
    let back = Keys::read_dir(&dir).unwrap();
    assert_eq!(back.layout, keys.layout);
    let vk = prover::read_vk_bytes(&dir).unwrap();
    assert_eq!(vk, keys.vk_bytes().unwrap());
    let x = random_input(6, 15, &mut Rng(1));
    let out = prover::prove(&back, &model, &x).unwrap();
    out.to_file()
        .verify(&vk, &prover::read_layout(&dir).unwrap())
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
