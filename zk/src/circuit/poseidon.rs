//! The weight commitment of private-model mode: Poseidon over BN254's scalar
//! field (width 5 = rate 4 + capacity 1, x^5 S-box, 8 full and 60 partial
//! rounds, constants from the reference Grain LFSR via arkworks).
//!
//! What is hashed: a header of constants (domain tag, layer shapes, shifts,
//! widths), then every weight (layer by layer, row-major) and bias, each offset
//! to be non-negative and packed `PACK_BITS` bits per field element. Packing
//! cuts the hash from ~45k absorbed elements to ~1.4k for the 784-56-10 model;
//! the range checks it needs (one bit constraint per weight bit) are cheaper
//! than the permutations it saves.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_crypto_primitives::sponge::constraints::CryptographicSpongeVar;
use ark_crypto_primitives::sponge::poseidon::constraints::PoseidonSpongeVar;
use ark_crypto_primitives::sponge::poseidon::{
    find_poseidon_ark_and_mds, PoseidonConfig, PoseidonSponge,
};
use ark_crypto_primitives::sponge::CryptographicSponge;
use ark_ff::PrimeField;

use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::{AllocatedFp, FpVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError, Variable};

use crate::model::QuantizedModel;

pub const RATE: usize = 4;
pub const FULL_ROUNDS: usize = 8;
pub const PARTIAL_ROUNDS: usize = 60;
pub const ALPHA: u64 = 5;

pub fn config() -> &'static PoseidonConfig<Fr> {
    static CONFIG: OnceLock<PoseidonConfig<Fr>> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
            Fr::MODULUS_BIT_SIZE as u64,
            RATE,
            FULL_ROUNDS as u64,
            PARTIAL_ROUNDS as u64,
            0,
        );
        PoseidonConfig::new(FULL_ROUNDS, PARTIAL_ROUNDS, ALPHA, mds, ark, RATE, 1)
    })
}

/// Domain separation for the weight commitment (binds the scheme version).
pub fn domain_tag() -> Fr {
    Fr::from_le_bytes_mod_order(b"deai-zk/mlp-weights/v1")
}

/// Header constants: tag, then the structure the weights are read against.
pub fn header(model: &QuantizedModel, bias_bits: &[u32]) -> Vec<Fr> {
    let mut h = vec![
        domain_tag(),
        Fr::from(model.layers.len() as u64),
        Fr::from(model.weight_bits as u64),
    ];
    for (l, layer) in model.layers.iter().enumerate() {
        h.push(Fr::from(layer.n_in as u64));
        h.push(Fr::from(layer.n_out as u64));
        h.push(Fr::from(layer.shift as u64));
        h.push(Fr::from(bias_bits.get(l).copied().unwrap_or(0) as u64));
    }
    h
}

/// Native hash of header + packed elements.
pub fn hash_native(header: &[Fr], packed: &[Fr]) -> Fr {
    let mut sponge = PoseidonSponge::new(config());
    sponge.absorb(&header.to_vec());
    sponge.absorb(&packed.to_vec());
    sponge.squeeze_field_elements::<Fr>(1)[0]
}

/// In-circuit hash of header (constants) + packed elements (LCs), enforced equal
/// to the public input `expected`.
pub fn enforce_hash(
    cs: &ConstraintSystemRef<Fr>,
    header: &[Fr],
    packed: Vec<(super::gadgets::Lc, Option<Fr>)>,
    expected: Variable,
    expected_val: Option<Fr>,
) -> Result<(), SynthesisError> {
    let mut sponge = PoseidonSpongeVar::new(cs.clone(), config());
    let head: Vec<FpVar<Fr>> = header.iter().map(|c| FpVar::Constant(*c)).collect();
    sponge.absorb(&head)?;
    let mut elems = Vec::with_capacity(packed.len());
    for (lc, val) in packed {
        // A symbolic variable standing for the LC: no constraint.
        let v = cs.new_lc(|| lc)?;
        elems.push(FpVar::Var(AllocatedFp::new(val, v, cs.clone())));
    }
    sponge.absorb(&elems)?;
    let out = sponge.squeeze_field_elements(1)?;
    let expected = FpVar::Var(AllocatedFp::new(expected_val, expected, cs.clone()));
    out[0].enforce_equal(&expected)?;

    Ok(())
}

/// Constraints to hash `n` field elements with this sponge (for cost estimates,
/// e.g. committing to public inputs by hash instead of exposing them).
pub fn hash_cost(n: usize) -> Result<usize, SynthesisError> {
    use ark_relations::gr1cs::{ConstraintSystem, OptimizationGoal, SynthesisMode};
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    let out = cs.new_input_variable(|| Ok(Fr::from(0u64)))?;
    let elems = (0..n)
        .map(|_| {
            cs.new_witness_variable(|| Ok(Fr::from(0u64)))
                .map(|v| (super::gadgets::Lc::from(v), None))
        })
        .collect::<Result<Vec<_>, _>>()?;
    enforce_hash(&cs, &[], elems, out, None)?;
    cs.finalize();
    Ok(cs.num_constraints())
}
