//! Setup, proving and key files (feature `prover`).
//!
//! Key directory layout (what `deai-worker zk-setup` writes):
//! - `proving_key.bin`: canonical compressed `ProvingKey<Bn254>` (kept by the worker);
//! - `verifying_key.bin`: canonical compressed `VerifyingKey<Bn254>` (registered on chain);
//! - `circuit.json`: the [`CircuitLayout`] (statement encoding; commitment in private mode).

use std::path::Path;

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, ProvingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use ark_serialize::CanonicalDeserialize;
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore};

use crate::circuit::{bounds, layout_for, weight_commitment, Assignment, CircuitSpec, MlpCircuit};
use crate::layout::{CircuitLayout, Mode, OutputKind, Statement};
use crate::model::{argmax, QuantizedModel};
use crate::proof_file::ProofFile;
use crate::verifier::{encode_compressed, verify_decoded, Proof, VerifyingKey};
use crate::ZkError;

pub const PROVING_KEY_FILE: &str = "proving_key.bin";
pub const VERIFYING_KEY_FILE: &str = "verifying_key.bin";
pub const LAYOUT_FILE: &str = "circuit.json";

/// The result of a per-model setup. The verifying key is `pk.vk`.
#[derive(Clone)]
pub struct Keys {
    pub pk: ProvingKey<Bn254>,
    pub layout: CircuitLayout,
}

impl Keys {
    /// The verifying key in the verifier's own type.
    pub fn vk(&self) -> VerifyingKey {
        let vk = &self.pk.vk;
        VerifyingKey {
            alpha_g1: vk.alpha_g1,
            beta_g2: vk.beta_g2,
            gamma_g2: vk.gamma_g2,
            delta_g2: vk.delta_g2,
            gamma_abc_g1: vk.gamma_abc_g1.clone(),
        }
    }

    pub fn vk_bytes(&self) -> Result<Vec<u8>, ZkError> {
        encode_compressed(&self.vk())
    }

    pub fn pk_bytes(&self) -> Result<Vec<u8>, ZkError> {
        encode_compressed(&self.pk)
    }

    pub fn write_dir(&self, dir: &Path) -> Result<(), ZkError> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(PROVING_KEY_FILE), self.pk_bytes()?)?;
        std::fs::write(dir.join(VERIFYING_KEY_FILE), self.vk_bytes()?)?;
        let json =
            serde_json::to_string_pretty(&self.layout).map_err(|e| ZkError::Io(e.to_string()))?;
        std::fs::write(dir.join(LAYOUT_FILE), json)?;
        Ok(())
    }

    /// Reads a key directory.
    pub fn read_dir(dir: &Path) -> Result<Self, ZkError> {
        let pk_bytes = std::fs::read(dir.join(PROVING_KEY_FILE))?;
        Ok(Keys {
            pk: decode_proving_key(&pk_bytes)?,
            layout: read_layout(dir)?,
        })
    }
}

/// Decodes a proving key. It is the worker's own file, so points are not
/// subgroup-checked (that would dominate load time); the encoding must still be
/// canonical and complete.
pub fn decode_proving_key(bytes: &[u8]) -> Result<ProvingKey<Bn254>, ZkError> {
    let mut reader = bytes;
    let pk = ProvingKey::<Bn254>::deserialize_compressed_unchecked(&mut reader)
        .map_err(|e| ZkError::malformed("proving key", e))?;
    if !reader.is_empty() {
        return Err(ZkError::malformed("proving key", "trailing bytes"));
    }
    Ok(pk)
}

/// Reads `circuit.json` from a key directory.
pub fn read_layout(dir: &Path) -> Result<CircuitLayout, ZkError> {
    let s = std::fs::read_to_string(dir.join(LAYOUT_FILE))?;
    let layout: CircuitLayout =
        serde_json::from_str(&s).map_err(|e| ZkError::malformed("circuit.json", e))?;
    layout.validate()?;
    Ok(layout)
}

/// Reads `verifying_key.bin` from a key directory (bytes, as the chain stores them).
pub fn read_vk_bytes(dir: &Path) -> Result<Vec<u8>, ZkError> {
    Ok(std::fs::read(dir.join(VERIFYING_KEY_FILE))?)
}

fn spec_of(layout: &CircuitLayout) -> CircuitSpec {
    CircuitSpec {
        mode: layout.mode,
        output: layout.output,
        encoding: layout.encoding,
    }
}

fn synth_err(e: impl std::fmt::Debug) -> ZkError {
    ZkError::Synthesis(format!("{e:?}"))
}

/// Builds the layout a model gets under a spec (computes the commitment in private mode).
pub fn layout(
    model: &QuantizedModel,
    spec: CircuitSpec,
) -> Result<(CircuitLayout, bounds::Bounds), ZkError> {
    let b = bounds::compute(model, spec.mode)?;
    let commitment = match spec.mode {
        Mode::Private => Some(weight_commitment(model)?),
        Mode::Public => None,
    };
    Ok((layout_for(model, spec, &b, commitment)?, b))
}

/// Per-model setup with fresh OS randomness. See docs/zk.md for the trust model:
/// whoever runs this learns the toxic waste unless it is discarded.
pub fn setup(model: &QuantizedModel, spec: CircuitSpec) -> Result<Keys, ZkError> {
    setup_with_rng(model, spec, &mut ark_std::rand::rngs::OsRng)
}

pub fn setup_with_rng<R: RngCore + CryptoRng>(
    model: &QuantizedModel,
    spec: CircuitSpec,
    rng: &mut R,
) -> Result<Keys, ZkError> {
    let (layout, b) = layout(model, spec)?;
    let circuit = MlpCircuit {
        model,
        layout: &layout,
        bounds: &b,
        assignment: None,
    };
    let (pk, _vk) = Groth16::<Bn254>::circuit_specific_setup(circuit, rng).map_err(synth_err)?;
    Ok(Keys { pk, layout })
}

/// The statement the honest prover claims for `input` and a request binding
/// ([`crate::request::request_binding`]): the reference output.
pub fn statement(
    model: &QuantizedModel,
    layout: &CircuitLayout,
    input: &[i64],
    request: Fr,
) -> Result<Statement, ZkError> {
    let logits = model.infer(input)?;
    let output = match layout.output {
        OutputKind::Logits => logits,
        OutputKind::Argmax => vec![argmax(&logits) as i64],
    };
    Ok(Statement {
        commitment: layout.commitment_fr()?,
        request,
        input: input.to_vec(),
        output,
    })
}

/// What `prove` returns: the statement, its public inputs and the 128-byte proof.
#[derive(Clone, Debug)]
pub struct ProofOutput {
    pub statement: Statement,
    pub public_inputs: Vec<Fr>,
    pub proof: Vec<u8>,
}

impl ProofOutput {
    pub fn to_file(&self) -> ProofFile {
        ProofFile::new(
            self.statement.output.clone(),
            &self.statement.request,
            &self.public_inputs,
            &self.proof,
        )
    }
}

/// Proves the reference inference of `input`, bound to `request` (the
/// [`crate::request::request_binding`] of the request being answered).
pub fn prove(
    keys: &Keys,
    model: &QuantizedModel,
    input: &[i64],
    request: Fr,
) -> Result<ProofOutput, ZkError> {
    prove_with_rng(keys, model, input, request, &mut ark_std::rand::rngs::OsRng)
}

pub fn prove_with_rng<R: RngCore + CryptoRng>(
    keys: &Keys,
    model: &QuantizedModel,
    input: &[i64],
    request: Fr,
    rng: &mut R,
) -> Result<ProofOutput, ZkError> {
    // The keys must belong to this model: same layout (bounds, commitment).
    let (layout, b) = layout(model, spec_of(&keys.layout))?;
    if layout != keys.layout {
        return Err(ZkError::InvalidModel(
            "model does not match the keys' circuit layout".into(),
        ));
    }
    let st = statement(model, &layout, input, request)?;
    let public = layout.encode(&st)?;
    let circuit = MlpCircuit {
        model,
        layout: &layout,
        bounds: &b,
        assignment: Some(Assignment {
            public: public.clone(),
            statement: st.clone(),
        }),
    };
    let p = Groth16::<Bn254>::prove(&keys.pk, circuit, rng).map_err(synth_err)?;
    let proof = Proof {
        a: p.a,
        b: p.b,
        c: p.c,
    };
    // A wrong model with a matching layout would give a proof that fails here, not on chain.
    if !verify_decoded(&keys.vk(), &public, &proof)? {
        return Err(ZkError::InvalidModel(
            "proof does not verify against the keys (weights differ?)".into(),
        ));
    }
    Ok(ProofOutput {
        statement: st,
        public_inputs: public,
        proof: encode_compressed(&proof)?,
    })
}

/// Size of the circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitStats {
    pub constraints: usize,
    /// Including the constant-one variable.
    pub public_inputs: usize,
    pub witnesses: usize,
}

pub fn circuit_stats(model: &QuantizedModel, spec: CircuitSpec) -> Result<CircuitStats, ZkError> {
    let (layout, b) = layout(model, spec)?;
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    MlpCircuit {
        model,
        layout: &layout,
        bounds: &b,
        assignment: None,
    }
    .generate_constraints(cs.clone())
    .map_err(synth_err)?;
    cs.finalize();
    Ok(CircuitStats {
        constraints: cs.num_constraints(),
        public_inputs: cs.num_instance_variables(),
        witnesses: cs.num_witness_variables(),
    })
}

/// Synthesizes the circuit with a witness and checks every constraint, without
/// a proof. `claimed` overrides the statement (to test that false ones fail);
/// without it the honest statement is bound to `request_binding(b"")`.
pub fn is_satisfied(
    model: &QuantizedModel,
    spec: CircuitSpec,
    input: &[i64],
    claimed: Option<Statement>,
) -> Result<bool, ZkError> {
    let (layout, b) = layout(model, spec)?;
    let st = match claimed {
        Some(s) => s,
        None => statement(model, &layout, input, crate::request::request_binding(b""))?,
    };
    let public = layout.encode(&st)?;
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    let circuit = MlpCircuit {
        model,
        layout: &layout,
        bounds: &b,
        assignment: Some(Assignment {
            public,
            statement: st,
        }),
    };
    match circuit.generate_constraints(cs.clone()) {
        Ok(()) => {}
        // A witness that does not fit its range: the statement is false.
        Err(ark_relations::gr1cs::SynthesisError::Unsatisfiable) => return Ok(false),
        Err(e) => return Err(synth_err(e)),
    }
    cs.finalize();
    cs.is_satisfied().map_err(synth_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QuantLayer;

    #[test]
    fn own_key_and_proof_types_serialize_like_arkworks() {
        let model = QuantizedModel {
            layers: vec![QuantLayer {
                n_in: 2,
                n_out: 2,
                weight: vec![1, -2, 3, 4],
                bias: vec![5, -6],
                shift: 0,
            }],
            input_min: 0,
            input_max: 3,
            weight_bits: 8,
            input_frac_bits: 0,
            output_frac_bits: 0,
        };
        let keys = setup(&model, CircuitSpec::default()).unwrap();
        assert_eq!(
            keys.vk_bytes().unwrap(),
            encode_compressed(&keys.pk.vk).unwrap()
        );
        let out = prove(&keys, &model, &[1, 2], Fr::from(9u64)).unwrap();
        let p = crate::verifier::decode_proof(&out.proof).unwrap();
        let ark = ark_groth16::Proof::<Bn254> {
            a: p.a,
            b: p.b,
            c: p.c,
        };
        assert_eq!(encode_compressed(&ark).unwrap(), out.proof);
    }
}
