//! Untrusted bytes never panic the verifier: they give an error or `false`.

mod common;

use common::{random_model, Rng};
use deai_zk::circuit::CircuitSpec;
use deai_zk::field::frs_to_bytes;
use deai_zk::prover;
use deai_zk::{request_binding, verify, verify_for, ProofFile};
use proptest::prelude::*;
use rand_chacha::rand_core::SeedableRng;
use std::sync::OnceLock;

struct Fixture {
    vk: Vec<u8>,
    pi: Vec<u8>,
    proof: Vec<u8>,
    layout: deai_zk::CircuitLayout,
    input: Vec<i64>,
    file: String,
    pk: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let model = random_model(&[4, 3, 2], 1, 7);
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let keys = prover::setup_with_rng(&model, CircuitSpec::default(), &mut rng).unwrap();
        let x = common::random_input(4, 7, &mut Rng(3));
        let out =
            prover::prove_with_rng(&keys, &model, &x, request_binding(b"m"), &mut rng).unwrap();
        Fixture {
            vk: keys.vk_bytes().unwrap(),
            pi: frs_to_bytes(&out.public_inputs),
            proof: out.proof.clone(),
            layout: keys.layout.clone(),
            input: x.clone(),
            file: out.to_file().to_json(),
            pk: keys.pk_bytes().unwrap(),
        }
    })
}

#[test]
fn fixture_is_valid() {
    let f = fixture();
    assert_eq!(verify(&f.vk, &f.pi, &f.proof), Ok(true));
}

#[test]
fn oversized_inputs_are_rejected_before_decoding() {
    let f = fixture();
    assert!(verify(&vec![0u8; 1 << 20], &f.pi, &f.proof).is_err());
    assert!(verify(&f.vk, &vec![0u8; 1 << 20], &f.proof).is_err());
    assert!(verify(&f.vk, &f.pi, &[0u8; 129]).is_err());
    // A length prefix claiming 2^60 bases.
    let mut vk = f.vk.clone();
    vk[224..232].copy_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(verify(&vk, &f.pi, &f.proof).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(vk in proptest::collection::vec(any::<u8>(), 0..600),
                                pi in proptest::collection::vec(any::<u8>(), 0..200),
                                proof in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = verify(&vk, &pi, &proof);
    }

    #[test]
    fn truncated_or_mutated_keys_and_proofs_never_verify(cut in 0usize..2000, pos in 0usize..2000, bit in 0u8..8) {
        let f = fixture();
        let vk_cut = &f.vk[..cut.min(f.vk.len().saturating_sub(1))];
        prop_assert!(verify(vk_cut, &f.pi, &f.proof).is_err());
        let proof_cut = &f.proof[..cut.min(f.proof.len() - 1)];
        prop_assert!(verify(&f.vk, &f.pi, proof_cut).is_err());
        let pi_cut = &f.pi[..cut.min(f.pi.len() - 1)];
        prop_assert!(verify(&f.vk, pi_cut, &f.proof).is_err());

        let mut p = f.proof.clone();
        let i = pos % p.len();
        p[i] ^= 1 << bit;
        prop_assert!(!matches!(verify(&f.vk, &f.pi, &p), Ok(true)));
        let mut v = f.vk.clone();
        let i = pos % v.len();
        v[i] ^= 1 << bit;
        prop_assert!(!matches!(verify(&v, &f.pi, &f.proof), Ok(true)));
        let mut q = f.pi.clone();
        let i = pos % q.len();
        q[i] ^= 1 << bit;
        prop_assert!(!matches!(verify(&f.vk, &q, &f.proof), Ok(true)));
    }

    #[test]
    fn truncated_or_mutated_proving_keys_never_panic(cut in 0usize..200_000, pos in 0usize..200_000, bit in 0u8..8) {
        let f = fixture();
        prop_assert!(prover::decode_proving_key(&f.pk[..cut.min(f.pk.len() - 1)]).is_err());
        let mut pk = f.pk.clone();
        let i = pos % pk.len();
        pk[i] ^= 1 << bit;
        let _ = prover::decode_proving_key(&pk);
    }

    #[test]
    fn malformed_proof_files_never_panic(s in "\\PC{0,300}", cut in 0usize..4000) {
        let f = fixture();
        let check = |p: &ProofFile| verify_for(&f.vk, &f.layout, &f.input, &request_binding(b"m"), p);
        let _ = ProofFile::from_json(&s).map(|p| check(&p));
        let t = &f.file[..cut.min(f.file.len())];
        if let Ok(p) = ProofFile::from_json(t) {
            prop_assert!(check(&p).is_ok());
        }
    }
}
