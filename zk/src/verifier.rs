//! The verifier: what the chain runs. Pure Rust, no prover dependencies.
//!
//! Every function here takes untrusted bytes: sizes are bounded before any
//! work, decoding is canonical (compressed points, subgroup-checked, no
//! trailing bytes), and no path panics.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::field::{frs_from_bytes, FR_BYTES};
use crate::layout::{CircuitLayout, Statement};
use crate::proof_file::ProofFile;
use crate::ZkError;

/// A Groth16 verifying key. Field for field (and byte for byte when
/// serialized) the same as `ark_groth16::VerifyingKey`; defined here so
/// the verifier does not depend on the prover's crates.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct VerifyingKey {
    pub alpha_g1: G1Affine,
    pub beta_g2: G2Affine,
    pub gamma_g2: G2Affine,
    pub delta_g2: G2Affine,
    pub gamma_abc_g1: Vec<G1Affine>,
}

/// A Groth16 proof, byte-compatible with `ark_groth16::Proof`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Proof {
    pub a: G1Affine,
    pub b: G2Affine,
    pub c: G1Affine,
}

/// A compressed BN254 Groth16 proof: A (G1, 32) + B (G2, 64) + C (G1, 32).
pub const PROOF_BYTES: usize = 128;
/// Upper bound on public inputs a verifying key may declare.
pub const MAX_PUBLIC_INPUTS: usize = 4096;
/// Fixed part of a compressed verifying key: alpha (G1), beta, gamma, delta (G2), length prefix.
const VK_FIXED_BYTES: usize = 32 + 3 * 64 + 8;
/// Largest verifying key accepted.
pub const MAX_VK_BYTES: usize = VK_FIXED_BYTES + 32 * (MAX_PUBLIC_INPUTS + 1);

/// Decodes a canonical compressed verifying key, bounded in size.
pub fn decode_vk(vk_bytes: &[u8]) -> Result<VerifyingKey, ZkError> {
    if vk_bytes.len() > MAX_VK_BYTES {
        return Err(ZkError::TooLarge {
            what: "verifying key",
            len: vk_bytes.len(),
            limit: MAX_VK_BYTES,
        });
    }
    if vk_bytes.len() < VK_FIXED_BYTES {
        return Err(ZkError::malformed("verifying key", "truncated"));
    }
    // Check the vector length prefix against the byte length before decoding anything.
    let mut len_le = [0u8; 8];
    len_le.copy_from_slice(&vk_bytes[VK_FIXED_BYTES - 8..VK_FIXED_BYTES]);
    let n = u64::from_le_bytes(len_le);
    if n == 0 || n > (MAX_PUBLIC_INPUTS + 1) as u64 {
        return Err(ZkError::malformed(
            "verifying key",
            format!("{n} input bases"),
        ));
    }
    if vk_bytes.len() != VK_FIXED_BYTES + 32 * n as usize {
        return Err(ZkError::malformed(
            "verifying key",
            "length does not match its input count",
        ));
    }
    decode_exact("verifying key", vk_bytes)
}

/// Decodes a canonical compressed proof of exactly [`PROOF_BYTES`].
pub fn decode_proof(proof_bytes: &[u8]) -> Result<Proof, ZkError> {
    if proof_bytes.len() != PROOF_BYTES {
        return Err(ZkError::malformed(
            "proof",
            format!("{} bytes, want {PROOF_BYTES}", proof_bytes.len()),
        ));
    }
    decode_exact("proof", proof_bytes)
}

fn decode_exact<T: CanonicalDeserialize>(what: &'static str, bytes: &[u8]) -> Result<T, ZkError> {
    let mut reader = bytes;
    let v = T::deserialize_compressed(&mut reader).map_err(|e| ZkError::malformed(what, e))?;
    if !reader.is_empty() {
        return Err(ZkError::malformed(what, "trailing bytes"));
    }
    Ok(v)
}

pub fn encode_compressed<T: CanonicalSerialize>(v: &T) -> Result<Vec<u8>, ZkError> {
    let mut out = Vec::with_capacity(v.compressed_size());
    v.serialize_compressed(&mut out)
        .map_err(|e| ZkError::malformed("serialization", e))?;
    Ok(out)
}

/// Verifies a Groth16 proof.
///
/// - `vk_bytes`: canonical compressed `VerifyingKey` (as arkworks writes `VerifyingKey<Bn254>`);
/// - `public_inputs`: concatenated 32-byte little-endian canonical scalars;
/// - `proof_bytes`: 128-byte canonical compressed proof.
///
/// Returns `Ok(true)` for a valid proof, `Ok(false)` for a well-formed proof that
/// does not verify, and `Err` for malformed or oversized bytes.
pub fn verify(vk_bytes: &[u8], public_inputs: &[u8], proof_bytes: &[u8]) -> Result<bool, ZkError> {
    if public_inputs.len() > MAX_PUBLIC_INPUTS * FR_BYTES {
        return Err(ZkError::TooLarge {
            what: "public inputs",
            len: public_inputs.len(),
            limit: MAX_PUBLIC_INPUTS * FR_BYTES,
        });
    }
    let vk = decode_vk(vk_bytes)?;
    let proof = decode_proof(proof_bytes)?;
    let inputs = frs_from_bytes(public_inputs)?;
    verify_decoded(&vk, &inputs, &proof)
}

/// Verification on decoded objects: `e(A,B) = e(alpha,beta) e(IC,gamma) e(C,delta)`.
pub fn verify_decoded(vk: &VerifyingKey, inputs: &[Fr], proof: &Proof) -> Result<bool, ZkError> {
    PreparedVerifier::new(vk.clone()).verify_decoded(inputs, proof)
}

/// A verifying key decoded and prepared once (the chain caches one per
/// registered model): decoding a key costs a square root and a subgroup check
/// per point, which dominates verification for keys with many inputs.
#[derive(Clone)]
pub struct PreparedVerifier {
    vk: VerifyingKey,
    alpha_beta: PairingOutput<Bn254>,
    neg_gamma: <Bn254 as Pairing>::G2Prepared,
    neg_delta: <Bn254 as Pairing>::G2Prepared,
}

impl PreparedVerifier {
    pub fn new(vk: VerifyingKey) -> Self {
        PreparedVerifier {
            alpha_beta: Bn254::pairing(vk.alpha_g1, vk.beta_g2),
            neg_gamma: (-vk.gamma_g2.into_group()).into_affine().into(),
            neg_delta: (-vk.delta_g2.into_group()).into_affine().into(),
            vk,
        }
    }

    pub fn from_bytes(vk_bytes: &[u8]) -> Result<Self, ZkError> {
        decode_vk(vk_bytes).map(Self::new)
    }

    pub fn n_public_inputs(&self) -> usize {
        self.vk.gamma_abc_g1.len().saturating_sub(1)
    }

    /// Same contract as [`verify`].
    pub fn verify(&self, public_inputs: &[u8], proof_bytes: &[u8]) -> Result<bool, ZkError> {
        if public_inputs.len() > MAX_PUBLIC_INPUTS * FR_BYTES {
            return Err(ZkError::TooLarge {
                what: "public inputs",
                len: public_inputs.len(),
                limit: MAX_PUBLIC_INPUTS * FR_BYTES,
            });
        }
        let proof = decode_proof(proof_bytes)?;
        self.verify_decoded(&frs_from_bytes(public_inputs)?, &proof)
    }

    /// [`verify_statement`] with this prepared key: what the chain calls per proof,
    /// with the statement it builds itself (registered commitment, the request's
    /// binding and input, the claimed output).
    pub fn verify_statement(
        &self,
        layout: &CircuitLayout,
        statement: &Statement,
        proof_bytes: &[u8],
    ) -> Result<(), ZkError> {
        if statement.commitment != layout.commitment_fr()? {
            return Err(ZkError::Statement(
                "weight commitment differs from the registered one".into(),
            ));
        }
        let inputs = layout.encode(statement)?;
        let proof = decode_proof(proof_bytes)?;
        if self.verify_decoded(&inputs, &proof)? {
            Ok(())
        } else {
            Err(ZkError::InvalidProof)
        }
    }

    pub fn verify_decoded(&self, inputs: &[Fr], proof: &Proof) -> Result<bool, ZkError> {
        if inputs.len() != self.n_public_inputs() {
            return Err(ZkError::PublicInputCount {
                expected: self.n_public_inputs(),
                got: inputs.len(),
            });
        }
        // One MSM instead of n scalar multiplications; arkworks takes a fast path
        // for small scalars, which is what plain-encoded inputs and outputs are.
        let ic: G1Projective = self.vk.gamma_abc_g1[0].into_group()
            + G1Projective::msm_unchecked(&self.vk.gamma_abc_g1[1..], inputs);
        type G1P = <Bn254 as Pairing>::G1Prepared;
        let lhs = Bn254::multi_miller_loop(
            [
                G1P::from(proof.a),
                G1P::from(ic.into_affine()),
                G1P::from(proof.c),
            ],
            [
                proof.b.into(),
                self.neg_gamma.clone(),
                self.neg_delta.clone(),
            ],
        );
        match Bn254::final_exponentiation(lhs) {
            Some(l) => Ok(l == self.alpha_beta),
            None => Ok(false),
        }
    }
}

/// Verifies a proof of a statement under a circuit layout: encodes the
/// statement (range-checking it), compares the commitment with the registered
/// one, and checks the proof. `Ok(())` only for a valid proof.
pub fn verify_statement(
    vk_bytes: &[u8],
    layout: &CircuitLayout,
    statement: &Statement,
    proof_bytes: &[u8],
) -> Result<(), ZkError> {
    PreparedVerifier::from_bytes(vk_bytes)?.verify_statement(layout, statement, proof_bytes)
}

/// Verifies a proof file as the answer to a known request: returns the proven
/// statement only if the proof is valid, its input equals `expected_input` (the
/// request's input, quantized by the verifier with [`CircuitLayout::input_spec`])
/// and its request binding equals `expected_request`
/// ([`crate::request::request_binding`] of the request's context). The output is
/// whatever the proof proves; the caller reads it from the returned statement.
pub fn verify_for(
    vk_bytes: &[u8],
    layout: &CircuitLayout,
    expected_input: &[i64],
    expected_request: &Fr,
    proof: &ProofFile,
) -> Result<Statement, ZkError> {
    layout.input_spec().check(expected_input)?;
    let statement = proof.claimed_statement(layout)?;
    if statement.commitment != layout.commitment_fr()? {
        return Err(ZkError::Statement(
            "weight commitment differs from the registered one".into(),
        ));
    }
    if statement.request != *expected_request {
        return Err(ZkError::Statement(
            "the proof answers another request".into(),
        ));
    }
    if let Some((i, (got, want))) = statement
        .input
        .iter()
        .zip(expected_input)
        .enumerate()
        .find(|(_, (g, w))| g != w)
    {
        return Err(ZkError::Statement(format!(
            "the proof is for another input: input[{i}] = {got}, expected {want}"
        )));
    }
    // Built from the expected values: the pairing checks exactly what was asked.
    let expected = Statement {
        commitment: layout.commitment_fr()?,
        request: *expected_request,
        input: expected_input.to_vec(),
        output: statement.output.clone(),
    };
    verify_statement(vk_bytes, layout, &expected, &proof.proof_bytes()?)?;
    Ok(expected)
}
