//! End to end: setup, prove, verify; every altered part of a statement or proof fails,
//! and `verify_for` accepts a proof only as the answer to the input and request asked.

mod common;

use ark_bn254::Fr;
use common::{random_input, random_model, Rng};
use deai_zk::circuit::CircuitSpec;
use deai_zk::field::{fr_from_i64, frs_to_bytes};
use deai_zk::prover::{self, Keys};
use deai_zk::{
    request_binding, verify, verify_for, IoEncoding, Mode, OutputKind, ProofFile, ZkError,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn setup(spec: CircuitSpec) -> (deai_zk::QuantizedModel, Keys) {
    let model = random_model(&[6, 5, 4], 21, 15);
    let keys = prover::setup_with_rng(&model, spec, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
    (model, keys)
}

fn req(id: &str) -> Fr {
    request_binding(id.as_bytes())
}

#[test]
fn public_mode_proof_verifies_and_binds_request_input_and_output() {
    let (model, keys) = setup(CircuitSpec::default());
    let vk = keys.vk_bytes().unwrap();
    let x = random_input(6, 15, &mut Rng(5));
    let out = prover::prove_with_rng(
        &keys,
        &model,
        &x,
        req("r1"),
        &mut ChaCha20Rng::seed_from_u64(2),
    )
    .unwrap();
    assert_eq!(out.proof.len(), 128);
    assert_eq!(out.statement.output, model.infer(&x).unwrap());
    // Public inputs: request, 6 inputs, 4 logits.
    assert_eq!(out.public_inputs.len(), 1 + 6 + 4);
    assert_eq!(out.public_inputs[0], req("r1"));
    let pi = frs_to_bytes(&out.public_inputs);
    assert_eq!(verify(&vk, &pi, &out.proof), Ok(true));

    // Altered output.
    let mut bad = out.public_inputs.clone();
    let last = bad.len() - 1;
    bad[last] += fr_from_i64(1);
    assert_eq!(verify(&vk, &frs_to_bytes(&bad), &out.proof), Ok(false));
    // Altered input.
    let mut bad = out.public_inputs.clone();
    bad[1] = fr_from_i64(if x[0] == 0 { 1 } else { 0 });
    assert_eq!(verify(&vk, &frs_to_bytes(&bad), &out.proof), Ok(false));
    // Another request: the proof cannot be replayed or front-run for it.
    let mut bad = out.public_inputs.clone();
    bad[0] = req("r2");
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
fn verify_for_accepts_only_the_input_and_request_asked() {
    let (model, keys) = setup(CircuitSpec::default());
    let vk = keys.vk_bytes().unwrap();
    let lay = &keys.layout;
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let x = random_input(6, 15, &mut Rng(6));
    let mut y = x.clone();
    y[2] = (y[2] + 1) % 16;
    let file = prover::prove_with_rng(&keys, &model, &x, req("job-7"), &mut rng)
        .unwrap()
        .to_file();
    let st = verify_for(&vk, lay, &x, &req("job-7"), &file).unwrap();
    assert_eq!(st.output, model.infer(&x).unwrap());
    assert_eq!((st.input.clone(), st.request), (x.clone(), req("job-7")));

    // A valid proof, but for another input than the one asked.
    let err = verify_for(&vk, lay, &y, &req("job-7"), &file).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "statement mismatch: the proof is for another input: input[2] = {}, expected {}",
            x[2], y[2]
        )
    );
    // A valid proof, but made for another request (replay, or front-running).
    let err = verify_for(&vk, lay, &x, &req("job-8"), &file).unwrap_err();
    assert_eq!(
        err,
        ZkError::Statement("the proof answers another request".into())
    );
    // Rewriting the file to claim the expected input or request breaks the proof.
    let claimed_for = |input: &[i64], request: Fr| {
        let mut st = st.clone();
        st.input = input.to_vec();
        st.request = request;
        let pi = lay.encode(&st).unwrap();
        ProofFile::new(
            st.output.clone(),
            &request,
            &pi,
            &file.proof_bytes().unwrap(),
        )
    };
    for (input, request) in [(&y, req("job-7")), (&x, req("job-8"))] {
        let forged = claimed_for(input, request);
        assert_eq!(
            verify_for(&vk, lay, input, &request, &forged),
            Err(ZkError::InvalidProof)
        );
    }
    // The request field must agree with the public inputs.
    let mut f = file.clone();
    f.request = deai_zk::request::request_hex(&req("job-8"));
    assert!(verify_for(&vk, lay, &x, &req("job-8"), &f)
        .unwrap_err()
        .to_string()
        .contains("request differs from the one in the public inputs"));
    // An expected input the model could never take is an error, not a mismatch.
    let mut z = x.clone();
    z[0] = 16;
    assert!(matches!(
        verify_for(&vk, lay, &z, &req("job-7"), &file),
        Err(ZkError::InvalidInput(_))
    ));
    // The verifier quantizes a float request with the layout, as the prover did.
    let floats: Vec<f32> = x.iter().map(|v| *v as f32).collect();
    assert_eq!(lay.input_spec().quantize(&floats).unwrap(), x);
}

#[test]
fn the_request_input_has_its_own_nonzero_base_in_the_verifying_key() {
    // ark-groth16's reduction adds a row per public input to A, and the circuit
    // constrains request^2: the request's base in the key is a point of its own.
    let (_, keys) = setup(CircuitSpec::default());
    let vk = keys.vk();
    let i = 1 + keys.layout.request_index();
    let base = vk.gamma_abc_g1[i];
    assert!(!ark_ec::AffineRepr::is_zero(&base));
    for (j, other) in vk.gamma_abc_g1.iter().enumerate() {
        assert!(j == i || *other != base, "request base equals base {j}");
    }
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
    let out = prover::prove_with_rng(
        &keys,
        &model,
        &x,
        req("p"),
        &mut ChaCha20Rng::seed_from_u64(3),
    )
    .unwrap();
    let file = ProofFile::from_json(&out.to_file().to_json()).unwrap();
    let st = verify_for(&vk, &keys.layout, &x, &req("p"), &file).unwrap();
    assert_eq!(
        st.output,
        vec![deai_zk::argmax(&model.infer(&x).unwrap()) as i64]
    );
    // Public inputs: commitment, request, then packed input and output.
    assert_eq!(out.public_inputs[1], req("p"));
    assert!(verify_for(&vk, &keys.layout, &x, &req("q"), &file).is_err());

    // Altered commitment in the public inputs: the proof fails.
    let mut bad = out.public_inputs.clone();
    bad[0] += fr_from_i64(1);
    assert_eq!(verify(&vk, &frs_to_bytes(&bad), &out.proof), Ok(false));
    // A layout registering another commitment: rejected before the pairing.
    let mut lay = keys.layout.clone();
    lay.commitment = Some(hex::encode(deai_zk::field::fr_to_bytes(&fr_from_i64(5))));
    assert!(matches!(
        verify_for(&vk, &lay, &x, &req("p"), &file),
        Err(ZkError::Statement(_))
    ));
    // Altered output in the file.
    let mut f2 = file.clone();
    f2.output[0] = (f2.output[0] + 1) % 4;
    assert!(verify_for(&vk, &keys.layout, &x, &req("p"), &f2).is_err());
    // Different weights (same shapes): the model no longer matches the keys.
    let mut m2 = model.clone();
    m2.layers[0].weight[0] = if m2.layers[0].weight[0] == 1 { 2 } else { 1 };
    assert!(prover::prove(&keys, &m2, &x, req("p")).is_err());
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
    let out = prover::prove(&back, &model, &x, req("k")).unwrap();
    verify_for(
        &vk,
        &prover::read_layout(&dir).unwrap(),
        &x,
        &req("k"),
        &out.to_file(),
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
