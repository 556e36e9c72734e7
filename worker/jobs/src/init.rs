//! The model zoo's parameters and the initial training state, computed on the host with
//! the worker's own RNG and IEEE-754 arithmetic only (no libtorch). The engine starts
//! every run from exactly this state, and a verifier recomputes checkpoint 0's digest from
//! the spec alone, so a run that starts from other weights or non-zero optimizer state is
//! caught without any file.

use crate::digest::{canonical_digest, CanonicalTensor, Digest};
use crate::rng::SplitMix64;
use crate::spec::{ModelSpec, OptimizerSpec};

/// Prefix of parameter tensors in a checkpoint's training state.
pub const PARAM_PREFIX: &str = "param/";
/// Prefix of optimizer slots in a checkpoint's training state (`opt/<param>/<slot>`).
pub const OPT_PREFIX: &str = "opt/";

/// Parameter names and shapes of a model, in a fixed order (`fc0.weight`, `fc0.bias`, …).
/// Computing shapes allocates nothing per element; `JobSpec::validate` bounds the count.
pub fn param_shapes(spec: &ModelSpec) -> Vec<(String, Vec<u64>)> {
    let linear = |out: &mut Vec<(String, Vec<u64>)>, name: &str, i: u64, o: u64| {
        out.push((format!("{name}.weight"), vec![o, i]));
        out.push((format!("{name}.bias"), vec![o]));
    };
    let mut out = Vec::new();
    match spec {
        ModelSpec::Logistic { inputs, classes } => {
            linear(&mut out, "fc0", u64::from(*inputs), u64::from(*classes))
        }
        ModelSpec::Mlp {
            inputs,
            hidden,
            classes,
        } => {
            let dims: Vec<u64> = std::iter::once(*inputs)
                .chain(hidden.iter().copied())
                .chain(std::iter::once(*classes))
                .map(u64::from)
                .collect();
            for (i, w) in dims.windows(2).enumerate() {
                linear(&mut out, &format!("fc{i}"), w[0], w[1]);
            }
        }
        ModelSpec::Cnn {
            image_size,
            channels,
            conv_channels,
            classes,
        } => {
            let [c1, c2] = conv_channels.map(u64::from);
            let ch = u64::from(*channels);
            out.push(("conv0.weight".into(), vec![c1, ch, 3, 3]));
            out.push(("conv0.bias".into(), vec![c1]));
            out.push(("conv1.weight".into(), vec![c2, c1, 3, 3]));
            out.push(("conv1.bias".into(), vec![c2]));
            // Two 2x2 pools: 8 -> 2, 28 -> 7.
            let side = u64::from(*image_size) / 4;
            linear(&mut out, "fc0", c2 * side * side, u64::from(*classes));
        }
    }
    out
}

/// Total number of parameters, or `None` if it overflows u64.
pub fn parameter_count(spec: &ModelSpec) -> Option<u64> {
    param_shapes(spec).iter().try_fold(0u64, |n, (_, s)| {
        n.checked_add(s.iter().try_fold(1u64, |a, d| a.checked_mul(*d))?)
    })
}

/// Optimizer slots kept per parameter (`<param>/<slot>`).
pub fn slot_names(spec: &OptimizerSpec) -> &'static [&'static str] {
    match spec {
        OptimizerSpec::Sgd { momentum, .. } if *momentum == 0.0 => &[],
        OptimizerSpec::Sgd { .. } => &["momentum"],
        OptimizerSpec::Adam { .. } => &["exp_avg", "exp_avg_sq"],
    }
}

/// One initialised parameter: its name, shape and values.
#[derive(Clone, Debug, PartialEq)]
pub struct InitTensor {
    pub name: String,
    pub shape: Vec<u64>,
    pub values: Vec<f32>,
}

/// The initial parameters: each tensor `Uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))` from its
/// own SplitMix64 stream `(seed, tensor index)`; a bias uses its layer weight's fan-in, as
/// PyTorch's default init does. Every value is `((2u - 1) * bound) as f32` with
/// `u = (x >> 40) / 2^24` and `bound = 1 / sqrt(fan_in)` in f64: IEEE-754 division and
/// square root are correctly rounded, so the bits are the same on every machine.
pub fn init_params(spec: &ModelSpec, seed: u64) -> Vec<InitTensor> {
    let shapes = param_shapes(spec);
    let fan_in = |shape: &[u64]| shape.iter().skip(1).product::<u64>().max(1);
    shapes
        .iter()
        .enumerate()
        .map(|(i, (name, shape))| {
            let weight_shape = name
                .strip_suffix(".bias")
                .and_then(|layer| shapes.iter().find(|(n, _)| *n == format!("{layer}.weight")))
                .map_or(shape.as_slice(), |(_, s)| s.as_slice());
            let bound = 1.0 / (fan_in(weight_shape) as f64).sqrt();
            let mut rng = SplitMix64::derive(seed, i as u64);
            let n: u64 = shape.iter().product();
            let values = (0..n)
                .map(|_| {
                    let u = (rng.next_u64() >> 40) as f64 / (1u64 << 24) as f64;
                    ((2.0 * u - 1.0) * bound) as f32
                })
                .collect();
            InitTensor {
                name: name.clone(),
                shape: shape.clone(),
                values,
            }
        })
        .collect()
}

/// Canonical digest of the training state at step 0: the initial parameters under
/// `param/` and zeroed optimizer slots under `opt/`. Checkpoint 0 of an honest run has
/// exactly this `state_sha256`.
pub fn initial_state_digest(model: &ModelSpec, optimizer: &OptimizerSpec, seed: u64) -> Digest {
    start_state_digest(&init_params(model, seed), optimizer)
}

/// Canonical digest of the training state that starts from `params` (the seeded ones, or
/// a job's `training.init_weights`) with zeroed optimizer slots.
pub fn start_state_digest(params: &[InitTensor], optimizer: &OptimizerSpec) -> Digest {
    let slots = slot_names(optimizer);
    let mut names = Vec::new();
    let mut datas = Vec::new();
    for p in params {
        names.push(format!("{PARAM_PREFIX}{}", p.name));
        datas.push(
            p.values
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect::<Vec<u8>>(),
        );
        for slot in slots {
            names.push(format!("{OPT_PREFIX}{}/{slot}", p.name));
            datas.push(vec![0u8; p.values.len() * 4]);
        }
    }
    let per_param = 1 + slots.len();
    let mut items: Vec<CanonicalTensor<'_>> = names
        .iter()
        .zip(&datas)
        .enumerate()
        .map(|(k, (name, data))| CanonicalTensor {
            name,
            dtype: "f32",
            shape: &params[k / per_param].shape,
            data_le: data,
        })
        .collect();
    canonical_digest(&mut items)
}

/// Largest weights file (safetensors) a model's parameters can honestly take: their f32
/// data plus a generous header. Readers of a weights file read no more than this.
pub fn max_weights_bytes(model: &ModelSpec) -> u64 {
    let params = parameter_count(model).unwrap_or(u64::MAX);
    let tensors = param_shapes(model).len() as u64;
    params
        .saturating_mul(4)
        .saturating_add(65_536 + 256 * tensors)
}

/// Parses a weights file (safetensors) as the parameters of `model`: exactly the model's
/// tensor names, each F32 with the model's shape, in `param_shapes` order. The error says
/// which tensor is missing, extra or misshapen.
pub fn weights_from_safetensors(
    bytes: &[u8],
    model: &ModelSpec,
) -> Result<Vec<InitTensor>, String> {
    use crate::tensors::safetensors::{tensor::Dtype, SafeTensors};
    let st = SafeTensors::deserialize(bytes).map_err(|e| format!("not safetensors: {e:?}"))?;
    let shapes = param_shapes(model);
    let mut out = Vec::with_capacity(shapes.len());
    for (name, shape) in &shapes {
        let view = st
            .tensor(name)
            .map_err(|_| format!("lacks tensor {name:?}, which the model needs"))?;
        let got: Vec<u64> = view.shape().iter().map(|&d| d as u64).collect();
        if got != *shape {
            return Err(format!(
                "tensor {name:?} has shape {got:?}, the model expects {shape:?}"
            ));
        }
        if view.dtype() != Dtype::F32 {
            return Err(format!(
                "tensor {name:?} has dtype {:?}, expected F32",
                view.dtype()
            ));
        }
        out.push(InitTensor {
            name: name.clone(),
            shape: shape.clone(),
            values: crate::tensors::floats(name, &view)?,
        });
    }
    if let Some(extra) = st
        .names()
        .into_iter()
        .find(|n| !shapes.iter().any(|(m, _)| m == *n))
    {
        return Err(format!(
            "has tensor {extra:?}, which the model does not use"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_counts_of_the_zoo() {
        let mlp = ModelSpec::Mlp {
            inputs: 64,
            hidden: vec![64],
            classes: 10,
        };
        assert_eq!(parameter_count(&mlp), Some(64 * 64 + 64 + 64 * 10 + 10));
        let huge = ModelSpec::Mlp {
            inputs: 65_536,
            hidden: vec![65_536; 16],
            classes: 10,
        };
        assert!(parameter_count(&huge).unwrap() > 1 << 36);
        let cnn = ModelSpec::Cnn {
            image_size: 8,
            channels: 1,
            conv_channels: [8, 16],
            classes: 10,
        };
        assert_eq!(param_shapes(&cnn)[4], ("fc0.weight".into(), vec![10, 64]));
    }

    #[test]
    fn the_initial_state_depends_on_seed_and_optimizer() {
        let m = ModelSpec::Logistic {
            inputs: 3,
            classes: 2,
        };
        let sgd = OptimizerSpec::Sgd {
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.0,
        };
        let plain = OptimizerSpec::Sgd {
            lr: 0.1,
            momentum: 0.0,
            weight_decay: 0.0,
        };
        let d = initial_state_digest(&m, &sgd, 7);
        assert_eq!(d, initial_state_digest(&m, &sgd, 7));
        assert_ne!(d, initial_state_digest(&m, &sgd, 8));
        assert_ne!(d, initial_state_digest(&m, &plain, 7));
        let p = init_params(&m, 7);
        let bound = 1.0 / 3f32.sqrt();
        assert!(p.iter().all(|t| t.values.iter().all(|v| v.abs() <= bound)));
        assert_eq!(start_state_digest(&p, &sgd), d);
    }

    fn file(tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> Vec<u8> {
        use crate::tensors::safetensors::tensor::{serialize, Dtype, TensorView};
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

    #[test]
    fn weights_files_must_fit_the_model_exactly() {
        let m = ModelSpec::Logistic {
            inputs: 3,
            classes: 2,
        };
        let w = vec![0.5f32; 6];
        let good = file(&[
            ("fc0.weight", vec![2, 3], w.clone()),
            ("fc0.bias", vec![2], vec![1.0, -1.0]),
        ]);
        assert!(good.len() as u64 <= max_weights_bytes(&m));
        let p = weights_from_safetensors(&good, &m).unwrap();
        assert_eq!(p[0].name, "fc0.weight");
        assert_eq!(p[0].values, w);
        assert_eq!(p[1].values, vec![1.0, -1.0]);

        let missing = file(&[("fc0.weight", vec![2, 3], w.clone())]);
        let e = weights_from_safetensors(&missing, &m).unwrap_err();
        assert!(e.contains("lacks tensor \"fc0.bias\""), "{e}");
        let shape = file(&[
            ("fc0.weight", vec![3, 2], w.clone()),
            ("fc0.bias", vec![2], vec![0.0; 2]),
        ]);
        let e = weights_from_safetensors(&shape, &m).unwrap_err();
        assert!(
            e.contains("has shape [3, 2], the model expects [2, 3]"),
            "{e}"
        );
        let extra = file(&[
            ("fc0.weight", vec![2, 3], w),
            ("fc0.bias", vec![2], vec![0.0; 2]),
            ("fc9.bias", vec![1], vec![0.0]),
        ]);
        let e = weights_from_safetensors(&extra, &m).unwrap_err();
        assert!(
            e.contains("\"fc9.bias\", which the model does not use"),
            "{e}"
        );
        assert!(weights_from_safetensors(b"junk", &m)
            .unwrap_err()
            .contains("not safetensors"));
    }
}
