//! The R1CS circuit of quantized MLP inference (see docs/zk.md for costs).
//!
//! Public inputs are allocated first, in [`CircuitLayout`] order
//! (`[commitment] request input output`); the witness follows. The same code runs for setup (no values) and proving
//! (values), so the constraint system cannot differ between them.

pub mod bounds;
pub mod gadgets;
pub mod poseidon;

use ark_bn254::Fr;
use ark_ff::Field;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError, Variable};

use crate::field::{bit_len, fr_from_i128};
use crate::layout::{pack_plan, CircuitLayout, IoEncoding, Mode, OutputKind, Statement};
use crate::model::QuantizedModel;
use crate::ZkError;
use bounds::Bounds;
use gadgets::{
    alloc_bits, bits_lc, enforce_at_most, enforce_eq, input, lc_from_terms, mul, pow2, range_check,
    range_check_span, relu_shift, sum, Lc, Num,
};

/// The choices a model owner makes at setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitSpec {
    pub mode: Mode,
    pub output: OutputKind,
    pub encoding: IoEncoding,
}

impl Default for CircuitSpec {
    fn default() -> Self {
        CircuitSpec {
            mode: Mode::Public,
            output: OutputKind::Logits,
            encoding: IoEncoding::Plain,
        }
    }
}

/// Builds the layout (statement encoding) of a model under a spec.
pub fn layout_for(
    model: &QuantizedModel,
    spec: CircuitSpec,
    bounds: &Bounds,
    commitment: Option<Fr>,
) -> Result<CircuitLayout, ZkError> {
    let logit_bounds = bounds
        .logits()
        .iter()
        .map(|(lo, hi)| match (i64::try_from(*lo), i64::try_from(*hi)) {
            (Ok(l), Ok(h)) => Ok((l, h)),
            _ => Err(ZkError::InvalidModel("logit bounds exceed i64".into())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CircuitLayout {
        mode: spec.mode,
        output: spec.output,
        encoding: spec.encoding,
        n_inputs: model.n_inputs(),
        input_min: model.input_min,
        input_max: model.input_max,
        input_frac_bits: model.input_frac_bits,
        logit_bounds,
        commitment: commitment.map(|c| hex::encode(crate::field::fr_to_bytes(&c))),
    })
}

/// Values known only to the prover.
#[derive(Clone, Debug)]
pub struct Assignment {
    /// The encoded public inputs (from [`CircuitLayout::encode`]).
    pub public: Vec<Fr>,
    pub statement: Statement,
}

pub struct MlpCircuit<'a> {
    pub model: &'a QuantizedModel,
    pub layout: &'a CircuitLayout,
    pub bounds: &'a Bounds,
    /// `None` during setup.
    pub assignment: Option<Assignment>,
}

/// Offset widths and values of every committed parameter, in commitment order.
/// Weights are offset by `2^(weight_bits-1)`, biases by `2^(bias_bits-1)`.
pub fn committed_values(model: &QuantizedModel, bounds: &Bounds) -> Vec<(u32, i128)> {
    let mut out = Vec::with_capacity(model.num_parameters());
    let woff = 1i128 << (model.weight_bits - 1);
    for (layer, lb) in model.layers.iter().zip(&bounds.layers) {
        out.extend(
            layer
                .weight
                .iter()
                .map(|w| (model.weight_bits, *w as i128 + woff)),
        );
        let boff = 1i128 << (lb.bias_bits.max(1) - 1);
        out.extend(layer.bias.iter().map(|b| (lb.bias_bits, *b as i128 + boff)));
    }
    out
}

/// Packs offset values into field elements, as the circuit does.
pub fn pack_values(values: &[(u32, i128)]) -> Vec<Fr> {
    let widths: Vec<u32> = values.iter().map(|(w, _)| *w).collect();
    pack_plan(&widths)
        .iter()
        .map(|elem| {
            elem.iter()
                .map(|(i, off)| fr_from_i128(values[*i].1) * pow2(*off))
                .sum()
        })
        .collect()
}

/// The Poseidon commitment to a model's weights (private-model mode).
pub fn weight_commitment(model: &QuantizedModel) -> Result<Fr, ZkError> {
    let b = bounds::compute(model, Mode::Private)?;
    let bias_bits: Vec<u32> = b.layers.iter().map(|l| l.bias_bits).collect();
    Ok(poseidon::hash_native(
        &poseidon::header(model, &bias_bits),
        &pack_values(&committed_values(model, &b)),
    ))
}

/// Where chosen witnesses and public inputs live, recorded during synthesis so
/// that tests can play a malicious prover by overwriting them (see
/// `crate::testing`). Recording changes no constraint.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub commitment: Option<Variable>,
    pub request: Option<Variable>,
    /// The witness `request^2`.
    pub request_square: Option<Variable>,
    /// Public input variables of the input (plain) or of its packed elements.
    pub inputs: Vec<Variable>,
    /// Per input value: its range-check witness bits (plain: the low bits of
    /// `x - input_min`, then those of `input_max - x` if used; packed: all bits).
    pub input_bits: Vec<Vec<Variable>>,
    pub outputs: Vec<Variable>,
    /// Per hidden layer, per neuron.
    pub relus: Vec<Vec<gadgets::ReluVars>>,
    pub argmax: Option<ArgmaxVars>,
}

/// The witnesses of the argmax gadget.
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct ArgmaxVars {
    /// The one-hot selector bits.
    pub selector: Vec<Variable>,
    /// `selector[k] * logit[k]`.
    pub picked: Vec<Variable>,
    /// Per k: the bits of `v - logit[k] - [k < class]`.
    pub diff_bits: Vec<Vec<Variable>>,
}

impl<'a> ConstraintSynthesizer<Fr> for MlpCircuit<'a> {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.synthesize(cs, &mut Trace::default())
    }
}

impl<'a> MlpCircuit<'a> {
    /// The circuit, recording chosen variables in `trace`.
    #[doc(hidden)]
    pub fn synthesize(
        self,
        cs: ConstraintSystemRef<Fr>,
        trace: &mut Trace,
    ) -> Result<(), SynthesisError> {
        let MlpCircuit {
            model,
            layout,
            bounds,
            assignment,
        } = self;
        let proving = assignment.is_some();
        let n_pub = layout.n_public_inputs();
        if let Some(a) = &assignment {
            if a.public.len() != n_pub {
                return Err(SynthesisError::Unsatisfiable);
            }
        }
        // 1. Public inputs, in layout order.
        let mut pubs = Vec::with_capacity(n_pub);
        for k in 0..n_pub {
            pubs.push(input(&cs, assignment.as_ref().map(|a| a.public[k]))?);
        }
        let mut pub_iter = pubs.into_iter();
        let mut next_pub = || pub_iter.next().ok_or(SynthesisError::Unsatisfiable);
        let commit_var = if layout.mode == Mode::Private {
            Some(next_pub()?)
        } else {
            None
        };
        trace.commitment = commit_var;

        // 2. The request binding. Any value is a valid request, but the public input
        // must appear in a constraint (r * r = r^2): an input in no constraint would
        // rely on the QAP reduction alone to be bound by the proof.
        let st = assignment.as_ref().map(|a| &a.statement);
        let request = next_pub()?;
        let r = st.map(|s| s.request);
        let request_square =
            cs.new_witness_variable(|| r.map(|r| r * r).ok_or(SynthesisError::AssignmentMissing))?;
        gadgets::enforce(
            &cs,
            Lc::from(request),
            Lc::from(request),
            Lc::from(request_square),
        )?;
        trace.request = Some(request);
        trace.request_square = Some(request_square);

        // 3. Input values as Nums, each range-checked to [input_min, input_max]
        // exactly, in both encodings: no verifier can accept an out-of-range input.
        let xval = |i: usize| st.map(|s| s.input[i] as i128);
        let min = layout.input_min as i128;
        let span = (layout.input_max as i128 - min) as u128;
        let mut x: Vec<Num> = Vec::with_capacity(layout.n_inputs);
        match layout.encoding {
            IoEncoding::Plain => {
                for i in 0..layout.n_inputs {
                    let var = next_pub()?;
                    let xi = Num::var(var, xval(i));
                    let offset = Num {
                        lc: xi.lc.clone() + (-fr_from_i128(min), Variable::One),
                        val: xval(i).map(|v| v - min),
                    };
                    trace.input_bits.push(range_check_span(&cs, &offset, span)?);
                    trace.inputs.push(var);
                    x.push(xi);
                }
            }
            IoEncoding::Packed => {
                // Unpacking must range-check each value, or the split would not be unique.
                let width = layout.input_bits();
                x = vec![Num::constant(0); layout.n_inputs];
                trace.input_bits = vec![Vec::new(); layout.n_inputs];
                for elem in layout.input_plan() {
                    let p = next_pub()?;
                    trace.inputs.push(p);
                    let mut packed = Vec::new();
                    for (i, off) in elem {
                        let v = xval(i).map(|v| v - min);
                        let bits = alloc_bits(&cs, v.map(|v| v as u128), width)?;
                        packed.extend(bits_lc(&bits, 0..bits.len(), off).0);
                        let offset = Num {
                            lc: bits_lc(&bits, 0..bits.len(), 0),
                            val: v,
                        };
                        let upper = enforce_at_most(&cs, &offset, &bits, span)?;
                        x[i] = Num {
                            lc: offset.lc + (fr_from_i128(min), Variable::One),
                            val: xval(i),
                        };
                        trace.input_bits[i] = bits.into_iter().chain(upper).collect();
                    }
                    enforce_eq(&cs, lc_from_terms(packed), Lc::from(p))?;
                }
            }
        }
        let out_vars: Vec<Variable> = pub_iter_rest(&mut next_pub, layout, commit_var.is_some())?;
        trace.outputs = out_vars.clone();

        // 4. Private mode: weights as range-checked witnesses, and their commitment.
        let mut private_w: Vec<(Vec<Num>, Vec<Num>)> = Vec::new();
        if let Some(cv) = commit_var {
            let mut stream: Vec<(u32, Vec<Variable>)> = Vec::with_capacity(model.num_parameters());
            let woff = 1i128 << (model.weight_bits - 1);
            for (layer, lb) in model.layers.iter().zip(&bounds.layers) {
                let mut ws = Vec::with_capacity(layer.weight.len());
                for w in &layer.weight {
                    let v = proving.then_some(*w as i128);
                    let bits = alloc_bits(&cs, v.map(|v| (v + woff) as u128), model.weight_bits)?;
                    ws.push(Num {
                        lc: bits_lc(&bits, 0..bits.len(), 0) + (-fr_from_i128(woff), Variable::One),
                        val: v,
                    });
                    stream.push((model.weight_bits, bits));
                }
                let boff = 1i128 << (lb.bias_bits.max(1) - 1);
                let mut bs = Vec::with_capacity(layer.bias.len());
                for b in &layer.bias {
                    let v = proving.then_some(*b as i128);
                    let bits = alloc_bits(&cs, v.map(|v| (v + boff) as u128), lb.bias_bits)?;
                    bs.push(Num {
                        lc: bits_lc(&bits, 0..bits.len(), 0) + (-fr_from_i128(boff), Variable::One),
                        val: v,
                    });
                    stream.push((lb.bias_bits, bits));
                }
                private_w.push((ws, bs));
            }
            let widths: Vec<u32> = stream.iter().map(|(w, _)| *w).collect();
            let values = proving.then(|| pack_values(&committed_values(model, bounds)));
            let mut packed = Vec::new();
            for (e, elem) in pack_plan(&widths).into_iter().enumerate() {
                let mut terms = Vec::new();
                for (i, off) in elem {
                    let bits = &stream[i].1;
                    terms.extend(bits_lc(bits, 0..bits.len(), off).0);
                }
                packed.push((
                    lc_from_terms(terms),
                    values.as_ref().and_then(|v| v.get(e).copied()),
                ));
            }
            let bias_bits: Vec<u32> = bounds.layers.iter().map(|l| l.bias_bits).collect();
            let commitment = st.and_then(|s| s.commitment);
            poseidon::enforce_hash(
                &cs,
                &poseidon::header(model, &bias_bits),
                packed,
                cv,
                commitment,
            )?;
        }

        // 5. Layers.
        let last = model.layers.len() - 1;
        let mut relus = Vec::new();
        for (l, layer) in model.layers.iter().enumerate() {
            let lb = &bounds.layers[l];
            let mut y = Vec::with_capacity(layer.n_out);
            for j in 0..layer.n_out {
                let acc = match private_w.get(l) {
                    None => {
                        // Public weights: constants, so the whole dot product is one free LC.
                        let mut terms = Vec::new();
                        let mut val = Some(layer.bias[j] as i128);
                        for (i, xi) in x.iter().enumerate() {
                            let w = layer.w(j, i);
                            if w == 0 || xi.is_zero_constant() {
                                continue;
                            }
                            let wf = fr_from_i128(w as i128);
                            terms.extend(xi.lc.0.iter().map(|(c, v)| (*c * wf, *v)));
                            val = match (val, xi.val) {
                                (Some(a), Some(b)) => Some(
                                    (w as i128)
                                        .checked_mul(b)
                                        .and_then(|p| a.checked_add(p))
                                        .ok_or(SynthesisError::Unsatisfiable)?,
                                ),
                                _ => None,
                            };
                        }
                        if layer.bias[j] != 0 {
                            terms.push((fr_from_i128(layer.bias[j] as i128), Variable::One));
                        }
                        Num {
                            lc: lc_from_terms(terms),
                            val,
                        }
                    }
                    Some((ws, bs)) => {
                        let mut prods = Vec::with_capacity(layer.n_in);
                        for (i, xi) in x.iter().enumerate() {
                            prods.push(mul(&cs, &ws[j * layer.n_in + i], xi)?);
                        }
                        prods.push(bs[j].clone());
                        sum(prods.iter(), 0)?
                    }
                };
                let (lo, hi) = lb.acc[j];
                y.push(if l == last {
                    acc
                } else {
                    let (y, vars) = relu_shift(&cs, &acc, lo, hi, layer.shift)?;
                    relus.push(vars);
                    y
                });
            }
            if l != last {
                trace.relus.push(std::mem::take(&mut relus));
            }
            x = y;
        }

        // 6. Output.
        let logits = x;
        match layout.output {
            OutputKind::Logits => match layout.encoding {
                IoEncoding::Plain => {
                    for (k, v) in out_vars.iter().enumerate() {
                        enforce_eq(&cs, logits[k].lc.clone(), Lc::from(*v))?;
                    }
                }
                IoEncoding::Packed => {
                    // No range check needed: logits are computed and within their static bounds.
                    for (elem, v) in layout.output_plan().into_iter().zip(&out_vars) {
                        let mut terms = Vec::new();
                        for (k, off) in elem {
                            let s = pow2(off);
                            terms.extend(logits[k].lc.0.iter().map(|(c, var)| (*c * s, *var)));
                            terms.push((-fr_from_i128(bounds.logits()[k].0) * s, Variable::One));
                        }
                        enforce_eq(&cs, lc_from_terms(terms), Lc::from(*v))?;
                    }
                }
            },
            OutputKind::Argmax => {
                let class = *out_vars.first().ok_or(SynthesisError::Unsatisfiable)?;
                trace.argmax = Some(argmax(
                    &cs,
                    &logits,
                    bounds,
                    class,
                    st.map(|s| s.output[0]),
                )?);
            }
        }
        Ok(())
    }
}

/// The output variables: every public input left after the commitment, the request
/// and the input elements.
fn pub_iter_rest(
    next_pub: &mut impl FnMut() -> Result<Variable, SynthesisError>,
    layout: &CircuitLayout,
    private: bool,
) -> Result<Vec<Variable>, SynthesisError> {
    let input_elems = match layout.encoding {
        IoEncoding::Plain => layout.n_inputs,
        IoEncoding::Packed => layout.input_plan().len(),
    };
    (0..layout.n_public_inputs() - usize::from(private) - 1 - input_elems)
        .map(|_| next_pub())
        .collect()
}

/// Proves `class` is the index of the largest logit, lowest index on ties:
/// a one-hot selector `s`, `v = sum s_k logit_k`, and for every k the range
/// check `v - logit_k - [k < class] >= 0`.
fn argmax(
    cs: &ConstraintSystemRef<Fr>,
    logits: &[Num],
    bounds: &Bounds,
    class: Variable,
    class_val: Option<i64>,
) -> Result<ArgmaxVars, SynthesisError> {
    let n = logits.len();
    let mut vars = ArgmaxVars::default();
    let sel: Vec<Num> = (0..n)
        .map(|k| {
            let v = class_val.map(|c| i128::from(c as usize == k));
            let bits = alloc_bits(cs, v.map(|v| v as u128), 1)?;
            Ok(Num::var(bits[0], v))
        })
        .collect::<Result<_, SynthesisError>>()?;
    enforce_eq(cs, sum(sel.iter(), 0)?.lc, Lc::from(Variable::One))?;
    let index: Vec<(Fr, Variable)> = sel
        .iter()
        .enumerate()
        .flat_map(|(k, s)| {
            s.lc.0
                .iter()
                .map(move |(c, v)| (*c * Fr::from(k as u64), *v))
        })
        .collect();
    enforce_eq(cs, lc_from_terms(index), Lc::from(class))?;
    let picked: Vec<Num> = sel
        .iter()
        .zip(logits)
        .map(|(s, l)| mul(cs, s, l))
        .collect::<Result<_, _>>()?;
    vars.selector = sel.iter().filter_map(Num::as_var).collect();
    vars.picked = picked.iter().filter_map(Num::as_var).collect();
    let v = sum(picked.iter(), 0)?;
    let lo = bounds.logits().iter().map(|b| b.0).min().unwrap_or(0);
    let hi = bounds.logits().iter().map(|b| b.1).max().unwrap_or(0);
    let width = bit_len((hi - lo).max(1) as u128);
    for k in 0..n {
        // [k < class] = sum of selectors above k.
        let later = sum(sel[k + 1..].iter(), 0)?;
        let neg_logit = Num {
            lc: logits[k].lc.clone() * -Fr::ONE,
            val: logits[k].val.map(|x| -x),
        };
        let neg_later = Num {
            lc: later.lc * -Fr::ONE,
            val: later.val.map(|x| -x),
        };
        let d = sum([&v, &neg_logit, &neg_later], 0)?;
        vars.diff_bits.push(range_check(cs, &d, width)?);
    }
    Ok(vars)
}
