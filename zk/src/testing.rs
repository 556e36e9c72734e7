//! Test support, not a stable API: play a malicious prover.
//!
//! [`synthesize`] runs the circuit with the honest witness and keeps the R1CS
//! matrices (exactly those setup builds: [`setup_matrices`]), the full assignment
//! `[1, public inputs…, witnesses…]` and a [`Trace`] of where chosen variables
//! live. A test then overwrites assignments as a cheating prover would, checks
//! every constraint itself ([`Synthesized::unsatisfied`]), and can even turn the
//! forged assignment into a Groth16 proof ([`Synthesized::prove`]) to show that
//! the verifier rejects it.

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, ProvingKey};
use ark_relations::gr1cs::{
    ConstraintSystem, ConstraintSystemRef, Matrix, OptimizationGoal, SynthesisError, SynthesisMode,
    Variable, R1CS_PREDICATE_LABEL,
};
use ark_std::rand::{CryptoRng, RngCore};
use ark_std::UniformRand;

pub use crate::circuit::{ArgmaxVars, Trace};
use crate::circuit::{Assignment, CircuitSpec, MlpCircuit};
use crate::layout::{CircuitLayout, Statement};
use crate::model::QuantizedModel;
use crate::prover::{layout, statement};
use crate::verifier::{encode_compressed, Proof};
use crate::ZkError;

fn synth_err(e: SynthesisError) -> ZkError {
    ZkError::Synthesis(format!("{e:?}"))
}

/// A synthesized circuit with an assignment that tests may overwrite.
#[derive(Clone, Debug)]
pub struct Synthesized {
    /// The R1CS matrices A, B, C (rows of `(coefficient, index)`).
    pub matrices: Vec<Matrix<Fr>>,
    /// Instance variables, including the leading constant 1.
    pub num_instance: usize,
    /// `[1, public inputs…, witnesses…]`.
    pub assignment: Vec<Fr>,
    pub trace: Trace,
    pub layout: CircuitLayout,
    /// The honest statement the assignment started from.
    pub statement: Statement,
}

fn matrices_of(cs: &ConstraintSystemRef<Fr>) -> Result<Vec<Matrix<Fr>>, ZkError> {
    let mut all = cs.to_matrices().map_err(synth_err)?;
    all.remove(R1CS_PREDICATE_LABEL)
        .ok_or_else(|| ZkError::Synthesis("no R1CS matrices".into()))
}

/// The matrices of the setup synthesis (no assignment).
pub fn setup_matrices(
    model: &QuantizedModel,
    spec: CircuitSpec,
) -> Result<Vec<Matrix<Fr>>, ZkError> {
    let (layout, bounds) = layout(model, spec)?;
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    MlpCircuit {
        model,
        layout: &layout,
        bounds: &bounds,
        assignment: None,
    }
    .synthesize(cs.clone(), &mut Trace::default())
    .map_err(synth_err)?;
    cs.finalize();
    matrices_of(&cs)
}

/// Synthesizes the circuit with the honest witness for `input` and `request`.
pub fn synthesize(
    model: &QuantizedModel,
    spec: CircuitSpec,
    input: &[i64],
    request: Fr,
) -> Result<Synthesized, ZkError> {
    let (layout, bounds) = layout(model, spec)?;
    let st = statement(model, &layout, input, request)?;
    let public = layout.encode(&st)?;
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    // As the Groth16 prover does: matrices, and no cached LC values (a test
    // overwrites assignments, so every LC must be evaluated afresh).
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: false,
    });
    let mut trace = Trace::default();
    MlpCircuit {
        model,
        layout: &layout,
        bounds: &bounds,
        assignment: Some(Assignment {
            public,
            statement: st.clone(),
        }),
    }
    .synthesize(cs.clone(), &mut trace)
    .map_err(synth_err)?;
    cs.finalize();
    let matrices = matrices_of(&cs)?;
    let inner = cs
        .borrow()
        .ok_or_else(|| ZkError::Synthesis("no constraint system".into()))?;
    let instance = inner.instance_assignment().map_err(synth_err)?;
    let witness = inner.witness_assignment().map_err(synth_err)?;
    Ok(Synthesized {
        matrices,
        num_instance: instance.len(),
        assignment: [instance, witness].concat(),
        trace,
        layout,
        statement: st,
    })
}

impl Synthesized {
    fn index(&self, v: Variable) -> usize {
        // Only instance, witness and the constant one are traced, never LCs.
        v.get_variable_index(self.num_instance)
            .unwrap_or(usize::MAX)
    }

    pub fn get(&self, v: Variable) -> Fr {
        self.assignment
            .get(self.index(v))
            .copied()
            .unwrap_or_default()
    }

    /// Overwrites the value of a variable (instance or witness).
    pub fn set(&mut self, v: Variable, value: Fr) {
        let i = self.index(v);
        if let Some(slot) = self.assignment.get_mut(i) {
            *slot = value;
        }
    }

    /// The public inputs (without the constant 1).
    pub fn public_inputs(&self) -> &[Fr] {
        &self.assignment[1..self.num_instance]
    }

    fn eval(&self, row: &[(Fr, usize)]) -> Fr {
        row.iter()
            .map(|(c, i)| *c * self.assignment.get(*i).copied().unwrap_or_default())
            .sum()
    }

    pub fn num_constraints(&self) -> usize {
        self.matrices.first().map_or(0, Vec::len)
    }

    /// Indices of the constraints `<A_i,z> * <B_i,z> = <C_i,z>` that fail.
    pub fn unsatisfied(&self) -> Vec<usize> {
        (0..self.num_constraints())
            .filter(|i| {
                let [a, b, c] = [0, 1, 2].map(|m| self.eval(&self.matrices[m][*i]));
                a * b != c
            })
            .collect()
    }

    pub fn is_satisfied(&self) -> bool {
        self.unsatisfied().is_empty()
    }

    /// True if constraint `i` is a booleanity check `v * (1 - v) = 0` of `v`.
    pub fn is_booleanity_of(&self, i: usize, v: Variable) -> bool {
        let idx = self.index(v);
        let one = Fr::from(1u64);
        let a = &self.matrices[0][i];
        let b = &self.matrices[1][i];
        let c = &self.matrices[2][i];
        let mut b_sorted = b.clone();
        b_sorted.sort_by_key(|(_, j)| *j);
        a.as_slice() == [(one, idx)] && b_sorted == [(one, 0), (-one, idx)] && c.is_empty()
    }

    /// A Groth16 proof of the current (possibly forged) assignment, made without
    /// checking it: the prover's arithmetic alone, as a cheating prover would run it.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        pk: &ProvingKey<Bn254>,
        rng: &mut R,
    ) -> Result<Vec<u8>, ZkError> {
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));
        let p = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            pk,
            r,
            s,
            &self.matrices,
            self.num_instance,
            self.num_constraints(),
            &self.assignment,
        )
        .map_err(synth_err)?;
        encode_compressed(&Proof {
            a: p.a,
            b: p.b,
            c: p.c,
        })
    }
}

/// `v` as a field element (negative values as `p - |v|`).
pub fn fr(v: i128) -> Fr {
    crate::field::fr_from_i128(v)
}
